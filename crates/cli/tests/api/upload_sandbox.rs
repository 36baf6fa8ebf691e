//! Uploads are read in a sandbox (a child process under memory, CPU and
//! time limits): a hostile file is refused with a reason, and everyone
//! else is served during and after (HOSTILE 2–5). These tests hold the
//! sandbox to that, not the fast pre-checks in front of the parser: each
//! hostile workbook is also sent with the pre-checks off, straight to
//! calamine, which then aborts on them — in the child.

use std::time::Duration;

use roster_service::SandboxConfig;

use crate::helpers::{sandbox, spawn_sandboxed, TestApp, TestOrg};

/// Answers from `/healthz` and from another organization's member list
/// while `during` runs, and once after it.
async fn others_served_while<T>(app: &TestApp, other: &TestOrg, during: impl std::future::Future<Output = T>) -> T {
    let serving = async {
        for _ in 0..5 {
            let health = app.client.get(format!("{}/healthz", app.base)).send().await.unwrap();
            assert_eq!(health.status(), 200);
            app.get(other, "/members").await.expect(200);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let (result, ()) = tokio::join!(during, serving);
    app.get(other, "/members").await.expect(200);
    result
}

#[tokio::test]
async fn hostile_workbooks_are_refused_with_a_reason_while_everyone_else_is_served() {
    for prechecks in [true, false] {
        let app = spawn_sandboxed(SandboxConfig {
            prechecks,
            memory_mib: 512,
            cpu_seconds: 20,
            timeout: Duration::from_secs(30),
            ..sandbox()
        })
        .await;
        let evil = app.create_org("evil").await;
        let other = app.create_org("other").await;
        for (name, book) in roster_bulk::fixtures::hostile_workbooks() {
            let res = others_served_while(&app, &other, app.upload(&evil, "evil.xlsx", book)).await;
            let status = res.status.as_u16();
            let message = res.body["error"]["message"].as_str().unwrap_or_default().to_owned();
            if prechecks {
                assert_eq!(status, 422, "{name}: {}", res.body);
                assert_eq!(res.error_code(), "file_refused", "{name}: {}", res.body);
                assert!(message.contains("cannot be imported safely"), "{name}: {message}");
            } else if name.starts_with("2^40") {
                // calamine reserves room for 2^40 strings (26 TB) and aborts: the child.
                assert_eq!(status, 422, "{name}: {}", res.body);
                assert_eq!(res.error_code(), "file_over_limits", "{name}: {}", res.body);
                assert_eq!(
                    message, "the workbook could not be read within the limits: it asks for more memory than allowed",
                    "{name}"
                );
            } else {
                // What calamine makes of the rest unguarded: never a server error.
                assert!(status == 201 || (400..500).contains(&status), "{name}: {}", res.body);
            }
            let health = app.client.get(format!("{}/healthz", app.base)).send().await.unwrap();
            assert_eq!(health.status(), 200, "{name}: the server is down");
        }
        let members = app.get(&evil, "/members").await.expect(200);
        assert_eq!(
            members.body["items"].as_array().unwrap().len(),
            1,
            "nobody but the owner"
        );
    }
}

/// A CSV of `rows` members, about 60 bytes a row.
fn big_csv(rows: usize) -> Vec<u8> {
    let mut csv = String::from("firstname,lastname,email,comment\n");
    for i in 0..rows {
        csv.push_str(&format!(
            "Vorname{i},Nachname{i},person{i}@example.de,ein Kommentar zu {i}\n"
        ));
    }
    csv.into_bytes()
}

#[tokio::test]
async fn a_file_over_the_memory_or_time_limit_is_refused_saying_which() {
    let app = spawn_sandboxed(SandboxConfig {
        memory_mib: 96,
        ..sandbox()
    })
    .await;
    let org = app.create_org("acme").await;
    let other = app.create_org("other").await;
    // Reading 80 MB into memory needs more than 96 MiB of address space.
    let res = others_served_while(&app, &other, app.upload(&org, "big.csv", big_csv(1_300_000))).await;
    let res = res.expect(422);
    assert_eq!(
        res.body["error"]["message"],
        "the file could not be read within the limits: it asks for more memory than allowed"
    );
    assert_eq!(newest_import(&app, &org).await, "", "nothing was stored");

    let app = spawn_sandboxed(SandboxConfig {
        timeout: Duration::from_millis(100),
        ..sandbox()
    })
    .await;
    let org = app.create_org("acme").await;
    let res = app.upload(&org, "big.csv", big_csv(500_000)).await.expect(422);
    assert_eq!(res.error_code(), "file_over_limits");
    assert_eq!(
        res.body["error"]["message"],
        "the file could not be read within the limits: it takes longer than 0.1 s to read"
    );
}

/// The newest import's file name, or "" when there is none.
async fn newest_import(app: &TestApp, org: &TestOrg) -> String {
    let imports = app.get(org, "/imports").await.expect(200);
    imports.body["items"][0]["file_name"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn a_burst_of_uploads_gets_busy_answers_not_memory_exhaustion() {
    let app = spawn_sandboxed(SandboxConfig {
        parallel: 1,
        queue_wait: Duration::from_millis(50),
        ..sandbox()
    })
    .await;
    let org = app.create_org("acme").await;
    let file = big_csv(100_000);
    let names: Vec<String> = (0..6).map(|i| format!("part{i}.csv")).collect();
    let uploads = names.iter().map(|name| app.upload(&org, name, file.clone()));
    let answers = futures_util::future::join_all(uploads).await;
    let statuses: Vec<u16> = answers.iter().map(|r| r.status.as_u16()).collect();
    for answer in &answers {
        assert!(answer.status == 201 || answer.status == 503, "{}", answer.body);
    }
    let busy: Vec<_> = answers.iter().filter(|r| r.status == 503).collect();
    assert!(
        !busy.is_empty(),
        "one reader at a time, and six at once: some wait too long ({statuses:?})"
    );
    assert_eq!(busy[0].error_code(), "overloaded");
    assert!(statuses.contains(&201), "{statuses:?}");
}
