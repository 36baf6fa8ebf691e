//! Imports bigger than one chunk: the file is read twice as a stream (the
//! duplicates first, then the rows a thousand at a time), so checks that
//! span the whole file must hold across chunks.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp, TestOrg};

const ROWS: usize = 2_500;

fn csv(comment: &str) -> Vec<u8> {
    let mut out = String::from("firstname,lastname,email,personalid,comment\n");
    for i in 1..=ROWS {
        // Line 2400 repeats line 2's e-mail (other case); line 2000 repeats line 10's personal id.
        let email = if i == 2399 {
            "USER1@big.example".to_owned()
        } else {
            format!("user{i}@big.example")
        };
        let pid = if i == 1999 { "P9".to_owned() } else { format!("P{i}") };
        out.push_str(&format!("Vor{i},Nach{i},{email},{pid},{comment} {i}\n"));
    }
    out.into_bytes()
}

fn errors_of(rows: &[Value], line: u64) -> Vec<String> {
    rows.iter().find(|r| r["line"] == line).unwrap()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| format!("{}: {}", e["code"].as_str().unwrap(), e["message"].as_str().unwrap()))
        .collect()
}

async fn count(app: &TestApp, org: &TestOrg, q: &str) -> usize {
    let mut n = 0;
    let mut next = format!("/members?limit=200&q={q}");
    loop {
        let page = app.get(org, &next).await.expect(200);
        n += page.body["items"].as_array().unwrap().len();
        match page.body["next_cursor"].as_str() {
            Some(cursor) => next = format!("/members?limit=200&q={q}&cursor={cursor}"),
            None => return n,
        }
    }
}

#[tokio::test]
async fn duplicates_are_found_across_chunks_and_a_large_file_applies_with_progress() {
    let app = spawn_app().await;
    let org = app.create_org("big").await;
    let id = app.upload(&org, "big.csv", csv("Neu")).await.expect(201).id();
    let preview = app
        .post(&org, &format!("/imports/{id}/preview?errors=true"), json!({}))
        .await
        .expect(200);
    assert_eq!(
        preview.body["totals"],
        json!({"rows": ROWS, "create": ROWS - 4, "update": 0, "unchanged": 0, "error": 4})
    );
    let rows = preview.body["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 4, "only the rows with errors");
    assert_eq!(
        errors_of(rows, 2),
        vec!["duplicate_in_file: the same e-mail as line 2400"]
    );
    assert_eq!(
        errors_of(rows, 2400),
        vec!["duplicate_in_file: the same e-mail as line 2"]
    );
    assert_eq!(
        errors_of(rows, 10),
        vec!["duplicate_in_file: the same personal id as line 2000"]
    );
    assert_eq!(
        errors_of(rows, 2000),
        vec!["duplicate_in_file: the same personal id as line 10"]
    );

    let done = app.apply_import(&org, id, json!({})).await;
    assert_eq!(
        done["summary"],
        json!({"rows": ROWS, "created": ROWS - 4, "updated": 0, "unchanged": 0, "error": 4, "all_or_nothing": false, "failure": null, "committed": 0, "undone": null})
    );
    assert_eq!(done["progress"], json!({"done": ROWS, "total": ROWS}));
    assert_eq!(count(&app, &org, "user").await, ROWS - 4);

    // Every member again with another comment: updates in every chunk, and
    // the search index follows the changed text.
    let again = app.upload(&org, "big.csv", csv("Geändert")).await.expect(201).id();
    let done = app.apply_import(&org, again, json!({})).await;
    assert_eq!(
        done["summary"],
        json!({"rows": ROWS, "created": 0, "updated": ROWS - 4, "unchanged": 0, "error": 4, "all_or_nothing": false, "failure": null, "committed": 0, "undone": null})
    );
    assert_eq!(count(&app, &org, "ge%C3%A4ndert%202499").await, 1);
    assert_eq!(count(&app, &org, "neu%202499").await, 0);
    let undone = app
        .post(&org, &format!("/imports/{again}/undo"), json!({}))
        .await
        .expect(200);
    assert_eq!(undone.body["restored"], ROWS - 4);
    assert_eq!(count(&app, &org, "neu%202499").await, 1);
}

#[tokio::test]
async fn the_api_preview_comes_a_page_at_a_time() {
    let app = spawn_app().await;
    let org = app.create_org("pages").await;
    let id = app.upload(&org, "big.csv", csv("Neu")).await.expect(201).id();
    let preview = |query: String| {
        let app = &app;
        let org = &org;
        async move { app.post(org, &format!("/imports/{id}/preview{query}"), json!({})).await }
    };

    let first = preview(String::new()).await.expect(200);
    assert_eq!(first.body["rows"].as_array().unwrap().len(), 1_000, "the default page");
    assert_eq!(
        first.body["page"],
        json!({"offset": 0, "limit": 1000, "errors_only": false, "matching": ROWS, "next_offset": 1000, "previous_offset": null})
    );
    assert_eq!(first.body["totals"]["rows"], ROWS, "totals count every row");

    // Walking the pages yields every line once, in order.
    let mut lines = Vec::new();
    let mut offset = Some(0);
    while let Some(at) = offset {
        let page = preview(format!("?offset={at}&limit=700")).await.expect(200);
        lines.extend(
            page.body["rows"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["line"].as_u64().unwrap()),
        );
        offset = page.body["page"]["next_offset"].as_u64();
    }
    assert_eq!(lines, (2..=ROWS as u64 + 1).collect::<Vec<_>>());

    let errors = preview("?errors=true&limit=3&offset=2".into()).await.expect(200);
    assert_eq!(errors.body["page"]["matching"], 4);
    let lines: Vec<u64> = errors.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, vec![2000, 2400], "the third and fourth row with errors");
    assert_eq!(errors.body["page"]["next_offset"], Value::Null);
    assert_eq!(
        errors.body["page"]["previous_offset"], 0,
        "two rows back, clamped at the first"
    );

    for bad in ["?limit=0", "?limit=10001"] {
        let refused = preview(bad.into()).await.expect(422);
        assert_eq!(refused.body["error"]["field"], "limit", "{bad}");
    }
}

