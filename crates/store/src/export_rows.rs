//! What exports read beside the members list: a page's team assignments,
//! last sign-ins and invitations; the teams' counts; statistics by day.
//! Member ids in `IN (…)` lists are integers the store itself read.

use crate::rows::{flag, int, opt_int, text};
use crate::{Conn, StoreResult};

fn id_list(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

// The look-ups' SQL, shared with the bulk read path (`bulk_read`): `$1` is
// the organization; the columns come in this order.

pub(crate) fn assignments_sql(member_ids: &[i64]) -> String {
    format!(
        "SELECT tm.member_id, tm.team_id, t.name, tm.team_role, tm.core_member FROM team_members tm \
         JOIN teams t ON t.id = tm.team_id WHERE tm.org_id = $1 AND tm.member_id IN ({}) \
         ORDER BY tm.member_id, t.name, t.id",
        id_list(member_ids)
    )
}

pub(crate) fn last_sign_ins_sql(member_ids: &[i64]) -> String {
    format!(
        "SELECT m.id, a.last_sign_in_at FROM members m JOIN accounts a ON a.id = m.account_id \
         WHERE m.org_id = $1 AND m.id IN ({}) AND a.last_sign_in_at IS NOT NULL",
        id_list(member_ids)
    )
}

pub(crate) fn newest_invitations_sql(member_ids: &[i64]) -> String {
    format!(
        // (The ids come from the organization's own invitations; filtering
        // the outer query by organization too made SQLite scan all of them.)
        "SELECT i.member_id, i.state, i.expires_at FROM invitations i WHERE i.id IN \
         (SELECT MAX(id) FROM invitations WHERE org_id = $1 AND member_id IN ({}) GROUP BY member_id)",
        id_list(member_ids)
    )
}

/// One member's place in one team.
#[derive(Debug, Clone)]
pub struct Assignment {
    pub member_id: i64,
    pub team_id: i64,
    pub team_name: String,
    pub team_role: String,
    pub core_member: bool,
}

/// The team assignments of some members, by member then team name.
pub async fn assignments_of(conn: &mut Conn, org_id: i64, member_ids: &[i64]) -> StoreResult<Vec<Assignment>> {
    if member_ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = sqlx::query(&assignments_sql(member_ids))
        .bind(org_id)
        .fetch_all(conn.raw())
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Assignment {
                member_id: int(r, "member_id")?,
                team_id: int(r, "team_id")?,
                team_name: text(r, "name")?,
                team_role: text(r, "team_role")?,
                core_member: flag(r, "core_member")?,
            })
        })
        .collect()
}

/// When each of some members last signed in (members without an account, or
/// who never signed in, are left out).
pub async fn last_sign_ins(conn: &mut Conn, org_id: i64, member_ids: &[i64]) -> StoreResult<Vec<(i64, i64)>> {
    if member_ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = sqlx::query(&last_sign_ins_sql(member_ids))
        .bind(org_id)
        .fetch_all(conn.raw())
        .await?;
    rows.iter()
        .map(|r| Ok((int(r, "id")?, int(r, "last_sign_in_at")?)))
        .collect()
}

/// The newest invitation of each of some members: (member, state, expires_at).
pub async fn newest_invitations_of(
    conn: &mut Conn,
    org_id: i64,
    member_ids: &[i64],
) -> StoreResult<Vec<(i64, String, i64)>> {
    if member_ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = sqlx::query(&newest_invitations_sql(member_ids))
        .bind(org_id)
        .fetch_all(conn.raw())
        .await?;
    rows.iter()
        .map(|r| Ok((int(r, "member_id")?, text(r, "state")?, int(r, "expires_at")?)))
        .collect()
}

/// Per team: members, leads and core members.
pub async fn team_counts(conn: &mut Conn, org_id: i64) -> StoreResult<Vec<(i64, i64, i64, i64)>> {
    let rows = sqlx::query(
        "SELECT team_id, COUNT(*) AS members, \
         CAST(SUM(CASE WHEN team_role = 'lead' THEN 1 ELSE 0 END) AS BIGINT) AS leads, \
         CAST(SUM(core_member) AS BIGINT) AS core \
         FROM team_members WHERE org_id = $1 GROUP BY team_id",
    )
    .bind(org_id)
    .fetch_all(conn.raw())
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                int(r, "team_id")?,
                int(r, "members")?,
                opt_int(r, "leads")?.unwrap_or(0),
                opt_int(r, "core")?.unwrap_or(0),
            ))
        })
        .collect()
}

/// Every division admin: (team, member).
pub async fn all_division_admins(conn: &mut Conn, org_id: i64) -> StoreResult<Vec<(i64, i64)>> {
    let rows = sqlx::query("SELECT team_id, member_id FROM division_admins WHERE org_id = $1 ORDER BY team_id")
        .bind(org_id)
        .fetch_all(conn.raw())
        .await?;
    rows.iter()
        .map(|r| Ok((int(r, "team_id")?, int(r, "member_id")?)))
        .collect()
}

