//! Set-at-a-time reads and writes for bulk imports: one statement per chunk
//! of rows instead of one per row.

use std::collections::HashMap;

use roster_domain::{Language, NameSortKeys, SORT_KEY_VERSION};

use crate::members::{MemberFields, MemberRecord, COLUMNS_WITHOUT_KEY};
use crate::sql::Sql;
use crate::{Backend, Conn, ImportRowRecord, StoreResult};

/// Rows per statement: well under SQLite's 32,766 and PostgreSQL's 65,535
/// bound parameters for the widest statement (19 columns).
const CHUNK: usize = 500;

/// New members per insert (20 parameters each): a whole import chunk in one
/// statement. Each statement flushes SQLite's search index (FTS5 writes a
/// segment per statement and merges them later), so fewer, larger ones cost less.
const MEMBER_ROWS: usize = 1_000;

/// The members of an organization with these normalized e-mails.
///
/// Each member comes back as one JSON array rather than twenty columns: the
/// driver copies every value of a row separately (sqlx-sqlite: an allocation
/// and a lock per value, plus a copy into its database-neutral row), which
/// was a third of the time of an import that updates a million members.
pub async fn members_by_emails(
    conn: &mut Conn,
    org_id: i64,
    emails: &[String],
) -> StoreResult<HashMap<String, MemberRecord>> {
    let mut out = HashMap::with_capacity(emails.len());
    let packed = if conn.backend() == Backend::Sqlite {
        format!("json_array({COLUMNS_WITHOUT_KEY}, hex(m.sort_key))")
    } else {
        format!("json_build_array({COLUMNS_WITHOUT_KEY}, encode(m.sort_key, 'hex'))::text")
    };
    for chunk in emails.chunks(CHUNK) {
        let mut sql = Sql::new(&format!("SELECT {packed} AS member FROM members m WHERE m.org_id = "));
        sql.fresh_plan();
        sql.bind(org_id).push(" AND m.email_normalized IN (");
        for (i, e) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(e.as_str());
        }
        sql.push(")");
        for row in sql.fetch_all(conn).await? {
            let packed: PackedMember = serde_json::from_str(&crate::rows::text(&row, "member")?)
                .map_err(|e| crate::StoreError::Corrupt(format!("a member row: {e}")))?;
            let m = packed.into_record()?;
            out.insert(m.email_normalized.clone(), m);
        }
    }
    Ok(out)
}

/// A member row packed as a JSON array, in the order of `COLUMNS_WITHOUT_KEY`
/// and the sort key in hexadecimal
/// (serde reads a struct from an array field by field).
#[derive(serde::Deserialize)]
struct PackedMember {
    id: i64,
    account_id: Option<i64>,
    first_name: String,
    last_name: String,
    email: String,
    personal_id: String,
    comment: String,
    phone: String,
    location: String,
    skills: String,
    department: String,
    role: String,
    seat_type: Option<String>,
    status: String,
    external: i64,
    custom_fields: String,
    created_at: i64,
    updated_at: i64,
    removed_at: Option<i64>,
    email_normalized: String,
    sort_key_hex: String,
}

impl PackedMember {
    fn into_record(self) -> StoreResult<MemberRecord> {
        Ok(MemberRecord {
            id: self.id,
            account_id: self.account_id,
            first_name: self.first_name,
            last_name: self.last_name,
            email: self.email,
            personal_id: self.personal_id,
            comment: self.comment,
            phone: self.phone,
            location: self.location,
            skills: self.skills,
            department: self.department,
            role: self.role,
            seat_type: self.seat_type,
            status: self.status,
            external: self.external != 0,
            custom_fields: serde_json::from_str(&self.custom_fields)
                .map_err(|e| crate::StoreError::Corrupt(format!("custom fields of member {}: {e}", self.id)))?,
            created_at: self.created_at,
            updated_at: self.updated_at,
            removed_at: self.removed_at,
            email_normalized: self.email_normalized,
            sort_key: crate::sql::from_hex(&self.sort_key_hex)
                .ok_or_else(|| crate::StoreError::Corrupt(format!("sort key of member {}", self.id)))?,
        })
    }
}

/// Members whose e-mail has one of these confusable skeletons:
/// skeleton → (member id, normalized e-mail).
pub async fn members_by_skeletons(
    conn: &mut Conn,
    org_id: i64,
    skeletons: &[String],
) -> StoreResult<HashMap<String, Vec<(i64, String)>>> {
    let mut out: HashMap<String, Vec<(i64, String)>> = HashMap::new();
    for chunk in skeletons.chunks(CHUNK) {
        let mut sql = Sql::new("SELECT id, email_normalized, email_skeleton FROM members WHERE org_id = ");
        sql.fresh_plan();
        sql.bind(org_id).push(" AND email_skeleton IN (");
        for (i, s) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(s.as_str());
        }
        sql.push(")");
        for row in sql.fetch_all(conn).await? {
            out.entry(crate::rows::text(&row, "email_skeleton")?)
                .or_default()
                .push((
                    crate::rows::int(&row, "id")?,
                    crate::rows::text(&row, "email_normalized")?,
                ));
        }
    }
    Ok(out)
}

