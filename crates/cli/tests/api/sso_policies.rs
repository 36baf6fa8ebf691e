//! Single sign-on's rules beyond signing in: domains proven by a DNS TXT
//! record (against the tests' DNS server on loopback), "SSO required" with
//! the owner's break-glass password, the provider's groups to roles and
//! teams, and signing out at the provider (RP-initiated logout).

use reqwest::StatusCode;
use roster_service::sso::SsoSettings;
use serde_json::{json, Value};

use super::sso::{callback_prefix, connect, console_opens, roster_with, session_of, status_of, through};
use crate::helpers::dns::TestDns;
use crate::helpers::oidc::{
    Browser, Defect, HostileProvider, Person, RealProvider, CLIENT_ID, CLIENT_SECRET, SECOND_CLIENT_ID,
    SECOND_CLIENT_SECRET,
};
use crate::helpers::smtp::link;
use crate::helpers::{random_suffix, spawn_app, spawn_with_mail, TestApp, PASSWORD};

/// The page's error (or notice) paragraph, as text.
fn said(page: &str) -> String {
    page.split("role=\"alert\">")
        .chain(page.split("role=\"status\">"))
        .skip(1)
        .map(|rest| rest.split("</p>").next().unwrap_or_default().to_owned())
        .collect::<Vec<_>>()
        .join(" | ")
}

async fn domains(app: &TestApp, slug: &str) -> Vec<Value> {
    let actor = app.system(slug).await;
    let listed = app
        .service
        .sso_domains(app.service.authorize(&actor).await.unwrap())
        .await
        .unwrap();
    serde_json::to_value(listed).unwrap().as_array().unwrap().clone()
}

#[tokio::test]
async fn an_admin_proves_a_domain_with_a_txt_record_and_no_other_organization_can() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    app.create_org("other").await;
    let dns = TestDns::shared();
    // A domain's labels have letters, digits and hyphens only.
    let label = || random_suffix().replace('_', "-");
    let domain = format!("acme-{}.example", label());
    let record = format!("_roster-challenge.{domain}");
    let page_path = "/o/acme/settings/identity-provider";
    let owner = app.console_sign_in("owner@acme.example").await;
    let page = app.console_html(&owner, page_path).await;

    let res = app
        .console_post(
            &owner,
            &page,
            &format!("{page_path}/domains"),
            &[("domain", &domain.to_uppercase())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = res.text().await.unwrap();
    let claimed = domains(&app, "acme").await;
    assert_eq!(claimed[0]["domain"], domain.as_str());
    assert_eq!(claimed[0]["record_name"], record.as_str());
    assert!(claimed[0]["verified_at"].is_null());
    let proof = claimed[0]["proof"].as_str().unwrap().to_owned();
    assert!(
        said(&page).contains(&record) && said(&page).contains(&proof),
        "{}",
        said(&page)
    );

    // Nothing published yet; then a record with another value.
    let verify = |page: String| {
        let app = &app;
        let owner = owner.clone();
        let domain = domain.clone();
        async move {
            app.console_post(
                &owner,
                &page,
                &format!("{page_path}/domains/verify"),
                &[("domain", &domain)],
            )
            .await
            .text()
            .await
            .unwrap()
        }
    };
    let page = verify(page).await;
    assert!(said(&page).contains("it has no TXT record"), "{}", said(&page));
    dns.publish_txt(&record, "roster-proof-of-someone-else");
    let page = verify(page).await;
    assert!(
        said(&page).contains("roster-proof-of-someone-else") && said(&page).contains(&proof),
        "{}",
        said(&page)
    );
    assert!(domains(&app, "acme").await[0]["verified_at"].is_null());

    dns.publish_txt(&record, &proof);
    let page = verify(page).await;
    assert!(said(&page).contains("is proven"), "{}", said(&page));
    let proven = domains(&app, "acme").await;
    assert_eq!(proven[0]["verified_by"], "dns");
    assert!(!proven[0]["verified_at"].is_null());
    let audited = app.audit(&org, "sso.domain.verify").await;
    assert_eq!(audited.len(), 1);
    assert!(!audited[0]["ip"].as_str().unwrap().is_empty());

    // Another organization may claim it, publish its own record even, and
    // still not prove it: a domain is proven by one organization only.
    let out = roster_with(
        &app,
        &["sso", "domain", "claim", "--org", "other", "--domain", &domain, "--dns"],
        &[],
    )
    .await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("another organization"));
    assert!(domains(&app, "other").await.is_empty());

    // From the command line: claim, publish, verify.
    let second = format!("corp-{}.example", label());
    let out = roster_with(
        &app,
        &["sso", "domain", "claim", "--org", "other", "--domain", &second, "--dns"],
        &[],
    )
    .await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let printed = String::from_utf8_lossy(&out.stdout).to_string();
    let value = printed
        .split_whitespace()
        .find(|w| w.starts_with("roster-proof-"))
        .unwrap_or_else(|| panic!("no proof printed: {printed}"))
        .to_owned();
    assert!(printed.contains(&format!("_roster-challenge.{second}")), "{printed}");
    let dns_server = dns.addr.to_string();
    let env = [("ROSTER_DNS_SERVER", dns_server.as_str())];
    let verify = [
        "--json", "sso", "domain", "verify", "--org", "other", "--domain", &second,
    ];
    let out = roster_with(&app, &verify, &env).await;
    assert!(!out.status.success(), "not published yet");
    dns.publish_txt(&format!("_roster-challenge.{second}"), &value);
    let out = roster_with(&app, &verify, &env).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(crate::cli::json(&out)["verified_by"], "dns");
    dns.withdraw(&record);
    dns.withdraw(&format!("_roster-challenge.{second}"));
}

