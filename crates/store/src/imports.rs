//! Stored imports, their files, and what applying did per row.

use serde::Serialize;
use sqlx::any::AnyRow;

use roster_domain::{ImportStatus, JobStatus};

use crate::rows::{int, opt_int, opt_text, parsed, text};
use crate::{Conn, StoreResult};

#[derive(Debug, Clone, Serialize)]
pub struct ImportRecord {
    pub id: i64,
    pub status: ImportStatus,
    pub file_name: String,
    pub detected: serde_json::Value,
    pub mapping: serde_json::Value,
    pub options: serde_json::Value,
    pub summary: serde_json::Value,
    pub job_id: Option<i64>,
    pub created_by: String,
    #[serde(serialize_with = "crate::serialize_time")]
    pub created_at: i64,
    #[serde(serialize_with = "crate::serialize_opt_time")]
    pub applied_at: Option<i64>,
    #[serde(serialize_with = "crate::serialize_opt_time")]
    pub undone_at: Option<i64>,
    /// What applying has committed so far (see [`ImportMark`]).
    #[serde(skip)]
    pub mark: ImportMark,
    /// Who asked the import to stop while it applies.
    pub cancel_requested_by: Option<String>,
}

/// How far applying an import has committed: imports commit in chunks, and
/// a job that runs again resumes after `line`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportMark {
    /// The last line of the last committed chunk (0: none yet).
    pub line: i64,
    /// Data rows committed (every row up to `line`).
    pub rows: i64,
    /// The time every row of the import is written with (see the migration).
    pub written_at: Option<i64>,
}

/// The import's columns, and the status and last error of the job that
/// applies it (see `from_row`).
const COLUMNS: &str = "i.id, i.status, i.file_name, i.detected, i.mapping, i.options, i.summary, i.job_id, \
     i.created_by, i.created_at, i.applied_at, i.undone_at, i.committed_line, i.committed_rows, i.written_at, i.cancel_requested_by, \
     j.status AS job_status, j.last_error AS job_error";

/// The imports joined with their jobs.
const FROM: &str = "imports i LEFT JOIN jobs j ON j.id = i.job_id";

fn json_col(r: &AnyRow, col: &str) -> Result<serde_json::Value, sqlx::Error> {
    crate::rows::json(r, col)
}

/// An import whose job gave up (its attempts used up by errors, crashes or
/// time-outs) or is gone from the job history still says `applying`. It
/// reads as failed, with the job's reason, so that no surface waits for it
/// for ever; the chunks it committed before it stopped stay, and undo takes
/// them back.
fn from_row(r: &AnyRow) -> Result<ImportRecord, sqlx::Error> {
    let mut status: ImportStatus = parsed(r, "status")?;
    let mut summary = json_col(r, "summary")?;
    let mark = ImportMark {
        line: int(r, "committed_line")?,
        rows: int(r, "committed_rows")?,
        written_at: opt_int(r, "written_at")?,
    };
    if status == ImportStatus::Applying {
        let job_status = opt_text(r, "job_status")?
            .map(|word| word.parse::<JobStatus>().map_err(|e| sqlx::Error::Decode(Box::new(e))))
            .transpose()?;
        let gave_up = match job_status {
            None => Some("the job that applied it is gone".to_owned()),
            Some(JobStatus::Failed) => Some(opt_text(r, "job_error")?.unwrap_or_default()),
            Some(_) => None,
        };
        if let Some(why) = gave_up {
            status = ImportStatus::Failed;
            let failure = match mark.rows {
                0 => format!("applying stopped, nothing was imported: {why}"),
                rows => format!("applying stopped after {rows} rows were committed: {why}; undo takes those rows back"),
            };
            summary = serde_json::json!({"failure": failure, "committed": mark.rows});
        }
    }
    Ok(ImportRecord {
        id: int(r, "id")?,
        status,
        file_name: text(r, "file_name")?,
        detected: json_col(r, "detected")?,
        mapping: json_col(r, "mapping")?,
        options: json_col(r, "options")?,
        summary,
        job_id: opt_int(r, "job_id")?,
        created_by: text(r, "created_by")?,
        created_at: int(r, "created_at")?,
        applied_at: opt_int(r, "applied_at")?,
        undone_at: opt_int(r, "undone_at")?,
        mark,
        cancel_requested_by: opt_text(r, "cancel_requested_by")?,
    })
}

