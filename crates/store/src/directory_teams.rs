//! Teams that are the identity provider's groups: made, renamed and
//! filled by SCIM, unique by name (without regard to case) among the
//! organization's directory groups, and optionally granting their members
//! a role. Memberships change a set at a time: a PATCH adding a thousand
//! members is a few statements, not a thousand.

use std::collections::HashMap;

use roster_scim::Cond;
use sqlx::any::AnyRow;

use crate::rows::{int, opt_text, text};
use crate::scim_filter::group_condition;
use crate::sql::Sql;
use crate::{Conn, StoreResult};

/// A directory group as SCIM shows it (without its members).
#[derive(Debug, Clone, PartialEq)]
pub struct GroupRecord {
    pub id: i64,
    pub name: String,
    pub external_key: Option<String>,
    pub grants_role: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "t.id, t.name, t.external_key, t.grants_role, t.created_at, t.updated_at";

fn from_row(r: &AnyRow) -> Result<GroupRecord, sqlx::Error> {
    Ok(GroupRecord {
        id: int(r, "id")?,
        name: text(r, "name")?,
        external_key: opt_text(r, "external_key")?,
        grants_role: opt_text(r, "grants_role")?,
        created_at: int(r, "created_at")?,
        updated_at: int(r, "updated_at")?,
    })
}

/// A directory group's own fields.
#[derive(Debug, Clone)]
pub struct GroupFields {
    pub name: String,
    /// The name's comparison key (NFC, lower case).
    pub name_key: String,
    pub external_key: Option<String>,
}

pub async fn insert_group(conn: &mut Conn, org_id: i64, f: &GroupFields, now: i64) -> StoreResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO teams (org_id, parent_id, name, purpose, external_key, is_division, created_at, updated_at, \
         directory, name_key) VALUES ($1, NULL, $2, '', $3, 0, $4, $4, 1, $5) RETURNING id",
    )
    .bind(org_id)
    .bind(&f.name)
    .bind(f.external_key.as_deref())
    .bind(now)
    .bind(&f.name_key)
    .fetch_one(conn.raw())
    .await?)
}

pub async fn update_group(conn: &mut Conn, org_id: i64, id: i64, f: &GroupFields, now: i64) -> StoreResult<()> {
    sqlx::query(
        "UPDATE teams SET name = $3, name_key = $4, external_key = $5, \
         updated_at = CASE WHEN updated_at < $6 THEN $6 ELSE updated_at + 1 END \
         WHERE org_id = $1 AND id = $2 AND directory = 1",
    )
    .bind(org_id)
    .bind(id)
    .bind(&f.name)
    .bind(&f.name_key)
    .bind(f.external_key.as_deref())
    .bind(now)
    .execute(conn.raw())
    .await?;
    Ok(())
}

/// Marks a group changed (its members did): a later time than before.
pub async fn touch_group(conn: &mut Conn, org_id: i64, id: i64, now: i64) -> StoreResult<()> {
    sqlx::query(
        "UPDATE teams SET updated_at = CASE WHEN updated_at < $3 THEN $3 ELSE updated_at + 1 END \
         WHERE org_id = $1 AND id = $2",
    )
    .bind(org_id)
    .bind(id)
    .bind(now)
    .execute(conn.raw())
    .await?;
    Ok(())
}

pub async fn group(conn: &mut Conn, org_id: i64, id: i64) -> StoreResult<Option<GroupRecord>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM teams t WHERE t.org_id = $1 AND t.id = $2 AND t.directory = 1"
    ))
    .bind(org_id)
    .bind(id)
    .fetch_optional(conn.raw())
    .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

pub async fn group_by_name(conn: &mut Conn, org_id: i64, name_key: &str) -> StoreResult<Option<GroupRecord>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM teams t WHERE t.org_id = $1 AND t.name_key = $2"
    ))
    .bind(org_id)
    .bind(name_key)
    .fetch_optional(conn.raw())
    .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// A page of directory groups in id order, narrowed by what of `cond` SQL
/// decides (see `directory_members_page`).
pub async fn groups_page(
    conn: &mut Conn,
    org_id: i64,
    cond: Option<&Cond>,
    after_id: i64,
    offset: i64,
    limit: i64,
) -> StoreResult<Vec<GroupRecord>> {
    let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM teams t WHERE t.org_id = "));
    sql.bind(org_id).push(" AND t.directory = 1 AND t.id > ").bind(after_id);
    if let Some(cond) = cond {
        sql.push(" AND ");
        group_condition(&mut sql, org_id, cond);
    }
    sql.push(" ORDER BY t.id LIMIT ")
        .bind(limit)
        .push(" OFFSET ")
        .bind(offset);
    let rows = sql.fetch_all(conn).await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

pub async fn count_groups(conn: &mut Conn, org_id: i64, cond: Option<&Cond>) -> StoreResult<i64> {
    let mut sql = Sql::new("SELECT COUNT(*) AS n FROM teams t WHERE t.org_id = ");
    sql.bind(org_id).push(" AND t.directory = 1");
    if let Some(cond) = cond {
        sql.push(" AND ");
        group_condition(&mut sql, org_id, cond);
    }
    let rows = sql.fetch_all(conn).await?;
    Ok(rows.first().map(|r| int(r, "n")).transpose()?.unwrap_or(0))
}

/// A group's members' ids, in order.
pub async fn group_member_ids(conn: &mut Conn, org_id: i64, team_id: i64) -> StoreResult<Vec<i64>> {
    Ok(
        sqlx::query_scalar("SELECT member_id FROM team_members WHERE org_id = $1 AND team_id = $2 ORDER BY member_id")
            .bind(org_id)
            .bind(team_id)
            .fetch_all(conn.raw())
            .await?,
    )
}

/// The members of each of these groups (for a page of groups).
pub async fn members_of_groups(conn: &mut Conn, org_id: i64, team_ids: &[i64]) -> StoreResult<HashMap<i64, Vec<i64>>> {
    let mut out: HashMap<i64, Vec<i64>> = HashMap::new();
    for chunk in team_ids.chunks(500) {
        let mut sql = Sql::new("SELECT team_id, member_id FROM team_members WHERE org_id = ");
        sql.bind(org_id).push(" AND team_id IN (");
        push_ids(&mut sql, chunk);
        sql.push(") ORDER BY team_id, member_id");
        for row in sql.fetch_all(conn).await? {
            out.entry(int(&row, "team_id")?)
                .or_default()
                .push(int(&row, "member_id")?);
        }
    }
    Ok(out)
}

fn push_ids(sql: &mut Sql, ids: &[i64]) {
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(*id);
    }
}

