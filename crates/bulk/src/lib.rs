//! Roster's bulk engines: pure code over bytes, readers and writers.
//!
//! Import: [`detect`] finds the format from the content (never the file
//! name), [`read_table`] decodes it into a header and rows with their line
//! numbers, [`Mapping`] ties columns to member fields (automatically by
//! header, in English, German, Dutch and French), and [`validate_row`] turns
//! each row into a member or a list of specific errors. The service layer
//! stores imports and applies them.

mod detect;
mod mapping;
mod report;
mod report_xlsx;
#[cfg(test)]
mod roundtrip;
mod table;
mod validate;
mod xlsx;

pub use detect::{detect, Detected, FileFormat, ImportError, TextEncoding};
pub use mapping::{auto_map, ColumnMapping, Mapping, Target};
pub use report::write_report_csv;
pub use report_xlsx::write_report_xlsx;
pub use table::{read_table, scan_rows, Scanned, Table};
pub use validate::{role_term, validate_row, FieldDef, ImportedMember, RowError};
#[cfg(feature = "fixtures")]
pub use xlsx::fixtures;
pub use xlsx::{check_zip, MAX_COLUMNS};
