//! After an import: its report and its undo.

use super::source::Source;
use super::*;
use crate::Spooled;

impl Service {
    /// The per-row report: the uploaded columns plus status and reason, as
    /// CSV or as an Excel workbook, of every row or of the rows with errors
    /// only. Before the import is applied the report is its preview,
    /// planned with the request's options — the same options as the preview
    /// it goes with; once applied, it is what the job did. Written row by
    /// row from the stored table to a spool file, which the caller streams.
    pub async fn import_report(&self, can: Can<'_, Import>, id: i64, request: ReportRequest) -> ServiceResult<Spooled> {
        let ReportRequest {
            format,
            options,
            failed_only,
        } = request;
        let actor = can.actor();
        let mut conn = self.store().conn().await?;
        let import = import_in_org(&mut conn, actor.org_id, id).await?;
        let applied = import_rows(&mut conn, id).await?;
        let done = !applied.is_empty();
        let outcomes: HashMap<u64, (RowAction, String)> = if done {
            applied
                .into_iter()
                .map(|r| Ok((r.line as u64, (RowAction::from_stored(&r.action)?, r.reason))))
                .collect::<ServiceResult<_>>()?
        } else {
            // Not applied yet: the report is the preview.
            let plan = self.plan_all(&mut conn, actor, &import, options).await?;
            plan.previews
                .iter()
                .map(|(p, reason)| (p.line, (p.action, reason.clone())))
                .collect()
        };
        drop(conn);
        let source = Source::load(self, &import, usize::MAX).await?;
        let spool = self.uploads.spool_file()?;
        let out = spool.reopen().map_err(|e| ServiceError::Internal(Box::new(e)))?;
        let delimiter = report_delimiter(&source.detected);
        let runtime = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || {
            let table = source.open(runtime)?;
            let headers = table.headers().to_vec();
            let outcome = |line: u64| match outcomes.get(&line) {
                Some((action, reason)) => (action.label(done).to_owned(), reason.clone()),
                None => ("unknown".into(), String::new()),
            };
            let rows = table.filter(|row| {
                !failed_only
                    || row.as_ref().map_or(true, |r| {
                        outcomes
                            .get(&r.line)
                            .is_some_and(|(action, _)| *action == RowAction::Error)
                    })
            });
            let out = std::io::BufWriter::new(out);
            match format {
                ReportFormat::Csv => roster_bulk::write_report_csv(out, &headers, rows, delimiter, outcome)
                    .map_err(|e| ServiceError::Internal(Box::new(e))),
                ReportFormat::Xlsx => roster_bulk::write_report_xlsx(out, &headers, rows, outcome)
                    .map_err(|e| ServiceError::Internal(Box::new(e))),
            }
        })
        .await
        .map_err(|e| ServiceError::Internal(Box::new(e)))??;
        Ok(Spooled::new(spool))
    }

    /// The first `limit` rows that applying the import did not take, with
    /// their reasons, by line; the report has every row.
    pub async fn failed_import_rows(
        &self,
        can: Can<'_, Import>,
        id: i64,
        limit: usize,
    ) -> ServiceResult<Vec<FailedRow>> {
        let actor = can.actor();
        let mut conn = self.store().conn().await?;
        import_in_org(&mut conn, actor.org_id, id).await?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = roster_store::failed_import_rows(&mut conn, id, limit).await?;
        Ok(rows
            .into_iter()
            .map(|(line, reason)| FailedRow { line, reason })
            .collect())
    }

    /// Undoes an applied import: removes the members it created and restores
    /// the values it changed — except where a member was edited since or has
    /// an account (accepted an invitation); those are kept and named. An
    /// import that failed after committing some of its chunks (its job gave
    /// up) is undone the same way.
    pub async fn undo_import(&self, can: Can<'_, Import>, id: i64) -> ServiceResult<UndoReport> {
        let actor = can.actor();
        let mut tx = self.store().begin().await?;
        let import = import_in_org(&mut tx, actor.org_id, id).await?;
        let committed_part = import.status == ImportStatus::Failed && import.mark.rows > 0;
        if import.status != ImportStatus::Applied && !committed_part {
            return Err(ServiceError::conflict(
                "import_not_applied",
                None,
                format!("only an applied import can be undone; this one is {}", import.status),
            ));
        }
        let since = import.mark.written_at.or(import.applied_at).unwrap_or(0);
        let report = self.undo_rows(&mut tx, actor, id, since).await?;
        set_import_state(&mut tx, id, ImportStatus::Undone, None, None, None, now_millis()).await?;
        record(&mut tx, actor, "import.undo", "import", id, report.audit_details()).await?;
        tx.commit().await?;
        Ok(report)
    }

    /// Takes back what an import's committed rows did, in `tx`: members it
    /// created are removed, values it changed restored — but a member edited
    /// after `since` (when the import wrote its rows) or with an account is
    /// kept and named.
    pub(super) async fn undo_rows(
        &self,
        tx: &mut Conn,
        actor: &Actor,
        id: i64,
        since: i64,
    ) -> ServiceResult<UndoReport> {
        let mut report = UndoReport {
            import_id: id,
            removed: 0,
            restored: 0,
            kept: Vec::new(),
        };
        for row in import_rows(tx, id).await? {
            let Some(member_id) = row.member_id else { continue };
            let action = RowAction::from_stored(&row.action)?;
            if action != RowAction::Create && action != RowAction::Update {
                continue;
            }
            let keep = |why: &str| KeptRow {
                line: row.line,
                member_id: Some(member_id),
                reason: why.to_owned(),
            };
            let Some(member) = member_by_id(tx, actor.org_id, member_id).await? else {
                report.kept.push(keep("is gone since"));
                continue;
            };
            if member.account_id.is_some() {
                report.kept.push(keep("has accepted an invitation since"));
                continue;
            }
            if member.updated_at > since {
                report.kept.push(keep("was edited after the import"));
                continue;
            }
            if action == RowAction::Create {
                roster_store::delete_member(tx, actor.org_id, member_id).await?;
                report.removed += 1;
            } else {
                // What the row changed must read back, or nothing is undone:
                // undo never skips a row it cannot read and calls it success.
                let unreadable = |why: String| {
                    ServiceError::Internal(
                        format!(
                            "line {}: the values before the import cannot be read ({why}); nothing was undone",
                            row.line
                        )
                        .into(),
                    )
                };
                let before: serde_json::Value = row
                    .before
                    .as_deref()
                    .ok_or_else(|| unreadable("none were kept".into()))
                    .and_then(|b| serde_json::from_str(b).map_err(|e| unreadable(e.to_string())))?;
                let fields = fields_from_json(&before["fields"]).ok_or_else(|| unreadable("fields missing".into()))?;
                roster_store::update_member(tx, actor.org_id, member_id, &fields, now_millis()).await?;
                if let Some(status) = before["status"].as_str().filter(|s| *s != member.status) {
                    roster_store::set_member_status(
                        tx,
                        actor.org_id,
                        member_id,
                        Some(&member.status),
                        status,
                        &actor.label,
                        now_millis(),
                    )
                    .await?;
                }
                report.restored += 1;
            }
        }
        Ok(report)
    }
}

impl UndoReport {
    /// What the audit log keeps of an undo: its counts.
    pub(super) fn audit_details(&self) -> serde_json::Value {
        json!({"removed": self.removed, "restored": self.restored, "kept": self.kept.len()})
    }
}

fn fields_from_json(v: &serde_json::Value) -> Option<MemberFields> {
    let s = |k: &str| v[k].as_str().map(str::to_owned);
    Some(MemberFields {
        first_name: s("first_name")?,
        last_name: s("last_name")?,
        email: s("email")?,
        email_normalized: s("email_normalized")?,
        personal_id: s("personal_id")?,
        comment: s("comment")?,
        phone: s("phone")?,
        location: s("location")?,
        skills: s("skills")?,
        department: s("department")?,
        role: s("role")?,
        seat_type: s("seat_type"),
        external: v["external"].as_bool()?,
        custom_fields: v["custom_fields"].clone(),
    })
}

/// The uploaded file's delimiter, for a report that opens the way the file
/// did; a comma for workbooks.
fn report_delimiter(detected: &Detected) -> u8 {
    match detected.delimiter {
        Some(c @ (';' | '\t' | '|')) => c as u8,
        _ => b',',
    }
}
