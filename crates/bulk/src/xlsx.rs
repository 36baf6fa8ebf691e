//! Excel workbooks (.xlsx), read defensively, inside the upload sandbox.
//! A workbook is a zip of XML files, and both can lie: before calamine sees
//! the file, its zip directory is checked (entry count, declared sizes,
//! compression ratio) and the shared-strings count against the size of its
//! part — calamine reserves memory for the declared count. These are fast
//! pre-checks with clear messages, not the guarantee: the sandbox's memory
//! limit is. Sheets are then read as a stream of cells, with the row,
//! column and cell-length counts capped.

use std::io::{BufReader, Cursor, Read};

use calamine::{DataRef, Reader, Xlsx};

use crate::detect::ImportError;
use crate::table::{cell_problem, RawRow, RowSink, Scanned, MAX_COLUMNS};

const MAX_ENTRIES: usize = 2_000;
const MAX_PART_BYTES: u64 = 512 * 1024 * 1024;
const MAX_TOTAL_BYTES: u64 = 1024 * 1024 * 1024;
const MAX_RATIO: u64 = 100;
/// How much of the shared-strings part is read to find its first element.
const MAX_PROLOGUE_BYTES: u64 = 4 * 1024 * 1024;
/// Elements nest no deeper than this in any sheet a spreadsheet program writes
/// (a rich-text cell is about 8 deep).
const MAX_DEPTH: usize = 64;
/// No tag of a sheet carries more attributes than this (a row or cell has a handful).
const MAX_ATTRIBUTES: usize = 256;

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
    let (mut shared_strings, mut xml_parts) = (Vec::new(), Vec::new());
    for i in 0..zip.len() {
        let entry = zip
            .by_index_raw(i)
            .map_err(|e| hostile(format!("the workbook's zip directory is damaged: {e}")))?;
        let (size, packed) = (entry.size(), entry.compressed_size().max(1));
        let name = entry.name().unwrap_or_default().into_owned();
        total = total.saturating_add(size);
        if size > MAX_PART_BYTES || total > MAX_TOTAL_BYTES {
            return Err(hostile(format!(
                "the workbook part {name} declares {size} bytes; that is more than an import reads"
            )));
        }
        if size > 1024 * 1024 && size / packed > MAX_RATIO {
            return Err(hostile(format!(
                "the workbook part {name} inflates {}:1, a zip bomb",
                size / packed
            )));
        }
        if entry.encrypted() {
            return Err(ImportError::EncryptedOrLegacy);
        }
        // calamine finds parts whatever their case, in the folder the
        // workbook's relationships name: every part of that name is checked.
        let lower = name.to_ascii_lowercase();
        if lower.ends_with("sharedstrings.xml") {
            shared_strings.push((i, size));
        }
        if lower.ends_with(".xml") || lower.ends_with(".rels") {
            xml_parts.push(i);
        }
    }
    for index in xml_parts {
        let part = zip
            .by_index(index)
            .map_err(|e| hostile(format!("the workbook's parts cannot be read: {e}")))?;
        let name = part.name().map(|n| n.into_owned()).unwrap_or_default();
        check_structure(&name, part)?;
    }
    for (index, size) in shared_strings {
        let part = zip
            .by_index(index)
            .map_err(|e| hostile(format!("the shared strings cannot be read: {e}")))?;
        check_shared_strings_count(part.take(MAX_PROLOGUE_BYTES), size)?;
    }
    Ok(())
}

/// Reads an XML part through once, refusing what no spreadsheet program
/// writes: a document type (entities, external references: XXE), elements
/// nested deeper than [`MAX_DEPTH`], a tag with more than [`MAX_ATTRIBUTES`]
/// attributes, XML that is not well-formed.
fn check_structure(name: &str, part: impl Read) -> Result<(), ImportError> {
    use quick_xml::events::Event;
    let refuse = |why: String| hostile(format!("the workbook part {name} {why}"));
    let mut xml = quick_xml::Reader::from_reader(BufReader::new(part));
    let mut buf = Vec::new();
    let mut depth = 0usize;
    loop {
        buf.clear();
        let event = xml
            .read_event_into(&mut buf)
            .map_err(|e| refuse(format!("is not well-formed XML: {e}")))?;
        match event {
            Event::DocType(_) => {
                return Err(refuse(
                    "declares a document type (entities), which a workbook never does".into(),
                ))
            }
            Event::Start(ref tag) | Event::Empty(ref tag) => {
                let attributes = tag.attributes().with_checks(false).take(MAX_ATTRIBUTES + 1).count();
                if attributes > MAX_ATTRIBUTES {
                    return Err(refuse(format!("has a tag with more than {MAX_ATTRIBUTES} attributes")));
                }
                if matches!(event, Event::Start(_)) {
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return Err(refuse(format!("nests elements more than {MAX_DEPTH} deep")));
                    }
                }
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Eof => return Ok(()),
            _ => {}
        }
    }
}

