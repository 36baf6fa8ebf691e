//! Bulk import of members: upload → detect → map → validate → preview →
//! apply (a job) → report → undo. The file work is `roster_bulk`; the rules
//! that need the organization (existing members, teams, roles, seats) live here:
//! `plan` checks every row, `apply` is the job, `report` the report and undo,
//! `saved` the saved mappings; this file holds the types and the entry points.

pub(crate) mod spooled;
pub(crate) mod uploads;

use std::collections::HashMap;

use roster_bulk::{auto_map, validate_row, FieldDef, ImportedMember, RowError};
pub use roster_bulk::{ColumnMapping, Detected, Mapping, Target, TextEncoding};
use roster_domain::{now_millis, CustomFieldKind, MemberStatus, Role, SeatType, Timestamp};
use roster_store::{
    custom_fields, import_by_id, import_rows, insert_import, list_imports, member_by_id, org_by_id,
    set_import_detected, set_import_mapping, set_import_state, team_by_key, Conn, ImportPart, ImportRecord,
    ImportRowRecord, MemberFields, MemberRecord,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::jobs::{JobContext, JobFuture, JobOutcome, Worker};
use crate::orgs::audit::record;
use crate::{Actor, Can, Import, Service, ServiceError, ServiceResult};

mod apply;
mod labels;
mod plan;
mod report;
mod saved;
mod snapshots;
mod source;
mod view;

use plan::{Planned, Planner};
pub use saved::SavedTarget;
pub(crate) use snapshots::PlanSnapshots;
use snapshots::{PlanKey, PlanSnapshot, Planning};
use std::sync::atomic::Ordering;
use std::sync::Arc;
pub use view::{ImportStatus, ImportSummary, ImportView, RowAction, UndoneRows};

pub const IMPORT_JOB: &str = "import.apply";

/// What to do with members who exist already, and whether one bad row stops all.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Existing {
    #[default]
    Update,
    Skip,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportOptions {
    #[serde(default)]
    pub existing: Existing,
    #[serde(default)]
    pub all_or_nothing: bool,
}

/// Which report to write.
#[derive(Debug, Clone, Copy)]
pub struct ReportRequest {
    pub format: ReportFormat,
    /// Before the import is applied, the options of the preview the report
    /// goes with; once applied, they play no part.
    pub options: ImportOptions,
    /// Only the rows with errors: the file to fix and upload again.
    pub failed_only: bool,
}

/// A row applying did not take, and why.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct FailedRow {
    pub line: i64,
    pub reason: String,
}

/// The report's file type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    Csv,
    Xlsx,
}

/// One row of a preview: what applying would do, or why it cannot.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct RowPreview {
    pub line: u64,
    /// create, update, unchanged or error.
    pub action: RowAction,
    pub member_id: Option<i64>,
    pub email: String,
    /// The first and last name split from a whole-name column, to check.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub split_name: Option<SplitName>,
    pub errors: Vec<RowError>,
}

/// A whole name as the import splits it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct SplitName {
    pub first_name: String,
    pub last_name: String,
}

