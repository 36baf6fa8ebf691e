//! The floor of an XLSX export, for `bench/exports`: a bare rust_xlsxwriter
//! program in constant-memory mode writing the cells of a CSV file (the
//! same members, read by `sqlite3 -csv`) as strings, with nothing of
//! Roster in the way.
//!
//!     cargo run --release -p roster-bulk --example xlsx_floor -- IN.csv OUT.xlsx

use rust_xlsxwriter::Workbook;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (input, output) = match (args.next(), args.next()) {
        (Some(i), Some(o)) => (i, o),
        _ => return Err("usage: xlsx_floor IN.csv OUT.xlsx".into()),
    };
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_path(input)?;
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet_with_constant_memory()?;
    let mut record = csv::StringRecord::new();
    let mut row = 0u32;
    while reader.read_record(&mut record)? {
        for (col, cell) in record.iter().enumerate() {
            if !cell.is_empty() {
                sheet.write_string(row, col as u16, cell)?;
            }
        }
        row += 1;
    }
    workbook.save(output)?;
    Ok(())
}
