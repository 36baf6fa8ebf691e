//! Everyone else while one long write runs (an import's chunk, a large change):
//! on SQLite, with its one writer, other writes wait their turn without
//! taking the connections that reads need, and a write that waits too long
//! is refused as busy — 503 with Retry-After, nothing changed — instead of
//! failing with "database is locked". PostgreSQL does not make them wait.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{backend, spawn_app, TestApp, TestOrg};

/// Adds a member to `org` over the API on a task of its own: its status
/// and how long it took.
fn add_member(app: &TestApp, org: &TestOrg, n: usize) -> tokio::task::JoinHandle<(u16, Duration)> {
    let request = app
        .client
        .post(format!("{}/api/v1/orgs/{}/members", app.base, org.slug))
        .bearer_auth(&org.token)
        .json(&json!({"first_name": "Nachbar", "last_name": n.to_string(), "email": format!("nachbar{n}@other.de")}));
    tokio::spawn(async move {
        let at = Instant::now();
        let res = request.send().await.expect("request");
        (res.status().as_u16(), at.elapsed())
    })
}

#[tokio::test]
async fn writes_behind_a_long_transaction_wait_their_turn_and_reads_go_on() {
    let app = spawn_app().await;
    let acme = app.create_org("acme").await;
    let other = app.create_org("other").await;
    // A long write of acme's, as an import's transaction is.
    let mut tx = app.service.store().begin().await.unwrap();
    roster_store::sqlx::query("UPDATE organizations SET name = 'Acme (importing)' WHERE slug = 'acme'")
        .execute(tx.raw())
        .await
        .unwrap();
    let held = Duration::from_millis(1500);
    let started = Instant::now();
    // More waiting writers than the pool has connections (8 on SQLite),
    // and a read while they wait.
    let writes: Vec<_> = (0..12).map(|n| add_member(&app, &other, n)).collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let read = app.get(&other, "/members?limit=5").await;
    assert_eq!(read.status.as_u16(), 200, "{}", read.body);
    let read_done = started.elapsed();
    assert!(read_done < held, "the read waited for the writer: {read_done:?}");
    tokio::time::sleep(held.saturating_sub(started.elapsed())).await;
    tx.commit().await.unwrap();

    let mut done = Vec::new();
    for write in writes {
        done.push(write.await.unwrap());
    }
    for (n, (status, took)) in done.iter().enumerate() {
        assert_eq!(*status, 201, "write {n}");
        if backend() == "sqlite" {
            assert!(
                *took >= held - Duration::from_millis(400),
                "write {n} did not wait: {took:?}"
            );
        } else {
            assert!(*took < held, "PostgreSQL has many writers; write {n} waited {took:?}");
        }
    }
    let list = app.get(&other, "/members?limit=50").await.expect(200);
    assert_eq!(
        list.body["items"].as_array().unwrap().len(),
        12 + 1,
        "the owner and the twelve"
    );
    let acme_now = app.get(&acme, "").await.expect(200);
    assert_eq!(acme_now.body["name"], "Acme (importing)");
}

#[tokio::test]
async fn a_write_that_waits_too_long_is_refused_as_busy_and_changes_nothing() {
    let app = spawn_app().await;
    let _org = app.create_org("acme").await;
    let store = app.db.store().await.with_write_wait(Duration::from_millis(300));
    let first = store.begin().await.unwrap();
    let second = store.begin().await;
    match backend().as_str() {
        "sqlite" => assert!(
            matches!(second, Err(roster_store::StoreError::Busy)),
            "{:?}",
            second.err()
        ),
        _ => assert!(second.is_ok(), "PostgreSQL has many writers"),
    }
    drop(second);
    first.rollback().await.unwrap();
    assert!(store.begin().await.is_ok(), "the turn is free again");
}

#[tokio::test]
async fn sqlite_waits_for_a_writer_of_another_process_as_long_as_for_its_own() {
    let app = spawn_app().await;
    if backend() != "sqlite" {
        return; // PostgreSQL's writers do not wait for each other.
    }
    let mut conn = app.service.store().conn().await.unwrap();
    let timeout: i64 = roster_store::sqlx::query_scalar("PRAGMA busy_timeout")
        .fetch_one(conn.raw())
        .await
        .unwrap();
    assert_eq!(timeout, 30_000, "the busy timeout, in milliseconds");
}

/// Clients that hang up mid-request (a load generator stopping, a browser
/// tab closed) cancel their requests at every point of a write: waiting for
/// the writer's turn, inside the transaction, while it commits. None of
/// that may leave the database locked for everyone after them.
#[tokio::test]
async fn requests_abandoned_mid_write_leave_the_writer_free() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    for round in 0..6u64 {
        let writes: Vec<_> = (0..16)
            .map(|n| add_member(&app, &org, (round * 100 + n) as usize))
            .collect();
        // Hang up after 0, 3, 6 … ms: before, during and after the writes.
        tokio::time::sleep(Duration::from_millis(round * 3)).await;
        for write in writes {
            write.abort();
        }
    }
    // And at the store: transactions given up on at every microsecond of
    // their beginning (sqlx's SQLite driver awaits once more after its
    // BEGIN ran), writing, or committing.
    let store = app.service.store().clone();
    for n in 0..1200u64 {
        let store = store.clone();
        let work = async move {
            let mut tx = store.begin().await.unwrap();
            roster_store::sqlx::query("UPDATE organizations SET name = name WHERE slug = 'acme'")
                .execute(tx.raw())
                .await
                .unwrap();
            tx.commit().await.unwrap();
        };
        let _ = tokio::time::timeout(Duration::from_micros(n % 400), work).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;

    let store = app.db.store().await.with_write_wait(Duration::from_secs(3));
    let tx = tokio::time::timeout(Duration::from_secs(5), store.begin())
        .await
        .expect("the database's write lock is free after the cancelled requests")
        .expect("the writer is free after the cancelled requests");
    tx.rollback().await.unwrap();
    let started = Instant::now();
    let add = app
        .post(
            &org,
            "/members",
            json!({"first_name": "Danach", "last_name": "Noch", "email": "danach@acme.de"}),
        )
        .await;
    assert_eq!(add.status.as_u16(), 201, "{}", add.body);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the write waited {:?}",
        started.elapsed()
    );
}
