//! Exports: the request, its progress, the file in parts, retention.

use serde::Serialize;
use sqlx::any::AnyRow;

use roster_domain::ExportStatus;

use crate::rows::{int, opt_int, opt_text, parsed, text};
use crate::{Conn, StoreResult};

#[derive(Debug, Clone, Serialize)]
pub struct ExportRecord {
    pub id: String,
    #[serde(skip)]
    pub org_id: i64,
    pub kind: String,
    pub format: String,
    pub params: serde_json::Value,
    pub status: ExportStatus,
    pub file_name: String,
    pub job_id: Option<i64>,
    pub rows_done: i64,
    pub rows_total: Option<i64>,
    pub size_bytes: Option<i64>,
    pub error: Option<String>,
    pub requested_by: String,
    pub requester_member: Option<i64>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
    pub expires_at: Option<i64>,
}

const COLUMNS: &str = "id, org_id, kind, format, params, status, file_name, job_id, rows_done, rows_total, \
    size_bytes, error, requested_by, requester_member, created_at, finished_at, expires_at";

fn from_row(r: &AnyRow) -> Result<ExportRecord, sqlx::Error> {
    Ok(ExportRecord {
        id: text(r, "id")?,
        org_id: int(r, "org_id")?,
        kind: text(r, "kind")?,
        format: text(r, "format")?,
        params: crate::rows::json(r, "params")?,
        status: parsed(r, "status")?,
        file_name: text(r, "file_name")?,
        job_id: opt_int(r, "job_id")?,
        rows_done: int(r, "rows_done")?,
        rows_total: opt_int(r, "rows_total")?,
        size_bytes: opt_int(r, "size_bytes")?,
        error: opt_text(r, "error")?,
        requested_by: text(r, "requested_by")?,
        requester_member: opt_int(r, "requester_member")?,
        created_at: int(r, "created_at")?,
        finished_at: opt_int(r, "finished_at")?,
        expires_at: opt_int(r, "expires_at")?,
    })
}

pub struct NewExport<'a> {
    pub id: &'a str,
    pub org_id: i64,
    pub kind: &'a str,
    pub format: &'a str,
    pub params: &'a serde_json::Value,
    pub file_name: &'a str,
    pub requested_by: &'a str,
    pub requester_member: Option<i64>,
}

pub async fn insert_export(conn: &mut Conn, e: &NewExport<'_>, now: i64) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO exports (id, org_id, kind, format, params, status, file_name, requested_by, requester_member, \
         created_at) VALUES ($1, $2, $3, $4, $5, 'queued', $6, $7, $8, $9)",
    )
    .bind(e.id)
    .bind(e.org_id)
    .bind(e.kind)
    .bind(e.format)
    .bind(e.params.to_string())
    .bind(e.file_name)
    .bind(e.requested_by)
    .bind(e.requester_member)
    .bind(now)
    .execute(conn.raw())
    .await?;
    Ok(())
}

pub async fn set_export_job(conn: &mut Conn, id: &str, job_id: i64) -> StoreResult<()> {
    sqlx::query("UPDATE exports SET job_id = $2 WHERE id = $1")
        .bind(id)
        .bind(job_id)
        .execute(conn.raw())
        .await?;
    Ok(())
}

/// The organization's export by id; another organization's is `None`.
pub async fn export_by_id(conn: &mut Conn, org_id: i64, id: &str) -> StoreResult<Option<ExportRecord>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM exports WHERE org_id = $1 AND id = $2"))
        .bind(org_id)
        .bind(id)
        .fetch_optional(conn.raw())
        .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// An export by id alone, for its job (which knows no organization yet).
pub async fn export_for_job(conn: &mut Conn, id: &str) -> StoreResult<Option<ExportRecord>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM exports WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn.raw())
        .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// The organization's exports created since `since`, newest first.