/// Records how far applying has committed, in the transaction of the chunk
/// that got it there.
pub async fn set_import_mark(conn: &mut Conn, id: i64, mark: ImportMark) -> StoreResult<()> {
    sqlx::query("UPDATE imports SET committed_line = $2, committed_rows = $3, written_at = $4 WHERE id = $1")
        .bind(id)
        .bind(mark.line)
        .bind(mark.rows)
        .bind(mark.written_at)
        .execute(conn.raw())
        .await?;
    Ok(())
}

/// Asks an applying import to stop; false when it is not applying or
/// someone asked already.
pub async fn request_import_cancel(conn: &mut Conn, org_id: i64, id: i64, by: &str) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE imports SET cancel_requested_by = $3 \
         WHERE id = $1 AND org_id = $2 AND status = 'applying' AND cancel_requested_by IS NULL",
    )
    .bind(id)
    .bind(org_id)
    .bind(by)
    .execute(conn.raw())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Who asked the import to stop, if anyone did.
pub async fn import_cancel_requested(conn: &mut Conn, id: i64) -> StoreResult<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT cancel_requested_by FROM imports WHERE id = $1")
            .bind(id)
            .fetch_optional(conn.raw())
            .await?
            .flatten(),
    )
}

/// How many of an import's report rows have each action: the totals of the
/// chunks an earlier attempt committed.
pub async fn import_row_actions(conn: &mut Conn, import_id: i64) -> StoreResult<Vec<(String, i64)>> {
    let rows = sqlx::query("SELECT action, COUNT(*) AS n FROM import_rows WHERE import_id = $1 GROUP BY action")
        .bind(import_id)
        .fetch_all(conn.raw())
        .await?;
    rows.iter().map(|r| Ok((text(r, "action")?, int(r, "n")?))).collect()
}

/// Turns every report row of an import into a skipped one: an all-or-nothing
/// import whose committed chunks were undone applied none of them.
pub async fn skip_import_rows(conn: &mut Conn, import_id: i64) -> StoreResult<()> {
    sqlx::query(
        "UPDATE import_rows SET action = 'skipped', member_id = NULL, reason = '', before = NULL \
         WHERE import_id = $1",
    )
    .bind(import_id)
    .execute(conn.raw())
    .await?;
    Ok(())
}

/// A new import, without its file: its parts follow ([`insert_import_part`]).
pub async fn insert_import(
    conn: &mut Conn,
    org_id: i64,
    file_name: &str,
    detected: &serde_json::Value,
    mapping: &serde_json::Value,
    created_by: &str,
    now: i64,
) -> StoreResult<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO imports (org_id, status, file_name, detected, mapping, created_by, created_at) \
         VALUES ($1, 'uploaded', $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(org_id)
    .bind(file_name)
    .bind(detected.to_string())
    .bind(mapping.to_string())
    .bind(created_by)
    .bind(now)
    .fetch_one(conn.raw())
    .await?;
    Ok(id)
}

/// What an import keeps of its upload, each in parts of [`FILE_PART_BYTES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportPart {
    /// The file as uploaded: read again (in the sandbox) only to choose another sheet.
    File,
    /// The normalized table the upload sandbox made of it: what every
    /// preview, plan and report reads.
    Table,
}

impl ImportPart {
    fn table(self) -> &'static str {
        match self {
            Self::File => "import_file_parts",
            Self::Table => "import_table_parts",
        }
    }
}

pub async fn insert_import_part(
    conn: &mut Conn,
    kind: ImportPart,
    import_id: i64,
    part: i64,
    data: &[u8],
) -> StoreResult<()> {
    sqlx::query(&format!(
        "INSERT INTO {} (import_id, part, data) VALUES ($1, $2, $3)",
        kind.table()
    ))
    .bind(import_id)
    .bind(part)
    .bind(data.to_vec())
    .execute(conn.raw())
    .await?;
    Ok(())
}

pub async fn delete_import_parts(conn: &mut Conn, kind: ImportPart, import_id: i64) -> StoreResult<()> {
    sqlx::query(&format!("DELETE FROM {} WHERE import_id = $1", kind.table()))
        .bind(import_id)
        .execute(conn.raw())
        .await?;
    Ok(())
}

