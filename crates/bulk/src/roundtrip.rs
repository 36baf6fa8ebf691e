//! Round trip: member rows written to CSV (the report writer, with its
//! formula guard) and to XLSX (the workbook writer) read back unchanged.
//! Random rows from a seeded generator: names with umlauts, accents and
//! CJK, quotes, delimiters, line breaks, leading zeros, formula-like text.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::{detect, read_table, write_report_csv, write_report_xlsx, NormalRow, Table};

/// The table's rows as a normalized table hands them to a report writer.
fn rows_of(table: &Table) -> impl Iterator<Item = Result<NormalRow, crate::DamagedTable>> + '_ {
    table.rows.iter().map(|(line, cells)| {
        Ok(NormalRow {
            line: *line,
            cells: cells.clone(),
            problem: None,
        })
    })
}

const PIECES: &[&str] = &[
    "Jürgen",
    "Müller-Lüdenscheidt",
    "Zoë",
    "Ørsted",
    "François",
    "O'Connor",
    "van den Berg",
    "李",
    "Ñandú",
    "Łódź",
    "\"quoted\"",
    "a,b",
    "x;y",
    "tab\there",
    "line\nbreak",
    "crlf\r\nbreak",
    "0815",
    "=1+2",
    "+49 30 123",
    "-minus",
    "@home",
    "  spaces  ",
    "ß",
    "emoji 🙂",
    "|pipe|",
];

fn random_cell(rng: &mut StdRng) -> String {
    let n = rng.gen_range(0..4);
    (0..n)
        .map(|_| PIECES[rng.gen_range(0..PIECES.len())])
        .collect::<Vec<_>>()
        .join(" ")
}

fn random_table(rng: &mut StdRng) -> Table {
    let headers = vec![
        "firstname".to_owned(),
        "lastname".into(),
        "email".into(),
        "comment".into(),
        "personalid".into(),
    ];
    let rows = (0..rng.gen_range(1..40))
        .map(|i| {
            let mut cells: Vec<String> = (0..headers.len()).map(|_| random_cell(rng)).collect();
            // Every row has an e-mail, so no row is entirely empty.
            cells[2] = format!("user{i}@example.de");
            (i as u64 + 2, cells)
        })
        .collect();
    Table {
        headers,
        rows,
        sheet: None,
    }
}

fn without_outcome(table: &Table) -> Table {
    // The report adds status and reason columns; drop them again.
    let width = table.headers.len() - 2;
    Table {
        headers: table.headers[..width].to_vec(),
        rows: table
            .rows
            .iter()
            .map(|(l, c)| (*l, c.iter().take(width).cloned().collect()))
            .collect(),
        sheet: None,
    }
}

#[test]
fn rows_written_to_csv_read_back_unchanged() {
    for seed in 0..200 {
        let mut rng = StdRng::seed_from_u64(seed);
        let table = random_table(&mut rng);
        let mut bytes = Vec::new();
        write_report_csv(&mut bytes, &table.headers, rows_of(&table), b',', |_| {
            ("ok".into(), String::new())
        })
        .unwrap();
        let back = without_outcome(&read_table(&bytes, &detect(&bytes).unwrap(), 1000).unwrap());
        assert_eq!(back.headers, table.headers, "seed {seed}");
        let cells = |t: &Table| t.rows.iter().map(|(_, c)| c.clone()).collect::<Vec<_>>();
        assert_eq!(cells(&back), cells(&table), "seed {seed}");
    }
}

#[test]
fn rows_written_to_xlsx_read_back_unchanged() {
    for seed in 0..60 {
        let mut rng = StdRng::seed_from_u64(seed);
        let table = random_table(&mut rng);
        let mut bytes = Vec::new();
        write_report_xlsx(&mut bytes, &table.headers, rows_of(&table), |_| {
            ("ok".into(), String::new())
        })
        .unwrap();
        let back = without_outcome(&read_table(&bytes, &detect(&bytes).unwrap(), 1000).unwrap());
        let cells = |t: &Table| {
            t.rows
                .iter()
                .map(|(_, c)| c.iter().map(|s| s.replace("\r\n", "\n")).collect::<Vec<_>>())
                .collect::<Vec<_>>()
        };
        let trimmed = |rows: Vec<Vec<String>>| {
            rows.into_iter()
                .map(|mut r| {
                    while r.last().is_some_and(|c| c.is_empty()) {
                        r.pop();
                    }
                    r
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(trimmed(cells(&back)), trimmed(cells(&table)), "seed {seed}");
    }
}