/// The shared-strings table says up front how many strings it holds. Each
/// needs at least a few bytes of XML, so a count beyond the part's size is a
/// lie. Read with an XML parser, so that every spelling counts: either
/// quote, space around `=`, the attribute anywhere in the tag, the tag after
/// comments or a namespace prefix.
fn check_shared_strings_count(part: impl Read, size: u64) -> Result<(), ImportError> {
    use quick_xml::events::Event;
    let unreadable = |e: &dyn std::fmt::Display| hostile(format!("the shared strings cannot be read: {e}"));
    let mut xml = quick_xml::Reader::from_reader(BufReader::new(part));
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf).map_err(|e| unreadable(&e))? {
            Event::Start(tag) | Event::Empty(tag) => {
                for attr in tag.attributes().with_checks(false) {
                    let attr = attr.map_err(|e| unreadable(&e))?;
                    let key = attr.key.local_name();
                    if key.as_ref() != "uniqueCount" && key.as_ref() != "count" {
                        continue;
                    }
                    let value = attr.value.trim().to_owned();
                    let n: u128 = value.parse().unwrap_or(u128::MAX);
                    if n > u128::from(size / 4 + 16) {
                        return Err(hostile(format!(
                            "the workbook declares {value} shared strings in {size} bytes"
                        )));
                    }
                }
                return Ok(());
            }
            Event::Eof => {
                return Err(hostile(
                    "the shared strings part has no table within its first 4 MiB".to_owned(),
                ))
            }
            _ => {}
        }
    }
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
    prechecks: bool,
    sink: &mut dyn RowSink,
) -> Result<Scanned, ImportError> {
    if prechecks {
        check_zip(bytes)?;
    }
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
        let mut sheet = SheetScan {
            sink: &mut *sink,
            headers: None,
            rows: 0,
            over: 0,
            row_limit,
        };
        let mut current: Option<(u32, Vec<String>)> = None;
        while let Some(cell) = reader.next_cell().map_err(unreadable)? {
            let (row, col) = cell.get_position();
            let text = cell_text(cell.get_value());
            if text.trim().is_empty() {
                continue;
            }
            if col as usize >= MAX_COLUMNS {
                return Err(hostile(format!(
                    "the sheet {name:?} has a cell in column {}; an import reads at most {MAX_COLUMNS} columns",
                    col + 1
                )));
            }
            if current.as_ref().is_some_and(|(r, _)| *r != row) {
                sheet.flush(current.take())?;
            }
            let (_, cells) = current.get_or_insert_with(|| (row, Vec::new()));
            if cells.len() <= col as usize {
                cells.resize(col as usize + 1, String::new());
            }
            cells[col as usize] = text;
        }
        sheet.flush(current.take())?;
        drop(reader);
        let SheetScan {
            headers, rows, over, ..
        } = sheet;
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
            bad_lines: Vec::new(),
        });
    }
    Err(ImportError::NoHeader)
}

/// One sheet being read: its header once found, and its rows counted.
struct SheetScan<'a> {
    sink: &'a mut dyn RowSink,
    headers: Option<Vec<String>>,
    rows: usize,
    over: usize,
    row_limit: usize,
}

