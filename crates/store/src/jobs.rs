//! The durable job queue. A job is enqueued inside the caller's transaction,
//! claimed by exactly one worker under a lease, and every later write by that
//! worker carries the lease token: once a lease has expired and another
//! worker has claimed the job, the first worker's writes change nothing.

use serde::Serialize;
use sqlx::any::AnyRow;

use roster_domain::JobStatus;

use crate::rows::{int, opt_int, opt_text, parsed, text};
use crate::{Backend, Conn, Store, StoreResult};

#[derive(Debug, Clone, Serialize)]
pub struct JobRecord {
    pub id: i64,
    #[serde(skip)]
    pub org_id: Option<i64>,
    pub kind: String,
    #[serde(skip)]
    pub payload: String,
    pub status: JobStatus,
    pub attempts: i64,
    pub max_attempts: i64,
    pub progress_done: i64,
    pub progress_total: Option<i64>,
    pub result: Option<String>,
    pub last_error: Option<String>,
    pub created_by: String,
    #[serde(serialize_with = "crate::serialize_time")]
    pub created_at: i64,
    #[serde(serialize_with = "crate::serialize_opt_time")]
    pub finished_at: Option<i64>,
}

const COLUMNS: &str = "id, org_id, kind, payload, status, attempts, max_attempts, progress_done, progress_total, \
    result, last_error, created_by, created_at, finished_at";

fn from_row(r: &AnyRow) -> Result<JobRecord, sqlx::Error> {
    Ok(JobRecord {
        id: int(r, "id")?,
        org_id: opt_int(r, "org_id")?,
        kind: text(r, "kind")?,
        payload: text(r, "payload")?,
        status: parsed(r, "status")?,
        attempts: int(r, "attempts")?,
        max_attempts: int(r, "max_attempts")?,
        progress_done: int(r, "progress_done")?,
        progress_total: opt_int(r, "progress_total")?,
        result: opt_text(r, "result")?,
        last_error: opt_text(r, "last_error")?,
        created_by: text(r, "created_by")?,
        created_at: int(r, "created_at")?,
        finished_at: opt_int(r, "finished_at")?,
    })
}

#[derive(Debug, Clone)]
pub struct NewJob<'a> {
    pub org_id: Option<i64>,
    pub kind: &'a str,
    pub payload: &'a str,
    pub max_attempts: i64,
    pub created_by: &'a str,
}

/// Enqueues a job on `conn` — pass the caller's transaction so that the job
/// exists exactly when the change that asked for it does.
pub async fn enqueue_job(conn: &mut Conn, job: &NewJob<'_>, now: i64) -> StoreResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO jobs (org_id, kind, payload, status, max_attempts, run_after, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, 'queued', $4, $5, $6, $5, $5) RETURNING id",
    )
    .bind(job.org_id)
    .bind(job.kind)
    .bind(job.payload)
    .bind(job.max_attempts)
    .bind(now)
    .bind(job.created_by)
    .fetch_one(conn.raw())
    .await?)
}

/// A job a worker holds. `lease_token` fences every later write.
#[derive(Debug, Clone)]
pub struct ClaimedJob {
    pub job: JobRecord,
    pub lease_token: String,
}

impl Store {
    /// Claims the oldest due job (queued and due, or running with an expired
    /// lease). Jobs whose lease expired on their last attempt fail instead.
    pub async fn claim_job(&self, lease_token: &str, lease_millis: i64, now: i64) -> StoreResult<Option<ClaimedJob>> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "UPDATE jobs SET status = 'failed', lease_token = NULL, finished_at = $1, updated_at = $1, \
             last_error = 'the worker stopped answering and no attempts are left' \
             WHERE status = 'running' AND lease_expires_at < $1 AND attempts >= max_attempts",
        )
        .bind(now)
        .execute(tx.raw())
        .await?;
        let lock = match self.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            // BEGIN IMMEDIATE already holds SQLite's single write lock.
            Backend::Sqlite => "",
        };
        let row = sqlx::query(&format!(
            "UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_token = $1, lease_expires_at = $2, \
             updated_at = $3 WHERE id = (SELECT id FROM jobs WHERE (status = 'queued' AND run_after <= $3) \
             OR (status = 'running' AND lease_expires_at < $3) ORDER BY run_after, id LIMIT 1{lock}) RETURNING {COLUMNS}"
        ))
        .bind(lease_token)
        .bind(now + lease_millis)
        .bind(now)
        .fetch_optional(tx.raw())
        .await?;
        tx.commit().await?;
        row.map(|r| -> StoreResult<_> {
            Ok(ClaimedJob {
                job: from_row(&r)?,
                lease_token: lease_token.to_owned(),
            })
        })
        .transpose()
    }
}

