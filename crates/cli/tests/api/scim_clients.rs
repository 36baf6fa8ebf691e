//! Replays of a whole provisioning cycle as Microsoft Entra ID and Okta
//! send it (their published request examples and documented behaviour):
//! test connection, create, update, deactivate, reactivate, group push,
//! delete.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{scim_answer, spawn_app};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// A request as Entra ID sends it: `application/scim+json; charset=utf-8`,
/// no Accept header.
async fn entra(
    app: &crate::helpers::TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<serde_json::Value>,
) -> crate::helpers::ScimResponse {
    let mut req = app
        .client
        .request(method, format!("{}/scim/v2{path}", app.base))
        .bearer_auth(token);
    if let Some(body) = body {
        req = req
            .header("content-type", "application/scim+json; charset=utf-8")
            .body(body.to_string());
    }
    scim_answer(req.send().await.unwrap()).await
}

#[tokio::test]
async fn an_entra_id_provisioning_cycle_works_end_to_end() {
    let app = spawn_app().await;
    let org = app.create_org("entra").await;
    let token = app.scim_token(&org).await;

    // Test connection: a random userName (spaces as +), and a random group.
    let probe = entra(
        &app,
        Method::GET,
        "/Users?filter=userName+eq+%22ac8fa70e-1b2a-4e6d-8f3a-2c11d1b0c7e1%22",
        &token,
        None,
    )
    .await
    .expect(200);
    assert_eq!(
        (probe.body["totalResults"].as_i64(), probe.resources().len()),
        (Some(0), 0)
    );
    entra(
        &app,
        Method::GET,
        "/Groups?excludedAttributes=members&filter=displayName+eq+%22f00%22",
        &token,
        None,
    )
    .await
    .expect(200);

    // Matching, then create.
    let upn = "Test_User_00aa00aa@contoso.onmicrosoft.com";
    let q = format!("/Users?filter=userName+eq+%22{}%22", upn.replace('@', "%40"));
    assert_eq!(
        entra(&app, Method::GET, &q, &token, None).await.expect(200).body["totalResults"],
        0
    );
    let created = entra(
        &app,
        Method::POST,
        "/Users",
        &token,
        Some(json!({
            "schemas": [USER, ENTERPRISE],
            "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
            "userName": upn,
            "active": true,
            "emails": [{"primary": true, "type": "work", "value": "Test_User_11bb11bb@testuser.com"}],
            "meta": {"resourceType": "User"},
            "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
            "roles": [],
            ENTERPRISE: {"department": "Einkauf", "employeeNumber": "4711"}
        })),
    )
    .await
    .expect(201);
    let id = created.id();
    assert_eq!(
        entra(&app, Method::GET, &q, &token, None).await.expect(200).body["totalResults"],
        1
    );
    // Matching by the work address works too.
    let by_mail = entra(
        &app,
        Method::GET,
        "/Users?filter=emails%5Btype+eq+%22work%22%5D.value+eq+%22test_user_11bb11bb%40testuser.com%22",
        &token,
        None,
    )
    .await
    .expect(200);
    assert_eq!(by_mail.body["totalResults"], 1);
    entra(&app, Method::GET, &format!("/Users/{id}"), &token, None)
        .await
        .expect(200);

    // Updates: multi-valued, single-valued, manager as a plain id.
    entra(
        &app,
        Method::PATCH,
        &format!("/Users/{id}"),
        &token,
        Some(json!({"schemas": [PATCH], "Operations": [
            {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "updatedEmail@testuser.com"},
            {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"}
        ]})),
    )
    .await
    .expect(200);
    entra(
        &app,
        Method::PATCH,
        &format!("/Users/{id}"),
        &token,
        Some(json!({"schemas": [PATCH], "Operations": [
            {"op": "Replace", "path": "userName", "value": "5b50642d@testuser.com"},
            {"op": "Add", "path": format!("{ENTERPRISE}:manager"), "value": "2819c223"}
        ]})),
    )
    .await
    .expect(200);
    let member = app.get(&org, &format!("/members/{id}")).await.body;
    assert_eq!(
        (
            member["email"].as_str(),
            member["last_name"].as_str(),
            member["personal_id"].as_str(),
            member["department"].as_str()
        ),
        (
            Some("updatedEmail@testuser.com"),
            Some("updatedFamilyName"),
            Some("4711"),
            Some("Einkauf")
        )
    );

    // Disable (without the compliance flag: "False"), then enable.
    let off = entra(
        &app,
        Method::PATCH,
        &format!("/Users/{id}"),
        &token,
        Some(json!({"schemas": [PATCH], "Operations": [{"op": "Replace", "path": "active", "value": "False"}]})),
    )
    .await
    .expect(200);
    assert_eq!(off.body["active"], false);
    let still = entra(
        &app,
        Method::GET,
        "/Users?filter=userName+eq+%225b50642d%40testuser.com%22",
        &token,
        None,
    )
    .await
    .expect(200);
    assert_eq!(still.resources()[0]["active"], false);
    entra(
        &app,
        Method::PATCH,
        &format!("/Users/{id}"),
        &token,
        Some(json!({"schemas": [PATCH], "Operations": [{"op": "replace", "path": "active", "value": true}]})),
    )
    .await
    .expect(200);

    // Group push.
    let group = entra(
        &app,
        Method::POST,
        "/Groups",
        &token,
        Some(json!({
            "schemas": [GROUP, "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
            "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
            "displayName": "displayName",
            "meta": {"resourceType": "Group"}
        })),
    )
    .await
    .expect(201);
    let gid = group.id();
    entra(
        &app,
        Method::GET,
        &format!("/Groups/{gid}?excludedAttributes=members"),
        &token,
        None,
    )
    .await
    .expect(200);
    let add = entra(
        &app,
        Method::PATCH,
        &format!("/Groups/{gid}"),
        &token,
        Some(json!({"schemas": [PATCH], "Operations": [{"op": "Add", "path": "members", "value": [{"$ref": null, "value": id}]}]})),
    )
    .await;
    assert!(add.status == 200 || add.status == 204);
    entra(
        &app,
        Method::PATCH,
        &format!("/Groups/{gid}"),
        &token,
        Some(json!({"schemas": [PATCH], "Operations": [{"op": "Replace", "path": "displayName", "value": "1879db59updatedDisplayName"}]})),
    )
    .await
    .expect(200);
    let team: i64 = gid[1..].parse().unwrap();
    let team_view = app.get(&org, &format!("/teams/{team}")).await.body;
    assert_eq!(
        (team_view["name"].as_str(), team_view["member_count"].as_i64()),
        (Some("1879db59updatedDisplayName"), Some(1))
    );
    entra(
        &app,
        Method::PATCH,
        &format!("/Groups/{gid}"),
        &token,
        Some(json!({"schemas": [PATCH], "Operations": [{"op": "Remove", "path": "members", "value": [{"$ref": null, "value": id}]}]})),
    )
    .await
    .expect(200);
    assert_eq!(app.get(&org, &format!("/teams/{team}")).await.body["member_count"], 0);

    // Delete both.
    entra(&app, Method::DELETE, &format!("/Users/{id}"), &token, None)
        .await
        .expect(204);
    entra(&app, Method::GET, &format!("/Users/{id}"), &token, None)
        .await
        .expect(404);
    entra(&app, Method::DELETE, &format!("/Groups/{gid}"), &token, None)
        .await
        .expect(204);
    entra(&app, Method::GET, &format!("/Groups/{gid}"), &token, None)
        .await
        .expect(404);

    // Everything was audited as the token.
    let events = app.get(&org, "/audit?limit=200").await.body;
    let scim_events = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["actor"].as_str().is_some_and(|a| a.starts_with("scim:")))
        .count();
    assert!(scim_events >= 10, "{scim_events}");
}

#[tokio::test]
async fn an_okta_provisioning_cycle_works_end_to_end() {
    let app = spawn_app().await;
    let org = app.create_org("okta").await;
    let token = app.scim_token(&org).await;

    // Test the connector: the first two users.
    let test = app.scim_get("/Users?startIndex=1&count=2", &token).await.expect(200);
    assert_eq!(test.body["startIndex"], 1);
    // Create: look up, then POST with a password and read-only groups.
    let look = app
        .scim_get(
            "/Users?filter=userName%20eq%20%22test.user%40okta.local%22&startIndex=1&count=100",
            &token,
        )
        .await
        .expect(200);
    assert_eq!(look.body["totalResults"], 0);
    let created = app
        .scim_post(
            "/Users",
            &token,
            json!({
                "schemas": [USER],
                "userName": "test.user@okta.local",
                "name": {"givenName": "Test", "familyName": "User"},
                "emails": [{"primary": true, "value": "test.user@okta.local", "type": "work"}],
                "displayName": "Test User",
                "locale": "en-US",
                "externalId": "00ujl29u0le5T6Aj10h7",
                "groups": [],
                "password": "1mP@ssw0rd",
                "active": true
            }),
        )
        .await
        .expect(201);
    let id = created.id();
    // Import: pages of 100 by startIndex, stable.
    let page = app.scim_get("/Users?startIndex=1&count=100", &token).await.expect(200);
    assert_eq!(page.body["totalResults"], 2);
    // Profile update: PUT of the whole user.
    let put = app
        .scim(
            Method::PUT,
            &format!("/Users/{id}"),
            &token,
            Some(json!({
                "schemas": [USER],
                "id": id,
                "userName": "test.user@okta.local",
                "name": {"givenName": "Another", "familyName": "User"},
                "emails": [{"primary": true, "value": "test.user@okta.local", "type": "work"}],
                "displayName": "Another User",
                "locale": "en-US",
                "externalId": "00ujl29u0le5T6Aj10h7",
                "groups": [],
                "password": "1mP@ssw0rd",
                "active": true,
                "meta": {"resourceType": "User"}
            })),
        )
        .await
        .expect(200);
    assert_eq!(put.body["name"]["givenName"], "Another");
    // Deactivate and reactivate: path-less replaces.
    let off = app
        .scim_patch(
            &format!("/Users/{id}"),
            &token,
            json!([{"op": "replace", "value": {"active": false}}]),
        )
        .await
        .expect(200);
    assert_eq!(off.body["active"], false);
    assert_eq!(
        app.get(&org, &format!("/members/{id}")).await.body["status"],
        "deactivated"
    );
    app.scim_patch(
        &format!("/Users/{id}"),
        &token,
        json!([{"op": "replace", "value": {"active": true}}]),
    )
    .await
    .expect(200);
    assert_eq!(app.get(&org, &format!("/members/{id}")).await.body["status"], "added");

    // Group push: create with members (value and display), add, remove, rename.
    let other = app
        .scim_user(&token, "other@okta.local", "Other", "User", "other@okta.local")
        .await;
    let group = app
        .scim_post(
            "/Groups",
            &token,
            json!({"schemas": [GROUP], "displayName": "Test SCIMv2", "members": [{"value": id, "display": "test.user@okta.local"}]}),
        )
        .await
        .expect(201);
    let gid = group.id();
    app.scim_patch(
        &format!("/Groups/{gid}"),
        &token,
        json!([{"op": "add", "path": "members", "value": [{"value": other, "display": "other@okta.local"}]}]),
    )
    .await
    .expect(200);
    let res = app
        .scim_patch(
            &format!("/Groups/{gid}"),
            &token,
            json!([{"op": "remove", "path": format!("members[value eq \"{id}\"]")}]),
        )
        .await
        .expect(200);
    assert_eq!(res.body["members"].as_array().unwrap().len(), 1);
    // Okta renames with a path-less replace that carries the read-only id.
    let res = app
        .scim_patch(
            &format!("/Groups/{gid}"),
            &token,
            json!([{"op": "replace", "value": {"id": gid, "displayName": "Test SCIMv2 renamed"}}]),
        )
        .await
        .expect(200);
    assert_eq!(res.body["displayName"], "Test SCIMv2 renamed");
    app.scim(Method::DELETE, &format!("/Groups/{gid}"), &token, None)
        .await
        .expect(204);
    app.scim(Method::DELETE, &format!("/Users/{id}"), &token, None)
        .await
        .expect(204);
}