impl RowPreview {
    /// The row's errors as one reason, as the report and the command line
    /// give it: each under the file's own column header (what the admin
    /// sees in their file), or the field where no column holds it (a file
    /// without an e-mail column).
    pub fn reason(&self) -> String {
        self.errors
            .iter()
            .map(|e| {
                let name = if e.column.is_empty() { &e.field } else { &e.column };
                format!("{name}: {}", e.message)
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
pub struct Totals {
    pub rows: usize,
    pub create: usize,
    pub update: usize,
    pub unchanged: usize,
    pub error: usize,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct SeatNeed {
    pub seat_type: SeatType,
    /// The seat type as the organization names it.
    pub label: String,
    pub needed: i64,
    pub available: i64,
    pub shortfall: i64,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Preview {
    pub import_id: i64,
    pub detected: Detected,
    pub mapping: Mapping,
    pub unmapped: Vec<String>,
    pub totals: Totals,
    pub seat_shortfall: Vec<SeatNeed>,
    /// When the file was checked against the organization: pages of one
    /// preview come from one planning, made again as soon as anything in
    /// the organization changes.
    pub planned_at: Timestamp,
    /// The rows of `page`.
    pub rows: Vec<RowPreview>,
    pub page: PreviewPage,
}

/// Which rows of a preview `rows` holds: a file may have 150,000 of them.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PreviewPage {
    pub offset: usize,
    pub limit: usize,
    pub errors_only: bool,
    /// Rows that pass the filter, in all.
    pub matching: usize,
    /// Where the next page starts, if there is one.
    pub next_offset: Option<usize>,
    /// Where the page before this one starts, if this is not the first.
    pub previous_offset: Option<usize>,
}

/// A preview, or how far planning the file has come (rows planned of all
/// rows; 0 of 0 until the rows are counted).
#[derive(Debug)]
pub enum PreviewOrProgress {
    Preview(Box<Preview>),
    Planning { done: usize, total: usize },
}

/// Which rows of a preview to return: a file may have 150,000 of them.
#[derive(Debug, Clone, Copy, Default)]
pub struct PreviewRows {
    /// Only rows with errors.
    pub errors_only: bool,
    /// How many of the rows that pass the filter to pass over.
    pub offset: usize,
    /// At most this many (default [`Self::DEFAULT_LIMIT`], at most [`Self::MAX_LIMIT`]).
    pub limit: Option<usize>,
}

impl PreviewRows {
    pub const DEFAULT_LIMIT: usize = 1_000;
    pub const MAX_LIMIT: usize = 10_000;

    fn limit(&self) -> ServiceResult<usize> {
        let limit = self.limit.unwrap_or(Self::DEFAULT_LIMIT);
        if limit == 0 || limit > Self::MAX_LIMIT {
            return Err(roster_domain::InvalidInput::new(
                "limit",
                "out_of_range",
                format!("must be between 1 and {}", Self::MAX_LIMIT),
            )
            .into());
        }
        Ok(limit)
    }
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct UndoReport {
    pub import_id: i64,
    pub removed: usize,
    pub restored: usize,
    pub kept: Vec<KeptRow>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct KeptRow {
    pub line: i64,
    pub member_id: Option<i64>,
    pub reason: String,
}

fn file_error(e: roster_bulk::ImportError) -> ServiceError {
    roster_domain::InvalidInput::new("file", "file_refused", e.to_string()).into()
}

fn row_error(line: u64, column: &str, field: &str, code: &str, message: String) -> RowError {
    RowError {
        line,
        column: column.to_owned(),
        field: field.to_owned(),
        code: code.to_owned(),
        message,
    }
}

/// The upload's header mapped by name to fields and the organization's
/// custom fields.
async fn map_header(conn: &mut Conn, org_id: i64, headers: &[String]) -> ServiceResult<Mapping> {
    let keys: Vec<String> = custom_fields(conn, org_id).await?.into_iter().map(|f| f.key).collect();
    Ok(auto_map(headers, &keys))
}

async fn row_limit(conn: &mut Conn, org_id: i64) -> ServiceResult<usize> {
    let org = org_by_id(conn, org_id)
        .await?
        .ok_or(ServiceError::NotFound("organization"))?;
    Ok(usize::try_from(org.import_row_limit).unwrap_or(usize::MAX))
}

/// An import whose mapping and options may still change: uploaded, not applied.
/// The organization's import `id`; another organization's is not found.
async fn import_in_org(conn: &mut Conn, org_id: i64, id: i64) -> ServiceResult<ImportRecord> {
    import_by_id(conn, org_id, id)
        .await?
        .ok_or(ServiceError::NotFound("import"))
}

async fn editable_import(conn: &mut Conn, org_id: i64, id: i64) -> ServiceResult<ImportRecord> {
    let import = import_in_org(conn, org_id, id).await?;
    if import.status != ImportStatus::Uploaded {
        return Err(ServiceError::conflict(
            "import_not_editable",
            None,
            format!("the import is {} already", import.status),
        ));
    }
    Ok(import)
}

impl Service {
    /// Stores an uploaded file after reading it in the upload sandbox:
    /// what it is, its normalized table, its columns mapped by header. A
    /// workbook is read from `sheet`, or from its first sheet with cells. A
    /// file that is no importable table, or cannot be read within the
    /// sandbox's limits, is refused whole and nothing is stored.
    #[tracing::instrument(skip_all, fields(org = can.actor().org_id))]
    pub async fn create_import(
        &self,
        can: Can<'_, Import>,
        file_name: &str,
        upload: &std::path::Path,
        sheet: Option<&str>,
    ) -> ServiceResult<ImportView> {
        let actor = can.actor();
        let mut conn = self.store().conn().await?;
        let limit = row_limit(&mut conn, actor.org_id).await?;
        drop(conn);
        let read = self.uploads.normalize(upload, sheet, limit).await?;
        let mut conn = self.store().conn().await?;
        let mapping = map_header(&mut conn, actor.org_id, &read.summary.headers).await?;
        drop(conn);
        let file_name = display_file_name(file_name);
        let mut tx = self.store().begin().await?;
        let id = insert_import(
            &mut tx,
            actor.org_id,
            &file_name,
            &json!(read.summary.detected),
            &json!(mapping),
            &actor.label,
            now_millis(),
        )
        .await?;
        store_parts(&mut tx, ImportPart::File, id, upload).await?;
        store_parts(&mut tx, ImportPart::Table, id, read.table.path()).await?;
        record(
            &mut tx,
            actor,
            "import.upload",
            "import",
            id,
            json!({"file_name": file_name, "rows": read.summary.rows}),
        )
        .await?;
        let import = import_in_org(&mut tx, actor.org_id, id).await?;
        tx.commit().await?;
        ImportView::new(import)
    }

    /// Makes the normalized table of an import uploaded before tables were
    /// stored, from its file, in the sandbox.
    pub(super) async fn ensure_import_table(&self, import: &ImportRecord, detected: &Detected) -> ServiceResult<()> {
        let mut conn = self.store().conn().await?;
        if roster_store::import_part_count(&mut conn, ImportPart::Table, import.id).await? > 0 {
            return Ok(());
        }
        let upload = self.spool_import_file(&mut conn, import.id).await?;
        drop(conn);
        let read = self
            .uploads
            .normalize(upload.path(), detected.sheet.as_deref(), usize::MAX)
            .await?;
        let mut tx = self.store().begin().await?;
        if roster_store::import_part_count(&mut tx, ImportPart::Table, import.id).await? == 0 {
            store_parts(&mut tx, ImportPart::Table, import.id, read.table.path()).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn ensure_table_of(&self, org_id: i64, id: i64) -> ServiceResult<()> {
        let mut conn = self.store().conn().await?;
        let import = import_in_org(&mut conn, org_id, id).await?;
        drop(conn);
        let detected: Detected = serde_json::from_value(import.detected.clone())
            .map_err(|e| ServiceError::Internal(format!("the import's detected format is unreadable: {e}").into()))?;
        self.ensure_import_table(&import, &detected).await
    }

    /// The import's uploaded file, copied part by part to a spool file.
    async fn spool_import_file(&self, conn: &mut Conn, import_id: i64) -> ServiceResult<tempfile::NamedTempFile> {
        use tokio::io::AsyncWriteExt;
        let spool = self.uploads.spool_file()?;
        let mut file = tokio::fs::File::from_std(spool.reopen().map_err(|e| ServiceError::Internal(Box::new(e)))?);
        for part in 0i64.. {
            match roster_store::import_part(conn, ImportPart::File, import_id, part).await? {
                Some(bytes) => file
                    .write_all(&bytes)
                    .await
                    .map_err(|e| ServiceError::Internal(Box::new(e)))?,
                None if part == 0 => return Err(ServiceError::Internal("the import's file is missing".into())),
                None => break,
            }
        }
        file.flush().await.map_err(|e| ServiceError::Internal(Box::new(e)))?;
        Ok(spool)
    }

    pub async fn import(&self, can: Can<'_, Import>, id: i64) -> ServiceResult<ImportView> {
        let mut conn = self.store().conn().await?;
        ImportView::new(import_in_org(&mut conn, can.actor().org_id, id).await?)
    }

    /// How far applying an import has come: (rows done, rows in all).
    pub async fn import_progress(
        &self,
        can: Can<'_, Import>,
        import: &ImportView,
    ) -> ServiceResult<Option<(i64, Option<i64>)>> {
        match import.job_id {
            Some(job) => self.progress_of(can.actor().org_id, job).await,
            None => Ok(None),
        }
    }

    pub async fn imports(&self, can: Can<'_, Import>) -> ServiceResult<Vec<ImportView>> {
        let mut conn = self.store().conn().await?;
        list_imports(&mut conn, can.actor().org_id, 100)
            .await?
            .into_iter()
            .map(ImportView::new)
            .collect()
    }

    /// Reads the import's workbook from another of its sheets (in the
    /// sandbox): the columns are mapped afresh from that sheet's header.
    pub async fn choose_import_sheet(&self, can: Can<'_, Import>, id: i64, sheet: &str) -> ServiceResult<ImportView> {
        let actor = can.actor();
        // The file is read outside the transaction: on SQLite a write
        // transaction would hold every other writer off for as long.
        let mut conn = self.store().conn().await?;
        let import = editable_import(&mut conn, actor.org_id, id).await?;
        let detected: roster_bulk::Detected =
            serde_json::from_value(import.detected).map_err(|e| ServiceError::Internal(Box::new(e)))?;
        if !detected.sheets.iter().any(|s| s == sheet) {
            return Err(ServiceError::conflict(
                "unknown_sheet",
                Some("sheet"),
                if detected.sheets.is_empty() {
                    "the file is CSV: only an Excel workbook has sheets".to_owned()
                } else {
                    format!("the workbook's sheets are {}", detected.sheets.join(", "))
                },
            ));
        }
        let limit = row_limit(&mut conn, actor.org_id).await?;
        let upload = self.spool_import_file(&mut conn, id).await?;
        drop(conn);
        let read = self.uploads.normalize(upload.path(), Some(sheet), limit).await?;
        let mut conn = self.store().conn().await?;
        let mapping = map_header(&mut conn, actor.org_id, &read.summary.headers).await?;
        drop(conn);
        let mut tx = self.store().begin().await?;
        let import = editable_import(&mut tx, actor.org_id, id).await?;
        set_import_detected(
            &mut tx,
            actor.org_id,
            id,
            &json!(read.summary.detected),
            &json!(mapping),
        )
        .await?;
        roster_store::delete_import_parts(&mut tx, ImportPart::Table, id).await?;
        store_parts(&mut tx, ImportPart::Table, id, read.table.path()).await?;
        record(
            &mut tx,
            actor,
            "import.sheet",
            "import",
            id,
            json!({"file_name": import.file_name, "sheet": sheet}),
        )
        .await?;
        let import = import_in_org(&mut tx, actor.org_id, id).await?;
        tx.commit().await?;
        ImportView::new(import)
    }

    /// Replaces the mapping (the admin's choices, "skip" included).
    pub async fn set_import_mapping(
        &self,
        can: Can<'_, Import>,
        id: i64,
        columns: Vec<ColumnMapping>,
    ) -> ServiceResult<ImportView> {
        let actor = can.actor();
        let mut tx = self.store().begin().await?;
        let import = editable_import(&mut tx, actor.org_id, id).await?;
        let current: Mapping =
            serde_json::from_value(import.mapping).map_err(|e| ServiceError::Internal(Box::new(e)))?;
        if columns.len() != current.columns.len()
            || columns.iter().zip(&current.columns).any(|(a, b)| a.column != b.column)
        {
            // The file decides its columns: a mapping for other columns
            // conflicts with the import as it is.
            return Err(ServiceError::conflict(
                "invalid_mapping",
                Some("columns"),
                format!("give one entry per column, {} in all, in order", current.columns.len()),
            ));
        }
        let mapping = Mapping { columns };
        set_import_mapping(&mut tx, actor.org_id, id, &json!(mapping)).await?;
        let import = import_in_org(&mut tx, actor.org_id, id).await?;
        tx.commit().await?;
        ImportView::new(import)
    }

    /// What applying would do: totals of every row and the rows `wanted`.
    /// Changes nothing.
    pub async fn preview_import(
        &self,
        can: Can<'_, Import>,
        id: i64,
        options: ImportOptions,
        wanted: PreviewRows,
    ) -> ServiceResult<Preview> {
        let actor = can.actor();
        let mut conn = self.store().conn().await?;
        let import = import_in_org(&mut conn, actor.org_id, id).await?;
        let plan = self.plan_all(&mut conn, actor, &import, options).await?;
        let seat_shortfall = self.seat_shortfall(&mut conn, actor.org_id, &plan.seats).await?;
        summarize(id, &plan, seat_shortfall, wanted)
    }

    /// Like [`Self::preview_import`], but a plan that is not kept already is
    /// made in the background: this waits up to `wait` for it and then
    /// says how far it has come, so that a page never hangs on a large
    /// file. Ask again for the preview once it is done.
    pub async fn preview_import_or_progress(
        &self,
        can: Can<'_, Import>,
        id: i64,
        options: ImportOptions,
        wanted: PreviewRows,
        wait: std::time::Duration,
    ) -> ServiceResult<PreviewOrProgress> {
        let actor = can.actor();
        let mut conn = self.store().conn().await?;
        let import = import_in_org(&mut conn, actor.org_id, id).await?;
        let key = plan_key(&mut conn, actor, &import, options).await?;
        // No connection is held while waiting: the plan needs one.
        drop(conn);
        let waited = std::time::Instant::now();
        loop {
            if let Some(plan) = self.plan_snapshots.get(&key) {
                let mut conn = self.store().conn().await?;
                let seat_shortfall = self.seat_shortfall(&mut conn, actor.org_id, &plan.seats).await?;
                let preview = summarize(id, &plan, seat_shortfall, wanted)?;
                return Ok(PreviewOrProgress::Preview(Box::new(preview)));
            }
            let planning = match self.plan_snapshots.making(&key) {
                Some(making) => making?,
                None => match self.plan_snapshots.start_making(&key) {
                    Some(planning) => {
                        self.make_plan_in_background(actor, &import, options, key.clone(), planning.clone());
                        planning
                    }
                    // Enough plans are being made: this one starts when asked again.
                    None => Arc::default(),
                },
            };
            if waited.elapsed() >= wait {
                let (done, total) = planning.get();
                return Ok(PreviewOrProgress::Planning { done, total });
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    fn make_plan_in_background(
        &self,
        actor: &Actor,
        import: &ImportRecord,
        options: ImportOptions,
        key: PlanKey,
        planning: Arc<Planning>,
    ) {
        let (service, actor, import) = (self.clone(), actor.clone(), import.clone());
        let task = tokio::spawn(async move {
            let mut conn = service.store().conn().await?;
            service.make_plan(&mut conn, &actor, &import, options, &planning).await
        });
        // Even a plan that panicked must end, or its page would wait forever.
        let snapshots = self.plan_snapshots.clone();
        tokio::spawn(async move {
            let made = task.await.unwrap_or_else(|e| Err(ServiceError::Internal(Box::new(e))));
            snapshots.finish_making(key, made);
        });
    }

    /// Every row planned, without writing: for the preview and for the
    /// report of an import not applied yet. The plan is kept for the next
    /// page (`snapshots`) and made again once the organization, the mapping,
    /// the options or the importer differ.
    async fn plan_all(
        &self,
        conn: &mut Conn,
        actor: &Actor,
        import: &ImportRecord,
        options: ImportOptions,
    ) -> ServiceResult<Arc<PlanSnapshot>> {
        let key = plan_key(conn, actor, import, options).await?;
        if let Some(plan) = self.plan_snapshots.get(&key) {
            return Ok(plan);
        }
        let plan = self
            .make_plan(conn, actor, import, options, &Planning::default())
            .await?;
        self.plan_snapshots.put(key, plan.clone());
        Ok(plan)
    }

    /// Plans every row, counting them in `planning`. Only each row's
    /// verdict is kept (not the member it would become), so a large file
    /// stays affordable.
    async fn make_plan(
        &self,
        conn: &mut Conn,
        actor: &Actor,
        import: &ImportRecord,
        options: ImportOptions,
        planning: &Planning,
    ) -> ServiceResult<Arc<PlanSnapshot>> {
        let planned_at = now_millis();
        let (mut planner, source, rows) = Planner::new(self, conn, actor, import, options).await?;
        planning.total.store(rows, Ordering::Relaxed);
        let mut previews = Vec::with_capacity(rows);
        let mut seats: HashMap<&'static str, i64> = HashMap::new();
        let mut stream = planner.stream(&source);
        while let Some(chunk) = stream.next().await {
            let planned = planner.plan_chunk(conn, chunk).await?;
            Planned::tally_seats(&planned, &mut seats);
            previews.extend(planned.into_iter().map(|p| {
                let reason = p.preview.reason();
                (p.preview, reason)
            }));
            planning.done.store(previews.len(), Ordering::Relaxed);
        }
        stream.finish().await?;
        Ok(Arc::new(PlanSnapshot {
            previews,
            seats,
            detected: source.detected.clone(),
            mapping: planner.mapping().clone(),
            planned_at,
        }))
    }

    /// Starts applying the import as a job; returns at once.
    pub async fn apply_import(
        &self,
        can: Can<'_, Import>,
        id: i64,
        options: ImportOptions,
    ) -> ServiceResult<ImportView> {
        let actor = can.actor();
        let mut tx = self.store().begin().await?;
        editable_import(&mut tx, actor.org_id, id).await?;
        // The job finds its actor again when it runs, with their rights then.
        let who = actor
            .reference()
            .ok_or_else(|| ServiceError::forbidden("only a member, a token or the command line applies an import"))?;
        let payload = json!({"import_id": id, "actor": who});
        let job = self
            .enqueue_job(&mut tx, Some(actor.org_id), IMPORT_JOB, &payload, &actor.label)
            .await?;
        set_import_state(
            &mut tx,
            id,
            ImportStatus::Applying,
            Some(&json!(options)),
            None,
            Some(job),
            now_millis(),
        )
        .await?;
        record(
            &mut tx,
            actor,
            "import.apply",
            "import",
            id,
            json!({"job_id": job, "options": options}),
        )
        .await?;
        let import = import_in_org(&mut tx, actor.org_id, id).await?;
        tx.commit().await?;
        ImportView::new(import)
    }
}

/// What a plan of `import` depends on besides its file. The organization's
/// mark is read before planning: a change that lands while the file is
/// planned makes the next request plan again.
async fn plan_key(
    conn: &mut Conn,
    actor: &Actor,
    import: &ImportRecord,
    options: ImportOptions,
) -> ServiceResult<PlanKey> {
    let org_mark = roster_store::org_change_mark(conn, actor.org_id).await?;
    Ok(PlanKey::new(
        import.id,
        org_mark,
        &[
            &import.mapping.to_string(),
            &import.detected.to_string(),
            &json!(options).to_string(),
            &actor.role.to_string(),
            &format!("{:?}", actor.member_id),
        ],
    ))
}

/// The preview of a plan: totals of every row, and the rows `wanted`.
fn summarize(
    import_id: i64,
    plan: &PlanSnapshot,
    seat_shortfall: Vec<SeatNeed>,
    wanted: PreviewRows,
) -> ServiceResult<Preview> {
    let limit = wanted.limit()?;
    let mut totals = Totals {
        rows: plan.previews.len(),
        ..Default::default()
    };
    for (p, _) in &plan.previews {
        match p.action {
            RowAction::Create => totals.create += 1,
            RowAction::Update => totals.update += 1,
            RowAction::Unchanged => totals.unchanged += 1,
            _ => totals.error += 1,
        }
    }
    let matching = if wanted.errors_only { totals.error } else { totals.rows };
    let rows: Vec<RowPreview> = plan
        .previews
        .iter()
        .map(|(p, _)| p)
        .filter(|p| !wanted.errors_only || p.action == RowAction::Error)
        .skip(wanted.offset)
        .take(limit)
        .cloned()
        .collect();
    let shown_up_to = wanted.offset.saturating_add(rows.len());
    Ok(Preview {
        import_id,
        detected: plan.detected.clone(),
        unmapped: plan.mapping.unmapped().into_iter().map(str::to_owned).collect(),
        mapping: plan.mapping.clone(),
        totals,
        seat_shortfall,
        planned_at: Timestamp::from_millis(plan.planned_at),
        rows,
        page: PreviewPage {
            offset: wanted.offset,
            limit,
            errors_only: wanted.errors_only,
            matching,
            next_offset: (shown_up_to < matching).then_some(shown_up_to),
            previous_offset: (wanted.offset > 0).then(|| wanted.offset.saturating_sub(limit)),
        },
    })
}

/// An uploaded file's name as it is kept: shown, never used as a path
/// (files are stored by id), and made one plain line of at most 200
/// characters — controls, line breaks and invisible characters dropped.
fn display_file_name(raw: &str) -> String {
    let cleaned: String = raw
        .chars()
        .filter(|c| !roster_domain::forbidden_char(*c))
        .take(200)
        .collect();
    cleaned.trim().to_owned()
}

/// Copies a file into the import's parts of `kind`, a part at a time.
async fn store_parts(conn: &mut Conn, kind: ImportPart, import_id: i64, path: &std::path::Path) -> ServiceResult<()> {
    use tokio::io::AsyncReadExt;
    let mut file = tokio::fs::File::open(path)
        .await
        .map_err(|e| ServiceError::Internal(Box::new(e)))?;
    let mut buf = vec![0u8; roster_store::FILE_PART_BYTES];
    for part in 0i64.. {
        let mut filled = 0;
        while filled < buf.len() {
            let n = file
                .read(&mut buf[filled..])
                .await
                .map_err(|e| ServiceError::Internal(Box::new(e)))?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        if filled == 0 {
            break;
        }
        roster_store::insert_import_part(conn, kind, import_id, part, &buf[..filled]).await?;
        if filled < buf.len() {
            break;
        }
    }
    Ok(())
}

pub fn register_jobs(worker: &mut Worker, service: Service) {
    worker.register(
        IMPORT_JOB,
        std::sync::Arc::new(move |ctx: JobContext| -> JobFuture {
            let service = service.clone();
            Box::pin(async move { service.run_import_job(&ctx).await })
        }),
    );
}
