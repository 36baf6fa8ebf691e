//! Applying an import: the job, in one transaction.

use super::plan::{merged_fields, Planned, Planner};
use super::*;
use crate::ActorRef;
use roster_store::bulk::MemberChange;

/// SQLite's page cache while an import writes (see `begin_bulk_write`): room
/// for the hot index pages of a million-member organization within the
/// import's memory budget.
const IMPORT_PAGE_CACHE_MIB: i64 = 64;

impl Service {
    /// The job: plans again (the organization may have changed since the
    /// preview) and applies every good row in one transaction, so a crash
    /// leaves none of the import or all of it.
    pub(super) async fn run_import_job(&self, ctx: &JobContext) -> JobOutcome {
        let payload: serde_json::Value = serde_json::from_str(&ctx.job.payload).unwrap_or_default();
        let (Some(id), Some(org_id)) = (payload["import_id"].as_i64(), ctx.job.org_id) else {
            return JobOutcome::Refused("the job names no import of an organization".into());
        };
        let org = async {
            let mut conn = self.store().conn().await?;
            org_by_id(&mut conn, org_id).await
        }
        .await;
        let org = match org {
            Ok(Some(org)) => org,
            Ok(None) => return JobOutcome::Refused("the organization is gone".into()),
            Err(e) => return JobOutcome::failed(e),
        };
        // The importer acts with the rights they have now, not when they
        // asked; one who is gone (or cannot be read) fails the job closed.
        let who = match &payload["actor"] {
            // Jobs queued before actors were stored by reference carry the label.
            serde_json::Value::String(label) => ActorRef::from_label(label),
            other => serde_json::from_value::<ActorRef>(other.clone()).ok(),
        };
        let Some(who) = who else {
            return self
                .fail_import(id, "who asked for it cannot be told, so nothing was imported")
                .await;
        };
        let actor = match self.current_actor(org.id, &who).await {
            Ok(actor) => actor,
            Err(ServiceError::Forbidden(why)) => return self.fail_import(id, &why).await,
            Err(e) => return JobOutcome::failed(e),
        };
        if !actor.permissions.contains(roster_domain::Permission::Import) {
            return self.fail_import(id, "the importer may no longer import").await;
        }
        // An import uploaded before tables were stored gets its table now,
        // before the write transaction (on SQLite it would wait for itself).
        if let Err(e) = self.ensure_table_of(org_id, id).await {
            return JobOutcome::failed(e);
        }
        match self.apply_in_tx(ctx, &actor, id).await {
            // (An import refused for its rows is a result too: the report
            // says which rows and why.)
            Ok(summary) => JobOutcome::Done(summary.to_string()),
            Err(ServiceError::Invalid(e)) => self.fail_import(id, &e.message).await,
            Err(ServiceError::SeatShortfall { .. }) => self.fail_import(id, "not enough seats").await,
            Err(e) => JobOutcome::failed(e),
        }
    }

    /// Marks the import failed for a reason no other attempt would change.
    async fn fail_import(&self, id: i64, why: &str) -> JobOutcome {
        let result = async {
            let mut tx = self.store().begin().await?;
            set_import_state(
                &mut tx,
                id,
                ImportStatus::Failed,
                None,
                Some(&ImportSummary::failed(why).stored()),
                None,
                now_millis(),
            )
            .await?;
            tx.commit().await?;
            Ok::<_, ServiceError>(())
        }
        .await;
        match result {
            Ok(()) => JobOutcome::Refused(why.to_owned()),
            Err(e) => JobOutcome::failed(e),
        }
    }

