//! The stored import as a stream of row chunks. What is read is the
//! normalized table the upload sandbox made of the file (never the upload
//! itself), part by part from the database, on a blocking thread that hands
//! chunks over a small channel: parsing goes on beside the database work,
//! and no import ever holds the whole table — a million-row file costs a
//! few chunks of memory and one part of the table, not a million rows.

use std::hash::{Hash, Hasher};
use std::io::Read;

use roster_bulk::{DamagedTable, NormalReader, NormalRow};
use roster_domain::{Email, SingleLine};
use roster_store::{ImportPart, Store};
use tokio::runtime::Handle;
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

/// A stored import's table, and how it was read from the upload.
#[derive(Clone)]
pub(super) struct Source {
    store: Store,
    import_id: i64,
    pub(super) detected: Detected,
    row_limit: usize,
}

/// The stored table's parts as one stream of bytes, fetched one part at a
/// time. Used only on blocking threads (it waits for the database there).
pub(super) struct StoredTable {
    store: Store,
    import_id: i64,
    runtime: Handle,
    part: i64,
    current: std::io::Cursor<Vec<u8>>,
}

impl Read for StoredTable {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let n = self.current.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            let (store, import_id, part) = (self.store.clone(), self.import_id, self.part);
            let next = self.runtime.block_on(async move {
                let mut conn = store.conn().await?;
                roster_store::import_part(&mut conn, ImportPart::Table, import_id, part).await
            });
            match next.map_err(std::io::Error::other)? {
                Some(bytes) => {
                    self.part += 1;
                    self.current = std::io::Cursor::new(bytes);
                }
                None => return Ok(0),
            }
        }
    }
}

/// A stored import's rows as the server reads them.
pub(super) type TableReader = NormalReader<StoredTable>;

/// A damaged stored table is Roster's fault, said loudly, never the upload's.
pub(super) fn damaged(e: DamagedTable) -> ServiceError {
    ServiceError::Internal(Box::new(e))
}

/// Why the sandbox could not read a row, as the row's error.
pub(super) fn unreadable_row(line: u64, problem: String) -> RowError {
    row_error(line, "", "row", "unreadable_row", problem)
}

impl Source {
    /// The import's stored table; an import uploaded before tables were
    /// stored gets one now, read from its file in the sandbox.
    pub(super) async fn load(service: &Service, import: &ImportRecord, row_limit: usize) -> ServiceResult<Self> {
        let detected: Detected = serde_json::from_value(import.detected.clone())
            .map_err(|e| ServiceError::Internal(format!("the import's detected format is unreadable: {e}").into()))?;
        service.ensure_import_table(import, &detected).await?;
        Ok(Self {
            store: service.store().clone(),
            import_id: import.id,
            detected,
            row_limit,
        })
    }

    /// Opens the table; call on a blocking thread, with the runtime's handle.
    pub(super) fn open(&self, runtime: Handle) -> ServiceResult<TableReader> {
        let stored = StoredTable {
            store: self.store.clone(),
            import_id: self.import_id,
            runtime,
            part: 0,
            current: std::io::Cursor::new(Vec::new()),
        };
        NormalReader::new(stored).map_err(damaged)
    }

