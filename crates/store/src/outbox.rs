//! The mail outbox. A message is written in the transaction of the change
//! that causes it (a rolled-back change sends nothing), and delivered by a
//! worker that claims it under a lease: several workers, in several
//! processes, each claim different messages, and a message whose worker
//! died after the server's 250 and before marking it is sent once more.

use sqlx::any::AnyRow;

use crate::rows::{int, opt_int, opt_text, text};
use crate::{Backend, Conn, Store, StoreResult};

#[derive(Debug, Clone)]
pub struct MessageRecord {
    pub id: i64,
    pub org_id: Option<i64>,
    pub member_id: Option<i64>,
    pub invitation_id: Option<i64>,
    /// invitation, password_reset, test, …
    pub kind: String,
    /// held, queued, sending, sent or failed.
    pub state: String,
    pub to_address: String,
    pub from_name: String,
    pub reply_to: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub message_id: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub sent_at: Option<i64>,
    /// The last failure: the mail server's reply, or why it could not be reached.
    pub last_error: Option<String>,
    pub created_at: i64,
}

const COLUMNS: &str = "id, org_id, member_id, invitation_id, kind, state, to_address, from_name, reply_to, subject, \
    body_text, body_html, message_id, attempts, next_attempt_at, sent_at, last_error, created_at";

/// The columns without the bodies: for lists of delivery states.
const STATE_COLUMNS: &str = "id, org_id, member_id, invitation_id, kind, state, to_address, from_name, reply_to, \
    subject, '' AS body_text, '' AS body_html, message_id, attempts, next_attempt_at, sent_at, last_error, created_at";

fn from_row(r: &AnyRow) -> Result<MessageRecord, sqlx::Error> {
    Ok(MessageRecord {
        id: int(r, "id")?,
        org_id: opt_int(r, "org_id")?,
        member_id: opt_int(r, "member_id")?,
        invitation_id: opt_int(r, "invitation_id")?,
        kind: text(r, "kind")?,
        state: text(r, "state")?,
        to_address: text(r, "to_address")?,
        from_name: text(r, "from_name")?,
        reply_to: text(r, "reply_to")?,
        subject: text(r, "subject")?,
        body_text: text(r, "body_text")?,
        body_html: text(r, "body_html")?,
        message_id: text(r, "message_id")?,
        attempts: int(r, "attempts")?,
        next_attempt_at: int(r, "next_attempt_at")?,
        sent_at: opt_int(r, "sent_at")?,
        last_error: opt_text(r, "last_error")?,
        created_at: int(r, "created_at")?,
    })
}

/// A message as it is written.
pub struct NewMessageRow<'a> {
    pub org_id: Option<i64>,
    pub member_id: Option<i64>,
    pub invitation_id: Option<i64>,
    pub kind: &'a str,
    /// queued, or held until the member is invited.
    pub state: &'a str,
    pub to_address: &'a str,
    pub from_name: &'a str,
    pub reply_to: &'a str,
    pub subject: &'a str,
    pub body_text: &'a str,
    pub body_html: &'a str,
    pub message_id: &'a str,
}

pub async fn insert_message(conn: &mut Conn, m: &NewMessageRow<'_>, now: i64) -> StoreResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO outbox (org_id, member_id, invitation_id, kind, state, to_address, from_name, reply_to, subject, \
         body_text, body_html, message_id, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING id",
    )
    .bind(m.org_id)
    .bind(m.member_id)
    .bind(m.invitation_id)
    .bind(m.kind)
    .bind(m.state)
    .bind(m.to_address)
    .bind(m.from_name)
    .bind(m.reply_to)
    .bind(m.subject)
    .bind(m.body_text)
    .bind(m.body_html)
    .bind(m.message_id)
    .bind(now)
    .fetch_one(conn.raw())
    .await?)
}

/// Releases the messages held for a member until their invitation: they go
/// out after it (due a second later).
pub async fn release_held_messages(conn: &mut Conn, org_id: i64, member_id: i64, now: i64) -> StoreResult<u64> {
    let done = sqlx::query(
        "UPDATE outbox SET state = 'queued', next_attempt_at = $3 WHERE org_id = $1 AND member_id = $2 AND state = 'held'",
    )
    .bind(org_id)
    .bind(member_id)
    .bind(now + 1000)
    .execute(conn.raw())
    .await?;
    Ok(done.rows_affected())
}

/// A message a worker holds; `lease_token` fences the marks.
#[derive(Debug, Clone)]
pub struct ClaimedMessage {
    pub message: MessageRecord,
    pub lease_token: String,
}

