//! SCIM tokens: an organization's credentials for its identity provider.
//! Only their SHA-256 is kept.

use serde::Serialize;
use sqlx::any::AnyRow;

use crate::rows::{int, opt_int, text};
use crate::{Conn, StoreResult};

#[derive(Debug, Clone, Serialize)]
pub struct ScimTokenRecord {
    pub id: i64,
    #[serde(skip)]
    pub org_id: i64,
    pub name: String,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

const COLUMNS: &str = "id, org_id, name, created_by, created_at, expires_at, last_used_at, revoked_at";

fn from_row(r: &AnyRow) -> Result<ScimTokenRecord, sqlx::Error> {
    Ok(ScimTokenRecord {
        id: int(r, "id")?,
        org_id: int(r, "org_id")?,
        name: text(r, "name")?,
        created_by: text(r, "created_by")?,
        created_at: int(r, "created_at")?,
        expires_at: opt_int(r, "expires_at")?,
        last_used_at: opt_int(r, "last_used_at")?,
        revoked_at: opt_int(r, "revoked_at")?,
    })
}

/// A SCIM token as it is created.
pub struct NewScimToken<'a> {
    pub org_id: i64,
    pub name: &'a str,
    pub token_hash: &'a str,
    pub created_by: &'a str,
    pub expires_at: Option<i64>,
}

pub async fn insert_scim_token(conn: &mut Conn, t: &NewScimToken<'_>, now: i64) -> StoreResult<ScimTokenRecord> {
    let row = sqlx::query(&format!(
        "INSERT INTO scim_tokens (org_id, name, token_hash, created_by, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING {COLUMNS}"
    ))
    .bind(t.org_id)
    .bind(t.name)
    .bind(t.token_hash)
    .bind(t.created_by)
    .bind(now)
    .bind(t.expires_at)
    .fetch_one(conn.raw())
    .await?;
    Ok(from_row(&row)?)
}

/// The token with this hash, revoked or expired or not (the caller says
/// which), with its organization's slug: one look-up per SCIM request.
pub async fn scim_token_by_hash(conn: &mut Conn, token_hash: &str) -> StoreResult<Option<(ScimTokenRecord, String)>> {
    let row = sqlx::query(
        "SELECT t.id, t.org_id, t.name, t.created_by, t.created_at, t.expires_at, t.last_used_at, t.revoked_at, \
         o.slug FROM scim_tokens t JOIN organizations o ON o.id = t.org_id WHERE t.token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(conn.raw())
    .await?;
    Ok(match row {
        Some(r) => Some((from_row(&r)?, text(&r, "slug")?)),
        None => None,
    })
}

pub async fn scim_tokens(conn: &mut Conn, org_id: i64) -> StoreResult<Vec<ScimTokenRecord>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM scim_tokens WHERE org_id = $1 ORDER BY id DESC"
    ))
    .bind(org_id)
    .fetch_all(conn.raw())
    .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

pub async fn revoke_scim_token(conn: &mut Conn, org_id: i64, id: i64, now: i64) -> StoreResult<bool> {
    let done =
        sqlx::query("UPDATE scim_tokens SET revoked_at = $3 WHERE org_id = $1 AND id = $2 AND revoked_at IS NULL")
            .bind(org_id)
            .bind(id)
            .bind(now)
            .execute(conn.raw())
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Records use at most once a minute, so that reads do not become writes.
pub async fn touch_scim_token(conn: &mut Conn, id: i64, now: i64) -> StoreResult<()> {
    sqlx::query(
        "UPDATE scim_tokens SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $3)",
    )
    .bind(id)
    .bind(now)
    .bind(now - 60_000)
    .execute(conn.raw())
    .await?;
    Ok(())
}
