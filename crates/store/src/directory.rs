//! What the identity provider says about a member beyond Roster's own
//! fields: its `userName`, `externalId`, display name and the other SCIM
//! attributes, kept beside the member; and the SCIM view's reads, which a
//! compiled filter narrows in SQL as far as an index allows
//! (`scim_filter.rs`).

use std::collections::HashMap;

use roster_scim::Cond;
use serde_json::Value;
use sqlx::any::AnyRow;

use crate::members::{from_row as member_from_row, MemberRecord, COLUMNS_PUB};
use crate::rows::{flag, flag_value, json_object, opt_text, text};
use crate::scim_filter::user_condition;
use crate::sql::Sql;
use crate::{Conn, StoreError, StoreResult};

/// The directory's side of a member.
#[derive(Debug, Clone, PartialEq)]
pub struct DirectoryFields {
    /// The member came from (or was taken over by) the identity provider.
    pub directory: bool,
    /// `userName` as the directory sent it, and its comparison key; a
    /// member without one answers to its e-mail.
    pub user_name: Option<String>,
    pub user_name_key: Option<String>,
    pub external_id: Option<String>,
    pub display_name: String,
    /// The directory's other attributes (SCIM canonical JSON object).
    pub attributes: Value,
    /// The role held before a directory group granted one.
    pub role_before_groups: Option<String>,
}

impl Default for DirectoryFields {
    fn default() -> Self {
        Self {
            directory: false,
            user_name: None,
            user_name_key: None,
            external_id: None,
            display_name: String::new(),
            attributes: Value::Object(Default::default()),
            role_before_groups: None,
        }
    }
}

/// A member with its directory side.
#[derive(Debug, Clone)]
pub struct DirectoryMember {
    pub member: MemberRecord,
    pub directory: DirectoryFields,
}

const DIRECTORY_COLUMNS: &str = "m.directory, m.scim_user_name, m.scim_user_name_key, m.external_id, \
    m.display_name, m.scim_attributes, m.role_before_groups";

fn from_row(r: &AnyRow) -> Result<DirectoryMember, sqlx::Error> {
    Ok(DirectoryMember {
        member: member_from_row(r)?,
        directory: DirectoryFields {
            directory: flag(r, "directory")?,
            user_name: opt_text(r, "scim_user_name")?,
            user_name_key: opt_text(r, "scim_user_name_key")?,
            external_id: opt_text(r, "external_id")?,
            display_name: text(r, "display_name")?,
            attributes: json_object(r, "scim_attributes")?,
            role_before_groups: opt_text(r, "role_before_groups")?,
        },
    })
}

fn select() -> String {
    format!("SELECT {COLUMNS_PUB}, {DIRECTORY_COLUMNS} FROM members m")
}

