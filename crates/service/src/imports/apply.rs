//! Applying an import: the job, in chunks that each commit.
//!
//! Every [`COMMIT_ROWS`] rows the import commits, with how far it got (the
//! import's mark), so other writes wait for one chunk at most, members
//! appear as their chunk commits and progress counts rows committed. A job
//! that runs again (its worker died, the server was killed) resumes after
//! the mark; the rows after it are planned against the organization as it
//! is then, and the first pass over the whole file has found every clash
//! between rows of the file. An import refused on the way — not enough
//! seats, or a row with an error when it is all or nothing — undoes the
//! chunks it committed, and its result says so.

use super::plan::{merged_fields, Planned, Planner};
use super::*;
use crate::ActorRef;
use roster_store::bulk::MemberChange;
use roster_store::{ImportMark, Tx};

/// SQLite's page cache while an import writes (see `begin_bulk_write`): room
/// for the hot index pages of a million-member organization within the
/// import's memory budget.
const IMPORT_PAGE_CACHE_MIB: i64 = 64;

/// Rows per committed chunk: at the import's pace on these machines, half a
/// second or less of SQLite's one writer, so another write waits no longer;
/// and few enough commits that their cost is lost in the rows'.
pub(super) const COMMIT_ROWS: usize = 10_000;

/// Why applying stopped before the end.
enum Stop {
    /// For a reason no other attempt would change: what was committed is undone.
    Refused(Refusal),
    /// An error another attempt may not meet (the database, a lost lease):
    /// the job is tried again and resumes after what was committed.
    Error(ServiceError),
}

impl From<ServiceError> for Stop {
    fn from(e: ServiceError) -> Self {
        Self::Error(e)
    }
}

impl From<roster_store::StoreError> for Stop {
    fn from(e: roster_store::StoreError) -> Self {
        Self::Error(e.into())
    }
}

enum Refusal {
    /// Someone asked the import to stop (`cancel_import`): who.
    Cancelled(String),
    Seats(SeatNeed),
    /// All or nothing, and rows have errors: each line the run planned,
    /// with its reason ("" for a good row, skipped).
    RowErrors {
        lines: Vec<(u64, String)>,
        errors: usize,
        rows: usize,
    },
}

impl Service {
    /// Asks an applying import to stop: its job stops before it commits
    /// another chunk and takes back the chunks it committed (members edited
    /// or signed in since are kept, as undo does). Returns at once; the
    /// import reads as cancelled when the job has stopped.
    pub async fn cancel_import(&self, can: Can<'_, Import>, id: i64) -> ServiceResult<ImportView> {
        let actor = can.actor();
        let mut tx = self.store().begin().await?;
        let import = import_in_org(&mut tx, actor.org_id, id).await?;
        if !roster_store::request_import_cancel(&mut tx, actor.org_id, id, &actor.label).await? {
            let why = match import.cancel_requested_by {
                Some(by) => format!("{by} has asked this import to stop already"),
                None => format!(
                    "only an import being applied can be cancelled; this one is {}",
                    import.status
                ),
            };
            return Err(ServiceError::conflict("import_not_applying", None, why));
        }
        record(&mut tx, actor, "import.cancel", "import", id, json!({})).await?;
        tx.commit().await?;
        ImportView::new(ImportRecord {
            cancel_requested_by: Some(actor.label.clone()),
            ..import
        })
    }
}