/// Which of these members are in the team already.
pub async fn team_members_among(conn: &mut Conn, org_id: i64, team_id: i64, ids: &[i64]) -> StoreResult<Vec<i64>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        let mut sql = Sql::new("SELECT member_id FROM team_members WHERE org_id = ");
        sql.bind(org_id)
            .push(" AND team_id = ")
            .bind(team_id)
            .push(" AND member_id IN (");
        push_ids(&mut sql, chunk);
        sql.push(")");
        for row in sql.fetch_all(conn).await? {
            out.push(int(&row, "member_id")?);
        }
    }
    Ok(out)
}

/// Adds members to a team (as members, not core); those already in stay as they are.
pub async fn insert_team_members(conn: &mut Conn, org_id: i64, team_id: i64, ids: &[i64]) -> StoreResult<()> {
    for chunk in ids.chunks(500) {
        let mut sql = Sql::new("INSERT INTO team_members (team_id, member_id, org_id, team_role, core_member) VALUES ");
        for (i, id) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push("(")
                .bind(team_id)
                .push(", ")
                .bind(*id)
                .push(", ")
                .bind(org_id)
                .push(", 'member', 0)");
        }
        sql.push(" ON CONFLICT (team_id, member_id) DO NOTHING");
        sql.execute(conn).await?;
    }
    Ok(())
}

/// Takes members out of a team; returns how many were in it.
pub async fn delete_team_members(conn: &mut Conn, org_id: i64, team_id: i64, ids: &[i64]) -> StoreResult<u64> {
    let mut removed = 0;
    for chunk in ids.chunks(500) {
        let mut sql = Sql::new("DELETE FROM team_members WHERE org_id = ");
        sql.bind(org_id)
            .push(" AND team_id = ")
            .bind(team_id)
            .push(" AND member_id IN (");
        push_ids(&mut sql, chunk);
        sql.push(")");
        removed += sql.execute(conn).await?;
    }
    Ok(removed)
}

/// Sets (or clears) the role a directory group grants its members.
pub async fn set_group_grants_role(conn: &mut Conn, org_id: i64, id: i64, role: Option<&str>) -> StoreResult<()> {
    sqlx::query("UPDATE teams SET grants_role = $3 WHERE org_id = $1 AND id = $2 AND directory = 1")
        .bind(org_id)
        .bind(id)
        .bind(role)
        .execute(conn.raw())
        .await?;
    Ok(())
}

/// The roles that directory groups grant each of these members.
pub async fn roles_granted_to(
    conn: &mut Conn,
    org_id: i64,
    member_ids: &[i64],
) -> StoreResult<HashMap<i64, Vec<String>>> {
    let mut out: HashMap<i64, Vec<String>> = HashMap::new();
    for chunk in member_ids.chunks(500) {
        let mut sql = Sql::new(
            "SELECT tm.member_id, t.grants_role FROM team_members tm JOIN teams t ON t.id = tm.team_id \
             WHERE tm.org_id = ",
        );
        sql.bind(org_id)
            .push(" AND t.directory = 1 AND t.grants_role IS NOT NULL AND tm.member_id IN (");
        push_ids(&mut sql, chunk);
        sql.push(") ORDER BY t.id");
        for row in sql.fetch_all(conn).await? {
            out.entry(int(&row, "member_id")?)
                .or_default()
                .push(text(&row, "grants_role")?);
        }
        // The roles the identity provider's groups gave at the last sign-in.
        let mut sql = Sql::new("SELECT member_id, role FROM sso_role_grants WHERE org_id = ");
        sql.bind(org_id).push(" AND member_id IN (");
        push_ids(&mut sql, chunk);
        sql.push(") ORDER BY role");
        for row in sql.fetch_all(conn).await? {
            out.entry(int(&row, "member_id")?)
                .or_default()
                .push(text(&row, "role")?);
        }
    }
    Ok(out)
}

/// Which of these members hold a role a directory group granted (and
/// remember the one before it).
pub async fn members_with_granted_roles(conn: &mut Conn, org_id: i64, ids: &[i64]) -> StoreResult<Vec<i64>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        let mut sql = Sql::new("SELECT m.id FROM members m WHERE m.org_id = ");
        sql.bind(org_id)
            .push(" AND m.role_before_groups IS NOT NULL AND m.id IN (");
        push_ids(&mut sql, chunk);
        sql.push(")");
        for row in sql.fetch_all(conn).await? {
            out.push(int(&row, "id")?);
        }
    }
    Ok(out)
}
