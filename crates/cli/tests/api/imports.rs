//! Importing members from CSV files: detection, mapping, validation,
//! preview, apply as a job, report, undo — over the API.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp, TestOrg};

fn windows_1252_semicolons() -> Vec<u8> {
    // What German Excel writes for "CSV (Trennzeichen-getrennt)".
    b"Vorname;Nachname;E-Mail;Kommentar;teamid;Rolle\r\nJ\xfcrgen;M\xfcller;juergen@acme.de;=1+2;T-1;Administrator\r\nAnna;Schr\xf6der;anna@acme.de;\"Teilzeit; Vertrieb\";;\r\n".to_vec()
}

async fn team(app: &TestApp, org: &TestOrg, key: &str) -> i64 {
    app.post(
        org,
        "/teams",
        json!({"name": format!("Team {key}"), "external_key": key}),
    )
    .await
    .expect(201)
    .id()
}

pub async fn member_by_email(app: &TestApp, org: &TestOrg, email: &str) -> Option<Value> {
    let res = app
        .get(org, &format!("/members?q={}", crate::members::urlencode(email)))
        .await
        .expect(200);
    res.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"].as_str().map(str::to_lowercase) == Some(email.to_lowercase()))
        .cloned()
}

#[tokio::test]
async fn a_german_excel_csv_is_detected_mapped_previewed_and_applied_as_added_members() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let team_id = team(&app, &org, "T-1").await;
    let upload = app
        .upload(&org, "Mitglieder.csv", windows_1252_semicolons())
        .await
        .expect(201);
    assert_eq!(
        upload.body["detected"],
        json!({"format": "csv", "encoding": "windows1252", "delimiter": ";", "sheet": null})
    );
    let targets: Vec<Value> = upload.body["mapping"]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["target"].clone())
        .collect();
    assert_eq!(
        targets,
        vec![
            json!("first_name"),
            json!("last_name"),
            json!("email"),
            json!("comment"),
            json!("team_id"),
            json!("role")
        ]
    );
    let id = upload.id();

    let preview = app
        .post(&org, &format!("/imports/{id}/preview"), json!({}))
        .await
        .expect(200);
    assert_eq!(
        preview.body["totals"],
        json!({"rows": 2, "create": 2, "update": 0, "unchanged": 0, "error": 0})
    );
    assert!(
        member_by_email(&app, &org, "juergen@acme.de").await.is_none(),
        "a preview changes nothing"
    );

    let done = app.apply_import(&org, id, json!({})).await;
    assert_eq!(done["status"], "applied");
    assert_eq!(done["summary"]["created"], 2);
    let juergen = member_by_email(&app, &org, "juergen@acme.de").await.unwrap();
    assert_eq!(
        (
            juergen["first_name"].as_str(),
            juergen["status"].as_str(),
            juergen["role"].as_str()
        ),
        (Some("Jürgen"), Some("added"), Some("admin"))
    );
    assert_eq!(juergen["comment"], "=1+2", "stored as given");
    let anna = member_by_email(&app, &org, "anna@acme.de").await.unwrap();
    assert_eq!(
        (anna["role"].as_str(), anna["comment"].as_str()),
        (Some("reader"), Some("Teilzeit; Vertrieb"))
    );
    let in_team = app.get(&org, &format!("/members?team={team_id}")).await.expect(200);
    assert_eq!(in_team.body["items"][0]["email"], "juergen@acme.de");
    let seats = app.get(&org, "/seats").await.expect(200);
    assert!(
        seats.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["used"].as_i64().unwrap() <= 1),
        "added members hold no seat"
    );
}

#[tokio::test]
async fn utf16_tab_separated_text_from_excel_is_read() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let text = "Prénom\tNom\tCourriel\r\nHélène\tLefèvre\thelene@acme.fr\r\n";
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(|u| u.to_le_bytes()));
    let upload = app.upload(&org, "unicode.txt", bytes).await.expect(201);
    assert_eq!(upload.body["detected"]["encoding"], "utf16_le");
    assert_eq!(upload.body["detected"]["delimiter"], "\t");
    app.apply_import(&org, upload.id(), json!({})).await;
    assert_eq!(
        member_by_email(&app, &org, "helene@acme.fr").await.unwrap()["last_name"],
        "Lefèvre"
    );
}