impl Service {
    /// The job: plans again (the organization may have changed since the
    /// preview) and applies every good row, chunk by chunk.
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
                .fail_import(
                    org_id,
                    id,
                    "who asked for it cannot be told, so nothing more was imported",
                )
                .await;
        };
        let actor = match self.current_actor(org.id, &who).await {
            Ok(actor) => actor,
            Err(ServiceError::Forbidden(why)) => return self.fail_import(org_id, id, &why).await,
            Err(e) => return JobOutcome::failed(e),
        };
        if !actor.permissions.contains(roster_domain::Permission::Import) {
            return self.fail_import(org_id, id, "the importer may no longer import").await;
        }
        // An import uploaded before tables were stored gets its table now,
        // before the first write transaction (on SQLite it would wait for itself).
        if let Err(e) = self.ensure_table_of(org_id, id).await {
            return JobOutcome::failed(e);
        }
        match self.apply_in_chunks(ctx, &actor, id).await {
            // (An import with rows refused is a result too: the report says
            // which rows and why.)
            Ok(summary) => JobOutcome::Done(summary.to_string()),
            Err(Stop::Refused(refusal)) => self.refuse_import(ctx, &actor, id, refusal).await,
            Err(Stop::Error(ServiceError::Invalid(e))) => self.fail_import(org_id, id, &e.message).await,
            Err(Stop::Error(e)) => JobOutcome::failed(e),
        }
    }

    /// Marks the import failed for a reason no other attempt would change,
    /// before (or without) its importer: chunks an earlier attempt committed
    /// are kept, and the import's undo takes them back.
    async fn fail_import(&self, org_id: i64, id: i64, why: &str) -> JobOutcome {
        let result = async {
            let mut tx = self.store().begin().await?;
            let committed = roster_store::import_by_id(&mut tx, org_id, id)
                .await?
                .map_or(0, |import| import.mark.rows);
            let summary = ImportSummary {
                committed: committed as u64,
                ..ImportSummary::failed(why)
            };
            set_import_state(
                &mut tx,
                id,
                ImportStatus::Failed,
                None,
                Some(&summary.stored()),
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

    /// Ends an import refused on the way: undoes the chunks it committed
    /// (keeping members edited or signed in since, as undo does) and marks
    /// it failed, in one transaction. A failure here leaves the import
    /// applying: the job runs again, meets the same refusal and undoes then.
    async fn refuse_import(&self, ctx: &JobContext, actor: &Actor, id: i64, refusal: Refusal) -> JobOutcome {
        let result = async {
            let mut tx = self.store().begin().await?;
            let import = import_in_org(&mut tx, actor.org_id, id).await?;
            let mark = import.mark;
            let undone = match mark.rows {
                0 => None,
                _ => Some(self.undo_rows(&mut tx, actor, id, mark.written_at.unwrap_or(0)).await?),
            };
            let mut status = ImportStatus::Failed;
            let (why, summary) = match refusal {
                Refusal::Cancelled(by) => {
                    status = ImportStatus::Cancelled;
                    let why = format!("cancelled by {by}");
                    (why.clone(), ImportSummary::failed(&why))
                }
                Refusal::Seats(need) => {
                    let free = match need.available {
                        1 => "1 is free".to_owned(),
                        n => format!("{n} are free"),
                    };
                    let why = format!(
                        "not enough seats: the rows need {} {} seats and {free}",
                        need.needed, need.label
                    );
                    (why.clone(), ImportSummary::failed(&why))
                }
                Refusal::RowErrors { lines, errors, rows } => {
                    // Every line of the file is in the report: those the
                    // committed chunks wrote become skipped (they are undone),
                    // the rest say why or that they were skipped.
                    roster_store::skip_import_rows(&mut tx, id).await?;
                    let report: Vec<ImportRowRecord> = lines
                        .into_iter()
                        .filter(|(line, _)| *line as i64 > mark.line)
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
                    roster_store::bulk::insert_import_rows(&mut tx, id, &report).await?;
                    let summary = ImportSummary {
                        rows: rows as u64,
                        error: errors as u64,
                        all_or_nothing: true,
                        ..ImportSummary::default()
                    };
                    (
                        format!("{errors} rows have errors and the import is all or nothing"),
                        summary,
                    )
                }
            };
            let summary = ImportSummary {
                committed: mark.rows as u64,
                undone: undone.as_ref().map(|u| UndoneRows {
                    removed: u.removed as u64,
                    restored: u.restored as u64,
                    kept: u.kept.len() as u64,
                }),
                ..summary
            }
            .stored();
            set_import_state(&mut tx, id, status, None, Some(&summary), None, now_millis()).await?;
            if let Some(undone) = &undone {
                let mut details = undone.audit_details();
                details["because"] = json!(why);
                record(&mut tx, actor, "import.undo", "import", id, details).await?;
            }
            ctx.fence(&mut tx)
                .await
                .map_err(|e| ServiceError::Internal(Box::new(e)))?;
            tx.commit().await?;
            Ok::<_, ServiceError>(why)
        }
        .await;
        match result {
            Ok(why) => JobOutcome::Refused(why),
            Err(e) => JobOutcome::failed(e),
        }
    }

    /// Plans the file chunk by chunk and writes each planned chunk, committing
    /// every [`COMMIT_ROWS`] rows; resumes after the import's mark.
    ///
    /// Where the store offers one (`begin_planning_beside_writer`), planning
    /// reads on a second connection, a snapshot taken again after each
    /// commit, and plans the next chunk while the one before is written. The
    /// plan never needs the import's own uncommitted rows: the first pass
    /// finds every clash between rows of the file. Otherwise planning goes in
    /// the writer's transaction.
    async fn apply_in_chunks(&self, ctx: &JobContext, actor: &Actor, id: i64) -> Result<serde_json::Value, Stop> {
        let (import, totals) = {
            let mut conn = self.store().conn().await?;
            let import = import_in_org(&mut conn, actor.org_id, id).await?;
            let totals = committed_totals(&mut conn, id).await?;
            (import, totals)
        };
        // A job that runs again after its last chunk was committed (its
        // worker died before marking the job done) finds the import
        // applied and stops there.
        if import.status != ImportStatus::Applying {
            return Ok(import.summary);
        }
        let options: ImportOptions = serde_json::from_value(import.options.clone())
            .map_err(|e| ServiceError::Internal(format!("the import's stored options are unreadable: {e}").into()))?;
        let mark = ImportMark {
            written_at: Some(import.mark.written_at.unwrap_or_else(now_millis)),
            ..import.mark
        };
        let mut read = self.store().begin_planning_beside_writer().await?;
        let started = std::time::Instant::now();
        let (mut planner, source, total) = match read.as_deref_mut() {
            Some(read) => Planner::new(self, read, actor, &import, options).await?,
            None => {
                let mut conn = self.store().conn().await?;
                Planner::new(self, &mut conn, actor, &import, options).await?
            }
        };
        let first_pass = started.elapsed();
        let mut planning = std::time::Duration::ZERO;
        let mut writer = ChunkWriter::new(ctx, actor, id, options, total, mark, totals);
        // Rows an earlier attempt committed are not planned again.
        let unseen = |mut rows: super::source::Rows| {
            rows.retain(|r| r.line as i64 > mark.line);
            rows
        };
        match read {
            Some(read) => {
                // One planned chunk waits while the one before it is written.
                let (planned_chunks, to_write) = tokio::sync::mpsc::channel::<ServiceResult<Vec<Planned>>>(1);
                let plan = async {
                    let mut read = read;
                    let mut since_snapshot = 0;
                    let mut stream = planner.stream(&source);
                    while let Some(rows) = stream.next().await {
                        let rows = unseen(rows);
                        if rows.is_empty() {
                            continue;
                        }
                        // A fresh snapshot now and then: it sees what other
                        // writers did meanwhile, and an old one would keep
                        // SQLite from checkpointing its log.
                        if since_snapshot >= COMMIT_ROWS {
                            read.rollback().await?;
                            read = self.store().begin_planning_beside_writer().await?.ok_or_else(|| {
                                ServiceError::Internal("the store stopped offering a planning snapshot".into())
                            })?;
                            since_snapshot = 0;
                        }
                        since_snapshot += rows.len();
                        let at = std::time::Instant::now();
                        let planned = planner.plan_chunk(&mut read, rows).await;
                        planning += at.elapsed();
                        let failed = planned.is_err();
                        // The writer stopped: so does planning.
                        if planned_chunks.send(planned).await.is_err() || failed {
                            break;
                        }
                    }
                    drop(planned_chunks);
                    read.rollback().await?;
                    stream.finish().await
                };
                let write = async {
                    // Owned here, so that a writer that stops closes the
                    // channel and the planner stops (instead of waiting to
                    // hand it a chunk).
                    let mut to_write = to_write;
                    while let Some(planned) = to_write.recv().await {
                        writer.take(self, planned?).await?;
                    }
                    Ok::<_, Stop>(())
                };
                let (planned, written) = tokio::join!(plan, write);
                written?;
                planned?;
            }
            None => {
                let mut stream = planner.stream(&source);
                while let Some(rows) = stream.next().await {
                    let rows = unseen(rows);
                    if rows.is_empty() {
                        continue;
                    }
                    let at = std::time::Instant::now();
                    let planned = planner.plan_chunk(writer.open(self).await?, rows).await?;
                    planning += at.elapsed();
                    writer.take(self, planned).await?;
                }
                stream.finish().await?;
            }
        }
        let writing = writer.writing;
        let summary = writer.finish(self).await?;
        // Where the time went, for whoever tunes imports (and the benchmark).
        tracing::info!(
            import = id,
            rows = total,
            resumed_after = mark.rows,
            first_pass_ms = first_pass.as_millis() as u64,
            planning_ms = planning.as_millis() as u64,
            writing_ms = writing.as_millis() as u64,
            total_ms = started.elapsed().as_millis() as u64,
            "import applied"
        );
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
        // The search index catches up after the import (between the
        // worker's jobs): the admin does not wait for it, and search is
        // exact meanwhile.
        let created_ids = roster_store::bulk::insert_members(
            tx,
            actor.org_id,
            &creates,
            MemberStatus::Added.as_str(),
            &actor.label,
            now,
            roster_store::bulk::SearchIndexing::Later,
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

/// The totals of the chunks an earlier attempt committed, from their report rows.
async fn committed_totals(conn: &mut Conn, id: i64) -> ServiceResult<Totals> {
    let mut totals = Totals::default();
    for (action, n) in roster_store::import_row_actions(conn, id).await? {
        let n = usize::try_from(n).unwrap_or(0);
        match RowAction::from_stored(&action)? {
            RowAction::Create => totals.create += n,
            RowAction::Update => totals.update += n,
            RowAction::Unchanged => totals.unchanged += n,
            RowAction::Error => totals.error += n,
            RowAction::Skipped => {}
        }
    }
    Ok(totals)
}

/// A chunk's transaction, filled until it holds [`COMMIT_ROWS`] rows.
struct OpenChunk {
    tx: Tx,
    rows: usize,
    last_line: u64,
}

/// Takes planned chunks and writes them, committing every [`COMMIT_ROWS`]
/// rows with the import's mark; counts what it did.
struct ChunkWriter<'a> {
    ctx: &'a JobContext,
    actor: &'a Actor,
    import_id: i64,
    options: ImportOptions,
    total: usize,
    /// What is committed, this attempt's chunks and those before.
    mark: ImportMark,
    open: Option<OpenChunk>,
    totals: Totals,
    /// All or nothing: each planned line with its reason, for the report if
    /// a row has an error; from the first error on nothing more is written.
    lines: Vec<(u64, String)>,
    /// Rows written, and when the statistics were last refreshed: each
    /// time the import has doubled what it wrote since (see
    /// `refresh_statistics`).
    written: usize,
    analyzed_at: usize,
    writing: std::time::Duration,
}

impl<'a> ChunkWriter<'a> {
    fn new(
        ctx: &'a JobContext,
        actor: &'a Actor,
        import_id: i64,
        options: ImportOptions,
        total: usize,
        mark: ImportMark,
        committed: Totals,
    ) -> Self {
        ctx.live_progress(mark.rows, Some(total as i64));
        Self {
            ctx,
            actor,
            import_id,
            options,
            total,
            mark,
            open: None,
            totals: Totals {
                rows: total,
                ..committed
            },
            lines: Vec::new(),
            written: 0,
            analyzed_at: 5_000,
            writing: std::time::Duration::ZERO,
        }
    }

    fn stamp(&self) -> i64 {
        self.mark.written_at.unwrap_or(0)
    }

    /// The open chunk's transaction, begun if none is.
    async fn open(&mut self, service: &Service) -> ServiceResult<&mut Tx> {
        Ok(&mut Self::open_in(&mut self.open, service).await?.tx)
    }

    /// The chunk in `slot`, begun if there is none (a function of the field
    /// alone, so the writer's counts can be borrowed beside it).
    async fn open_in<'s>(slot: &'s mut Option<OpenChunk>, service: &Service) -> ServiceResult<&'s mut OpenChunk> {
        let chunk = match slot.take() {
            Some(chunk) => chunk,
            None => {
                let mut tx = service.store().begin().await?;
                roster_store::bulk::begin_bulk_write(&mut tx, IMPORT_PAGE_CACHE_MIB).await?;
                OpenChunk {
                    tx,
                    rows: 0,
                    last_line: 0,
                }
            }
        };
        Ok(slot.insert(chunk))
    }

    async fn take(&mut self, service: &Service, planned: Vec<Planned>) -> Result<(), Stop> {
        if self.options.all_or_nothing {
            self.lines
                .extend(planned.iter().map(|p| (p.preview.line, p.preview.reason())));
            self.totals.error += planned.iter().filter(|p| p.preview.action == RowAction::Error).count();
            if self.totals.error > 0 {
                // Nothing more is written; what this chunk holds is dropped
                // with its transaction, what is committed is undone at the end.
                if let Some(open) = self.open.take() {
                    open.tx.rollback().await?;
                }
                return Ok(());
            }
        }
        let org_id = self.actor.org_id;
        let (import_id, now, actor) = (self.import_id, self.stamp(), self.actor);
        let open = Self::open_in(&mut self.open, service).await?;
        let tx = &mut open.tx;
        // Seats are checked before the rows that take them are written, against
        // the organization as it is now (with the chunks before it).
        let mut needed = HashMap::new();
        Planned::tally_seats(&planned, &mut needed);
        if !needed.is_empty() {
            if let Some(need) = service.seat_shortfall(tx, org_id, &needed).await?.into_iter().next() {
                if let Some(open) = self.open.take() {
                    open.tx.rollback().await?;
                }
                return Err(Stop::Refused(Refusal::Seats(need)));
            }
        }
        let at = std::time::Instant::now();
        service
            .write_chunk(tx, actor, import_id, &planned, now, &mut self.totals)
            .await?;
        self.writing += at.elapsed();
        self.written += planned.len();
        if self.written >= 2 * self.analyzed_at {
            roster_store::bulk::refresh_statistics(tx).await?;
            self.analyzed_at = self.written;
        }
        open.rows += planned.len();
        if let Some(last) = planned.last() {
            open.last_line = last.preview.line;
        }
        if open.rows >= COMMIT_ROWS {
            self.commit().await?;
        }
        Ok(())
    }

    /// Commits the open chunk with the import's mark and the job's progress,
    /// if the job's lease is still this worker's.
    async fn commit(&mut self) -> Result<(), Stop> {
        let Some(OpenChunk {
            mut tx,
            rows,
            last_line,
        }) = self.open.take()
        else {
            return Ok(());
        };
        // Asked to stop: this chunk is dropped, the committed ones undone.
        if let Some(by) = roster_store::import_cancel_requested(&mut tx, self.import_id).await? {
            tx.rollback().await?;
            return Err(Stop::Refused(Refusal::Cancelled(by)));
        }
        let mark = ImportMark {
            // (The last, closing transaction may hold no rows.)
            line: (last_line as i64).max(self.mark.line),
            rows: self.mark.rows + rows as i64,
            written_at: self.mark.written_at,
        };
        roster_store::set_import_mark(&mut tx, self.import_id, mark).await?;
        self.ctx
            .fence_with_progress(&mut tx, mark.rows, Some(self.total as i64))
            .await
            .map_err(|e| ServiceError::Internal(Box::new(e)))?;
        roster_store::bulk::end_bulk_write(&mut tx).await?;
        tx.commit().await?;
        self.mark = mark;
        self.ctx.live_progress(mark.rows, Some(self.total as i64));
        Ok(())
    }

    /// Commits the last chunk with the import marked applied; or, all or
    /// nothing with rows in error, stops for them.
    async fn finish(mut self, service: &Service) -> Result<serde_json::Value, Stop> {
        if self.options.all_or_nothing && self.totals.error > 0 {
            return Err(Stop::Refused(Refusal::RowErrors {
                lines: std::mem::take(&mut self.lines),
                errors: self.totals.error,
                rows: self.total,
            }));
        }
        let totals = &self.totals;
        let summary = ImportSummary {
            rows: totals.rows as u64,
            created: totals.create as u64,
            updated: totals.update as u64,
            unchanged: totals.unchanged as u64,
            error: totals.error as u64,
            ..ImportSummary::default()
        }
        .stored();
        let (import_id, actor) = (self.import_id, self.actor);
        let tx = self.open(service).await?;
        set_import_state(
            tx,
            import_id,
            ImportStatus::Applied,
            None,
            Some(&summary),
            None,
            now_millis(),
        )
        .await?;
        record(tx, actor, "import.applied", "import", import_id, summary.clone()).await?;
        self.commit().await?;
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
