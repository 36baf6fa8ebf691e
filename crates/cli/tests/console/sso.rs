//! Single sign-on in Chromium, end to end through a real OpenID provider
//! (panva's oidc-provider): an admin connects it in Settings → Identity
//! provider and tests the sign-in; a member signs in through it from
//! `/sso/acme`; a stranger gets the "not a member" page. Each page passes
//! axe-core.

use crate::helpers::oidc::{RealProvider, CLIENT_ID, CLIENT_SECRET};
use crate::helpers::spawn_app;
use crate::webdriver::Browser;
use crate::{demo_org, sign_in};

/// At the provider's login form: signs in as `login`.
async fn at_the_provider(browser: &Browser, login: &str) {
    browser.wait_for_text("Sign-in").await;
    browser.fill("input[name=login]", login).await;
    // Its development form wants some password; any does.
    browser.fill("input[name=password]", "any").await;
    browser.click("button.login-submit").await;
}

#[tokio::test]
async fn an_admin_connects_the_provider_tests_it_and_a_member_signs_in_through_it() {
    let app = spawn_app().await;
    let org = demo_org(&app).await;
    let provider = RealProvider::start(&format!("{}/sso/callback", app.base)).await;
    let actor = app.system("acme").await;
    app.service
        .claim_sso_domain_as_operator(app.service.authorize(&actor).await.unwrap(), "acme.example")
        .await
        .unwrap();
    let browser = Browser::start().await;
    sign_in(&app, &browser, "owner@acme.example").await;

    browser
        .goto(&format!("{}/o/acme/settings/identity-provider", app.base))
        .await;
    browser.wait_for_text("Single sign-on").await;
    let redirect_uri = browser
        .execute(
            "return document.querySelector('#redirect_uri').value",
            serde_json::json!([]),
        )
        .await;
    assert_eq!(redirect_uri, format!("{}/sso/callback", app.base));
    browser.fill("#issuer", &provider.issuer).await;
    browser.fill("#client_id", CLIENT_ID).await;
    browser.fill("#client_secret", CLIENT_SECRET).await;
    browser
        .click("form[action='/o/acme/settings/identity-provider/sso'] button[type=submit]")
        .await;
    browser.wait_for_text("ID token signatures accepted").await;
    let text = browser.text("body").await;
    assert!(text.contains("RS256") && text.contains("client_secret_basic"), "{text}");
    assert!(!text.contains(CLIENT_SECRET), "the secret is masked");
    browser.assert_accessible("identity provider with single sign-on").await;
    browser
        .execute(
            "document.querySelector('#redirect_uri').scrollIntoView()",
            serde_json::json!([]),
        )
        .await;
    browser.screenshot("sso-settings").await;

    // The admin's test sign-in: the whole flow, nothing changed.
    browser.click("a[href='/sso/acme?test=1']").await;
    at_the_provider(&browser, "anna@acme.example").await;
    browser.wait_for_text("Test sign-in passed").await;
    browser.assert_accessible("the test sign-in passed").await;

    // A member, in a browser of their own (one browser at a time), types
    // their address at Roster's sign-in and continues at the provider.
    drop(browser);
    let member = Browser::start().await;
    member.goto(&format!("{}/login", app.base)).await;
    member.fill("#email", "juergen@acme.example").await;
    member.click("button[type=submit]").await;
    member.wait_for_text("Sign-in").await;
    let hint = member
        .execute(
            "return document.querySelector('input[name=login]').value",
            serde_json::json!([]),
        )
        .await;
    assert_eq!(hint, "juergen@acme.example", "the address is passed on as login_hint");
    at_the_provider(&member, "juergen@acme.example").await;
    member.wait_for_text("Sign out").await;
    assert!(member.url().await.ends_with("/o/acme"), "{}", member.url().await);
    let juergen = app.get(&org, "/members?q=juergen").await.expect(200);
    assert_eq!(juergen.body["items"][0]["status"], "active");

    // A stranger.
    drop(member);
    let stranger = Browser::start().await;
    stranger.goto(&format!("{}/sso/acme", app.base)).await;
    at_the_provider(&stranger, "zoe.unknown@acme.example").await;
    stranger.wait_for_text("Not a member").await;
    assert!(stranger.text("body").await.contains("ask its administrators"));
    stranger.assert_accessible("not a member").await;
    stranger.screenshot("sso-not-a-member").await;
}
