use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::rows::{flag, flag_value, int, opt_int, opt_text, text};
use crate::{Conn, StoreResult};

#[derive(Debug, Clone, Serialize)]
pub struct TeamRecord {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub name: String,
    pub purpose: String,
    pub external_key: Option<String>,
    pub is_division: bool,
    pub member_count: i64,
    /// A directory group: the identity provider names and fills it.
    pub directory: bool,
    /// The role a directory group grants its members.
    pub grants_role: Option<String>,
}

#[derive(Debug, Clone)]
pub struct TeamFields {
    pub parent_id: Option<i64>,
    pub name: String,
    pub purpose: String,
    pub external_key: Option<String>,
    pub is_division: bool,
}

const COLUMNS: &str =
    "t.id, t.parent_id, t.name, t.purpose, t.external_key, t.is_division, t.directory, t.grants_role, \
    (SELECT COUNT(*) FROM team_members tm WHERE tm.team_id = t.id) AS member_count";

fn from_row(r: &AnyRow) -> Result<TeamRecord, sqlx::Error> {
    Ok(TeamRecord {
        id: int(r, "id")?,
        parent_id: opt_int(r, "parent_id")?,
        name: text(r, "name")?,
        purpose: text(r, "purpose")?,
        external_key: opt_text(r, "external_key")?,
        is_division: flag(r, "is_division")?,
        member_count: int(r, "member_count")?,
        directory: flag(r, "directory")?,
        grants_role: opt_text(r, "grants_role")?,
    })
}

pub async fn insert_team(conn: &mut Conn, org_id: i64, f: &TeamFields, now: i64) -> StoreResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO teams (org_id, parent_id, name, purpose, external_key, is_division, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
    )
    .bind(org_id)
    .bind(f.parent_id)
    .bind(&f.name)
    .bind(&f.purpose)
    .bind(f.external_key.as_deref())
    .bind(flag_value(f.is_division))
    .bind(now)
    .fetch_one(conn.raw())
    .await?)
}

pub async fn update_team(conn: &mut Conn, org_id: i64, id: i64, f: &TeamFields, now: i64) -> StoreResult<()> {
    sqlx::query(
        "UPDATE teams SET parent_id = $3, name = $4, purpose = $5, external_key = $6, is_division = $7, updated_at = $8 \
         WHERE org_id = $1 AND id = $2",
    )
    .bind(org_id)
    .bind(id)
    .bind(f.parent_id)
    .bind(&f.name)
    .bind(&f.purpose)
    .bind(f.external_key.as_deref())
    .bind(flag_value(f.is_division))
    .bind(now)
    .execute(conn.raw())
    .await?;
    Ok(())
}

pub async fn team_by_id(conn: &mut Conn, org_id: i64, id: i64) -> StoreResult<Option<TeamRecord>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM teams t WHERE t.org_id = $1 AND t.id = $2"
    ))
    .bind(org_id)
    .bind(id)
    .fetch_optional(conn.raw())
    .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

pub async fn list_teams(conn: &mut Conn, org_id: i64) -> StoreResult<Vec<TeamRecord>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM teams t WHERE t.org_id = $1 ORDER BY t.name, t.id"
    ))
    .bind(org_id)
    .fetch_all(conn.raw())
    .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

pub async fn child_team_count(conn: &mut Conn, org_id: i64, id: i64) -> StoreResult<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM teams WHERE org_id = $1 AND parent_id = $2")
            .bind(org_id)
            .bind(id)
            .fetch_one(conn.raw())
            .await?,
    )
}

pub async fn delete_team(conn: &mut Conn, org_id: i64, id: i64) -> StoreResult<()> {
    sqlx::query("DELETE FROM teams WHERE org_id = $1 AND id = $2")
        .bind(org_id)
        .bind(id)
        .execute(conn.raw())
        .await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct TeamMemberRecord {
    pub member_id: i64,
    pub first_name: String,
    pub last_name: String,
    pub team_role: String,
    pub core_member: bool,
    /// The member's place in the organization's name order; internal.
    #[serde(skip)]
    pub sort_key: Vec<u8>,
}

/// Adds a member to a team, or changes their team role and core flag.
pub async fn upsert_team_member(
    conn: &mut Conn,
    org_id: i64,
    team_id: i64,
    member_id: i64,
    team_role: &str,
    core_member: bool,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO team_members (team_id, member_id, org_id, team_role, core_member) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (team_id, member_id) DO UPDATE SET team_role = excluded.team_role, core_member = excluded.core_member",
    )
    .bind(team_id)
    .bind(member_id)
    .bind(org_id)
    .bind(team_role)
    .bind(flag_value(core_member))
    .execute(conn.raw())
    .await?;
    Ok(())
}

pub async fn remove_team_member(conn: &mut Conn, org_id: i64, team_id: i64, member_id: i64) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM team_members WHERE org_id = $1 AND team_id = $2 AND member_id = $3")
        .bind(org_id)
        .bind(team_id)
        .bind(member_id)
        .execute(conn.raw())
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Where a page of a team's members starts: after this member in the
/// organization's name order (the sort key in hexadecimal), then id.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TeamMemberCursor {
    pub sort_key: String,
    pub member_id: i64,
}

impl TeamMemberRecord {
    pub fn cursor(&self) -> TeamMemberCursor {
        TeamMemberCursor {
            sort_key: crate::sql::to_hex(&self.sort_key),
            member_id: self.member_id,
        }
    }
}

const TEAM_MEMBER_COLUMNS: &str = "tm.member_id, m.first_name, m.last_name, tm.team_role, tm.core_member, m.sort_key";

