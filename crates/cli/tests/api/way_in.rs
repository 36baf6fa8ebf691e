//! "Forgot password?" and the sign-up page, over HTTP with a real SMTP
//! server receiving the mail.

use std::time::Duration;

use serde_json::json;

use crate::helpers::smtp::link;
use crate::helpers::{spawn_with_mail, TestApp, PASSWORD};

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn post_form(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> (u16, String, Option<String>) {
    crate::helpers::post_public_form(&app.base, path, fields).await
}

#[tokio::test]
async fn a_password_is_reset_by_a_single_use_link_that_ends_every_session() {
    let app = spawn_with_mail().await;
    app.create_org("acme").await;
    let old_session = app.console_sign_in("owner@acme.example").await;
    app.console_html(&old_session, "/o/acme").await;

    // The same answer for a known and an unknown address.
    let (known_status, known, _) = post_form(&app, "/forgot", &[("email", "owner@acme.example")]).await;
    let (unknown_status, unknown, _) = post_form(&app, "/forgot", &[("email", "nobody@acme.example")]).await;
    assert_eq!((known_status, unknown_status), (200, 200));
    assert_eq!(
        known.replace("owner@acme.example", "X"),
        unknown.replace("nobody@acme.example", "X"),
    );
    let sink = app.sink.as_ref().unwrap();
    let mail = sink.wait_for(1).await.remove(0);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sink.messages().len(), 1, "nothing goes to an unknown address");
    assert_eq!(mail["rcpt_tos"], json!(["owner@acme.example"]));
    let reset = link(&mail, &app.base);
    let path = &reset[app.base.len()..];
    assert!(path.starts_with("/reset/"));

    let page = app.client.get(&reset).send().await.unwrap();
    assert_eq!(page.headers()["referrer-policy"], "no-referrer");
    let (status, body, _) = post_form(&app, path, &[("password", "short"), ("password_again", "short")]).await;
    assert_eq!(status, 422);
    assert!(body.contains("at least 12 characters"));
    let new = "a brand new password";
    let (status, _, cookie) = post_form(&app, path, &[("password", new), ("password_again", new)]).await;
    assert_eq!(status, 303);
    assert!(cookie.is_some(), "signed in with a new session");

    // The old session has ended; the old password no longer works; the new one does.
    let res = no_redirects()
        .get(format!("{}/o/acme", app.base))
        .header("cookie", &old_session)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let (status, _, _) = post_form(
        &app,
        "/login",
        &[("email", "owner@acme.example"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(status, 401);
    let (status, _, _) = post_form(&app, "/login", &[("email", "owner@acme.example"), ("password", new)]).await;
    assert_eq!(status, 303);

    // Single use.
    let (status, body, _) = post_form(&app, path, &[("password", new), ("password_again", new)]).await;
    assert_eq!(status, 410);
    assert!(body.contains("expired or was used"));
}

#[tokio::test]
async fn a_reset_link_lives_one_hour() {
    let app = spawn_with_mail().await;
    app.create_org("acme").await;
    post_form(&app, "/forgot", &[("email", "owner@acme.example")]).await;
    let mail = app.sink.as_ref().unwrap().wait_for(1).await.remove(0);
    let reset = link(&mail, &app.base);
    let mut conn = app.service.store().conn().await.unwrap();
    let lifetime: i64 = roster_store::sqlx::query_scalar("SELECT expires_at - created_at FROM password_resets")
        .fetch_one(conn.raw())
        .await
        .unwrap();
    assert_eq!(lifetime, 3_600_000);
    roster_store::sqlx::query("UPDATE password_resets SET expires_at = $1")
        .bind(roster_domain::now_millis() - 1)
        .execute(conn.raw())
        .await
        .unwrap();
    assert_eq!(app.client.get(&reset).send().await.unwrap().status(), 410);
}

#[tokio::test]
async fn the_sign_up_page_invites_readers_from_allowed_domains_and_says_nothing_of_known_addresses() {
    let app = spawn_with_mail().await;
    let org = app.create_org("acme").await;
    app.put(&org, "/seats/casual", json!({"purchased": 10}))
        .await
        .expect(200);

    // Off by default, and it says so.
    let page = app.client.get(format!("{}/join/acme", app.base)).send().await.unwrap();
    assert!(page.text().await.unwrap().contains("does not take sign-ups"));
    let (status, _, _) = post_form(&app, "/join/acme", &[("email", "new@acme.example")]).await;
    assert_eq!(status, 409);

    app.patch(
        &org,
        "/",
        json!({"signup_enabled": true, "signup_domains": ["acme.example"]}),
    )
    .await
    .expect(200);
    let (status, body, _) = post_form(&app, "/join/acme", &[("email", "new@elsewhere.example")]).await;
    assert_eq!(status, 422);
    assert!(body.contains("acme.example"));

    let (status, new_answer, _) = post_form(&app, "/join/acme", &[("email", "new@acme.example")]).await;
    assert_eq!(status, 200);
    let (status, known_answer, _) = post_form(&app, "/join/acme", &[("email", "owner@acme.example")]).await;
    assert_eq!(status, 200);
    assert_eq!(
        new_answer.replace("new@acme.example", "X"),
        known_answer.replace("owner@acme.example", "X"),
    );
    let sink = app.sink.as_ref().unwrap();
    let mail = sink.wait_for(1).await.remove(0);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sink.messages().len(), 1, "an active member gets nothing");
    assert_eq!(mail["rcpt_tos"], json!(["new@acme.example"]));
    assert!(link(&mail, &app.base).contains("/invite/"));
    let member = app.get(&org, "/members?q=new%40acme").await.expect(200).body["items"][0].clone();
    assert_eq!(member["role"], "reader");
    assert_eq!(member["seat_type"], "casual");
    assert_eq!(member["status"], "invited");

    // Managed by the identity provider: off, and it says why.
    app.patch(&org, "/", json!({"managed_by_identity_provider": true}))
        .await
        .expect(200);
    let page = app.client.get(format!("{}/join/acme", app.base)).send().await.unwrap();
    assert!(page.text().await.unwrap().contains("identity provider"));
    let (status, _, _) = post_form(&app, "/join/acme", &[("email", "other@acme.example")]).await;
    assert_eq!(status, 409);
}

#[tokio::test]
async fn sign_ups_are_throttled_per_client() {
    let app = spawn_with_mail().await;
    let org = app.create_org("acme").await;
    app.patch(&org, "/", json!({"signup_enabled": true})).await.expect(200);
    let mut statuses = Vec::new();
    for i in 0..12 {
        let (status, _, _) = post_form(&app, "/join/acme", &[("email", &format!("p{i}@x.example"))]).await;
        statuses.push(status);
    }
    assert_eq!(&statuses[..10], &[200; 10]);
    assert_eq!(statuses[11], 429);
}
