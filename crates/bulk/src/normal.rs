//! The normalized table: what an uploaded file becomes once, inside the
//! upload sandbox, and the only form of it the server ever reads.
//!
//! An upload (CSV in any of its encodings and dialects, or a workbook) is
//! untrusted: reading it can ask for any amount of memory or time. So the
//! `roster` binary reads it in a child process under limits
//! ([`normalize`]), and writes a plain table — UTF-8 CSV, comma separated,
//! RFC 4180 quoting, one record per data row: its line in the upload, why it
//! could not be read (or nothing), then its cells; the header record first,
//! with line 0. The server reads that with [`NormalReader`], one row at a
//! time: rows are capped in number, width and cell length by the child, so
//! no row can be large, and the reader trusts nothing else about it.

use std::io::{Read, Write};

use serde::{Deserialize, Serialize};

use crate::detect::{detect_with, Detected, ImportError};
use crate::table::{scan_rows, RawRow, RowSink};

/// What the sandboxed reader found besides the rows it wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Normalized {
    /// Format, encoding, delimiter, sheet (and every sheet's name), lines
    /// with bytes not valid in the encoding.
    pub detected: Detected,
    pub headers: Vec<String>,
    /// Data rows written (entirely empty rows are left out).
    pub rows: usize,
}

/// Reads an upload and writes its normalized table to `out`: the chosen
/// sheet of a workbook (or its first with cells), every data row with its
/// line. Refuses more than `row_limit` data rows. `prechecks` runs the fast
/// checks of a workbook's zip and shared strings before calamine opens it;
/// without them only the sandbox's limits guard (for testing the sandbox).
pub fn normalize(
    bytes: &[u8],
    sheet: Option<&str>,
    row_limit: usize,
    prechecks: bool,
    out: impl Write,
) -> Result<Normalized, ImportError> {
    let mut detected = detect_with(bytes, prechecks)?;
    if sheet.is_some() && detected.format != crate::FileFormat::Xlsx {
        return Err(ImportError::NotAWorkbook);
    }
    detected.sheet = sheet.map(str::to_owned);
    let mut writer = NormalWriter {
        csv: csv::WriterBuilder::new().flexible(true).from_writer(out),
        record: Vec::new(),
    };
    let scanned = match detected.format {
        crate::FileFormat::Csv => scan_rows(bytes, &detected, row_limit, &mut writer)?,
        crate::FileFormat::Xlsx => {
            crate::xlsx::scan_sheet(bytes, detected.sheet.as_deref(), row_limit, prechecks, &mut writer)?
        }
    };
    writer.csv.flush().map_err(write_failed)?;
    detected.sheet = scanned.sheet;
    detected.sheets = scanned.sheets;
    detected.bad_lines = scanned.bad_lines;
    Ok(Normalized {
        detected,
        headers: scanned.headers,
        rows: scanned.rows,
    })
}

fn write_failed(e: impl std::fmt::Display) -> ImportError {
    ImportError::Output(e.to_string())
}

struct NormalWriter<W: Write> {
    csv: csv::Writer<W>,
    record: Vec<String>,
}

impl<W: Write> NormalWriter<W> {
    fn write(&mut self, line: u64, problem: Option<&str>, cells: &[String]) -> Result<(), ImportError> {
        self.record.clear();
        self.record.push(line.to_string());
        self.record.push(problem.unwrap_or_default().to_owned());
        self.record.extend(cells.iter().cloned());
        self.csv.write_record(&self.record).map_err(write_failed)
    }
}

impl<W: Write> RowSink for NormalWriter<W> {
    fn header(&mut self, headers: &[String]) -> Result<(), ImportError> {
        self.write(0, None, headers)
    }

    fn row(&mut self, row: RawRow) -> Result<(), ImportError> {
        self.write(row.line, row.problem.as_deref(), &row.cells)
    }
}

/// A data row of a normalized table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NormalRow {
    pub line: u64,
    pub cells: Vec<String>,
    /// Why the sandboxed reader could not read the row whole (an unclosed
    /// quote, bytes not valid in the encoding, a cell over Excel's length).
    pub problem: Option<String>,
}

/// A normalized table that does not read as one: Roster wrote it, so this
/// is damage, never the uploader's fault.
#[derive(Debug, thiserror::Error)]
#[error("the stored table of the import is damaged: {0}")]
pub struct DamagedTable(String);

