//! Single sign-on through the organization's OpenID provider: a real one
//! (panva's oidc-provider) for the way in, and one that misbehaves on
//! purpose for every refusal. A refusal gives a clear page, no session,
//! changes nothing, and writes an audit row with its reason.

use reqwest::StatusCode;
use roster_service::sso::SsoSettings;
use serde_json::Value;

use crate::helpers::oidc::{Browser, Defect, HostileProvider, Person, RealProvider, CLIENT_ID, CLIENT_SECRET};
use crate::helpers::{spawn_app, TestApp, TestOrg};

/// Connects `issuer` for acme and claims acme.example for it.
pub(crate) async fn connect(app: &TestApp, issuer: &str, jit: bool) {
    let actor = app.system("acme").await;
    let mut settings = SsoSettings::new(issuer, CLIENT_ID, Some(CLIENT_SECRET.into()));
    settings.jit = jit;
    app.service
        .set_sso(app.service.authorize(&actor).await.unwrap(), settings)
        .await
        .expect("the provider is connected");
    app.service
        .claim_sso_domain_as_operator(app.service.authorize(&actor).await.unwrap(), "acme.example")
        .await
        .unwrap();
}

pub(crate) fn callback_prefix(app: &TestApp) -> String {
    format!("{}/sso/callback", app.base)
}

/// Whether `cookie` opens the organization's console.
pub(crate) async fn console_opens(app: &TestApp, cookie: &str) -> bool {
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}/o/acme", app.base))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    res.status() == StatusCode::OK
}

pub(crate) fn session_of(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("roster_session="))
        .map(|v| v.split(';').next().unwrap().to_owned())
}

pub(crate) async fn status_of(app: &TestApp, org: &TestOrg, email: &str) -> Option<String> {
    let list = app.get(org, &format!("/members?q={email}")).await.expect(200);
    list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == email)
        .map(|m| m["status"].as_str().unwrap().to_owned())
}

pub(crate) async fn refusals(app: &TestApp, org: &TestOrg) -> Vec<Value> {
    app.service.flush_deferred_writes().await;
    app.audit(org, "sso.sign_in")
        .await
        .into_iter()
        .filter(|e| e["outcome"] == "refused")
        .collect()
}

#[tokio::test]
async fn a_member_signs_in_through_a_real_provider_and_is_linked_by_a_verified_address_of_a_proven_domain() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    app.add_member(&org, "Ann", "Acme", "ann@acme.example").await;
    let provider = RealProvider::start(&callback_prefix(&app)).await;
    connect(&app, &provider.issuer, false).await;

    let mut browser = Browser::default();
    let start = format!("{}/sso/acme", app.base);
    let res = browser
        .sign_in_at_provider(&start, "ann@acme.example", &callback_prefix(&app))
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{}", res.text().await.unwrap());
    assert_eq!(res.headers()["location"], "/o/acme");
    let cookie = session_of(&res).expect("a session");
    assert!(console_opens(&app, &cookie).await);
    assert_eq!(
        status_of(&app, &org, "ann@acme.example").await.as_deref(),
        Some("active")
    );
    let linked = app.audit(&org, "sso.link").await;
    assert_eq!(linked.len(), 1, "{linked:?}");
    assert_eq!(linked[0]["details"]["subject"], "ann@acme.example");
    let signed_in = app.audit(&org, "sso.sign_in").await;
    assert!(signed_in
        .iter()
        .any(|e| e["outcome"] == "success" && !e["ip"].as_str().unwrap().is_empty()));

    // Again, in a new browser: the identity is known, nothing is linked anew.
    let mut again = Browser::default();
    let res = again
        .sign_in_at_provider(&start, "ann@acme.example", &callback_prefix(&app))
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(session_of(&res).is_some());
    assert_eq!(app.audit(&org, "sso.link").await.len(), 1);
}