/// One part, or `None` past the last.
pub async fn import_part(conn: &mut Conn, kind: ImportPart, import_id: i64, part: i64) -> StoreResult<Option<Vec<u8>>> {
    Ok(sqlx::query_scalar(&format!(
        "SELECT data FROM {} WHERE import_id = $1 AND part = $2",
        kind.table()
    ))
    .bind(import_id)
    .bind(part)
    .fetch_optional(conn.raw())
    .await?)
}

/// How many parts an import holds of `kind`.
pub async fn import_part_count(conn: &mut Conn, kind: ImportPart, import_id: i64) -> StoreResult<i64> {
    Ok(
        sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {} WHERE import_id = $1", kind.table()))
            .bind(import_id)
            .fetch_one(conn.raw())
            .await?,
    )
}

pub async fn import_by_id(conn: &mut Conn, org_id: i64, id: i64) -> StoreResult<Option<ImportRecord>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE i.org_id = $1 AND i.id = $2"
    ))
    .bind(org_id)
    .bind(id)
    .fetch_optional(conn.raw())
    .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

pub async fn list_imports(conn: &mut Conn, org_id: i64, limit: i64) -> StoreResult<Vec<ImportRecord>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE i.org_id = $1 ORDER BY i.id DESC LIMIT $2"
    ))
    .bind(org_id)
    .bind(limit)
    .fetch_all(conn.raw())
    .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// Uploads and their tables are stored in parts of this size: a driver
/// copies a value several times on its way, so one part is what it costs,
/// not the file.
pub const FILE_PART_BYTES: usize = 1024 * 1024;

pub async fn set_import_mapping(conn: &mut Conn, org_id: i64, id: i64, mapping: &serde_json::Value) -> StoreResult<()> {
    sqlx::query("UPDATE imports SET mapping = $3 WHERE org_id = $1 AND id = $2")
        .bind(org_id)
        .bind(id)
        .bind(mapping.to_string())
        .execute(conn.raw())
        .await?;
    Ok(())
}

/// Replaces what was read of the file (another sheet) and its mapping.
pub async fn set_import_detected(
    conn: &mut Conn,
    org_id: i64,
    id: i64,
    detected: &serde_json::Value,
    mapping: &serde_json::Value,
) -> StoreResult<()> {
    sqlx::query("UPDATE imports SET detected = $3, mapping = $4 WHERE org_id = $1 AND id = $2")
        .bind(org_id)
        .bind(id)
        .bind(detected.to_string())
        .bind(mapping.to_string())
        .execute(conn.raw())
        .await?;
    Ok(())
}

/// Moves an import to `status` (with its options, summary and job, when given).
pub async fn set_import_state(
    conn: &mut Conn,
    id: i64,
    status: ImportStatus,
    options: Option<&serde_json::Value>,
    summary: Option<&serde_json::Value>,
    job_id: Option<i64>,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE imports SET status = $2, options = COALESCE($3, options), summary = COALESCE($4, summary), \
         job_id = COALESCE($5, job_id), \
         applied_at = CASE WHEN $2 = 'applied' THEN $6 ELSE applied_at END, \
         undone_at = CASE WHEN $2 = 'undone' THEN $6 ELSE undone_at END WHERE id = $1",
    )
    .bind(id)
    .bind(status.as_str())
    .bind(options.map(|o| o.to_string()))
    .bind(summary.map(|s| s.to_string()))
    .bind(job_id)
    .bind(now)
    .execute(conn.raw())
    .await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct ImportRowRecord {
    pub line: i64,
    /// created, updated, unchanged, skipped or error.
    pub action: String,
    pub member_id: Option<i64>,
    pub reason: String,
    /// The member's fields before an update (JSON), for undo.
    #[serde(skip)]
    pub before: Option<String>,
}

pub async fn import_rows(conn: &mut Conn, import_id: i64) -> StoreResult<Vec<ImportRowRecord>> {
    let rows = sqlx::query(
        "SELECT line, action, member_id, reason, before FROM import_rows WHERE import_id = $1 ORDER BY line",
    )
    .bind(import_id)
    .fetch_all(conn.raw())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ImportRowRecord {
                line: int(r, "line")?,
                action: text(r, "action")?,
                member_id: opt_int(r, "member_id")?,
                reason: text(r, "reason")?,
                before: opt_text(r, "before")?,
            })
        })
        .collect()
}