pub async fn list_exports(conn: &mut Conn, org_id: i64, since: i64, limit: i64) -> StoreResult<Vec<ExportRecord>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM exports WHERE org_id = $1 AND created_at >= $2 ORDER BY created_at DESC LIMIT $3"
    ))
    .bind(org_id)
    .bind(since)
    .bind(limit)
    .fetch_all(conn.raw())
    .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// Marks the export running (a retried job starts again from nothing).
pub async fn start_export(conn: &mut Conn, id: &str) -> StoreResult<()> {
    sqlx::query("UPDATE exports SET status = 'running', rows_done = 0, error = NULL WHERE id = $1")
        .bind(id)
        .execute(conn.raw())
        .await?;
    delete_export_parts(conn, id).await
}

pub async fn insert_export_part(conn: &mut Conn, id: &str, part: i64, data: &[u8]) -> StoreResult<()> {
    sqlx::query("INSERT INTO export_file_parts (export_id, part, data) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(part)
        .bind(data.to_vec())
        .execute(conn.raw())
        .await?;
    Ok(())
}

/// One part of the file, or `None` past the last.
pub async fn export_part(conn: &mut Conn, id: &str, part: i64) -> StoreResult<Option<Vec<u8>>> {
    Ok(
        sqlx::query_scalar("SELECT data FROM export_file_parts WHERE export_id = $1 AND part = $2")
            .bind(id)
            .bind(part)
            .fetch_optional(conn.raw())
            .await?,
    )
}

pub async fn delete_export_parts(conn: &mut Conn, id: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM export_file_parts WHERE export_id = $1")
        .bind(id)
        .execute(conn.raw())
        .await?;
    Ok(())
}

/// The file is complete: ready until `expires_at`.
pub async fn export_ready(
    conn: &mut Conn,
    id: &str,
    rows: i64,
    size: i64,
    now: i64,
    expires_at: i64,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE exports SET status = 'ready', rows_done = $2, rows_total = $2, size_bytes = $3, finished_at = $4, \
         expires_at = $5 WHERE id = $1",
    )
    .bind(id)
    .bind(rows)
    .bind(size)
    .bind(now)
    .bind(expires_at)
    .execute(conn.raw())
    .await?;
    Ok(())
}

/// The export failed: whatever part of a file it had is deleted.
pub async fn export_failed(conn: &mut Conn, id: &str, error: &str, now: i64) -> StoreResult<()> {
    delete_export_parts(conn, id).await?;
    sqlx::query("UPDATE exports SET status = 'failed', error = $2, finished_at = $3 WHERE id = $1")
        .bind(id)
        .bind(error)
        .bind(now)
        .execute(conn.raw())
        .await?;
    Ok(())
}

/// Purges every ready export whose retention ended at `now`: the file is
/// deleted, the row stays (as `expired`) for the dashboard and the 410 page.
pub async fn expire_exports(conn: &mut Conn, now: i64) -> StoreResult<u64> {
    sqlx::query(
        "DELETE FROM export_file_parts WHERE export_id IN \
         (SELECT id FROM exports WHERE status = 'ready' AND expires_at <= $1)",
    )
    .bind(now)
    .execute(conn.raw())
    .await?;
    let done = sqlx::query("UPDATE exports SET status = 'expired' WHERE status = 'ready' AND expires_at <= $1")
        .bind(now)
        .execute(conn.raw())
        .await?;
    Ok(done.rows_affected())
}

/// Deletes exports older than the organization's job history.
pub async fn purge_old_exports(conn: &mut Conn, now: i64) -> StoreResult<u64> {
    let done = sqlx::query(
        "DELETE FROM exports WHERE status IN ('failed', 'expired') AND created_at < $1 - 86400000 * \
         COALESCE((SELECT job_history_days FROM organizations o WHERE o.id = exports.org_id), 30)",
    )
    .bind(now)
    .execute(conn.raw())
    .await?;
    Ok(done.rows_affected())
}