    /// Streams the data rows, validated against `mapping` and the custom
    /// fields, in chunks of [`CHUNK_ROWS`].
    pub(super) fn stream(&self, mapping: Mapping, defs: Vec<FieldDef>, labels: super::labels::Labels) -> RowStream {
        let (sender, receiver) = mpsc::channel::<Rows>(2);
        let source = self.clone();
        let runtime = Handle::current();
        let done = tokio::task::spawn_blocking(move || {
            let mut chunk = Vec::with_capacity(CHUNK_ROWS);
            for row in source.open(runtime)? {
                let NormalRow {
                    line,
                    mut cells,
                    problem,
                } = row.map_err(damaged)?;
                labels.apply(&mut cells);
                let member = match problem {
                    Some(problem) => Err(vec![unreadable_row(line, problem)]),
                    None => validate_row(&mapping, line, &cells, &defs),
                };
                let skeleton = member
                    .as_ref()
                    .ok()
                    .map(|m| roster_domain::email_skeleton(&m.email_normalized));
                chunk.push(ParsedRow { line, member, skeleton });
                if chunk.len() == CHUNK_ROWS {
                    let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK_ROWS));
                    if sender.blocking_send(full).is_err() {
                        // The reader gave up: nothing more to read for.
                        return Ok(());
                    }
                }
            }
            if !chunk.is_empty() {
                // (A reader that gave up takes nothing more.)
                let _ = sender.blocking_send(chunk);
            }
            Ok(())
        });
        RowStream { receiver, done }
    }

    /// The first pass: which e-mails and personal ids occur more than once
    /// in the file, on which lines; and how many rows it has (a file over
    /// the organization's row limit is refused here, naming it).
    pub(super) async fn duplicates(&self, mapping: &Mapping) -> ServiceResult<(Duplicates, usize)> {
        let column = |target: Target| mapping.columns.iter().find(|c| c.target == target).map(|c| c.column);
        let (email_column, pid_column) = (column(Target::Email), column(Target::PersonalId));
        let source = self.clone();
        let runtime = Handle::current();
        let (found, rows) = tokio::task::spawn_blocking(move || {
            // (key, line) pairs sorted afterwards: 24 bytes a row, where a
            // set of the e-mails themselves would take several times that.
            let mut emails: Vec<Keyed> = Vec::new();
            // Personal ids as given, and the e-mails that rows without one
            // get as theirs: a given id that is another row's e-mail must
            // be caught here, not by the unique index.
            let (mut given_pids, mut defaulted_pids): (Vec<Keyed>, Vec<Keyed>) = (Vec::new(), Vec::new());
            let mut email_like_pid = false;
            // The looks of addresses that are not plain ASCII: only they can
            // be look-alikes (usually there are none).
            let mut non_ascii_looks = std::collections::HashSet::new();
            let mut rows = 0usize;
            for row in source.open(runtime.clone())? {
                let row = row.map_err(damaged)?;
                rows += 1;
                if row.problem.is_some() {
                    continue;
                }
                let (line, cells) = (row.line, row.cells);
                // Parsed as `validate_row` parses them, so that the keys match.
                let cell = |c: Option<usize>| c.and_then(|c| cells.get(c)).map(String::as_str);
                let email = cell(email_column).map(Email::parse).and_then(Result::ok);
                if let Some(email) = &email {
                    emails.push((key(email.normalized()), line));
                    if !email.normalized().is_ascii() {
                        non_ascii_looks.insert(look_key(&roster_domain::email_skeleton(email.normalized())));
                    }
                }
                let pid = cell(pid_column).and_then(|raw| SingleLine::parse("personal_id", raw, 200).ok());
                match (pid.filter(|p| !p.as_str().is_empty()), &email) {
                    (Some(pid), _) => {
                        email_like_pid |= pid.as_str().contains('@');
                        given_pids.push((key(pid.as_str()), line));
                    }
                    (None, Some(email)) => defaulted_pids.push((key(email.as_str()), line)),
                    (None, None) => {}
                }
            }
            if rows > source.row_limit {
                return Err(file_error(roster_bulk::ImportError::TooManyRows {
                    rows,
                    limit: source.row_limit,
                }));
            }
            if !email_like_pid {
                // No given personal id can equal an e-mail: nothing to compare.
                defaulted_pids = Vec::new();
            }
            let email_pids = personal_id_clashes(&mut given_pids, &mut defaulted_pids);
            let pids = LinesOf::of(given_pids);
            drop(defaulted_pids);
            let look_alikes = if non_ascii_looks.is_empty() {
                HashMap::new()
            } else {
                source.look_alikes(runtime, email_column, &non_ascii_looks)?
            };
            Ok::<_, ServiceError>(((LinesOf::of(emails), pids, email_pids, look_alikes), rows))
        })
        .await
        .map_err(|e| ServiceError::Internal(Box::new(e)))??;
        let (emails, personal_ids, email_pids, look_alikes) = found;
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

    /// Reads the e-mails that share a look with an address that is not
    /// plain ASCII (a second pass, only for files that have such addresses)
    /// and pairs the addresses that really look alike.
    fn look_alikes(
        &self,
        runtime: Handle,
        email_column: Option<usize>,
        non_ascii_looks: &std::collections::HashSet<u64>,
    ) -> ServiceResult<HashMap<u64, Vec<u64>>> {
        // (skeleton, line, address) of the rows with one of those looks.
        let mut found: Vec<(String, u64, String)> = Vec::new();
        for row in self.open(runtime)? {
            let row = row.map_err(damaged)?;
            if row.problem.is_some() {
                continue;
            }
            if let Some(Ok(email)) = email_column.and_then(|c| row.cells.get(c)).map(|c| Email::parse(c)) {
                let skeleton = roster_domain::email_skeleton(email.normalized());
                if non_ascii_looks.contains(&look_key(&skeleton)) {
                    found.push((skeleton, row.line, email.normalized().to_owned()));
                }
            }
        }
        // Only addresses of the same look can look alike: compared within
        // each look, so that many different non-ASCII addresses cost no more
        // than their number.
        found.sort_unstable();
        let mut out: HashMap<u64, Vec<u64>> = HashMap::new();
        for group in found.chunk_by(|a, b| a.0 == b.0).filter(|g| g.len() > 1) {
            for (_, line, email) in group {
                let others: Vec<u64> = group
                    .iter()
                    .filter(|(_, _, other)| roster_domain::looks_alike(email, other))
                    .map(|(_, l, _)| *l)
                    .collect();
                if !others.is_empty() {
                    out.insert(*line, others);
                }
            }
        }
        Ok(out)
    }
}

