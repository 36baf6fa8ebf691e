//! Around SCIM: making tokens on the command line and in the console, the
//! API's view of what the directory owns, and an organization managed by
//! the identity provider refusing hand changes to it.

use reqwest::Method;
use serde_json::json;

use crate::cli::{json as json_of, roster_beside};
use crate::helpers::spawn_app;

#[tokio::test]
async fn roster_scim_token_create_prints_the_token_and_the_base_url_then_lists_and_revokes() {
    let app = spawn_app().await;
    let org = app.create_org("clitok").await;
    let out = roster_beside(
        &app,
        &[
            "scim",
            "token",
            "create",
            "--org",
            "clitok",
            "--name",
            "Entra ID",
            "--expires-in",
            "30",
            "--json",
        ],
    )
    .await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let made = json_of(&out);
    let token = made["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("rsc_"));
    assert!(made["base_url"].as_str().unwrap().ends_with("/scim/v2"));
    assert_eq!(made["record"]["name"], "Entra ID");
    assert!(made["record"]["expires_at"].is_string());
    app.scim_get("/Users", &token).await.expect(200);
    app.service.flush_deferred_writes().await;

    let out = roster_beside(&app, &["scim", "token", "list", "--org", "clitok", "--json"]).await;
    let list = json_of(&out);
    let id = list["items"][0]["id"].as_i64().unwrap();
    assert!(
        list["items"][0]["last_used_at"].is_string(),
        "the last use is recorded: {list}"
    );
    assert!(
        list.to_string().find(&token[4..]).is_none(),
        "the secret is never listed"
    );
    let text = roster_beside(&app, &["scim", "token", "create", "--org", "clitok"]).await;
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(stdout.contains("/scim/v2") && stdout.contains("rsc_"), "{stdout}");

    let out = roster_beside(&app, &["scim", "token", "revoke", "--org", "clitok", &id.to_string()]).await;
    assert!(out.status.success());
    app.scim_get("/Users", &token).await.expect(401);
    let _ = org;
}

#[tokio::test]
async fn an_organization_managed_by_the_identity_provider_refuses_hand_changes_to_what_it_owns() {
    let app = spawn_app().await;
    let org = app.create_org("managed").await;
    let token = app.scim_token(&org).await;
    app.patch(&org, "", json!({"managed_by_identity_provider": true}))
        .await
        .expect(200);
    // Hand-made members and imports are refused; SCIM is the way in.
    let res = app
        .post(
            &org,
            "/members",
            json!({"first_name": "Hand", "last_name": "Made", "email": "hand@managed.example"}),
        )
        .await
        .expect(409);
    assert_eq!(res.error_code(), "managed_by_identity_provider");
    let id = app
        .scim_user(&token, "dora@managed.example", "Dora", "D", "dora@managed.example")
        .await;
    let member = app.get(&org, &format!("/members/{id}")).await.expect(200).body;
    let owned: Vec<&str> = member["directory"]["managed_fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert_eq!(
        owned,
        ["first_name", "last_name", "email", "personal_id", "phone", "department"]
    );
    assert_eq!(member["may"]["remove"], false);
    for (field, value) in [
        ("first_name", "X"),
        ("email", "x@managed.example"),
        ("personal_id", "P1"),
        ("phone", "1"),
    ] {
        let res = app
            .patch(&org, &format!("/members/{id}"), json!({field: value}))
            .await
            .expect(409);
        assert_eq!(
            (res.error_code(), res.error_field()),
            ("managed_by_identity_provider", field)
        );
    }
    // Role, seat and Roster's own fields stay the admin's.
    app.patch(
        &org,
        &format!("/members/{id}"),
        json!({"role": "collaborator", "comment": "ok", "location": "Köln"}),
    )
    .await
    .expect(200);
    let res = app.delete(&org, &format!("/members/{id}")).await.expect(409);
    assert_eq!(res.error_code(), "managed_by_identity_provider");
    // The directory itself goes on changing them.
    app.scim_patch(
        &format!("/Users/{id}"),
        &token,
        json!([{"op": "replace", "path": "name.givenName", "value": "Dorothea"}]),
    )
    .await
    .expect(200);
    app.scim(Method::DELETE, &format!("/Users/{id}"), &token, None)
        .await
        .expect(204);
}

#[tokio::test]
async fn an_import_cannot_fill_a_directory_group() {
    let app = spawn_app().await;
    let org = app.create_org("impgroup").await;
    let token = app.scim_token(&org).await;
    app.scim_post(
        "/Groups",
        &token,
        json!({"displayName": "Directory", "externalId": "DIR-1"}),
    )
    .await
    .expect(201);
    let csv = "firstname,lastname,email,teamid\nIda,Import,ida@impgroup.example,DIR-1\n";
    let (_, preview) = app.upload_and_preview(&org, "g.csv", csv.as_bytes().to_vec()).await;
    let row = &preview["rows"][0];
    assert_eq!(row["action"], "error", "{preview}");
    assert!(
        row["errors"].to_string().contains("group of the identity provider"),
        "{row}"
    );
}

#[tokio::test]
async fn the_console_makes_a_scim_token_shown_once_and_revokes_it() {
    let app = spawn_app().await;
    let org = app.create_org("idpconsole").await;
    let cookie = app.console_sign_in("owner@idpconsole.example").await;
    let page = app
        .console_html(&cookie, "/o/idpconsole/settings/identity-provider")
        .await;
    assert!(page.contains(&format!("{}/scim/v2", app.base)), "the base URL to paste");
    assert!(page.contains("No SCIM token yet"));
    let res = app
        .console_post(
            &cookie,
            &page,
            "/o/idpconsole/settings/identity-provider/scim-tokens",
            &[("name", "Okta"), ("expires_in_days", "")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let shown = res.text().await.unwrap();
    let token = shown
        .split("id=\"new_token\" readonly value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the token, shown once")
        .to_owned();
    assert!(token.starts_with("rsc_"));
    app.scim_get("/Users", &token).await.expect(200);
    app.service.flush_deferred_writes().await;
    let again = app
        .console_html(&cookie, "/o/idpconsole/settings/identity-provider")
        .await;
    assert!(!again.contains(&token), "shown only once");
    assert!(again.contains("Okta") && again.contains("active"));
    let row = again
        .split("<td>Okta</td>")
        .nth(1)
        .and_then(|r| r.split("</tr>").next())
        .unwrap();
    assert_eq!(row.matches("never").count(), 1, "used (and never expiring): {row}");
    let id = app
        .service
        .scim_tokens(app.service.authorize(&app.system("idpconsole").await).await.unwrap())
        .await
        .unwrap()[0]
        .id;
    let res = app
        .console_post(
            &cookie,
            &again,
            &format!("/o/idpconsole/settings/identity-provider/scim-tokens/{id}/revoke"),
            &[],
        )
        .await;
    assert!(res.status().is_success() || res.status().is_redirection());
    app.scim_get("/Users", &token).await.expect(401);
    // A reader may not see the page.
    app.member_with_login(&org, "Rea", "reader@idpconsole.example", "reader")
        .await;
    let reader = app.console_sign_in("reader@idpconsole.example").await;
    let res = app
        .client
        .get(format!("{}/o/idpconsole/settings/identity-provider", app.base))
        .header("cookie", &reader)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}
