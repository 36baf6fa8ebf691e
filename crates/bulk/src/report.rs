//! The per-row report: the uploaded table plus a status and a reason column,
//! so that an admin can fix the failed rows in it and upload it again.

use crate::normal::{DamagedTable, NormalRow};

/// A cell that a spreadsheet would run as a formula gets a leading `'`
/// (OWASP CSV injection); the value itself is stored as given.
pub fn neutralize(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r' | '\0') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// Writes the report as UTF-8 CSV with a BOM (so Excel shows umlauts right),
/// quoted per RFC 4180, separated by `delimiter` — the uploaded file's, so
/// that the spreadsheet program that wrote the file (German Excel writes
/// semicolons) opens the report in columns. `outcome(line)` gives each
/// row's status and reason. Rows are written as they come: a report of a
/// million rows is never held.
pub fn write_report_csv<W: std::io::Write>(
    out: W,
    headers: &[String],
    rows: impl Iterator<Item = Result<NormalRow, DamagedTable>>,
    delimiter: u8,
    outcome: impl Fn(u64) -> (String, String),
) -> std::io::Result<()> {
    let mut out = out;
    out.write_all(b"\xEF\xBB\xBF")?;
    let mut writer = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(out);
    let mut header: Vec<String> = headers.iter().map(|h| neutralize(h).into_owned()).collect();
    header.push("status".into());
    header.push("reason".into());
    writer.write_record(&header)?;
    let mut record = Vec::with_capacity(header.len());
    for row in rows {
        let row = row.map_err(std::io::Error::other)?;
        let (status, reason) = outcome(row.line);
        record.clear();
        record.extend(
            (0..headers.len()).map(|i| neutralize(row.cells.get(i).map(String::as_str).unwrap_or("")).into_owned()),
        );
        record.push(status);
        record.push(neutralize(&reason).into_owned());
        writer.write_record(&record)?;
    }
    writer.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralized_and_the_report_keeps_the_columns() {
        let headers = vec!["email".to_owned(), "comment".to_owned()];
        let rows = || {
            std::iter::once(Ok(NormalRow {
                line: 2,
                cells: vec!["a@b.de".into(), "=HYPERLINK(\"x\")".into()],
                problem: None,
            }))
        };
        let mut out = Vec::new();
        write_report_csv(&mut out, &headers, rows(), b',', |_| {
            ("error".into(), "email: taken".into())
        })
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "\u{feff}email,comment,status,reason\na@b.de,\"'=HYPERLINK(\"\"x\"\")\",error,email: taken\n"
        );
        let mut out = Vec::new();
        write_report_csv(&mut out, &headers, rows(), b';', |_| {
            ("error".into(), "email; taken".into())
        })
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\u{feff}email;comment;status;reason\na@b.de;\"'=HYPERLINK(\"\"x\"\")\";error;\"email; taken\"\n",
            "a semicolon file gets a semicolon report, for German Excel"
        );
    }
}
