//! Faults, for real: the `roster serve` process killed with SIGKILL in the
//! middle of a large import and started again; PostgreSQL's connections cut
//! in the middle of an import's job and restored (HOSTILE 28, 30, 31).
//! Either way the import ends all or nothing — here, all, once the job
//! runs again — with no member twice.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use roster_service::jobs::Worker;
use roster_service::Service;
use roster_store::sqlx;
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::cli::{json, roster};
use crate::helpers::{sandbox, TestDb};

/// A CSV of `rows` new members.
fn members_csv(rows: usize) -> Vec<u8> {
    let mut csv = String::from("firstname,lastname,email,comment\n");
    for i in 0..rows {
        csv.push_str(&format!("Vorname{i},Nachname{i},person{i}@acme.example,Zeile {i}\n"));
    }
    csv.into_bytes()
}

async fn member_counts(db: &TestDb) -> (i64, i64) {
    let store = db.store().await;
    let mut conn = store.conn().await.unwrap();
    let counts: (i64, i64) = sqlx::query_as("SELECT COUNT(*), COUNT(DISTINCT email_normalized) FROM members")
        .fetch_one(conn.raw())
        .await
        .unwrap();
    drop(conn);
    store.close().await;
    counts
}

/// `roster serve` on a free port, against `db`.
pub(crate) struct Server {
    child: Child,
    pub(crate) base: String,
}

