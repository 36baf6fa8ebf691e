use serde::Serialize;

use crate::rows::{int, json, text};
use crate::sql::Sql;
use crate::{Conn, StoreResult};

/// One line of the append-only audit log.
#[derive(Debug, Clone, Serialize)]
pub struct AuditRecord {
    pub id: i64,
    #[serde(serialize_with = "crate::serialize_time")]
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub target_kind: String,
    pub target_id: String,
    pub outcome: String,
    pub ip: String,
    pub request_id: String,
    pub details: serde_json::Value,
}

#[derive(Debug, Clone)]
pub struct NewAuditEvent<'a> {
    pub org_id: Option<i64>,
    pub actor: &'a str,
    pub action: &'a str,
    pub target_kind: &'a str,
    pub target_id: &'a str,
    pub outcome: &'a str,
    pub ip: &'a str,
    pub request_id: &'a str,
    pub details: &'a serde_json::Value,
}

pub async fn insert_audit(conn: &mut Conn, e: &NewAuditEvent<'_>, now: i64) -> StoreResult<()> {
    bind_event(
        sqlx::query(
            "INSERT INTO audit_events (org_id, at, actor, action, target_kind, target_id, outcome, ip, request_id, details) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        ),
        e,
        now,
    )
    .execute(conn.raw())
    .await?;
    Ok(())
}

/// Inserts the event unless an identical one (same organization, time,
/// actor, action, target, outcome and request) is there: the replay of a
/// journal whose rows may have been written just before the process died.
pub async fn insert_audit_once(conn: &mut Conn, e: &NewAuditEvent<'_>, now: i64) -> StoreResult<bool> {
    let written = bind_event(
        sqlx::query(
            "INSERT INTO audit_events (org_id, at, actor, action, target_kind, target_id, outcome, ip, request_id, details) \
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 WHERE NOT EXISTS (SELECT 1 FROM audit_events \
             WHERE at = $2 AND actor = $3 AND action = $4 AND target_kind = $5 AND target_id = $6 AND outcome = $7 \
             AND request_id = $9 AND (org_id = $1 OR (org_id IS NULL AND $1 IS NULL)))",
        ),
        e,
        now,
    )
    .execute(conn.raw())
    .await?;
    Ok(written.rows_affected() == 1)
}

/// Binds an event to $1…$10 in the columns' order of the inserts above.
fn bind_event<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    e: &NewAuditEvent<'q>,
    now: i64,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    query
        .bind(e.org_id)
        .bind(now)
        .bind(e.actor)
        .bind(e.action)
        .bind(e.target_kind)
        .bind(e.target_id)
        .bind(e.outcome)
        .bind(e.ip)
        .bind(e.request_id)
        .bind(e.details.to_string())
}

#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub org_id: i64,
    pub action: Option<String>,
    pub actor: Option<String>,
    pub target_kind: Option<String>,
    pub target_id: Option<String>,
    pub outcome: Option<String>,
    pub since: Option<i64>,
    pub until: Option<i64>,
    /// Newest first; the page continues below this id.
    pub before_id: Option<i64>,
    pub limit: i64,
}

pub async fn list_audit(conn: &mut Conn, q: &AuditQuery) -> StoreResult<Vec<AuditRecord>> {
    let mut sql = Sql::new(
        "SELECT id, at, actor, action, target_kind, target_id, outcome, ip, request_id, details FROM audit_events WHERE org_id = ",
    );
    sql.bind(q.org_id);
    for (column, value) in [
        ("action", &q.action),
        ("actor", &q.actor),
        ("target_kind", &q.target_kind),
        ("target_id", &q.target_id),
        ("outcome", &q.outcome),
    ] {
        if let Some(value) = value {
            sql.push(&format!(" AND {column} = ")).bind(value.as_str());
        }
    }
    if let Some(since) = q.since {
        sql.push(" AND at >= ").bind(since);
    }
    if let Some(until) = q.until {
        sql.push(" AND at < ").bind(until);
    }
    if let Some(before) = q.before_id {
        sql.push(" AND id < ").bind(before);
    }
    sql.push(" ORDER BY id DESC LIMIT ").bind(q.limit);
    let rows = sql.fetch_all(conn).await?;
    rows.iter()
        .map(|r| {
            Ok(AuditRecord {
                id: int(r, "id")?,
                at: int(r, "at")?,
                actor: text(r, "actor")?,
                action: text(r, "action")?,
                target_kind: text(r, "target_kind")?,
                target_id: text(r, "target_id")?,
                outcome: text(r, "outcome")?,
                ip: text(r, "ip")?,
                request_id: text(r, "request_id")?,
                details: json(r, "details")?,
            })
        })
        .collect()
}

/// Audit ids a late commit is looked for among (see `org_change_mark`).
const LATE_COMMIT_WINDOW: i64 = 10_000;

/// Where an organization's audit log stands: its newest event, and how many
/// of its events are among the last `LATE_COMMIT_WINDOW` ids before that.
/// Every change to an organization is audited in the transaction that makes
/// it, right before it commits, so a different mark means something changed.
/// The count catches what the newest id alone would miss on PostgreSQL,
/// where a transaction may commit an event with a lower id after one with a
/// higher id is seen (its event is written just before that commit, so it is
/// a few ids behind the newest at most); counting only a window keeps this an index look-up
/// (counting a million events took 70–110 ms).
pub async fn org_change_mark(conn: &mut Conn, org_id: i64) -> StoreResult<(i64, i64)> {
    let row = sqlx::query(
        "SELECT newest, (SELECT COUNT(*) FROM audit_events WHERE org_id = $1 AND id > newest - $2) AS recent \
         FROM (SELECT COALESCE(MAX(id), 0) AS newest FROM audit_events WHERE org_id = $1) AS m",
    )
    .bind(org_id)
    .bind(LATE_COMMIT_WINDOW)
    .fetch_one(conn.raw())
    .await?;
    Ok((int(&row, "newest")?, int(&row, "recent")?))
}
