//! The stored file as a stream of row chunks. Parsing runs on a blocking
//! thread and hands chunks over a small channel, so it goes on beside the
//! database work and no import ever holds the whole table: a million-row
//! file costs a few chunks of memory, not a million rows of it.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use roster_bulk::{scan_rows, Scanned};
use roster_domain::{Email, SingleLine};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::*;

/// Rows planned and written together: one lookup of existing members and a
/// few multi-row statements per chunk.
pub(super) const CHUNK_ROWS: usize = 1_000;

/// A data row as the parser thread hands it over: already validated, with
/// the look of its e-mail — pure work, done there beside the database work.
pub(super) struct ParsedRow {
    pub(super) line: u64,
    pub(super) member: Result<ImportedMember, Vec<RowError>>,
    /// The e-mail's confusable skeleton (`roster_domain::email_skeleton`).
    pub(super) skeleton: Option<String>,
}

pub(super) type Rows = Vec<ParsedRow>;

/// An uploaded file and how to read it.
#[derive(Clone)]
pub(super) struct Source {
    bytes: Arc<Vec<u8>>,
    pub(super) detected: Detected,
    row_limit: usize,
}

impl Source {
    pub(super) async fn load(conn: &mut Conn, import: &ImportRecord, row_limit: usize) -> ServiceResult<Self> {
        let bytes = import_file(conn, import.id).await?;
        let mut detected = detect(&bytes).map_err(file_error)?;
        // The sheet chosen (the first non-empty one, or the admin's).
        detected.sheet = import.detected["sheet"].as_str().map(str::to_owned);
        detected.sheets = serde_json::from_value(import.detected["sheets"].clone()).unwrap_or_default();
        Ok(Self {
            bytes: Arc::new(bytes),
            detected,
            row_limit,
        })
    }

    /// The whole table, for a report that repeats every row of the file.
    pub(super) fn read_table(&self) -> ServiceResult<Table> {
        read_table(&self.bytes, &self.detected, usize::MAX).map_err(file_error)
    }

