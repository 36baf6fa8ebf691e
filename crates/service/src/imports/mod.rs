//! Bulk import of members: upload → detect → map → validate → preview →
//! apply (a job) → report → undo. The file work is `roster_bulk`; the rules
//! that need the organization (existing members, teams, roles, seats) live here:
//! `plan` checks every row, `apply` is the job, `report` the report and undo,
//! `saved` the saved mappings; this file holds the types and the entry points.

use std::collections::HashMap;

use roster_bulk::{
    auto_map, detect, read_table, scan_rows, validate_row, Detected, FieldDef, ImportedMember, RowError, Table,
};
pub use roster_bulk::{ColumnMapping, Mapping, Target, TextEncoding};
use roster_domain::{now_millis, CustomFieldKind, MemberStatus, Role};
use roster_store::{
    custom_fields, import_by_id, import_file, import_rows, insert_import, list_imports, member_by_id, org_by_id,
    set_import_mapping, set_import_state, team_by_key, Conn, ImportRecord, ImportRowRecord, MemberFields, MemberRecord,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::audit::record;
use crate::jobs::{JobContext, JobFuture, Worker};
use crate::{Actor, Can, Import, Service, ServiceError, ServiceResult};

mod apply;
mod plan;
mod report;
mod saved;
mod source;

use plan::{Planned, Planner};
pub use saved::SavedTarget;

pub const IMPORT_JOB: &str = "import.apply";

/// What to do with members who exist already, and whether one bad row stops all.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Existing {
    #[default]
    Update,
    Skip,
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportOptions {
    #[serde(default)]
    pub existing: Existing,
    #[serde(default)]
    pub all_or_nothing: bool,
}

/// The report's file type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    Csv,
    Xlsx,
}

