use roster_domain::{Language, NameSortKeys, SORT_KEY_VERSION};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::rows::{flag, flag_value, int, json_object, opt_int, opt_text, text};
use crate::sql::{like_escape, Sql};
use crate::{Backend, Conn, StoreError, StoreResult};

/// A membership as stored. `email` is as entered; comparisons use the
/// normalized form, which is not shown.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MemberRecord {
    pub id: i64,
    pub account_id: Option<i64>,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub personal_id: String,
    pub comment: String,
    pub phone: String,
    pub location: String,
    pub skills: String,
    pub department: String,
    pub role: String,
    pub seat_type: Option<String>,
    pub status: String,
    pub external: bool,
    pub custom_fields: serde_json::Value,
    #[serde(serialize_with = "crate::serialize_time")]
    pub created_at: i64,
    #[serde(serialize_with = "crate::serialize_time")]
    pub updated_at: i64,
    #[serde(serialize_with = "crate::serialize_opt_time")]
    pub removed_at: Option<i64>,
    /// The comparison form of the e-mail; internal, never shown.
    #[serde(skip)]
    pub email_normalized: String,
    /// The member's place in the organization's name order; internal.
    #[serde(skip)]
    pub sort_key: Vec<u8>,
}

/// Everything an admin sets on a member (status changes go elsewhere).
#[derive(Debug, Clone, PartialEq)]
pub struct MemberFields {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub email_normalized: String,
    pub personal_id: String,
    pub comment: String,
    pub phone: String,
    pub location: String,
    pub skills: String,
    pub department: String,
    pub role: String,
    pub seat_type: Option<String>,
    pub external: bool,
    pub custom_fields: serde_json::Value,
}

impl MemberFields {
    /// No values yet, with a role: the start of a new member.
    pub fn blank(role: &str) -> Self {
        Self {
            first_name: String::new(),
            last_name: String::new(),
            email: String::new(),
            email_normalized: String::new(),
            personal_id: String::new(),
            comment: String::new(),
            phone: String::new(),
            location: String::new(),
            skills: String::new(),
            department: String::new(),
            role: role.to_owned(),
            seat_type: None,
            external: false,
            custom_fields: serde_json::json!({}),
        }
    }

    /// What substring search looks in: names, e-mail, personal id and comment,
    /// lower-cased here (SQLite's `lower` knows only ASCII).
    pub fn search_text(&self) -> String {
        [
            &self.first_name,
            &self.last_name,
            &self.email,
            &self.personal_id,
            &self.comment,
        ]
        .map(|s| s.as_str())
        .join(" ")
        .to_lowercase()
    }
}

impl MemberRecord {
    pub fn fields(&self) -> MemberFields {
        MemberFields {
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            email: self.email.clone(),
            email_normalized: self.email_normalized.clone(),
            personal_id: self.personal_id.clone(),
            comment: self.comment.clone(),
            phone: self.phone.clone(),
            location: self.location.clone(),
            skills: self.skills.clone(),
            department: self.department.clone(),
            role: self.role.clone(),
            seat_type: self.seat_type.clone(),
            external: self.external,
            custom_fields: self.custom_fields.clone(),
        }
    }
}

macro_rules! member_columns {
    () => {
        "m.id, m.account_id, m.first_name, m.last_name, m.email, m.personal_id, m.comment, m.phone, \
    m.location, m.skills, m.department, m.role, m.seat_type, m.status, m.external, m.custom_fields, m.created_at, \
    m.updated_at, m.removed_at, m.email_normalized"
    };
}
/// Every column of a member but the sort key (which JSON cannot hold as is).
pub(crate) const COLUMNS_WITHOUT_KEY: &str = member_columns!();
const COLUMNS: &str = concat!(member_columns!(), ", m.sort_key");

pub(crate) const COLUMNS_PUB: &str = COLUMNS;