    /// Streams the data rows, validated against `mapping` and the custom
    /// fields, in chunks of [`CHUNK_ROWS`].
    pub(super) fn stream(&self, mapping: Mapping, defs: Vec<FieldDef>) -> RowStream {
        let (sender, receiver) = mpsc::channel::<Rows>(2);
        let source = self.clone();
        let done = tokio::task::spawn_blocking(move || {
            let mut chunk = Vec::with_capacity(CHUNK_ROWS);
            let scanned = scan_rows(&source.bytes, &source.detected, source.row_limit, |line, cells| {
                let member = validate_row(&mapping, line, &cells, &defs);
                let skeleton = member
                    .as_ref()
                    .ok()
                    .map(|m| roster_domain::email_skeleton(&m.email_normalized));
                chunk.push(ParsedRow { line, member, skeleton });
                if chunk.len() == CHUNK_ROWS {
                    // A closed channel means the reader gave up; the rest is read and dropped.
                    let _ = sender.blocking_send(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK_ROWS)));
                }
            })?;
            if !chunk.is_empty() {
                let _ = sender.blocking_send(chunk);
            }
            Ok(scanned)
        });
        RowStream { receiver, done }
    }

    /// The first pass: which e-mails and personal ids occur more than once
    /// in the file, on which lines; and how many rows it has.
    pub(super) async fn duplicates(&self, mapping: &Mapping) -> ServiceResult<(Duplicates, usize)> {
        let column = |target: Target| mapping.columns.iter().find(|c| c.target == target).map(|c| c.column);
        let (email_column, pid_column) = (column(Target::Email), column(Target::PersonalId));
        let source = self.clone();
        let found = tokio::task::spawn_blocking(move || {
            // (key, line) pairs sorted afterwards: 24 bytes a row, where a
            // set of the e-mails themselves would take several times that.
            let (mut emails, mut pids) = (Vec::new(), Vec::new());
            // A row without a personal id gets its e-mail as one: (key, line,
            // whether defaulted), so that another row giving that address as
            // its personal id is caught here and not by the unique index.
            let mut email_like_pid = false;
            // (64-bit key of the look, line, whether the address is ASCII):
            // candidates for look-alikes, checked exactly afterwards.
            let mut looks: Vec<(u64, u64, bool)> = Vec::new();
            let scanned = scan_rows(&source.bytes, &source.detected, source.row_limit, |line, cells| {
                // Parsed as `validate_row` parses them, so that the keys match.
                let cell = |c: Option<usize>| c.and_then(|c| cells.get(c)).map(String::as_str);
                let email = cell(email_column).map(Email::parse).and_then(Result::ok);
                if let Some(email) = &email {
                    emails.push((key(email.normalized()), line));
                    let look = key(&roster_domain::email_skeleton(email.normalized())) as u64;
                    looks.push((look, line, email.normalized().is_ascii()));
                }
                let pid = cell(pid_column).and_then(|raw| SingleLine::parse("personal_id", raw, 200).ok());
                match (pid.filter(|p| !p.as_str().is_empty()), &email) {
                    (Some(pid), _) => {
                        email_like_pid |= pid.as_str().contains('@');
                        pids.push((key(pid.as_str()), line, false));
                    }
                    (None, Some(email)) => pids.push((key(email.as_str()), line, true)),
                    (None, None) => {}
                }
            })?;
            if !email_like_pid {
                // No given personal id can equal an e-mail: nothing to compare.
                pids.retain(|(_, _, defaulted)| !defaulted);
            }
            let (pids, email_pids) = personal_id_clashes(pids);
            let candidates = look_alike_candidates(looks);
            let look_alikes = if candidates.is_empty() {
                HashMap::new()
            } else {
                source.look_alikes(email_column, &candidates)?
            };
            let found = (LinesOf::of(emails), pids, email_pids, look_alikes);
            Ok::<_, roster_bulk::ImportError>((found, scanned.rows))
        })
        .await
        .map_err(|e| ServiceError::Internal(Box::new(e)))?
        .map_err(file_error)?;
        let ((emails, personal_ids, email_pids, look_alikes), rows) = found;
        Ok((
            Duplicates {
                emails,
                personal_ids,
                email_pids,
                look_alikes,
            },
            rows,
        ))
    }

    /// Reads the candidate lines' e-mails (a third pass, only for files that
    /// have candidates) and pairs the addresses that really look alike.
    fn look_alikes(
        &self,
        email_column: Option<usize>,
        candidates: &std::collections::HashSet<u64>,
    ) -> Result<HashMap<u64, Vec<u64>>, roster_bulk::ImportError> {
        let mut found: Vec<(u64, String)> = Vec::new();
        scan_rows(&self.bytes, &self.detected, self.row_limit, |line, cells| {
            if !candidates.contains(&line) {
                return;
            }
            if let Some(Ok(email)) = email_column.and_then(|c| cells.get(c)).map(|c| Email::parse(c)) {
                found.push((line, email.normalized().to_owned()));
            }
        })?;
        let mut out: HashMap<u64, Vec<u64>> = HashMap::new();
        for (line, email) in &found {
            let others: Vec<u64> = found
                .iter()
                .filter(|(_, other)| roster_domain::looks_alike(email, other))
                .map(|(l, _)| *l)
                .collect();
            if !others.is_empty() {
                out.insert(*line, others);
            }
        }
        Ok(out)
    }
}

pub(super) struct RowStream {
    receiver: mpsc::Receiver<Rows>,
    done: JoinHandle<Result<Scanned, roster_bulk::ImportError>>,
}

impl RowStream {
    pub(super) async fn next(&mut self) -> Option<Rows> {
        self.receiver.recv().await
    }

    /// Waits for the parser; a file that turned bad midway (or grew past the
    /// row limit since upload) is an error here, after its rows were handed out.
    pub(super) async fn finish(self) -> ServiceResult<Scanned> {
        drop(self.receiver);
        self.done
            .await
            .map_err(|e| ServiceError::Internal(Box::new(e)))?
            .map_err(file_error)
    }
}