    /// Plans the file chunk by chunk and writes each planned chunk, in one
    /// write transaction.
    ///
    /// Where the store offers one (`begin_planning_beside_writer`), planning
    /// reads on a second connection, a snapshot of what the import writes
    /// over, and plans the next chunk while the one before is written. The
    /// plan never needs the import's own uncommitted rows: the first pass
    /// finds every clash between rows of the file. Otherwise planning stays
    /// in the write transaction.
    async fn apply_in_tx(&self, ctx: &JobContext, actor: &Actor, id: i64) -> ServiceResult<serde_json::Value> {
        let mut tx = self.store().begin().await?;
        let import = import_in_org(&mut tx, actor.org_id, id).await?;
        // A job that runs again after its work was committed (its worker died
        // before marking it done) finds the import applied and stops there.
        if import.status != ImportStatus::Applying {
            return Ok(import.summary);
        }
        let options: ImportOptions = serde_json::from_value(import.options.clone())
            .map_err(|e| ServiceError::Internal(format!("the import's stored options are unreadable: {e}").into()))?;
        roster_store::bulk::begin_bulk_write(&mut tx, IMPORT_PAGE_CACHE_MIB).await?;
        let mut read = self.store().begin_planning_beside_writer().await?;
        let started = std::time::Instant::now();
        let (mut planner, source, total) = {
            let conn = read.as_deref_mut().unwrap_or(&mut tx);
            Planner::new(self, conn, actor, &import, options).await?
        };
        let first_pass = started.elapsed();
        let mut planning = std::time::Duration::ZERO;
        let mut writer = ChunkWriter::new(ctx, actor, id, options, total);
        match read.as_deref_mut() {
            Some(read) => {
                // One planned chunk waits while the one before it is written.
                let (planned_chunks, to_write) = tokio::sync::mpsc::channel::<ServiceResult<Vec<Planned>>>(1);
                let plan = async {
                    let mut stream = planner.stream(&source);
                    while let Some(rows) = stream.next().await {
                        let at = std::time::Instant::now();
                        let planned = planner.plan_chunk(read, rows).await;
                        planning += at.elapsed();
                        let failed = planned.is_err();
                        // The writer stopped (it failed): so does planning.
                        if planned_chunks.send(planned).await.is_err() || failed {
                            break;
                        }
                    }
                    drop(planned_chunks);
                    stream.finish().await
                };
                let write = async {
                    // Owned here, so that a writer that fails closes the
                    // channel and the planner stops (instead of waiting to
                    // hand it a chunk).
                    let mut to_write = to_write;
                    while let Some(planned) = to_write.recv().await {
                        writer.take(self, &mut tx, planned?).await?;
                    }
                    Ok::<_, ServiceError>(())
                };
                let (planned, written) = tokio::join!(plan, write);
                written?;
                planned?;
            }
            None => {
                let mut stream = planner.stream(&source);
                while let Some(rows) = stream.next().await {
                    let at = std::time::Instant::now();
                    let planned = planner.plan_chunk(&mut tx, rows).await?;
                    planning += at.elapsed();
                    writer.take(self, &mut tx, planned).await?;
                }
                stream.finish().await?;
            }
        }
        if let Some(read) = read {
            read.rollback().await?;
        }
        let ChunkWriter {
            totals,
            seats,
            refused,
            writing,
            ..
        } = writer;
        if let Some(s) = self.seat_shortfall(&mut tx, actor.org_id, &seats).await?.first() {
            return Err(ServiceError::SeatShortfall {
                seat_type: s.seat_type.as_str().to_owned(),
                needed: s.needed,
                available: s.available,
                shortfall: s.shortfall,
            });
        }
        if options.all_or_nothing && totals.error > 0 {
            drop(tx);
            let mut tx = self.store().begin().await?;
            let summary = ImportSummary {
                rows: total as u64,
                error: totals.error as u64,
                all_or_nothing: true,
                ..ImportSummary::default()
            }
            .stored();
            let rows: Vec<ImportRowRecord> = refused
                .into_iter()
                .map(|(line, reason)| ImportRowRecord {
                    line: line as i64,
                    action: if reason.is_empty() {
                        RowAction::Skipped
                    } else {
                        RowAction::Error
                    }
                    .stored()
                    .into(),
                    member_id: None,
                    reason,
                    before: None,
                })
                .collect();
            roster_store::bulk::insert_import_rows(&mut tx, id, &rows).await?;
            set_import_state(
                &mut tx,
                id,
                ImportStatus::Failed,
                None,
                Some(&summary),
                None,
                now_millis(),
            )
            .await?;
            tx.commit().await?;
            return Ok(summary);
        }
        let summary = ImportSummary {
            rows: totals.rows as u64,
            created: totals.create as u64,
            updated: totals.update as u64,
            unchanged: totals.unchanged as u64,
            error: totals.error as u64,
            ..ImportSummary::default()
        }
        .stored();
        set_import_state(
            &mut tx,
            id,
            ImportStatus::Applied,
            None,
            Some(&summary),
            None,
            now_millis(),
        )
        .await?;
        record(&mut tx, actor, "import.applied", "import", id, summary.clone()).await?;
        ctx.fence(&mut tx)
            .await
            .map_err(|e| ServiceError::Internal(Box::new(e)))?;
        roster_store::bulk::end_bulk_write(&mut tx).await?;
        let at = std::time::Instant::now();
        tx.commit().await?;
        // Where the time went, for whoever tunes imports (and the benchmark).
        tracing::info!(
            import = id,
            rows = total,
            first_pass_ms = first_pass.as_millis() as u64,
            planning_ms = planning.as_millis() as u64,
            writing_ms = writing.as_millis() as u64,
            commit_ms = at.elapsed().as_millis() as u64,
            total_ms = started.elapsed().as_millis() as u64,
            "import applied"
        );
        // Now the job row can be written on SQLite too: all rows done. (The
        // import has committed: a lease lost now changes nothing.)
        let _ = ctx.progress(total as i64, Some(total as i64)).await;
        Ok(summary)
    }

