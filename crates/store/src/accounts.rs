use crate::rows::{int, opt_text, text};
use crate::{Conn, StoreResult};

#[derive(Debug, Clone)]
pub struct AccountRecord {
    pub id: i64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub password_hash: Option<String>,
}

fn account_from_row(r: &sqlx::any::AnyRow) -> Result<AccountRecord, sqlx::Error> {
    Ok(AccountRecord {
        id: int(r, "id")?,
        email: text(r, "email")?,
        first_name: text(r, "first_name")?,
        last_name: text(r, "last_name")?,
        password_hash: opt_text(r, "password_hash")?,
    })
}

/// Finds the account of a normalized e-mail, creating it if there is none.
pub async fn ensure_account(
    conn: &mut Conn,
    email: &str,
    email_normalized: &str,
    first_name: &str,
    last_name: &str,
    now: i64,
) -> StoreResult<i64> {
    sqlx::query(
        "INSERT INTO accounts (email, email_normalized, first_name, last_name, created_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (email_normalized) DO NOTHING",
    )
    .bind(email)
    .bind(email_normalized)
    .bind(first_name)
    .bind(last_name)
    .bind(now)
    .execute(conn.raw())
    .await?;
    Ok(
        sqlx::query_scalar("SELECT id FROM accounts WHERE email_normalized = $1")
            .bind(email_normalized)
            .fetch_one(conn.raw())
            .await?,
    )
}

pub async fn set_password_hash(conn: &mut Conn, account_id: i64, hash: &str) -> StoreResult<()> {
    sqlx::query("UPDATE accounts SET password_hash = $2 WHERE id = $1")
        .bind(account_id)
        .bind(hash)
        .execute(conn.raw())
        .await?;
    Ok(())
}

pub async fn account_by_email(conn: &mut Conn, email_normalized: &str) -> StoreResult<Option<AccountRecord>> {
    let row =
        sqlx::query("SELECT id, email, first_name, last_name, password_hash FROM accounts WHERE email_normalized = $1")
            .bind(email_normalized)
            .fetch_optional(conn.raw())
            .await?;
    Ok(row.as_ref().map(account_from_row).transpose()?)
}

pub async fn insert_setup_token(conn: &mut Conn, token_hash: &str, now: i64) -> StoreResult<()> {
    sqlx::query("INSERT INTO setup_tokens (token_hash, created_at) VALUES ($1, $2)")
        .bind(token_hash)
        .bind(now)
        .execute(conn.raw())
        .await?;
    Ok(())
}

/// Marks a setup token used; false if it does not exist or was used already.
pub async fn consume_setup_token(conn: &mut Conn, token_hash: &str, now: i64) -> StoreResult<bool> {
    let done = sqlx::query("UPDATE setup_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL")
        .bind(token_hash)
        .bind(now)
        .execute(conn.raw())
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The account's own name ("First Last"), as its owner set it.
pub async fn account_name(conn: &mut Conn, account_id: i64) -> StoreResult<Option<String>> {
    let row = sqlx::query("SELECT first_name, last_name FROM accounts WHERE id = $1")
        .bind(account_id)
        .fetch_optional(conn.raw())
        .await?;
    Ok(row
        .map(|r| -> Result<_, sqlx::Error> {
            Ok(format!("{} {}", text(&r, "first_name")?, text(&r, "last_name")?)
                .trim()
                .to_owned())
        })
        .transpose()?)
}

pub async fn setup_token_unused(conn: &mut Conn, token_hash: &str) -> StoreResult<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM setup_tokens WHERE token_hash = $1 AND used_at IS NULL")
        .bind(token_hash)
        .fetch_one(conn.raw())
        .await?;
    Ok(n == 1)
}

pub async fn account_by_id(conn: &mut Conn, account_id: i64) -> StoreResult<Option<AccountRecord>> {
    let row = sqlx::query("SELECT id, email, first_name, last_name, password_hash FROM accounts WHERE id = $1")
        .bind(account_id)
        .fetch_optional(conn.raw())
        .await?;
    Ok(row.as_ref().map(account_from_row).transpose()?)
}

pub async fn insert_password_reset(
    conn: &mut Conn,
    token_hash: &str,
    account_id: i64,
    expires_at: i64,
    now: i64,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO password_resets (token_hash, account_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(token_hash)
        .bind(account_id)
        .bind(now)
        .bind(expires_at)
        .execute(conn.raw())
        .await?;
    Ok(())
}

/// The account of an unused, unexpired reset link, if it is one.
pub async fn password_reset_account(conn: &mut Conn, token_hash: &str, now: i64) -> StoreResult<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT account_id FROM password_resets WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(conn.raw())
    .await?)
}

/// Uses a reset link; the account if it was unused and unexpired (of two
/// uses at once, one wins).
pub async fn consume_password_reset(conn: &mut Conn, token_hash: &str, now: i64) -> StoreResult<Option<i64>> {
    Ok(sqlx::query_scalar(
        "UPDATE password_resets SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 \
         RETURNING account_id",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(conn.raw())
    .await?)
}
