//! Files as people really have them: SurveyMonkey's own template with one
//! name column, comments written over several lines, an unclosed quote, a
//! UTF-8 file with a few bad bytes; members of another company; an
//! organization whose members come from its identity provider.

use serde_json::json;

use crate::helpers::{spawn_app, TestApp, TestOrg};

fn rows(preview: &serde_json::Value) -> Vec<serde_json::Value> {
    preview["rows"].as_array().unwrap().clone()
}

async fn member_by_email(app: &TestApp, org: &TestOrg, email: &str) -> serde_json::Value {
    let page = app.get(org, &format!("/members?q={email}")).await.expect(200);
    page.body["items"][0].clone()
}

#[tokio::test]
async fn survey_monkeys_template_imports_its_single_name_column_split_and_says_which_names_it_cannot_split() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    app.post(
        &org,
        "/teams",
        json!({"name": "Vertrieb", "external_key": "sales", "is_division": true}),
    )
    .await
    .expect(201);
    let file = "Benutzername/Username,E-Mail,Rolle,Bereich (Benutzer),Bereich (Administrator)\n\
                Anna Müller,anna@acme.example,normal,sales,\n\
                \"van Beethoven, Ludwig\",ludwig@acme.example,Casual,,\n\
                bernd,bernd@acme.example,,,\n";
    let (id, preview) = app
        .upload_and_preview(&org, "surveymonkey.csv", file.as_bytes().to_vec())
        .await;
    let rows = rows(&preview);
    assert_eq!(rows[0]["action"], "create");
    assert_eq!(
        rows[0]["split_name"],
        json!({"first_name": "Anna", "last_name": "Müller"})
    );
    assert_eq!(
        rows[1]["split_name"],
        json!({"first_name": "Ludwig", "last_name": "van Beethoven"})
    );
    assert_eq!(rows[2]["action"], "error");
    assert_eq!(rows[2]["errors"][0]["code"], "unsplittable_name");
    assert_eq!(rows[2]["errors"][0]["column"], "Benutzername/Username");
    assert!(rows[2]["errors"][0]["message"].as_str().unwrap().contains("one word"));
    app.apply_import(&org, id, json!({})).await;
    let anna = member_by_email(&app, &org, "anna@acme.example").await;
    assert_eq!(
        (anna["first_name"].as_str(), anna["last_name"].as_str()),
        (Some("Anna"), Some("Müller"))
    );
    assert_eq!(anna["seat_type"], "power", "SurveyMonkey's 'normal' is a power seat");
    let anna = app.get(&org, &format!("/members/{}", anna["id"])).await.expect(200);
    assert_eq!(anna.body["teams"][0]["name"], "Vertrieb");
    let ludwig = member_by_email(&app, &org, "ludwig@acme.example").await;
    assert_eq!(ludwig["seat_type"], "casual");
}

#[tokio::test]
async fn a_comment_over_several_lines_keeps_them_and_a_name_never_does() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let file = "firstname,lastname,email,comment,skills\r\n\
                Anna,Müller,anna@acme.example,\"Teamleitung\r\nseit März\",\"Rust\nSQL\"\r\n\
                \"Bert\u{2028}Evil\",Brot,bert@acme.example,x,\r\n\
                Zoë\u{200B},Zero,zoe@acme.example,,\r\n";
    let (id, preview) = app
        .upload_and_preview(&org, "multiline.csv", file.as_bytes().to_vec())
        .await;
    let rows = rows(&preview);
    assert_eq!(rows[0]["action"], "create", "{}", rows[0]);
    for bad in &rows[1..] {
        assert_eq!(bad["action"], "error", "{bad}");
        assert_eq!(bad["errors"][0]["code"], "forbidden_character", "{bad}");
    }
    app.apply_import(&org, id, json!({})).await;
    let anna = member_by_email(&app, &org, "anna@acme.example").await;
    assert_eq!(anna["comment"], "Teamleitung\nseit März");
    assert_eq!(anna["skills"], "Rust\nSQL");
    // The API keeps them as well; a name refuses one.
    let id = anna["id"].as_i64().unwrap();
    let res = app
        .patch(
            &org,
            &format!("/members/{id}"),
            json!({"location": "Köln\r\nEhrenfeld"}),
        )
        .await
        .expect(200);
    assert_eq!(res.body["location"], "Köln\nEhrenfeld");
    let res = app
        .patch(&org, &format!("/members/{id}"), json!({"first_name": "An\nna"}))
        .await
        .expect(422);
    assert_eq!(res.error_field(), "first_name");
}