    /// Writes one planned chunk: new members and updates in multi-row
    /// statements (updates set only the columns that change), then team places,
    /// division admins and the report's rows.
    async fn write_chunk(
        &self,
        tx: &mut Conn,
        actor: &Actor,
        import_id: i64,
        planned: &[Planned],
        now: i64,
        totals: &mut Totals,
    ) -> ServiceResult<()> {
        let creates: Vec<MemberFields> = planned
            .iter()
            .filter(|p| p.preview.action == RowAction::Create)
            .filter_map(|p| p.member.as_ref().map(|m| merged_fields(None, m)))
            .collect();
        let created_ids = roster_store::bulk::insert_members(
            tx,
            actor.org_id,
            &creates,
            MemberStatus::Added.as_str(),
            &actor.label,
            now,
        )
        .await?;
        let mut rows = Vec::with_capacity(planned.len());
        let mut team_pairs = Vec::new();
        let mut updates = Vec::new();
        for p in planned {
            // The report says what happened: created, updated, unchanged or error.
            let mut row = ImportRowRecord {
                line: p.preview.line as i64,
                action: p.preview.action.stored().into(),
                member_id: p.preview.member_id,
                reason: String::new(),
                before: None,
            };
            match (p.preview.action, &p.member) {
                (RowAction::Create, Some(m)) => {
                    row.member_id = created_ids.get(&m.email_normalized).copied();
                    totals.create += 1;
                }
                (RowAction::Update, Some(m)) => {
                    let Some(existing) = &p.existing else { continue };
                    let before = existing.fields();
                    row.before = Some(json!({"fields": fields_json(&before), "status": existing.status}).to_string());
                    // A member of another company keeps their profile: the
                    // row restores the membership only (HOSTILE 10).
                    if !existing.external {
                        updates.push((existing.id, before, merged_fields(Some(existing), m)));
                    }
                    if existing.status == MemberStatus::Removed.as_str() {
                        let to = MemberStatus::Removed.apply(roster_domain::StatusTransition::Restore)?;
                        roster_store::set_member_status(
                            tx,
                            actor.org_id,
                            existing.id,
                            Some(&existing.status),
                            to.as_str(),
                            &actor.label,
                            now,
                        )
                        .await?;
                    }
                    totals.update += 1;
                }
                (RowAction::Unchanged, _) => totals.unchanged += 1,
                _ => {
                    row.reason = p.preview.reason();
                    totals.error += 1;
                }
            }
            let failed = p.preview.action == RowAction::Error;
            if let (Some(team), Some(member), false) = (p.team_id, row.member_id, failed) {
                team_pairs.push((team, member));
            }
            if let (Some(division), Some(member), false) = (p.division_id, row.member_id, failed) {
                roster_store::add_division_admin(tx, actor.org_id, division, member).await?;
            }
            rows.push(row);
        }
        let changes: Vec<MemberChange<'_>> = updates
            .iter()
            .map(|(id, before, after)| MemberChange { id: *id, before, after })
            .collect();
        roster_store::bulk::update_members(tx, actor.org_id, &changes, now).await?;
        roster_store::bulk::add_team_members(tx, actor.org_id, &team_pairs).await?;
        roster_store::bulk::insert_import_rows(tx, import_id, &rows).await?;
        Ok(())
    }
}

