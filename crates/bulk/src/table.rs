//! Decoding a CSV/TSV file into a header and rows, each with the line it
//! starts on (quoted fields may span lines).

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
}

/// Reads the whole table, refusing more than `row_limit` data rows.
pub fn read_table(bytes: &[u8], detected: &Detected, row_limit: usize) -> Result<Table, ImportError> {
    let mut rows = Vec::new();
    let scanned = scan_rows(bytes, detected, row_limit, |line, cells| rows.push((line, cells)))?;
    Ok(Table {
        headers: scanned.headers,
        rows,
        sheet: scanned.sheet,
    })
}

/// Streams the data rows, each with its line, to `visit`, holding one row
/// at a time: a million-row file is read twice by an import (duplicates
/// first, then the rows) and never held as a table. Refuses more than
/// `row_limit` data rows — after handing over the first `row_limit`, so a
/// caller that writes as it goes must not keep its work on that error.
pub fn scan_rows(
    bytes: &[u8],
    detected: &Detected,
    row_limit: usize,
    mut visit: impl FnMut(u64, Vec<String>),
) -> Result<Scanned, ImportError> {
    if detected.format == crate::FileFormat::Xlsx {
        return crate::xlsx::scan_sheet(bytes, detected.sheet.as_deref(), row_limit, visit);
    }
    let Some(encoding) = detected.encoding else {
        return Err(ImportError::NoHeader);
    };
    let text = decode(bytes, encoding);
    let delimiter = detected.delimiter.unwrap_or(',') as u8;
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let bytes = text.as_bytes();
    let mut headers = None;
    let mut rows = 0;
    let mut record = csv::StringRecord::new();
    // A row's line is 1 + the line breaks before its first byte. csv's
    // record offset may point at line breaks it skipped (a CRLF's LF, blank
    // lines), so the first byte is found past them.
    let (mut scanned, mut newlines) = (0usize, 0u64);
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(newlines + 1, |p| p.line());
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
        newlines += bytes[scanned..upto].iter().filter(|b| **b == b'\n').count() as u64;
        scanned = upto;
        let line = newlines + 1;
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let cells: Vec<String> = record.iter().map(unguard).collect();
        if headers.is_none() {
            headers = Some(
                cells
                    .iter()
                    .map(|h| h.trim_start_matches('\u{feff}').trim().to_owned())
                    .collect(),
            );
            continue;
        }
        if rows == row_limit {
            let more = 1 + reader
                .records()
                .filter(|r| r.as_ref().is_ok_and(|r| r.iter().any(|c| !c.trim().is_empty())))
                .count();
            return Err(ImportError::TooManyRows {
                rows: row_limit + more,
                limit: row_limit,
            });
        }
        rows += 1;
        visit(line, cells);
    }
    Ok(Scanned {
        headers: headers.ok_or(ImportError::NoHeader)?,
        rows,
        sheet: None,
        sheets: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect;

    fn table(bytes: &[u8]) -> Table {
        read_table(bytes, &detect(bytes).unwrap(), 100).unwrap()
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
    fn an_unbalanced_quote_does_not_panic() {
        let bytes = b"a,b\n\"open,1\n2,3\n";
        let t = read_table(bytes, &detect(bytes).unwrap(), 10).unwrap();
        assert_eq!(t.rows.len(), 1);
    }
}