fn team_member_row(r: &AnyRow) -> Result<TeamMemberRecord, sqlx::Error> {
    Ok(TeamMemberRecord {
        member_id: int(r, "member_id")?,
        first_name: text(r, "first_name")?,
        last_name: text(r, "last_name")?,
        team_role: text(r, "team_role")?,
        core_member: flag(r, "core_member")?,
        sort_key: r.try_get("sort_key")?,
    })
}

/// A page of a team's members, by name: at most `limit`, after `after`.
pub async fn team_members(
    conn: &mut Conn,
    org_id: i64,
    team_id: i64,
    after: Option<&TeamMemberCursor>,
    limit: i64,
) -> StoreResult<Vec<TeamMemberRecord>> {
    let (key, id) = match after {
        Some(c) => (
            crate::sql::from_hex(&c.sort_key).ok_or_else(|| crate::StoreError::Corrupt("cursor".into()))?,
            c.member_id,
        ),
        None => (Vec::new(), 0),
    };
    // The empty key sorts before every other: the first page starts there.
    let rows = sqlx::query(&format!(
        "SELECT {TEAM_MEMBER_COLUMNS} FROM team_members tm JOIN members m ON m.id = tm.member_id \
         WHERE tm.org_id = $1 AND tm.team_id = $2 AND (m.sort_key > $3 OR (m.sort_key = $3 AND m.id > $4)) \
         ORDER BY m.sort_key, m.id LIMIT $5"
    ))
    .bind(org_id)
    .bind(team_id)
    .bind(key)
    .bind(id)
    .bind(limit)
    .fetch_all(conn.raw())
    .await?;
    Ok(rows.iter().map(team_member_row).collect::<Result<_, _>>()?)
}

/// One member's place in a team.
pub async fn team_member(
    conn: &mut Conn,
    org_id: i64,
    team_id: i64,
    member_id: i64,
) -> StoreResult<Option<TeamMemberRecord>> {
    let row = sqlx::query(&format!(
        "SELECT {TEAM_MEMBER_COLUMNS} FROM team_members tm JOIN members m ON m.id = tm.member_id \
         WHERE tm.org_id = $1 AND tm.team_id = $2 AND tm.member_id = $3"
    ))
    .bind(org_id)
    .bind(team_id)
    .bind(member_id)
    .fetch_optional(conn.raw())
    .await?;
    Ok(row.as_ref().map(team_member_row).transpose()?)
}

/// How many members a team has.
pub async fn team_member_count(conn: &mut Conn, org_id: i64, team_id: i64) -> StoreResult<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM team_members WHERE org_id = $1 AND team_id = $2")
            .bind(org_id)
            .bind(team_id)
            .fetch_one(conn.raw())
            .await?,
    )
}

#[derive(Debug, Clone, Serialize)]
pub struct MemberTeam {
    pub team_id: i64,
    pub name: String,
    pub team_role: String,
    pub core_member: bool,
}

pub async fn teams_of_member(conn: &mut Conn, org_id: i64, member_id: i64) -> StoreResult<Vec<MemberTeam>> {
    let rows = sqlx::query(
        "SELECT t.id, t.name, tm.team_role, tm.core_member FROM team_members tm JOIN teams t ON t.id = tm.team_id \
         WHERE tm.org_id = $1 AND tm.member_id = $2 ORDER BY t.name",
    )
    .bind(org_id)
    .bind(member_id)
    .fetch_all(conn.raw())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(MemberTeam {
                team_id: int(r, "id")?,
                name: text(r, "name")?,
                team_role: text(r, "team_role")?,
                core_member: flag(r, "core_member")?,
            })
        })
        .collect()
}

pub async fn add_division_admin(conn: &mut Conn, org_id: i64, team_id: i64, member_id: i64) -> StoreResult<()> {
    sqlx::query("INSERT INTO division_admins (team_id, member_id, org_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
        .bind(team_id)
        .bind(member_id)
        .bind(org_id)
        .execute(conn.raw())
        .await?;
    Ok(())
}

pub async fn remove_division_admin(conn: &mut Conn, org_id: i64, team_id: i64, member_id: i64) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM division_admins WHERE org_id = $1 AND team_id = $2 AND member_id = $3")
        .bind(org_id)
        .bind(team_id)
        .bind(member_id)
        .execute(conn.raw())
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn division_admins(conn: &mut Conn, org_id: i64, team_id: i64) -> StoreResult<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT member_id FROM division_admins WHERE org_id = $1 AND team_id = $2 ORDER BY member_id",
    )
    .bind(org_id)
    .bind(team_id)
    .fetch_all(conn.raw())
    .await?)
}

/// Whether `team_id` is one of `admin`'s divisions or lies below one.
pub async fn team_in_division_scope(conn: &mut Conn, org_id: i64, admin: i64, team_id: i64) -> StoreResult<bool> {
    let n: i64 = sqlx::query_scalar(
        "WITH RECURSIVE scope(id) AS (SELECT team_id FROM division_admins WHERE org_id = $1 AND member_id = $2 \
         UNION SELECT t.id FROM teams t JOIN scope s ON t.parent_id = s.id) SELECT COUNT(*) FROM scope WHERE id = $3",
    )
    .bind(org_id)
    .bind(admin)
    .bind(team_id)
    .fetch_one(conn.raw())
    .await?;
    Ok(n > 0)
}

/// Takes a member out of every team and division they administer.
pub async fn remove_member_from_all_teams(conn: &mut Conn, org_id: i64, member_id: i64) -> StoreResult<()> {
    sqlx::query("DELETE FROM team_members WHERE org_id = $1 AND member_id = $2")
        .bind(org_id)
        .bind(member_id)
        .execute(conn.raw())
        .await?;
    sqlx::query("DELETE FROM division_admins WHERE org_id = $1 AND member_id = $2")
        .bind(org_id)
        .bind(member_id)
        .execute(conn.raw())
        .await?;
    Ok(())
}
