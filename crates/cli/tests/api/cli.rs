//! The real `roster` binary against the test database.

use std::process::{Command, Output};

use serde_json::Value;

use crate::helpers::TestDb;

pub fn roster(db: &TestDb, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_roster"))
        .args(args)
        .env("ROSTER_DATABASE_URL", &db.url)
        .env("ROSTER_OWNER_PASSWORD", "a long enough password")
        .env_remove("RUST_LOG")
        .output()
        .expect("run roster")
}

/// [`roster`] beside a running test server: on a blocking thread, so that
/// the server's tasks (on the test's runtime) go on meanwhile — a task
/// stopped in the middle of a write transaction would hold SQLite's write
/// lock against the command.
pub async fn roster_beside(app: &crate::helpers::TestApp, args: &[&str]) -> Output {
    let url = app.db.url.clone();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_roster"))
            .args(&args)
            .env("ROSTER_DATABASE_URL", &url)
            .env("ROSTER_OWNER_PASSWORD", "a long enough password")
            .env_remove("RUST_LOG")
            .output()
            .expect("run roster")
    })
    .await
    .expect("roster ran")
}

pub fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON document ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

#[tokio::test]
async fn the_command_line_creates_an_org_a_token_and_members_with_json_output() {
    let db = TestDb::new().await;
    db.store().await;
    let out = roster(
        &db,
        &[
            "org",
            "create",
            "--name",
            "Müller & Söhne",
            "--slug",
            "mueller",
            "--owner-email",
            "chefin@mueller.de",
            "--json",
        ],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(json(&out)["slug"], "mueller");
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("a long enough password"),
        "the password is never echoed"
    );

    let out = roster(
        &db,
        &[
            "token", "create", "--org", "mueller", "--name", "ci", "--role", "admin", "--json",
        ],
    );
    assert!(json(&out)["token"].as_str().unwrap().starts_with("rst_"));

    let out = roster(
        &db,
        &[
            "member",
            "add",
            "--org",
            "mueller",
            "--first-name",
            "Zoë",
            "--last-name",
            "Ørsted",
            "--email",
            "zoe@mueller.de",
            "--json",
        ],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let id = json(&out)["id"].as_i64().unwrap().to_string();

    let out = roster(&db, &["member", "list", "--org", "mueller", "--json"]);
    let items = json(&out)["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2);

    let out = roster(
        &db,
        &[
            "member",
            "update",
            "--org",
            "mueller",
            &id,
            "--comment",
            "Neu",
            "--json",
        ],
    );
    assert_eq!(json(&out)["comment"], "Neu");

    let out = roster(
        &db,
        &[
            "org",
            "update",
            "--org",
            "mueller",
            "--import-row-limit",
            "2000",
            "--json",
        ],
    );
    assert_eq!(json(&out)["import_row_limit"], 2000);

    let out = roster(&db, &["member", "remove", "--org", "mueller", &id, "--json"]);
    assert_eq!(json(&out)["status"], "removed");

    let table = roster(&db, &["member", "list", "--org", "mueller"]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.starts_with("ID"), "{text}");
    assert!(text.contains("Zoë Ørsted"));
}

#[tokio::test]
async fn refused_input_exits_2_with_a_json_error_naming_the_field() {
    let db = TestDb::new().await;
    db.store().await;
    roster(
        &db,
        &[
            "org",
            "create",
            "--name",
            "A",
            "--slug",
            "acme",
            "--owner-email",
            "o@acme.de",
        ],
    );
    let bad_member = [
        "member",
        "add",
        "--org",
        "acme",
        "--first-name",
        "A",
        "--last-name",
        "B",
        "--email",
        "kaputt",
    ];
    let out = roster(&db, &[&bad_member[..], &["--json"]].concat());
    assert_eq!(out.status.code(), Some(2));
    let err = json(&out);
    assert_eq!(err["error"]["field"], "email");
    assert_eq!(
        err["error"]["message"], "is not an e-mail address: the @ is missing",
        "said once, without the field (it has its own key)"
    );
    let out = roster(&db, &bad_member);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim_end(),
        "error: email: is not an e-mail address: the @ is missing"
    );
    let out = roster(&db, &["member", "list", "--org", "nope", "--json"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(json(&out)["error"]["code"], "not_found");
}
