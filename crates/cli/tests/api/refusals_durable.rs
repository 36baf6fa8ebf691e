//! The audit rows of refused requests are durable before the answer, even
//! while SQLite's one writer is taken (a large import holds it): the
//! `roster serve` process is killed with SIGKILL right after the answers,
//! and every row is found — none twice — once a process runs again.

use std::time::{Duration, Instant};

use roster_store::{sqlx, Backend};

use crate::faults::Server;
use crate::helpers::TestDb;

const REFUSALS: usize = 25;

async fn refusal_rows(db: &TestDb) -> i64 {
    let store = db.store().await;
    let mut conn = store.conn().await.unwrap();
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_events WHERE actor = 'token:unknown'")
        .fetch_one(conn.raw())
        .await
        .unwrap();
    drop(conn);
    store.close().await;
    n
}

#[tokio::test]
async fn refusals_answered_before_a_sigkill_are_all_in_the_audit_log() {
    let db = TestDb::new().await;
    let server = Server::start(&db).await;
    // Another writer holds the database's write lock, as an import does on
    // SQLite: the server cannot write a row until it lets go.
    let holder = db.store().await;
    let mut lock = holder.begin().await.unwrap();
    sqlx::query("UPDATE instance_settings SET value = value WHERE 1 = 0")
        .execute(lock.raw())
        .await
        .unwrap();
    let client = reqwest::Client::new();
    for i in 0..REFUSALS {
        let res = client
            .get(format!("{}/api/v1/orgs/acme/members", server.base))
            .bearer_auth(format!("rst_not-a-token-{i}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
    }
    // No shutdown, no flush: what was not on disk is gone.
    server.kill();
    drop(lock);
    holder.close().await;
    if db.store().await.backend() == Backend::Postgres {
        // Written in the request: there before the answer.
        assert_eq!(refusal_rows(&db).await, REFUSALS as i64);
    }
    // The next process writes what the killed one had journaled.
    let _server = Server::start(&db).await;
    let started = Instant::now();
    loop {
        let rows = refusal_rows(&db).await;
        if rows == REFUSALS as i64 {
            break;
        }
        assert!(rows < REFUSALS as i64, "a refusal was written twice: {rows} rows");
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{rows} of {REFUSALS} refusals in the audit log"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // And nothing more arrives later.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(refusal_rows(&db).await, REFUSALS as i64);
}

#[tokio::test]
async fn a_journal_left_behind_is_written_once_and_removed() {
    // Journals exist on SQLite only (PostgreSQL writes in the request).
    let db = TestDb::sqlite().await;
    let store = db.store().await;
    let database = db
        .url
        .trim_start_matches("sqlite://")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let dir = std::path::PathBuf::from(format!("{database}.refusals"));
    std::fs::create_dir_all(&dir).unwrap();
    let row = |n: i64| {
        serde_json::json!({
            "org_id": null, "actor": "token:unknown", "action": "access.refused",
            "target_kind": "permission", "target_id": "authentication", "outcome": "refused",
            "ip": "203.0.113.9", "request_id": format!("req-{n}"), "details": {}, "at": 1_000 + n,
        })
    };
    // The dead process had written its first row before it died.
    let first = row(1);
    let mut conn = store.conn().await.unwrap();
    roster_store::insert_audit(
        &mut conn,
        &roster_store::NewAuditEvent {
            org_id: None,
            actor: "token:unknown",
            action: "access.refused",
            target_kind: "permission",
            target_id: "authentication",
            outcome: "refused",
            ip: "203.0.113.9",
            request_id: "req-1",
            details: &first["details"],
        },
        1_001,
    )
    .await
    .unwrap();
    drop(conn);
    let journal = dir.join("refusals-999999-dead.jsonl");
    let lines: Vec<String> = (1..=3).map(|n| row(n).to_string()).collect();
    std::fs::write(&journal, lines.join("\n") + "\n").unwrap();
    // Any process on the database takes the journal over.
    let service = roster_service::Service::new(store.clone());
    let started = Instant::now();
    while journal.exists() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the journal was never replayed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(service);
    assert_eq!(refusal_rows(&db).await, 3, "each journaled row once");
}
