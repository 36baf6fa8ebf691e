//! Invitations: one row per link sent. A member has at most one pending
//! invitation, and only its link works; every other ended, with a reason.

use sqlx::any::AnyRow;

use crate::rows::{int, opt_int, opt_text, text};
use crate::{Conn, StoreResult};

#[derive(Debug, Clone)]
pub struct InvitationRecord {
    pub id: i64,
    pub org_id: i64,
    pub member_id: i64,
    pub role: String,
    pub seat_type: Option<String>,
    pub sender_name: String,
    pub sender_email: String,
    pub subject: String,
    pub body: String,
    pub language: String,
    /// pending, accepted, revoked, replaced or expired.
    pub state: String,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub ended_at: Option<i64>,
    /// For a seat reassignment: the member whose seat this takes.
    pub reassign_from: Option<i64>,
}

const COLUMNS: &str = "id, org_id, member_id, role, seat_type, sender_name, sender_email, subject, body, language, \
    state, created_by, created_at, expires_at, ended_at, reassign_from";

fn from_row(r: &AnyRow) -> Result<InvitationRecord, sqlx::Error> {
    Ok(InvitationRecord {
        id: int(r, "id")?,
        org_id: int(r, "org_id")?,
        member_id: int(r, "member_id")?,
        role: text(r, "role")?,
        seat_type: opt_text(r, "seat_type")?,
        sender_name: text(r, "sender_name")?,
        sender_email: text(r, "sender_email")?,
        subject: text(r, "subject")?,
        body: text(r, "body")?,
        language: text(r, "language")?,
        state: text(r, "state")?,
        created_by: text(r, "created_by")?,
        created_at: int(r, "created_at")?,
        expires_at: int(r, "expires_at")?,
        ended_at: opt_int(r, "ended_at")?,
        reassign_from: opt_int(r, "reassign_from")?,
    })
}

/// An invitation as it is written.
pub struct NewInvitationRow<'a> {
    pub org_id: i64,
    pub member_id: i64,
    pub token_hash: &'a str,
    pub role: &'a str,
    pub seat_type: Option<&'a str>,
    pub sender_name: &'a str,
    pub sender_email: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    pub language: &'a str,
    pub created_by: &'a str,
    pub expires_at: i64,
    pub reassign_from: Option<i64>,
}

pub async fn insert_invitation(conn: &mut Conn, i: &NewInvitationRow<'_>, now: i64) -> StoreResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO invitations (org_id, member_id, token_hash, role, seat_type, sender_name, sender_email, subject, \
         body, language, created_by, created_at, expires_at, reassign_from, state) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'pending') RETURNING id",
    )
    .bind(i.org_id)
    .bind(i.member_id)
    .bind(i.token_hash)
    .bind(i.role)
    .bind(i.seat_type)
    .bind(i.sender_name)
    .bind(i.sender_email)
    .bind(i.subject)
    .bind(i.body)
    .bind(i.language)
    .bind(i.created_by)
    .bind(now)
    .bind(i.expires_at)
    .bind(i.reassign_from)
    .fetch_one(conn.raw())
    .await?)
}

/// Ends the member's pending invitation, if any, with `state` (revoked,
/// replaced): its link stops working. Returns the ended invitation.
pub async fn end_pending_invitation(
    conn: &mut Conn,
    org_id: i64,
    member_id: i64,
    state: &str,
    now: i64,
) -> StoreResult<Option<InvitationRecord>> {
    let row = sqlx::query(&format!(
        "UPDATE invitations SET state = $3, ended_at = $4 WHERE org_id = $1 AND member_id = $2 AND state = 'pending' \
         RETURNING {COLUMNS}"
    ))
    .bind(org_id)
    .bind(member_id)
    .bind(state)
    .bind(now)
    .fetch_optional(conn.raw())
    .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// The invitation behind a link, whatever its state.
pub async fn invitation_by_hash(conn: &mut Conn, token_hash: &str) -> StoreResult<Option<InvitationRecord>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM invitations WHERE token_hash = $1"))
        .bind(token_hash)
        .fetch_optional(conn.raw())
        .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// Marks a pending, unexpired invitation accepted. False when it is not
/// (any more): of two accepts at once exactly one gets true.
pub async fn accept_invitation(conn: &mut Conn, id: i64, now: i64) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE invitations SET state = 'accepted', ended_at = $2 WHERE id = $1 AND state = 'pending' AND expires_at > $2",
    )
    .bind(id)
    .bind(now)
    .execute(conn.raw())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A member's invitations, newest first.
pub async fn invitations_of_member(conn: &mut Conn, org_id: i64, member_id: i64) -> StoreResult<Vec<InvitationRecord>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM invitations WHERE org_id = $1 AND member_id = $2 ORDER BY id DESC LIMIT 50"
    ))
    .bind(org_id)
    .bind(member_id)
    .fetch_all(conn.raw())
    .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// The pending invitations of some members (a page of the members list).
pub async fn pending_invitations_of(
    conn: &mut Conn,
    org_id: i64,
    member_ids: &[i64],
) -> StoreResult<Vec<InvitationRecord>> {
    if member_ids.is_empty() {
        return Ok(Vec::new());
    }
    // The ids are integers the store itself read: listing them is safe.
    let ids: Vec<String> = member_ids.iter().map(i64::to_string).collect();
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM invitations WHERE org_id = $1 AND state = 'pending' AND member_id IN ({})",
        ids.join(",")
    ))
    .bind(org_id)
    .fetch_all(conn.raw())
    .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// The organization's invitations (newest first), optionally in one state.
pub async fn list_invitations(
    conn: &mut Conn,
    org_id: i64,
    state: Option<&str>,
    before_id: Option<i64>,
    limit: i64,
) -> StoreResult<Vec<InvitationRecord>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM invitations WHERE org_id = $1 AND ($2 = '' OR state = $2) AND id < $3 \
         ORDER BY id DESC LIMIT $4"
    ))
    .bind(org_id)
    .bind(state.unwrap_or(""))
    .bind(before_id.unwrap_or(i64::MAX))
    .bind(limit)
    .fetch_all(conn.raw())
    .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// Ends every pending invitation whose time is up, at most `limit` at once;
/// returns them (the caller moves their members along).
pub async fn expire_due_invitations(conn: &mut Conn, now: i64, limit: i64) -> StoreResult<Vec<InvitationRecord>> {
    let rows = sqlx::query(&format!(
        "UPDATE invitations SET state = 'expired', ended_at = $1 WHERE id IN \
         (SELECT id FROM invitations WHERE state = 'pending' AND expires_at <= $1 ORDER BY expires_at LIMIT $2) \
         RETURNING {COLUMNS}"
    ))
    .bind(now)
    .bind(limit)
    .fetch_all(conn.raw())
    .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// The pending reassignment that takes `from_member`'s seat, if any.
pub async fn pending_reassignment_from(
    conn: &mut Conn,
    org_id: i64,
    from_member: i64,
) -> StoreResult<Option<InvitationRecord>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM invitations WHERE org_id = $1 AND reassign_from = $2 AND state = 'pending'"
    ))
    .bind(org_id)
    .bind(from_member)
    .fetch_optional(conn.raw())
    .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}
