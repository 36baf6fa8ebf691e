//! Fuzzes what an upload goes through before anything is stored: format
//! detection, decoding, CSV and XLSX reading, mapping and row validation.
//! Any input must give a table or a clean error — never a panic, an abort
//! or unbounded memory.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let Ok(detected) = roster_bulk::detect(bytes) else { return };
    let Ok(table) = roster_bulk::read_table(bytes, &detected, 10_000) else { return };
    let mapping = roster_bulk::auto_map(&table.headers, &[]);
    for (line, cells) in &table.rows {
        let _ = roster_bulk::validate_row(&mapping, *line, cells, &[]);
    }
});