pub(crate) fn from_row(r: &AnyRow) -> Result<MemberRecord, sqlx::Error> {
    Ok(MemberRecord {
        id: int(r, "id")?,
        account_id: opt_int(r, "account_id")?,
        first_name: text(r, "first_name")?,
        last_name: text(r, "last_name")?,
        email: text(r, "email")?,
        personal_id: text(r, "personal_id")?,
        comment: text(r, "comment")?,
        phone: text(r, "phone")?,
        location: text(r, "location")?,
        skills: text(r, "skills")?,
        department: text(r, "department")?,
        role: text(r, "role")?,
        seat_type: opt_text(r, "seat_type")?,
        status: text(r, "status")?,
        external: flag(r, "external")?,
        custom_fields: json_object(r, "custom_fields")?,
        created_at: int(r, "created_at")?,
        updated_at: int(r, "updated_at")?,
        removed_at: opt_int(r, "removed_at")?,
        email_normalized: text(r, "email_normalized")?,
        sort_key: r.try_get("sort_key")?,
    })
}

fn custom_json(f: &MemberFields) -> StoreResult<String> {
    serde_json::to_string(&f.custom_fields).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub async fn insert_member(conn: &mut Conn, org_id: i64, f: &MemberFields, status: &str, now: i64) -> StoreResult<i64> {
    let keys = NameSortKeys::of(&f.first_name, &f.last_name);
    Ok(sqlx::query_scalar(&format!(
        "INSERT INTO members (org_id, first_name, last_name, email, email_normalized, personal_id, comment, phone, \
         location, skills, department, role, seat_type, status, external, custom_fields, search_text, created_at, updated_at, \
         email_skeleton, sort_key, sort_key_version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, \
         $14, $15, $16, $17, $18, $18, $19, {}, $22) RETURNING id",
        org_sort_key("$1", "$20", "$21")
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
    .bind(custom_json(f)?)
    .bind(f.search_text())
    .bind(now)
    .bind(roster_domain::email_skeleton(&f.email_normalized))
    .bind(keys.dutch)
    .bind(keys.as_written)
    .bind(SORT_KEY_VERSION)
    .fetch_one(conn.raw())
    .await?)
}

/// The organization's language, which decides its name order.
pub(crate) async fn org_language(conn: &mut Conn, org_id: i64) -> StoreResult<Language> {
    let raw: Option<String> = sqlx::query_scalar("SELECT language FROM organizations WHERE id = $1")
        .bind(org_id)
        .fetch_optional(conn.raw())
        .await?;
    Ok(raw.and_then(|l| Language::parse(&l).ok()).unwrap_or_default())
}

/// The SQL of a member's sort key in their organization's name order, given
/// the placeholders of the organization's id and of both keys.
pub(crate) fn org_sort_key(org_id: &str, dutch: &str, as_written: &str) -> String {
    format!(
        "CASE WHEN (SELECT language FROM organizations WHERE id = {org_id}) = 'nl' THEN {dutch} ELSE {as_written} END"
    )
}

pub async fn update_member(conn: &mut Conn, org_id: i64, id: i64, f: &MemberFields, now: i64) -> StoreResult<()> {
    let keys = NameSortKeys::of(&f.first_name, &f.last_name);
    sqlx::query(&format!(
        "UPDATE members SET first_name = $3, last_name = $4, email = $5, email_normalized = $6, personal_id = $7, \
         comment = $8, phone = $9, location = $10, skills = $11, department = $12, role = $13, seat_type = $14, \
         external = $15, custom_fields = $16, search_text = $17, updated_at = $18, email_skeleton = $19, \
         sort_key = {}, sort_key_version = $22 WHERE org_id = $1 AND id = $2",
        org_sort_key("$1", "$20", "$21")
    ))
    .bind(org_id)
    .bind(id)
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
    .bind(flag_value(f.external))
    .bind(custom_json(f)?)
    .bind(f.search_text())
    .bind(now)
    .bind(roster_domain::email_skeleton(&f.email_normalized))
    .bind(keys.dutch)
    .bind(keys.as_written)
    .bind(SORT_KEY_VERSION)
    .execute(conn.raw())
    .await?;
    Ok(())
}

/// Sets a member's status and records the change in the status history.
/// The caller has checked the transition with `MemberStatus::apply`.
pub async fn set_member_status(
    conn: &mut Conn,
    org_id: i64,
    id: i64,
    from: Option<&str>,
    to: &str,
    actor: &str,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE members SET status = $3, updated_at = $4, \
         removed_at = CASE WHEN $3 = 'removed' THEN $4 ELSE NULL END WHERE org_id = $1 AND id = $2",
    )
    .bind(org_id)
    .bind(id)
    .bind(to)
    .bind(now)
    .execute(conn.raw())
    .await?;
    if to == "removed" || to == "deactivated" {
        // Sessions opened through the identity provider for this member
        // end with the membership, however it ends (by hand, by SCIM).
        sqlx::query("DELETE FROM sessions WHERE sso_member_id = $1")
            .bind(id)
            .execute(conn.raw())
            .await?;
    }
    record_status(conn, org_id, id, from, to, actor, now).await
}

pub async fn record_status(
    conn: &mut Conn,
    org_id: i64,
    member_id: i64,
    from: Option<&str>,
    to: &str,
    actor: &str,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO member_status_history (org_id, member_id, from_status, to_status, actor, at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(org_id)
    .bind(member_id)
    .bind(from)
    .bind(to)
    .bind(actor)
    .bind(now)
    .execute(conn.raw())
    .await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct StatusChange {
    pub from_status: Option<String>,
    pub to_status: String,
    pub actor: String,
    #[serde(serialize_with = "crate::serialize_time")]
    pub at: i64,
}

pub async fn status_history(conn: &mut Conn, org_id: i64, member_id: i64) -> StoreResult<Vec<StatusChange>> {
    let rows = sqlx::query(
        "SELECT from_status, to_status, actor, at FROM member_status_history WHERE org_id = $1 AND member_id = $2 ORDER BY id",
    )
    .bind(org_id)
    .bind(member_id)
    .fetch_all(conn.raw())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(StatusChange {
                from_status: opt_text(r, "from_status")?,
                to_status: text(r, "to_status")?,
                actor: text(r, "actor")?,
                at: int(r, "at")?,
            })
        })
        .collect()
}

pub async fn member_by_id(conn: &mut Conn, org_id: i64, id: i64) -> StoreResult<Option<MemberRecord>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM members m WHERE m.org_id = $1 AND m.id = $2"
    ))
    .bind(org_id)
    .bind(id)
    .fetch_optional(conn.raw())
    .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