async fn connect_required(app: &TestApp, issuer: &str) {
    connect(app, issuer, false).await;
    let actor = app.system("acme").await;
    let mut settings = SsoSettings::new(issuer, CLIENT_ID, Some(CLIENT_SECRET.into()));
    settings.required = true;
    app.service
        .set_sso(app.service.authorize(&actor).await.unwrap(), settings)
        .await
        .unwrap();
}

async fn password_sign_in(app: &TestApp, email: &str) -> reqwest::Response {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}/login", app.base))
        .form(&[("email", email), ("password", PASSWORD), ("next", "/")])
        .send()
        .await
        .unwrap()
}

async fn audit_until(app: &TestApp, org: &crate::helpers::TestOrg, action: &str) -> Vec<Value> {
    for _ in 0..100 {
        let rows = app.audit(org, action).await;
        if !rows.is_empty() {
            return rows;
        }
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    }
    Vec::new()
}

#[tokio::test]
async fn with_sso_required_members_get_in_only_through_the_provider_and_the_owner_keeps_a_break_glass_password() {
    let app = spawn_with_mail().await;
    let org = app.create_org("acme").await;
    let ann = app.member_with_login(&org, "Ann", "ann@acme.example", "reader").await;
    let provider = HostileProvider::start().await;
    connect(&app, &provider.issuer, false).await;
    let before = session_of(&password_sign_in(&app, "ann@acme.example").await).expect("a password session");
    assert!(console_opens(&app, &before).await);

    connect_required(&app, &provider.issuer).await;

    // A password no longer opens the organization: not a new session, not
    // one opened before.
    let res = password_sign_in(&app, "ann@acme.example").await;
    assert!(session_of(&res).is_none());
    let page = res.text().await.unwrap();
    assert!(page.contains("/sso/acme?login_hint=ann%40acme.example"), "{page}");
    let refused = app.audit(&org, "sign_in").await;
    assert_eq!(refused[0]["outcome"], "refused");
    assert_eq!(refused[0]["details"]["reason"], "sso_required");
    let res = reqwest::Client::new()
        .get(format!("{}/o/acme", app.base))
        .header("cookie", &before)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.text().await.unwrap().contains("href=\"/sso/acme\""));

    // Nor can a password be reset (the answer is the same as for anyone).
    let (status, _, _) = crate::helpers::post_public_form(&app.base, "/forgot", &[("email", "ann@acme.example")]).await;
    assert_eq!(status, 200);
    let reset = audit_until(&app, &org, "password_reset.request").await;
    assert_eq!(reset[0]["outcome"], "refused", "{reset:?}");
    assert!(app.sink.as_ref().unwrap().to("ann@acme.example").is_empty());

    // Through the provider, Ann gets in.
    provider.vouch_for(Person {
        subject: "sub-ann".into(),
        email: "ann@acme.example".into(),
        email_verified: Some(true),
    });
    let res = through(&app, &provider, Defect::Nothing).await;
    let cookie = session_of(&res).expect("a session through the provider");
    assert!(console_opens(&app, &cookie).await);
    assert_eq!(
        status_of(&app, &org, "ann@acme.example").await.as_deref(),
        Some("active")
    );
    let _ = ann;

    // The owner keeps a password, and each use is audited; the console
    // warns while it is the owner's only way in.
    let owner = session_of(&password_sign_in(&app, "owner@acme.example").await).expect("break glass");
    assert!(console_opens(&app, &owner).await);
    let glass = app.audit(&org, "sso.break_glass").await;
    assert_eq!(glass.len(), 1, "{glass:?}");
    assert!(!glass[0]["ip"].as_str().unwrap().is_empty());
    let page = app.console_html(&owner, "/o/acme/settings/identity-provider").await;
    assert!(page.contains("the owner's password is the only way in"), "{page}");
    let login = reqwest::get(format!("{}/login?email=owner%40acme.example&password=1", app.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        login.contains(r#"name="password""#),
        "the break-glass way to the password step"
    );

    // Invitations say "Sign in with …" and take no password.
    let bo = app
        .post(
            &org,
            "/members",
            json!({"first_name": "Bo", "last_name": "Newman", "email": "bo@acme.example"}),
        )
        .await
        .expect(201)
        .id();
    app.post(&org, "/invitations", json!({"members": {"ids": [bo]}}))
        .await
        .expect(200);
    let mail = app.sink.as_ref().unwrap().wait_for(1).await;
    let mail = mail.iter().find(|m| m["rcpt_tos"][0] == "bo@acme.example").unwrap();
    let text = mail["text"].as_str().unwrap();
    assert!(text.contains("Sign in with 127.0.0.1"), "{text}");
    let invite = link(mail, &app.base);
    let path = invite.trim_start_matches(&app.base).to_owned();
    let page = reqwest::get(&invite).await.unwrap().text().await.unwrap();
    assert!(page.contains("/sso/acme?login_hint=bo%40acme.example"), "{page}");
    assert!(!page.contains(r#"name="password""#), "{page}");
    let (status, page, cookie) = crate::helpers::post_public_form(
        &app.base,
        &path,
        &[("password", PASSWORD), ("password_again", PASSWORD)],
    )
    .await;
    assert_eq!(status, 403, "{page}");
    assert!(cookie.is_none());
    assert_eq!(
        status_of(&app, &org, "bo@acme.example").await.as_deref(),
        Some("invited")
    );
    provider.vouch_for(Person {
        subject: "sub-bo".into(),
        email: "bo@acme.example".into(),
        email_verified: Some(true),
    });
    let res = through(&app, &provider, Defect::Nothing).await;
    assert!(session_of(&res).is_some());
    assert_eq!(
        status_of(&app, &org, "bo@acme.example").await.as_deref(),
        Some("active")
    );
    let detail = app.get(&org, &format!("/members/{bo}")).await.expect(200);
    assert_eq!(detail.body["invitations"][0]["state"], "accepted");

    // API tokens are not sessions: unaffected.
    app.get(&org, "/members").await.expect(200);
}

#[tokio::test]
async fn the_providers_groups_give_roles_and_teams_at_each_sign_in_never_owner() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let ann = app.add_member(&org, "Ann", "Acme", "ann@acme.example").await;
    let team = app
        .post(&org, "/teams", json!({"name": "Engineering"}))
        .await
        .expect(201)
        .id();
    let env = [("ROSTER_OUTBOUND_ALLOW_PRIVATE", "true")];
    for args in [
        vec![
            "sso",
            "group",
            "add",
            "--org",
            "acme",
            "--group",
            "Roster Admins",
            "--role",
            "admin",
        ],
        vec![
            "sso",
            "group",
            "add",
            "--org",
            "acme",
            "--group",
            "Engineering",
            "--team",
            &team.to_string(),
        ],
    ] {
        let out = roster_with(&app, &args, &env).await;
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let out = roster_with(
        &app,
        &[
            "sso", "group", "add", "--org", "acme", "--group", "Bosses", "--role", "owner",
        ],
        &env,
    )
    .await;
    assert!(!out.status.success(), "a group never gives owner");
    let out = roster_with(&app, &["--json", "sso", "group", "list", "--org", "acme"], &env).await;
    assert_eq!(crate::cli::json(&out)["items"].as_array().unwrap().len(), 2);

    let provider = RealProvider::start(&callback_prefix(&app)).await;
    connect(&app, &provider.issuer, false).await;
    let actor = app.system("acme").await;
    let mut settings = SsoSettings::new(&provider.issuer, CLIENT_ID, None);
    settings.scopes = vec!["email profile groups".into()];
    app.service
        .set_sso(app.service.authorize(&actor).await.unwrap(), settings)
        .await
        .unwrap();

    let sign_in = |groups: &'static [&'static str]| {
        let app = &app;
        let provider = &provider;
        async move {
            provider.set_groups("ann@acme.example", groups);
            let res = Browser::default()
                .sign_in_at_provider(
                    &format!("{}/sso/acme", app.base),
                    "ann@acme.example",
                    &callback_prefix(app),
                )
                .await;
            assert_eq!(res.status(), StatusCode::SEE_OTHER, "{}", res.text().await.unwrap());
            session_of(&res).unwrap()
        }
    };
    // Ann's role, and whether she is in Engineering.
    let ann_now = || async {
        let detail = app.get(&org, &format!("/members/{ann}")).await.expect(200).body;
        let in_team = detail["teams"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "Engineering");
        (detail["role"].as_str().unwrap().to_owned(), in_team)
    };

    let cookie = sign_in(&["Roster Admins", "Engineering", "Something Else"]).await;
    assert_eq!(ann_now().await, ("admin".to_owned(), true));
    assert!(
        console_opens(&app, &cookie).await,
        "the new session survives the role change"
    );

    // Out of the groups: back to the role held before, out of the team.
    sign_in(&["Something Else"]).await;
    assert_eq!(ann_now().await, ("reader".to_owned(), false));
    assert!(!app.audit(&org, "member.teams").await.is_empty());
}

#[tokio::test]
async fn signing_out_ends_the_providers_session_too() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    app.add_member(&org, "Ann", "Acme", "ann@acme.example").await;
    let provider = RealProvider::start(&callback_prefix(&app)).await;
    connect(&app, &provider.issuer, false).await;
    let mut browser = Browser::default();
    let res = browser
        .sign_in_at_provider(
            &format!("{}/sso/acme", app.base),
            "ann@acme.example",
            &callback_prefix(&app),
        )
        .await;
    let cookie = session_of(&res).unwrap();
    let page = app.console_html(&cookie, "/o/acme").await;
    let res = app.console_post(&cookie, &page, "/logout", &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(!console_opens(&app, &cookie).await, "Roster's session ended");
    let page = res.text().await.unwrap();
    let to = page
        .split("url=")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a page that goes on to the provider")
        .replace("&amp;", "&")
        .replace("&#38;", "&")
        .replace("&#x2f;", "/");
    let to = url::Url::parse(&to).unwrap();
    assert!(to.as_str().starts_with(&provider.issuer), "{to}");
    let query: std::collections::HashMap<String, String> = to.query_pairs().into_owned().collect();
    assert_eq!(query["client_id"], CLIENT_ID);
    assert_eq!(query["post_logout_redirect_uri"], format!("{}/login", app.base));
    assert!(query.contains_key("id_token_hint"));

    // The provider asks to confirm, then sends the person back to Roster.
    let res = browser.get(to.as_str()).await;
    assert_eq!(res.status(), StatusCode::OK);
    let form = res.text().await.unwrap();
    let xsrf = form
        .split("name=\"xsrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("the provider's logout form: {form}"))
        .to_owned();
    let res = browser
        .post_form(
            &format!("{}/session/end/confirm", provider.issuer),
            &[("xsrf", &xsrf), ("logout", "yes")],
        )
        .await;
    assert!(res.status().is_redirection(), "{}", res.status());
    assert_eq!(res.headers()["location"], format!("{}/login", app.base).as_str());
}

#[tokio::test]
async fn two_organizations_sign_in_through_one_provider_each_with_its_own_client() {
    let app = spawn_app().await;
    let acme = app.create_org("acme").await;
    let globex = app.create_org("globex").await;
    app.add_member(&acme, "Ann", "Acme", "ann@acme.example").await;
    app.add_member(&globex, "Gus", "Globex", "gus@globex.example").await;
    let provider = RealProvider::start(&callback_prefix(&app)).await;
    connect(&app, &provider.issuer, false).await;
    let actor = app.system("globex").await;
    app.service
        .set_sso(
            app.service.authorize(&actor).await.unwrap(),
            SsoSettings::new(&provider.issuer, SECOND_CLIENT_ID, Some(SECOND_CLIENT_SECRET.into())),
        )
        .await
        .unwrap();
    app.service
        .claim_sso_domain_as_operator(app.service.authorize(&actor).await.unwrap(), "globex.example")
        .await
        .unwrap();

    for (slug, login) in [("acme", "ann@acme.example"), ("globex", "gus@globex.example")] {
        let res = Browser::default()
            .sign_in_at_provider(&format!("{}/sso/{slug}", app.base), login, &callback_prefix(&app))
            .await;
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "{slug}: {}",
            res.text().await.unwrap()
        );
        assert_eq!(res.headers()["location"], format!("/o/{slug}").as_str());
    }
    // One provider, two organizations: Ann is no one at Globex, whose
    // domain hers is not.
    let res = Browser::default()
        .sign_in_at_provider(
            &format!("{}/sso/globex", app.base),
            "ann@acme.example",
            &callback_prefix(&app),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(session_of(&res).is_none());
    assert_eq!(app.audit(&acme, "sso.link").await.len(), 1);
    assert_eq!(app.audit(&globex, "sso.link").await.len(), 1);
}
