//! What an uploaded file is, judged by its bytes.

use serde::Serialize;
use thiserror::Error;

/// Why a file cannot be imported at all (nothing is changed).
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum ImportError {
    #[error("the file is empty")]
    Empty,
    #[error("this is {0}, not a CSV or Excel file")]
    NotASpreadsheet(&'static str),
    #[error("this is a zip archive but not an Excel workbook")]
    ZipNotWorkbook,
    #[error("this workbook contains macros (.xlsm); save it as a plain .xlsx or as CSV")]
    MacroWorkbook,
    #[error("this is an encrypted workbook or an old .xls file; save it as .xlsx or CSV without a password")]
    EncryptedOrLegacy,
    #[error("the workbook cannot be imported safely: {0}")]
    Hostile(String),
    #[error("the workbook has no sheet named {sheet:?}; its sheets are {sheets}")]
    NoSuchSheet { sheet: String, sheets: String },
    #[error("the file has {rows} rows; this organization imports at most {limit} rows at once")]
    TooManyRows { rows: usize, limit: usize },
    #[error("the file has {columns} columns; an import reads at most {limit}")]
    TooManyColumns { columns: usize, limit: usize },
    #[error("the file has no header row")]
    NoHeader,
    #[error("line {line}: {message}")]
    Malformed { line: u64, message: String },
    #[error("only an Excel workbook has sheets; this file is CSV")]
    NotAWorkbook,
    /// The normalized table could not be written (the sandbox's disk).
    #[error("the file could not be read: {0}")]
    Output(String),
}

impl ImportError {
    /// The field the refusal is about, for the API's error.
    pub fn field(&self) -> &'static str {
        match self {
            Self::NotAWorkbook => "sheet",
            _ => "file",
        }
    }

    /// A stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotAWorkbook => "not_a_workbook",
            _ => "file_refused",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TextEncoding {
    Utf8,
    Utf8Bom,
    Utf16Le,
    Utf16Be,
    Windows1252,
}

impl TextEncoding {
    pub fn label(self) -> &'static str {
        match self {
            Self::Utf8 => "UTF-8",
            Self::Utf8Bom => "UTF-8 with BOM",
            Self::Utf16Le => "UTF-16 LE",
            Self::Utf16Be => "UTF-16 BE",
            Self::Windows1252 => "Windows-1252",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FileFormat {
    Csv,
    Xlsx,
}

impl FileFormat {
    /// As people name it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Csv => "CSV (text)",
            Self::Xlsx => "Excel workbook (.xlsx)",
        }
    }
}

/// What detection found: shown to the admin before anything happens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Detected {
    pub format: FileFormat,
    pub encoding: Option<TextEncoding>,
    /// The delimiter as a character (`,` `;` TAB `|`).
    pub delimiter: Option<char>,
    /// The sheet read (workbooks): the chosen one, or the first with cells.
    pub sheet: Option<String>,
    /// Every sheet of a workbook, in order, for choosing another; filled
    /// when the file is read (`Scanned::sheets`), not by `detect`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sheets: Vec<String>,
    /// Lines that hold bytes not valid in the file's encoding (the first
    /// few); their rows are refused, naming them. Filled when the file is read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bad_lines: Vec<u64>,
}

impl Detected {
    /// The delimiter as people name it: `comma (,)`, `tab`.
    pub fn delimiter_name(&self) -> Option<String> {
        self.delimiter.map(|d| match d {
            ',' => "comma (,)".to_owned(),
            ';' => "semicolon (;)".to_owned(),
            '|' => "pipe (|)".to_owned(),
            '\t' => "tab".to_owned(),
            other => format!("{other:?}"),
        })
    }
}

const ZIP: &[u8] = b"PK\x03\x04";
const OLE: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Decides what `bytes` are. Text is CSV/TSV in one of the encodings
/// spreadsheet programs write; a zip must be a workbook without macros.
pub fn detect(bytes: &[u8]) -> Result<Detected, ImportError> {
    detect_with(bytes, true)
}

