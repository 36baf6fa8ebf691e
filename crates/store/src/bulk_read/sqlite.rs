//! The bulk read on SQLite: rusqlite on the same database file, linked
//! against the same `libsqlite3-sys` as sqlx (one SQLite in the binary), in
//! one read transaction on a thread of its own.

use std::path::{Path, PathBuf};

use rusqlite::{OpenFlags, Row};
use tokio::sync::mpsc;

use super::MemberPage;
use crate::export_rows::{assignments_sql, last_sign_ins_sql, newest_invitations_sql};
use crate::members::COLUMNS_WITHOUT_KEY;
use crate::{Assignment, MemberRecord, StoreResult};

/// Starts the reading thread; None when no thread could be started.
pub(super) fn start(
    path: PathBuf,
    org_id: i64,
    page: usize,
    pages: mpsc::Sender<StoreResult<MemberPage>>,
) -> Option<()> {
    std::thread::Builder::new()
        .name("roster-bulk-read".into())
        .spawn(move || {
            if let Err(err) = read(&path, org_id, page, &pages) {
                let _ = pages.blocking_send(Err(err));
            }
        })
        .ok()
        .map(drop)
}

fn read(path: &Path, org_id: i64, page: usize, pages: &mpsc::Sender<StoreResult<MemberPage>>) -> StoreResult<()> {
    // Read-write without create: a read-only connection cannot open a WAL
    // database whose shared-memory file is not there yet. Nothing is written.
    let conn = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.execute_batch("PRAGMA query_only = ON; BEGIN")?;
    let mut members = conn.prepare(&format!(
        "SELECT {COLUMNS_WITHOUT_KEY} FROM members m WHERE m.org_id = ?1 AND m.status <> 'removed' ORDER BY m.id"
    ))?;
    let mut rows = members.query([org_id])?;
    let mut batch = Vec::with_capacity(page);
    loop {
        let row = rows.next()?;
        if let Some(row) = row {
            batch.push(member(row)?);
        }
        let last = row.is_none();
        if batch.len() == page || (last && !batch.is_empty()) {
            let members = std::mem::replace(&mut batch, Vec::with_capacity(page));
            let full = look_up(&conn, org_id, members)?;
            if pages.blocking_send(Ok(full)).is_err() {
                return Ok(()); // the export stopped
            }
        }
        if last {
            return Ok(());
        }
    }
}

/// The page's look-ups, with the SQL the sqlx path uses.
fn look_up(conn: &rusqlite::Connection, org_id: i64, members: Vec<MemberRecord>) -> StoreResult<MemberPage> {
    let ids: Vec<i64> = members.iter().map(|m| m.id).collect();
    let assignments = conn
        .prepare(&assignments_sql(&ids))?
        .query_map([org_id], |r| {
            Ok(Assignment {
                member_id: r.get(0)?,
                team_id: r.get(1)?,
                team_name: r.get(2)?,
                team_role: r.get(3)?,
                core_member: r.get::<_, i64>(4)? != 0,
            })
        })?
        .collect::<Result<_, _>>()?;
    let sign_ins = conn
        .prepare(&last_sign_ins_sql(&ids))?
        .query_map([org_id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let invitations = conn
        .prepare(&newest_invitations_sql(&ids))?
        .query_map([org_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    Ok(MemberPage {
        members,
        assignments,
        sign_ins,
        invitations,
    })
}

/// A member from the columns of `COLUMNS_WITHOUT_KEY`, in their order
/// (the internal ones left empty).
fn member(r: &Row<'_>) -> StoreResult<MemberRecord> {
    let custom_fields = super::custom_fields(&r.get::<_, String>(15)?)?;
    Ok(MemberRecord {
        id: r.get(0)?,
        account_id: r.get(1)?,
        first_name: r.get(2)?,
        last_name: r.get(3)?,
        email: r.get(4)?,
        personal_id: r.get(5)?,
        comment: r.get(6)?,
        phone: r.get(7)?,
        location: r.get(8)?,
        skills: r.get(9)?,
        department: r.get(10)?,
        role: r.get(11)?,
        seat_type: r.get(12)?,
        status: r.get(13)?,
        external: r.get::<_, i64>(14)? != 0,
        custom_fields,
        created_at: r.get(16)?,
        updated_at: r.get(17)?,
        removed_at: r.get(18)?,
        email_normalized: String::new(),
        sort_key: Vec::new(),
    })
}