pub async fn directory_member(conn: &mut Conn, org_id: i64, id: i64) -> StoreResult<Option<DirectoryMember>> {
    let row = sqlx::query(&format!("{} WHERE m.org_id = $1 AND m.id = $2", select()))
        .bind(org_id)
        .bind(id)
        .fetch_optional(conn.raw())
        .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// The members a `userName` (its key) names: the one whose userName it is,
/// and one without a userName whose e-mail it is — removed ones too.
pub async fn directory_members_by_user_name(
    conn: &mut Conn,
    org_id: i64,
    key: &str,
) -> StoreResult<Vec<DirectoryMember>> {
    let rows = sqlx::query(&format!(
        "{} WHERE m.org_id = $1 AND m.scim_user_name_key = $2 \
         UNION ALL {} WHERE m.org_id = $1 AND m.email_normalized = $2 AND m.scim_user_name_key IS NULL",
        select(),
        select()
    ))
    .bind(org_id)
    .bind(key)
    .fetch_all(conn.raw())
    .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// Writes a member's directory side and the keys of its other e-mails.
pub async fn set_directory_fields(
    conn: &mut Conn,
    org_id: i64,
    id: i64,
    d: &DirectoryFields,
    other_email_keys: &[String],
) -> StoreResult<()> {
    let attributes = serde_json::to_string(&d.attributes).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    sqlx::query(
        "UPDATE members SET directory = $3, scim_user_name = $4, scim_user_name_key = $5, external_id = $6, \
         display_name = $7, scim_attributes = $8, role_before_groups = $9 WHERE org_id = $1 AND id = $2",
    )
    .bind(org_id)
    .bind(id)
    .bind(flag_value(d.directory))
    .bind(d.user_name.as_deref())
    .bind(d.user_name_key.as_deref())
    .bind(d.external_id.as_deref())
    .bind(&d.display_name)
    .bind(attributes)
    .bind(d.role_before_groups.as_deref())
    .execute(conn.raw())
    .await?;
    sqlx::query("DELETE FROM member_emails WHERE org_id = $1 AND member_id = $2")
        .bind(org_id)
        .bind(id)
        .execute(conn.raw())
        .await?;
    let mut keys: Vec<&String> = other_email_keys.iter().collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        sqlx::query("INSERT INTO member_emails (org_id, member_id, email_key) VALUES ($1, $2, $3)")
            .bind(org_id)
            .bind(id)
            .bind(key.as_str())
            .execute(conn.raw())
            .await?;
    }
    Ok(())
}

/// Members an e-mail key names through their other addresses.
pub async fn members_with_other_email(conn: &mut Conn, org_id: i64, key: &str) -> StoreResult<Vec<i64>> {
    Ok(
        sqlx::query_scalar("SELECT member_id FROM member_emails WHERE org_id = $1 AND email_key = $2")
            .bind(org_id)
            .bind(key)
            .fetch_all(conn.raw())
            .await?,
    )
}

/// Where a page of SCIM's user list starts: after the member with this
/// `created_at` and id (the list's order, which never changes for a member).
pub type UserPosition = (i64, i64);

/// A page of the organization's members as SCIM lists them (removed ones
/// are gone), in the order they were added (`created_at`, then id: stable,
/// and an index), after `after` and then `offset` more, narrowed by what
/// of `cond` SQL decides (the caller checks the rest row by row, when
/// `user_condition_is_exact` says so).
pub async fn directory_members_page(
    conn: &mut Conn,
    org_id: i64,
    cond: Option<&Cond>,
    after: Option<UserPosition>,
    offset: i64,
    limit: i64,
) -> StoreResult<Vec<DirectoryMember>> {
    let mut sql = Sql::new(&format!("{} WHERE m.org_id = ", select()));
    sql.bind(org_id).push(" AND m.status <> 'removed'");
    if let Some((created, id)) = after {
        sql.push(" AND (m.created_at, m.id) > (")
            .bind(created)
            .push(", ")
            .bind(id)
            .push(")");
    }
    if let Some(cond) = cond {
        sql.push(" AND ");
        user_condition(&mut sql, org_id, cond);
    }
    sql.push(" ORDER BY m.created_at, m.id LIMIT ")
        .bind(limit)
        .push(" OFFSET ")
        .bind(offset);
    let rows = sql.fetch_all(conn).await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// How many members a condition SQL decides fully selects.
pub async fn count_directory_members(conn: &mut Conn, org_id: i64, cond: Option<&Cond>) -> StoreResult<i64> {
    let mut sql = Sql::new("SELECT COUNT(*) AS n FROM members m WHERE m.org_id = ");
    sql.bind(org_id).push(" AND m.status <> 'removed'");
    if let Some(cond) = cond {
        sql.push(" AND ");
        user_condition(&mut sql, org_id, cond);
    }
    let rows = sql.fetch_all(conn).await?;
    Ok(rows.first().map(|r| crate::rows::int(r, "n")).transpose()?.unwrap_or(0))
}

/// Which of these ids are members of the organization (not removed).
pub async fn existing_members(conn: &mut Conn, org_id: i64, ids: &[i64]) -> StoreResult<Vec<i64>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        let mut sql = Sql::new("SELECT m.id FROM members m WHERE m.org_id = ");
        sql.bind(org_id).push(" AND m.status <> 'removed' AND m.id IN (");
        for (i, id) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(*id);
        }
        sql.push(")");
        for row in sql.fetch_all(conn).await? {
            out.push(crate::rows::int(&row, "id")?);
        }
    }
    Ok(out)
}

/// The directory groups each of these members belongs to: (team id, name).
pub async fn directory_groups_of(
    conn: &mut Conn,
    org_id: i64,
    member_ids: &[i64],
) -> StoreResult<HashMap<i64, Vec<(i64, String)>>> {
    let mut out: HashMap<i64, Vec<(i64, String)>> = HashMap::new();
    for chunk in member_ids.chunks(500) {
        let mut sql = Sql::new(
            "SELECT tm.member_id, t.id, t.name FROM team_members tm JOIN teams t ON t.id = tm.team_id \
             WHERE tm.org_id = ",
        );
        sql.bind(org_id).push(" AND t.directory = 1 AND tm.member_id IN (");
        for (i, id) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(*id);
        }
        sql.push(") ORDER BY t.id");
        for row in sql.fetch_all(conn).await? {
            out.entry(crate::rows::int(&row, "member_id")?)
                .or_default()
                .push((crate::rows::int(&row, "id")?, text(&row, "name")?));
        }
    }
    Ok(out)
}

