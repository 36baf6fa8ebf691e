use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn adding_a_member_returns_it_with_status_added_and_personal_id_from_the_email() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let res = app
        .post(
            &org,
            "/members",
            json!({"first_name": "Jürgen", "last_name": "Weiß", "email": " Juergen.Weiss@Example.DE "}),
        )
        .await
        .expect(201);
    assert_eq!(res.body["status"], "added");
    assert_eq!(res.body["role"], "reader");
    assert_eq!(res.body["email"], "Juergen.Weiss@Example.DE");
    assert_eq!(res.body["personal_id"], "Juergen.Weiss@Example.DE");
    let id = res.id();
    let shown = app.get(&org, &format!("/members/{id}")).await.expect(200);
    assert_eq!(shown.body["last_name"], "Weiß");
    assert_eq!(shown.body["status_history"][0]["to_status"], "added");
    assert_eq!(app.audit(&org, "member.create").await.len(), 1);
}

#[tokio::test]
async fn an_invalid_email_is_a_422_naming_the_field_and_changes_nothing() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let res = app
        .post(
            &org,
            "/members",
            json!({"first_name": "A", "last_name": "B", "email": "not-an-address"}),
        )
        .await
        .expect(422);
    assert_eq!(res.error_field(), "email");
    assert_eq!(res.error_code(), "invalid_email");
    let list = app.get(&org, "/members").await.expect(200);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1, "only the owner");
}

#[tokio::test]
async fn a_duplicate_email_differing_in_case_or_unicode_form_is_a_409_on_email() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    app.add_member(&org, "Jürgen", "Müller", "j\u{00FC}rgen@example.de")
        .await;
    for dup in ["J\u{00DC}RGEN@example.de", "ju\u{0308}rgen@example.de"] {
        let res = app
            .post(
                &org,
                "/members",
                json!({"first_name": "X", "last_name": "Y", "email": dup}),
            )
            .await
            .expect(409);
        assert_eq!(res.error_field(), "email", "{dup}");
    }
}

#[tokio::test]
async fn line_breaks_nul_and_bidi_controls_are_refused_in_names() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    for bad in ["Anna\r\nBcc: x@y.de", "An\0na", "Anna\u{202E}"] {
        let res = app
            .post(
                &org,
                "/members",
                json!({"first_name": bad, "last_name": "B", "email": "a@b.de"}),
            )
            .await
            .expect(422);
        assert_eq!(
            (res.error_field(), res.error_code()),
            ("first_name", "forbidden_character")
        );
    }
}

#[tokio::test]
async fn unknown_fields_in_a_request_are_refused() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let res = app
        .post(
            &org,
            "/members",
            json!({"first_name": "A", "last_name": "B", "email": "a@b.de", "org_id": 999}),
        )
        .await
        .expect(422);
    assert_eq!(res.error_code(), "invalid_body");
}

#[tokio::test]
async fn cursor_pages_walk_every_member_once_in_name_order() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    for i in 0..23 {
        app.add_member(
            &org,
            &format!("F{i:02}"),
            &format!("L{:02}", 22 - i),
            &format!("m{i}@x.de"),
        )
        .await;
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/members?limit=5&cursor={c}"),
            None => "/members?limit=5".into(),
        };
        let page = app.get(&org, &path).await.expect(200);
        for m in page.body["items"].as_array().unwrap() {
            seen.push(m["last_name"].as_str().unwrap().to_owned());
        }
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 24);
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted);
    let desc = app.get(&org, "/members?sort=-email&limit=1").await.expect(200);
    assert_eq!(desc.body["items"][0]["email"], "owner@acme.example");
}

#[tokio::test]
async fn a_cursor_that_was_not_issued_names_no_page() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    // Not what a cursor looks like: the query breaks the document's rule.
    let res = app.get(&org, "/members?cursor=zz").await.expect(404);
    assert_eq!((res.error_code(), res.error_field()), ("invalid_cursor", "cursor"));
    // Looks like one, but was never given: no such page.
    let res = app.get(&org, "/members?cursor=7b7d").await.expect(404);
    assert_eq!(res.error_code(), "invalid_cursor");
    // An empty cursor is none: the first page.
    app.get(&org, "/members?cursor=").await.expect(200);
}