/// The first `limit` rows an applied import did not take, by line, with
/// their reasons (the result page lists them; the report has them all).
pub async fn failed_import_rows(conn: &mut Conn, import_id: i64, limit: i64) -> StoreResult<Vec<(i64, String)>> {
    let rows = sqlx::query(
        "SELECT line, reason FROM import_rows WHERE import_id = $1 AND action = 'error' ORDER BY line LIMIT $2",
    )
    .bind(import_id)
    .bind(limit)
    .fetch_all(conn.raw())
    .await?;
    rows.iter().map(|r| Ok((int(r, "line")?, text(r, "reason")?))).collect()
}

/// Deletes a member an import created (undo), with everything that hangs on it.
pub async fn delete_member(conn: &mut Conn, org_id: i64, member_id: i64) -> StoreResult<()> {
    sqlx::query("DELETE FROM content_items WHERE org_id = $1 AND owner_member_id = $2")
        .bind(org_id)
        .bind(member_id)
        .execute(conn.raw())
        .await?;
    sqlx::query("DELETE FROM members WHERE org_id = $1 AND id = $2")
        .bind(org_id)
        .bind(member_id)
        .execute(conn.raw())
        .await?;
    Ok(())
}

/// The team of an organization with this external key (an import's `teamid`).
pub async fn team_by_key(conn: &mut Conn, org_id: i64, key: &str) -> StoreResult<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM teams WHERE org_id = $1 AND external_key = $2")
            .bind(org_id)
            .bind(key)
            .fetch_optional(conn.raw())
            .await?,
    )
}

/// A team an import may place members in: by its external key, and not a
/// directory group (the identity provider chooses those members). `Err`
/// names a directory group's key.
pub async fn importable_team_by_key(conn: &mut Conn, org_id: i64, key: &str) -> StoreResult<Option<Result<i64, ()>>> {
    let row: Option<(i64, i64)> =
        sqlx::query_as("SELECT id, directory FROM teams WHERE org_id = $1 AND external_key = $2")
            .bind(org_id)
            .bind(key)
            .fetch_optional(conn.raw())
            .await?;
    Ok(row.map(|(id, directory)| if directory == 0 { Ok(id) } else { Err(()) }))
}

/// A saved mapping: per header, the target it feeds (JSON `[{header, target}]`).
#[derive(Debug, Clone, Serialize)]
pub struct SavedMappingRecord {
    pub name: String,
    pub targets: serde_json::Value,
    pub created_by: String,
    #[serde(serialize_with = "crate::serialize_time")]
    pub created_at: i64,
}

/// Saves (or replaces) a named mapping.
pub async fn upsert_saved_mapping(
    conn: &mut Conn,
    org_id: i64,
    name: &str,
    targets: &serde_json::Value,
    created_by: &str,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO import_mappings (org_id, name, targets, created_by, created_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (org_id, name) DO UPDATE SET targets = excluded.targets, created_by = excluded.created_by, created_at = excluded.created_at",
    )
    .bind(org_id)
    .bind(name)
    .bind(targets.to_string())
    .bind(created_by)
    .bind(now)
    .execute(conn.raw())
    .await?;
    Ok(())
}

pub async fn saved_mappings(conn: &mut Conn, org_id: i64) -> StoreResult<Vec<SavedMappingRecord>> {
    let rows = sqlx::query(
        "SELECT name, targets, created_by, created_at FROM import_mappings WHERE org_id = $1 ORDER BY name",
    )
    .bind(org_id)
    .fetch_all(conn.raw())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(SavedMappingRecord {
                name: text(r, "name")?,
                targets: json_col(r, "targets")?,
                created_by: text(r, "created_by")?,
                created_at: int(r, "created_at")?,
            })
        })
        .collect()
}

/// The members an applied import added (its rows with the action `created`).
pub async fn members_created_by_import(conn: &mut Conn, import_id: i64) -> StoreResult<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT member_id FROM import_rows WHERE import_id = $1 AND action = 'created' AND member_id IS NOT NULL \
         ORDER BY line",
    )
    .bind(import_id)
    .fetch_all(conn.raw())
    .await?)
}