pub(super) struct RowStream {
    receiver: mpsc::Receiver<Rows>,
    done: JoinHandle<ServiceResult<()>>,
}

impl RowStream {
    pub(super) async fn next(&mut self) -> Option<Rows> {
        self.receiver.recv().await
    }

    /// Waits for the reader; a table that turned out damaged midway is an
    /// error here, after its rows were handed out.
    pub(super) async fn finish(self) -> ServiceResult<()> {
        drop(self.receiver);
        self.done.await.map_err(|e| ServiceError::Internal(Box::new(e)))?
    }
}

/// A 128-bit key for a value: two SipHash runs with different prefixes. Two
/// different e-mails share a key with a chance of about 1 in 10^26 in a
/// million-row file, far below any hardware fault; storing keys instead of
/// strings keeps the first pass at 24 bytes a row. Two halves rather than a
/// `u128`, whose 16-byte alignment would pad each (key, line) pair to 32.
type Key = [u64; 2];

/// A value's key and the line it is on.
type Keyed = (Key, u64);

fn key(value: &str) -> Key {
    [salted_hash(1, value), salted_hash(2, value)]
}

fn salted_hash(salt: u8, value: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    salt.hash(&mut h);
    value.hash(&mut h);
    h.finish()
}

/// A 64-bit key of an e-mail's look (its confusable skeleton): equal looks
/// give equal keys; the rare unequal looks sharing one are sorted out by
/// comparing the skeletons themselves.
fn look_key(skeleton: &str) -> u64 {
    salted_hash(3, skeleton) // salts 1 and 2 are `key`'s
}

/// Lines that share a value, for the values that occur more than once.
#[derive(Default)]
pub(super) struct LinesOf(HashMap<Key, Vec<u64>>);

impl LinesOf {
    fn of(mut keyed: Vec<Keyed>) -> Self {
        keyed.sort_unstable();
        let mut out: HashMap<Key, Vec<u64>> = HashMap::new();
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

/// Clashes between a given personal id and the e-mail a row without one
/// gets as its personal id: each line names the other lines. (Personal ids
/// given more than once are `LinesOf` the given ones; rows that both default
/// to their e-mail clash only when the e-mails do, which the e-mail check
/// reports.) Sorts both lists.
fn personal_id_clashes(given: &mut [Keyed], defaulted: &mut [Keyed]) -> HashMap<u64, Vec<u64>> {
    let mut clashes: HashMap<u64, Vec<u64>> = HashMap::new();
    if defaulted.is_empty() {
        return clashes;
    }
    given.sort_unstable();
    defaulted.sort_unstable();
    let lines_of = |sorted: &[Keyed], k: &Key| -> Vec<u64> {
        let from = sorted.partition_point(|(other, _)| other < k);
        sorted[from..]
            .iter()
            .take_while(|(other, _)| other == k)
            .map(|(_, line)| *line)
            .collect()
    };
    for group in defaulted.chunk_by(|a, b| a.0 == b.0) {
        let given_lines = lines_of(given, &group[0].0);
        if given_lines.is_empty() {
            continue;
        }
        for (_, line) in group {
            clashes.entry(*line).or_default().extend(&given_lines);
        }
        for line in given_lines {
            clashes.entry(line).or_default().extend(group.iter().map(|(_, l)| *l));
        }
    }
    clashes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_given_personal_id_clashes_with_the_rows_that_default_to_it_and_only_those() {
        let mut given = vec![(key("ann@x.de"), 2), (key("4711"), 3), (key("ann@x.de"), 5)];
        let mut defaulted = vec![(key("ann@x.de"), 7), (key("bob@x.de"), 8)];
        let clashes = personal_id_clashes(&mut given, &mut defaulted);
        assert_eq!(clashes.len(), 3, "{clashes:?}");
        assert_eq!(clashes[&7], vec![2, 5]);
        assert_eq!(clashes[&2], vec![7]);
        assert_eq!(clashes[&5], vec![7]);
        // Ids given twice are the plain duplicates' business.
        let pids = LinesOf::of(given);
        assert_eq!(pids.others("ann@x.de", 2), vec![5]);
        assert_eq!(pids.others("ann@x.de", 5), vec![2]);
        assert!(pids.others("4711", 3).is_empty());
    }

    #[test]
    fn without_rows_that_default_there_is_nothing_to_clash() {
        let mut given = vec![(key("ann@x.de"), 2)];
        assert!(personal_id_clashes(&mut given, &mut []).is_empty());
    }

    #[test]
    fn a_look_key_is_the_same_for_addresses_that_look_the_same() {
        let look = |email| look_key(&roster_domain::email_skeleton(email));
        assert_eq!(look("bob@ace.org"), look("bob@\u{0430}\u{0441}\u{0435}.org"));
        assert_ne!(look("bob@ace.org"), look("bob@acme.org"));
    }
}
