//! Applying an import: the job, in one transaction.

use super::plan::merged_fields;
use super::*;

impl Service {
    /// The job: plans again (the organization may have changed since the
    /// preview) and applies every good row in one transaction, so a crash
    /// leaves none of the import or all of it.
    pub(super) async fn run_import_job(&self, ctx: &JobContext) -> Result<String, String> {
        let payload: serde_json::Value = serde_json::from_str(&ctx.job.payload).map_err(|e| e.to_string())?;
        let id = payload["import_id"].as_i64().ok_or("no import_id")?;
        let org_id = ctx.job.org_id.ok_or("no organization")?;
        let mut conn = self.store().conn().await.map_err(|e| e.to_string())?;
        let org = org_by_id(&mut conn, org_id)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("organization gone")?;
        drop(conn);
        // The importer acts with the rights they have now, not when they asked.
        let mut actor = Actor::system(org.id, &org.slug);
        actor.label = payload["actor"].as_str().unwrap_or("import").to_owned();
        if let Some(member) = payload["member_id"].as_i64() {
            let mut conn = self.store().conn().await.map_err(|e| e.to_string())?;
            let m = member_by_id(&mut conn, org_id, member)
                .await
                .map_err(|e| e.to_string())?;
            let role = m
                .filter(|m| m.status != "removed")
                .and_then(|m| Role::parse(&m.role).ok());
            let Some(role) = role else {
                return self.fail_import(id, "the importer is no longer a member").await;
            };
            actor.permissions = self
                .permissions_of(&mut conn, org_id, &role)
                .await
                .map_err(|e| e.to_string())?;
            actor.role = role;
            actor.member_id = Some(member);
        } else if let Some(role) = payload["role"].as_str().and_then(|r| Role::parse(r).ok()) {
            let mut conn = self.store().conn().await.map_err(|e| e.to_string())?;
            actor.permissions = self
                .permissions_of(&mut conn, org_id, &role)
                .await
                .map_err(|e| e.to_string())?;
            actor.role = role;
        }
        if !actor.permissions.contains(roster_domain::Permission::Import) {
            return self.fail_import(id, "the importer may no longer import").await;
        }
        match self.apply_in_tx(ctx, &actor, id).await {
            Ok(summary) => Ok(summary.to_string()),
            Err(ServiceError::Invalid(e)) => self.fail_import(id, &e.message).await,
            Err(ServiceError::SeatShortfall { .. }) => self.fail_import(id, "not enough seats").await,
            Err(e) => Err(e.to_string()),
        }
    }

    async fn fail_import(&self, id: i64, why: &str) -> Result<String, String> {
        let result = async {
            let mut tx = self.store().begin().await?;
            set_import_state(
                &mut tx,
                id,
                "failed",
                None,
                Some(&json!({"error": why})),
                None,
                now_millis(),
            )
            .await?;
            tx.commit().await?;
            Ok::<_, ServiceError>(())
        }
        .await;
        result.map_err(|e| e.to_string())?;
        Ok(json!({"failed": why}).to_string())
    }