#[tokio::test]
async fn bad_rows_are_reported_with_line_column_and_reason_and_the_rest_applied() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    app.add_member(&org, "Alt", "Bestand", "taken@acme.de").await;
    let csv = "firstname,lastname,email,teamid,role\n\
               Good,Row,good@acme.de,,\n\
               ,NoFirst,nofirst@acme.de,,\n\
               Dup,One,DUP@acme.de,,\n\
               Dup,Two,dup@acme.de,,\n\
               Team,Less,team@acme.de,NOPE,\n\
               Own,Er,own@acme.de,,account_owner\n\
               Upd,Ated,taken@acme.de,,\n";
    let id = app
        .upload(&org, "x.csv", csv.as_bytes().to_vec())
        .await
        .expect(201)
        .id();
    let preview = app
        .post(&org, &format!("/imports/{id}/preview"), json!({}))
        .await
        .expect(200);
    let rows = preview.body["rows"].as_array().unwrap();
    let action = |line: u64| {
        rows.iter().find(|r| r["line"] == line).unwrap()["action"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let codes = |line: u64| -> Vec<String> {
        rows.iter().find(|r| r["line"] == line).unwrap()["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["code"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(action(2), "create");
    assert_eq!(codes(3), vec!["required"]);
    assert_eq!(
        codes(4),
        vec!["duplicate_in_file"],
        "both rows of a duplicate are named"
    );
    assert_eq!(codes(5), vec!["duplicate_in_file"]);
    assert_eq!(codes(6), vec!["unknown_team"]);
    assert_eq!(codes(7), vec!["role_not_allowed"]);
    assert_eq!(action(8), "update");
    let first_error = &rows.iter().find(|r| r["line"] == 3).unwrap()["errors"][0];
    assert_eq!(first_error["column"], "firstname");

    let done = app.apply_import(&org, id, json!({})).await;
    assert_eq!(
        done["summary"],
        json!({"rows": 7, "created": 1, "updated": 1, "unchanged": 0, "error": 5, "all_or_nothing": false, "failure": null, "committed": 0, "undone": null})
    );
    assert_eq!(
        member_by_email(&app, &org, "taken@acme.de").await.unwrap()["first_name"],
        "Upd"
    );

    let report = app.download(&org, &format!("/imports/{id}/report.csv")).await;
    assert_eq!(
        report.headers()["content-disposition"],
        format!("attachment; filename=\"import-{id}-report.csv\"").as_str()
    );
    let text = report.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "\u{feff}firstname,lastname,email,teamid,role,status,reason");
    assert_eq!(lines[1], "Good,Row,good@acme.de,,,created,");
    assert!(lines[2].ends_with(",error,firstname: is required"), "{}", lines[2]);
    assert!(lines[3].contains("the same e-mail as line 5"), "{}", lines[3]);

    // Only the rows not imported: the file to fix and upload again.
    let failed = app
        .download(&org, &format!("/imports/{id}/report.csv?errors=true"))
        .await;
    assert_eq!(
        failed.headers()["content-disposition"],
        format!("attachment; filename=\"import-{id}-failed-rows.csv\"").as_str()
    );
    let text = failed.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1 + 5, "the header and the five rows with errors: {text}");
    assert!(lines[1..].iter().all(|l| l.contains(",error,")), "{text}");
    assert!(lines[1].ends_with(",error,firstname: is required"), "{text}");
}

#[tokio::test]
async fn all_or_nothing_applies_nothing_when_a_row_is_bad() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let csv = "firstname,lastname,email\nA,B,a@acme.de\nC,D,not-an-email\n";
    let id = app
        .upload(&org, "x.csv", csv.as_bytes().to_vec())
        .await
        .expect(201)
        .id();
    let done = app.apply_import(&org, id, json!({"all_or_nothing": true})).await;
    assert_eq!(done["status"], "failed");
    assert!(member_by_email(&app, &org, "a@acme.de").await.is_none());
}