#[tokio::test]
async fn a_stranger_gets_a_not_a_member_page_or_with_just_in_time_membership_a_seat() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let provider = RealProvider::start(&callback_prefix(&app)).await;
    connect(&app, &provider.issuer, false).await;
    let start = format!("{}/sso/acme", app.base);

    let res = Browser::default()
        .sign_in_at_provider(&start, "bo.newman@acme.example", &callback_prefix(&app))
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(session_of(&res).is_none());
    let page = res.text().await.unwrap();
    assert!(
        page.contains("Not a member") && page.contains("bo.newman@acme.example"),
        "{page}"
    );
    assert_eq!(
        status_of(&app, &org, "bo.newman@acme.example").await,
        None,
        "nothing created"
    );
    assert_eq!(refusals(&app, &org).await[0]["details"]["reason"], "not_a_member");

    // Just-in-time membership: a reader with a casual seat, when one is free.
    connect(&app, &provider.issuer, true).await;
    app.put(&org, "/seats/casual", serde_json::json!({"purchased": 0}))
        .await;
    let res = Browser::default()
        .sign_in_at_provider(&start, "bo.newman@acme.example", &callback_prefix(&app))
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.text().await.unwrap().contains("no free casual seat"));
    assert_eq!(
        status_of(&app, &org, "bo.newman@acme.example").await,
        None,
        "nothing created"
    );

    app.put(&org, "/seats/casual", serde_json::json!({"purchased": 5}))
        .await
        .expect(200);
    let res = Browser::default()
        .sign_in_at_provider(&start, "bo.newman@acme.example", &callback_prefix(&app))
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(session_of(&res).is_some());
    assert_eq!(
        status_of(&app, &org, "bo.newman@acme.example").await.as_deref(),
        Some("active")
    );
}

/// Runs one sign-in against the misbehaving provider: the callback's answer.
pub(crate) async fn through(app: &TestApp, provider: &HostileProvider, defect: Defect) -> reqwest::Response {
    provider.misbehave(defect);
    let mut browser = Browser::default();
    let (callback, _) = browser
        .follow(&format!("{}/sso/acme", app.base), Some(&callback_prefix(app)))
        .await;
    browser.get(&callback).await
}

#[tokio::test]
async fn every_defect_of_an_id_token_is_refused_with_a_page_an_audit_row_and_nothing_changed() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    app.add_member(&org, "Ann", "Acme", "ann@acme.example").await;
    let provider = HostileProvider::start().await;
    connect(&app, &provider.issuer, false).await;

    let cases = [
        (Defect::AlgNone, "none"),
        (Defect::HmacWithClientSecret, "HS256"),
        (Defect::HmacWithPublicKey, "HS256"),
        (Defect::SignedWithUnpublishedKey, "signature"),
        (Defect::WrongIssuer, "issuer"),
        (Defect::WrongAudience, "audience"),
        (Defect::UntrustedSecondAudience, "audience"),
        (Defect::Expired, "expired"),
        (Defect::IssuedInTheFuture, "issue"),
        (Defect::IssuedLongAgo, "issue"),
        (Defect::WrongNonce, "nonce"),
        (Defect::NoNonce, "nonce"),
        (Defect::WrongAtHash, "at_hash"),
        (Defect::UserinfoNamesAnotherSubject, "userinfo"),
        (Defect::WrongIssInRedirect, "iss"),
        (Defect::NoIssInRedirect, "iss"),
    ];
    for (n, (defect, word)) in cases.iter().enumerate() {
        let res = through(&app, &provider, *defect).await;
        assert!(session_of(&res).is_none(), "{defect:?} opened a session");
        assert!(res.status().is_client_error(), "{defect:?}: {}", res.status());
        let page = res.text().await.unwrap();
        assert!(page.contains("Sign-in refused"), "{defect:?}: {page}");
        let rows = refusals(&app, &org).await;
        assert_eq!(rows.len(), n + 1, "{defect:?}: one audit row each");
        let reason = rows[0]["details"]["reason"].as_str().unwrap().to_lowercase()
            + " "
            + &rows[0]["details"]["message"].as_str().unwrap().to_lowercase();
        assert!(reason.contains(&word.to_lowercase()), "{defect:?}: {reason}");
    }
    assert_eq!(
        status_of(&app, &org, "ann@acme.example").await.as_deref(),
        Some("added")
    );
    assert!(app.audit(&org, "sso.link").await.is_empty(), "nobody was linked");

    // The same provider, behaving: Ann gets in.
    let res = through(&app, &provider, Defect::Nothing).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(session_of(&res).is_some());
}

