//! `roster export` and `roster jobs` against the test database: the file
//! written where asked, exit codes, the dashboard as a table; and an
//! export whose process is killed mid-way (kill -9) leaves no ready file
//! and is finished by another worker once its lease expires.

use std::process::{Command, Stdio};

use serde_json::json;

use crate::cli::roster_beside;
use crate::exports::{many_members, populated, run_until_finished};
use crate::helpers::spawn_app;

#[tokio::test]
async fn roster_export_writes_the_file_and_roster_jobs_lists_it() {
    let app = spawn_app().await;
    let _org = populated(&app, "acme").await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("mitglieder.csv");
    let res = roster_beside(
        &app,
        &[
            "export",
            "members",
            "--org",
            "acme",
            "--format",
            "csv",
            "--csv-dialect",
            "excel-de",
            "--seat-type",
            "casual",
            "--out",
            out.to_str().unwrap(),
        ],
    )
    .await;
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    let stdout = String::from_utf8_lossy(&res.stdout);
    assert!(stdout.contains("1 rows written"), "{stdout}");
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.starts_with("\u{feff}first_name;last_name;"), "{text}");
    assert!(
        text.contains("Jürgen;Müller-Lüdenscheidt") && !text.contains("Zoë"),
        "{text}"
    );
    // Bad input: said, and nothing written.
    let bad = dir.path().join("bad.csv");
    let res = roster_beside(
        &app,
        &[
            "export",
            "organization",
            "--org",
            "acme",
            "--format",
            "csv",
            "--out",
            bad.to_str().unwrap(),
        ],
    )
    .await;
    assert!(!res.status.success());
    assert!(
        String::from_utf8_lossy(&res.stderr).contains("xlsx"),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    assert!(!bad.exists());
    let res = roster_beside(&app, &["jobs", "--org", "acme"]).await;
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    let table = String::from_utf8_lossy(&res.stdout);
    assert!(
        table.contains("Members export (CSV, excel-de)") && table.contains("Command line"),
        "{table}"
    );
    let res = roster_beside(&app, &["--json", "jobs", "--org", "acme", "--kind", "import"]).await;
    assert_eq!(crate::cli::json(&res), json!([]));
}

#[tokio::test]
async fn an_export_killed_mid_way_leaves_no_file_and_is_finished_by_another_worker() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    many_members(&app, &org, 5_000).await;
    app.stop_worker().await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("all.xlsx");
    let mut child = Command::new(env!("CARGO_BIN_EXE_roster"))
        .args(["export", "members", "--org", "acme", "--format", "xlsx", "--out"])
        .arg(&out)
        .env("ROSTER_DATABASE_URL", &app.db.url)
        .env("ROSTER_JOB_LEASE_SECONDS", "1")
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let org_id = app.system("acme").await.org_id;
    let id = loop {
        let jobs = app.get(&org, "/jobs?kind=export").await.expect(200);
        if let Some(e) = jobs.body["items"].as_array().unwrap().first() {
            if e["status"] == "running" {
                break e["id"].as_str().unwrap().to_owned();
            }
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the export finished before it could be killed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    };
    child.kill().unwrap();
    child.wait().unwrap();
    let mut conn = app.service.store().conn().await.unwrap();
    let record = roster_store::export_by_id(&mut conn, org_id, &id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.status, roster_domain::ExportStatus::Running, "{record:?}");
    assert!(
        roster_store::export_part(&mut conn, &id, 0).await.unwrap().is_none(),
        "no part of a file is stored"
    );
    drop(conn);
    let res = app.download(&org, &format!("/exports/{id}/file")).await;
    assert_eq!(res.status().as_u16(), 409);
    assert!(!out.exists());
    // The lease runs out; another worker takes the job up and finishes it.
    tokio::time::sleep(std::time::Duration::from_millis(1_200)).await;
    let record = run_until_finished(&app.service, org_id, &id).await;
    assert_eq!(record.status, roster_domain::ExportStatus::Ready, "{record:?}");
    assert_eq!(record.rows_done, 5_001);
}