#[tokio::test]
async fn search_finds_substrings_of_names_email_personal_id_and_comment() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let anna = app
        .add_member(&org, "Anna", "Müller-Lüdenscheidt", "anna@firma.de")
        .await;
    app.patch(
        &org,
        &format!("/members/{anna}"),
        json!({"comment": "Werkstudentin", "personal_id": "P-4711"}),
    )
    .await
    .expect(200);
    app.add_member(&org, "Bert", "Schmidt", "bert@firma.de").await;
    for q in ["lüdens", "LÜDENS", "anna@fir", "4711", "studentin", "ül"] {
        let res = app.get(&org, &format!("/members?q={}", urlencode(q))).await.expect(200);
        let names: Vec<_> = res.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["first_name"].clone())
            .collect();
        assert_eq!(names, vec![json!("Anna")], "query {q:?}");
    }
    let none = app.get(&org, "/members?q=%25").await.expect(200);
    assert!(
        none.body["items"].as_array().unwrap().is_empty(),
        "% is matched literally"
    );
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn filters_narrow_the_list_by_status_role_seat_comment_team_and_external() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let a = app.post(&org, "/members", json!({"first_name": "A", "last_name": "A", "email": "a@x.de", "role": "collaborator", "comment": "Neu", "seat_type": "casual", "external": true})).await.expect(201).id();
    let b = app.add_member(&org, "B", "B", "b@x.de").await;
    let team = app
        .post(&org, "/teams", json!({"name": "Vertrieb"}))
        .await
        .expect(201)
        .id();
    app.post(&org, &format!("/teams/{team}/members"), json!({"member_id": b}))
        .await
        .expect(200);
    let ids = |res: crate::helpers::Response| -> Vec<i64> {
        res.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(
        ids(app.get(&org, "/members?role=collaborator").await.expect(200)),
        vec![a]
    );
    assert_eq!(ids(app.get(&org, "/members?comment=Neu").await.expect(200)), vec![a]);
    assert_eq!(
        ids(app.get(&org, "/members?seat_type=casual").await.expect(200)),
        vec![a]
    );
    assert_eq!(ids(app.get(&org, "/members?external=true").await.expect(200)), vec![a]);
    assert_eq!(
        ids(app.get(&org, &format!("/members?team={team}")).await.expect(200)),
        vec![b]
    );
    assert_eq!(
        ids(app.get(&org, "/members?status=added&sort=email").await.expect(200)),
        vec![a, b]
    );
    app.get(&org, "/members?status=nonsense").await.expect(422);
}

#[tokio::test]
async fn updating_a_member_changes_only_the_given_fields_and_is_audited() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let id = app.add_member(&org, "Anna", "Alt", "anna@x.de").await;
    let res = app
        .patch(
            &org,
            &format!("/members/{id}"),
            json!({"last_name": "Neu", "email": "anna.neu@x.de"}),
        )
        .await
        .expect(200);
    assert_eq!(res.body["first_name"], "Anna");
    assert_eq!(res.body["last_name"], "Neu");
    assert_eq!(
        res.body["personal_id"], "anna.neu@x.de",
        "the default personal id follows the e-mail"
    );
    let audit = app.audit(&org, "member.update").await;
    assert_eq!(audit[0]["details"]["last_name"]["from"], "Alt");
}