#[tokio::test]
async fn existing_members_can_be_left_alone() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    app.add_member(&org, "Old", "Name", "x@acme.de").await;
    let id = app
        .upload(
            &org,
            "x.csv",
            b"firstname,lastname,email\nNew,Name,x@acme.de\n".to_vec(),
        )
        .await
        .expect(201)
        .id();
    // Before applying, the report is the preview, with the preview's options.
    let report = |query: &'static str| {
        let (app, org, path) = (&app, &org, format!("/imports/{id}/report.csv{query}"));
        async move {
            let res = app.download(org, &path).await;
            (res.status().as_u16(), res.text().await.unwrap())
        }
    };
    let (status, skipping) = report("?existing=skip").await;
    assert_eq!(status, 200);
    assert!(skipping.contains("New,Name,x@acme.de,unchanged,"), "{skipping}");
    let (_, updating) = report("").await;
    assert!(updating.contains("New,Name,x@acme.de,update,"), "{updating}");
    let (status, refused) = report("?existing=sometimes").await;
    assert_eq!(status, 422, "{refused}");
    assert!(refused.contains("invalid_query"), "{refused}");

    let done = app.apply_import(&org, id, json!({"existing": "skip"})).await;
    assert_eq!(done["summary"]["unchanged"], 1);
    assert_eq!(
        member_by_email(&app, &org, "x@acme.de").await.unwrap()["first_name"],
        "Old"
    );
}

#[tokio::test]
async fn files_that_are_not_tables_are_refused_whole() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    for (name, bytes, why) in [
        ("x.csv", b"\x89PNG\r\n\x1a\n".to_vec(), "PNG"),
        ("x.csv", b"PK\x03\x04 word/document.xml".to_vec(), "zip archive"),
        (
            "x.xlsm",
            b"PK\x03\x04 xl/workbook.xml xl/vbaProject.bin".to_vec(),
            "macros",
        ),
        (
            "x.xlsx",
            vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1],
            "encrypted",
        ),
        ("x.csv", Vec::new(), "empty"),
    ] {
        let res = app.upload(&org, name, bytes).await.expect(422);
        assert_eq!(res.error_code(), "file_refused");
        assert!(
            res.body["error"]["message"].as_str().unwrap().contains(why),
            "{}",
            res.body
        );
    }
    let list = app.get(&org, "/imports").await.expect(200);
    assert!(list.body["items"].as_array().unwrap().is_empty(), "nothing was stored");
}

/// A file over the upload limit (100 MB) is refused with 413 and a message
/// naming the limit — as JSON in the API, on the import page in the
/// console — and nothing is stored.
#[tokio::test]
async fn a_file_over_the_upload_limit_is_refused_naming_the_limit() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    app.member_with_login(&org, "Ada", "ada@acme.de", "admin").await;
    let mut huge = b"email\n".to_vec();
    huge.resize(100 * 1024 * 1024 + 1, b'a');
    let res = app.upload(&org, "huge.csv", huge.clone()).await.expect(413);
    assert_eq!(res.error_code(), "file_too_large");
    assert!(
        res.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("larger than 100 MB"),
        "{}",
        res.body
    );

    let cookie = app.console_sign_in("ada@acme.de").await;
    let html = app.console_html(&cookie, "/o/acme/imports").await;
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let boundary = "roster-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"huge.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&huge);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let res = app
        .client
        .post(format!("{}/o/acme/imports", app.base))
        .header("cookie", &cookie)
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    let page = res.text().await.unwrap();
    assert!(page.contains("huge.csv: the file is larger than 100 MB"), "{page}");
    let list = app.get(&org, "/imports").await.expect(200);
    assert!(list.body["items"].as_array().unwrap().is_empty(), "nothing was stored");
}