/// Reads a normalized table row by row.
pub struct NormalReader<R: Read> {
    csv: csv::Reader<R>,
    headers: Vec<String>,
    record: csv::StringRecord,
}

impl<R: Read> NormalReader<R> {
    /// Opens a table and reads its header.
    pub fn new(input: R) -> Result<Self, DamagedTable> {
        let mut reader = Self {
            csv: csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(input),
            headers: Vec::new(),
            record: csv::StringRecord::new(),
        };
        match reader.next_record()? {
            Some(header) if header.line == 0 => reader.headers = header.cells,
            _ => return Err(DamagedTable("it does not start with its header".into())),
        }
        Ok(reader)
    }

    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// The next data row, or `None` after the last.
    pub fn next_row(&mut self) -> Result<Option<NormalRow>, DamagedTable> {
        self.next_record()
    }

    fn next_record(&mut self) -> Result<Option<NormalRow>, DamagedTable> {
        if !self
            .csv
            .read_record(&mut self.record)
            .map_err(|e| DamagedTable(e.to_string()))?
        {
            return Ok(None);
        }
        let mut fields = self.record.iter();
        let line = fields
            .next()
            .and_then(|l| l.parse().ok())
            .ok_or_else(|| DamagedTable("a row has no line number".into()))?;
        let problem = fields.next().filter(|p| !p.is_empty()).map(str::to_owned);
        Ok(Some(NormalRow {
            line,
            problem,
            cells: fields.map(str::to_owned).collect(),
        }))
    }
}

impl<R: Read> Iterator for NormalReader<R> {
    type Item = Result<NormalRow, DamagedTable>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_row().transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normalized(bytes: &[u8]) -> (Normalized, Vec<NormalRow>, Vec<String>) {
        let mut table = Vec::new();
        let summary = normalize(bytes, None, 100, true, &mut table).unwrap();
        let reader = NormalReader::new(table.as_slice()).unwrap();
        let headers = reader.headers().to_vec();
        let rows = reader.collect::<Result<Vec<_>, _>>().unwrap();
        (summary, rows, headers)
    }

    #[test]
    fn a_csv_file_reads_back_as_its_rows_with_their_lines_and_problems() {
        let (summary, rows, headers) = normalized(
            "Vorname;Nachname;Kommentar\r\nJürgen;Müller;\"zwei\r\nZeilen, \"\"zitiert\"\"\"\r\n\r\n\"offen;x\r\nAnna;Zoë;\r\n"
                .as_bytes(),
        );
        assert_eq!(headers, vec!["Vorname", "Nachname", "Kommentar"]);
        assert_eq!(summary.headers, headers);
        assert_eq!(summary.rows, 3);
        assert_eq!(summary.detected.delimiter, Some(';'));
        assert_eq!(
            rows[0],
            NormalRow {
                line: 2,
                cells: vec!["Jürgen".into(), "Müller".into(), "zwei\r\nZeilen, \"zitiert\"".into()],
                problem: None,
            }
        );
        assert_eq!(rows[1].line, 5);
        assert!(rows[1].problem.as_deref().unwrap().contains("line 5"));
        assert_eq!(rows[2].cells, vec!["Anna", "Zoë", ""]);
    }

    #[test]
    fn a_workbook_reads_back_with_its_sheet_and_rows() {
        use crate::fixtures::members_behind_a_cover;
        let book = members_behind_a_cover("Jürgen", "Müller", "j@x.de");
        let mut table = Vec::new();
        let summary = normalize(&book, Some("Mitglieder"), 100, true, &mut table).unwrap();
        assert_eq!(summary.detected.sheet.as_deref(), Some("Mitglieder"));
        assert_eq!(summary.detected.sheets, vec!["Deckblatt", "Mitglieder"]);
        let rows: Vec<NormalRow> = NormalReader::new(table.as_slice())
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(rows[0].cells, vec!["Jürgen", "Müller", "j@x.de"]);
    }

    #[test]
    fn a_sheet_is_asked_only_of_a_workbook() {
        let err = normalize(b"a\n1\n", Some("x"), 10, true, Vec::new()).unwrap_err();
        assert_eq!(err, ImportError::NotAWorkbook);
    }

    #[test]
    fn a_damaged_table_says_so() {
        assert!(NormalReader::new(&b"7,,a\n"[..]).is_err());
        let mut reader = NormalReader::new(&b"0,,a\nx,,b\n"[..]).unwrap();
        assert!(reader.next_row().is_err());
    }
}
