//! Writing exports: tables of typed cells to CSV (in a dialect a
//! spreadsheet program opens in columns) or to an Excel workbook of one or
//! more sheets, a row at a time, so that a million rows are never held.
//!
//! Nothing a user typed ever runs: a CSV cell that a spreadsheet would read
//! as a formula gets a leading `'` ([`neutralize`]); an XLSX cell is
//! written as a string, never a formula.

use std::io::Write;
use std::path::Path;

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, XlsxError};

use crate::report::neutralize;

/// One cell of an export.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Empty,
    /// Text, identifiers included (a personal id `0815` keeps its zero).
    Text(String),
    /// A count.
    Int(i64),
    /// A moment, in UTC milliseconds.
    Time(i64),
    /// A day (UTC), in days since the epoch.
    Day(i64),
    Flag(bool),
}

impl Value {
    pub fn text(s: impl Into<String>) -> Self {
        Self::Text(s.into())
    }

    pub fn time(millis: Option<i64>) -> Self {
        millis.map_or(Self::Empty, Self::Time)
    }

    /// As a CSV cell: times in ISO 8601 UTC, days as dates, flags yes/no.
    fn csv_text(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Self::Empty => "".into(),
            Self::Text(s) => neutralize(s),
            Self::Int(n) => n.to_string().into(),
            Self::Time(millis) => iso_time(*millis).into(),
            Self::Day(day) => iso_time(day * 86_400_000)[..10].to_owned().into(),
            Self::Flag(b) => if *b { "yes" } else { "no" }.into(),
        }
    }

    /// Characters a column needs to show this cell.
    fn width(&self) -> usize {
        match self {
            Self::Empty => 0,
            Self::Text(s) => s.lines().map(|l| l.chars().count()).max().unwrap_or(0),
            Self::Int(n) => n.to_string().len(),
            Self::Time(_) => 16,
            Self::Day(_) => 10,
            Self::Flag(_) => 3,
        }
    }
}

/// `2026-11-26T14:03:00Z`.
pub fn iso_time(millis: i64) -> String {
    let secs = millis.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 → (year, month, day) (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// How a CSV file is written, for the program that opens it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum CsvDialect {
    /// UTF-8 with a BOM, commas: Excel (English), Numbers, LibreOffice, Google Sheets.
    #[default]
    Excel,
    /// UTF-8 with a BOM, semicolons: Excel in Germany.
    ExcelDe,
    /// UTF-8 with a BOM, semicolons: Excel in the Netherlands.
    ExcelNl,
    /// UTF-8 with a BOM, semicolons: Excel in France.
    ExcelFr,
    /// UTF-8 without a BOM, commas: for scripts.
    Plain,
}

impl CsvDialect {
    pub fn delimiter(self) -> u8 {
        match self {
            Self::Excel | Self::Plain => b',',
            Self::ExcelDe | Self::ExcelNl | Self::ExcelFr => b';',
        }
    }

    pub fn bom(self) -> bool {
        self != Self::Plain
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Excel => "excel",
            Self::ExcelDe => "excel-de",
            Self::ExcelNl => "excel-nl",
            Self::ExcelFr => "excel-fr",
            Self::Plain => "plain",
        }
    }
}

/// Where an export's rows go: a CSV file or a workbook's sheets, in order.
pub trait TableSink {
    /// Starts a sheet (a CSV file holds exactly one) with its header.
    fn begin_sheet(&mut self, name: &str, headers: &[String]) -> std::io::Result<()>;
    fn row(&mut self, cells: &[Value]) -> std::io::Result<()>;
    /// Writes what is left and closes the file.
    fn finish(self: Box<Self>) -> std::io::Result<()>;
}

pub struct CsvSink<W: Write> {
    out: Option<W>,
    writer: Option<csv::Writer<W>>,
    dialect: CsvDialect,
}

impl<W: Write> CsvSink<W> {
    pub fn new(out: W, dialect: CsvDialect) -> Self {
        Self {
            out: Some(out),
            writer: None,
            dialect,
        }
    }
}