pub async fn member_by_email(
    conn: &mut Conn,
    org_id: i64,
    email_normalized: &str,
) -> StoreResult<Option<MemberRecord>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM members m WHERE m.org_id = $1 AND m.email_normalized = $2"
    ))
    .bind(org_id)
    .bind(email_normalized)
    .fetch_optional(conn.raw())
    .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

pub async fn member_by_account(conn: &mut Conn, org_id: i64, account_id: i64) -> StoreResult<Option<MemberRecord>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM members m WHERE m.org_id = $1 AND m.account_id = $2"
    ))
    .bind(org_id)
    .bind(account_id)
    .fetch_optional(conn.raw())
    .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

pub async fn link_account(conn: &mut Conn, org_id: i64, member_id: i64, account_id: i64) -> StoreResult<()> {
    sqlx::query("UPDATE members SET account_id = $3 WHERE org_id = $1 AND id = $2")
        .bind(org_id)
        .bind(member_id)
        .bind(account_id)
        .execute(conn.raw())
        .await?;
    Ok(())
}

/// Whether `member_id` belongs to a team inside one of the divisions that
/// `admin_member_id` administers (a division and all its sub-teams).
pub async fn in_division_scope(
    conn: &mut Conn,
    org_id: i64,
    admin_member_id: i64,
    member_id: i64,
) -> StoreResult<bool> {
    let mut sql = Sql::new("SELECT COUNT(*) AS n FROM members m WHERE m.org_id = ");
    sql.bind(org_id).push(" AND m.id = ").bind(member_id);
    push_division_scope(&mut sql, org_id, admin_member_id);
    let rows = sql.fetch_all(conn).await?;
    Ok(rows.first().map(|r| int(r, "n")).transpose()?.unwrap_or(0) > 0)
}

