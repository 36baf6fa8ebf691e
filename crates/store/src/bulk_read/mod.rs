//! The bulk read path: an organization's members, with what an export shows
//! beside each (team places, last sign-in, newest invitation), read with
//! each database's own driver instead of sqlx's `Any` driver. Through sqlx
//! every row is handed from a worker thread to the async side and converted
//! column by column; for a million members that alone costs 2–2.7× what
//! the `sqlite3` shell takes for the whole read (docs/BENCHMARKS.md,
//! "Exports"). This is the one place besides sqlx where the store talks to
//! a database (docs/ARCHITECTURE.md, "Where the store leaves sqlx").
//!
//! Either way the export reads one snapshot, however long it takes, and
//! pages arrive over a bounded channel while the export writes the ones
//! before.

mod postgres;
mod sqlite;

use tokio::sync::mpsc;

use crate::{Assignment, Backend, MemberRecord, Store, StoreError, StoreResult};

/// Members in id order, with the rows of the look-ups an export makes per
/// page (the same as `assignments_of`, `last_sign_ins` and
/// `newest_invitations_of` would give for them). The members' internal
/// fields (`email_normalized`, `sort_key`) are left empty: an export shows
/// neither, and two allocations per member are a tenth of the read.
#[derive(Debug, Default)]
pub struct MemberPage {
    pub members: Vec<MemberRecord>,
    pub assignments: Vec<Assignment>,
    pub sign_ins: Vec<(i64, i64)>,
    pub invitations: Vec<(i64, String, i64)>,
}

/// Pages handed over ahead of the reader: the export writes one while the
/// next is read.
const PAGES_AHEAD: usize = 2;

impl Store {
    /// Every member of the organization but the removed, in id order, in
    /// pages of `page` — or None when this store has no bulk read path (an
    /// in-memory SQLite; the caller then reads through sqlx). Dropping the
    /// receiver stops the read.
    pub fn member_pages_for_export(&self, org_id: i64, page: usize) -> Option<mpsc::Receiver<StoreResult<MemberPage>>> {
        let (pages, receiver) = mpsc::channel(PAGES_AHEAD);
        let page = page.max(1);
        match self.backend() {
            Backend::Sqlite => sqlite::start(self.sqlite_file()?.to_owned(), org_id, page, pages)?,
            Backend::Postgres => postgres::start(self.postgres_url()?.to_owned(), org_id, page, pages),
        }
        Some(receiver)
    }
}

/// A member's custom fields from their stored text: a JSON object, or damage.
fn custom_fields(stored: &str) -> StoreResult<serde_json::Value> {
    let fields: serde_json::Value =
        serde_json::from_str(stored).map_err(|e| StoreError::Corrupt(format!("a member's custom fields: {e}")))?;
    if !fields.is_object() {
        return Err(StoreError::Corrupt("a member's custom fields are not an object".into()));
    }
    Ok(fields)
}
