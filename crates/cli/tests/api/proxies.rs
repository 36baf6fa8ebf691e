//! Behind a reverse proxy, and against forms from elsewhere: the client
//! address is the socket's peer unless that peer is a trusted proxy; a form
//! post whose Origin (or Referer) is not Roster's own is refused, with or
//! without Fetch Metadata (HOSTILE 20, 23, 32).

use roster_store::sqlx;

use crate::helpers::{spawn_app, spawn_configured, TestApp, PASSWORD};

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn sign_in_from(app: &TestApp, forwarded_for: &str, email: &str, password: &str) -> u16 {
    client()
        .post(format!("{}/login", app.base))
        .header("x-forwarded-for", forwarded_for)
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The address of the newest audit row.
async fn last_audited_address(app: &TestApp) -> String {
    app.service.flush_deferred_writes().await;
    let mut conn = app.service.store().conn().await.unwrap();
    sqlx::query_scalar("SELECT ip FROM audit_events ORDER BY id DESC LIMIT 1")
        .fetch_one(conn.raw())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_spoofed_forwarded_for_from_an_untrusted_peer_changes_nothing() {
    let app = spawn_app().await;
    app.create_org("acme").await;
    assert_eq!(
        sign_in_from(&app, "198.51.100.7", "owner@acme.example", "wrong password").await,
        401
    );
    assert_eq!(
        last_audited_address(&app).await,
        "127.0.0.1",
        "the socket's peer, not the header"
    );
    // Fifty failures from one address, each claiming another: still one address.
    for i in 0..49 {
        let spoof = format!("203.0.113.{i}");
        assert_eq!(
            sign_in_from(&app, &spoof, &format!("n{i}@acme.example"), "wrong password").await,
            401
        );
    }
    assert_eq!(
        sign_in_from(&app, "192.0.2.1", "owner@acme.example", PASSWORD).await,
        429
    );
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_client_is_audited_and_throttled_alone() {
    let app = spawn_configured(None, None, |config| {
        config.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
    })
    .await;
    app.create_org("acme").await;
    // The client put its own (spoofed) entry first; the proxy appended the real one.
    assert_eq!(
        sign_in_from(&app, "6.6.6.6, 198.51.100.7", "owner@acme.example", "wrong password").await,
        401
    );
    assert_eq!(last_audited_address(&app).await, "198.51.100.7");
    for i in 0..49 {
        assert_eq!(
            sign_in_from(&app, "198.51.100.7", &format!("n{i}@acme.example"), "wrong password").await,
            401
        );
    }
    // That client is throttled, whoever it tries; another is not.
    assert_eq!(
        sign_in_from(&app, "198.51.100.7", "owner@acme.example", PASSWORD).await,
        429
    );
    assert_eq!(
        sign_in_from(&app, "198.51.100.8", "owner@acme.example", PASSWORD).await,
        303
    );
}

#[tokio::test]
async fn a_form_from_another_origin_is_refused_even_without_fetch_metadata() {
    let app = spawn_app().await;
    app.create_org("acme").await;
    let sign_in = |origin: Option<&'static str>, referer: Option<&'static str>| {
        let mut req = client()
            .post(format!("{}/login", app.base))
            .form(&[("email", "owner@acme.example"), ("password", PASSWORD)]);
        if let Some(origin) = origin {
            req = req.header("origin", origin);
        }
        if let Some(referer) = referer {
            req = req.header("referer", referer);
        }
        async move { req.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(sign_in(Some("https://evil.example"), None).await, 403);
    assert_eq!(sign_in(Some("null"), None).await, 403);
    assert_eq!(sign_in(None, Some("https://evil.example/login")).await, 403);
    let own_origin: &'static str = Box::leak(app.base.clone().into_boxed_str());
    let own_page: &'static str = Box::leak(format!("{}/login", app.base).into_boxed_str());
    // A base URL's host as a prefix of another host is not the same origin.
    let lookalike: &'static str = Box::leak(format!("{}.evil.example/login", app.base).into_boxed_str());
    assert_eq!(sign_in(None, Some(lookalike)).await, 403);
    assert_eq!(sign_in(Some(own_origin), None).await, 303);
    assert_eq!(sign_in(None, Some(own_page)).await, 303);
    assert_eq!(sign_in(None, None).await, 303, "scripts send neither");
    // Fetch Metadata, where a browser sends it, decides: only the same origin passes.
    let with_site = |site: &'static str| {
        let req = client()
            .post(format!("{}/login", app.base))
            .header("sec-fetch-site", site)
            .header("origin", "null")
            .form(&[("email", "owner@acme.example"), ("password", PASSWORD)]);
        async move { req.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(with_site("cross-site").await, 403);
    assert_eq!(with_site("same-site").await, 403);
    assert_eq!(
        with_site("same-origin").await,
        303,
        "a page with Referrer-Policy: no-referrer posts Origin: null"
    );

    // A signed-in member's form with a valid CSRF token, from elsewhere.
    let cookie = app.console_sign_in("owner@acme.example").await;
    let page = app.console_html(&cookie, "/o/acme/members/new").await;
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let res = client()
        .post(format!("{}/o/acme/members/new", app.base))
        .header("cookie", &cookie)
        .header("origin", "https://evil.example")
        .form(&[
            ("csrf", csrf.as_str()),
            ("first_name", "Eve"),
            ("last_name", "Evil"),
            ("email", "eve@evil.example"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    let org = crate::helpers::TestOrg {
        slug: "acme".into(),
        token: app.token("acme", "admin").await,
        owner_id: 0,
    };
    let members = app.get(&org, "/members?q=eve").await.expect(200);
    assert!(members.body["items"].as_array().unwrap().is_empty());
}
