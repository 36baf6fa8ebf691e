//! Signing in to the console, over plain HTTP: the same answer for an
//! unknown e-mail and a wrong password, throttling, cookie attributes, a new
//! session id at every sign-in, and no state change on GET.

use crate::helpers::{session_cookie, spawn_app, TestApp, PASSWORD};

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn sign_in(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    client()
        .post(format!("{}/login", app.base))
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_unknown_email_and_a_wrong_password_get_the_same_answer() {
    let app = spawn_app().await;
    app.create_org("acme").await;
    let unknown = sign_in(&app, "nobody@acme.example", "whatever password").await;
    let wrong = sign_in(&app, "owner@acme.example", "whatever password").await;
    assert_eq!(unknown.status().as_u16(), 401);
    assert_eq!(wrong.status().as_u16(), 401);
    assert!(unknown.headers().get("set-cookie").is_none());
    let (a, b) = (unknown.text().await.unwrap(), wrong.text().await.unwrap());
    assert_eq!(
        a.replace("nobody@acme.example", "X"),
        b.replace("owner@acme.example", "X")
    );
}

#[tokio::test]
async fn repeated_failures_for_an_account_are_throttled_even_with_the_right_password() {
    let app = spawn_app().await;
    app.create_org("acme").await;
    for _ in 0..10 {
        assert_eq!(
            sign_in(&app, "owner@acme.example", "wrong password!")
                .await
                .status()
                .as_u16(),
            401
        );
    }
    assert_eq!(
        sign_in(&app, "owner@acme.example", PASSWORD).await.status().as_u16(),
        429
    );
    // Another account from the same address is not locked out by this one.
    assert_eq!(
        sign_in(&app, "someone@acme.example", "wrong password!")
            .await
            .status()
            .as_u16(),
        401
    );
}

#[tokio::test]
async fn a_sign_in_sets_an_http_only_same_site_cookie_with_a_new_session_each_time() {
    let app = spawn_app().await;
    app.create_org("acme").await;
    let first = sign_in(&app, "owner@acme.example", PASSWORD).await;
    assert_eq!(first.status().as_u16(), 303);
    let cookie = first.headers().get("set-cookie").unwrap().to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("Secure"),
        "plain http: a Secure cookie would be dropped by the browser"
    );
    let second = sign_in(&app, "owner@acme.example", PASSWORD).await;
    let cookie2 = second.headers().get("set-cookie").unwrap().to_str().unwrap().to_owned();
    assert_ne!(
        cookie.split(';').next(),
        cookie2.split(';').next(),
        "every sign-in gets a fresh session id"
    );
}

#[tokio::test]
async fn over_tls_the_cookie_is_secure_and_host_prefixed() {
    let app = crate::helpers::spawn_app_at(Some("https://roster.example")).await;
    app.create_org("acme").await;
    let res = sign_in(&app, "owner@acme.example", PASSWORD).await;
    let cookie = res.headers().get("set-cookie").unwrap().to_str().unwrap().to_owned();
    assert!(
        cookie.starts_with("__Host-roster_session=") && cookie.contains("; Secure"),
        "{cookie}"
    );
}

#[tokio::test]
async fn a_session_ends_on_sign_out_and_when_the_member_is_removed() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let id = app
        .member_with_login(&org, "Carl", "carl@acme.example", "collaborator")
        .await;
    let res = sign_in(&app, "carl@acme.example", PASSWORD).await;
    let cookie = session_cookie(&res);
    let home = client()
        .get(format!("{}/o/acme", app.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(home.status().as_u16(), 200);
    app.delete(&org, &format!("/members/{id}")).await.expect(200);
    let after = client()
        .get(format!("{}/o/acme", app.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status().as_u16(), 303, "removal ended the session");
    assert_eq!(after.headers().get("location").unwrap(), "/login");
}

#[tokio::test]
async fn console_pages_carry_a_strict_content_security_policy() {
    let app = spawn_app().await;
    let res = client().get(format!("{}/login", app.base)).send().await.unwrap();
    let csp = res.headers().get("content-security-policy").unwrap().to_str().unwrap();
    assert!(
        csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert_eq!(res.headers().get("x-content-type-options").unwrap(), "nosniff");
}

#[tokio::test]
async fn a_state_changing_route_does_not_answer_get() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let id = app.add_member(&org, "A", "B", "a@acme.example").await;
    let res = sign_in(&app, "owner@acme.example", PASSWORD).await;
    let cookie = session_cookie(&res);
    for path in [
        "/logout".to_string(),
        "/o/acme/leave".to_string(),
        "/o/acme/members/bulk".to_string(),
        "/o/acme/teams/1/delete".to_string(),
    ] {
        let res = client()
            .get(format!("{}{path}", app.base))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 405, "{path}");
    }
    // The remove page asks; only its POST removes.
    let page = client()
        .get(format!("{}/o/acme/members/{id}/remove", app.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    assert_eq!(
        app.get(&org, &format!("/members/{id}")).await.expect(200).body["status"],
        "added"
    );
}

#[tokio::test]
async fn a_burst_of_sign_ins_gets_429_instead_of_unbounded_hashing() {
    // One argon2 at a time, and a short wait for a turn: a burst overflows.
    let hasher = roster_service::PasswordHasher::new(1, std::time::Duration::from_millis(20));
    let app = crate::helpers::spawn_custom(None, Some(hasher)).await;
    let mut tasks = Vec::new();
    for i in 0..20 {
        let url = format!("{}/login", app.base);
        tasks.push(tokio::spawn(async move {
            let email = format!("nobody{i}@acme.example");
            client()
                .post(url)
                .form(&[("email", email.as_str()), ("password", "wrong password!")])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert!(statuses.iter().all(|s| *s == 401 || *s == 429), "{statuses:?}");
    assert!(statuses.contains(&429), "{statuses:?}");
    assert!(statuses.contains(&401), "{statuses:?}");
}

/// Pages ask what the viewer may do to show or hide a part (the member
/// list's team filter, a member's buttons); asking is no attempt: a GET
/// writes no refusal row, and shows no more than the viewer may see.
#[tokio::test]
async fn rendering_a_page_asks_permissions_without_writing_refusals() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    app.post(
        &org,
        "/roles",
        serde_json::json!({"key": "auditor", "name": "Auditor", "permissions": ["org.read", "members.read", "audit.read"]}),
    )
    .await
    .expect(201);
    let ada = app
        .member_with_login(&org, "Ada", "ada@acme.example", "custom:auditor")
        .await;
    app.post(&org, "/teams", serde_json::json!({"name": "Geheimteam"}))
        .await
        .expect(201);
    let cookie = app.console_sign_in("ada@acme.example").await;
    let list = app.console_html(&cookie, "/o/acme/members").await;
    assert!(!list.contains("Geheimteam"), "no teams for a viewer without teams.read");
    assert!(
        !list.contains("Apply to selected"),
        "no bulk actions without members.manage"
    );
    let page = app.console_html(&cookie, &format!("/o/acme/members/{ada}")).await;
    assert!(!page.contains("/edit\""), "no edit button without members.manage");
    app.service.flush_deferred_writes().await;
    let refused = app.get(&org, "/audit?outcome=refused").await.expect(200);
    assert_eq!(refused.body["items"], serde_json::json!([]), "{}", refused.body);
}
