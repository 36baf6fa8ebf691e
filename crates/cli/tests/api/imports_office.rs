//! Files written by real spreadsheet software: LibreOffice (installed by
//! `scripts/ensure-libreoffice`) converts a CSV fixture into an .xlsx
//! workbook and into a semicolon, Windows-1252 CSV, and both import the same;
//! and a spreadsheet of two sheets into a workbook whose second sheet holds
//! the members.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::json;

use crate::helpers::spawn_app;

const FIXTURE: &str = "firstname,lastname,email,personalid,comment\n\
Jürgen,Müller,juergen@acme.de,P-0815,Außendienst\n\
Hélène,Lefèvre,helene@acme.fr,P-4711,\"Vertrieb, Köln\"\n\
Zoë,Ørsted,zoe@acme.dk,P-0042,Neu\n";

/// Converts `input` with LibreOffice (a CSV read as UTF-8 with commas);
/// returns the written file.
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
        .arg("--headless")
        .args((input.extension().is_some_and(|e| e == "csv")).then_some("--infilter=CSV:44,34,76,1"))
        .args(["--convert-to", convert_to, "--outdir"])
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

/// A spreadsheet of two sheets, a cover page first (flat OpenDocument,
/// written here), saved as .xlsx by LibreOffice: the cover is read first,
/// the admin chooses the members' sheet, and its numbers stay identifiers.
#[tokio::test]
async fn the_members_sheet_of_a_two_sheet_workbook_saved_by_libreoffice_can_be_chosen() {
    let cell = |text: &str| {
        format!("<table:table-cell office:value-type=\"string\"><text:p>{text}</text:p></table:table-cell>")
    };
    let row = |cells: String| format!("<table:table-row>{cells}</table:table-row>");
    let members = [
        row(["Vorname", "Nachname", "E-Mail", "Personalnummer"].map(cell).concat()),
        row(["Jürgen", "Müller", "juergen@acme.de"].map(cell).concat()
            + "<table:table-cell office:value-type=\"float\" office:value=\"4711\"><text:p>4711</text:p></table:table-cell>"),
    ]
    .concat();
    let fods = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2" office:mimetype="application/vnd.oasis.opendocument.spreadsheet">
<office:body><office:spreadsheet>
<table:table table:name="Deckblatt">{}</table:table>
<table:table table:name="Mitglieder">{members}</table:table>
</office:spreadsheet></office:body></office:document>"#,
        row(cell("Mitgliederliste, Stand März"))
    );
    let dir = work_dir();
    let input = dir.join("liste.fods");
    std::fs::write(&input, fods).unwrap();
    let xlsx = std::fs::read(soffice(&dir, &input, "xlsx", "xlsx")).unwrap();

    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let up = app.upload(&org, "liste.xlsx", xlsx).await.expect(201);
    assert_eq!(up.body["detected"]["sheet"], "Deckblatt", "{}", up.body["detected"]);
    assert_eq!(up.body["detected"]["sheets"], json!(["Deckblatt", "Mitglieder"]));
    let id = up.id();
    app.put(&org, &format!("/imports/{id}/sheet"), json!({"sheet": "Mitglieder"}))
        .await
        .expect(200);
    let done = app.apply_import(&org, id, json!({})).await;
    assert_eq!(done["summary"]["created"], 1, "{done}");
    let page = app.get(&org, "/members?q=juergen@").await.expect(200);
    assert_eq!(page.body["items"][0]["personal_id"], "4711");
    let _ = std::fs::remove_dir_all(dir);
}
