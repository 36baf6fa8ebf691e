//! The row rules of an import, each through the whole product: what the
//! preview says of a row, and that applying takes exactly the good rows.

use serde_json::{json, Value};

use crate::helpers::spawn_app;
use crate::imports::member_by_email;

/// A row's line, its action and its errors as (column, code).
type Outcome = (u64, String, Vec<(String, String)>);

fn outcomes(preview: &Value) -> Vec<Outcome> {
    preview["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let errors = r["errors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| {
                    (
                        e["column"].as_str().unwrap().to_owned(),
                        e["code"].as_str().unwrap().to_owned(),
                    )
                })
                .collect();
            (
                r["line"].as_u64().unwrap(),
                r["action"].as_str().unwrap().to_owned(),
                errors,
            )
        })
        .collect()
}

#[tokio::test]
async fn each_rule_of_a_row_is_checked_and_named_and_only_good_rows_are_applied() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    app.add_number_field(&org, "shoe", "Schuhgröße").await;
    app.post(
        &org,
        "/members",
        json!({"first_name": "Paula", "last_name": "Alt", "email": "paula@acme.de", "personal_id": "P-1"}),
    )
    .await
    .expect(201);

    let long_name = "x".repeat(1000);
    let csv = format!(
        "firstname,lastname,email,personalid,shoe\n\
         Anna,Muster,anna@acme.de,,42\n\
         ,,,,\n\
         J\u{fc}rgen,NFC,j\u{fc}rgen@acme.de,,\n\
         Ju\u{308}rgen,NFD,ju\u{308}rgen@acme.de,,\n\
         Bell\u{7},Char,bell@acme.de,,\n\
         {long_name},Long,long@acme.de,,\n\
         Big,Foot,big@acme.de,,huge\n\
         Pid,Taken,pid@acme.de,P-1,\n"
    );
    let (id, preview) = app.upload_and_preview(&org, "rules.csv", csv.into_bytes()).await;
    let s = |v: &str| v.to_owned();
    let got = outcomes(&preview);
    assert_eq!(
        got,
        vec![
            (2, s("create"), vec![]),
            // Line 3 is entirely empty: skipped, not an error; the lines
            // after it keep their numbers.
            (4, s("error"), vec![(s("email"), s("duplicate_in_file"))]),
            // The same address with the umlaut decomposed (NFD).
            (5, s("error"), vec![(s("email"), s("duplicate_in_file"))]),
            (6, s("error"), vec![(s("firstname"), s("forbidden_character"))]),
            (7, s("error"), vec![(s("firstname"), s("too_long"))]),
            (8, s("error"), vec![(s("shoe"), s("invalid_value"))]),
            (9, s("error"), vec![(s("personalid"), s("already_exists"))]),
        ],
        "{preview:#}"
    );
    assert_eq!(preview["totals"]["rows"], 7, "{:#}", preview["totals"]);
    assert_eq!(preview["totals"]["error"], 6);

    let done = app.apply_import(&org, id, json!({})).await;
    assert_eq!(done["summary"]["created"], 1, "{done}");
    let anna = member_by_email(&app, &org, "anna@acme.de").await.unwrap();
    assert_eq!(
        anna["personal_id"], "anna@acme.de",
        "the personal id defaults to the e-mail"
    );
    assert_eq!(anna["custom_fields"]["shoe"], "42");
    for email in ["bell@acme.de", "long@acme.de", "big@acme.de", "pid@acme.de"] {
        assert!(member_by_email(&app, &org, email).await.is_none(), "{email}");
    }
}

/// A row without a personal id gets its e-mail as one, so a row that gives
/// that address as its personal id clashes with it — in one chunk of the
/// apply as across chunks, and in the preview before anything is written.
/// Both rows are named; before, the unique index failed the whole import.
#[tokio::test]
async fn a_personal_id_that_is_another_rows_email_is_a_duplicate_in_the_file() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let csv = "firstname,lastname,email,personalid\n\
               Anna,Eins,anna@acme.de,\n\
               Bert,Zwei,bert@acme.de,anna@acme.de\n\
               Carl,Drei,carl@acme.de,4711\n";
    let (id, preview) = app.upload_and_preview(&org, "pids.csv", csv.as_bytes().to_vec()).await;
    let s = |v: &str| v.to_owned();
    assert_eq!(
        outcomes(&preview),
        vec![
            (2, s("error"), vec![(s("email"), s("duplicate_in_file"))]),
            (3, s("error"), vec![(s("personalid"), s("duplicate_in_file"))]),
            (4, s("create"), vec![]),
        ],
        "{preview:#}"
    );
    let messages: Vec<&str> = preview["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["errors"][0]["message"].as_str())
        .collect();
    assert_eq!(
        messages,
        [
            "without a personal id the e-mail becomes one, and line 3 gives it as its personal id",
            "the same as the e-mail on line 2, which becomes that member's personal id",
        ]
    );

    let done = app.apply_import(&org, id, json!({})).await;
    assert_eq!(done["status"], "applied", "{done}");
    assert_eq!(done["summary"]["created"], 1, "{done}");
    assert_eq!(done["summary"]["error"], 2, "{done}");
    assert!(member_by_email(&app, &org, "carl@acme.de").await.is_some());
    assert!(member_by_email(&app, &org, "anna@acme.de").await.is_none());
}

