//! Every exported file opened by real spreadsheet software: LibreOffice
//! (installed by `scripts/ensure-libreoffice`) converts each XLSX and CSV
//! export to CSV, and the values it read are compared — umlauts, leading
//! zeros, dates, and formula-like text that stays text.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::json;

use crate::exports::populated;
use crate::helpers::spawn_app;

fn soffice_bin() -> &'static str {
    ["/usr/bin/soffice", "/usr/bin/libreoffice"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("LibreOffice is missing: run scripts/ensure-libreoffice (Debian package libreoffice-calc-nogui)")
}

/// Converts `input` to a UTF-8, comma CSV with LibreOffice; a CSV input is
/// read with `delimiter` and every column as text (as "import as text"
/// keeps identifiers), an XLSX as the workbook it is. Every sheet of a
/// workbook is written (`-1`); returns the files written.
fn to_csv(dir: &Path, input: &Path, delimiter: u8, columns: usize) -> Vec<PathBuf> {
    let out_dir = dir.join(format!("out-{}", input.file_stem().unwrap().to_string_lossy()));
    std::fs::create_dir_all(&out_dir).unwrap();
    let text_columns: Vec<String> = (1..=columns).map(|c| format!("{c}/2")).collect();
    let mut cmd = Command::new(soffice_bin());
    cmd.arg(format!(
        "-env:UserInstallation=file://{}",
        dir.join("profile").display()
    ))
    .arg("--headless");
    if input.extension().is_some_and(|e| e == "csv") {
        cmd.arg(format!("--infilter=CSV:{delimiter},34,76,1,{}", text_columns.join("/")));
    }
    let out = cmd
        .args([
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
        ])
        .arg("--outdir")
        .arg(&out_dir)
        .arg(input)
        .output()
        .expect("run soffice");
    assert!(
        out.status.success(),
        "soffice failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut files: Vec<PathBuf> = std::fs::read_dir(&out_dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "soffice wrote nothing for {}", input.display());
    files
}

/// A CSV LibreOffice wrote, as rows.
fn rows(file: &Path) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(file)
        .unwrap();
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

fn cell<'a>(rows: &'a [Vec<String>], first_name: &str, header: &str) -> &'a str {
    let col = rows[0]
        .iter()
        .position(|h| h == header)
        .unwrap_or_else(|| panic!("no {header} in {:?}", rows[0]));
    let row = rows
        .iter()
        .find(|r| r.first().is_some_and(|f| f == first_name))
        .unwrap_or_else(|| panic!("no {first_name} in {rows:?}"));
    &row[col]
}

#[tokio::test]
async fn libreoffice_reads_every_export_as_written() {
    let app = spawn_app().await;
    let org = populated(&app, "acme").await;
    let dir = std::env::temp_dir().join(format!("roster-export-office-{}", rand::random::<u32>()));
    std::fs::create_dir_all(&dir).unwrap();
    let team = app.get(&org, "/teams").await.expect(200).body["items"][0]["id"]
        .as_i64()
        .unwrap();

    // Members, in every format.
    for (format, dialect, delimiter) in [
        ("xlsx", "excel", b','),
        ("csv", "excel", b','),
        ("csv", "excel-de", b';'),
        ("csv", "plain", b','),
    ] {
        let done = app
            .export_and_wait(
                &org,
                json!({"kind": "members", "format": format, "csv_dialect": dialect}),
            )
            .await;
        let bytes = app.export_file(&org, done["id"].as_str().unwrap()).await;
        let file = dir.join(format!("members-{dialect}.{format}"));
        std::fs::write(&file, bytes).unwrap();
        let out = to_csv(&dir, &file, delimiter, 19);
        let table = rows(&out[0]);
        let label = format!("{format}/{dialect}");
        assert_eq!(cell(&table, "Jürgen", "last_name"), "Müller-Lüdenscheidt", "{label}");
        assert_eq!(cell(&table, "Jürgen", "personal_id"), "0815", "{label}: leading zeros");
        assert_eq!(cell(&table, "Zoë", "personal_id"), "007", "{label}");
        assert_eq!(cell(&table, "Jürgen", "office"), "0042", "{label}");
        assert_eq!(
            cell(&table, "Jürgen", "comment"),
            "Zeile 1\nZeile 2; \"zitiert\"",
            "{label}"
        );
        // Formula-like text stays text, never a result: in XLSX a string
        // cell; in CSV behind the guarding quote (which LibreOffice shows or
        // takes as its own text marker, depending on the column).
        for (who, header, text) in [
            ("Jürgen", "skills", "=SUM(A1:A2)"),
            ("Jürgen", "phone", "+49 30 1234"),
            ("Jürgen", "location", "@home"),
            ("Jürgen", "department", "-Vertrieb"),
            ("Zoë", "comment", "=1+2"),
        ] {
            let read = cell(&table, who, header);
            let shown = if format == "csv" {
                read.strip_prefix('\'').unwrap_or(read)
            } else {
                read
            };
            assert_eq!(shown, text, "{label}: {header} read as {read:?}");
        }
        let created = cell(&table, "Jürgen", "created_at");
        let today = &roster_bulk::iso_time(roster_domain::now_millis())[..10];
        assert!(
            created.starts_with(today),
            "{label}: a date LibreOffice shows as one: {created}"
        );
    }

    // Every other kind, in both formats: LibreOffice reads each, and no cell
    // became a formula's result or error.
    for kind in [
        "teams",
        "team-members",
        "invitations",
        "audit",
        "content",
        "statistics",
        "organization",
    ] {
        for format in ["xlsx", "csv"] {
            if kind == "organization" && format == "csv" {
                continue;
            }
            let mut request = json!({"kind": kind, "format": format});
            if kind == "team-members" {
                request["team"] = json!(team);
            }
            let done = app.export_and_wait(&org, request).await;
            assert_eq!(done["status"], "ready", "{done}");
            let bytes = app.export_file(&org, done["id"].as_str().unwrap()).await;
            let file = dir.join(format!("{kind}.{format}"));
            std::fs::write(&file, &bytes).unwrap();
            let out = to_csv(&dir, &file, b',', 40);
            if kind == "organization" {
                assert_eq!(out.len(), 7, "every sheet: {out:?}");
            }
            for sheet in &out {
                let table = rows(sheet);
                assert!(!table.is_empty(), "{kind}/{format}: {}", sheet.display());
                let all = table.concat().join("|");
                assert!(
                    !all.contains("Err:") && !all.contains("#NAME?"),
                    "{kind}/{format}: {all}"
                );
            }
            if kind == "teams" {
                let table = rows(&out[0]);
                assert_eq!(table[1][1], "Grüne Füchse", "{format}");
                let purpose = table[1][4].trim_start_matches('\'');
                assert_eq!(purpose, "=Füchse", "{format}: the purpose stays text");
            }
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}