impl Server {
    pub(crate) async fn start(db: &TestDb) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_roster"))
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--job-lease-seconds",
                "2",
            ])
            .env("ROSTER_DATABASE_URL", &db.url)
            .env_remove("ROSTER_BASE_URL")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start roster serve");
        let base = format!("http://127.0.0.1:{port}");
        let server = Server { child, base };
        let client = reqwest::Client::new();
        for _ in 0..300 {
            if client.get(format!("{}/healthz", server.base)).send().await.is_ok() {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("roster serve did not come up");
    }

    /// SIGKILL: no shutdown, no flush, the transaction cut where it stands.
    pub(crate) fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn import_status(client: &reqwest::Client, server: &Server, token: &str, id: i64) -> Value {
    client
        .get(format!("{}/api/v1/orgs/acme/imports/{id}", server.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_server_killed_in_the_middle_of_an_import_comes_back_and_resumes_without_writing_a_row_twice() {
    let db = TestDb::new().await;
    db.store().await.close().await;
    let run = |args: &'static [&'static str]| {
        let url = db.url.clone();
        tokio::task::spawn_blocking(move || {
            let out = roster(&TestDb::at(&url), args);
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            json(&out)
        })
    };
    run(&[
        "org",
        "create",
        "--name",
        "Acme",
        "--slug",
        "acme",
        "--owner-email",
        "o@acme.example",
        "--json",
    ])
    .await
    .unwrap();
    let token = run(&["token", "create", "--org", "acme", "--name", "t", "--json"])
        .await
        .unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let rows = 60_000;
    let server = Server::start(&db).await;
    let client = reqwest::Client::new();
    let upload: Value = client
        .post(format!("{}/api/v1/orgs/acme/imports?file_name=big.csv", server.base))
        .bearer_auth(&token)
        .body(members_csv(rows))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = upload["id"].as_i64().unwrap();
    let applied = client
        .post(format!("{}/api/v1/orgs/acme/imports/{id}/apply", server.base))
        .bearer_auth(&token)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(applied.status(), 202);
    // Kill it once rows are being written, before the last.
    let started = Instant::now();
    loop {
        let status = import_status(&client, &server, &token, id).await;
        let done = status["progress"]["done"].as_i64().unwrap_or(0);
        assert_eq!(
            status["status"], "applying",
            "it finished before it could be killed: {status}"
        );
        if done > 0 {
            assert!(done < rows as i64);
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the import never started");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.kill();
    // Progress counts committed rows: the chunks committed before the kill
    // stay, the one being written is gone.
    let (committed, distinct) = member_counts(&db).await;
    assert!(
        committed > 1 && committed < rows as i64 + 1,
        "some chunks and not all were committed: {committed}"
    );
    assert_eq!(distinct, committed);

    let server = Server::start(&db).await;
    let started = Instant::now();
    let status = loop {
        let status = import_status(&client, &server, &token, id).await;
        if status["status"] != "applying" {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(180),
            "the import never ended: {status}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    // The rows committed before the kill count as created: the import
    // resumed after them instead of finding them there as unchanged.
    assert_eq!(status["status"], "applied", "{status}");
    assert_eq!(status["summary"]["created"], rows, "{status}");
    assert_eq!(status["summary"]["unchanged"], 0, "{status}");
    let (members, distinct) = member_counts(&db).await;
    assert_eq!(members, rows as i64 + 1, "every row once, and the owner");
    assert_eq!(distinct, members, "no member twice");
    let store = db.store().await;
    let mut conn = store.conn().await.unwrap();
    let (report_rows, lines): (i64, i64) =
        sqlx::query_as("SELECT COUNT(*), COUNT(DISTINCT line) FROM import_rows WHERE import_id = $1")
            .bind(id)
            .fetch_one(conn.raw())
            .await
            .unwrap();
    assert_eq!(
        (report_rows, lines),
        (rows as i64, rows as i64),
        "one report row per line"
    );
    drop(conn);
    store.close().await;
}

/// A TCP proxy in front of PostgreSQL whose connections can be cut (all
/// at once, and any new one refused) and restored.
struct Cutter {
    addr: SocketAddr,
    cut: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Cutter {
    async fn start(upstream: SocketAddr) -> Cutter {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let cut = Arc::new(AtomicBool::new(false));
        let links: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let (cut_, links_) = (cut.clone(), links.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if cut_.load(Ordering::SeqCst) {
                    continue; // dropped: the connection is refused
                }
                let link = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                links_.lock().unwrap().push(link);
            }
        });
        Cutter { addr, cut, links }
    }

    fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        for link in self.links.lock().unwrap().drain(..) {
            link.abort();
        }
    }

    fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn a_postgresql_outage_in_the_middle_of_an_import_is_retried_and_nothing_is_lost() {
    // This fault is PostgreSQL's (a server over the network), so it runs there
    // whichever database the suite runs on.
    let db = TestDb::postgres().await;
    let upstream: SocketAddr = "127.0.0.1:5432".parse().unwrap();
    let cutter = Cutter::start(upstream).await;
    let via_proxy = db.url.replace("127.0.0.1:5432", &cutter.addr.to_string());
    assert_ne!(via_proxy, db.url, "the test database is on 127.0.0.1:5432");
    db.store().await.close().await;
    let store = roster_store::Store::connect(&via_proxy).await.unwrap();
    let svc = Service::new(store).with_upload_sandbox(sandbox());
    svc.create_org(
        roster_service::NewOrg {
            name: "Acme".into(),
            slug: "acme".into(),
            owner_email: "o@acme.example".into(),
            owner_first_name: "O".into(),
            owner_last_name: "Wner".into(),
            owner_password: crate::helpers::PASSWORD.into(),
        },
        "test",
    )
    .await
    .unwrap();
    let actor = svc.system_actor("acme").await.unwrap();
    let rows = 30_000;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.csv");
    std::fs::write(&file, members_csv(rows)).unwrap();
    let import = svc
        .create_import(svc.authorize(&actor).await.unwrap(), "big.csv", &file, None)
        .await
        .unwrap();
    let import = svc
        .apply_import(svc.authorize(&actor).await.unwrap(), import.id, Default::default())
        .await
        .unwrap();
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let mut worker = Worker::new(svc.clone())
        .with_lease(Duration::from_secs(2))
        .with_poll_interval(Duration::from_millis(50));
    roster_service::imports::register_jobs(&mut worker, svc.clone());
    let worker = tokio::spawn(worker.run(stop_rx));
    // Cut once rows are being written.
    let started = Instant::now();
    let job = import.job_id.unwrap();
    loop {
        let progress = svc
            .job_progress(svc.authorize(&actor).await.unwrap(), job)
            .await
            .unwrap();
        if progress.is_some_and(|(done, _)| done > 0) {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the import never started");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    cutter.cut();
    tokio::time::sleep(Duration::from_secs(3)).await;
    // The chunks committed before the cut stay; the one cut off is gone.
    let (committed, distinct) = member_counts(&db).await;
    assert!(
        committed > 1 && committed < rows as i64 + 1,
        "some chunks and not all were committed: {committed}"
    );
    assert_eq!(distinct, committed);
    cutter.restore();
    let started = Instant::now();
    let done = loop {
        if let Ok(done) = svc.import(svc.authorize(&actor).await.unwrap(), import.id).await {
            if done.status != roster_service::imports::ImportStatus::Applying {
                break done;
            }
        }
        assert!(started.elapsed() < Duration::from_secs(120), "the import never ended");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(
        done.status,
        roster_service::imports::ImportStatus::Applied,
        "{:?}",
        done.summary
    );
    // It resumed after the committed chunks: they count as created.
    assert_eq!(done.summary.created, rows as u64, "{:?}", done.summary);
    stop.send_replace(true);
    let _ = worker.await;
    let (members, distinct) = member_counts(&db).await;
    assert_eq!(members, rows as i64 + 1, "every row once, and the owner");
    assert_eq!(distinct, members, "no member twice");
    let store = db.store().await;
    let mut conn = store.conn().await.unwrap();
    let attempts: i64 = sqlx::query_scalar("SELECT attempts FROM jobs WHERE id = $1")
        .bind(job)
        .fetch_one(conn.raw())
        .await
        .unwrap();
    assert!(
        attempts >= 2,
        "the job ran again after the outage ({attempts} attempts)"
    );
}