impl SheetScan<'_> {
    fn flush(&mut self, row: Option<(u32, Vec<String>)>) -> Result<(), ImportError> {
        let Some((r, cells)) = row else { return Ok(()) };
        if self.headers.is_none() {
            let headers: Vec<String> = cells.into_iter().map(|h| h.trim().to_owned()).collect();
            self.sink.header(&headers)?;
            self.headers = Some(headers);
        } else if self.rows == self.row_limit {
            self.over += 1;
        } else {
            self.rows += 1;
            let problem = cell_problem(&cells);
            self.sink.row(RawRow {
                line: u64::from(r) + 1,
                cells,
                problem,
            })?;
        }
        Ok(())
    }
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
        build(&Book {
            dir: "xl",
            sheets,
            shared_strings: shared_strings.map(|sst| ("sharedStrings.xml", sst)),
            sheet_xml: None,
        })
    }

    /// The parts of a hand-written workbook.
    pub struct Book<'a> {
        /// The folder of the workbook part, as its relationships name it.
        pub dir: &'a str,
        /// (name, cells) of each sheet.
        pub sheets: &'a [(&'a str, &'a str)],
        /// (part name in `dir`, XML) of the shared strings.
        pub shared_strings: Option<(&'a str, &'a str)>,
        /// The whole XML of every sheet, instead of `sheets`' cells in a plain frame.
        pub sheet_xml: Option<&'a str>,
    }

    pub fn build(book: &Book<'_>) -> Vec<u8> {
        let Book {
            dir,
            sheets,
            shared_strings,
            sheet_xml,
        } = book;
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        let mut part = |name: &str, body: &str| {
            zip.start_file(name, opts).unwrap();
            zip.write_all(body.as_bytes()).unwrap();
        };
        let numbered = || (1..=sheets.len()).zip(sheets.iter());
        let overrides: String = numbered()
            .map(|(n, _)| format!(r#"<Override PartName="/{dir}/worksheets/sheet{n}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#))
            .collect();
        part(
            "[Content_Types].xml",
            &format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/{dir}/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>{overrides}</Types>"#
            ),
        );
        part(
            "_rels/.rels",
            &format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="{dir}/workbook.xml"/></Relationships>"#
            ),
        );
        let listed: String = numbered()
            .map(|(n, (name, _))| format!(r#"<sheet name="{name}" sheetId="{n}" r:id="rId{n}"/>"#))
            .collect();
        part(
            &format!("{dir}/workbook.xml"),
            &format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>{listed}</sheets></workbook>"#
            ),
        );
        let mut rels: String = numbered()
            .map(|(n, _)| format!(r#"<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{n}.xml"/>"#))
            .collect();
        if let Some((name, _)) = shared_strings {
            rels.push_str(&format!(r#"<Relationship Id="rIdStrings" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="{name}"/>"#));
        }
        part(
            &format!("{dir}/_rels/workbook.xml.rels"),
            &format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>"#
            ),
        );
        for (n, (_, cells)) in numbered() {
            let xml = match sheet_xml {
                Some(xml) => xml.to_string(),
                None => format!(
                    r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{cells}</sheetData></worksheet>"#
                ),
            };
            part(&format!("{dir}/worksheets/sheet{n}.xml"), &xml);
        }
        if let Some((name, sst)) = shared_strings {
            part(&format!("{dir}/{name}"), sst);
        }
        zip.finish().unwrap().into_inner()
    }

    /// Workbooks that lie or explode, each named: a shared-strings table
    /// that declares 2^40 entries in every spelling XML allows (calamine
    /// reserves memory for the count: 26 TB), and the other classics. An
    /// upload of any of them must be refused with a reason while the server
    /// goes on serving (HOSTILE 2–4).
    pub fn hostile_workbooks() -> Vec<(&'static str, Vec<u8>)> {
        const N: &str = "1099511627776";
        let header = format!("<row r=\"1\">{}</row>", s("A1", "email"));
        let strings = |sst_tag: &str| format!(r#"<?xml version="1.0"?>{sst_tag}<si><t>x</t></si></sst>"#);
        let ns = r#"xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main""#;
        let plain = |sst: &str| {
            build(&Book {
                dir: "xl",
                sheets: &[("Mitglieder", &header)],
                shared_strings: Some(("sharedStrings.xml", sst)),
                sheet_xml: None,
            })
        };
        let comment = format!("<!-- {} -->", "x".repeat(6 * 1024));
        let many_attributes: String = (0..40).map(|i| format!(r#" a{i}="{i}""#)).collect();
        let mut out = vec![
            ("2^40 shared strings, the count in double quotes", plain(&strings(&format!(r#"<sst {ns} count="{N}" uniqueCount="{N}">"#)))),
            ("2^40 shared strings, the count in single quotes", plain(&strings(&format!("<sst {ns} count='{N}' uniqueCount='{N}'>")))),
            ("2^40 shared strings, spaces around =", plain(&strings(&format!("<sst {ns} uniqueCount = \"{N}\" >")))),
            (
                "2^40 shared strings, the count after 6 KB of comment and 40 other attributes",
                plain(&format!(
                    r#"<?xml version="1.0"?>{comment}<sst {ns}{many_attributes} uniqueCount='{N}'><si><t>x</t></si></sst>"#
                )),
            ),
            ("2^40 shared strings, the tag with a namespace prefix", plain(&strings(&format!(
                r#"<x:sst xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" uniqueCount="{N}">"#
            )).replace("</sst>", "</x:sst>").replace("<si><t>x</t></si>", "<x:si><x:t>x</x:t></x:si>"))),
        ];
        let huge = strings(&format!(r#"<sst {ns} uniqueCount="{N}">"#));
        out.push((
            "2^40 shared strings, the part named in other case",
            build(&Book {
                dir: "xl",
                sheets: &[("Mitglieder", &header)],
                shared_strings: Some(("SHAREDSTRINGS.XML", &huge)),
                sheet_xml: None,
            }),
        ));
        out.push((
            "2^40 shared strings, in a folder found only through the relationships",
            build(&Book {
                dir: "daten",
                sheets: &[("Mitglieder", &header)],
                shared_strings: Some(("sharedStrings.xml", &huge)),
                sheet_xml: None,
            }),
        ));
        let deep = format!(
            r#"<?xml version="1.0"?><worksheet {ns}><sheetData>{}{}</sheetData></worksheet>"#,
            "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is>".to_owned() + &"<r>".repeat(100_000),
            "</r>".repeat(100_000) + "</is></c></row>"
        );
        out.push((
            "XML nested 100,000 deep",
            build(&Book {
                dir: "xl",
                sheets: &[("Mitglieder", "")],
                shared_strings: None,
                sheet_xml: Some(&deep),
            }),
        ));
        let wide: String = (0..100_000).map(|i| format!(r#" x{i}="1""#)).collect();
        let wide_sheet = format!(
            r#"<?xml version="1.0"?><worksheet {ns}><sheetData><row r="1"{wide}>{}</row></sheetData></worksheet>"#,
            s("A1", "email")
        );
        out.push((
            "100,000 attributes on one tag",
            build(&Book {
                dir: "xl",
                sheets: &[("Mitglieder", "")],
                shared_strings: None,
                sheet_xml: Some(&wide_sheet),
            }),
        ));
        out.push((
            "a cell at XFD1048576",
            workbook(
                &format!("{header}<row r=\"1048576\">{}</row>", s("XFD1048576", "boom")),
                None,
            ),
        ));
        let laughs = format!(
            r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;"><!ENTITY xxe SYSTEM "file:///etc/passwd">]><worksheet {ns}><sheetData><row r="1">{}</row><row r="2"><c r="A2" t="inlineStr"><is><t>&lol4;&xxe;</t></is></c></row></sheetData></worksheet>"#,
            s("A1", "email")
        );
        out.push((
            "entities: a billion laughs and an external entity",
            build(&Book {
                dir: "xl",
                sheets: &[("Mitglieder", "")],
                shared_strings: None,
                sheet_xml: Some(&laughs),
            }),
        ));
        let zeros = "0".repeat(64 * 1024 * 1024);
        out.push((
            "a zip bomb (64 MB of one comment)",
            workbook(&format!("{header}<!-- {zeros} -->"), None),
        ));
        out
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
        let mut detected = crate::detect(bytes)?;
        detected.sheet = sheet.map(str::to_owned);
        let mut table = crate::read_table(bytes, &detected, row_limit)?;
        let name = table.sheet.take().unwrap_or_default();
        Ok((table, name))
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
        struct Nothing;
        impl RowSink for Nothing {
            fn header(&mut self, _: &[String]) -> Result<(), ImportError> {
                Ok(())
            }
            fn row(&mut self, _: RawRow) -> Result<(), ImportError> {
                Ok(())
            }
        }
        let scanned = scan_sheet(&book, None, 100, true, &mut Nothing).unwrap();
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
    fn a_huge_shared_string_count_is_refused_before_calamine_allocates_in_every_spelling() {
        let hostile = super::fixtures::hostile_workbooks();
        let counts: Vec<_> = hostile.iter().filter(|(name, _)| name.starts_with("2^40")).collect();
        assert_eq!(counts.len(), 7);
        for (name, book) in counts {
            let err = check_zip(book).unwrap_err();
            assert!(
                matches!(err, ImportError::Hostile(ref m) if m.contains("1099511627776 shared strings")),
                "{name}: {err}"
            );
        }
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
    fn every_hostile_workbook_is_refused_by_the_prechecks_with_a_reason() {
        for (name, book) in super::fixtures::hostile_workbooks() {
            let err = read_sheet(&book, None, 100).unwrap_err();
            assert!(matches!(err, ImportError::Hostile(_)), "{name}: {err}");
        }
    }

    #[test]
    fn excel_serial_dates_become_iso_dates() {
        assert_eq!(excel_date(45943.5), "2025-10-13");
        assert_eq!(excel_date(25569.0), "1970-01-01");
    }
}