impl Store {
    /// Claims up to `limit` due messages: queued and due, or sending under a
    /// lease that has run out (its worker died; it is sent once more).
    /// Oldest first.
    pub async fn claim_messages(
        &self,
        lease_token: &str,
        lease_millis: i64,
        limit: i64,
        now: i64,
    ) -> StoreResult<Vec<ClaimedMessage>> {
        let mut tx = self.begin().await?;
        let lock = match self.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            // BEGIN IMMEDIATE already holds SQLite's single write lock.
            Backend::Sqlite => "",
        };
        // Messages whose worker died go back to the queue first: then the
        // claim is one range of the (state, next_attempt_at, id) index, in
        // order. (One query with OR sorted every queued message per claim.)
        sqlx::query(
            "UPDATE outbox SET state = 'queued', lease_token = NULL, lease_expires_at = NULL \
             WHERE state = 'sending' AND lease_expires_at < $1",
        )
        .bind(now)
        .execute(tx.raw())
        .await?;
        let rows = sqlx::query(&format!(
            "UPDATE outbox SET state = 'sending', attempts = attempts + 1, lease_token = $1, lease_expires_at = $2 \
             WHERE id IN (SELECT id FROM outbox WHERE state = 'queued' AND next_attempt_at <= $3 \
             ORDER BY next_attempt_at, id LIMIT $4{lock}) RETURNING {COLUMNS}"
        ))
        .bind(lease_token)
        .bind(now + lease_millis)
        .bind(now)
        .bind(limit)
        .fetch_all(tx.raw())
        .await?;
        tx.commit().await?;
        let mut claimed = rows
            .iter()
            .map(|r| {
                Ok(ClaimedMessage {
                    message: from_row(r)?,
                    lease_token: lease_token.to_owned(),
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        claimed.sort_by_key(|c| (c.message.next_attempt_at, c.message.id));
        Ok(claimed)
    }
}

/// Marks a message sent; false if its lease was lost.
pub async fn mark_message_sent(conn: &mut Conn, id: i64, lease_token: &str, now: i64) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE outbox SET state = 'sent', sent_at = $3, lease_token = NULL, lease_expires_at = NULL \
         WHERE id = $1 AND lease_token = $2",
    )
    .bind(id)
    .bind(lease_token)
    .bind(now)
    .execute(conn.raw())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records a failed attempt: back to the queue at `retry_at`, or failed for
/// good (`retry_at` none: a permanent refusal, or no attempts left).
pub async fn mark_message_failed(
    conn: &mut Conn,
    id: i64,
    lease_token: &str,
    error: &str,
    retry_at: Option<i64>,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE outbox SET state = CASE WHEN $4 < 0 THEN 'failed' ELSE 'queued' END, \
         next_attempt_at = CASE WHEN $4 < 0 THEN next_attempt_at ELSE $4 END, last_error = $3, \
         lease_token = NULL, lease_expires_at = NULL WHERE id = $1 AND lease_token = $2",
    )
    .bind(id)
    .bind(lease_token)
    .bind(error)
    .bind(retry_at.unwrap_or(-1))
    .execute(conn.raw())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Puts a claimed message back without counting an attempt (the
/// organization's hourly limit is reached): due again at `at`.
pub async fn defer_message(conn: &mut Conn, id: i64, lease_token: &str, at: i64) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE outbox SET state = 'queued', next_attempt_at = $3, attempts = attempts - 1, lease_token = NULL, \
         lease_expires_at = NULL WHERE id = $1 AND lease_token = $2",
    )
    .bind(id)
    .bind(lease_token)
    .bind(at)
    .execute(conn.raw())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Messages sent for an organization since `since` (its hourly limit).
pub async fn messages_sent_since(conn: &mut Conn, org_id: i64, since: i64) -> StoreResult<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE org_id = $1 AND sent_at >= $2")
            .bind(org_id)
            .bind(since)
            .fetch_one(conn.raw())
            .await?,
    )
}

/// A member's messages (without their bodies), newest first.
pub async fn messages_of_member(conn: &mut Conn, org_id: i64, member_id: i64) -> StoreResult<Vec<MessageRecord>> {
    let rows = sqlx::query(&format!(
        "SELECT {STATE_COLUMNS} FROM outbox WHERE org_id = $1 AND member_id = $2 ORDER BY id DESC LIMIT 100"
    ))
    .bind(org_id)
    .bind(member_id)
    .fetch_all(conn.raw())
    .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// One message with its bodies, if it is the organization's.
pub async fn message_by_id(conn: &mut Conn, org_id: i64, id: i64) -> StoreResult<Option<MessageRecord>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM outbox WHERE org_id = $1 AND id = $2"))
        .bind(org_id)
        .bind(id)
        .fetch_optional(conn.raw())
        .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// How many messages are in each state, from the message `from_id` on (a
/// batch the command line waits for), for one organization or all.
pub async fn outbox_counts(conn: &mut Conn, org_id: Option<i64>, from_id: i64) -> StoreResult<Vec<(String, i64)>> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT state, COUNT(*) FROM outbox WHERE ($1 < 0 OR org_id = $1) AND id >= $2 GROUP BY state ORDER BY state",
    )
    .bind(org_id.unwrap_or(-1))
    .bind(from_id)
    .fetch_all(conn.raw())
    .await?;
    Ok(rows)
}