/// Extends the lease and records progress; false if the lease was lost.
pub async fn heartbeat_job(
    conn: &mut Conn,
    id: i64,
    lease_token: &str,
    lease_until: i64,
    progress: Option<(i64, Option<i64>)>,
    now: i64,
) -> StoreResult<bool> {
    let (done, total) = progress.unwrap_or((-1, None));
    let result = sqlx::query(
        "UPDATE jobs SET lease_expires_at = $3, updated_at = $4, \
         progress_done = CASE WHEN $5 >= 0 THEN $5 ELSE progress_done END, \
         progress_total = CASE WHEN $5 >= 0 THEN $6 ELSE progress_total END \
         WHERE id = $1 AND lease_token = $2 AND status = 'running'",
    )
    .bind(id)
    .bind(lease_token)
    .bind(lease_until)
    .bind(now)
    .bind(done)
    .bind(total)
    .execute(conn.raw())
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Marks the job succeeded; false if the lease was lost (the caller's
/// transaction must then roll back its work).
pub async fn complete_job(conn: &mut Conn, id: i64, lease_token: &str, result: &str, now: i64) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE jobs SET status = 'succeeded', result = $3, lease_token = NULL, finished_at = $4, updated_at = $4 \
         WHERE id = $1 AND lease_token = $2 AND status = 'running'",
    )
    .bind(id)
    .bind(lease_token)
    .bind(result)
    .bind(now)
    .execute(conn.raw())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records a failed attempt: back to the queue at `retry_at`, or failed for
/// good when no attempts are left or there is no retry (`None`: the job was
/// refused, and another attempt would be refused the same way).
pub async fn fail_job(
    conn: &mut Conn,
    id: i64,
    lease_token: &str,
    error: &str,
    retry_at: Option<i64>,
    now: i64,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE jobs SET last_error = $3, lease_token = NULL, updated_at = $5, \
         status = CASE WHEN $4 IS NULL OR attempts >= max_attempts THEN 'failed' ELSE 'queued' END, \
         finished_at = CASE WHEN $4 IS NULL OR attempts >= max_attempts THEN $5 ELSE NULL END, \
         run_after = COALESCE($4, run_after) \
         WHERE id = $1 AND lease_token = $2 AND status = 'running'",
    )
    .bind(id)
    .bind(lease_token)
    .bind(error)
    .bind(retry_at)
    .bind(now)
    .execute(conn.raw())
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn job_by_id(conn: &mut Conn, id: i64) -> StoreResult<Option<JobRecord>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM jobs WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn.raw())
        .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// An organization's jobs created since `since`, newest first.
pub async fn list_jobs(conn: &mut Conn, org_id: i64, since: i64, limit: i64) -> StoreResult<Vec<JobRecord>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM jobs WHERE org_id = $1 AND created_at >= $2 ORDER BY id DESC LIMIT $3"
    ))
    .bind(org_id)
    .bind(since)
    .bind(limit)
    .fetch_all(conn.raw())
    .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// Deletes finished jobs older than each organization's job history.
pub async fn purge_finished_jobs(conn: &mut Conn, now: i64) -> StoreResult<u64> {
    let done = sqlx::query(
        "DELETE FROM jobs WHERE status IN ('succeeded', 'failed') AND finished_at < $1 - 86400000 * \
         COALESCE((SELECT job_history_days FROM organizations o WHERE o.id = jobs.org_id), 30)",
    )
    .bind(now)
    .execute(conn.raw())
    .await?;
    Ok(done.rows_affected())
}