#[tokio::test]
async fn a_provider_that_drips_redirects_or_answers_nonsense_gets_a_clear_page_in_time() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    app.add_member(&org, "Ann", "Acme", "ann@acme.example").await;
    let provider = HostileProvider::start().await;
    connect(&app, &provider.issuer, false).await;
    for defect in [
        Defect::TokenEndpointDrips,
        Defect::TokenEndpointRedirects,
        Defect::TokenEndpointHuge,
        Defect::TokenEndpointNonsense,
    ] {
        let started = std::time::Instant::now();
        let res = through(&app, &provider, defect).await;
        assert!(
            started.elapsed() < std::time::Duration::from_secs(6),
            "{defect:?} held the request"
        );
        assert_eq!(res.status(), StatusCode::BAD_GATEWAY, "{defect:?}");
        assert!(session_of(&res).is_none());
        assert!(res.text().await.unwrap().contains("could not be used"));
    }
    assert_eq!(refusals(&app, &org).await.len(), 4);
}

#[tokio::test]
async fn keys_rotate_without_a_restart() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    app.add_member(&org, "Ann", "Acme", "ann@acme.example").await;
    let provider = HostileProvider::start().await;
    connect(&app, &provider.issuer, false).await;
    let res = through(&app, &provider, Defect::RotatedKey).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{}", res.text().await.unwrap());
    assert_eq!(
        status_of(&app, &org, "ann@acme.example").await.as_deref(),
        Some("active")
    );
}

#[tokio::test]
async fn the_state_works_once_and_only_in_the_browser_that_started() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    app.add_member(&org, "Ann", "Acme", "ann@acme.example").await;
    let provider = HostileProvider::start().await;
    connect(&app, &provider.issuer, false).await;

    // Another browser brings the callback: refused, and the state is spent.
    let mut browser = Browser::default();
    let (callback, _) = browser
        .follow(&format!("{}/sso/acme", app.base), Some(&callback_prefix(&app)))
        .await;
    let res = Browser::default().get(&callback).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(session_of(&res).is_none());
    let res = browser.get(&callback).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST, "a state works once");

    // A replayed callback of a good sign-in.
    let mut browser = Browser::default();
    let (callback, _) = browser
        .follow(&format!("{}/sso/acme", app.base), Some(&callback_prefix(&app)))
        .await;
    assert_eq!(browser.get(&callback).await.status(), StatusCode::SEE_OTHER);
    let replay = browser.get(&callback).await;
    assert_eq!(replay.status(), StatusCode::BAD_REQUEST);
    assert!(session_of(&replay).is_none());
    // No state at all, and one never issued.
    let res = browser.get(&format!("{}/sso/callback?code=x", app.base)).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = browser
        .get(&format!("{}/sso/callback?code=x&state=forged", app.base))
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let reasons: Vec<String> = refusals(&app, &org)
        .await
        .iter()
        .map(|e| e["details"]["reason"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        reasons.contains(&"browser".to_owned()) && reasons.contains(&"state".to_owned()),
        "{reasons:?}"
    );
}

#[tokio::test]
async fn an_address_links_only_when_verified_of_a_proven_domain_and_never_to_a_member_linked_to_another_subject() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    app.add_member(&org, "Ann", "Acme", "ann@acme.example").await;
    app.add_member(&org, "Olga", "Other", "olga@other.example").await;
    let provider = HostileProvider::start().await;
    connect(&app, &provider.issuer, false).await;

    let refused_for = |reason: &'static str| reason;
    for (person, reason) in [
        (
            Person {
                subject: "s1".into(),
                email: "ann@acme.example".into(),
                email_verified: Some(false),
            },
            refused_for("email_unverified"),
        ),
        (
            Person {
                subject: "s1".into(),
                email: "ann@acme.example".into(),
                // Entra ID by default: no claim at all.
                email_verified: None,
            },
            refused_for("email_unverified"),
        ),
        (
            Person {
                subject: "s2".into(),
                email: "olga@other.example".into(),
                email_verified: Some(true),
            },
            refused_for("domain_not_claimed"),
        ),
    ] {
        provider.vouch_for(person.clone());
        let res = through(&app, &provider, Defect::Nothing).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{person:?}");
        assert!(session_of(&res).is_none());
        assert_eq!(refusals(&app, &org).await[0]["details"]["reason"], reason, "{person:?}");
    }
    assert_eq!(
        status_of(&app, &org, "ann@acme.example").await.as_deref(),
        Some("added")
    );

    // Linked as s1; then s9 comes with Ann's verified address: refused.
    provider.vouch_for(Person {
        subject: "s1".into(),
        email: "ann@acme.example".into(),
        email_verified: Some(true),
    });
    assert_eq!(
        through(&app, &provider, Defect::Nothing).await.status(),
        StatusCode::SEE_OTHER
    );
    provider.vouch_for(Person {
        subject: "s9".into(),
        email: "ann@acme.example".into(),
        email_verified: Some(true),
    });
    let res = through(&app, &provider, Defect::Nothing).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(session_of(&res).is_none());
    assert_eq!(
        refusals(&app, &org).await[0]["details"]["reason"],
        "linked_to_another_subject"
    );
}