/// The organization's members (removed ones left out) counted by one
/// column: `status`, `role` or `seat_type` (no seat counts as `''`).
pub async fn member_counts_by(conn: &mut Conn, org_id: i64, dimension: &str) -> StoreResult<Vec<(String, i64)>> {
    let column = match dimension {
        "status" => "status",
        "role" => "role",
        _ => "COALESCE(seat_type, '')",
    };
    let rows = sqlx::query(&format!(
        "SELECT {column} AS value, COUNT(*) AS n FROM members WHERE org_id = $1 AND status <> 'removed' \
         GROUP BY {column} ORDER BY 1"
    ))
    .bind(org_id)
    .fetch_all(conn.raw())
    .await?;
    rows.iter().map(|r| Ok((text(r, "value")?, int(r, "n")?))).collect()
}

/// Stores the day's counts (replacing any earlier count of that day).
pub async fn record_daily_counts(
    conn: &mut Conn,
    org_id: i64,
    day: i64,
    counts: &[(&str, String, i64)],
) -> StoreResult<()> {
    sqlx::query("DELETE FROM member_daily_counts WHERE org_id = $1 AND day = $2")
        .bind(org_id)
        .bind(day)
        .execute(conn.raw())
        .await?;
    for (dimension, value, count) in counts {
        sqlx::query(
            "INSERT INTO member_daily_counts (org_id, day, dimension, value, count) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(org_id)
        .bind(day)
        .bind(*dimension)
        .bind(value.as_str())
        .bind(*count)
        .execute(conn.raw())
        .await?;
    }
    Ok(())
}

/// Stored daily counts from `first` to `last` (days since the epoch):
/// (day, dimension, value, count).
pub async fn daily_counts(
    conn: &mut Conn,
    org_id: i64,
    first: i64,
    last: i64,
) -> StoreResult<Vec<(i64, String, String, i64)>> {
    let rows = sqlx::query(
        "SELECT day, dimension, value, count FROM member_daily_counts WHERE org_id = $1 AND day >= $2 AND day <= $3 \
         ORDER BY day",
    )
    .bind(org_id)
    .bind(first)
    .bind(last)
    .fetch_all(conn.raw())
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                int(r, "day")?,
                text(r, "dimension")?,
                text(r, "value")?,
                int(r, "count")?,
            ))
        })
        .collect()
}

/// Every status change of the organization's members, oldest first:
/// (member, to_status, at).
pub async fn status_changes(conn: &mut Conn, org_id: i64, until: i64) -> StoreResult<Vec<(i64, String, i64)>> {
    let rows = sqlx::query(
        "SELECT member_id, to_status, at FROM member_status_history WHERE org_id = $1 AND at < $2 ORDER BY at, id",
    )
    .bind(org_id)
    .bind(until)
    .fetch_all(conn.raw())
    .await?;
    rows.iter()
        .map(|r| Ok((int(r, "member_id")?, text(r, "to_status")?, int(r, "at")?)))
        .collect()
}

/// Organizations, for the worker's daily counts.
pub async fn org_ids(conn: &mut Conn) -> StoreResult<Vec<i64>> {
    Ok(sqlx::query_scalar("SELECT id FROM organizations ORDER BY id")
        .fetch_all(conn.raw())
        .await?)
}

/// The content items apps registered, optionally of one kind, with owners' names.
pub async fn content_items_for_export(
    conn: &mut Conn,
    org_id: i64,
    kind: Option<&str>,
) -> StoreResult<Vec<(crate::ContentItemRecord, String, String, bool)>> {
    let rows = sqlx::query(
        "SELECT c.id, c.owner_member_id, c.kind, c.external_ref, c.title, c.created_at, m.first_name, m.last_name, \
         m.email, m.external FROM content_items c JOIN members m ON m.id = c.owner_member_id \
         WHERE c.org_id = $1 AND ($2 = '' OR c.kind = $2) ORDER BY c.kind, c.id",
    )
    .bind(org_id)
    .bind(kind.unwrap_or(""))
    .fetch_all(conn.raw())
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                crate::ContentItemRecord {
                    id: int(r, "id")?,
                    owner_member_id: int(r, "owner_member_id")?,
                    kind: text(r, "kind")?,
                    external_ref: text(r, "external_ref")?,
                    title: text(r, "title")?,
                    created_at: int(r, "created_at")?,
                },
                format!("{} {}", text(r, "first_name")?, text(r, "last_name")?),
                text(r, "email")?,
                flag(r, "external")?,
            ))
        })
        .collect()
}

/// The newest message of each of some invitations: (invitation, state, error).
pub async fn delivery_of_invitations(
    conn: &mut Conn,
    org_id: i64,
    invitation_ids: &[i64],
) -> StoreResult<Vec<(i64, String, String)>> {
    if invitation_ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = sqlx::query(&format!(
        "SELECT invitation_id, state, last_error FROM outbox WHERE id IN (SELECT MAX(id) FROM outbox \
         WHERE org_id = $1 AND invitation_id IN ({}) GROUP BY invitation_id)",
        id_list(invitation_ids)
    ))
    .bind(org_id)
    .fetch_all(conn.raw())
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                int(r, "invitation_id")?,
                text(r, "state")?,
                crate::rows::opt_text(r, "last_error")?.unwrap_or_default(),
            ))
        })
        .collect()
}

/// Which of some members are members of another company.
pub async fn external_member_ids(conn: &mut Conn, org_id: i64, member_ids: &[i64]) -> StoreResult<Vec<i64>> {
    if member_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(sqlx::query_scalar(&format!(
        "SELECT id FROM members WHERE org_id = $1 AND external = 1 AND id IN ({})",
        id_list(member_ids)
    ))
    .bind(org_id)
    .fetch_all(conn.raw())
    .await?)
}
