//! `roster import` as an admin runs it: the real binary on real files, its
//! JSON summary, its exit codes (0 all applied, 3 some rows failed, 2
//! refused), the report file, the dry run and undo.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::json;

use crate::cli::{json, roster};
use crate::helpers::{random_suffix, TestDb};

/// A database with the organization `acme`, and a directory for files.
async fn setup() -> (TestDb, PathBuf) {
    let db = TestDb::new().await;
    db.store().await;
    let out = roster(
        &db,
        &[
            "org",
            "create",
            "--name",
            "Acme",
            "--slug",
            "acme",
            "--owner-email",
            "owner@acme.de",
        ],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let dir = std::env::temp_dir().join(format!("roster-cli-import-{}", random_suffix()));
    std::fs::create_dir_all(&dir).unwrap();
    (db, dir)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.display().to_string()
}

/// `roster import --org acme FILE OPTIONS…`.
fn import(db: &TestDb, file: &str, options: &[&str]) -> Output {
    roster(db, &[&["import", "--org", "acme", file][..], options].concat())
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The members of `acme` by e-mail, with their first names.
fn members(db: &TestDb) -> Vec<(String, String)> {
    let out = roster(db, &["member", "list", "--org", "acme", "--json"]);
    let mut all: Vec<(String, String)> = json(&out)["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["status"] != "removed")
        .map(|m| {
            (
                m["email"].as_str().unwrap().to_owned(),
                m["first_name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    all.sort();
    all
}

fn add_member(db: &TestDb, first: &str, email: &str) {
    let out = roster(
        db,
        &[
            "member",
            "add",
            "--org",
            "acme",
            "--first-name",
            first,
            "--last-name",
            "Name",
            "--email",
            email,
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
}

#[tokio::test]
async fn bad_rows_exit_3_the_rest_is_applied_the_report_names_each_row_and_undo_removes_them() {
    let (db, dir) = setup().await;
    let before = members(&db);
    let file = write(
        &dir,
        "members.csv",
        "Vorname;Nachname;E-Mail\nGood;Row;good@acme.de\n;Missing;missing@acme.de\n".as_bytes(),
    );
    let report = dir.join("report.csv");
    let out = import(&db, &file, &["--report", &report.display().to_string(), "--json"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let summary = json(&out);
    let id = summary["import_id"].as_i64().unwrap();
    assert_eq!(
        summary,
        json!({"import_id": id, "status": "applied", "rows": 2, "created": 1,
               "updated": 0, "unchanged": 0, "failed": 1})
    );
    let report = std::fs::read_to_string(&report).unwrap();
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(lines[0], "\u{feff}Vorname;Nachname;E-Mail;status;reason");
    assert_eq!(lines[1], "Good;Row;good@acme.de;created;");
    assert_eq!(lines[2], ";Missing;missing@acme.de;error;Vorname: is required");
    assert!(members(&db).contains(&("good@acme.de".into(), "Good".into())));

    // Only the rows not imported: the file to fix and import again.
    let failed = dir.join("failed.csv");
    let out = import(
        &db,
        &file,
        &["--dry-run", "--report", &failed.display().to_string(), "--failed-only"],
    );
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let failed = std::fs::read_to_string(&failed).unwrap();
    assert_eq!(
        failed.lines().collect::<Vec<_>>(),
        [
            "\u{feff}Vorname;Nachname;E-Mail;status;reason",
            ";Missing;missing@acme.de;error;Vorname: is required"
        ]
    );
    let out = import(&db, &file, &["--failed-only"]);
    assert_eq!(out.status.code(), Some(2), "--failed-only needs --report");

    let out = roster(&db, &["import", "undo", "--org", "acme", &id.to_string(), "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json(&out)["removed"], 1);
    assert_eq!(members(&db), before, "undo removes what the import created");
}

#[tokio::test]
async fn a_clean_file_exits_0_and_a_mapping_file_maps_its_columns() {
    let (db, dir) = setup().await;
    let file = write(&dir, "odd.csv", b"a,b,c,d\nAda,Lovelace,ada@acme.de,ignored\n");
    let mapping = write(
        &dir,
        "mapping.json",
        json!([
            {"column": 0, "header": "a", "target": "first_name"},
            {"column": 1, "header": "b", "target": "last_name"},
            {"column": 2, "header": "c", "target": "email"},
            {"column": 3, "header": "d", "target": "skip"},
        ])
        .to_string()
        .as_bytes(),
    );
    let out = import(&db, &file, &["--mapping", &mapping, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json(&out)["created"], 1);
    assert!(members(&db).contains(&("ada@acme.de".into(), "Ada".into())));
}

#[tokio::test]
async fn a_dry_run_changes_nothing_and_its_report_is_planned_with_the_same_options() {
    let (db, dir) = setup().await;
    add_member(&db, "Old", "x@acme.de");
    let before = members(&db);
    let file = write(
        &dir,
        "members.csv",
        b"firstname,lastname,email\nNew,Name,x@acme.de\nAnna,Neu,anna@acme.de\n",
    );
    let report = dir.join("preview.csv");
    let out = import(
        &db,
        &file,
        &[
            "--dry-run",
            "--existing",
            "skip",
            "--report",
            &report.display().to_string(),
            "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let summary = json(&out);
    assert_eq!(summary["status"], "previewed");
    assert_eq!((&summary["created"], &summary["unchanged"]), (&json!(1), &json!(1)));
    let report = std::fs::read_to_string(&report).unwrap();
    assert!(
        report.contains("New,Name,x@acme.de,unchanged,"),
        "the report says what the dry run said: {report}"
    );
    assert!(report.contains("Anna,Neu,anna@acme.de,create,"), "{report}");
    assert_eq!(members(&db), before, "a dry run changes nothing");

    let out = import(&db, &file, &["--existing", "skip", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        (&json(&out)["created"], &json(&out)["unchanged"]),
        (&json!(1), &json!(1))
    );
    let after = members(&db);
    assert!(after.contains(&("x@acme.de".into(), "Old".into())), "{after:?}");
    assert!(after.contains(&("anna@acme.de".into(), "Anna".into())), "{after:?}");
}

#[tokio::test]
async fn a_refused_file_or_an_all_or_nothing_file_with_a_bad_row_exits_2_and_changes_nothing() {
    let (db, dir) = setup().await;
    let before = members(&db);
    let picture = write(&dir, "members.csv", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01");
    let out = import(&db, &picture, &["--json"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let error = json(&out);
    assert_eq!(error["error"]["field"], "file", "{error}");

    let file = write(
        &dir,
        "some-bad.csv",
        b"firstname,lastname,email\nA,B,a@acme.de\nC,D,not-an-email\n",
    );
    let out = import(&db, &file, &["--all-or-nothing", "--json"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(json(&out)["status"], "failed");
    assert_eq!(members(&db), before);

    // The database refuses a row on every attempt: once the job gives up,
    // the command says why and exits 2 (it used to wait for ever).
    db.refuse_member("boom@acme.de").await;
    let file = write(
        &dir,
        "boom.csv",
        b"firstname,lastname,email
A,B,a@acme.de
C,D,boom@acme.de
",
    );
    let out = import(&db, &file, &["--json"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let error = json(&out);
    assert_eq!(
        error["error"]["message"], "applying stopped, nothing was imported: internal error",
        "{error}"
    );
    assert_eq!(members(&db), before);
}

#[tokio::test]
async fn without_json_the_summary_is_a_sentence_and_the_detected_format_is_shown() {
    let (db, dir) = setup().await;
    let file = write(
        &dir,
        "members.csv",
        b"firstname,lastname,email,shoe size\nA,B,a@acme.de,44\nC,D,not-an-email,42\n",
    );
    // A dry run names the failed rows as applying will, and as the report does.
    let out = import(&db, &file, &["--dry-run"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("1 created, 0 updated, 0 unchanged, 1 failed"), "{text}");
    assert!(text.contains("line 3: email: is not an e-mail address"), "{text}");
    let out = import(&db, &file, &[]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("1 created, 0 updated, 0 unchanged, 1 failed"), "{text}");
    assert!(text.contains("line 3: email: is not an e-mail address"), "{text}");
    assert!(
        text.contains("(--report FILE writes every row with its reason; with --failed-only, just these rows)"),
        "{text}"
    );
    let err = stderr(&out);
    assert!(
        err.contains("members.csv: CSV (text), UTF-8, delimiter comma (,)"),
        "{err}"
    );
    assert!(err.contains("columns not imported: shoe size"), "{err}");
}

#[tokio::test]
async fn sheet_reads_another_sheet_of_a_workbook() {
    let (db, dir) = setup().await;
    let book = roster_bulk::fixtures::members_behind_a_cover("Ada", "Lovelace", "ada@acme.de");
    let file = write(&dir, "liste.xlsx", &book);
    let out = import(&db, &file, &["--sheet", "Mitglieder"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("sheet \"Mitglieder\""), "{}", stderr(&out));
    assert!(members(&db).contains(&("ada@acme.de".into(), "Ada".into())));

    let out = import(&db, &file, &["--sheet", "Members", "--json"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let error = json(&out);
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("its sheets are Deckblatt, Mitglieder"),
        "{error}"
    );
}

/// On a terminal, `roster import` draws a bar of rows while it checks the
/// file (`--dry-run`) and while it applies it. `script` (util-linux) gives it
/// a terminal; the file is large enough to outlast the bar's first tick.
#[tokio::test]
async fn on_a_terminal_a_progress_bar_counts_the_rows() {
    let (db, dir) = setup().await;
    let mut csv = String::from("firstname,lastname,email\n");
    for i in 0..50_000 {
        csv.push_str(&format!("Vor{i},Nach{i},person{i}@acme.de\n"));
    }
    let file = write(&dir, "big.csv", csv.as_bytes());
    let on_terminal = |args: &str| -> String {
        let command = format!("{} import --org acme {file} {args}", env!("CARGO_BIN_EXE_roster"));
        let out = std::process::Command::new("script")
            .args(["--quiet", "--return", "--command", &command, "/dev/null"])
            .env("ROSTER_DATABASE_URL", &db.url)
            .env_remove("RUST_LOG")
            .output()
            .expect("script(1), from util-linux");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "{text}");
        text
    };
    let checking = on_terminal("--dry-run");
    assert!(checking.contains("checking import"), "{checking}");
    assert!(checking.contains("/50,000 rows ("), "{checking}");
    assert!(checking.contains("previewed: 50000 created"), "{checking}");

    let applying = on_terminal("");
    assert!(applying.contains("checking every row, then applying"), "{applying}");
    assert!(applying.contains("applying import"), "{applying}");
    assert!(applying.contains("/50,000 rows ("), "{applying}");
    assert!(applying.contains("applied: 50000 created"), "{applying}");
}

/// Members of `acme` as the database holds them, counted while a command runs.
async fn member_count(db: &TestDb) -> i64 {
    let store = db.store().await;
    let mut conn = store.conn().await.unwrap();
    let n: i64 = roster_store::sqlx::query_scalar("SELECT COUNT(*) FROM members")
        .fetch_one(conn.raw())
        .await
        .unwrap();
    drop(conn);
    store.close().await;
    n
}

/// Ctrl-C while an import applies stops it as the console's button does:
/// the job drops the chunk it is writing, takes back the committed ones, and
/// the command says so and exits 2.
#[tokio::test]
async fn ctrl_c_stops_an_import_and_takes_back_what_it_committed() {
    let (db, dir) = setup().await;
    let before = member_count(&db).await;
    let rows = (1..=100_000).fold(String::from("firstname,lastname,email\n"), |mut out, i| {
        out.push_str(&format!("Vor{i},Nach{i},user{i}@acme.de\n"));
        out
    });
    let file = write(&dir, "big.csv", rows.as_bytes());
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_roster"))
        .args(["import", "--org", "acme", &file, "--json"])
        .env("ROSTER_DATABASE_URL", &db.url)
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Once a chunk has committed …
    let started = std::time::Instant::now();
    let store = db.store().await;
    let mut conn = store.conn().await.unwrap();
    loop {
        let n: i64 = roster_store::sqlx::query_scalar("SELECT COUNT(*) FROM members")
            .fetch_one(conn.raw())
            .await
            .unwrap();
        if n > before {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(120),
            "no chunk committed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    drop(conn);
    store.close().await;
    // … Ctrl-C.
    let interrupted = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("stopping, and taking back the rows it committed"),
        "{}",
        stderr(&out)
    );
    let error = json(&out);
    let message = error["error"]["message"].as_str().unwrap();
    assert!(message.starts_with("cancelled by "), "{error}");
    assert!(message.contains("rows it had committed were taken back"), "{error}");
    assert_eq!(member_count(&db).await, before, "nothing of the file is left");
}
