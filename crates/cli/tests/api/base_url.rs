//! One base URL (issue 24): every link Roster makes points at the address
//! people use. `roster serve` records the base URL it serves under in the
//! database; a command that makes links and has none configured uses that
//! one and says so, and refuses — changing nothing — when there is none.

use std::process::Output;

use crate::cli::{json, roster, roster_env};
use crate::faults::Server;
use crate::helpers::{spawn_app, TestDb};

/// `roster` with a base URL of its own (`ROSTER_BASE_URL`), or none.
async fn roster_at(db: &TestDb, base_url: Option<&str>, args: &[&str]) -> Output {
    let set: Vec<(&str, &str)> = base_url.map(|url| ("ROSTER_BASE_URL", url)).into_iter().collect();
    roster_env(&db.url, args, &set, &["ROSTER_BASE_URL"]).await
}

fn ok(out: &Output) -> String {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// An organization `acme` with one member to invite, made on the command line.
async fn acme_with_ann() -> TestDb {
    let db = TestDb::new().await;
    db.store().await.close().await;
    ok(&roster(
        &db,
        &[
            "org",
            "create",
            "--name",
            "Acme",
            "--slug",
            "acme",
            "--owner-email",
            "owner@acme.example",
        ],
    ));
    ok(&roster(
        &db,
        &[
            "member",
            "add",
            "--org",
            "acme",
            "--first-name",
            "Ann",
            "--last-name",
            "A",
            "--email",
            "ann@acme.example",
        ],
    ));
    db
}

/// The text of the messages queued for `to`.
async fn mail_to(db: &TestDb, to: &str) -> Vec<String> {
    let store = db.store().await;
    let mut conn = store.conn().await.unwrap();
    let bodies: Vec<String> = roster_store::sqlx::query_scalar("SELECT body_text FROM outbox WHERE to_address = $1")
        .bind(to)
        .fetch_all(conn.raw())
        .await
        .unwrap();
    drop(conn);
    store.close().await;
    bodies
}

#[tokio::test]
async fn a_command_beside_roster_serve_links_to_where_the_server_listens_and_says_so() {
    let db = acme_with_ann().await;
    let server = Server::start(&db).await;

    let out = roster_at(&db, None, &["invite", "--org", "acme", "--email", "ann@acme.example"]).await;
    let said = ok(&out);
    assert!(
        said.contains(&format!("Links point at {}", server.base)),
        "the command says where its links point: {said}"
    );
    let mail = mail_to(&db, "ann@acme.example").await;
    assert_eq!(mail.len(), 1);
    assert!(
        mail[0].contains(&format!("{}/invite/", server.base)),
        "the link points at the server: {}",
        mail[0]
    );
    assert!(!mail[0].contains("127.0.0.1:8080"), "{}", mail[0]);

    // The SCIM URL the command prints is the server's too.
    let out = roster_at(&db, None, &["--json", "scim", "token", "create", "--org", "acme"]).await;
    ok(&out);
    assert_eq!(json(&out)["base_url"], format!("{}/scim/v2", server.base));
}

#[tokio::test]
async fn a_configured_base_url_wins_over_the_recorded_one_silently() {
    let db = acme_with_ann().await;
    let _server = Server::start(&db).await;

    let out = roster_at(
        &db,
        Some("https://roster.example"),
        &["invite", "--org", "acme", "--email", "ann@acme.example"],
    )
    .await;
    let said = ok(&out);
    assert!(!said.contains("Links point at"), "{said}");
    let mail = mail_to(&db, "ann@acme.example").await;
    assert!(mail[0].contains("https://roster.example/invite/"), "{}", mail[0]);
}

#[tokio::test]
async fn without_a_base_url_a_command_that_makes_links_refuses_and_changes_nothing() {
    let db = acme_with_ann().await;

    let out = roster_at(&db, None, &["invite", "--org", "acme", "--email", "ann@acme.example"]).await;
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("no base URL for links"), "{said}");
    assert!(
        said.contains("server.base_url") && said.contains("roster serve"),
        "{said}"
    );
    assert!(mail_to(&db, "ann@acme.example").await.is_empty(), "nothing was queued");
    let out = roster_at(&db, None, &["--json", "member", "list", "--org", "acme", "--q", "ann"]).await;
    ok(&out);
    assert_eq!(json(&out)["items"][0]["status"], "added", "Ann was not invited");

    let out = roster_at(&db, None, &["scim", "token", "create", "--org", "acme"]).await;
    assert!(!out.status.success());
    let out = roster_at(
        &db,
        Some("https://roster.example"),
        &["--json", "scim", "token", "list", "--org", "acme"],
    )
    .await;
    ok(&out);
    assert_eq!(json(&out)["items"].as_array().unwrap().len(), 0, "no token was made");

    // Commands that make no links do not need one.
    ok(&roster_at(&db, None, &["member", "list", "--org", "acme"]).await);
}

#[tokio::test]
async fn the_console_settings_show_the_base_url() {
    let app = spawn_app().await;
    app.create_org("acme").await;
    let cookie = app.console_sign_in("owner@acme.example").await;
    let page = app.console_html(&cookie, "/o/acme/settings").await;
    assert!(
        page.contains(&format!(r#"id="base_url" readonly value="{}""#, app.base)),
        "{page}"
    );
}
