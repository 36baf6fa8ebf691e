//! Reading an uploaded CSV/TSV file into a header and rows, each with the
//! line it starts on (quoted fields may span lines). Runs only inside the
//! upload sandbox (`normal::normalize`); the server reads the normalized
//! table it writes.
//!
//! A file is never silently misread: a quote that opens and is never closed
//! would swallow the rest of the file into one cell, so that row is given
//! back as unreadable (naming the line where the quote opened) and reading
//! goes on after it; in a UTF-8 file with a few bytes that are not UTF-8,
//! the rows holding them are unreadable, naming the bytes' line.

use crate::detect::{decode, Detected, ImportError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub headers: Vec<String>,
    /// (line number in the file, or row number in the sheet; cells);
    /// entirely empty rows are left out.
    pub rows: Vec<(u64, Vec<String>)>,
    /// The sheet the table came from (workbooks only).
    pub sheet: Option<String>,
}

/// A data row as read: its cells, and why it cannot be imported when the
/// reader could not read it whole (the cells then hold what could be read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRow {
    pub line: u64,
    pub cells: Vec<String>,
    pub problem: Option<String>,
}

/// Where a scan hands what it reads: the header once, then each data row.
pub trait RowSink {
    fn header(&mut self, headers: &[String]) -> Result<(), ImportError>;
    fn row(&mut self, row: RawRow) -> Result<(), ImportError>;
}

/// Excel keeps at most this many characters in a cell; an import reads no more.
pub const MAX_CELL_CHARS: usize = 32_767;
/// An import reads at most this many columns.
pub const MAX_COLUMNS: usize = 256;

/// Removes the `'` that Roster's own reports (and OWASP's advice) put before
/// a cell a spreadsheet would run as a formula, so that a report fixed and
/// uploaded again carries the values as they were.
fn unguard(cell: &str) -> String {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest.to_owned(),
        _ => cell.to_owned(),
    }
}

/// What a scan found besides the rows it handed over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scanned {
    pub headers: Vec<String>,
    /// Data rows handed over (entirely empty rows are not counted).
    pub rows: usize,
    /// The sheet read (workbooks only).
    pub sheet: Option<String>,
    /// Every sheet of the workbook, in order (workbooks only).
    pub sheets: Vec<String>,
    /// Lines holding bytes that are not valid in the file's encoding (the
    /// first few), to name them where the file is shown.
    pub bad_lines: Vec<u64>,
}

/// A row that goes to a table (tests and the fuzzer).
struct Collect<'a>(&'a mut Table);

impl RowSink for Collect<'_> {
    fn header(&mut self, headers: &[String]) -> Result<(), ImportError> {
        self.0.headers = headers.to_vec();
        Ok(())
    }

    fn row(&mut self, row: RawRow) -> Result<(), ImportError> {
        self.0.rows.push((row.line, row.cells));
        Ok(())
    }
}

/// Reads the whole table, refusing more than `row_limit` data rows (tests
/// and the fuzzer; imports stream).
pub fn read_table(bytes: &[u8], detected: &Detected, row_limit: usize) -> Result<Table, ImportError> {
    let mut table = Table {
        headers: Vec::new(),
        rows: Vec::new(),
        sheet: None,
    };
    let scanned = scan_rows(bytes, detected, row_limit, &mut Collect(&mut table))?;
    table.sheet = scanned.sheet;
    Ok(table)
}

