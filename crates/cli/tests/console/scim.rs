//! The identity provider in Chromium: an admin makes a SCIM token (shown
//! once) beside the URL to paste; the directory provisions people and a
//! group; the console shows what came from there, a deactivated member,
//! and a group that grants a role.

use reqwest::Method;
use serde_json::json;

use crate::helpers::spawn_app;
use crate::webdriver::Browser;
use crate::{demo_org, sign_in};

#[tokio::test]
async fn an_admin_connects_the_identity_provider_and_sees_what_it_provisions() {
    let app = spawn_app().await;
    let org = demo_org(&app).await;
    let browser = Browser::start().await;
    sign_in(&app, &browser, "owner@acme.example").await;

    browser.goto(&format!("{}/o/acme/settings", app.base)).await;
    browser.click("a[href='/o/acme/settings/identity-provider']").await;
    browser.wait_for_text("Provisioning with SCIM").await;
    assert!(browser.text("body").await.contains("No SCIM token yet"));
    browser.fill("#token_name", "Entra ID").await;
    browser
        .click("form[action='/o/acme/settings/identity-provider/scim-tokens'] button[type=submit]")
        .await;
    browser.wait_for_text("Copy it now").await;
    let token = browser
        .execute("return document.querySelector('#new_token').value", json!([]))
        .await
        .as_str()
        .unwrap()
        .to_owned();
    let url = browser
        .execute("return document.querySelector('#scim_url').value", json!([]))
        .await
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(url, format!("{}/scim/v2", app.base));

    // The directory connects and provisions.
    let probe = app
        .client
        .get(format!("{url}/Users?filter=userName+eq+%22probe%22"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(probe.status(), 200);
    let ines = app
        .scim_post(
            "/Users",
            &token,
            json!({
                "userName": "ines.weber@contoso.onmicrosoft.com",
                "externalId": "a1b2c3",
                "name": {"givenName": "Ines", "familyName": "Weber"},
                "emails": [{"value": "ines.weber@acme.example", "type": "work", "primary": true}],
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Einkauf"}
            }),
        )
        .await
        .expect(201)
        .id();
    let group = app
        .scim_post(
            "/Groups",
            &token,
            json!({"displayName": "Roster Admins", "members": [{"value": ines}]}),
        )
        .await
        .expect(201)
        .id();
    app.scim_patch(
        &format!("/Users/{ines}"),
        &token,
        json!([{"op": "replace", "path": "active", "value": false}]),
    )
    .await
    .expect(200);
    app.service.flush_deferred_writes().await;

    browser
        .goto(&format!("{}/o/acme/settings/identity-provider", app.base))
        .await;
    browser.wait_for_text("Entra ID").await;
    assert!(!browser.text("body").await.contains(&token), "the token is shown once");
    browser.assert_accessible("/o/acme/settings/identity-provider").await;
    browser.screenshot("identity-provider").await;

    // The member: from the identity provider, deactivated.
    browser.goto(&format!("{}/o/acme/members/{ines}", app.base)).await;
    browser.wait_for_text("From the identity provider").await;
    let text = browser.text("body").await;
    assert!(text.contains("ines.weber@contoso.onmicrosoft.com"));
    assert!(text.contains("Deactivated"));
    browser
        .assert_accessible("a deactivated member from the directory")
        .await;

    // The group: marked, not changed by hand; it may grant a role.
    let team = &group[1..];
    browser.goto(&format!("{}/o/acme/teams/{team}", app.base)).await;
    browser.wait_for_text("from the identity provider").await;
    let page = browser.text("body").await;
    assert!(
        !page.contains("Delete team") && !page.contains("Add member by e-mail"),
        "{page}"
    );
    browser.select("#grants_role", "admin").await;
    browser.click("form[action$='/role-grant'] button[type=submit]").await;
    // The form posts and the team page comes back: wait for the change.
    let mut granted = serde_json::Value::Null;
    for _ in 0..100 {
        granted = app.get(&org, &format!("/teams/{team}")).await.expect(200).body["grants_role"].clone();
        if granted == "admin" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(granted, "admin");
    browser.wait_for_text("Members of this group hold").await;
    browser.assert_accessible("a directory group").await;

    // Managed by the identity provider: the directory's fields are read-only.
    app.patch(&org, "", json!({"managed_by_identity_provider": true}))
        .await
        .expect(200);
    app.scim_patch(
        &format!("/Users/{ines}"),
        &token,
        json!([{"op": "replace", "path": "active", "value": true}]),
    )
    .await
    .expect(200);
    browser.goto(&format!("{}/o/acme/members/{ines}/edit", app.base)).await;
    browser.wait_for_text("come from the identity provider").await;
    let readonly = browser
        .execute(
            "return document.querySelector('#email').readOnly && document.querySelector('#first_name').readOnly",
            json!([]),
        )
        .await;
    assert_eq!(readonly, json!(true));
    browser.assert_accessible("editing a member the directory owns").await;
    app.scim(Method::DELETE, &format!("/Groups/{group}"), &token, None)
        .await
        .expect(204);
}