#[tokio::test]
async fn preview_pages_share_one_planning_until_the_organization_changes() {
    let app = spawn_app().await;
    let org = app.create_org("kept").await;
    let id = app.upload(&org, "big.csv", csv("Neu")).await.expect(201).id();
    let preview = |query: &'static str| {
        let app = &app;
        let org = &org;
        async move {
            // Far enough apart that a second planning would have a later time.
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            app.post(org, &format!("/imports/{id}/preview{query}"), json!({}))
                .await
                .expect(200)
        }
    };
    let first = preview("").await;
    let planned_at = first.body["planned_at"].clone();
    assert!(planned_at.is_string(), "{planned_at}");
    for query in ["?offset=1000", "?errors=true", "?offset=2000&limit=10"] {
        let page = preview(query).await;
        assert_eq!(page.body["planned_at"], planned_at, "{query}: the same planning");
        assert_eq!(page.body["totals"], first.body["totals"]);
    }

    // A member added meanwhile turns line 5's create into an update.
    app.post(
        &org,
        "/members",
        json!({"first_name": "Vor4", "last_name": "Nach4", "email": "user4@big.example", "personal_id": "P4"}),
    )
    .await
    .expect(201);
    let after = preview("?limit=5").await;
    assert_ne!(after.body["planned_at"], planned_at, "planned again");
    assert_eq!(after.body["rows"][3]["line"], 5);
    assert_eq!(after.body["rows"][3]["action"], "update");
    assert_eq!(
        after.body["totals"]["create"],
        first.body["totals"]["create"].as_u64().unwrap() - 1
    );

    // So does another mapping: the comment column skipped.
    let import = app.get(&org, &format!("/imports/{id}")).await.expect(200);
    let mut columns = import.body["mapping"]["columns"].clone();
    assert_eq!(columns[4]["target"], "comment");
    columns[4]["target"] = json!("skip");
    app.put(&org, &format!("/imports/{id}/mapping"), json!({"columns": columns}))
        .await
        .expect(200);
    let remapped = preview("").await;
    assert_ne!(remapped.body["planned_at"], after.body["planned_at"]);
    assert_eq!(remapped.body["unmapped"], json!(["comment"]));
    // Other options are another plan, too.
    let skipping = app
        .post(
            &org,
            &format!("/imports/{id}/preview?limit=5"),
            json!({"existing": "skip"}),
        )
        .await
        .expect(200);
    assert_eq!(skipping.body["rows"][3]["action"], "unchanged");
}

