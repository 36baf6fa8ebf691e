//! The search index catches up after an import: on SQLite the members an
//! import adds go into the full-text index afterwards, between the worker's
//! jobs, and search finds every one of them all the while. (PostgreSQL
//! indexes them at once: there the backlog is always empty.)

use std::time::Duration;

use roster_service::jobs::Worker;
use serde_json::json;

use crate::helpers::{backend, spawn_app, TestApp, TestOrg};

const ROWS: usize = 3_000;

/// Uploads and applies `ROWS` new members with `surname{i}` as last names,
/// running only the import's job (the app's worker is stopped, so the
/// search index has not caught up when this returns).
async fn import_without_catching_up(app: &TestApp, org: &TestOrg, surname: &str) -> i64 {
    let csv = (1..=ROWS).fold(String::from("firstname,lastname,email\n"), |mut out, i| {
        out.push_str(&format!("Vor,{surname}{i},{surname}{i}@acme.de\n"));
        out
    });
    let id = app.upload(org, "m.csv", csv.into_bytes()).await.expect(201).id();
    app.post(org, &format!("/imports/{id}/apply"), json!({}))
        .await
        .expect(202);
    let mut worker = Worker::new(app.service.clone()).with_lease(Duration::from_secs(30));
    roster_service::imports::register_jobs(&mut worker, app.service.clone());
    while worker.run_once().await.unwrap() {}
    let import = app.get(org, &format!("/imports/{id}")).await.expect(200);
    assert_eq!(import.body["status"], "applied", "{}", import.body);
    id
}

async fn backlog(app: &TestApp, org: &TestOrg) -> i64 {
    let actor = app.service.system_actor(&org.slug).await.unwrap();
    app.service.search_backlog(&actor).await.unwrap()
}

/// How many members a search finds, over the pages of the API.
async fn found(app: &TestApp, org: &TestOrg, q: &str, sort: &str) -> usize {
    let mut n = 0;
    let mut next = format!("/members?limit=200&sort={sort}&q={q}");
    loop {
        let page = app.get(org, &next).await.expect(200);
        n += page.body["items"].as_array().unwrap().len();
        match page.body["next_cursor"].as_str() {
            Some(cursor) => next = format!("/members?limit=200&sort={sort}&q={q}&cursor={cursor}"),
            None => return n,
        }
    }
}

/// FTS5's own check that its index holds exactly the members' text.
async fn index_is_whole(app: &TestApp) {
    if backend() != "sqlite" {
        return;
    }
    let mut conn = app.service.store().conn().await.unwrap();
    roster_store::sqlx::query("INSERT INTO members_search (members_search, rank) VALUES ('integrity-check', 1)")
        .execute(conn.raw())
        .await
        .expect("the search index matches the members' text");
}

#[tokio::test]
async fn search_finds_an_imports_members_before_and_after_the_index_catches_up() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    app.member_with_login(&org, "Ada", "ada@acme.de", "admin").await;
    app.stop_worker().await;
    let pending = if backend() == "sqlite" { ROWS as i64 } else { 0 };

    // Undone before the index caught up: nothing of it is left in the index.
    let first = import_without_catching_up(&app, &org, "Wombat").await;
    assert_eq!(backlog(&app, &org).await, pending);
    assert_eq!(found(&app, &org, "wombat", "id").await, ROWS);
    app.post(&org, &format!("/imports/{first}/undo"), json!({}))
        .await
        .expect(200);
    assert_eq!(backlog(&app, &org).await, 0);
    index_is_whole(&app).await;

    let id = import_without_catching_up(&app, &org, "Quokka").await;
    assert_eq!(backlog(&app, &org).await, pending);
    let cookie = app.console_sign_in("ada@acme.de").await;
    let page = format!("/o/acme/imports/{id}");
    let html = app.console_html(&cookie, &page).await;
    assert_eq!(
        html.contains(&format!(
            "Search is catching up: {ROWS} members are not in the search index yet"
        )),
        pending > 0,
        "{html}"
    );
    // Exact meanwhile: in match order and by name, a term of the index's
    // size and a short one, one member and all of them.
    for sort in ["id", "name"] {
        assert_eq!(found(&app, &org, "quokka", sort).await, ROWS, "sorted by {sort}");
        assert_eq!(found(&app, &org, "quokka2999", sort).await, 1, "sorted by {sort}");
    }
    assert_eq!(found(&app, &org, "qu", "id").await, ROWS);

    // The catch-up, as the worker runs it between jobs.
    assert_eq!(app.service.catch_up_search(usize::MAX).await.unwrap(), pending as usize);
    assert_eq!(backlog(&app, &org).await, 0);
    index_is_whole(&app).await;
    for sort in ["id", "name"] {
        assert_eq!(found(&app, &org, "quokka", sort).await, ROWS, "sorted by {sort}");
        assert_eq!(found(&app, &org, "quokka2999", sort).await, 1, "sorted by {sort}");
    }
    let html = app.console_html(&cookie, &page).await;
    assert!(!html.contains("Search is catching up"), "{html}");

    // An indexed member's new text is found, the old one no longer.
    let member = app.get(&org, "/members?q=quokka17@").await.expect(200).body["items"][0]["id"]
        .as_i64()
        .unwrap();
    app.patch(&org, &format!("/members/{member}"), json!({"last_name": "Kangaroo"}))
        .await
        .expect(200);
    assert_eq!(found(&app, &org, "kangaroo", "name").await, 1);
    index_is_whole(&app).await;
}