/// [`detect`], with or without the fast checks of a workbook's zip
/// directory and shared strings (the upload sandbox can be tested without).
pub(crate) fn detect_with(bytes: &[u8], prechecks: bool) -> Result<Detected, ImportError> {
    if bytes.is_empty() {
        return Err(ImportError::Empty);
    }
    for (magic, what) in [
        (&b"\x89PNG"[..], "a PNG image"),
        (&b"\xFF\xD8\xFF"[..], "a JPEG image"),
        (&b"GIF8"[..], "a GIF image"),
        (&b"%PDF"[..], "a PDF document"),
        (&b"\x1F\x8B"[..], "a gzip archive"),
    ] {
        if bytes.starts_with(magic) {
            return Err(ImportError::NotASpreadsheet(what));
        }
    }
    if bytes.starts_with(OLE) {
        return Err(ImportError::EncryptedOrLegacy);
    }
    if bytes.starts_with(ZIP) {
        classify_zip(bytes)?;
        if prechecks {
            crate::xlsx::check_zip(bytes)?;
        }
        return Ok(Detected {
            format: FileFormat::Xlsx,
            encoding: None,
            delimiter: None,
            sheet: None,
            sheets: Vec::new(),
            bad_lines: Vec::new(),
        });
    }
    let encoding = text_encoding(bytes)?;
    let (text, _) = decode(bytes, encoding);
    Ok(Detected {
        format: FileFormat::Csv,
        encoding: Some(encoding),
        delimiter: Some(sniff_delimiter(&text) as char),
        sheet: None,
        sheets: Vec::new(),
        bad_lines: Vec::new(),
    })
}

/// A zip's kind, from the names in its central directory (read as bytes, no
/// inflation): a workbook has a `workbook.xml` (in `xl/`, or wherever its
/// relationships put it), a macro workbook also a `vbaProject.bin`.
fn classify_zip(bytes: &[u8]) -> Result<(), ImportError> {
    let has = |name: &[u8]| bytes.windows(name.len()).any(|w| w == name);
    if has(b"vbaProject.bin") {
        Err(ImportError::MacroWorkbook)
    } else if has(b"workbook.xml") {
        Ok(())
    } else {
        Err(ImportError::ZipNotWorkbook)
    }
}

fn text_encoding(bytes: &[u8]) -> Result<TextEncoding, ImportError> {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Ok(TextEncoding::Utf8Bom);
    }
    if bytes.starts_with(&[0xFF, 0xFE]) {
        return Ok(TextEncoding::Utf16Le);
    }
    if bytes.starts_with(&[0xFE, 0xFF]) {
        return Ok(TextEncoding::Utf16Be);
    }
    if bytes.iter().take(64 * 1024).any(|b| *b == 0) {
        return Err(ImportError::NotASpreadsheet("a binary file"));
    }
    Ok(if mostly_utf8(bytes) {
        TextEncoding::Utf8
    } else {
        TextEncoding::Windows1252
    })
}

/// UTF-8, unless its bytes say otherwise: a file whose letters beyond ASCII
/// are mostly valid UTF-8 is UTF-8 with a few bad bytes (named per line when
/// read), not Windows-1252 — which would garble every umlaut in it. A file
/// with no valid multi-byte letter and bytes that are not UTF-8 is
/// Windows-1252 (Excel's "CSV" on a German Windows).
fn mostly_utf8(bytes: &[u8]) -> bool {
    let (mut letters, mut invalid) = (0usize, 0usize);
    for chunk in bytes.utf8_chunks() {
        letters += chunk.valid().chars().filter(|c| !c.is_ascii()).count();
        invalid += usize::from(!chunk.invalid().is_empty());
    }
    invalid == 0 || letters > invalid
}