/// Takes planned chunks and writes them into the import's transaction,
/// counting what it did.
struct ChunkWriter<'a> {
    actor: &'a Actor,
    import_id: i64,
    options: ImportOptions,
    now: i64,
    progress: Progress<'a>,
    totals: Totals,
    /// Seats the rows take, for the check before commit.
    seats: HashMap<&'static str, i64>,
    /// All or nothing: after the first bad row nothing more is written
    /// (the transaction is rolled back); the lines are kept for the report.
    refused: Vec<(u64, String)>,
    /// Rows written, and when the statistics were last refreshed: each
    /// time the import has doubled what it wrote since (see
    /// `refresh_statistics`).
    written: usize,
    analyzed_at: usize,
    writing: std::time::Duration,
}

impl<'a> ChunkWriter<'a> {
    fn new(ctx: &'a JobContext, actor: &'a Actor, import_id: i64, options: ImportOptions, total: usize) -> Self {
        Self {
            actor,
            import_id,
            options,
            now: now_millis(),
            progress: Progress::new(ctx, total),
            totals: Totals {
                rows: total,
                ..Default::default()
            },
            seats: HashMap::new(),
            refused: Vec::new(),
            written: 0,
            analyzed_at: 5_000,
            writing: std::time::Duration::ZERO,
        }
    }

    async fn take(&mut self, service: &Service, tx: &mut Conn, planned: Vec<Planned>) -> ServiceResult<()> {
        Planned::tally_seats(&planned, &mut self.seats);
        if self.options.all_or_nothing {
            self.refused
                .extend(planned.iter().map(|p| (p.preview.line, p.preview.reason())));
            self.totals.error += planned.iter().filter(|p| p.preview.action == RowAction::Error).count();
        }
        if self.totals.error == 0 || !self.options.all_or_nothing {
            let at = std::time::Instant::now();
            service
                .write_chunk(tx, self.actor, self.import_id, &planned, self.now, &mut self.totals)
                .await?;
            self.writing += at.elapsed();
            self.written += planned.len();
            if self.written >= 2 * self.analyzed_at {
                roster_store::bulk::refresh_statistics(tx).await?;
                self.analyzed_at = self.written;
            }
        }
        self.progress.advance(planned.len()).await;
        Ok(())
    }
}

/// Progress of the apply: shown live from memory in this process (on SQLite
/// the import's transaction holds the only write lock, so the job row cannot
/// be written); on PostgreSQL also written to the job row every two seconds,
/// for the consoles of other processes.
struct Progress<'a> {
    ctx: &'a JobContext,
    done: usize,
    total: usize,
    written_at: std::time::Instant,
}

impl<'a> Progress<'a> {
    fn new(ctx: &'a JobContext, total: usize) -> Self {
        ctx.live_progress(0, Some(total as i64));
        Self {
            ctx,
            done: 0,
            total,
            written_at: std::time::Instant::now(),
        }
    }

    async fn advance(&mut self, rows: usize) {
        self.done += rows;
        let (done, total) = (self.done as i64, Some(self.total as i64));
        self.ctx.live_progress(done, total);
        let shared = self.ctx.service.store().writes_beside_a_long_write();
        if shared && self.written_at.elapsed() >= std::time::Duration::from_secs(2) {
            self.written_at = std::time::Instant::now();
            // A lost lease shows at the fence before commit.
            let _ = self.ctx.progress(done, total).await;
        }
    }
}

pub(super) fn fields_json(f: &MemberFields) -> serde_json::Value {
    json!({
        "first_name": f.first_name, "last_name": f.last_name, "email": f.email, "email_normalized": f.email_normalized,
        "personal_id": f.personal_id, "comment": f.comment, "phone": f.phone, "location": f.location, "skills": f.skills,
        "department": f.department, "role": f.role, "seat_type": f.seat_type, "external": f.external, "custom_fields": f.custom_fields,
    })
}