/// Marks a member changed now (a later time than before, always: `meta.version`
/// is made from it).
pub async fn touch_member(conn: &mut Conn, org_id: i64, id: i64, now: i64) -> StoreResult<()> {
    sqlx::query(
        "UPDATE members SET updated_at = CASE WHEN updated_at < $3 THEN $3 ELSE updated_at + 1 END \
         WHERE org_id = $1 AND id = $2",
    )
    .bind(org_id)
    .bind(id)
    .bind(now)
    .execute(conn.raw())
    .await?;
    Ok(())
}

/// Ends a member's API tokens at once (deactivation).
pub async fn revoke_member_tokens(conn: &mut Conn, org_id: i64, member_id: i64, now: i64) -> StoreResult<u64> {
    Ok(
        sqlx::query(
            "UPDATE api_tokens SET revoked_at = $3 WHERE org_id = $1 AND member_id = $2 AND revoked_at IS NULL",
        )
        .bind(org_id)
        .bind(member_id)
        .bind(now)
        .execute(conn.raw())
        .await?
        .rows_affected(),
    )
}

/// The directory's names of those of these members that came from (or
/// were taken over by) the identity provider: (id, userName, externalId).
pub async fn directory_links(
    conn: &mut Conn,
    org_id: i64,
    ids: &[i64],
) -> StoreResult<Vec<(i64, Option<String>, Option<String>)>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        let mut sql = Sql::new("SELECT m.id, m.scim_user_name, m.external_id FROM members m WHERE m.org_id = ");
        sql.bind(org_id).push(" AND m.directory = 1 AND m.id IN (");
        for (i, id) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(*id);
        }
        sql.push(")");
        for row in sql.fetch_all(conn).await? {
            out.push((
                crate::rows::int(&row, "id")?,
                opt_text(&row, "scim_user_name")?,
                opt_text(&row, "external_id")?,
            ));
        }
    }
    Ok(out)
}

/// Whether a member came from (or was taken over by) the identity provider.
pub async fn is_directory_member(conn: &mut Conn, org_id: i64, id: i64) -> StoreResult<bool> {
    let n: Option<i64> = sqlx::query_scalar("SELECT directory FROM members WHERE org_id = $1 AND id = $2")
        .bind(org_id)
        .bind(id)
        .fetch_optional(conn.raw())
        .await?;
    Ok(n == Some(1))
}

/// Adds a member with its directory side in one statement (a SCIM create:
/// the one writer is held for as little as can be), and the keys of its
/// other e-mails.
pub async fn insert_directory_member(
    conn: &mut Conn,
    org_id: i64,
    f: &crate::MemberFields,
    d: &DirectoryFields,
    other_email_keys: &[String],
    status: &str,
    now: i64,
) -> StoreResult<i64> {
    let custom = serde_json::to_string(&f.custom_fields).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let attributes = serde_json::to_string(&d.attributes).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let keys = roster_domain::NameSortKeys::of(&f.first_name, &f.last_name);
    let id: i64 = sqlx::query_scalar(&format!(
        "INSERT INTO members (org_id, first_name, last_name, email, email_normalized, personal_id, comment, phone, \
         location, skills, department, role, seat_type, status, external, custom_fields, search_text, created_at, updated_at, \
         email_skeleton, directory, scim_user_name, scim_user_name_key, external_id, display_name, scim_attributes, \
         role_before_groups, sort_key, sort_key_version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, \
         $14, $15, $16, $17, $18, $18, $19, $20, $21, $22, $23, $24, $25, $26, {}, $29) RETURNING id",
        crate::members::org_sort_key("$1", "$27", "$28")
    ))
    .bind(org_id)
    .bind(&f.first_name)
    .bind(&f.last_name)
    .bind(&f.email)
    .bind(&f.email_normalized)
    .bind(&f.personal_id)
    .bind(&f.comment)
    .bind(&f.phone)
    .bind(&f.location)
    .bind(&f.skills)
    .bind(&f.department)
    .bind(&f.role)
    .bind(f.seat_type.as_deref())
    .bind(status)
    .bind(flag_value(f.external))
    .bind(custom)
    .bind(f.search_text())
    .bind(now)
    .bind(roster_domain::email_skeleton(&f.email_normalized))
    .bind(flag_value(d.directory))
    .bind(d.user_name.as_deref())
    .bind(d.user_name_key.as_deref())
    .bind(d.external_id.as_deref())
    .bind(&d.display_name)
    .bind(attributes)
    .bind(d.role_before_groups.as_deref())
    .bind(keys.dutch)
    .bind(keys.as_written)
    .bind(roster_domain::SORT_KEY_VERSION)
    .fetch_one(conn.raw())
    .await?;
    let mut keys: Vec<&String> = other_email_keys.iter().collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        sqlx::query("INSERT INTO member_emails (org_id, member_id, email_key) VALUES ($1, $2, $3)")
            .bind(org_id)
            .bind(id)
            .bind(key.as_str())
            .execute(conn.raw())
            .await?;
    }
    Ok(id)
}
