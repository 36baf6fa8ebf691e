use serde::Serialize;
use sqlx::any::AnyRow;

use crate::rows::{int, opt_int, text};
use crate::{Conn, StoreResult};

#[derive(Debug, Clone, Serialize)]
pub struct TokenRecord {
    pub id: i64,
    #[serde(skip)]
    pub org_id: i64,
    pub name: String,
    pub role: String,
    /// The member it belongs to (it acts with at most their rights), or
    /// none for an organization token.
    pub member_id: Option<i64>,
    pub created_by: String,
    #[serde(serialize_with = "crate::serialize_time")]
    pub created_at: i64,
    #[serde(serialize_with = "crate::serialize_opt_time")]
    pub last_used_at: Option<i64>,
    #[serde(serialize_with = "crate::serialize_opt_time")]
    pub revoked_at: Option<i64>,
    #[serde(serialize_with = "crate::serialize_opt_time")]
    pub expires_at: Option<i64>,
}

const COLUMNS: &str = "id, org_id, name, role, member_id, created_by, created_at, last_used_at, revoked_at, expires_at";

fn from_row(r: &AnyRow) -> Result<TokenRecord, sqlx::Error> {
    Ok(TokenRecord {
        id: int(r, "id")?,
        org_id: int(r, "org_id")?,
        name: text(r, "name")?,
        role: text(r, "role")?,
        member_id: opt_int(r, "member_id")?,
        created_by: text(r, "created_by")?,
        created_at: int(r, "created_at")?,
        last_used_at: opt_int(r, "last_used_at")?,
        revoked_at: opt_int(r, "revoked_at")?,
        expires_at: opt_int(r, "expires_at")?,
    })
}

/// A token as it is created.
pub struct NewTokenRow<'a> {
    pub org_id: i64,
    pub name: &'a str,
    pub role: &'a str,
    pub member_id: Option<i64>,
    pub token_hash: &'a str,
    pub created_by: &'a str,
    pub expires_at: Option<i64>,
}

pub async fn insert_token(conn: &mut Conn, t: &NewTokenRow<'_>, now: i64) -> StoreResult<TokenRecord> {
    let row = sqlx::query(&format!(
        "INSERT INTO api_tokens (org_id, name, role, member_id, token_hash, created_by, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {COLUMNS}"
    ))
    .bind(t.org_id)
    .bind(t.name)
    .bind(t.role)
    .bind(t.member_id)
    .bind(t.token_hash)
    .bind(t.created_by)
    .bind(now)
    .bind(t.expires_at)
    .fetch_one(conn.raw())
    .await?;
    Ok(from_row(&row)?)
}

/// The token with this hash, revoked or expired or not (the caller says which).
pub async fn token_by_hash(conn: &mut Conn, token_hash: &str) -> StoreResult<Option<TokenRecord>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM api_tokens WHERE token_hash = $1"))
        .bind(token_hash)
        .fetch_optional(conn.raw())
        .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// The organization's token `id`, revoked or not.
pub async fn token_by_id(conn: &mut Conn, org_id: i64, id: i64) -> StoreResult<Option<TokenRecord>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM api_tokens WHERE org_id = $1 AND id = $2"
    ))
    .bind(org_id)
    .bind(id)
    .fetch_optional(conn.raw())
    .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// The tokens that belong to one member, newest first.
pub async fn tokens_of_member(conn: &mut Conn, org_id: i64, member_id: i64) -> StoreResult<Vec<TokenRecord>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM api_tokens WHERE org_id = $1 AND member_id = $2 ORDER BY id DESC"
    ))
    .bind(org_id)
    .bind(member_id)
    .fetch_all(conn.raw())
    .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

pub async fn list_tokens(conn: &mut Conn, org_id: i64) -> StoreResult<Vec<TokenRecord>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM api_tokens WHERE org_id = $1 ORDER BY id"
    ))
    .bind(org_id)
    .fetch_all(conn.raw())
    .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

pub async fn revoke_token(conn: &mut Conn, org_id: i64, id: i64, now: i64) -> StoreResult<bool> {
    let done =
        sqlx::query("UPDATE api_tokens SET revoked_at = $3 WHERE org_id = $1 AND id = $2 AND revoked_at IS NULL")
            .bind(org_id)
            .bind(id)
            .bind(now)
            .execute(conn.raw())
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Records use at most once a minute, so that reads do not become writes.
pub async fn touch_token(conn: &mut Conn, id: i64, now: i64) -> StoreResult<()> {
    sqlx::query(
        "UPDATE api_tokens SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $3)",
    )
    .bind(id)
    .bind(now)
    .bind(now - 60_000)
    .execute(conn.raw())
    .await?;
    Ok(())
}