#[tokio::test]
async fn the_console_preview_shows_500_rows_a_page_and_says_how_many_there_are() {
    let app = spawn_app().await;
    let org = app.create_org("big").await;
    app.member_with_login(&org, "Ada", "ada@big.example", "admin").await;
    let id = app.upload(&org, "big.csv", csv("Neu")).await.expect(201).id();
    let cookie = app.console_sign_in("ada@big.example").await;
    let client = reqwest::Client::new();
    let page = |query: &'static str| {
        let (client, cookie) = (client.clone(), cookie.clone());
        let url = format!("{}/o/big/imports/{id}{query}", app.base);
        async move {
            let res = client.get(url).header("cookie", cookie).send().await.unwrap();
            assert_eq!(res.status(), 200);
            res.text().await.unwrap()
        }
    };
    let all = page("").await;
    let rows_on_page = |html: &str| {
        let table = html.split("<table id=\"preview\">").nth(1).unwrap();
        table.split("</table>").next().unwrap().matches("<tr><td>").count()
    };
    assert_eq!(rows_on_page(&all), 500);
    assert!(
        all.contains(&format!("Rows 1–500 of {ROWS}")),
        "the page says it is cut short"
    );
    assert!(
        all.contains("Checked against the organization at 20"),
        "and when it was planned"
    );
    assert!(all.contains("?offset=500\">Next rows"));
    assert!(!all.contains("Previous rows"));

    let last = page("?offset=2000").await;
    assert_eq!(rows_on_page(&last), 500);
    assert!(last.contains(&format!("Rows 2001–2500 of {ROWS}")));
    assert!(last.contains("<tr><td>2002</td>"), "line 2002 is the 2001st row");
    assert!(last.contains("?offset=1500\">Previous rows"));
    assert!(!last.contains("Next rows"));

    let errors = page("?errors=1").await;
    assert_eq!(rows_on_page(&errors), 4, "the filter applies before the cut");
    assert!(!errors.contains("preview-pages"));
}

/// On PostgreSQL a transaction can commit an audit event with a lower id
/// after another has committed one with a higher id; the organization's
/// change mark, which decides whether a kept preview plan is still good,
/// must change then too. (Written here with explicit ids, so that the same
/// order of events happens on both databases.)
#[tokio::test]
async fn an_event_committed_late_with_a_lower_id_still_changes_the_organizations_mark() {
    let app = spawn_app().await;
    app.create_org("late").await;
    let mut conn = app.service.store().conn().await.unwrap();
    let org_id = roster_store::org_by_slug(&mut conn, "late").await.unwrap().unwrap().id;
    let insert = |id: i64| {
        roster_store::sqlx::query(
            "INSERT INTO audit_events (id, org_id, at, actor, action, target_kind, target_id, outcome, ip, request_id, details) \
             VALUES ($1, $2, 0, 'test', 'member.update', 'member', '1', 'success', '', '', '{}')",
        )
        .bind(id)
        .bind(org_id)
    };
    let before = roster_store::org_change_mark(&mut conn, org_id).await.unwrap();
    insert(before.0 + 1_000).execute(conn.raw()).await.unwrap();
    let newer = roster_store::org_change_mark(&mut conn, org_id).await.unwrap();
    assert_ne!(newer, before);
    assert_eq!(
        roster_store::org_change_mark(&mut conn, org_id).await.unwrap(),
        newer,
        "stable while nothing changes"
    );
    insert(before.0 + 500).execute(conn.raw()).await.unwrap();
    let late = roster_store::org_change_mark(&mut conn, org_id).await.unwrap();
    assert_eq!(late.0, newer.0, "the newest id is the same");
    assert_ne!(late, newer, "yet the mark changed");
}