    async fn apply_in_tx(&self, ctx: &JobContext, actor: &Actor, id: i64) -> ServiceResult<serde_json::Value> {
        let mut tx = self.store().begin().await?;
        let import = import_by_id(&mut tx, actor.org_id, id)
            .await?
            .ok_or(ServiceError::NotFound("import"))?;
        // A job that runs again after its work was committed (its worker died
        // before marking it done) finds the import applied and stops there.
        if import.status != "applying" {
            return Ok(import.summary);
        }
        let options: ImportOptions = serde_json::from_value(import.options.clone()).unwrap_or_default();
        let (_detected, _table, _mapping, planned) = self.plan(&mut tx, actor, &import, options).await?;
        let shortfall = self.seat_needs(&mut tx, actor.org_id, &planned).await?;
        if let Some(s) = shortfall.first() {
            return Err(ServiceError::SeatShortfall {
                seat_type: s.seat_type.clone(),
                needed: s.needed,
                available: s.available,
                shortfall: s.shortfall,
            });
        }
        let errors = planned.iter().filter(|p| p.preview.action == "error").count();
        let mut totals = Totals {
            rows: planned.len(),
            ..Default::default()
        };
        if options.all_or_nothing && errors > 0 {
            drop(tx);
            let mut tx = self.store().begin().await?;
            let summary = json!({"rows": planned.len(), "error": errors, "created": 0, "updated": 0, "unchanged": 0, "all_or_nothing": true});
            let rows: Vec<ImportRowRecord> = planned
                .iter()
                .map(|p| {
                    let reason = p
                        .preview
                        .errors
                        .iter()
                        .map(|e| format!("{}: {}", e.field, e.message))
                        .collect::<Vec<_>>()
                        .join("; ");
                    let action = if p.preview.action == "error" {
                        "error"
                    } else {
                        "skipped"
                    };
                    ImportRowRecord {
                        line: p.preview.line as i64,
                        action: action.into(),
                        member_id: None,
                        reason,
                        before: None,
                    }
                })
                .collect();
            roster_store::bulk::insert_import_rows(&mut tx, id, &rows).await?;
            set_import_state(&mut tx, id, "failed", None, Some(&summary), None, now_millis()).await?;
            tx.commit().await?;
            return Ok(summary);
        }
        let now = now_millis();
        // New members go in a statement per chunk of rows; their ids come back by e-mail.
        let creates: Vec<MemberFields> = planned
            .iter()
            .filter(|p| p.preview.action == "create")
            .filter_map(|p| p.member.as_ref().map(|m| merged_fields(None, m)))
            .collect();
        let created_ids = roster_store::bulk::insert_members(
            &mut tx,
            actor.org_id,
            &creates,
            MemberStatus::Added.as_str(),
            &actor.label,
            now,
        )
        .await?;
        let mut rows = Vec::with_capacity(planned.len());
        let mut team_pairs = Vec::new();
        for p in &planned {
            // The report says what happened: created, updated, unchanged or error.
            let done = match p.preview.action {
                "create" => "created",
                "update" => "updated",
                other => other,
            };
            let mut row = ImportRowRecord {
                line: p.preview.line as i64,
                action: done.into(),
                member_id: p.preview.member_id,
                reason: String::new(),
                before: None,
            };
            match (p.preview.action, &p.member) {
                ("create", Some(m)) => {
                    row.member_id = created_ids.get(&m.email_normalized).copied();
                    totals.create += 1;
                }
                ("update", Some(m)) => {
                    let Some(existing) = &p.existing else { continue };
                    let fields = merged_fields(Some(existing), m);
                    row.before =
                        Some(json!({"fields": fields_json(&existing.fields()), "status": existing.status}).to_string());
                    roster_store::update_member(&mut tx, actor.org_id, existing.id, &fields, now).await?;
                    if existing.status == MemberStatus::Removed.as_str() {
                        let to = MemberStatus::Removed.apply(roster_domain::StatusTransition::Restore)?;
                        roster_store::set_member_status(
                            &mut tx,
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
                ("unchanged", _) => totals.unchanged += 1,
                _ => {
                    row.reason = p
                        .preview
                        .errors
                        .iter()
                        .map(|e| format!("{}: {}", e.field, e.message))
                        .collect::<Vec<_>>()
                        .join("; ");
                    totals.error += 1;
                }
            }
            if let (Some(team), Some(member), false) = (p.team_id, row.member_id, row.action == "error") {
                team_pairs.push((team, member));
            }
            if let (Some(division), Some(member), false) = (p.division_id, row.member_id, row.action == "error") {
                roster_store::add_division_admin(&mut tx, actor.org_id, division, member).await?;
            }
            rows.push(row);
        }
        roster_store::bulk::add_team_members(&mut tx, actor.org_id, &team_pairs).await?;
        roster_store::bulk::insert_import_rows(&mut tx, id, &rows).await?;
        let summary = json!({"rows": totals.rows, "created": totals.create, "updated": totals.update, "unchanged": totals.unchanged, "error": totals.error});
        set_import_state(&mut tx, id, "applied", None, Some(&summary), None, now_millis()).await?;
        record(&mut tx, actor, "import.applied", "import", id, summary.clone()).await?;
        ctx.fence(&mut tx)
            .await
            .map_err(|e| ServiceError::Internal(Box::new(e)))?;
        tx.commit().await?;
        Ok(summary)
    }
}

pub(super) fn fields_json(f: &MemberFields) -> serde_json::Value {
    json!({
        "first_name": f.first_name, "last_name": f.last_name, "email": f.email, "email_normalized": f.email_normalized,
        "personal_id": f.personal_id, "comment": f.comment, "phone": f.phone, "location": f.location, "skills": f.skills,
        "department": f.department, "role": f.role, "seat_type": f.seat_type, "external": f.external, "custom_fields": f.custom_fields,
    })
}