impl<W: Write> TableSink for CsvSink<W> {
    fn begin_sheet(&mut self, _name: &str, headers: &[String]) -> std::io::Result<()> {
        let Some(mut out) = self.out.take() else {
            return Err(std::io::Error::other("a CSV file holds one table"));
        };
        if self.dialect.bom() {
            out.write_all(b"\xEF\xBB\xBF")?;
        }
        let mut writer = csv::WriterBuilder::new()
            .delimiter(self.dialect.delimiter())
            .quote_style(csv::QuoteStyle::Necessary)
            .from_writer(out);
        writer.write_record(headers.iter().map(|h| neutralize(h).into_owned()))?;
        self.writer = Some(writer);
        Ok(())
    }

    fn row(&mut self, cells: &[Value]) -> std::io::Result<()> {
        let writer = self
            .writer
            .as_mut()
            .ok_or_else(|| std::io::Error::other("no sheet begun"))?;
        // Field by field: no string is made for a cell written as it is.
        for cell in cells {
            writer.write_field(cell.csv_text().as_bytes())?;
        }
        writer.write_record(None::<&[u8]>)?;
        Ok(())
    }

    fn finish(self: Box<Self>) -> std::io::Result<()> {
        if let Some(writer) = self.writer {
            let mut out = writer.into_inner().map_err(|e| e.into_error())?;
            out.flush()?;
        }
        Ok(())
    }
}

/// Excel keeps at most this many characters in a cell.
const MAX_CELL: usize = 32_767;
/// Widest a column is sized, in characters.
const MAX_WIDTH: usize = 60;

/// A workbook in constant-memory mode: each sheet's rows go to a temporary
/// file (in `tempdir`) as they come. Dates are dates, counts are numbers,
/// everything else a string; each sheet's header is bold, frozen and
/// filtered, and its columns are sized to their contents.
pub struct XlsxSink<W: Write + Send> {
    out: Option<W>,
    workbook: Workbook,
    sheet: Option<usize>,
    row: u32,
    columns: u16,
    widths: Vec<usize>,
    bold: Format,
    date_time: Format,
    date: Format,
}

fn xlsx_io(e: XlsxError) -> std::io::Error {
    match e {
        XlsxError::IoError(io) => io,
        other => std::io::Error::other(other),
    }
}

impl<W: Write + Send> XlsxSink<W> {
    pub fn new(out: W, tempdir: Option<&Path>) -> std::io::Result<Self> {
        let mut workbook = Workbook::new();
        if let Some(dir) = tempdir {
            workbook.set_tempdir(dir).map_err(xlsx_io)?;
        }
        Ok(Self {
            out: Some(out),
            workbook,
            sheet: None,
            row: 0,
            columns: 0,
            widths: Vec::new(),
            bold: Format::new().set_bold(),
            date_time: Format::new().set_num_format("yyyy-mm-dd hh:mm"),
            date: Format::new().set_num_format("yyyy-mm-dd"),
        })
    }

    /// Sizes, filters and freezes the current sheet's columns.
    fn close_sheet(&mut self) -> Result<(), XlsxError> {
        let Some(index) = self.sheet else { return Ok(()) };
        let sheet = self.workbook.worksheet_from_index(index)?;
        for (col, width) in self.widths.iter().enumerate() {
            sheet.set_column_width(col as u16, (*width).clamp(6, MAX_WIDTH) as f64 + 2.0)?;
        }
        if self.columns > 0 {
            sheet.autofilter(0, 0, self.row.saturating_sub(1).max(1), self.columns - 1)?;
        }
        Ok(())
    }
}