#[tokio::test]
async fn a_file_over_the_row_limit_is_refused_naming_the_limit() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    app.patch(&org, "", json!({"import_row_limit": 2})).await.expect(200);
    let res = app
        .upload(&org, "x.csv", b"email\na@x.de\nb@x.de\nc@x.de\n".to_vec())
        .await
        .expect(422);
    assert!(
        res.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("at most 2 rows"),
        "{}",
        res.body
    );
}

#[tokio::test]
async fn the_mapping_can_skip_a_column_and_unmapped_columns_are_reported() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let up = app
        .upload(
            &org,
            "x.csv",
            b"firstname,lastname,email,comment,org_id\nA,B,a@acme.de,secret,999\n".to_vec(),
        )
        .await
        .expect(201);
    let id = up.id();
    let mut columns = up.body["mapping"]["columns"].as_array().unwrap().clone();
    assert_eq!(columns[4]["target"], "skip", "an org_id column is never mapped");
    columns[3]["target"] = json!("skip");
    app.call(
        reqwest::Method::PUT,
        &format!("/api/v1/orgs/acme/imports/{id}/mapping"),
        &org.token,
        Some(json!({"columns": columns})),
    )
    .await
    .expect(200);
    let preview = app
        .post(&org, &format!("/imports/{id}/preview"), json!({}))
        .await
        .expect(200);
    assert_eq!(preview.body["unmapped"], json!(["comment", "org_id"]));
    app.apply_import(&org, id, json!({})).await;
    assert_eq!(member_by_email(&app, &org, "a@acme.de").await.unwrap()["comment"], "");
}

#[tokio::test]
async fn an_importer_cannot_grant_a_role_above_their_own() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    app.post(&org, "/roles", json!({"key": "importer", "name": "Importer", "permissions": ["org.read", "members.import", "members.manage", "members.read", "roles.manage"]})).await.expect(201);
    let importer = TestOrg {
        token: app.token("acme", "custom:importer").await,
        ..org.clone()
    };
    let id = app
        .upload(
            &importer,
            "x.csv",
            b"email,firstname,lastname,role\na@acme.de,A,B,admin\nb@acme.de,C,D,reader\n".to_vec(),
        )
        .await
        .expect(201)
        .id();
    let preview = app
        .post(&importer, &format!("/imports/{id}/preview"), json!({}))
        .await
        .expect(200);
    assert_eq!(preview.body["rows"][0]["errors"][0]["code"], "role_not_allowed");
    assert_eq!(preview.body["rows"][1]["action"], "create");
}

