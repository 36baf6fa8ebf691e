//! Console sessions and sign-in throttling. Both live in the database, so
//! that several instances behind a load balancer share them.

use crate::rows::{int, opt_int, text};
use crate::{Conn, StoreResult};

#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub account_id: i64,
    pub csrf_token: String,
    pub expires_at: i64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    /// Opened through an organization's identity provider: that member.
    pub sso_member_id: Option<i64>,
    pub org_id: Option<i64>,
}

pub async fn insert_session(
    conn: &mut Conn,
    id_hash: &str,
    account_id: i64,
    csrf_token: &str,
    now: i64,
    expires_at: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO sessions (id_hash, account_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id_hash)
    .bind(account_id)
    .bind(csrf_token)
    .bind(now)
    .bind(expires_at)
    .execute(conn.raw())
    .await?;
    // A new session is a sign-in: the member export shows the last one.
    sqlx::query("UPDATE accounts SET last_sign_in_at = $2 WHERE id = $1")
        .bind(account_id)
        .bind(now)
        .execute(conn.raw())
        .await?;
    Ok(())
}

/// Marks a new session as opened through an organization's identity
/// provider: it belongs to that organization and ends when the member is
/// deactivated or removed.
pub async fn bind_session_to_member(conn: &mut Conn, id_hash: &str, org_id: i64, member_id: i64) -> StoreResult<()> {
    sqlx::query("UPDATE sessions SET org_id = $2, sso_member_id = $3 WHERE id_hash = $1")
        .bind(id_hash)
        .bind(org_id)
        .bind(member_id)
        .execute(conn.raw())
        .await?;
    Ok(())
}

/// A live session with its account.
pub async fn session_by_hash(conn: &mut Conn, id_hash: &str, now: i64) -> StoreResult<Option<SessionRecord>> {
    let row = sqlx::query(
        "SELECT s.account_id, s.csrf_token, s.expires_at, s.sso_member_id, s.org_id, a.email, a.first_name, \
         a.last_name FROM sessions s \
         JOIN accounts a ON a.id = s.account_id WHERE s.id_hash = $1 AND s.expires_at > $2",
    )
    .bind(id_hash)
    .bind(now)
    .fetch_optional(conn.raw())
    .await?;
    Ok(row
        .map(|r| -> Result<_, sqlx::Error> {
            Ok(SessionRecord {
                account_id: int(&r, "account_id")?,
                csrf_token: text(&r, "csrf_token")?,
                expires_at: int(&r, "expires_at")?,
                email: text(&r, "email")?,
                first_name: text(&r, "first_name")?,
                last_name: text(&r, "last_name")?,
                sso_member_id: opt_int(&r, "sso_member_id")?,
                org_id: opt_int(&r, "org_id")?,
            })
        })
        .transpose()?)
}

pub async fn delete_session(conn: &mut Conn, id_hash: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(id_hash)
        .execute(conn.raw())
        .await?;
    Ok(())
}

/// Ends every session of an account (role change, removal, sign-out everywhere).
pub async fn delete_sessions_of_account(conn: &mut Conn, account_id: i64) -> StoreResult<u64> {
    let done = sqlx::query("DELETE FROM sessions WHERE account_id = $1")
        .bind(account_id)
        .execute(conn.raw())
        .await?;
    Ok(done.rows_affected())
}

pub async fn record_login_failure(conn: &mut Conn, key: &str, now: i64) -> StoreResult<()> {
    sqlx::query("INSERT INTO login_failures (throttle_key, at) VALUES ($1, $2)")
        .bind(key)
        .bind(now)
        .execute(conn.raw())
        .await?;
    Ok(())
}

pub async fn login_failures_since(conn: &mut Conn, key: &str, since: i64) -> StoreResult<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM login_failures WHERE throttle_key = $1 AND at >= $2")
            .bind(key)
            .bind(since)
            .fetch_one(conn.raw())
            .await?,
    )
}

pub async fn clear_login_failures(conn: &mut Conn, key: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM login_failures WHERE throttle_key = $1")
        .bind(key)
        .execute(conn.raw())
        .await?;
    Ok(())
}

/// Removes expired sessions and old sign-in failures.
pub async fn purge_sessions(conn: &mut Conn, now: i64, failures_before: i64) -> StoreResult<()> {
    sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(now)
        .execute(conn.raw())
        .await?;
    sqlx::query("DELETE FROM login_failures WHERE at < $1")
        .bind(failures_before)
        .execute(conn.raw())
        .await?;
    Ok(())
}

/// An organization an account belongs to (its membership is neither
/// removed nor deactivated).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Membership {
    pub org_id: i64,
    pub slug: String,
    pub name: String,
    pub member_id: i64,
    pub role: String,
    /// The organization's logo, for the console's header.
    pub logo_url: String,
}

pub async fn memberships_of_account(conn: &mut Conn, account_id: i64) -> StoreResult<Vec<Membership>> {
    let rows = sqlx::query(
        "SELECT o.id AS org_id, o.slug, o.name, o.logo_url, m.id AS member_id, m.role FROM members m \
         JOIN organizations o ON o.id = m.org_id WHERE m.account_id = $1 AND m.status NOT IN ('removed', 'deactivated') ORDER BY o.name",
    )
    .bind(account_id)
    .fetch_all(conn.raw())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Membership {
                org_id: int(r, "org_id")?,
                slug: text(r, "slug")?,
                name: text(r, "name")?,
                member_id: int(r, "member_id")?,
                role: text(r, "role")?,
                logo_url: text(r, "logo_url")?,
            })
        })
        .collect()
}