fn push_division_scope(sql: &mut Sql, org_id: i64, admin_member_id: i64) {
    sql.push(
        " AND m.id IN (SELECT tm.member_id FROM team_members tm WHERE tm.team_id IN (\
         WITH RECURSIVE scope(id) AS (SELECT team_id FROM division_admins WHERE org_id = ",
    )
    .bind(org_id)
    .push(" AND member_id = ")
    .bind(admin_member_id)
    .push(" UNION SELECT t.id FROM teams t JOIN scope s ON t.parent_id = s.id) SELECT id FROM scope))");
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MemberSort {
    #[default]
    Name,
    Email,
    Created,
    /// The order members were added in (the fastest for searches).
    Id,
}

/// The position after the last row of a page, for keyset pagination.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MemberCursor {
    pub key: Vec<String>,
    pub id: i64,
}

#[derive(Debug, Clone, Default)]
pub struct MemberQuery {
    pub org_id: i64,
    /// Substring of names, e-mail, personal id or comment.
    pub q: Option<String>,
    pub status: Option<String>,
    pub role: Option<String>,
    pub seat_type: Option<String>,
    pub team_id: Option<i64>,
    pub comment: Option<String>,
    pub external: Option<bool>,
    pub sort: MemberSort,
    pub descending: bool,
    pub after: Option<MemberCursor>,
    pub limit: i64,
    /// Set for a division admin: only members of their divisions.
    pub division_admin: Option<i64>,
}

impl MemberRecord {
    pub fn cursor(&self, sort: MemberSort) -> MemberCursor {
        let key = match sort {
            MemberSort::Name => vec![crate::sql::to_hex(&self.sort_key)],
            MemberSort::Email => vec![self.email_normalized.clone()],
            MemberSort::Created => vec![self.created_at.to_string()],
            MemberSort::Id => vec![],
        };
        MemberCursor { key, id: self.id }
    }
}

/// Members a search walks in the page's order before it asks the search
/// index instead. A term many members hold (a comment such as
/// "Werkstudent", a common e-mail domain) fills a page within the first few
/// thousand; a rare one, or one that names a group of people who sort
/// together by name (`müll`), is found by the index and only its matches are
/// sorted.
const NAME_WALK: i64 = 2_000;

/// How a page is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    /// The members in the page's order, filtered as they come.
    Ordered,
    /// The first `NAME_WALK` members in the page's order, filtered.
    Walk,
    /// Every match from the search index, then sorted.
    Matches,
}

/// One page of members, in keyset order.
pub async fn list_members(conn: &mut Conn, q: &MemberQuery) -> StoreResult<Vec<MemberRecord>> {
    let needle =
        q.q.as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_lowercase);
    let Some(needle) = needle else {
        return page(conn, q, None, Plan::Ordered).await;
    };
    // Members an import added may not be in SQLite's full-text index yet
    // (`bulk::SearchIndexing::Later`): until they are, the organization's
    // searches read the members' text, which is exact.
    let index = if crate::bulk::search_is_catching_up(conn, q.org_id).await? {
        Index::CatchingUp
    } else {
        Index::Complete
    };
    // In match order SQLite's full-text index streams rowids in order.
    if conn.backend() == Backend::Sqlite
        && q.sort == MemberSort::Id
        && needle.chars().count() >= 3
        && index == Index::Complete
    {
        return page(conn, q, Some((&needle, index)), Plan::Ordered).await;
    }
    // Otherwise the choice between walking the order and sorting the matches
    // is made here, not left to PostgreSQL's planner: it guesses how many
    // members hold a term from the term alone (100 of a million for `köhl`,
    // which 40,000 hold) and then sorts every match where a walk of a few
    // hundred rows would do, or walks half the table for a rare term.
    let walked = page(conn, q, Some((&needle, index)), Plan::Walk).await?;
    if walked.len() as i64 >= q.limit {
        return Ok(walked);
    }
    page(conn, q, Some((&needle, index)), Plan::Matches).await
}

