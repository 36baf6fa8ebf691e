//! Importing members from Excel workbooks over the API: identifiers and
//! leading zeros, choosing a sheet, hostile workbooks, the report as a
//! workbook. (Workbooks written by LibreOffice: `imports_office.rs`.)

use serde_json::json;

use crate::helpers::spawn_app;
use crate::imports::member_by_email;

#[tokio::test]
async fn an_excel_workbook_is_read_with_identifiers_and_leading_zeros_intact() {
    use roster_bulk::fixtures::{s, workbook};
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let sheet =
        format!(
        "<row r=\"1\">{}{}{}{}</row><row r=\"3\">{}{}{}<c r=\"D3\"><v>4711</v></c></row><row r=\"4\">{}{}{}{}</row>",
        s("A1", "Vorname"), s("B1", "Nachname"), s("C1", "E-Mail"), s("D1", "Personalnummer"),
        s("A3", "Jürgen"), s("B3", "Müller"), s("C3", "juergen@acme.de"),
        s("A4", "Anna"), s("B4", "Schröder"), s("C4", "anna@acme.de"), s("D4", "0815"),
    );
    let upload = app
        .upload(&org, "mitglieder.xlsx", workbook(&sheet, None))
        .await
        .expect(201);
    assert_eq!(upload.body["detected"]["format"], "xlsx");
    assert_eq!(upload.body["detected"]["sheet"], "Mitglieder");
    let id = upload.id();
    let preview = app
        .post(&org, &format!("/imports/{id}/preview"), json!({}))
        .await
        .expect(200);
    assert_eq!(
        preview.body["rows"][0]["line"], 3,
        "rows are named by their row in the sheet"
    );
    app.apply_import(&org, id, json!({})).await;
    let juergen = member_by_email(&app, &org, "juergen@acme.de").await.unwrap();
    assert_eq!(
        juergen["personal_id"], "4711",
        "a number that is an identifier is not 4711.0"
    );
    let anna = member_by_email(&app, &org, "anna@acme.de").await.unwrap();
    assert_eq!(anna["personal_id"], "0815", "a text cell keeps its leading zero");
}

/// A workbook whose first sheet is a cover page: the admin reads the
/// members' sheet instead, at upload (`?sheet=`) or afterwards, over the API
/// and in the console; the columns are mapped from that sheet's header.
#[tokio::test]
async fn another_sheet_of_a_workbook_can_be_chosen_at_upload_or_afterwards() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    app.member_with_login(&org, "Ada", "ada@acme.de", "admin").await;
    let book = roster_bulk::fixtures::members_behind_a_cover("Jürgen", "Müller", "juergen@acme.de");

    let first = app.upload(&org, "liste.xlsx", book.clone()).await.expect(201);
    assert_eq!(
        first.body["detected"]["sheet"], "Deckblatt",
        "the first sheet with cells"
    );
    assert_eq!(first.body["detected"]["sheets"], json!(["Deckblatt", "Mitglieder"]));
    let id = first.id();
    let path = format!("/imports/{id}/sheet");
    let sheet = |name: &str| app.put(&org, &path, json!({ "sheet": name }));
    let missing = sheet("Members").await.expect(409);
    assert_eq!(missing.error_field(), "sheet");
    assert!(
        missing.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("sheets are Deckblatt, Mitglieder"),
        "{}",
        missing.body
    );
    let chosen = sheet("Mitglieder").await.expect(200);
    assert_eq!(chosen.body["detected"]["sheet"], "Mitglieder");
    assert_eq!(chosen.body["mapping"]["columns"][2]["target"], "email");
    let preview = app
        .post(&org, &format!("/imports/{id}/preview"), json!({}))
        .await
        .expect(200);
    assert_eq!(preview.body["totals"]["create"], 1, "{}", preview.body);

    // In the console: the sheets to choose from, and choosing one.
    let cookie = app.console_sign_in("ada@acme.de").await;
    let page = format!("/o/acme/imports/{id}");
    let html = app.console_html(&cookie, &page).await;
    assert!(html.contains("Mitglieder (of 2)"), "{html}");
    assert!(
        html.contains("<option value=\"Deckblatt\">Deckblatt</option>"),
        "{html}"
    );
    let res = app
        .console_post(&cookie, &html, &format!("{page}/sheet"), &[("sheet", "Deckblatt")])
        .await;
    assert!(res.status().is_success(), "{}", res.status());
    assert!(res.text().await.unwrap().contains("Deckblatt (of 2)"));

    // Chosen at upload.
    let direct = app
        .call(
            reqwest::Method::POST,
            "/api/v1/orgs/acme/imports?file_name=liste.xlsx&sheet=Mitglieder",
            &org.token,
            None,
        )
        .await;
    assert_eq!(direct.status, 422, "an empty body is refused: {}", direct.body);
    let direct = app
        .upload_with(&org, "file_name=liste.xlsx&sheet=Mitglieder", book)
        .await
        .expect(201);
    assert_eq!(direct.body["detected"]["sheet"], "Mitglieder");

    // Only a workbook has sheets; an applied import keeps its own.
    let csv = app
        .upload(&org, "x.csv", b"email\na@acme.de\n".to_vec())
        .await
        .expect(201)
        .id();
    let refused = app
        .put(&org, &format!("/imports/{csv}/sheet"), json!({"sheet": "Mitglieder"}))
        .await
        .expect(409);
    assert_eq!(refused.error_code(), "unknown_sheet");
    app.apply_import(&org, id, json!({})).await;
    sheet("Mitglieder").await.expect(409);
}