#[tokio::test]
async fn undo_removes_created_members_restores_changed_ones_and_keeps_edited_ones() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let existing = app.add_member(&org, "Vorher", "Name", "old@acme.de").await;
    let csv = "firstname,lastname,email\nNachher,Name,old@acme.de\nNeu,Eins,new1@acme.de\nNeu,Zwei,new2@acme.de\n";
    let id = app
        .upload(&org, "x.csv", csv.as_bytes().to_vec())
        .await
        .expect(201)
        .id();
    app.apply_import(&org, id, json!({})).await;
    let edited = member_by_email(&app, &org, "new2@acme.de").await.unwrap()["id"]
        .as_i64()
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    app.patch(
        &org,
        &format!("/members/{edited}"),
        json!({"comment": "edited by hand"}),
    )
    .await
    .expect(200);
    let undo = app
        .post(&org, &format!("/imports/{id}/undo"), json!({}))
        .await
        .expect(200);
    assert_eq!(
        (undo.body["removed"].as_i64(), undo.body["restored"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(undo.body["kept"][0]["member_id"], edited);
    assert_eq!(undo.body["kept"][0]["reason"], "was edited after the import");
    assert!(member_by_email(&app, &org, "new1@acme.de").await.is_none());
    assert_eq!(
        app.get(&org, &format!("/members/{existing}")).await.expect(200).body["first_name"],
        "Vorher"
    );
    app.post(&org, &format!("/imports/{id}/undo"), json!({}))
        .await
        .expect(409);
}

#[tokio::test]
async fn a_saved_mapping_maps_the_next_file_with_the_same_headers() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    app.add_number_field(&org, "shoe", "Schuhgröße").await;
    let csv = b"Name 1,Name 2,Mail,Schuh,Intern\nA,B,a@acme.de,42,x\n".to_vec();
    let first = app.upload(&org, "hr-export.csv", csv.clone()).await.expect(201);
    let mut columns = first.body["mapping"]["columns"].as_array().unwrap().clone();
    for (i, target) in [
        json!("first_name"),
        json!("last_name"),
        json!("email"),
        json!({"custom": "shoe"}),
        json!("skip"),
    ]
    .into_iter()
    .enumerate()
    {
        columns[i]["target"] = target;
    }
    app.call(
        reqwest::Method::PUT,
        &format!("/api/v1/orgs/acme/imports/{}/mapping", first.id()),
        &org.token,
        Some(json!({"columns": columns})),
    )
    .await
    .expect(200);
    app.post(
        &org,
        &format!("/imports/{}/mapping/save", first.id()),
        json!({"name": "HR export"}),
    )
    .await
    .expect(200);
    let listed = app.get(&org, "/import-mappings").await.expect(200);
    assert_eq!(listed.body["items"][0]["name"], "HR export");

    let second = app.upload(&org, "hr-export-2.csv", csv).await.expect(201);
    let used = app
        .post(
            &org,
            &format!("/imports/{}/mapping/use", second.id()),
            json!({"name": "HR export"}),
        )
        .await
        .expect(200);
    let targets: Vec<Value> = used.body["mapping"]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["target"].clone())
        .collect();
    assert_eq!(
        targets,
        vec![
            json!("first_name"),
            json!("last_name"),
            json!("email"),
            json!({"custom": "shoe"}),
            json!("skip")
        ]
    );
    let preview = app
        .post(&org, &format!("/imports/{}/preview", second.id()), json!({}))
        .await
        .expect(200);
    assert_eq!(preview.body["totals"]["create"], 1);
}

#[tokio::test]
async fn survey_monkey_division_columns_set_the_team_and_the_divisions_an_admin_runs() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let sales = app
        .post(
            &org,
            "/teams",
            json!({"name": "Vertrieb", "is_division": true, "external_key": "Sales"}),
        )
        .await
        .expect(201)
        .id();
    app.post(&org, "/teams", json!({"name": "Plain", "external_key": "Plain"}))
        .await
        .expect(201);
    let csv = "First name,Last name,Email,Role,Division (User),Division (Admin)\n\
               Dana,Admin,dana@acme.de,Division Admin,Sales,Sales\n\
               Nils,Normal,nils@acme.de,normal,Sales,\n\
               Pia,Plain,pia@acme.de,casual,Sales,Plain\n";
    let id = app
        .upload(&org, "surveymonkey.csv", csv.as_bytes().to_vec())
        .await
        .expect(201)
        .id();
    let preview = app
        .post(&org, &format!("/imports/{id}/preview"), json!({}))
        .await
        .expect(200);
    let rows = preview.body["rows"].as_array().unwrap();
    assert_eq!(
        rows[2]["errors"][0]["code"], "invalid_division",
        "Plain is a team, not a division"
    );
    app.apply_import(&org, id, json!({})).await;
    let dana = member_by_email(&app, &org, "dana@acme.de").await.unwrap();
    assert_eq!(dana["role"], "division_admin");
    let nils = member_by_email(&app, &org, "nils@acme.de").await.unwrap();
    assert_eq!(
        (nils["role"].as_str(), nils["seat_type"].as_str()),
        (Some("reader"), Some("power"))
    );
    let team = app.get(&org, &format!("/teams/{sales}")).await.expect(200);
    assert_eq!(team.body["division_admins"], json!([dana["id"]]));
    assert_eq!(team.body["member_count"], 2);
}