/// A member of the organization whose e-mail looks like this normalized
/// one without being it (`roster_domain::looks_alike`).
pub async fn look_alike_member(
    conn: &mut Conn,
    org_id: i64,
    email_normalized: &str,
) -> StoreResult<Option<(i64, String)>> {
    let skeleton = roster_domain::email_skeleton(email_normalized);
    let found = members_by_skeletons(conn, org_id, std::slice::from_ref(&skeleton)).await?;
    Ok(found
        .into_values()
        .flatten()
        .find(|(_, other)| roster_domain::looks_alike(email_normalized, other)))
}

/// Which member holds each of these personal ids.
pub async fn members_by_personal_ids(
    conn: &mut Conn,
    org_id: i64,
    ids: &[String],
) -> StoreResult<HashMap<String, i64>> {
    let mut out = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        let mut sql = Sql::new("SELECT id, personal_id FROM members WHERE org_id = ");
        sql.fresh_plan();
        sql.bind(org_id).push(" AND personal_id IN (");
        for (i, p) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(p.as_str());
        }
        sql.push(")");
        for row in sql.fetch_all(conn).await? {
            out.insert(crate::rows::text(&row, "personal_id")?, crate::rows::int(&row, "id")?);
        }
    }
    Ok(out)
}

/// When new members go into the substring-search index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchIndexing {
    /// In the same statement (the index's triggers).
    Now,
    /// Later, by [`catch_up_search`]: on SQLite, where the FTS5 index is a
    /// large part of what a bulk insert costs; searches stay exact meanwhile
    /// ([`search_backlog`]). PostgreSQL indexes at once either way (migration 18).
    Later,
}

/// Inserts new members with one status; returns their ids by normalized e-mail.
pub async fn insert_members(
    conn: &mut Conn,
    org_id: i64,
    members: &[MemberFields],
    status: &str,
    actor: &str,
    now: i64,
    indexing: SearchIndexing,
) -> StoreResult<HashMap<String, i64>> {
    let mut ids = HashMap::with_capacity(members.len());
    let language = crate::members::org_language(conn, org_id).await?;
    let pending = i64::from(indexing == SearchIndexing::Later && conn.backend() == Backend::Sqlite);
    for chunk in members.chunks(MEMBER_ROWS) {
        let mut sql = Sql::new(
            "INSERT INTO members (org_id, first_name, last_name, email, email_normalized, personal_id, comment, phone, \
             location, skills, department, role, seat_type, status, external, custom_fields, search_text, created_at, updated_at, \
             email_skeleton, sort_key, sort_key_version, search_pending) VALUES ",
        );
        for (i, f) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.bind(org_id);
            for v in [
                &f.first_name,
                &f.last_name,
                &f.email,
                &f.email_normalized,
                &f.personal_id,
                &f.comment,
                &f.phone,
                &f.location,
                &f.skills,
                &f.department,
                &f.role,
            ] {
                sql.push(", ").bind(v.as_str());
            }
            sql.push(", ").bind(f.seat_type.clone());
            sql.push(", ").bind(status);
            sql.push(", ").bind(i64::from(f.external));
            sql.push(", ").bind(f.custom_fields.to_string());
            sql.push(", ").bind(f.search_text());
            sql.push(", ").bind(now).push(", ").bind(now);
            sql.push(", ").bind(roster_domain::email_skeleton(&f.email_normalized));
            sql.push(", ")
                .bind(sort_key(f, language))
                .push(", ")
                .bind(SORT_KEY_VERSION)
                .push(", ")
                .bind(pending)
                .push(")");
        }
        sql.push(" RETURNING id, email_normalized");
        for row in sql.fetch_all(conn).await? {
            ids.insert(
                crate::rows::text(&row, "email_normalized")?,
                crate::rows::int(&row, "id")?,
            );
        }
    }
    let created: Vec<i64> = ids.values().copied().collect();
    for chunk in created.chunks(CHUNK) {
        let mut sql = Sql::new(
            "INSERT INTO member_status_history (org_id, member_id, from_status, to_status, actor, at) VALUES ",
        );
        for (i, id) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.bind(org_id)
                .push(", ")
                .bind(*id)
                .push(", NULL, ")
                .bind(status)
                .push(", ")
                .bind(actor)
                .push(", ")
                .bind(now)
                .push(")");
        }
        sql.execute(conn).await?;
    }
    Ok(ids)
}