/// One row of a preview: what applying would do, or why it cannot.
#[derive(Debug, Clone, Serialize)]
pub struct RowPreview {
    pub line: u64,
    /// create, update, unchanged or error.
    pub action: &'static str,
    pub member_id: Option<i64>,
    pub email: String,
    pub errors: Vec<RowError>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Totals {
    pub rows: usize,
    pub create: usize,
    pub update: usize,
    pub unchanged: usize,
    pub error: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct SeatNeed {
    pub seat_type: String,
    pub needed: i64,
    pub available: i64,
    pub shortfall: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Preview {
    pub import_id: i64,
    pub detected: Detected,
    pub mapping: Mapping,
    pub unmapped: Vec<String>,
    pub totals: Totals,
    pub seat_shortfall: Vec<SeatNeed>,
    /// The rows of `page` (all of them until `Preview::page` narrows it).
    pub rows: Vec<RowPreview>,
    pub page: PreviewPage,
}

/// Which rows of a preview `rows` holds: a file may have 150,000 of them.
#[derive(Debug, Clone, Serialize)]
pub struct PreviewPage {
    pub offset: usize,
    pub limit: usize,
    pub errors_only: bool,
    /// Rows that pass the filter, in all.
    pub matching: usize,
    /// Where the next page starts, if there is one.
    pub next_offset: Option<usize>,
}

impl Preview {
    /// Rows in a page when the caller names no limit.
    pub const PAGE_DEFAULT: usize = 1_000;
    pub const PAGE_MAX: usize = 10_000;

    /// Keeps `limit` rows (default [`Self::PAGE_DEFAULT`], at most
    /// [`Self::PAGE_MAX`]) from `offset` of those that pass the filter (only
    /// rows with errors, if `errors_only`); the totals still count every row.
    pub fn page(mut self, errors_only: bool, offset: usize, limit: Option<usize>) -> ServiceResult<Self> {
        let limit = limit.unwrap_or(Self::PAGE_DEFAULT);
        if limit == 0 || limit > Self::PAGE_MAX {
            return Err(roster_domain::InvalidInput::new(
                "limit",
                "out_of_range",
                format!("must be between 1 and {}", Self::PAGE_MAX),
            )
            .into());
        }
        let mut rows = std::mem::take(&mut self.rows);
        rows.retain(|r| !errors_only || r.action == "error");
        let matching = rows.len();
        self.rows = rows.into_iter().skip(offset).take(limit).collect();
        let shown_up_to = offset.saturating_add(self.rows.len());
        self.page = PreviewPage {
            offset,
            limit,
            errors_only,
            matching,
            next_offset: (shown_up_to < matching).then_some(shown_up_to),
        };
        Ok(self)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct UndoReport {
    pub import_id: i64,
    pub removed: usize,
    pub restored: usize,
    pub kept: Vec<KeptRow>,
}

#[derive(Debug, Clone, Serialize)]
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

/// An import whose mapping and options may still change: uploaded, not applied.
async fn editable_import(conn: &mut Conn, org_id: i64, id: i64) -> ServiceResult<ImportRecord> {
    let import = import_by_id(conn, org_id, id)
        .await?
        .ok_or(ServiceError::NotFound("import"))?;
    if import.status != "uploaded" {
        return Err(ServiceError::conflict(
            "import_not_editable",
            None,
            format!("the import is {} already", import.status),
        ));
    }
    Ok(import)
}

impl Service {
    /// Stores an uploaded file after checking what it is; maps its columns
    /// by header. A file that is no importable table is refused whole.
    #[tracing::instrument(skip_all, fields(org = can.actor().org_id))]
    pub async fn create_import(
        &self,
        can: Can<'_, Import>,
        file_name: &str,
        bytes: Vec<u8>,
    ) -> ServiceResult<ImportRecord> {
        let actor = can.actor();
        let mut conn = self.store().conn().await?;
        let org = org_by_id(&mut conn, actor.org_id)
            .await?
            .ok_or(ServiceError::NotFound("organization"))?;
        let mut detected = detect(&bytes).map_err(file_error)?;
        // Read once through to count the rows (a file over the limit is
        // refused here, naming it) without holding them.
        let table = scan_rows(&bytes, &detected, org.import_row_limit as usize, |_, _| {}).map_err(file_error)?;
        detected.sheet = table.sheet.clone();
        let keys: Vec<String> = custom_fields(&mut conn, actor.org_id)
            .await?
            .into_iter()
            .map(|f| f.key)
            .collect();
        drop(conn);
        let mapping = auto_map(&table.headers, &keys);
        // The name is shown, never used as a path.
        let file_name = roster_domain::SingleLine::parse("file_name", file_name, 200)
            .map(|n| n.into_string())
            .unwrap_or_default();
        let mut tx = self.store().begin().await?;
        let id = insert_import(
            &mut tx,
            actor.org_id,
            &file_name,
            &json!(detected),
            &json!(mapping),
            &bytes,
            &actor.label,
            now_millis(),
        )
        .await?;
        record(
            &mut tx,
            actor,
            "import.upload",
            "import",
            id,
            json!({"file_name": file_name, "rows": table.rows}),
        )
        .await?;
        let import = import_by_id(&mut tx, actor.org_id, id)
            .await?
            .ok_or(ServiceError::NotFound("import"))?;
        tx.commit().await?;
        Ok(import)
    }

    pub async fn import(&self, can: Can<'_, Import>, id: i64) -> ServiceResult<ImportRecord> {
        let mut conn = self.store().conn().await?;
        import_by_id(&mut conn, can.actor().org_id, id)
            .await?
            .ok_or(ServiceError::NotFound("import"))
    }

    /// How far applying an import has come: (rows done, rows in all).
    pub async fn import_progress(
        &self,
        can: Can<'_, Import>,
        import: &ImportRecord,
    ) -> ServiceResult<Option<(i64, Option<i64>)>> {
        match import.job_id {
            Some(job) => self.progress_of(can.actor().org_id, job).await,
            None => Ok(None),
        }
    }

    pub async fn imports(&self, can: Can<'_, Import>) -> ServiceResult<Vec<ImportRecord>> {
        let mut conn = self.store().conn().await?;
        Ok(list_imports(&mut conn, can.actor().org_id, 100).await?)
    }

    /// Replaces the mapping (the admin's choices, "skip" included).
    pub async fn set_import_mapping(
        &self,
        can: Can<'_, Import>,
        id: i64,
        columns: Vec<ColumnMapping>,
    ) -> ServiceResult<ImportRecord> {
        let actor = can.actor();
        let mut tx = self.store().begin().await?;
        let import = editable_import(&mut tx, actor.org_id, id).await?;
        let current: Mapping =
            serde_json::from_value(import.mapping).map_err(|e| ServiceError::Internal(Box::new(e)))?;
        if columns.len() != current.columns.len()
            || columns.iter().zip(&current.columns).any(|(a, b)| a.column != b.column)
        {
            return Err(roster_domain::InvalidInput::new(
                "columns",
                "invalid_mapping",
                format!("give one entry per column, {} in all, in order", current.columns.len()),
            )
            .into());
        }
        let mapping = Mapping { columns };
        set_import_mapping(&mut tx, actor.org_id, id, &json!(mapping)).await?;
        let import = import_by_id(&mut tx, actor.org_id, id)
            .await?
            .ok_or(ServiceError::NotFound("import"))?;
        tx.commit().await?;
        Ok(import)
    }

    /// What applying would do, row by row. Changes nothing.
    pub async fn preview_import(
        &self,
        can: Can<'_, Import>,
        id: i64,
        options: ImportOptions,
    ) -> ServiceResult<Preview> {
        let actor = can.actor();
        let mut conn = self.store().conn().await?;
        let import = import_by_id(&mut conn, actor.org_id, id)
            .await?
            .ok_or(ServiceError::NotFound("import"))?;
        let all = self.plan_all(&mut conn, actor, &import, options).await?;
        let seat_shortfall = self.seat_shortfall(&mut conn, actor.org_id, &all.seats).await?;
        Ok(summarize(id, all, seat_shortfall))
    }

    /// Every row planned, without writing: for the preview and for the
    /// report of an import not applied yet. Only each row's verdict is kept
    /// (not the member it would become), so a large file stays affordable.
    async fn plan_all(
        &self,
        conn: &mut Conn,
        actor: &Actor,
        import: &ImportRecord,
        options: ImportOptions,
    ) -> ServiceResult<PlannedFile> {
        let (mut planner, source, rows) = Planner::new(self, conn, actor, import, options).await?;
        let mut previews = Vec::with_capacity(rows);
        let mut seats: HashMap<&'static str, i64> = HashMap::new();
        let mut stream = planner.stream(&source);
        while let Some(chunk) = stream.next().await {
            let planned = planner.plan_chunk(conn, chunk).await?;
            Planned::tally_seats(&planned, &mut seats);
            previews.extend(planned.into_iter().map(|p| {
                let reason = p.reason();
                (p.preview, reason)
            }));
        }
        let scanned = stream.finish().await?;
        let mut detected = source.detected.clone();
        detected.sheet = scanned.sheet;
        Ok(PlannedFile {
            previews,
            seats,
            detected,
            mapping: planner.mapping().clone(),
            source,
        })
    }

    /// Starts applying the import as a job; returns at once.
    pub async fn apply_import(
        &self,
        can: Can<'_, Import>,
        id: i64,
        options: ImportOptions,
    ) -> ServiceResult<ImportRecord> {
        let actor = can.actor();
        let mut tx = self.store().begin().await?;
        editable_import(&mut tx, actor.org_id, id).await?;
        let payload = json!({"import_id": id, "actor": actor.label, "member_id": actor.member_id, "role": actor.role.to_string()});
        let job = self
            .enqueue_job(&mut tx, Some(actor.org_id), IMPORT_JOB, &payload, &actor.label)
            .await?;
        set_import_state(
            &mut tx,
            id,
            "applying",
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
        let import = import_by_id(&mut tx, actor.org_id, id)
            .await?
            .ok_or(ServiceError::NotFound("import"))?;
        tx.commit().await?;
        Ok(import)
    }
}

/// A whole file planned: each row's preview with its errors as one reason,
/// and the seats applying would take.
struct PlannedFile {
    previews: Vec<(RowPreview, String)>,
    seats: HashMap<&'static str, i64>,
    detected: Detected,
    mapping: Mapping,
    /// The file, read once, for a report that lists it.
    source: source::Source,
}

fn summarize(import_id: i64, all: PlannedFile, seat_shortfall: Vec<SeatNeed>) -> Preview {
    let PlannedFile {
        previews,
        detected,
        mapping,
        ..
    } = all;
    let mut totals = Totals {
        rows: previews.len(),
        ..Default::default()
    };
    for (p, _) in &previews {
        match p.action {
            "create" => totals.create += 1,
            "update" => totals.update += 1,
            "unchanged" => totals.unchanged += 1,
            _ => totals.error += 1,
        }
    }
    Preview {
        import_id,
        detected,
        unmapped: mapping.unmapped().into_iter().map(str::to_owned).collect(),
        mapping,
        totals,
        seat_shortfall,
        page: PreviewPage {
            offset: 0,
            limit: previews.len(),
            errors_only: false,
            matching: previews.len(),
            next_offset: None,
        },
        rows: previews.into_iter().map(|(p, _)| p).collect(),
    }
}

/// Registers the import job with a worker.
pub fn register_jobs(worker: &mut Worker, service: Service) {
    worker.register(
        IMPORT_JOB,
        std::sync::Arc::new(move |ctx: JobContext| -> JobFuture {
            let service = service.clone();
            Box::pin(async move { service.run_import_job(&ctx).await })
        }),
    );
}