#[tokio::test]
async fn custom_field_values_are_checked_against_the_field() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    app.post(
        &org,
        "/custom-fields",
        json!({"key": "office", "label": "Standort", "kind": "choice", "choices": ["Köln", "Berlin"]}),
    )
    .await
    .expect(201);
    let bad = app
        .post(
            &org,
            "/members",
            json!({"first_name": "A", "last_name": "B", "email": "a@x.de", "custom_fields": {"office": "Hamburg"}}),
        )
        .await
        .expect(422);
    assert_eq!(bad.error_field(), "custom_fields.office");
    let ok = app
        .post(
            &org,
            "/members",
            json!({"first_name": "A", "last_name": "B", "email": "a@x.de", "custom_fields": {"office": "köln"}}),
        )
        .await
        .expect(201);
    assert_eq!(ok.body["custom_fields"]["office"], "Köln");
    app.post(
        &org,
        "/custom-fields",
        json!({"key": "email", "label": "E", "kind": "text"}),
    )
    .await
    .expect(422);
}

#[tokio::test]
async fn removing_a_member_hands_their_content_to_the_chosen_member() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let leaver = app.add_member(&org, "Lea", "Geht", "lea@x.de").await;
    let heir = app.add_member(&org, "Hans", "Bleibt", "hans@x.de").await;
    app.post(
        &org,
        "/content-items",
        json!({"owner_member_id": leaver, "kind": "survey", "external_ref": "s-1", "title": "Umfrage"}),
    )
    .await
    .expect(201);
    let removed = app
        .delete(&org, &format!("/members/{leaver}?transfer_to={heir}"))
        .await
        .expect(200);
    assert_eq!(removed.body["status"], "removed");
    let heir_detail = app.get(&org, &format!("/members/{heir}")).await.expect(200);
    assert_eq!(heir_detail.body["content_items"][0]["title"], "Umfrage");
    // A removed member receives nothing: the organization's state refuses it.
    app.delete(&org, &format!("/members/{heir}?transfer_to={leaver}"))
        .await
        .expect(409);
}

#[tokio::test]
async fn re_adding_a_removed_email_restores_the_membership_and_its_content() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let id = app.add_member(&org, "Lea", "Geht", "lea@x.de").await;
    app.post(
        &org,
        "/content-items",
        json!({"owner_member_id": id, "kind": "report", "external_ref": "r-9", "title": "Bericht"}),
    )
    .await
    .expect(201);
    app.delete(&org, &format!("/members/{id}")).await.expect(200);
    let back = app
        .post(
            &org,
            "/members",
            json!({"first_name": "Lea", "last_name": "Kommt", "email": "LEA@x.de"}),
        )
        .await
        .expect(201);
    assert_eq!(back.id(), id);
    assert_eq!(back.body["status"], "added");
    let detail = app.get(&org, &format!("/members/{id}")).await.expect(200);
    assert_eq!(detail.body["content_items"][0]["title"], "Bericht");
    let history: Vec<_> = detail.body["status_history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["to_status"].clone())
        .collect();
    assert_eq!(history, vec![json!("added"), json!("removed"), json!("added")]);
}