/// Records what an import did, row by row.
pub async fn insert_import_rows(conn: &mut Conn, import_id: i64, rows: &[ImportRowRecord]) -> StoreResult<()> {
    for chunk in rows.chunks(CHUNK) {
        let mut sql = Sql::new("INSERT INTO import_rows (import_id, line, action, member_id, reason, before) VALUES ");
        for (i, r) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.bind(import_id)
                .push(", ")
                .bind(r.line)
                .push(", ")
                .bind(r.action.as_str())
                .push(", ")
                .bind(r.member_id);
            sql.push(", ")
                .bind(r.reason.as_str())
                .push(", ")
                .bind(r.before.clone())
                .push(")");
        }
        sql.execute(conn).await?;
    }
    Ok(())
}

/// Puts members into teams (as plain members; existing team roles stay).
pub async fn add_team_members(conn: &mut Conn, org_id: i64, pairs: &[(i64, i64)]) -> StoreResult<()> {
    for chunk in pairs.chunks(CHUNK) {
        let mut sql = Sql::new("INSERT INTO team_members (team_id, member_id, org_id, team_role, core_member) VALUES ");
        for (i, (team, member)) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.bind(*team)
                .push(", ")
                .bind(*member)
                .push(", ")
                .bind(org_id)
                .push(", 'member', 0)");
        }
        sql.push(" ON CONFLICT (team_id, member_id) DO NOTHING");
        sql.execute(conn).await?;
    }
    Ok(())
}

/// A member's values before and after an import's row.
pub struct MemberChange<'a> {
    pub id: i64,
    pub before: &'a MemberFields,
    pub after: &'a MemberFields,
}

/// The columns an update may set, with the value from a member's fields.
type Column = (&'static str, fn(&MemberFields) -> crate::sql::Arg);

const UPDATABLE: [Column; 16] = [
    ("first_name", |f| f.first_name.clone().into()),
    ("last_name", |f| f.last_name.clone().into()),
    ("email", |f| f.email.clone().into()),
    ("email_normalized", |f| f.email_normalized.clone().into()),
    ("email_skeleton", |f| {
        roster_domain::email_skeleton(&f.email_normalized).into()
    }),
    ("personal_id", |f| f.personal_id.clone().into()),
    ("comment", |f| f.comment.clone().into()),
    ("phone", |f| f.phone.clone().into()),
    ("location", |f| f.location.clone().into()),
    ("skills", |f| f.skills.clone().into()),
    ("department", |f| f.department.clone().into()),
    ("role", |f| f.role.clone().into()),
    ("seat_type", |f| f.seat_type.clone().into()),
    ("external", |f| i64::from(f.external).into()),
    ("custom_fields", |f| f.custom_fields.to_string().into()),
    ("search_text", |f| f.search_text().into()),
];

/// A member's place in the organization's name order.
fn sort_key(f: &MemberFields, language: Language) -> Vec<u8> {
    NameSortKeys::of(&f.first_name, &f.last_name)
        .for_language(language)
        .to_vec()
}

/// Updates members' columns that differ between before and after, and
/// nothing else: an unchanged column keeps its index entries, and the
/// search index is rewritten only where the searched text changed. Members
/// with the same changed columns go in one `UPDATE … FROM (VALUES …)`.
pub async fn update_members(conn: &mut Conn, org_id: i64, changes: &[MemberChange<'_>], now: i64) -> StoreResult<()> {
    let language = crate::members::org_language(conn, org_id).await?;
    let mut groups: HashMap<Vec<usize>, Vec<&MemberChange<'_>>> = HashMap::new();
    for change in changes {
        let changed: Vec<usize> = UPDATABLE
            .iter()
            .enumerate()
            .filter(|(_, (column, value))| match *column {
                // Derived from the normalized e-mail: changes with it, and
                // computing it twice per member is the costly part.
                "email_skeleton" => change.before.email_normalized != change.after.email_normalized,
                _ => value(change.before) != value(change.after),
            })
            .map(|(i, _)| i)
            .collect();
        groups.entry(changed).or_default().push(change);
    }
    for (changed, members) in groups {
        for chunk in members.chunks(CHUNK) {
            let mut sql = Sql::new("UPDATE members SET updated_at = ");
            sql.bind(now);
            for (n, &i) in changed.iter().enumerate() {
                let column = UPDATABLE[i].0;
                sql.push(&format!(", {column} = v.column{}", n + 2));
            }
            let renamed = changed
                .iter()
                .any(|&i| matches!(UPDATABLE[i].0, "first_name" | "last_name"));
            if renamed {
                sql.push(&format!(
                    ", sort_key = v.column{}, sort_key_version = {SORT_KEY_VERSION}",
                    changed.len() + 2
                ));
            }
            sql.push(" FROM (VALUES ");
            for (r, change) in chunk.iter().enumerate() {
                sql.push(if r == 0 { "(" } else { ", (" });
                sql.bind(change.id);
                for &i in &changed {
                    sql.push(", ").bind((UPDATABLE[i].1)(change.after));
                }
                if renamed {
                    sql.push(", ").bind(sort_key(change.after, language));
                }
                sql.push(")");
            }
            sql.push(") AS v WHERE members.id = v.column1 AND members.org_id = ")
                .bind(org_id);
            sql.execute(conn).await?;
        }
    }
    Ok(())
}

/// How many of an organization's members are not in the search index yet
/// (added with [`SearchIndexing::Later`]); 0 on PostgreSQL.
pub async fn search_backlog(conn: &mut Conn, org_id: i64) -> StoreResult<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM members WHERE org_id = $1 AND search_pending = 1")
            .bind(org_id)
            .fetch_one(conn.raw())
            .await?,
    )
}