impl<W: Write + Send> TableSink for XlsxSink<W> {
    fn begin_sheet(&mut self, name: &str, headers: &[String]) -> std::io::Result<()> {
        self.close_sheet().map_err(xlsx_io)?;
        let bold = self.bold.clone();
        let sheet = self.workbook.add_worksheet_with_constant_memory().map_err(xlsx_io)?;
        sheet.set_name(name).map_err(xlsx_io)?;
        for (col, header) in headers.iter().enumerate() {
            sheet
                .write_string_with_format(0, col as u16, header, &bold)
                .map_err(xlsx_io)?;
        }
        sheet.set_freeze_panes(1, 0).map_err(xlsx_io)?;
        self.sheet = Some(self.workbook.worksheets().len() - 1);
        self.row = 1;
        self.columns = headers.len() as u16;
        // The filter's arrow takes about two characters.
        self.widths = headers.iter().map(|h| h.chars().count() + 2).collect();
        Ok(())
    }

    fn row(&mut self, cells: &[Value]) -> std::io::Result<()> {
        let index = self.sheet.ok_or_else(|| std::io::Error::other("no sheet begun"))?;
        let row = self.row;
        let sheet = self.workbook.worksheet_from_index(index).map_err(xlsx_io)?;
        for (col, cell) in cells.iter().enumerate() {
            let c = col as u16;
            let written = match cell {
                Value::Empty => continue,
                Value::Text(s) if s.is_empty() => continue,
                Value::Text(s) if s.chars().count() > MAX_CELL => {
                    sheet.write_string(row, c, s.chars().take(MAX_CELL).collect::<String>())
                }
                Value::Text(s) => sheet.write_string(row, c, s),
                Value::Int(n) => sheet.write_number(row, c, *n as f64),
                Value::Flag(b) => sheet.write_boolean(row, c, *b),
                Value::Time(millis) => match ExcelDateTime::from_timestamp(millis.div_euclid(1000)) {
                    Ok(t) => sheet.write_datetime_with_format(row, c, &t, &self.date_time),
                    Err(_) => sheet.write_string(row, c, iso_time(*millis)),
                },
                Value::Day(day) => match ExcelDateTime::from_timestamp(day * 86_400) {
                    Ok(t) => sheet.write_datetime_with_format(row, c, &t, &self.date),
                    Err(_) => sheet.write_string(row, c, iso_time(day * 86_400_000)),
                },
            };
            written.map_err(xlsx_io)?;
            if let Some(w) = self.widths.get_mut(col) {
                *w = (*w).max(cell.width().min(MAX_WIDTH));
            }
        }
        self.row += 1;
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> std::io::Result<()> {
        self.close_sheet().map_err(xlsx_io)?;
        let out = self.out.take().ok_or_else(|| std::io::Error::other("finished twice"))?;
        self.workbook.save_to_writer(out).map_err(xlsx_io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_neutralized_and_typed() {
        let mut out = Vec::new();
        let mut sink = Box::new(CsvSink::new(&mut out, CsvDialect::ExcelDe));
        sink.begin_sheet("x", &["name".into(), "n".into(), "at".into(), "day".into()])
            .unwrap();
        sink.row(&[
            Value::text("=1+2;x"),
            Value::Int(7),
            Value::Time(86_400_000 + 61_000),
            Value::Day(20_000),
        ])
        .unwrap();
        sink.finish().unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\u{feff}name;n;at;day\n\"'=1+2;x\";7;1970-01-02T00:01:01Z;2024-10-04\n"
        );
    }

    #[test]
    fn iso_times_are_right_across_leap_years() {
        assert_eq!(iso_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso_time(951_782_400_000), "2000-02-29T00:00:00Z");
        assert_eq!(iso_time(1_795_651_200_000), "2026-11-26T00:00:00Z");
    }

    #[test]
    fn plain_csv_has_no_bom() {
        let mut out = Vec::new();
        let mut sink = Box::new(CsvSink::new(&mut out, CsvDialect::Plain));
        sink.begin_sheet("x", &["a".into()]).unwrap();
        sink.row(&[Value::text("0815")]).unwrap();
        sink.finish().unwrap();
        assert_eq!(out, b"a\n0815\n");
    }
}
