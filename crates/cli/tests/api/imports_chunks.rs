//! Imports commit in chunks of ten thousand rows: another write goes through
//! between two chunks, and an import refused after a chunk committed (a bad
//! row when it is all or nothing, seats that run out) takes that chunk back.
//! (A server killed mid-import resumes after its last chunk: `faults`.)

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp, TestOrg};

/// More than one chunk (10,000 rows) and a part of another.
const ROWS: usize = 12_000;

/// `ROWS` new members; the row on `bad_line` has no valid e-mail.
fn members_csv(bad_line: Option<usize>, extra: &str) -> Vec<u8> {
    let mut out = String::from("firstname,lastname,email\n");
    for i in 1..=ROWS {
        // (Data rows start on line 2.)
        if bad_line == Some(i + 1) {
            out.push_str(&format!("Vor{i},Nach{i},not-an-address\n"));
        } else {
            out.push_str(&format!("Vor{i},Nach{i},user{i}@chunks.example\n"));
        }
    }
    out.push_str(extra);
    out.into_bytes()
}

async fn members_in(app: &TestApp, org: &TestOrg) -> i64 {
    let org_id = app.system(&org.slug).await.org_id;
    let mut conn = app.service.store().conn().await.unwrap();
    roster_store::sqlx::query_scalar("SELECT COUNT(*) FROM members WHERE org_id = $1")
        .bind(org_id)
        .fetch_one(conn.raw())
        .await
        .unwrap()
}

/// Applies and waits (longer than the helper: these are large imports).
async fn apply(app: &TestApp, org: &TestOrg, id: i64, options: Value) -> Value {
    app.post(org, &format!("/imports/{id}/apply"), options)
        .await
        .expect(202);
    apply_wait(app, org, id).await
}

#[tokio::test]
async fn an_all_or_nothing_import_with_a_bad_row_after_a_committed_chunk_takes_that_chunk_back() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    app.member_with_login(&org, "Ada", "ada@acme.de", "admin").await;
    let before = members_in(&app, &org).await;
    let bad = 11_500;
    let id = app
        .upload(&org, "big.csv", members_csv(Some(bad), ""))
        .await
        .expect(201)
        .id();
    let done = apply(&app, &org, id, json!({"all_or_nothing": true})).await;
    assert_eq!(done["status"], "failed", "{done}");
    let summary = &done["summary"];
    assert_eq!(summary["all_or_nothing"], true, "{done}");
    assert_eq!(summary["error"], 1, "{done}");
    assert_eq!(summary["committed"], 10_000, "the first chunk had committed: {done}");
    assert_eq!(
        summary["undone"],
        json!({"removed": 10_000, "restored": 0, "kept": 0}),
        "{done}"
    );
    assert_eq!(members_in(&app, &org).await, before, "nothing of the file is left");
    let undo = app.audit(&org, "import.undo").await;
    assert_eq!(undo.len(), 1, "{undo:?}");

    // The report: the bad row with its reason, every other row skipped.
    let report = app
        .download(&org, &format!("/imports/{id}/report.csv"))
        .await
        .text()
        .await
        .unwrap();
    let lines: Vec<&str> = report.lines().skip(1).collect();
    assert_eq!(lines.len(), ROWS, "one report row per data row");
    let (errors, skipped): (Vec<&str>, Vec<&str>) = lines.iter().partition(|l| l.contains(",error,"));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("Vor11499,Nach11499,not-an-address,error,"),
        "{errors:?}"
    );
    assert!(skipped.iter().all(|l| l.contains(",skipped,")), "{:?}", &skipped[..3]);

    // The console's result says what was committed and taken back.
    let cookie = app.console_sign_in("ada@acme.de").await;
    let html = app.console_html(&cookie, &format!("/o/acme/imports/{id}")).await;
    assert!(
        html.contains("The 10000 rows committed before it stopped were undone: 10000 members removed, 0 restored."),
        "{html}"
    );
    assert!(!html.contains("Undo this import"), "nothing is left to undo");
}