#[tokio::test]
async fn an_import_that_needs_more_seats_than_are_free_says_how_many_and_changes_nothing() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    app.put(&org, "/seats/casual", json!({"purchased": 1}))
        .await
        .expect(200);
    let mut active = Vec::new();
    for email in ["a@acme.de", "b@acme.de", "c@acme.de"] {
        let id = app.add_member(&org, "Aktiv", "Mitglied", email).await;
        app.force_status(id, "active").await;
        active.push(id);
    }
    // All three move to a casual seat; one is free.
    let csv = "firstname,lastname,email,role\n\
               Aktiv,Mitglied,a@acme.de,casual\n\
               Aktiv,Mitglied,b@acme.de,casual\n\
               Aktiv,Mitglied,c@acme.de,casual\n\
               Neu,Mitglied,d@acme.de,casual\n";
    let (id, preview) = app.upload_and_preview(&org, "seats.csv", csv.as_bytes().to_vec()).await;
    assert_eq!(
        preview["seat_shortfall"],
        json!([{"seat_type": "casual", "label": "Casual", "needed": 3, "available": 1, "shortfall": 2}]),
        "a new member (d@) is added and takes no seat yet"
    );

    let done = app.apply_import(&org, id, json!({})).await;
    assert_eq!(done["status"], "failed", "{done}");
    assert_eq!(
        done["summary"]["failure"],
        "not enough seats: the rows need 3 Casual seats and 1 is free"
    );
    for member in active {
        let m = app.get(&org, &format!("/members/{member}")).await.expect(200);
        assert_eq!(m.body["seat_type"], Value::Null, "nothing changed: {}", m.body);
    }
    assert!(member_by_email(&app, &org, "d@acme.de").await.is_none());
}

/// After applying, the console's result lists the rows not imported (the
/// first hundred; the report has all), and undo needs its confirmation.
#[tokio::test]
async fn the_console_result_lists_the_rows_not_imported_and_undo_asks_to_be_confirmed() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    app.member_with_login(&org, "Ada", "ada@acme.de", "admin").await;
    let mut csv = String::from("Vorname,Nachname,E-Mail\nGood,Row,good@acme.de\n");
    for i in 0..150 {
        csv.push_str(&format!("Bad,Row,kaputt{i}\n"));
    }
    let id = app.upload(&org, "x.csv", csv.into_bytes()).await.expect(201).id();
    let done = app.apply_import(&org, id, json!({})).await;
    assert_eq!(done["summary"]["error"], 150);

    let cookie = app.console_sign_in("ada@acme.de").await;
    let page = format!("/o/acme/imports/{id}");
    let html = app.console_html(&cookie, &page).await;
    assert!(
        html.contains("Rows not imported: the first 100 of 150, the report lists all"),
        "{html}"
    );
    let table = html
        .split("<table id=\"failed-rows\"")
        .nth(1)
        .expect("a table of the rows not imported")
        .split("</table>")
        .next()
        .unwrap();
    assert_eq!(table.matches("<tr><td>").count(), 100);
    assert!(
        table.contains("<tr><td>3</td><td>E-Mail: is not an e-mail address"),
        "{table}"
    );

    assert!(html.contains("Only the rows not imported (CSV)"));
    let failed = app.console_html(&cookie, &format!("{page}/report.csv?errors=1")).await;
    assert_eq!(failed.lines().count(), 1 + 150, "the header and the failed rows");
    assert!(
        failed.lines().nth(1).unwrap().starts_with("Bad,Row,kaputt0,error,"),
        "{failed}"
    );

    let undo_path = format!("{page}/undo");
    let undo = |fields: &'static [(&'static str, &'static str)]| app.console_post(&cookie, &html, &undo_path, fields);
    assert_eq!(undo(&[]).await.status(), 400, "not without the box ticked");
    assert!(member_by_email(&app, &org, "good@acme.de").await.is_some());
    let res = undo(&[("confirm", "on")]).await;
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("1 member removed, 0 restored"));
    assert!(member_by_email(&app, &org, "good@acme.de").await.is_none());
}
