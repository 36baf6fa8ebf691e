use serde::Serialize;

use crate::rows::{int, text};
use crate::{Conn, StoreResult};

/// Something an app registered as owned by a member (a survey, a workspace…).
#[derive(Debug, Clone, Serialize)]
pub struct ContentItemRecord {
    pub id: i64,
    pub owner_member_id: i64,
    pub kind: String,
    pub external_ref: String,
    pub title: String,
    #[serde(serialize_with = "crate::serialize_time")]
    pub created_at: i64,
}

pub async fn insert_content_item(
    conn: &mut Conn,
    org_id: i64,
    owner: i64,
    kind: &str,
    external_ref: &str,
    title: &str,
    now: i64,
) -> StoreResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO content_items (org_id, owner_member_id, kind, external_ref, title, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(org_id)
    .bind(owner)
    .bind(kind)
    .bind(external_ref)
    .bind(title)
    .bind(now)
    .fetch_one(conn.raw())
    .await?)
}

pub async fn content_items_of(conn: &mut Conn, org_id: i64, owner: i64) -> StoreResult<Vec<ContentItemRecord>> {
    let rows = sqlx::query(
        "SELECT id, owner_member_id, kind, external_ref, title, created_at FROM content_items \
         WHERE org_id = $1 AND owner_member_id = $2 ORDER BY id",
    )
    .bind(org_id)
    .bind(owner)
    .fetch_all(conn.raw())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ContentItemRecord {
                id: int(r, "id")?,
                owner_member_id: int(r, "owner_member_id")?,
                kind: text(r, "kind")?,
                external_ref: text(r, "external_ref")?,
                title: text(r, "title")?,
                created_at: int(r, "created_at")?,
            })
        })
        .collect()
}

/// Hands every item of `from` to `to`; returns how many moved.
pub async fn transfer_content(conn: &mut Conn, org_id: i64, from: i64, to: i64) -> StoreResult<u64> {
    let done = sqlx::query("UPDATE content_items SET owner_member_id = $3 WHERE org_id = $1 AND owner_member_id = $2")
        .bind(org_id)
        .bind(from)
        .bind(to)
        .execute(conn.raw())
        .await?;
    Ok(done.rows_affected())
}