/// The console's way to a preview: the file is planned in the background
/// and the page shows progress until the plan is there; a plan that fails
/// hands its error to the next page once.
#[tokio::test]
async fn a_large_file_is_planned_in_the_background_with_progress_and_its_error_is_shown_once() {
    use roster_service::imports::{ImportOptions, PreviewOrProgress, PreviewRows};
    use std::time::Duration;

    let app = spawn_app().await;
    let org = app.create_org("behind").await;
    let id = app.upload(&org, "big.csv", csv("Neu")).await.expect(201).id();
    let actor = app
        .service
        .actor_for_token(&org.token, "behind", Default::default())
        .await
        .unwrap();
    let ask = |wait: Duration| {
        let (service, actor) = (&app.service, &actor);
        async move {
            let can = service.authorize(actor).await.unwrap();
            service
                .preview_import_or_progress(can, id, ImportOptions::default(), PreviewRows::default(), wait)
                .await
        }
    };

    // Not waiting at all: the first ask starts planning and says how far it is.
    match ask(Duration::ZERO).await.unwrap() {
        PreviewOrProgress::Planning { done, total } => assert!(done <= total || total == 0, "{done} of {total}"),
        PreviewOrProgress::Preview(_) => panic!("planned in the request"),
    }
    let preview = match ask(Duration::from_secs(30)).await.unwrap() {
        PreviewOrProgress::Preview(p) => p,
        planning => panic!("still {planning:?} after 30 s"),
    };
    assert_eq!(preview.totals.rows, ROWS);
    assert_eq!(preview.totals.error, 4);
    let shown = app
        .post(&org, &format!("/imports/{id}/preview"), json!({}))
        .await
        .expect(200);
    assert_eq!(
        shown.body["totals"]["create"], preview.totals.create,
        "the API reads the same plan"
    );

    // A file over a lowered row limit fails to plan: that page says why, the next one starts over.
    app.patch(&org, "", json!({"import_row_limit": 100})).await.expect(200);
    let _ = ask(Duration::ZERO).await.unwrap();
    let failed = loop {
        match ask(Duration::from_secs(30)).await {
            Err(e) => break e,
            Ok(PreviewOrProgress::Planning { .. }) => continue,
            Ok(PreviewOrProgress::Preview(_)) => panic!("planned over the row limit"),
        }
    };
    assert!(failed.to_string().contains("at most 100 rows"), "{failed}");
    assert!(
        matches!(ask(Duration::ZERO).await, Ok(PreviewOrProgress::Planning { .. })),
        "planned again"
    );
}

#[tokio::test]
async fn the_console_shows_progress_while_a_file_is_planned_and_refreshes_until_the_preview() {
    let app = crate::helpers::spawn_configured(None, None, |c| c.planning_wait = std::time::Duration::ZERO).await;
    let org = app.create_org("wait").await;
    app.member_with_login(&org, "Ada", "ada@big.example", "admin").await;
    let id = app.upload(&org, "big.csv", csv("Neu")).await.expect(201).id();
    let cookie = app.console_sign_in("ada@big.example").await;
    let client = reqwest::Client::new();
    let url = format!("{}/o/wait/imports/{id}", app.base);
    let first = client.get(&url).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(first.status(), 200);
    assert!(first.headers().contains_key("refresh"), "the page refreshes by itself");
    let html = first.text().await.unwrap();
    assert!(
        html.contains("Checking the file…") && html.contains("id=\"planning-progress\""),
        "{html}"
    );
    assert!(
        html.contains("Save the columns and check again"),
        "the mapping can be changed meanwhile"
    );
    assert!(!html.contains("<table id=\"preview\">"));

    // Refreshing (as the browser does) until the plan is there.
    for _ in 0..300 {
        let res = client.get(&url).header("cookie", &cookie).send().await.unwrap();
        let refreshes = res.headers().contains_key("refresh");
        let html = res.text().await.unwrap();
        if html.contains("<table id=\"preview\">") {
            assert!(!refreshes, "done: no more refreshing");
            assert!(
                html.contains(&format!("{ROWS} rows: <strong>{}</strong> to create", ROWS - 4)),
                "{html}"
            );
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no preview after 15 s");
}

#[tokio::test]
async fn the_api_preview_can_be_asked_not_to_wait_for_a_large_file() {
    let app = spawn_app().await;
    let org = app.create_org("nowait").await;
    let id = app.upload(&org, "big.csv", csv("Neu")).await.expect(201).id();
    let url = format!("{}/api/v1/orgs/nowait/imports/{id}/preview?wait=0&limit=2", app.base);
    let first = app
        .client
        .post(&url)
        .bearer_auth(&org.token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 202);
    assert_eq!(first.headers()["retry-after"], "1");
    let body: Value = first.json().await.unwrap();
    assert_eq!(body["status"], "planning", "{body}");
    assert!(body["done"].as_u64().unwrap() <= ROWS as u64);

    let ready = app
        .post(&org, &format!("/imports/{id}/preview?wait=30&limit=2"), json!({}))
        .await
        .expect(200);
    assert_eq!(ready.body["totals"]["rows"], ROWS);
    assert_eq!(ready.body["rows"].as_array().unwrap().len(), 2);
}