#[tokio::test]
async fn removing_a_member_ends_their_sessions_from_the_provider_at_once() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let id = app.add_member(&org, "Ann", "Acme", "ann@acme.example").await;
    let provider = HostileProvider::start().await;
    connect(&app, &provider.issuer, false).await;
    let res = through(&app, &provider, Defect::Nothing).await;
    let cookie = session_of(&res).expect("a session");
    assert!(console_opens(&app, &cookie).await);
    app.delete(&org, &format!("/members/{id}")).await.expect(200);
    let mut conn = app.service.store().conn().await.unwrap();
    let left: i64 = roster_store::sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE sso_member_id = $1")
        .bind(id)
        .fetch_one(conn.raw())
        .await
        .unwrap();
    drop(conn);
    assert_eq!(left, 0);
    assert!(!console_opens(&app, &cookie).await);
}

#[tokio::test]
async fn an_issuer_is_checked_before_anything_is_stored() {
    let app = spawn_app().await;
    app.create_org("acme").await;
    let actor = app.system("acme").await;
    let set = |issuer: &str| {
        let service = app.service.clone();
        let actor = actor.clone();
        let issuer = issuer.to_owned();
        async move {
            service
                .set_sso(
                    service.authorize(&actor).await.unwrap(),
                    SsoSettings::new(&issuer, CLIENT_ID, Some(CLIENT_SECRET.into())),
                )
                .await
        }
    };
    for (issuer, says) in [
        ("https://login.microsoftonline.com/common/v2.0", "tenant"),
        ("not a url", "not a URL"),
        ("http://127.0.0.1:9/", "could not be reached"),
    ] {
        let err = set(issuer).await.expect_err(issuer).to_string();
        assert!(err.contains(says), "{issuer}: {err}");
    }
    // A provider whose discovery names another issuer.
    let provider = HostileProvider::start().await;
    let err = set(&format!("{}/other", provider.issuer))
        .await
        .expect_err("mismatch")
        .to_string();
    assert!(err.contains("issuer") || err.contains("404"), "{err}");
    assert!(app
        .service
        .sso_connection(app.service.authorize(&actor).await.unwrap())
        .await
        .unwrap()
        .is_none());

    // Without allow_private, the same provider on loopback is refused.
    let strict = roster_service::Service::new(app.service.store().clone());
    let err = strict
        .set_sso(
            strict.authorize(&actor).await.unwrap(),
            SsoSettings::new(&provider.issuer, CLIENT_ID, Some(CLIENT_SECRET.into())),
        )
        .await
        .expect_err("loopback")
        .to_string();
    assert!(err.contains("only https") || err.contains("loopback"), "{err}");
}

/// `roster` beside the test server, private providers allowed or not.
pub(crate) async fn roster_with(app: &TestApp, args: &[&str], set: &[(&str, &str)]) -> std::process::Output {
    crate::cli::roster_env(&app.db.url, args, set, &["ROSTER_OUTBOUND_ALLOW_PRIVATE"]).await
}

