//! Excel workbooks (.xlsx), read defensively. A workbook is a zip of XML
//! files, and both can lie: before calamine sees the file, its zip directory
//! is checked (entry count, declared sizes, compression ratio) and the
//! shared-strings count is checked against the size of its part — calamine
//! reserves memory for the declared count, and an allocation failure aborts
//! the process. Sheets are then read as a stream of cells, with the row and
//! column counts capped.

use std::io::{Cursor, Read};

use calamine::{DataRef, Reader, Xlsx};

use crate::detect::ImportError;
use crate::table::Scanned;

/// An import reads at most this many columns.
pub const MAX_COLUMNS: u32 = 256;
const MAX_ENTRIES: usize = 2_000;
const MAX_PART_BYTES: u64 = 512 * 1024 * 1024;
const MAX_TOTAL_BYTES: u64 = 1024 * 1024 * 1024;
const MAX_RATIO: u64 = 100;

fn hostile(why: impl Into<String>) -> ImportError {
    ImportError::Hostile(why.into())
}

/// Checks the zip directory and the shared-strings header before anything
/// is inflated for real.
pub fn check_zip(bytes: &[u8]) -> Result<(), ImportError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| hostile(format!("the workbook is not a readable zip: {e}")))?;
    if zip.len() > MAX_ENTRIES {
        return Err(hostile(format!(
            "the workbook has {} parts; at most {MAX_ENTRIES} are read",
            zip.len()
        )));
    }
    let mut total = 0u64;
    for i in 0..zip.len() {
        let entry = zip
            .by_index_raw(i)
            .map_err(|e| hostile(format!("the workbook's zip directory is damaged: {e}")))?;
        let (size, packed) = (entry.size(), entry.compressed_size().max(1));
        total = total.saturating_add(size);
        if size > MAX_PART_BYTES || total > MAX_TOTAL_BYTES {
            return Err(hostile(format!(
                "the workbook part {} declares {size} bytes; that is more than an import reads",
                entry.name().unwrap_or_default()
            )));
        }
        if size > 1024 * 1024 && size / packed > MAX_RATIO {
            return Err(hostile(format!(
                "the workbook part {} inflates {}:1, a zip bomb",
                entry.name().unwrap_or_default(),
                size / packed
            )));
        }
        if entry.encrypted() {
            return Err(ImportError::EncryptedOrLegacy);
        }
    }
    // The shared-strings table says up front how many strings it holds.
    // Each needs at least a few bytes of XML, so a count beyond the part's
    // size is a lie.
    let declared_size = match zip.by_name("xl/sharedStrings.xml") {
        Ok(part) => Some(part.size()),
        Err(_) => None,
    };
    if let Some(size) = declared_size {
        let mut head = Vec::with_capacity(4096);
        if let Ok(part) = zip.by_name("xl/sharedStrings.xml") {
            part.take(4096)
                .read_to_end(&mut head)
                .map_err(|e| hostile(format!("the shared strings cannot be read: {e}")))?;
        }
        for attr in ["uniqueCount=\"", "count=\""] {
            let head = String::from_utf8_lossy(&head);
            if let Some(start) = head.find(attr) {
                let digits: String = head[start + attr.len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_digit())
                    .collect();
                let n: u128 = digits.parse().unwrap_or(u128::MAX);
                if n > u128::from(size / 4 + 16) {
                    return Err(hostile(format!(
                        "the workbook declares {digits} shared strings in {size} bytes"
                    )));
                }
            }
        }
    }
    Ok(())
}