/// The file as text, without a byte order mark, and whether it held bytes
/// that are not valid in its encoding (each read as U+FFFD).
pub(crate) fn decode(bytes: &[u8], encoding: TextEncoding) -> (std::borrow::Cow<'_, str>, bool) {
    let enc = match encoding {
        TextEncoding::Utf8 | TextEncoding::Utf8Bom => encoding_rs::UTF_8,
        TextEncoding::Utf16Le => encoding_rs::UTF_16LE,
        TextEncoding::Utf16Be => encoding_rs::UTF_16BE,
        TextEncoding::Windows1252 => encoding_rs::WINDOWS_1252,
    };
    // decode() strips a BOM matching the encoding and replaces invalid
    // sequences (reported per row later as U+FFFD).
    let (text, _, had_errors) = enc.decode(bytes);
    (text, had_errors)
}

/// The delimiter that splits the first lines most consistently (quotes
/// respected): comma, semicolon (German Excel), tab (Excel's Unicode text)
/// or pipe.
fn sniff_delimiter(text: &str) -> u8 {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).take(20).collect();
    let mut best = (b',', 0usize, 0usize);
    for delim in [b',', b';', b'\t', b'|'] {
        let counts: Vec<usize> = lines.iter().map(|l| count_outside_quotes(l, delim as char)).collect();
        let first = counts.first().copied().unwrap_or(0);
        if first == 0 {
            continue;
        }
        let consistent = counts.iter().filter(|c| **c == first).count();
        if (consistent, first) > (best.1, best.2) {
            best = (delim, consistent, first);
        }
    }
    best.0
}

fn count_outside_quotes(line: &str, delim: char) -> usize {
    let mut quoted = false;
    line.chars()
        .filter(|c| {
            if *c == '"' {
                quoted = !quoted;
            }
            !quoted && *c == delim
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_encodings_by_their_bytes() {
        let d = detect(b"\xEF\xBB\xBFfirstname,lastname\nA,B\n").unwrap();
        assert_eq!((d.encoding, d.delimiter), (Some(TextEncoding::Utf8Bom), Some(',')));
        let d = detect(b"Vorname;Nachname\nJ\xFCrgen;M\xFCller\n").unwrap();
        assert_eq!((d.encoding, d.delimiter), (Some(TextEncoding::Windows1252), Some(';')));
        let utf16: Vec<u8> = std::iter::once([0xFF, 0xFE])
            .flatten()
            .chain("a\tb\nc\td\n".encode_utf16().flat_map(|u| u.to_le_bytes()))
            .collect();
        let d = detect(&utf16).unwrap();
        assert_eq!((d.encoding, d.delimiter), (Some(TextEncoding::Utf16Le), Some('\t')));
    }

    #[test]
    fn quoted_delimiters_do_not_count() {
        assert_eq!(sniff_delimiter("name;comment\n\"Müller, Anna\";\"a, b, c\"\n"), b';');
        assert_eq!(sniff_delimiter("a|b|c\n1|2|3\n"), b'|');
    }

    #[test]
    fn anything_else_is_refused_with_what_it_is() {
        assert_eq!(detect(b"\x89PNG\r\n"), Err(ImportError::NotASpreadsheet("a PNG image")));
        assert_eq!(
            detect(b"PK\x03\x04....word/document.xml"),
            Err(ImportError::ZipNotWorkbook)
        );
        assert_eq!(
            detect(b"PK\x03\x04..xl/workbook.xml..xl/vbaProject.bin"),
            Err(ImportError::MacroWorkbook)
        );
        assert_eq!(detect(OLE), Err(ImportError::EncryptedOrLegacy));
        assert_eq!(detect(b""), Err(ImportError::Empty));
        assert_eq!(detect(b"a,b\0c"), Err(ImportError::NotASpreadsheet("a binary file")));
    }

    #[test]
    fn a_utf8_file_with_a_stray_byte_stays_utf8_and_a_windows_file_is_windows() {
        let d = detect(b"name\nJ\xc3\xbcrgen\nZo\xc3\xab\nBr\xfc\n").unwrap();
        assert_eq!(d.encoding, Some(TextEncoding::Utf8));
        let d = detect(b"name\nJ\xfcrgen\nZo\xeb\n").unwrap();
        assert_eq!(d.encoding, Some(TextEncoding::Windows1252));
    }
}
