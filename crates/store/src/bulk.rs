//! Set-at-a-time reads and writes for bulk imports: one statement per chunk
//! of rows instead of one per row.

use std::collections::HashMap;

use crate::members::{from_row_pub, MemberFields, MemberRecord, COLUMNS_PUB};
use crate::sql::Sql;
use crate::{Conn, ImportRowRecord, StoreResult};

/// Rows per statement: well under SQLite's 32,766 and PostgreSQL's 65,535
/// bound parameters for the widest statement (19 columns).
const CHUNK: usize = 500;

/// The members of an organization with these normalized e-mails.
pub async fn members_by_emails(
    conn: &mut Conn,
    org_id: i64,
    emails: &[String],
) -> StoreResult<HashMap<String, MemberRecord>> {
    let mut out = HashMap::with_capacity(emails.len());
    for chunk in emails.chunks(CHUNK) {
        let mut sql = Sql::new(&format!("SELECT {COLUMNS_PUB} FROM members m WHERE m.org_id = "));
        sql.bind(org_id).push(" AND m.email_normalized IN (");
        for (i, e) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(e.as_str());
        }
        sql.push(")");
        for row in sql.fetch_all(conn).await? {
            let m = from_row_pub(&row)?;
            out.insert(m.email_normalized.clone(), m);
        }
    }
    Ok(out)
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

/// Inserts new members with one status; returns their ids by normalized e-mail.
pub async fn insert_members(
    conn: &mut Conn,
    org_id: i64,
    members: &[MemberFields],
    status: &str,
    actor: &str,
    now: i64,
) -> StoreResult<HashMap<String, i64>> {
    let mut ids = HashMap::with_capacity(members.len());
    for chunk in members.chunks(CHUNK / 2) {
        let mut sql = Sql::new(
            "INSERT INTO members (org_id, first_name, last_name, email, email_normalized, personal_id, comment, phone, \
             location, skills, department, role, seat_type, status, external, custom_fields, search_text, created_at, updated_at) VALUES ",
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
            sql.push(", ").bind(now).push(", ").bind(now).push(")");
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