/// An organization with members not in the search index yet, if any.
pub async fn an_org_with_search_backlog(conn: &mut Conn) -> StoreResult<Option<i64>> {
    if conn.backend() != Backend::Sqlite {
        return Ok(None);
    }
    Ok(
        sqlx::query_scalar("SELECT org_id FROM members WHERE search_pending = 1 LIMIT 1")
            .fetch_optional(conn.raw())
            .await?,
    )
}

/// Whether any of an organization's members is not in the search index
/// yet: a search then reads the members' text itself, which is exact.
pub async fn search_is_catching_up(conn: &mut Conn, org_id: i64) -> StoreResult<bool> {
    if conn.backend() != Backend::Sqlite {
        return Ok(false);
    }
    let pending: Option<i64> =
        sqlx::query_scalar("SELECT id FROM members WHERE org_id = $1 AND search_pending = 1 LIMIT 1")
            .bind(org_id)
            .fetch_optional(conn.raw())
            .await?;
    Ok(pending.is_some())
}

/// Puts up to `batch` of an organization's members that are not in the
/// search index yet into it; returns how many. (The flag's update does not
/// touch `search_text`, so the index's update trigger stays out of it.)
pub async fn catch_up_search(conn: &mut Conn, org_id: i64, batch: i64) -> StoreResult<u64> {
    if conn.backend() != Backend::Sqlite {
        return Ok(0);
    }
    let pending = "SELECT id FROM members WHERE org_id = $1 AND search_pending = 1 ORDER BY id LIMIT $2";
    sqlx::query(&format!(
        "INSERT INTO members_search (rowid, search_text) \
         SELECT id, search_text FROM members WHERE id IN ({pending})"
    ))
    .bind(org_id)
    .bind(batch)
    .execute(conn.raw())
    .await?;
    let done = sqlx::query(&format!(
        "UPDATE members SET search_pending = 0 WHERE id IN ({pending})"
    ))
    .bind(org_id)
    .bind(batch)
    .execute(conn.raw())
    .await?;
    Ok(done.rows_affected())
}

/// Prepares a transaction for a bulk write, per database. SQLite: a page
/// cache of `cache_mib` MiB (the default is 2) — a write that touches every
/// index of a large table spends most of its time re-reading pages through
/// a small cache; `end_bulk_write` narrows it again. PostgreSQL: index scans
/// only, for this transaction (lookups are also planned afresh, see
/// `Sql::fresh_plan`, with `refresh_statistics` as the import grows) — the
/// planner's statistics do not know the
/// rows the transaction itself has added, and with a table that was empty
/// at the last ANALYZE it picks sequential scans for every lookup, which
/// made a million-row import quadratic.
pub async fn begin_bulk_write(conn: &mut Conn, cache_mib: i64) -> StoreResult<()> {
    let statement = if conn.backend() == Backend::Sqlite {
        format!("PRAGMA cache_size = -{}", cache_mib * 1024)
    } else {
        "SET LOCAL enable_seqscan = off".to_owned()
    };
    sqlx::query(&statement).execute(conn.raw()).await?;
    Ok(())
}

/// Refreshes the planner's statistics of the members table within a bulk
/// write (PostgreSQL; its ANALYZE counts the rows this transaction added).
/// Without it, lookups in a transaction that has grown an organization from
/// a few members to many keep a plan made for a few: a scan of an index on
/// `org_id` alone, filtered against every e-mail of the chunk.
pub async fn refresh_statistics(conn: &mut Conn) -> StoreResult<()> {
    if conn.backend() != Backend::Sqlite {
        sqlx::query("ANALYZE members").execute(conn.raw()).await?;
    }
    Ok(())
}

/// Undoes `begin_bulk_write` before the transaction ends (on PostgreSQL the
/// setting ends with the transaction by itself).
pub async fn end_bulk_write(conn: &mut Conn) -> StoreResult<()> {
    if conn.backend() == Backend::Sqlite {
        sqlx::query("PRAGMA cache_size = -2000").execute(conn.raw()).await?;
    }
    Ok(())
}