#[tokio::test]
async fn hostile_workbooks_get_a_clean_error_and_roster_keeps_running() {
    use roster_bulk::fixtures::{s, workbook};
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let huge_sst = r#"<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1099511627776" uniqueCount="1099511627776"><si><t>x</t></si></sst>"#;
    let far_cell = format!(
        "<row r=\"1\">{}</row><row r=\"1048576\">{}</row>",
        s("A1", "email"),
        s("XFD1048576", "x")
    );
    let bomb = format!(
        "<row r=\"1\">{}</row><!-- {} -->",
        s("A1", "email"),
        "0".repeat(8 * 1024 * 1024)
    );
    for bytes in [
        workbook(&s("A1", "email"), Some(huge_sst)),
        workbook(&far_cell, None),
        workbook(&bomb, None),
    ] {
        let res = app.upload(&org, "evil.xlsx", bytes).await.expect(422);
        assert_eq!(res.error_code(), "file_refused");
    }
    app.client.get(format!("{}/healthz", app.base)).send().await.unwrap();
}

#[tokio::test]
async fn the_report_is_also_an_excel_workbook_with_status_and_reason_columns() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let id = app
        .upload(
            &org,
            "x.csv",
            b"firstname,lastname,email,comment\nA,B,a@acme.de,=SUM(A1)\nC,D,kaputt,\n".to_vec(),
        )
        .await
        .expect(201)
        .id();
    app.apply_import(&org, id, json!({})).await;
    let res = app.download(&org, &format!("/imports/{id}/report.xlsx")).await;
    assert_eq!(
        res.headers()["content-disposition"],
        format!("attachment; filename=\"import-{id}-report.xlsx\"").as_str()
    );
    let bytes = res.bytes().await.unwrap().to_vec();
    let detected = roster_bulk::detect(&bytes).unwrap();
    let table = roster_bulk::read_table(&bytes, &detected, 100).unwrap();
    assert_eq!(
        table.headers,
        vec!["firstname", "lastname", "email", "comment", "status", "reason"]
    );
    assert_eq!(
        table.rows[0].1,
        vec!["A", "B", "a@acme.de", "=SUM(A1)", "created"],
        "the formula text is a string cell"
    );
    assert_eq!(table.rows[1].1[4], "error");
    assert!(table.rows[1].1[5].contains("email"));
}