#[tokio::test]
async fn an_import_whose_later_chunk_needs_seats_that_are_not_free_takes_back_what_it_committed() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    app.put(&org, "/seats/casual", json!({"purchased": 1}))
        .await
        .expect(200);
    let mut active = Vec::new();
    for email in ["a@acme.de", "b@acme.de"] {
        let id = app.add_member(&org, "Aktiv", "Mitglied", email).await;
        app.force_status(id, "active").await;
        active.push(id);
    }
    let before = members_in(&app, &org).await;
    // Twelve thousand new members (they take no seat until invited), then
    // both active members moved to a casual seat: one is free.
    let extra = "Aktiv,Mitglied,a@acme.de,casual\nAktiv,Mitglied,b@acme.de,casual\n";
    let mut csv = String::from_utf8(members_csv(None, "")).unwrap();
    csv = csv.replacen("firstname,lastname,email\n", "firstname,lastname,email,role\n", 1);
    csv = csv.replace("@chunks.example\n", "@chunks.example,\n");
    csv.push_str(extra);
    let id = app.upload(&org, "seats.csv", csv.into_bytes()).await.expect(201).id();
    let done = apply(&app, &org, id, json!({})).await;
    assert_eq!(done["status"], "failed", "{done}");
    assert_eq!(
        done["summary"]["failure"], "not enough seats: the rows need 2 Casual seats and 1 is free",
        "{done}"
    );
    assert_eq!(done["summary"]["committed"], 10_000, "{done}");
    assert_eq!(done["summary"]["undone"]["removed"], 10_000, "{done}");
    assert_eq!(members_in(&app, &org).await, before);
    for member in active {
        let m = app.get(&org, &format!("/members/{member}")).await.expect(200);
        assert_eq!(m.body["seat_type"], Value::Null, "nothing changed: {}", m.body);
    }
}