/// Streams the header and the data rows, each with its line, to `sink`,
/// holding one row at a time. Refuses more than `row_limit` data rows.
pub fn scan_rows(
    bytes: &[u8],
    detected: &Detected,
    row_limit: usize,
    sink: &mut dyn RowSink,
) -> Result<Scanned, ImportError> {
    if detected.format == crate::FileFormat::Xlsx {
        return crate::xlsx::scan_sheet(bytes, detected.sheet.as_deref(), row_limit, true, sink);
    }
    let Some(encoding) = detected.encoding else {
        return Err(ImportError::NoHeader);
    };
    let (text, bad_bytes) = decode(bytes, encoding);
    let delimiter = detected.delimiter.unwrap_or(',') as u8;
    let mut reader = CsvScan {
        delimiter,
        row_limit,
        bad_bytes,
        headers: None,
        rows: 0,
        over: 0,
        bad_lines: Vec::new(),
        sink,
    };
    // The file in segments: each ends before a record whose quote is never
    // closed, and the next begins on the line after that quote.
    let (mut offset, mut lines_before) = (0usize, 0u64);
    loop {
        let segment = &text[offset..];
        let Some(open) = unclosed_quote(segment.as_bytes(), delimiter) else {
            reader.scan(segment, lines_before)?;
            break;
        };
        reader.scan(&segment[..open.record_start], lines_before)?;
        let record_line = lines_before + 1 + newlines(&segment.as_bytes()[..open.record_start]);
        let quote_line = lines_before + 1 + newlines(&segment.as_bytes()[..open.quote_at]);
        if reader.headers.is_none() {
            return Err(ImportError::Malformed {
                line: quote_line,
                message: "a quote opens on this line of the header and is never closed".into(),
            });
        }
        reader.hand_over(RawRow {
            line: record_line,
            cells: Vec::new(),
            problem: Some(format!(
                "a quote (\") opens on line {quote_line} and is never closed, so this row would run to the end of \
                 the file; it was not read: close the quote (or double it, \"\", inside a quoted cell) and upload again"
            )),
        })?;
        let resume = segment.as_bytes()[open.quote_at..]
            .iter()
            .position(|b| *b == b'\n')
            .map_or(segment.len(), |p| open.quote_at + p + 1);
        offset += resume;
        lines_before = quote_line;
    }
    let CsvScan {
        headers,
        rows,
        over,
        bad_lines,
        ..
    } = reader;
    if over > 0 {
        return Err(ImportError::TooManyRows {
            rows: rows + over,
            limit: row_limit,
        });
    }
    Ok(Scanned {
        headers: headers.ok_or(ImportError::NoHeader)?,
        rows,
        sheet: None,
        sheets: Vec::new(),
        bad_lines,
    })
}

/// The state of reading a CSV file, across its segments.
struct CsvScan<'a> {
    delimiter: u8,
    row_limit: usize,
    /// The decoder met bytes that are not valid in the file's encoding
    /// (they read as U+FFFD).
    bad_bytes: bool,
    headers: Option<Vec<String>>,
    rows: usize,
    /// Rows past the limit: counted, so that the refusal says how many.
    over: usize,
    bad_lines: Vec<u64>,
    sink: &'a mut dyn RowSink,
}

impl CsvScan<'_> {
    /// Reads one segment whose first line is line `lines_before + 1`.
    fn scan(&mut self, text: &str, lines_before: u64) -> Result<(), ImportError> {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(self.delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let bytes = text.as_bytes();
        let mut record = csv::StringRecord::new();
        // A row's line is 1 + the line breaks before its first byte. csv's
        // record offset may point at line breaks it skipped (a CRLF's LF,
        // blank lines), so the first byte is found past them.
        let (mut scanned, mut newlines_seen) = (0usize, lines_before);
        loop {
            match reader.read_record(&mut record) {
                Ok(false) => return Ok(()),
                Ok(true) => {}
                Err(e) => {
                    let line = e.position().map_or(newlines_seen + 1, |p| lines_before + p.line());
                    return Err(ImportError::Malformed {
                        line,
                        message: e.to_string(),
                    });
                }
            }
            let mut start = record.position().map_or(scanned, |p| p.byte() as usize);
            while matches!(bytes.get(start), Some(b'\r' | b'\n')) {
                start += 1;
            }
            let upto = start.min(bytes.len()).max(scanned);
            newlines_seen += newlines(&bytes[scanned..upto]);
            scanned = upto;
            let line = newlines_seen + 1;
            if record.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            let mut cells: Vec<String> = record.iter().map(unguard).collect();
            if self.headers.is_none() {
                if cells.len() > MAX_COLUMNS {
                    return Err(ImportError::TooManyColumns {
                        columns: cells.len(),
                        limit: MAX_COLUMNS,
                    });
                }
                let headers: Vec<String> = cells
                    .iter()
                    .map(|h| h.trim_start_matches('\u{feff}').trim().to_owned())
                    .collect();
                self.sink.header(&headers)?;
                self.headers = Some(headers);
                continue;
            }
            while cells.len() > MAX_COLUMNS && cells.last().is_some_and(|c| c.trim().is_empty()) {
                cells.pop();
            }
            let mut problem = cell_problem(&cells);
            if problem.is_none() && self.bad_bytes && cells.iter().any(|c| c.contains('\u{FFFD}')) {
                if self.bad_lines.len() < 20 {
                    self.bad_lines.push(line);
                }
                problem = Some(format!(
                    "line {line} holds bytes that are not valid in the file's encoding (shown as \u{FFFD}); the rest \
                     of the file is read as UTF-8: fix those characters, or save the file again as CSV UTF-8"
                ));
            }
            if problem.is_some() && cells.len() > MAX_COLUMNS {
                cells.truncate(MAX_COLUMNS);
            }
            self.hand_over(RawRow { line, cells, problem })?;
        }
    }

    fn hand_over(&mut self, row: RawRow) -> Result<(), ImportError> {
        if self.rows == self.row_limit {
            self.over += 1;
            return Ok(());
        }
        self.rows += 1;
        self.sink.row(row)
    }
}

