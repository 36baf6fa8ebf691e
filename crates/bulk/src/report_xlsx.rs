//! The per-row report as an Excel workbook: every cell written as a string
//! (never a formula), so nothing in an uploaded file runs when the report is
//! opened.

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use crate::normal::{DamagedTable, NormalRow};

/// Excel keeps at most this many characters in a cell.
const MAX_CELL: usize = 32_767;

fn cell(text: &str) -> String {
    if text.chars().count() > MAX_CELL {
        text.chars().take(MAX_CELL).collect()
    } else {
        text.to_owned()
    }
}

/// Writes the report: the uploaded columns plus status and reason. The sheet
/// is written in constant-memory mode (rows go to a temporary file as they
/// come), so a report of a million rows is never held.
pub fn write_report_xlsx<W: std::io::Write + Send>(
    out: W,
    headers: &[String],
    rows: impl Iterator<Item = Result<NormalRow, DamagedTable>>,
    outcome: impl Fn(u64) -> (String, String),
) -> Result<(), XlsxError> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = workbook.add_worksheet_with_constant_memory()?;
    sheet.set_name("Report")?;
    let width = headers.len();
    for (col, header) in headers
        .iter()
        .chain(["status".to_owned(), "reason".to_owned()].iter())
        .enumerate()
    {
        sheet.write_string_with_format(0, col as u16, cell(header), &bold)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    for (i, row) in rows.enumerate() {
        let row_data = row.map_err(|e| XlsxError::IoError(std::io::Error::other(e)))?;
        let row = (i + 1) as u32;
        for col in 0..width {
            let text = row_data.cells.get(col).map(String::as_str).unwrap_or("");
            if !text.is_empty() {
                sheet.write_string(row, col as u16, cell(text))?;
            }
        }
        let (status, reason) = outcome(row_data.line);
        sheet.write_string(row, width as u16, status)?;
        sheet.write_string(row, width as u16 + 1, cell(&reason))?;
    }
    workbook.save_to_writer(out)
}
