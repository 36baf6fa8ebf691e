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

/// [`roster`] with an environment of its own: `set` added, `unset`
/// removed (`ROSTER_BASE_URL`, say), on a blocking thread as
/// [`roster_beside`].
pub async fn roster_env(db_url: &str, args: &[&str], set: &[(&str, &str)], unset: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_roster"));
    command
        .args(args)
        .env("ROSTER_DATABASE_URL", db_url)
        .env("ROSTER_OWNER_PASSWORD", "a long enough password")
        .env_remove("RUST_LOG");
    for name in unset {
        command.env_remove(name);
    }
    command.envs(set.iter().copied());
    tokio::task::spawn_blocking(move || command.output().expect("run roster"))
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

#[tokio::test]
async fn config_check_prints_the_settings_in_effect_with_secrets_masked_and_names_a_bad_key_by_line() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("database-url");
    std::fs::write(&secret, "postgres://roster:s3cr3t-pw@db.example/roster\n").unwrap();
    let config = dir.path().join("roster.toml");
    std::fs::write(
        &config,
        format!(
            "database_url_file = {:?}\n[server]\nlisten = \"127.0.0.1:9001\"\nbase_url = \"https://roster.example\"\ntrusted_proxies = [\"10.0.0.0/8\"]\n[upload]\nparallel = 3\n",
            secret.display().to_string()
        ),
    )
    .unwrap();
    let check = |env: &[(&str, &str)], args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_roster"));
        command
            .args(["config", "check", "--config"])
            .arg(&config)
            .args(args)
            .env_remove("ROSTER_DATABASE_URL")
            .env_remove("RUST_LOG");
        for (k, v) in env {
            command.env(k, v);
        }
        command.output().unwrap()
    };
    // The environment over the file, a flag over the environment.
    let out = check(&[("ROSTER_UPLOAD_PARALLEL", "5")], &["--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let settings = json(&out);
    assert_eq!(settings["database_url"], "postgres://roster:***@db.example/roster");
    assert_eq!(settings["server"]["listen"], "127.0.0.1:9001");
    assert_eq!(settings["server"]["trusted_proxies"], serde_json::json!(["10.0.0.0/8"]));
    assert_eq!(settings["upload"]["memory_mib"], 1024, "a default");
    assert_eq!(
        settings["upload"]["parallel"], 5,
        "ROSTER_UPLOAD_PARALLEL over the file"
    );
    let text = check(&[], &[]);
    let shown = String::from_utf8_lossy(&text.stdout);
    assert!(
        !shown.contains("s3cr3t-pw") && shown.contains("parallel = 3"),
        "{shown}"
    );

    std::fs::write(
        &config,
        "[server]\nlisten = \"127.0.0.1:9001\"\n\n[uploads]\nparallel = 3\n",
    )
    .unwrap();
    let out = check(&[], &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 4") && err.contains("uploads"), "{err}");
}
