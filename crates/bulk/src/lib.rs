//! Roster's bulk engines: pure code over bytes, readers and writers.
//!
//! Import: inside the upload sandbox, [`normalize`] finds the format from
//! the content (never the file name), decodes it and writes a normalized
//! table of its header and rows with their line numbers; on the server,
//! [`NormalReader`] reads that table back a row at a time, [`Mapping`] ties
//! columns to member fields (automatically by header, in English, German,
//! Dutch and French), and [`validate_row`] turns each row into a member or
//! a list of specific errors. The service layer stores imports and applies
//! them.

mod detect;
mod export;
mod mapping;
mod normal;
mod report;
mod report_xlsx;
#[cfg(test)]
mod roundtrip;
mod table;
mod validate;
mod xlsx;

pub use detect::{detect, Detected, FileFormat, ImportError, TextEncoding};
pub use export::{iso_time, CsvDialect, CsvSink, TableSink, Value, XlsxSink};
pub use mapping::{auto_map, ColumnMapping, Mapping, Target};
pub use normal::{normalize, DamagedTable, NormalReader, NormalRow, Normalized};
pub use report::{neutralize, write_report_csv};
pub use report_xlsx::write_report_xlsx;
pub use table::{read_table, scan_rows, RawRow, RowSink, Scanned, Table, MAX_CELL_CHARS, MAX_COLUMNS};
pub use validate::{role_term, validate_row, FieldDef, ImportedMember, RowError};
pub use xlsx::check_zip;
#[cfg(any(test, feature = "fixtures"))]
pub use xlsx::fixtures;
