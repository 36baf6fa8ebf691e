//! Files written by real spreadsheet software: LibreOffice (installed by
//! `scripts/ensure-libreoffice`) converts a CSV fixture into an .xlsx
//! workbook and into a semicolon, Windows-1252 CSV, and both import the same.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::json;

use crate::helpers::spawn_app;

const FIXTURE: &str = "firstname,lastname,email,personalid,comment\n\
Jürgen,Müller,juergen@acme.de,P-0815,Außendienst\n\
Hélène,Lefèvre,helene@acme.fr,P-4711,\"Vertrieb, Köln\"\n\
Zoë,Ørsted,zoe@acme.dk,P-0042,Neu\n";

/// Converts `input` with LibreOffice; returns the written file.
fn soffice(dir: &Path, input: &Path, convert_to: &str, ext: &str) -> PathBuf {
    let bin = ["/usr/bin/soffice", "/usr/bin/libreoffice"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("LibreOffice is missing: run scripts/ensure-libreoffice (Debian package libreoffice-calc-nogui)");
    let out_dir = dir.join(ext);
    std::fs::create_dir_all(&out_dir).unwrap();
    let status = Command::new(bin)
        .arg(format!(
            "-env:UserInstallation=file://{}",
            dir.join("profile").display()
        ))
        .args([
            "--headless",
            "--infilter=CSV:44,34,76,1",
            "--convert-to",
            convert_to,
            "--outdir",
        ])
        .arg(&out_dir)
        .arg(input)
        .output()
        .expect("run soffice");
    assert!(
        status.status.success(),
        "soffice failed: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    let stem = input.file_stem().unwrap().to_string_lossy().into_owned();
    let file = std::fs::read_dir(&out_dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.file_stem().is_some_and(|s| s.to_string_lossy() == stem))
        .unwrap_or_else(|| panic!("soffice wrote nothing into {}", out_dir.display()));
    file
}

fn work_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "roster-office-{}-{}",
        std::process::id(),
        rand::random::<u32>()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn import_and_check(bytes: Vec<u8>, name: &str, expect_format: serde_json::Value) {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let up = app.upload(&org, name, bytes).await.expect(201);
    for (k, v) in expect_format.as_object().unwrap() {
        assert_eq!(&up.body["detected"][k], v, "{}", up.body["detected"]);
    }
    let done = app.apply_import(&org, up.id(), json!({})).await;
    assert_eq!(done["summary"]["created"], 3, "{done}");
    let page = app.get(&org, "/members?sort=email&limit=10").await.expect(200);
    let got: Vec<(String, String, String, String)> = page.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] != "owner")
        .map(|m| {
            let s = |k: &str| m[k].as_str().unwrap().to_owned();
            (s("first_name"), s("last_name"), s("personal_id"), s("comment"))
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "Hélène".into(),
                "Lefèvre".into(),
                "P-4711".into(),
                "Vertrieb, Köln".into()
            ),
            ("Jürgen".into(), "Müller".into(), "P-0815".into(), "Außendienst".into()),
            ("Zoë".into(), "Ørsted".into(), "P-0042".into(), "Neu".into()),
        ]
    );
}

#[tokio::test]
async fn a_workbook_saved_by_libreoffice_imports_the_same_members() {
    let dir = work_dir();
    let csv = dir.join("members.csv");
    std::fs::write(&csv, FIXTURE).unwrap();
    let xlsx = soffice(&dir, &csv, "xlsx", "xlsx");
    import_and_check(std::fs::read(&xlsx).unwrap(), "members.xlsx", json!({"format": "xlsx"})).await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_semicolon_windows_1252_csv_saved_by_libreoffice_imports_the_same_members() {
    let dir = work_dir();
    let csv = dir.join("members.csv");
    std::fs::write(&csv, FIXTURE).unwrap();
    // Field separator 59 (;), text delimiter 34 ("), character set 1 (Windows-1252).
    let ansi = soffice(&dir, &csv, "csv:Text - txt - csv (StarCalc):59,34,1,1", "ansi");
    let bytes = std::fs::read(&ansi).unwrap();
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "LibreOffice wrote Windows-1252, not UTF-8"
    );
    import_and_check(
        bytes,
        "members.csv",
        json!({"format": "csv", "encoding": "windows1252", "delimiter": ";"}),
    )
    .await;
    let _ = std::fs::remove_dir_all(dir);
}
