//! Fuzzes what an upload goes through: inside the upload sandbox, format
//! detection, decoding, CSV and XLSX reading into the normalized table;
//! on the server, reading that table back, mapping and row validation.
//! Any input must give a table or a clean error — never a panic, an abort
//! or unbounded memory (the sandbox's limits are the last guard, not this).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let mut table = Vec::new();
    let Ok(summary) = roster_bulk::normalize(bytes, None, 10_000, true, &mut table) else { return };
    let reader = roster_bulk::NormalReader::new(table.as_slice()).expect("the sandbox's own table reads back");
    assert_eq!(reader.headers(), summary.headers.as_slice());
    let mapping = roster_bulk::auto_map(&summary.headers, &[]);
    let mut rows = 0;
    for row in reader {
        let row = row.expect("the sandbox's own rows read back");
        rows += 1;
        let _ = roster_bulk::validate_row(&mapping, row.line, &row.cells, &[]);
    }
    assert_eq!(rows, summary.rows);
});