/// Why a row's cells cannot be imported as they are: too many columns, or a
/// cell longer than Excel allows.
pub(crate) fn cell_problem(cells: &[String]) -> Option<String> {
    if cells.len() > MAX_COLUMNS {
        return Some(format!(
            "the row has {} cells; an import reads at most {MAX_COLUMNS} columns",
            cells.len()
        ));
    }
    let (column, chars) = cells
        .iter()
        .enumerate()
        .map(|(i, c)| (i, c.chars().count()))
        .find(|(_, n)| *n > MAX_CELL_CHARS)?;
    Some(format!(
        "the cell in column {} holds {chars} characters; at most {MAX_CELL_CHARS} are read (Excel's own limit)",
        column + 1
    ))
}

fn newlines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|b| **b == b'\n').count() as u64
}

/// A quoted field that the file never closes.
#[derive(Debug, PartialEq, Eq)]
struct UnclosedQuote {
    /// Where the record holding it starts (past line breaks).
    record_start: usize,
    /// Where its opening quote is.
    quote_at: usize,
}

/// Finds a quote that opens a field and is never closed, reading the file
/// as the csv crate does (RFC 4180: a quote opens a field only as its first
/// character; `""` inside is a quote; after the closing quote the rest of
/// the field is taken as it is).
fn unclosed_quote(bytes: &[u8], delimiter: u8) -> Option<UnclosedQuote> {
    #[derive(PartialEq)]
    enum State {
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    let mut state = State::FieldStart;
    let (mut record_start, mut quote_at) = (0usize, 0usize);
    for (i, &b) in bytes.iter().enumerate() {
        let end_of_line = b == b'\n' || b == b'\r';
        state = match state {
            State::FieldStart | State::Unquoted | State::QuoteInQuoted if end_of_line => {
                record_start = i + 1;
                State::FieldStart
            }
            State::FieldStart if b == b'"' => {
                quote_at = i;
                State::Quoted
            }
            State::FieldStart | State::Unquoted | State::QuoteInQuoted if b == delimiter => State::FieldStart,
            State::FieldStart | State::Unquoted => State::Unquoted,
            State::Quoted if b == b'"' => State::QuoteInQuoted,
            State::Quoted => State::Quoted,
            State::QuoteInQuoted if b == b'"' => State::Quoted,
            State::QuoteInQuoted => State::Unquoted,
        };
    }
    (state == State::Quoted).then(|| {
        while matches!(bytes.get(record_start), Some(b'\r' | b'\n')) {
            record_start += 1;
        }
        UnclosedQuote { record_start, quote_at }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect;

    fn table(bytes: &[u8]) -> Table {
        read_table(bytes, &detect(bytes).unwrap(), 100).unwrap()
    }

    /// Every row with its problem, as a sink sees them.
    fn raw_rows(bytes: &[u8]) -> (Scanned, Vec<RawRow>) {
        struct Rows(Vec<RawRow>);
        impl RowSink for Rows {
            fn header(&mut self, _: &[String]) -> Result<(), ImportError> {
                Ok(())
            }
            fn row(&mut self, row: RawRow) -> Result<(), ImportError> {
                self.0.push(row);
                Ok(())
            }
        }
        let mut rows = Rows(Vec::new());
        let scanned = scan_rows(bytes, &detect(bytes).unwrap(), 100, &mut rows).unwrap();
        (scanned, rows.0)
    }

    #[test]
    fn quoted_fields_keep_delimiters_and_line_breaks_and_rows_keep_their_line() {
        let t = table(b"firstname;lastname;comment\r\nAnna;M\xfcller;\"eins; zwei\r\ndrei\"\r\n\r\nBert;Brot;x\r\n");
        assert_eq!(t.headers, vec!["firstname", "lastname", "comment"]);
        assert_eq!(
            t.rows[0],
            (2, vec!["Anna".into(), "Müller".into(), "eins; zwei\r\ndrei".into()])
        );
        assert_eq!(t.rows[1].0, 5, "the empty line 4 is skipped, the row keeps its line");
    }

    #[test]
    fn a_bom_is_not_glued_to_the_first_header() {
        let t = table(b"\xEF\xBB\xBFemail,firstname\nx@y.de,X\n");
        assert_eq!(t.headers[0], "email");
    }

    #[test]
    fn too_many_rows_are_refused_naming_the_limit() {
        let bytes = b"a\n1\n2\n3\n";
        let err = read_table(bytes, &detect(bytes).unwrap(), 2).unwrap_err();
        assert_eq!(err, ImportError::TooManyRows { rows: 3, limit: 2 });
    }

    #[test]
    fn an_unclosed_quote_is_a_row_naming_its_line_and_the_rows_after_it_are_read() {
        let (_, rows) = raw_rows(b"a,b\n1,2\n\"open,3\n4,5\n6,7\n");
        let lines: Vec<u64> = rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![2, 3, 4, 5]);
        let problem = rows[1].problem.as_deref().unwrap();
        assert!(problem.contains("opens on line 3 and is never closed"), "{problem}");
        assert_eq!(rows[2].cells, vec!["4", "5"]);
        assert!(rows.iter().filter(|r| r.line != 3).all(|r| r.problem.is_none()));
    }

    #[test]
    fn a_quote_opened_in_a_later_field_of_a_multi_line_row_names_its_own_line() {
        let (_, rows) = raw_rows(b"a,b,c\n\"x\ny\",\"never\n1,2,3\n");
        assert_eq!(rows[0].line, 2);
        assert!(rows[0].problem.as_deref().unwrap().contains("line 3"), "{rows:?}");
        assert_eq!(
            (rows[1].line, rows[1].cells.clone()),
            (4, vec!["1".into(), "2".into(), "3".into()])
        );
    }

    #[test]
    fn closed_and_doubled_quotes_are_not_unclosed() {
        assert_eq!(unclosed_quote(b"a,\"b\"\"c\"\n\"d\ne\",f\n", b','), None);
        assert_eq!(
            unclosed_quote(b"O\"Brien,x\n", b','),
            None,
            "a quote inside a field is a letter"
        );
        assert!(unclosed_quote(b"a;\"b\n", b';').is_some());
    }

    #[test]
    fn a_quote_never_closed_in_the_header_refuses_the_file() {
        let bytes = b"a,\"b\n1,2\n";
        let err = read_table(bytes, &detect(bytes).unwrap(), 10).unwrap_err();
        assert!(matches!(err, ImportError::Malformed { line: 1, .. }), "{err}");
    }

    #[test]
    fn a_utf8_file_with_a_few_bad_bytes_names_their_lines_and_keeps_its_umlauts() {
        // A Windows-1252 ü (0xFC) on line 3 of a file that is UTF-8 elsewhere.
        let bytes = b"email,name\na@x.de,J\xc3\xbcrgen\nb@x.de,Br\xfc\nc@x.de,Zo\xc3\xab\n";
        let (scanned, rows) = raw_rows(bytes);
        assert_eq!(rows[0].cells[1], "Jürgen", "not garbled as Windows-1252");
        assert_eq!(rows[2].cells[1], "Zoë");
        assert!(
            rows[1].problem.as_deref().unwrap().starts_with("line 3 holds bytes"),
            "{rows:?}"
        );
        assert_eq!(scanned.bad_lines, vec![3]);
    }

    #[test]
    fn a_cell_longer_than_excel_allows_makes_its_row_unreadable() {
        let long = "x".repeat(MAX_CELL_CHARS + 1);
        let bytes = format!("email,comment\na@x.de,{long}\nb@x.de,ok\n").into_bytes();
        let (_, rows) = raw_rows(&bytes);
        assert!(
            rows[0].problem.as_deref().unwrap().contains("32767"),
            "{:?}",
            rows[0].problem
        );
        assert!(rows[1].problem.is_none());
    }
}
