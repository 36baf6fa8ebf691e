//! The audit rows of refusals, on disk before the answer leaves (SQLite).
//!
//! A refused request must not wait for SQLite's one writer (an import may
//! hold it), yet its audit row must survive a SIGKILL right after the
//! answer. So the row is appended to this process's journal — a file of
//! JSON lines beside the database, `fdatasync`ed — and then queued for the
//! database as before. Once every journaled row is in the database the
//! journal is emptied. A process that dies leaves its journal behind, still
//! holding what it did not write; the next process to start (any `roster`
//! command on that database) writes those rows — those not already there —
//! and deletes the file.
//!
//! Each live process holds an exclusive lock on its own journal, so a
//! journal whose lock can be taken belongs to a process that is gone.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::deferred::AuditRow;

const PREFIX: &str = "refusals-";
const SUFFIX: &str = ".jsonl";

/// This process's journal.
pub(crate) struct Journal {
    file: Mutex<File>,
    path: PathBuf,
}

/// A journal left by a process that died, with the rows it held.
pub(crate) struct Orphan {
    /// Held (and locked) until the rows are written and the file removed.
    _file: File,
    path: PathBuf,
    pub rows: Vec<AuditRow>,
}

/// Where the journals of the database at `database` live.
pub(crate) fn dir_beside(database: &Path) -> PathBuf {
    let mut name = database.file_name().unwrap_or_default().to_os_string();
    name.push(".refusals");
    database.with_file_name(name)
}

impl Journal {
    /// Opens a new journal for this process in `dir`, and takes over the
    /// journals of processes that are gone.
    pub(crate) fn open(dir: &Path) -> io::Result<(Journal, Vec<Orphan>)> {
        fs::create_dir_all(dir)?;
        let orphans = take_orphans(dir)?;
        let path = dir.join(format!(
            "{PREFIX}{}-{}{SUFFIX}",
            std::process::id(),
            crate::new_secret("").get(..12).unwrap_or_default()
        ));
        let file = OpenOptions::new().create_new(true).append(true).open(&path)?;
        file.try_lock().map_err(io::Error::other)?;
        Ok((
            Journal {
                file: Mutex::new(file),
                path,
            },
            orphans,
        ))
    }

    /// Appends the row and waits until it is on disk. `then` runs while the
    /// journal is still held (the row is queued there, so that `clear`
    /// never empties the journal of a row the queue has not seen).
    pub(crate) fn append<T>(&self, row: &AuditRow, then: impl FnOnce() -> T) -> io::Result<T> {
        let mut line = serde_json::to_vec(row).map_err(io::Error::other)?;
        line.push(b'\n');
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        file.write_all(&line)?;
        file.sync_data()?;
        Ok(then())
    }

    /// Empties the journal when `all_written` says, while holding it, that
    /// every row appended so far is in the database. Skipped (for the next
    /// time) while a row is being appended.
    pub(crate) fn clear_if(&self, all_written: impl FnOnce() -> bool) {
        let Ok(file) = self.file.try_lock() else { return };
        if all_written() {
            if let Err(err) = file.set_len(0) {
                tracing::warn!(error = %err, path = %self.path.display(), "could not empty the refusals' journal");
            }
        }
    }
}

impl Drop for Journal {
    /// An empty journal is removed when the process ends normally; one with
    /// rows is left for the next process.
    fn drop(&mut self) {
        let file = self.file.get_mut().unwrap_or_else(|e| e.into_inner());
        if file.metadata().map(|m| m.len() == 0).unwrap_or(false) {
            let _ = fs::remove_file(&self.path);
        }
    }
}

impl Orphan {
    /// The rows are in the database: the journal goes.
    pub(crate) fn remove(self) {
        if let Err(err) = fs::remove_file(&self.path) {
            tracing::warn!(error = %err, path = %self.path.display(), "could not remove a replayed journal");
        }
    }
}

/// The journals in `dir` no live process holds.
fn take_orphans(dir: &Path) -> io::Result<Vec<Orphan>> {
    let mut orphans = Vec::new();
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if !(name.starts_with(PREFIX) && name.ends_with(SUFFIX)) {
            continue;
        }
        let file = match OpenOptions::new().read(true).write(true).open(&path) {
            Ok(file) => file,
            // (Removed by another process taking it over meanwhile.)
            Err(err) if err.kind() == io::ErrorKind::NotFound => continue,
            Err(err) => return Err(err),
        };
        if file.try_lock().is_err() {
            continue; // a live process's
        }
        let mut rows = Vec::new();
        for (n, line) in BufReader::new(&file).lines().enumerate() {
            let line = line?;
            match serde_json::from_str::<AuditRow>(&line) {
                Ok(row) => rows.push(row),
                // Only the last line can be cut short (killed mid-write,
                // before its request was answered).
                Err(err) => {
                    tracing::warn!(error = %err, line = n + 1, path = %path.display(), "skipped an unreadable journal line")
                }
            }
        }
        orphans.push(Orphan {
            _file: file,
            path,
            rows,
        });
    }
    Ok(orphans)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(n: i64) -> AuditRow {
        AuditRow {
            org_id: Some(n),
            actor: format!("token:{n}"),
            action: "access.refused".into(),
            target_kind: "permission".into(),
            target_id: "members.write".into(),
            outcome: "refused".into(),
            ip: "127.0.0.1".into(),
            request_id: format!("req-{n}"),
            details: serde_json::json!({}),
            at: n,
        }
    }

    #[test]
    fn a_journal_left_behind_is_taken_over_with_its_rows_and_a_live_one_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let (dead, none) = Journal::open(dir.path()).unwrap();
        assert!(none.is_empty());
        dead.append(&row(1), || ()).unwrap();
        dead.append(&row(2), || ()).unwrap();
        // A live journal is not another process's to take.
        let (live, orphans) = Journal::open(dir.path()).unwrap();
        assert!(orphans.is_empty(), "the first journal is still held");
        live.append(&row(3), || ()).unwrap();
        // The first process ends with rows unwritten: its file stays, unlocked.
        drop(dead);
        let (_next, orphans) = Journal::open(dir.path()).unwrap();
        assert_eq!(orphans.len(), 1);
        let ats: Vec<i64> = orphans[0].rows.iter().map(|r| r.at).collect();
        assert_eq!(ats, [1, 2]);
        let path = orphans[0].path.clone();
        orphans.into_iter().for_each(Orphan::remove);
        assert!(!path.exists());
    }

    #[test]
    fn a_cleared_journal_is_removed_when_its_process_ends() {
        let dir = tempfile::tempdir().unwrap();
        let (journal, _) = Journal::open(dir.path()).unwrap();
        journal.append(&row(1), || ()).unwrap();
        journal.clear_if(|| false);
        assert!(fs::metadata(&journal.path).unwrap().len() > 0);
        journal.clear_if(|| true);
        let path = journal.path.clone();
        drop(journal);
        assert!(!path.exists());
    }

    #[test]
    fn a_line_cut_short_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(format!("{PREFIX}1-x{SUFFIX}"));
        let mut text = serde_json::to_string(&row(7)).unwrap();
        text.push_str("\n{\"org_id\":");
        fs::write(&path, text).unwrap();
        let (_journal, orphans) = Journal::open(dir.path()).unwrap();
        assert_eq!(orphans[0].rows.len(), 1);
    }

    #[test]
    fn the_journals_live_beside_the_database() {
        assert_eq!(
            dir_beside(Path::new("/var/lib/roster/roster.db")),
            Path::new("/var/lib/roster/roster.db.refusals")
        );
    }
}