/// Whether SQLite's full-text index holds every member of the organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Index {
    Complete,
    CatchingUp,
}

async fn page(
    conn: &mut Conn,
    q: &MemberQuery,
    search: Option<(&str, Index)>,
    plan: Plan,
) -> StoreResult<Vec<MemberRecord>> {
    let backend = conn.backend();
    let needle = search.map(|(n, _)| n);
    // Trigram indexes need three characters; shorter terms scan, and so do
    // all while the index catches up.
    let fts = search
        .filter(|(n, index)| backend == Backend::Sqlite && n.chars().count() >= 3 && *index == Index::Complete)
        .map(|(n, _)| n);
    let fts_phrase = |n: &str| format!("\"{}\"", n.replace('"', "\"\""));
    // In match order, SQLite streams the full-text index in rowid order and
    // stops at the page size.
    let streaming = fts.is_some() && q.sort == MemberSort::Id;
    // Every match of the full-text index, joined to its member for the sort
    // key: what costs a common term is looking up each match's row (about
    // 0.5 µs each); reading only the key of each keeps it at that.
    let joined_matches = fts.is_some() && plan == Plan::Matches;
    let id = if streaming { "s.rowid" } else { "m.id" };
    let columns: &[&str] = match q.sort {
        MemberSort::Name => &["m.sort_key"],
        MemberSort::Email => &["m.email_normalized"],
        MemberSort::Created => &["m.created_at"],
        MemberSort::Id => &[],
    };
    let dir = if q.descending { "DESC" } else { "ASC" };
    let mut order_by: Vec<String> = columns.iter().map(|c| format!("{c} {dir}")).collect();
    order_by.push(format!("{id} {dir}"));
    let order_by = order_by.join(", ");

    let mut sql = match plan {
        _ if streaming => Sql::new(&format!(
            "SELECT {COLUMNS} FROM members_search s JOIN members m ON m.id = s.rowid WHERE m.org_id = "
        )),
        Plan::Ordered => Sql::new(&format!("SELECT {COLUMNS} FROM members m WHERE m.org_id = ")),
        Plan::Walk => Sql::new(&format!(
            "SELECT {COLUMNS} FROM (SELECT * FROM members m WHERE m.org_id = "
        )),
        Plan::Matches if joined_matches => Sql::new(&format!(
            "SELECT {COLUMNS} FROM members m WHERE m.id IN (SELECT m.id FROM members_search s \
             JOIN members m ON m.id = s.rowid WHERE m.org_id = "
        )),
        // PostgreSQL (and terms too short for SQLite's index): materialized,
        // so that the planner does not walk the name index instead,
        // filtering half the organization before the group that matches.
        // Each match keeps only what the page is ordered by.
        Plan::Matches => Sql::new(&format!(
            "WITH hits AS MATERIALIZED (SELECT {} FROM members m WHERE m.org_id = ",
            std::iter::once("m.id")
                .chain(columns.iter().copied())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    };
    sql.bind(q.org_id);
    let needle_condition = |sql: &mut Sql| match (needle, fts) {
        (Some(_), Some(n)) if streaming || joined_matches => {
            sql.push(" AND s.members_search MATCH ").bind(fts_phrase(n));
        }
        (Some(_), Some(n)) => {
            sql.push(" AND m.id IN (SELECT rowid FROM members_search WHERE members_search MATCH ")
                .bind(fts_phrase(n))
                .push(")");
        }
        (Some(n), None) => {
            sql.push(" AND m.search_text LIKE ")
                .bind(format!("%{}%", like_escape(n)))
                .push(" ESCAPE '\\'");
        }
        (None, _) => {}
    };
    if plan != Plan::Walk {
        needle_condition(&mut sql);
    }
    push_filters(&mut sql, q);
    push_after(&mut sql, q, columns, id)?;
    match plan {
        Plan::Ordered => {
            sql.push(&format!(" ORDER BY {order_by} LIMIT ")).bind(q.limit);
        }
        Plan::Walk => {
            sql.push(&format!(
                " ORDER BY {order_by} LIMIT {NAME_WALK}) m WHERE m.search_text LIKE "
            ))
            .bind(format!("%{}%", like_escape(needle.unwrap_or_default())))
            .push(&format!(" ESCAPE '\\' ORDER BY {order_by} LIMIT "))
            .bind(q.limit);
        }
        Plan::Matches if joined_matches => {
            sql.push(&format!(" ORDER BY {order_by} LIMIT "))
                .bind(q.limit)
                .push(&format!(") ORDER BY {order_by}"));
        }
        Plan::Matches => {
            sql.push(&format!("), page AS (SELECT id FROM hits m ORDER BY {order_by} LIMIT "))
                .bind(q.limit)
                .push(&format!(
                    ") SELECT {COLUMNS} FROM members m WHERE m.id IN (SELECT id FROM page) ORDER BY {order_by}"
                ));
        }
    }
    let rows = sql.fetch_all(conn).await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// The list's filters other than the search term.
fn push_filters(sql: &mut Sql, q: &MemberQuery) {
    for (column, value) in [
        ("status", &q.status),
        ("role", &q.role),
        ("seat_type", &q.seat_type),
        ("comment", &q.comment),
    ] {
        if let Some(value) = value {
            sql.push(&format!(" AND m.{column} = ")).bind(value.as_str());
        }
    }
    if let Some(external) = q.external {
        sql.push(" AND m.external = ").bind(flag_value(external));
    }
    if let Some(team_id) = q.team_id {
        sql.push(" AND m.id IN (SELECT member_id FROM team_members WHERE org_id = ")
            .bind(q.org_id)
            .push(" AND team_id = ")
            .bind(team_id)
            .push(")");
    }
    if let Some(admin) = q.division_admin {
        push_division_scope(sql, q.org_id, admin);
    }
}

/// The keyset condition: only rows after the cursor, in the page's order.
fn push_after(sql: &mut Sql, q: &MemberQuery, columns: &[&str], id: &str) -> StoreResult<()> {
    let Some(after) = &q.after else {
        return Ok(());
    };
    if after.key.len() != columns.len() {
        return Err(StoreError::Corrupt("cursor does not match the sort order".into()));
    }
    let cmp = if q.descending { "<" } else { ">" };
    let mut keys: Vec<&str> = columns.to_vec();
    keys.push(id);
    sql.push(&format!(" AND ({}) {cmp} (", keys.join(", ")));
    for (value, column) in after.key.iter().zip(columns) {
        match *column {
            "m.created_at" => {
                let v: i64 = value.parse().map_err(|_| StoreError::Corrupt("cursor".into()))?;
                sql.bind(v);
            }
            "m.sort_key" => {
                let v = crate::sql::from_hex(value).ok_or_else(|| StoreError::Corrupt("cursor".into()))?;
                sql.bind(v);
            }
            _ => {
                sql.bind(value.as_str());
            }
        }
        sql.push(", ");
    }
    sql.bind(after.id).push(")");
    Ok(())
}