/// A 128-bit key for a value: two SipHash runs with different prefixes. Two
/// different e-mails share a key with a chance of about 1 in 10^26 in a
/// million-row file, far below any hardware fault; storing keys instead of
/// strings keeps the first pass at 24 bytes a row.
fn key(value: &str) -> u128 {
    let half = |salt: u8| {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        salt.hash(&mut h);
        value.hash(&mut h);
        h.finish()
    };
    (u128::from(half(1)) << 64) | u128::from(half(2))
}

/// Lines that share a value, for the values that occur more than once.
#[derive(Default)]
pub(super) struct LinesOf(HashMap<u128, Vec<u64>>);

impl LinesOf {
    fn of(mut keyed: Vec<(u128, u64)>) -> Self {
        keyed.sort_unstable();
        let mut out: HashMap<u128, Vec<u64>> = HashMap::new();
        for pair in keyed.windows(2) {
            if pair[0].0 == pair[1].0 {
                let lines = out.entry(pair[0].0).or_insert_with(|| vec![pair[0].1]);
                lines.push(pair[1].1);
            }
        }
        Self(out)
    }

    /// The other lines with this value, if it occurs more than once. The
    /// first occurrence names every later one; a later one names the first.
    pub(super) fn others(&self, value: &str, line: u64) -> Vec<u64> {
        match self.0.get(&key(value)) {
            None => Vec::new(),
            Some(lines) if lines[0] == line => lines[1..].to_vec(),
            Some(lines) => vec![lines[0]],
        }
    }
}

pub(super) struct Duplicates {
    pub(super) emails: LinesOf,
    pub(super) personal_ids: LinesOf,
    /// Lines whose personal id would be the e-mail of a row without one
    /// (that row gets its e-mail as personal id), and those rows, each
    /// naming the other lines.
    pub(super) email_pids: HashMap<u64, Vec<u64>>,
    /// Lines whose e-mail looks like the e-mail on other lines without being it.
    pub(super) look_alikes: HashMap<u64, Vec<u64>>,
}

/// Personal ids given more than once, and clashes between a given personal
/// id and the e-mail a row without one gets as its personal id. Rows that
/// both default to their e-mail clash only when the e-mails do, which the
/// e-mail check reports.
fn personal_id_clashes(mut keyed: Vec<(u128, u64, bool)>) -> (LinesOf, HashMap<u64, Vec<u64>>) {
    keyed.sort_unstable();
    let mut clashes: HashMap<u64, Vec<u64>> = HashMap::new();
    for group in keyed.chunk_by(|a, b| a.0 == b.0).filter(|g| g.len() > 1) {
        let (defaulted, given): (Vec<_>, Vec<_>) = group.iter().partition(|(_, _, defaulted)| *defaulted);
        if defaulted.is_empty() || given.is_empty() {
            continue;
        }
        for (_, line, _) in &defaulted {
            clashes.entry(*line).or_default().extend(given.iter().map(|g| g.1));
        }
        for (_, line, _) in &given {
            clashes.entry(*line).or_default().extend(defaulted.iter().map(|d| d.1));
        }
    }
    let given = keyed
        .into_iter()
        .filter(|k| !k.2)
        .map(|(k, line, _)| (k, line))
        .collect();
    (LinesOf::of(given), clashes)
}

/// Lines that share a look (by 64-bit key) with a line whose address is not
/// plain ASCII: the only lines that can be look-alikes. Usually none.
fn look_alike_candidates(mut looks: Vec<(u64, u64, bool)>) -> std::collections::HashSet<u64> {
    looks.sort_unstable();
    let mut out = std::collections::HashSet::new();
    for group in looks.chunk_by(|a, b| a.0 == b.0).filter(|g| g.len() > 1) {
        if group.iter().any(|(_, _, ascii)| !ascii) {
            out.extend(group.iter().map(|(_, line, _)| *line));
        }
    }
    out
}