#[tokio::test]
async fn an_unclosed_quote_is_one_row_naming_its_line_and_bad_bytes_are_named_by_line() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let file = "firstname,lastname,email,comment\n\
                Anna,Müller,anna@acme.example,ok\n\
                Bert,Brot,bert@acme.example,\"nie geschlossen\n\
                Carl,Clausen,carl@acme.example,ok\n";
    let (_, preview) = app
        .upload_and_preview(&org, "quote.csv", file.as_bytes().to_vec())
        .await;
    let quoted = rows(&preview);
    let lines: Vec<(i64, &str)> = quoted
        .iter()
        .map(|r| (r["line"].as_i64().unwrap(), r["action"].as_str().unwrap()))
        .collect();
    assert_eq!(
        lines,
        vec![(2, "create"), (3, "error"), (4, "create")],
        "the rest of the file is read"
    );
    let why = quoted[1]["errors"][0]["message"].as_str().unwrap();
    assert!(why.contains("opens on line 3 and is never closed"), "{why}");

    // UTF-8 but for one byte of Windows-1252 on line 3.
    let mut bytes = "firstname,lastname,email\nJürgen,Müller,j@acme.example\nBernd,Brot,b@acme.example\nZoë,Ørsted,z@acme.example\n"
        .as_bytes()
        .to_vec();
    let at = bytes.windows(5).position(|w| w == b"Bernd").unwrap() + 1;
    bytes[at] = 0xE9;
    let upload = app.upload(&org, "mixed.csv", bytes).await.expect(201);
    assert_eq!(upload.body["detected"]["encoding"], "utf8", "not read as Windows-1252");
    assert_eq!(upload.body["detected"]["bad_lines"], json!([3]));
    let preview = app
        .post(&org, &format!("/imports/{}/preview", upload.id()), json!({}))
        .await
        .expect(200);
    let mixed = rows(&preview.body);
    assert_eq!(mixed[0]["action"], "create");
    assert_eq!(mixed[1]["errors"][0]["code"], "unreadable_row");
    assert!(mixed[1]["errors"][0]["message"]
        .as_str()
        .unwrap()
        .starts_with("line 3 holds bytes"));
    assert_eq!(mixed[2]["action"], "create");
}

#[tokio::test]
async fn a_removed_member_of_another_company_is_restored_by_a_row_but_keeps_their_profile() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let guest = app
        .post(
            &org,
            "/members",
            json!({"first_name": "Gast", "last_name": "Partner", "email": "gast@partner.example", "external": true, "department": "Partner AG"}),
        )
        .await
        .expect(201)
        .id();
    app.delete(&org, &format!("/members/{guest}")).await.expect(200);
    let file = "firstname,lastname,email,department\nÜber,Schrieben,gast@partner.example,Unsere Abteilung\n";
    let (id, preview) = app
        .upload_and_preview(&org, "guests.csv", file.as_bytes().to_vec())
        .await;
    assert_eq!(rows(&preview)[0]["action"], "update");
    app.apply_import(&org, id, json!({})).await;
    let guest = app.get(&org, &format!("/members/{guest}")).await.expect(200);
    assert_eq!(guest.body["status"], "added", "the membership is back");
    assert_eq!(
        (guest.body["first_name"].as_str(), guest.body["department"].as_str()),
        (Some("Gast"), Some("Partner AG")),
        "the shared profile is not overwritten (HOSTILE 10)"
    );
}

#[tokio::test]
async fn members_managed_by_the_identity_provider_are_updated_by_import_but_never_added() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let anna = app.add_member(&org, "Anna", "Müller", "anna@acme.example").await;
    app.patch(&org, "", json!({"managed_by_identity_provider": true}))
        .await
        .expect(200);
    let file = "firstname,lastname,email,comment\n\
                Anna,Müller,anna@acme.example,aus dem Import\n\
                Neu,Person,neu@acme.example,\n";
    let (id, preview) = app.upload_and_preview(&org, "idp.csv", file.as_bytes().to_vec()).await;
    let rows = rows(&preview);
    assert_eq!(rows[0]["action"], "update");
    assert_eq!(rows[1]["action"], "error");
    assert_eq!(rows[1]["errors"][0]["code"], "managed_by_identity_provider");
    assert!(rows[1]["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("identity provider"));
    app.apply_import(&org, id, json!({})).await;
    let anna = app.get(&org, &format!("/members/{anna}")).await.expect(200);
    assert_eq!(anna.body["comment"], "aus dem Import");
    let res = app
        .post(
            &org,
            "/members",
            json!({"first_name": "Hand", "last_name": "Made", "email": "hand@acme.example"}),
        )
        .await
        .expect(409);
    assert_eq!(res.error_code(), "managed_by_identity_provider");
    // The console's form says the same.
    let cookie = app.console_sign_in("owner@acme.example").await;
    let page = app.console_html(&cookie, "/o/acme/members/new").await;
    let res = app
        .console_post(
            &cookie,
            &page,
            "/o/acme/members/new",
            &[
                ("first_name", "Hand"),
                ("last_name", "Made"),
                ("email", "hand@acme.example"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("identity provider"));
}