#[tokio::test]
async fn roster_sso_set_connects_shows_and_removes_the_provider_from_the_command_line() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let provider = RealProvider::start(&callback_prefix(&app)).await;
    let secret_file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(secret_file.path(), format!("{CLIENT_SECRET}\n")).unwrap();
    let secret_path = secret_file.path().to_str().unwrap().to_owned();
    let set = [
        "--json",
        "sso",
        "set",
        "--org",
        "acme",
        "--issuer",
        &provider.issuer,
        "--client-id",
        CLIENT_ID,
        "--client-secret-file",
        &secret_path,
        "--domain",
        "Acme.Example",
    ];

    // A provider on loopback is a private target: refused unless allowed.
    let out = roster_with(&app, &set, &[]).await;
    assert!(!out.status.success());
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("allow_private"), "{said}");

    let out = roster_with(&app, &set, &[("ROSTER_OUTBOUND_ALLOW_PRIVATE", "true")]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let shown = crate::cli::json(&out);
    assert_eq!(shown["redirect_uri"], format!("{}/sso/callback", app.base));
    assert_eq!(shown["provider"]["algorithms"], serde_json::json!(["RS256"]));
    assert_eq!(shown["provider"]["client_authentication"], "client_secret_basic");
    assert!(
        !out.stdout
            .windows(CLIENT_SECRET.len())
            .any(|w| w == CLIENT_SECRET.as_bytes()),
        "the secret is masked"
    );

    let out = roster_with(&app, &["--json", "sso", "domain", "list", "--org", "acme"], &[]).await;
    let domains = crate::cli::json(&out);
    assert_eq!(domains["items"][0]["domain"], "acme.example");
    assert_eq!(domains["items"][0]["verified_by"], "operator");

    let out = roster_with(
        &app,
        &["sso", "test", "--org", "acme"],
        &[("ROSTER_OUTBOUND_ALLOW_PRIVATE", "true")],
    )
    .await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("{}/sso/acme?test=1", app.base)));

    // Another organization cannot prove the same domain.
    app.create_org("other").await;
    let out = roster_with(
        &app,
        &["sso", "domain", "claim", "--org", "other", "--domain", "acme.example"],
        &[],
    )
    .await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("another organization"));

    let out = roster_with(&app, &["--json", "sso", "remove", "--org", "acme"], &[]).await;
    assert_eq!(crate::cli::json(&out)["removed"], true);
    let res = Browser::default().get(&format!("{}/sso/acme", app.base)).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.audit(&org, "sso.connect").await.len(), 1);
    assert_eq!(app.audit(&org, "sso.disconnect").await.len(), 1);
}

#[tokio::test]
async fn an_admins_test_sign_in_runs_the_whole_flow_and_changes_nothing_but_the_tested_time() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let provider = RealProvider::start(&callback_prefix(&app)).await;
    connect(&app, &provider.issuer, false).await;
    let res = Browser::default()
        .sign_in_at_provider(
            &format!("{}/sso/acme?test=1", app.base),
            "nobody.here@acme.example",
            &callback_prefix(&app),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(session_of(&res).is_none(), "a test opens no session");
    let page = res.text().await.unwrap();
    assert!(
        page.contains("Test sign-in passed") && page.contains("nobody.here@acme.example"),
        "{page}"
    );
    assert_eq!(status_of(&app, &org, "nobody.here@acme.example").await, None);
    let actor = app.system("acme").await;
    let connection = app
        .service
        .sso_connection(app.service.authorize(&actor).await.unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(connection.tested_at.is_some());
}

#[tokio::test]
async fn the_sign_in_page_sends_an_address_of_a_proven_domain_to_its_provider_and_others_to_the_password() {
    let app = spawn_app().await;
    app.create_org("acme").await;
    let provider = HostileProvider::start().await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let first_step = |email: &'static str| {
        client
            .post(format!("{}/login", app.base))
            .form(&[("email", email), ("next", "/")])
            .send()
    };
    // Before a provider is connected, everyone gets the password step.
    let res = first_step("ann@acme.example").await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains(r#"name="password""#));

    connect(&app, &provider.issuer, false).await;
    // A page that goes on to the provider by itself (a redirect from the
    // form would break the console's form-action rule).
    let res = first_step("Ann@ACME.example").await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let page = res.text().await.unwrap();
    let to = "/sso/acme?login_hint=Ann%40ACME.example";
    assert!(
        page.contains(&format!(r#"<meta http-equiv="refresh" content="0;url={to}">"#)),
        "{page}"
    );
    assert!(page.contains(&format!(r#"href="{to}""#)), "{page}");
    let res = Browser::default().get(&format!("{}{to}", app.base)).await;
    let authorize = res.headers()["location"].to_str().unwrap();
    assert!(
        authorize.starts_with(&provider.issuer) && authorize.contains("login_hint=Ann%40ACME.example"),
        "{authorize}"
    );

    // Another domain, known or not, gets the password step: nothing tells
    // whether an account exists.
    for email in ["owner@acme.example.org", "nobody@elsewhere.example"] {
        let res = first_step(email).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let page = res.text().await.unwrap();
        assert!(page.contains(r#"name="password""#) && page.contains(email), "{page}");
    }
    // Both steps at once still sign in with a password.
    let res = client
        .post(format!("{}/login", app.base))
        .form(&[("email", "owner@acme.example"), ("password", crate::helpers::PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(session_of(&res).is_some());
}