#[tokio::test]
async fn the_owner_cannot_be_removed_or_demoted() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let res = app
        .delete(&org, &format!("/members/{}", org.owner_id))
        .await
        .expect(409);
    assert_eq!(res.error_code(), "owner_cannot_leave");
    app.patch(&org, &format!("/members/{}", org.owner_id), json!({"role": "admin"}))
        .await
        .expect(403);
    let owners = app.get(&org, "/members?role=owner").await.expect(200);
    assert_eq!(owners.body["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn concurrent_additions_all_succeed_without_database_locked_errors() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let mut tasks = Vec::new();
    for i in 0..40 {
        let client = app.client.clone();
        let url = format!("{}/api/v1/orgs/acme/members", app.base);
        let token = org.token.clone();
        tasks.push(tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(token)
                .json(&json!({"first_name": "P", "last_name": format!("{i}"), "email": format!("p{i}@x.de")}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 201);
    }
    let page = app.get(&org, "/members?limit=100").await.expect(200);
    assert_eq!(page.body["items"].as_array().unwrap().len(), 41);
}

#[tokio::test]
async fn a_member_can_leave_but_the_owner_cannot() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let id = app.add_member(&org, "Lea", "Geht", "lea@x.de").await;
    let system = app.system("acme").await;
    // A signed-in member (sign-in comes with the console; the service is the same).
    let member = roster_service::Actor {
        role: roster_domain::Role::READER,
        permissions: roster_domain::BuiltinRole::Reader.permissions(),
        member_id: Some(id),
        label: format!("member:{id}"),
        ..system.clone()
    };
    app.service
        .leave(&member, roster_service::RemoveMember::default())
        .await
        .unwrap();
    let left = app.get(&org, &format!("/members/{id}")).await.expect(200);
    assert_eq!(left.body["status"], "removed");
    assert_eq!(app.audit(&org, "member.leave").await.len(), 1);
    let owner = roster_service::Actor {
        member_id: Some(org.owner_id),
        ..system
    };
    let err = app
        .service
        .leave(&owner, roster_service::RemoveMember::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "owner_cannot_leave");
}

#[tokio::test]
async fn a_look_alike_email_mixing_scripts_is_refused_on_every_door() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    app.add_member(&org, "Anna", "Echt", "anna@acme.de").await;
    // "аnna" with a Cyrillic а: not the same bytes, the same look.
    let res = app
        .post(
            &org,
            "/members",
            json!({"first_name": "A", "last_name": "Fake", "email": "\u{0430}nna@acme.de"}),
        )
        .await
        .expect(422);
    assert_eq!((res.error_field(), res.error_code()), ("email", "mixed_scripts"));
    let csv = "firstname,lastname,email\nA,Fake,\u{0430}nna@acme.de\n";
    let id = app
        .upload(&org, "x.csv", csv.as_bytes().to_vec())
        .await
        .expect(201)
        .id();
    let preview = app
        .post(&org, &format!("/imports/{id}/preview"), json!({}))
        .await
        .expect(200);
    assert_eq!(preview.body["rows"][0]["errors"][0]["code"], "mixed_scripts");
}

#[tokio::test]
async fn an_address_wholly_in_another_script_that_looks_the_same_is_refused_on_every_door() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    app.add_member(&org, "Ada", "Echt", "ada@apple.com").await;
    // The domain "аррӏе.com" written wholly in Cyrillic: one script per
    // part, so no mixing; the same look as apple.com.
    let fake = "ada@\u{0430}\u{0440}\u{0440}\u{04CF}\u{0435}.com";
    let res = app
        .post(
            &org,
            "/members",
            json!({"first_name": "A", "last_name": "Fake", "email": fake}),
        )
        .await
        .expect(409);
    assert_eq!((res.error_field(), res.error_code()), ("email", "looks_alike"));
    // Plain ASCII addresses that share a skeleton are different people.
    app.add_member(&org, "Mary", "M", "mary@acme.de").await;
    app.add_member(&org, "Rnary", "R", "rnary@acme.de").await;
    // Changing an e-mail into a look-alike is refused too.
    let other = app.add_member(&org, "Otto", "O", "otto@acme.de").await;
    let res = app
        .patch(&org, &format!("/members/{other}"), json!({"email": fake}))
        .await
        .expect(409);
    assert_eq!(res.error_code(), "looks_alike");

    // In an import: against existing members, and between two rows.
    let csv = format!(
        "firstname,lastname,email\nA,Fake,{fake}\nB,Echt,bob@ace.org\nB,Fake,bob@\u{0430}\u{0441}\u{0435}.org\n"
    );
    let id = app.upload(&org, "x.csv", csv.into_bytes()).await.expect(201).id();
    let preview = app
        .post(&org, &format!("/imports/{id}/preview"), json!({}))
        .await
        .expect(200);
    let rows = preview.body["rows"].as_array().unwrap();
    let codes: Vec<&str> = rows
        .iter()
        .map(|r| r["errors"][0]["code"].as_str().unwrap_or("-"))
        .collect();
    assert_eq!(codes, vec!["looks_alike", "looks_alike", "looks_alike"]);
    assert!(
        rows[1]["errors"][0]["message"].as_str().unwrap().contains("line 4"),
        "{}",
        rows[1]
    );
}