/// A cell as text: whole numbers without ".0" (a personal id 4711 stays
/// 4711), dates as YYYY-MM-DD, text as typed (leading zeros kept).
fn cell_text(cell: &DataRef<'_>) -> String {
    match cell {
        DataRef::Empty => String::new(),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_owned(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        DataRef::Float(f) => f.to_string(),
        DataRef::Bool(b) => if *b { "yes" } else { "no" }.to_owned(),
        DataRef::DateTime(dt) => excel_date(dt.as_f64()),
        DataRef::Error(e) => format!("#{e:?}"),
    }
}

/// An Excel serial day (1900 system, with its 1900-02-29 quirk) as a date.
fn excel_date(serial: f64) -> String {
    let days = serial.floor() as i64 - 25_569; // days from 1970-01-01
    let Ok(date) = time::Date::from_julian_day(2_440_588 + days as i32) else {
        return serial.to_string();
    };
    let (y, m, d) = (date.year(), u8::from(date.month()), date.day());
    format!("{y:04}-{m:02}-{d:02}")
}

/// Streams a sheet (the named one, or the first with any cell) row by row
/// to `visit`; the header is the first non-empty row, line numbers are
/// Excel's rows. Cells arrive in row order, so one row is held at a time.
pub(crate) fn scan_sheet(
    bytes: &[u8],
    sheet: Option<&str>,
    row_limit: usize,
    mut visit: impl FnMut(u64, Vec<String>),
) -> Result<Scanned, ImportError> {
    check_zip(bytes)?;
    let mut workbook: Xlsx<_> =
        Xlsx::new(Cursor::new(bytes)).map_err(|e| hostile(format!("the workbook cannot be read: {e}")))?;
    let names = workbook.sheet_names();
    let candidates: Vec<String> = match sheet {
        Some(name) => {
            if !names.iter().any(|n| n == name) {
                return Err(ImportError::NoSuchSheet {
                    sheet: name.to_owned(),
                    sheets: names.join(", "),
                });
            }
            vec![name.to_owned()]
        }
        None => names.clone(),
    };
    for name in candidates {
        let unreadable = |e: calamine::XlsxError| hostile(format!("the sheet {name:?} cannot be read: {e}"));
        let mut reader = workbook.worksheet_cells_reader(&name).map_err(unreadable)?;
        let mut headers: Option<Vec<String>> = None;
        let (mut rows, mut over) = (0usize, 0usize);
        let mut current: Option<(u32, Vec<String>)> = None;
        let mut flush = |row: Option<(u32, Vec<String>)>, headers: &mut Option<Vec<String>>| {
            let Some((r, cells)) = row else { return };
            if headers.is_none() {
                *headers = Some(cells.into_iter().map(|h| h.trim().to_owned()).collect());
            } else if rows == row_limit {
                over += 1;
            } else {
                rows += 1;
                visit(u64::from(r) + 1, cells);
            }
        };
        while let Some(cell) = reader.next_cell().map_err(unreadable)? {
            let (row, col) = cell.get_position();
            let text = cell_text(cell.get_value());
            if text.trim().is_empty() {
                continue;
            }
            if col >= MAX_COLUMNS {
                return Err(hostile(format!(
                    "the sheet {name:?} has a cell in column {}; an import reads at most {MAX_COLUMNS} columns",
                    col + 1
                )));
            }
            if current.as_ref().is_some_and(|(r, _)| *r != row) {
                flush(current.take(), &mut headers);
            }
            let (_, cells) = current.get_or_insert_with(|| (row, Vec::new()));
            if cells.len() <= col as usize {
                cells.resize(col as usize + 1, String::new());
            }
            cells[col as usize] = text;
        }
        flush(current.take(), &mut headers);
        drop(reader);
        let Some(headers) = headers else { continue };
        if over > 0 {
            return Err(ImportError::TooManyRows {
                rows: rows + over,
                limit: row_limit,
            });
        }
        return Ok(Scanned {
            headers,
            rows,
            sheet: Some(name),
            sheets: names,
        });
    }
    Err(ImportError::NoHeader)
}

/// Hand-written workbooks for tests (here and in the integration suite,
/// with the `fixtures` feature).
#[cfg(any(test, feature = "fixtures"))]
#[allow(clippy::unwrap_used)]
pub mod fixtures {
    use std::io::Write;

    /// A minimal workbook with one sheet, "Mitglieder", written by hand (the
    /// shapes Excel and LibreOffice write), for tests and hostile variants.
    pub fn workbook(sheet_xml: &str, shared_strings: Option<&str>) -> Vec<u8> {
        workbook_with_sheets(&[("Mitglieder", sheet_xml)], shared_strings)
    }

    /// A minimal workbook with these sheets (name, cells), in order.
    pub fn workbook_with_sheets(sheets: &[(&str, &str)], shared_strings: Option<&str>) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        let mut part = |name: &str, body: &str| {
            zip.start_file(name, opts).unwrap();
            zip.write_all(body.as_bytes()).unwrap();
        };
        let numbered = || (1..=sheets.len()).zip(sheets.iter());
        let overrides: String = numbered()
            .map(|(n, _)| format!(r#"<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#))
            .collect();
        part(
            "[Content_Types].xml",
            &format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>{overrides}</Types>"#
            ),
        );
        part(
            "_rels/.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
        );
        let listed: String = numbered()
            .map(|(n, (name, _))| format!(r#"<sheet name="{name}" sheetId="{n}" r:id="rId{n}"/>"#))
            .collect();
        part(
            "xl/workbook.xml",
            &format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>{listed}</sheets></workbook>"#
            ),
        );
        let mut rels: String = numbered()
            .map(|(n, _)| format!(r#"<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{n}.xml"/>"#))
            .collect();
        if shared_strings.is_some() {
            rels.push_str(r#"<Relationship Id="rIdStrings" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>"#);
        }
        part(
            "xl/_rels/workbook.xml.rels",
            &format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>"#
            ),
        );
        for (n, (_, cells)) in numbered() {
            part(
                &format!("xl/worksheets/sheet{n}.xml"),
                &format!(
                    r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{cells}</sheetData></worksheet>"#
                ),
            );
        }
        if let Some(sst) = shared_strings {
            part("xl/sharedStrings.xml", sst);
        }
        zip.finish().unwrap().into_inner()
    }

    /// A workbook whose first sheet, "Deckblatt", is a cover page and whose
    /// second, "Mitglieder", holds one member under the header Vorname,
    /// Nachname, E-Mail: the case for choosing a sheet.
    pub fn members_behind_a_cover(first: &str, last: &str, email: &str) -> Vec<u8> {
        let cover = format!("<row r=\"1\">{}</row>", s("A1", "Mitgliederliste, Stand März"));
        let members = format!(
            "<row r=\"1\">{}{}{}</row><row r=\"2\">{}{}{}</row>",
            s("A1", "Vorname"),
            s("B1", "Nachname"),
            s("C1", "E-Mail"),
            s("A2", first),
            s("B2", last),
            s("C2", email),
        );
        workbook_with_sheets(&[("Deckblatt", &cover), ("Mitglieder", &members)], None)
    }

    /// An inline-string cell.
    pub fn s(r: &str, text: &str) -> String {
        format!(r#"<c r="{r}" t="inlineStr"><is><t>{text}</t></is></c>"#)
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{s, workbook, workbook_with_sheets};
    use super::*;
    use crate::table::Table;

    fn read_sheet(bytes: &[u8], sheet: Option<&str>, row_limit: usize) -> Result<(Table, String), ImportError> {
        let mut rows = Vec::new();
        let scanned = scan_sheet(bytes, sheet, row_limit, |line, cells| rows.push((line, cells)))?;
        let name = scanned.sheet.unwrap_or_default();
        Ok((
            Table {
                headers: scanned.headers,
                rows,
                sheet: None,
            },
            name,
        ))
    }

    #[test]
    fn rows_past_the_limit_are_counted_and_refused() {
        let sheet = format!(
            "<row r=\"1\">{}</row><row r=\"2\">{}</row><row r=\"3\">{}</row><row r=\"4\">{}</row>",
            s("A1", "email"),
            s("A2", "a@x.de"),
            s("A3", "b@x.de"),
            s("A4", "c@x.de")
        );
        let err = read_sheet(&workbook(&sheet, None), None, 2).unwrap_err();
        assert_eq!(err, ImportError::TooManyRows { rows: 3, limit: 2 });
    }

    #[test]
    fn a_sheet_reads_as_a_table_with_numbers_as_identifiers_and_dates() {
        let sheet = format!(
            "<row r=\"1\">{}{}{}{}</row><row r=\"2\">{}{}<c r=\"C2\"><v>4711</v></c><c r=\"D2\" t=\"s\"><v>0</v></c></row>",
            s("A1", "Vorname"), s("B1", "E-Mail"), s("C1", "personalid"), s("D1", "Kommentar"),
            s("A2", "Jürgen"), s("B2", "j@x.de")
        );
        let sst = r#"<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>0815</t></si></sst>"#;
        let (table, name) = read_sheet(&workbook(&sheet, Some(sst)), None, 100).unwrap();
        assert_eq!(name, "Mitglieder");
        assert_eq!(table.headers, vec!["Vorname", "E-Mail", "personalid", "Kommentar"]);
        assert_eq!(
            table.rows,
            vec![(2, vec!["Jürgen".into(), "j@x.de".into(), "4711".into(), "0815".into()])]
        );
    }

    #[test]
    fn the_first_sheet_with_cells_is_read_unless_another_is_chosen() {
        let cover = format!("<row r=\"2\">{}</row>", s("B2", "Export vom 1. März"));
        let members = format!(
            "<row r=\"1\">{}</row><row r=\"2\">{}</row>",
            s("A1", "E-Mail"),
            s("A2", "a@x.de")
        );
        let book = workbook_with_sheets(&[("Leer", ""), ("Deckblatt", &cover), ("Mitglieder", &members)], None);
        let scanned = scan_sheet(&book, None, 100, |_, _| {}).unwrap();
        assert_eq!(
            scanned.sheet.as_deref(),
            Some("Deckblatt"),
            "the empty sheet is passed over"
        );
        assert_eq!(scanned.sheets, vec!["Leer", "Deckblatt", "Mitglieder"]);
        let (table, name) = read_sheet(&book, Some("Mitglieder"), 100).unwrap();
        assert_eq!(
            (name.as_str(), table.headers),
            ("Mitglieder", vec!["E-Mail".to_owned()])
        );
        assert_eq!(table.rows, vec![(2, vec!["a@x.de".to_owned()])]);
        let err = read_sheet(&book, Some("Members"), 100).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the workbook has no sheet named \"Members\"; its sheets are Leer, Deckblatt, Mitglieder"
        );
    }

    #[test]
    fn a_huge_shared_string_count_is_refused_before_calamine_allocates() {
        let sst = r#"<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1099511627776" uniqueCount="1099511627776"><si><t>x</t></si></sst>"#;
        let err = read_sheet(&workbook(&s("A1", "x"), Some(sst)), None, 100).unwrap_err();
        assert!(
            matches!(err, ImportError::Hostile(ref m) if m.contains("shared strings")),
            "{err}"
        );
    }

    #[test]
    fn a_cell_at_xfd1048576_is_refused_without_building_the_grid() {
        let sheet = format!(
            "<row r=\"1\">{}</row><row r=\"1048576\">{}</row>",
            s("A1", "email"),
            s("XFD1048576", "boom")
        );
        let err = read_sheet(&workbook(&sheet, None), None, 100).unwrap_err();
        assert!(
            matches!(err, ImportError::Hostile(ref m) if m.contains("16384")),
            "{err}"
        );
    }

    #[test]
    fn a_zip_bomb_is_refused_before_inflating() {
        let zeros = "0".repeat(8 * 1024 * 1024);
        let sheet = format!("<row r=\"1\">{}</row><!-- {zeros} -->", s("A1", "email"));
        let err = check_zip(&workbook(&sheet, None)).unwrap_err();
        assert!(
            matches!(err, ImportError::Hostile(ref m) if m.contains("zip bomb")),
            "{err}"
        );
    }

    #[test]
    fn excel_serial_dates_become_iso_dates() {
        assert_eq!(excel_date(45943.5), "2025-10-13");
        assert_eq!(excel_date(25569.0), "1970-01-01");
    }
}
