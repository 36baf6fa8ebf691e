//! The per-row report as an Excel workbook: every cell written as a string
//! (never a formula), so nothing in an uploaded file runs when the report is
//! opened.

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use crate::table::Table;

/// Excel keeps at most this many characters in a cell.
const MAX_CELL: usize = 32_767;

fn cell(text: &str) -> String {
    if text.chars().count() > MAX_CELL {
        text.chars().take(MAX_CELL).collect()
    } else {
        text.to_owned()
    }
}

/// Writes the report: the uploaded columns plus status and reason.
pub fn write_report_xlsx(table: &Table, outcome: impl Fn(u64) -> (String, String)) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Report")?;
    let width = table.headers.len();
    for (col, header) in table
        .headers
        .iter()
        .chain(["status".to_owned(), "reason".to_owned()].iter())
        .enumerate()
    {
        sheet.write_string_with_format(0, col as u16, cell(header), &bold)?;
    }
    for (i, (line, cells)) in table.rows.iter().enumerate() {
        let row = (i + 1) as u32;
        for col in 0..width {
            let text = cells.get(col).map(String::as_str).unwrap_or("");
            if !text.is_empty() {
                sheet.write_string(row, col as u16, cell(text))?;
            }
        }
        let (status, reason) = outcome(*line);
        sheet.write_string(row, width as u16, status)?;
        sheet.write_string(row, width as u16 + 1, cell(&reason))?;
    }
    sheet.set_freeze_panes(1, 0)?;
    workbook.save_to_buffer()
}
