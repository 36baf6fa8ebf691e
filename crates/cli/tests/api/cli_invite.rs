//! `roster invite` and `roster mail` beside a running server: the command
//! writes the invitations, the server's worker delivers them.

use std::process::{Command, Output};

use serde_json::json;

use crate::cli::json;
use crate::helpers::smtp::link;
use crate::helpers::{spawn_with_mail, TestApp};

async fn roster_with(app: &TestApp, args: &[&str], env: &[(&str, String)]) -> Output {
    let url = app.db.url.clone();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let mut env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    env.push(("ROSTER_BASE_URL".into(), app.base.clone()));
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_roster"))
            .args(&args)
            .env_remove("RUST_LOG")
            .env_remove("ROSTER_SMTP_URL")
            .env("ROSTER_DATABASE_URL", &url)
            .envs(env)
            .output()
            .expect("run roster")
    })
    .await
    .expect("roster ran")
}

#[tokio::test]
async fn roster_invite_sends_resends_and_revokes() {
    let app = spawn_with_mail().await;
    let org = app.create_org("acme").await;
    let a = app.add_member(&org, "Ann", "A", "ann@acme.example").await;
    let b = app.add_member(&org, "Bob", "B", "bob@acme.example").await;

    let out = roster_with(
        &app,
        &[
            "invite",
            "--org",
            "acme",
            "--email",
            "ann@acme.example",
            "--email",
            "bob@acme.example",
            "--language",
            "nl",
            "--wait",
            "--json",
        ],
        &[],
    )
    .await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let outcome = json(&out);
    assert_eq!(outcome["invited"], json!([a, b]));
    let sink = app.sink.as_ref().unwrap();
    let messages = sink.wait_for(2).await;
    for m in &messages {
        assert!(m["text"].as_str().unwrap().contains("Uitnodiging accepteren"), "Dutch");
        assert!(
            link(m, &app.base).contains("/invite/"),
            "links on the server's base URL"
        );
    }

    // An unknown address is left out with the reason: exit 3.
    let out = roster_with(
        &app,
        &[
            "invite",
            "--org",
            "acme",
            "--email",
            "zed@acme.example",
            "--email",
            "ann@acme.example",
        ],
        &[],
    )
    .await;
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("no member has this e-mail"));

    let out = roster_with(
        &app,
        &["invite", "revoke", "--org", "acme", "--id", &b.to_string(), "--json"],
        &[],
    )
    .await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(json(&out)["revoked"], json!([b]));

    // Resend every expired invitation (the default of `resend`).
    app.force_status(a, "invitation_expired").await;
    let out = roster_with(&app, &["invite", "resend", "--org", "acme", "--json"], &[]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(json(&out)["invited"], json!([a]));
}

#[tokio::test]
async fn roster_mail_test_reports_what_the_server_said() {
    let app = spawn_with_mail().await;
    let sink = app.sink.as_ref().unwrap();
    let out = roster_with(
        &app,
        &["mail", "test", "--to", "ops@acme.example"],
        &[("ROSTER_SMTP_URL", sink.url())],
    )
    .await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("sent to ops@acme.example"));
    assert_eq!(sink.wait_for(1).await[0]["rcpt_tos"], json!(["ops@acme.example"]));

    let out = roster_with(
        &app,
        &["mail", "test", "--to", "reject-ops@acme.example"],
        &[("ROSTER_SMTP_URL", sink.url())],
    )
    .await;
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("550"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = roster_with(&app, &["mail", "test", "--to", "ops@acme.example"], &[]).await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no SMTP server is configured"));
}

#[tokio::test]
async fn messages_that_waited_for_smtp_go_out_with_roster_mail_deliver() {
    // A server without SMTP: the invitation waits in the outbox.
    let app = crate::helpers::spawn_app().await;
    let org = app.create_org("acme").await;
    let id = app.add_member(&org, "Wes", "W", "wes@acme.example").await;
    app.post(&org, "/invitations", json!({"members": {"ids": [id]}}))
        .await
        .expect(200);
    let sink = crate::helpers::smtp::SmtpSink::start().await;
    let out = roster_with(&app, &["mail", "deliver", "--json"], &[("ROSTER_SMTP_URL", sink.url())]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(json(&out)["claimed"], 1);
    let mail = sink.wait_for(1).await.remove(0);
    assert_eq!(mail["rcpt_tos"], json!(["wes@acme.example"]));
    assert!(link(&mail, &app.base).contains("/invite/"));
    let detail = app.get(&org, &format!("/members/{id}")).await.expect(200).body;
    assert_eq!(detail["invitations"][0]["messages"][0]["state"], "sent");
}