/// Applies an import of 60,000 new members and returns once its first
/// chunk has committed (the import still applying).
async fn apply_until_the_first_chunk(app: &TestApp, org: &TestOrg) -> i64 {
    let big: String = (1..=60_000).fold(String::from("firstname,lastname,email\n"), |mut out, i| {
        out.push_str(&format!("Vor{i},Nach{i},user{i}@chunks.example\n"));
        out
    });
    let id = app.upload(org, "big.csv", big.into_bytes()).await.expect(201).id();
    app.post(org, &format!("/imports/{id}/apply"), json!({}))
        .await
        .expect(202);
    let started = Instant::now();
    loop {
        let import = app.get(org, &format!("/imports/{id}")).await.expect(200);
        assert_eq!(import.body["status"], "applying", "ended too soon: {}", import.body);
        if import.body["progress"]["done"].as_i64().unwrap_or(0) > 0 {
            return id;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "never started");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Another write does not wait for the whole import: between two chunks it
/// goes through, while the import is still applying.
#[tokio::test]
async fn a_member_added_while_a_large_import_applies_is_added_before_the_import_ends() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    // Once the first chunk has committed …
    let id = apply_until_the_first_chunk(&app, &org).await;
    // … a member is added, and the import has not ended meanwhile.
    let added = app
        .post(
            &org,
            "/members",
            json!({"first_name": "Zwischen", "last_name": "Durch", "email": "zwischen@acme.de"}),
        )
        .await
        .expect(201);
    let import = app.get(&org, &format!("/imports/{id}")).await.expect(200);
    assert_eq!(
        import.body["status"], "applying",
        "the member waited for the whole import: {}",
        import.body
    );
    let done = apply_wait(&app, &org, id).await;
    assert_eq!(done["summary"]["created"], 60_000, "{done}");
    app.get(&org, &format!("/members/{}", added.id())).await.expect(200);
}

async fn apply_wait(app: &TestApp, org: &TestOrg, id: i64) -> Value {
    let started = Instant::now();
    loop {
        let import = app.get(org, &format!("/imports/{id}")).await.expect(200);
        if import.body["status"] != "applying" {
            return import.body;
        }
        assert!(
            started.elapsed() < Duration::from_secs(180),
            "never ended: {}",
            import.body
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A chunk that fails on every attempt (the database refuses one of its
/// rows): each attempt resumes after the committed chunk, and when the job
/// gives up the import reads as failed with what it committed, which its
/// undo takes back.
#[tokio::test]
async fn an_import_whose_job_gives_up_after_a_committed_chunk_says_so_and_can_be_undone() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    app.db.refuse_member("user11000@chunks.example").await;
    let before = members_in(&app, &org).await;
    let id = app
        .upload(&org, "big.csv", members_csv(None, ""))
        .await
        .expect(201)
        .id();
    let done = apply(&app, &org, id, json!({})).await;
    assert_eq!(done["status"], "failed", "{done}");
    assert_eq!(
        done["summary"]["failure"],
        "applying stopped after 10000 rows were committed: internal error; undo takes those rows back",
        "{done}"
    );
    assert_eq!(done["summary"]["committed"], 10_000, "{done}");
    assert_eq!(
        members_in(&app, &org).await,
        before + 10_000,
        "the committed chunk, once: every attempt resumed after it"
    );

    let undo = app
        .post(&org, &format!("/imports/{id}/undo"), json!({}))
        .await
        .expect(200);
    assert_eq!(undo.body["removed"], 10_000, "{}", undo.body);
    assert_eq!(members_in(&app, &org).await, before);
    let import = app.get(&org, &format!("/imports/{id}")).await.expect(200);
    assert_eq!(import.body["status"], "undone", "{}", import.body);
}

/// An import stopped on request (API) stops before its next chunk and
/// takes back the chunks it committed.
#[tokio::test]
async fn an_import_cancelled_while_it_applies_takes_back_what_it_committed() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let before = members_in(&app, &org).await;
    let id = apply_until_the_first_chunk(&app, &org).await;
    let asked = app
        .post(&org, &format!("/imports/{id}/cancel"), json!({}))
        .await
        .expect(202);
    assert!(asked.body["cancel_requested_by"].is_string(), "{}", asked.body);
    let done = apply_wait(&app, &org, id).await;
    assert_eq!(done["status"], "cancelled", "{done}");
    assert!(
        done["summary"]["failure"]
            .as_str()
            .unwrap()
            .starts_with("cancelled by "),
        "{done}"
    );
    let committed = done["summary"]["committed"].as_u64().unwrap();
    assert!((10_000..60_000).contains(&committed), "{done}");
    assert_eq!(done["summary"]["undone"]["removed"], committed, "{done}");
    assert_eq!(members_in(&app, &org).await, before, "nothing of the file is left");
    assert_eq!(app.audit(&org, "import.cancel").await.len(), 1);

    // Only an import being applied can be stopped.
    let again = app.post(&org, &format!("/imports/{id}/cancel"), json!({})).await;
    assert_eq!(again.status.as_u16(), 409, "{}", again.body);
    assert_eq!(again.error_code(), "import_not_applying");
}

/// The console's page of a running import has a button that stops it.
#[tokio::test]
async fn the_console_stops_a_running_import_with_one_button() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    app.member_with_login(&org, "Ada", "ada@acme.de", "admin").await;
    let before = members_in(&app, &org).await;
    let id = apply_until_the_first_chunk(&app, &org).await;
    let cookie = app.console_sign_in("ada@acme.de").await;
    let page = format!("/o/acme/imports/{id}");
    let html = app.console_html(&cookie, &page).await;
    assert!(html.contains("rows committed"), "{html}");
    assert!(html.contains("Stop the import"), "{html}");
    let res = app
        .console_post(&cookie, &html, &format!("/o/acme/imports/{id}/cancel"), &[])
        .await;
    assert_eq!(res.status().as_u16(), 200);
    let stopping = res.text().await.unwrap();
    assert!(
        stopping.contains("Stopping at the request of") || stopping.contains("Cancelled"),
        "{stopping}"
    );
    let done = apply_wait(&app, &org, id).await;
    assert_eq!(done["status"], "cancelled", "{done}");
    assert_eq!(members_in(&app, &org).await, before);
    let html = app.console_html(&cookie, &page).await;
    assert!(html.contains("were undone"), "{html}");
}