#[tokio::test]
async fn an_import_job_that_runs_again_after_its_work_was_committed_changes_nothing() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let id = app
        .upload(&org, "x.csv", b"firstname,lastname,email\nA,B,a@acme.de\n".to_vec())
        .await
        .expect(201)
        .id();
    let done = app.apply_import(&org, id, json!({})).await;
    assert_eq!(done["summary"]["created"], 1);
    // The worker died after committing, before marking its job done: the job is claimable again.
    let job = done["job_id"].as_i64().unwrap();
    let mut conn = app.service.store().conn().await.unwrap();
    roster_store::sqlx::query(
        "UPDATE jobs SET status = 'running', lease_token = 'dead', lease_expires_at = 0, attempts = 1 WHERE id = $1",
    )
    .bind(job)
    .execute(conn.raw())
    .await
    .unwrap();
    drop(conn);
    for _ in 0..200 {
        let mut conn = app.service.store().conn().await.unwrap();
        let j = roster_store::job_by_id(&mut conn, job).await.unwrap().unwrap();
        if j.status != roster_domain::JobStatus::Running {
            assert_eq!(j.status, roster_domain::JobStatus::Succeeded, "{j:?}");
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let again = app.get(&org, &format!("/imports/{id}")).await.expect(200);
    assert_eq!(again.body["status"], "applied");
    let members = app.get(&org, "/members?q=a@acme").await.expect(200);
    assert_eq!(
        members.body["items"].as_array().unwrap().len(),
        1,
        "no duplicate member after the rerun"
    );
}

/// A fault no check foresees fails every attempt of the job (here the
/// database refuses one row). Once its attempts are used up, the import
/// reads as failed with the reason, everywhere: before, it said "applying"
/// for ever, the console's progress bar never ended and `roster import`
/// waited without end.
#[tokio::test]
async fn an_import_whose_job_gives_up_is_failed_with_its_reason_and_changed_nothing() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    app.db.refuse_member("boom@acme.de").await;
    // Three chunks of rows, the refused row in the first: the writer fails
    // while the rows after it are being planned, and planning stops too.
    let mut csv = String::from("firstname,lastname,email\nAnna,Gut,anna@acme.de\nBernd,Bumm,boom@acme.de\n");
    for n in 0..2500 {
        csv.push_str(&format!("Viele,Leute,leute{n}@acme.de\n"));
    }
    let id = app.upload(&org, "boom.csv", csv.into_bytes()).await.expect(201).id();
    app.post(&org, &format!("/imports/{id}/apply"), json!({}))
        .await
        .expect(202);
    // Three attempts, 2 s and 4 s apart.
    let mut import = Value::Null;
    for _ in 0..300 {
        import = app.get(&org, &format!("/imports/{id}")).await.expect(200).body;
        if import["status"] != "applying" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(import["status"], "failed", "{import}");
    assert_eq!(
        import["summary"]["failure"],
        "applying stopped, nothing was imported: internal error"
    );
    assert!(member_by_email(&app, &org, "anna@acme.de").await.is_none());

    app.member_with_login(&org, "Ada", "ada@acme.de", "admin").await;
    let cookie = app.console_sign_in("ada@acme.de").await;
    let page = app.console_html(&cookie, &format!("/o/acme/imports/{id}")).await;
    assert!(!page.contains("Applying…"), "{page}");
    assert!(page.contains("applying stopped, nothing was imported"), "{page}");
    let history = app.console_html(&cookie, "/o/acme/imports").await;
    assert!(history.contains("applying stopped, nothing was imported"), "{history}");
}

#[tokio::test]
async fn an_uploaded_files_name_is_never_a_path_or_a_header() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let res = app
        .upload_with(
            &org,
            "file_name=..%2F..%2Fetc%2Fpasswd%0D%0AX-Evil%3A%201.csv",
            b"firstname,lastname,email\nA,B,a@acme.example\n".to_vec(),
        )
        .await
        .expect(201);
    assert_eq!(
        res.body["file_name"], "../../etc/passwdX-Evil: 1.csv",
        "shown as one line, stored by id"
    );
    let id = res.id();
    let report = app.download(&org, &format!("/imports/{id}/report.csv")).await;
    assert_eq!(
        report.headers()["content-disposition"],
        format!("attachment; filename=\"import-{id}-report.csv\"").as_str(),
        "a generated name (RFC 6266), never the uploaded one"
    );
}
