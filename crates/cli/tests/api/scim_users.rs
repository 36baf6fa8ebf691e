//! SCIM Users ↔ members: what a user becomes in Roster, uniqueness,
//! the life cycle (deactivate, reactivate, delete, restore), the owner's
//! protection, versions, and what each change leaves in the audit log.

use reqwest::Method;
use serde_json::json;

use crate::helpers::spawn_app;

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const ROSTER: &str = "urn:ietf:params:scim:schemas:extension:roster:2.0:User";

#[tokio::test]
async fn a_user_becomes_a_member_with_the_directorys_fields() {
    let app = spawn_app().await;
    let org = app.create_org("users").await;
    app.add_number_field(&org, "badge", "Badge").await;
    let token = app.scim_token(&org).await;
    let created = app
        .scim_post(
            "/Users",
            &token,
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE, ROSTER],
                "userName": "Jürgen.Meier@contoso.onmicrosoft.com",
                "externalId": "0a21f0f2-8d2a",
                "name": {"givenName": "Jürgen", "familyName": "Meier", "formatted": "Jürgen Meier"},
                "displayName": "Meier, Jürgen",
                "title": "Einkauf",
                "emails": [{"value": "juergen.meier@contoso.de", "type": "work", "primary": true}, {"value": "jm@home.example", "type": "home"}],
                "phoneNumbers": [{"value": "+49 30 1234", "type": "work"}],
                "active": true,
                ENTERPRISE: {"employeeNumber": "0815", "department": "Einkauf", "manager": {"value": "99"}},
                ROSTER: {"role": "collaborator", "badge": 42}
            }),
        )
        .await
        .expect(201);
    let id = created.id();
    let user = &created.body;
    assert_eq!(user["userName"], "Jürgen.Meier@contoso.onmicrosoft.com");
    assert_eq!(user["emails"][1]["value"], "jm@home.example");
    assert_eq!(user[ENTERPRISE]["manager"], json!({"value": "99"}));
    assert_eq!(user[ROSTER]["badge"], 42);
    assert_eq!(user["meta"]["resourceType"], "User");
    assert!(user["meta"]["location"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/scim/v2/Users/{id}")));
    assert_eq!(user["meta"]["version"].as_str(), created.header("etag").as_deref());

    // The member, through the JSON API.
    let member = app.get(&org, &format!("/members/{id}")).await.expect(200).body;
    assert_eq!(member["first_name"], "Jürgen");
    assert_eq!(member["last_name"], "Meier");
    assert_eq!(member["email"], "juergen.meier@contoso.de");
    assert_eq!(member["personal_id"], "0815");
    assert_eq!(member["phone"], "+49 30 1234");
    assert_eq!(member["department"], "Einkauf");
    assert_eq!(member["role"], "collaborator");
    assert_eq!(member["status"], "added");
    assert_eq!(member["custom_fields"]["badge"], "42");
    assert_eq!(member["directory"]["user_name"], "Jürgen.Meier@contoso.onmicrosoft.com");
    assert_eq!(member["directory"]["external_id"], "0a21f0f2-8d2a");

    // Audited with the token as the actor.
    let created = app.audit(&org, "member.create").await;
    assert!(created
        .iter()
        .any(|e| e["target_id"] == id && e["actor"].as_str().unwrap().starts_with("scim:")));
}

#[tokio::test]
async fn user_names_and_emails_are_unique_without_regard_to_case_and_look_alikes_are_refused() {
    let app = spawn_app().await;
    let org = app.create_org("unique").await;
    let token = app.scim_token(&org).await;
    app.scim_user(&token, "Anna@Unique.example", "Anna", "U", "anna@unique.example")
        .await;
    let again = |user: &str, email: &str| json!({"userName": user, "emails": [{"value": email, "type": "work"}]});
    let res = app
        .scim_post("/Users", &token, again("anna@UNIQUE.example", "other@unique.example"))
        .await
        .expect(409);
    assert_eq!(res.scim_type(), "uniqueness");
    let res = app
        .scim_post("/Users", &token, again("someone-else", "ANNA@unique.example"))
        .await
        .expect(409);
    assert_eq!(res.scim_type(), "uniqueness");
    // Cyrillic "а" among Latin letters: refused as every door refuses it.
    let res = app
        .scim_post("/Users", &token, again("anna2", "\u{0430}nna@unique.example"))
        .await
        .expect(400);
    assert_eq!(res.scim_type(), "invalidValue");
    // All Cyrillic, looking like another member's address: 409.
    app.scim_user(&token, "popa@unique.example", "Popa", "U", "popa@unique.example")
        .await;
    let res = app
        .scim_post(
            "/Users",
            &token,
            again("popa2", "\u{0440}\u{043E}\u{0440}\u{0430}@unique.example"),
        )
        .await
        .expect(409);
    assert_eq!(res.scim_type(), "uniqueness");
    // A member added by hand answers to its e-mail as its userName.
    app.add_member(&org, "Hand", "Made", "hand@unique.example").await;
    let res = app
        .scim_post("/Users", &token, again("HAND@unique.example", "x@unique.example"))
        .await
        .expect(409);
    assert_eq!(res.scim_type(), "uniqueness");
    let found = app
        .scim_get("/Users?filter=userName%20eq%20%22hand@unique.example%22", &token)
        .await
        .expect(200);
    assert_eq!(found.body["totalResults"], 1);
    assert_eq!(found.resources()[0]["emails"][0]["type"], "work");
    // A user needs an e-mail: in emails, or a userName that is one.
    let res = app
        .scim_post("/Users", &token, json!({"userName": "no-mail"}))
        .await
        .expect(400);
    assert_eq!(res.scim_type(), "invalidValue");
    let by_upn = app
        .scim_post("/Users", &token, json!({"userName": "upn.only@unique.example"}))
        .await
        .expect(201);
    assert_eq!(by_upn.body["emails"][0]["value"], "upn.only@unique.example");
    // Names and e-mails follow every door's rules.
    for bad in [
        json!({"userName": "x1", "emails": [{"value": "not an address"}]}),
        json!({"userName": "x2\r\nBcc: a@b.c", "emails": [{"value": "x2@unique.example"}]}),
        json!({"userName": "x3", "name": {"givenName": "A\u{202E}B"}, "emails": [{"value": "x3@unique.example"}]}),
        json!({"userName": "x4", "emails": [{"value": "x4@unique.example"}], ROSTER: {"role": "wizard"}}),
    ] {
        assert_eq!(
            app.scim_post("/Users", &token, bad).await.expect(400).scim_type(),
            "invalidValue"
        );
    }
}

#[tokio::test]
async fn the_directory_never_grants_owner_nor_deactivates_or_deletes_the_owner() {
    let app = spawn_app().await;
    let org = app.create_org("owner").await;
    let token = app.scim_token(&org).await;
    let owner = org.owner_id.to_string();
    let res = app
        .scim_patch(
            &format!("/Users/{owner}"),
            &token,
            json!([{"op": "replace", "path": "active", "value": false}]),
        )
        .await
        .expect(400);
    assert_eq!(res.scim_type(), "mutability");
    assert!(res.body["detail"].as_str().unwrap().contains("transfer ownership"));
    let res = app
        .scim(Method::DELETE, &format!("/Users/{owner}"), &token, None)
        .await
        .expect(400);
    assert_eq!(res.scim_type(), "mutability");
    let res = app
        .scim_patch(
            &format!("/Users/{owner}"),
            &token,
            json!([{"op": "replace", "path": format!("{ROSTER}:role"), "value": "admin"}]),
        )
        .await
        .expect(400);
    assert_eq!(res.scim_type(), "mutability");
    // The owner's name is the directory's to keep in step.
    app.scim_patch(
        &format!("/Users/{owner}"),
        &token,
        json!([{"op": "replace", "path": "name.familyName", "value": "Ownerova"}]),
    )
    .await
    .expect(200);
    assert_eq!(
        app.get(&org, &format!("/members/{owner}")).await.body["last_name"],
        "Ownerova"
    );

    let res = app
        .scim_post(
            "/Users",
            &token,
            json!({"userName": "o2@owner.example", ROSTER: {"role": "owner"}}),
        )
        .await
        .expect(400);
    assert_eq!(res.scim_type(), "mutability");
    let bob = app
        .scim_user(&token, "bob@owner.example", "Bob", "B", "bob@owner.example")
        .await;
    let res = app
        .scim_patch(
            &format!("/Users/{bob}"),
            &token,
            json!([{"op": "add", "path": format!("{ROSTER}:role"), "value": "owner"}]),
        )
        .await
        .expect(400);
    assert_eq!(res.scim_type(), "mutability");
    // Admin it may grant.
    app.scim_patch(
        &format!("/Users/{bob}"),
        &token,
        json!([{"op": "add", "path": format!("{ROSTER}:role"), "value": "admin"}]),
    )
    .await
    .expect(200);
    assert_eq!(app.get(&org, &format!("/members/{bob}")).await.body["role"], "admin");
}

#[tokio::test]
async fn deactivation_ends_access_frees_the_seat_and_keeps_the_rest_and_reactivation_restores_it() {
    let app = spawn_app().await;
    let org = app.create_org("deact").await;
    // The owner holds one power seat; Anna the other.
    app.put(&org, "/seats/power", json!({"purchased": 2})).await.expect(200);
    let token = app.scim_token(&org).await;
    // Anna may make API tokens (to show that deactivation ends them).
    app.post(
        &org,
        "/roles",
        json!({"key": "tokens", "name": "Token maker", "permissions": ["org.read", "tokens.manage"]}),
    )
    .await
    .expect(201);
    let anna = app
        .member_with_login(&org, "Anna", "anna@deact.example", "custom:tokens")
        .await;
    app.patch(&org, &format!("/members/{anna}"), json!({"seat_type": "power"}))
        .await
        .expect(200);
    let team = app.post(&org, "/teams", json!({"name": "Kept"})).await.expect(201).id();
    app.post(&org, &format!("/teams/{team}/members"), json!({"member_id": anna}))
        .await
        .expect(200);
    let cookie = app.console_sign_in("anna@deact.example").await;
    let api_token = app.member_token(&org, anna, "reader").await;
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let before = plain
        .get(format!("{}/o/deact", app.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(before.status(), 200);

    // Okta deactivates with a path-less replace.
    let res = app
        .scim_patch(
            &format!("/Users/{anna}"),
            &token,
            json!([{"op": "replace", "value": {"active": false}}]),
        )
        .await
        .expect(200);
    assert_eq!(res.body["active"], false);
    let member = app.get(&org, &format!("/members/{anna}")).await.body;
    assert_eq!(
        (member["status"].as_str(), member["status_label"].as_str()),
        (Some("deactivated"), Some("Deactivated"))
    );
    assert_eq!(member["seat_type"], "power", "the seat type is kept for reactivation");
    let seats = app.get(&org, "/seats").await.body;
    let power = seats["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["seat_type"] == "power")
        .unwrap()
        .clone();
    assert_eq!(power["used"], 1, "Anna's seat is free, the owner's is not: {power}");
    // Sessions and tokens end at once.
    let after = plain
        .get(format!("{}/o/deact", app.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_ne!(after.status(), 200, "the session ended");
    let call = app
        .client
        .get(format!("{}/api/v1/orgs/deact/members", app.base))
        .bearer_auth(&api_token)
        .send()
        .await
        .unwrap();
    assert_eq!(call.status(), 401);
    // Signing in again does not reach the organization.
    let again = app.console_sign_in("anna@deact.example").await;
    let page = plain
        .get(format!("{}/o/deact", app.base))
        .header("cookie", &again)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 404);
    // Teams and profile stay; the user is still found by userName.
    let teams = app.get(&org, &format!("/members/{anna}")).await.body["teams"].clone();
    assert_eq!(teams.as_array().unwrap().len(), 1);
    let found = app
        .scim_get("/Users?filter=userName%20eq%20%22anna@deact.example%22", &token)
        .await
        .expect(200);
    assert_eq!(found.resources()[0]["active"], false);
    assert_eq!(app.audit(&org, "member.deactivate").await.len(), 1);

    // Meanwhile the free power seat goes to someone else.
    let bob = app.member_with_login(&org, "Bob", "bob@deact.example", "reader").await;
    app.patch(&org, &format!("/members/{bob}"), json!({"seat_type": "power"}))
        .await
        .expect(200);

    // Entra ID reactivates with "True" as a string: Anna is active again,
    // with her role, but without a seat (none free); the answer says so.
    let res = app
        .scim_patch(
            &format!("/Users/{anna}"),
            &token,
            json!([{"op": "Replace", "path": "active", "value": "True"}]),
        )
        .await
        .expect(200);
    assert_eq!(res.body["active"], true);
    assert!(res.header("roster-notice").unwrap().contains("without a seat"));
    let member = app.get(&org, &format!("/members/{anna}")).await.body;
    assert_eq!(
        (member["status"].as_str(), member["role"].as_str()),
        (Some("active"), Some("custom:tokens"))
    );
    assert!(member["seat_type"].is_null());
    let reactivated = app.audit(&org, "member.reactivate").await;
    assert_eq!(reactivated[0]["details"]["seat_restored"], false);

    // With a free seat, reactivation brings it back.
    app.scim_patch(
        &format!("/Users/{anna}"),
        &token,
        json!([{"op": "replace", "path": "active", "value": false}]),
    )
    .await
    .expect(200);
    app.patch(&org, &format!("/members/{anna}"), json!({"seat_type": "casual"}))
        .await
        .expect(200);
    app.put(&org, "/seats/casual", json!({"purchased": 5}))
        .await
        .expect(200);
    app.scim_patch(
        &format!("/Users/{anna}"),
        &token,
        json!([{"op": "replace", "path": "active", "value": true}]),
    )
    .await
    .expect(200);
    assert_eq!(
        app.get(&org, &format!("/members/{anna}")).await.body["seat_type"],
        "casual"
    );
}

#[tokio::test]
async fn deactivating_an_invited_member_kills_the_invitation_and_a_member_without_account_comes_back_added() {
    let app = spawn_app().await;
    let org = app.create_org("invited").await;
    let token = app.scim_token(&org).await;
    let id = app
        .scim_user(&token, "ivy@invited.example", "Ivy", "I", "ivy@invited.example")
        .await;
    app.post(
        &org,
        "/invitations",
        json!({"members": {"ids": [id.parse::<i64>().unwrap()]}, "send": "now"}),
    )
    .await
    .expect(200);
    assert_eq!(app.get(&org, &format!("/members/{id}")).await.body["status"], "invited");
    app.scim_patch(
        &format!("/Users/{id}"),
        &token,
        json!([{"op": "replace", "path": "active", "value": false}]),
    )
    .await
    .expect(200);
    let pending = app.get(&org, "/invitations?state=pending").await.body;
    assert_eq!(pending["items"].as_array().unwrap().len(), 0, "{pending}");
    app.scim_patch(
        &format!("/Users/{id}"),
        &token,
        json!([{"op": "replace", "path": "active", "value": true}]),
    )
    .await
    .expect(200);
    assert_eq!(app.get(&org, &format!("/members/{id}")).await.body["status"], "added");
}

#[tokio::test]
async fn delete_removes_the_member_and_a_new_user_with_that_email_restores_them() {
    let app = spawn_app().await;
    let org = app.create_org("restore").await;
    let token = app.scim_token(&org).await;
    let id = app
        .scim_user(&token, "rita@restore.example", "Rita", "R", "rita@restore.example")
        .await;
    app.post(&org, "/content-items", json!({"owner_member_id": id.parse::<i64>().unwrap(), "kind": "survey", "external_ref": "s1", "title": "Survey"}))
        .await
        .expect(201);
    app.scim(Method::DELETE, &format!("/Users/{id}"), &token, None)
        .await
        .expect(204);
    app.scim_get(&format!("/Users/{id}"), &token).await.expect(404);
    app.scim(Method::DELETE, &format!("/Users/{id}"), &token, None)
        .await
        .expect(404);
    let member = app.get(&org, &format!("/members/{id}")).await.body;
    assert_eq!(member["status"], "removed");
    assert_eq!(app.audit(&org, "member.remove").await.len(), 1);
    // Back, by e-mail (another userName): the same membership.
    let again = app
        .scim_post(
            "/Users",
            &token,
            json!({"userName": "rita.r", "emails": [{"value": "RITA@restore.example", "type": "work"}]}),
        )
        .await
        .expect(201);
    assert_eq!(again.id(), id);
    assert_eq!(app.get(&org, &format!("/members/{id}")).await.body["status"], "added");
    assert_eq!(app.audit(&org, "member.restore").await.len(), 1);
}

#[tokio::test]
async fn versions_guard_writes_and_spare_reads() {
    let app = spawn_app().await;
    let org = app.create_org("etags").await;
    let token = app.scim_token(&org).await;
    let id = app
        .scim_user(&token, "eve@etags.example", "Eve", "E", "eve@etags.example")
        .await;
    let read = app.scim_get(&format!("/Users/{id}"), &token).await.expect(200);
    let version = read.header("etag").unwrap();
    // If-None-Match with the current version: 304.
    let res = app
        .client
        .get(format!("{}/scim/v2/Users/{id}", app.base))
        .bearer_auth(&token)
        .header("if-none-match", &version)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304);
    // A change moves the version; a write naming the old one is 412.
    let changed = app
        .scim_patch(
            &format!("/Users/{id}"),
            &token,
            json!([{"op": "replace", "path": "title", "value": "Boss"}]),
        )
        .await
        .expect(200);
    let newer = changed.header("etag").unwrap();
    assert_ne!(newer, version);
    let stale = app
        .client
        .patch(format!("{}/scim/v2/Users/{id}", app.base))
        .bearer_auth(&token)
        .header("if-match", &version)
        .header("content-type", "application/scim+json")
        .body(json!({"Operations": [{"op": "replace", "path": "title", "value": "x"}]}).to_string())
        .send()
        .await
        .unwrap();
    crate::helpers::scim_answer(stale).await.expect(412);
    let fresh = app
        .client
        .delete(format!("{}/scim/v2/Users/{id}", app.base))
        .bearer_auth(&token)
        .header("if-match", &newer)
        .send()
        .await
        .unwrap();
    assert_eq!(fresh.status(), 204);
}

#[tokio::test]
async fn attributes_and_excluded_attributes_shape_every_answer() {
    let app = spawn_app().await;
    let org = app.create_org("shape").await;
    let token = app.scim_token(&org).await;
    let id = app
        .scim_user(&token, "sam@shape.example", "Sam", "S", "sam@shape.example")
        .await;
    let only = app
        .scim_get(&format!("/Users/{id}?attributes=userName,name.givenName"), &token)
        .await
        .expect(200)
        .body;
    assert_eq!(
        only,
        json!({"schemas": only["schemas"], "id": id, "userName": "sam@shape.example", "name": {"givenName": "Sam"}})
    );
    let without = app
        .scim_get(&format!("/Users/{id}?excludedAttributes=emails,meta"), &token)
        .await
        .expect(200)
        .body;
    assert!(without.get("emails").is_none() && without.get("meta").is_none() && without["id"] == id);
    let list = app
        .scim_get("/Users?attributes=userName&filter=userName%20sw%20%22sam%22", &token)
        .await
        .expect(200);
    assert_eq!(list.resources()[0].as_object().unwrap().len(), 3, "{}", list.body);
    let posted = app
        .scim(
            Method::POST,
            "/Users?attributes=id",
            &token,
            Some(json!({"userName": "tim@shape.example"})),
        )
        .await
        .expect(201);
    assert!(posted.body.get("userName").is_none());
    assert!(posted.header("location").is_some());
    app.scim_get(
        &format!("/Users/{id}?attributes=userName&excludedAttributes=emails"),
        &token,
    )
    .await
    .expect(400);
}

#[tokio::test]
async fn okta_puts_the_whole_user_with_a_password_and_read_only_groups() {
    let app = spawn_app().await;
    let org = app.create_org("oktaput").await;
    let token = app.scim_token(&org).await;
    let created = app
        .scim_post(
            "/Users",
            &token,
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": "olga@okta.example",
                "name": {"givenName": "Olga", "familyName": "O"},
                "emails": [{"primary": true, "value": "olga@okta.example", "type": "work"}],
                "displayName": "Olga O",
                "locale": "de-DE",
                "externalId": "00u1",
                "groups": [],
                "password": "1mP0ssible!",
                "active": true
            }),
        )
        .await
        .expect(201);
    let id = created.id();
    assert!(created.body.get("password").is_none());
    app.patch(&org, &format!("/members/{id}"), json!({"role": "collaborator"}))
        .await
        .expect(200);
    // Okta's PUT of the whole user: no Roster extension, so the role an
    // admin gave stays.
    let put = app
        .scim(
            Method::PUT,
            &format!("/Users/{id}"),
            &token,
            Some(json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "id": id,
                "userName": "olga@okta.example",
                "name": {"givenName": "Olga", "familyName": "Okta"},
                "emails": [{"primary": true, "value": "olga@okta.example", "type": "work"}],
                "displayName": "Olga Okta",
                "locale": "de-DE",
                "externalId": "00u1",
                "groups": [],
                "password": "2mP0ssible!",
                "active": true,
                "meta": {"resourceType": "User"}
            })),
        )
        .await
        .expect(200);
    assert_eq!(put.body["name"]["familyName"], "Okta");
    let member = app.get(&org, &format!("/members/{id}")).await.body;
    assert_eq!(
        (member["last_name"].as_str(), member["role"].as_str()),
        (Some("Okta"), Some("collaborator"))
    );
    // No password was kept: the person has no account to sign in with.
    let mut conn = app.service.store().conn().await.unwrap();
    let accounts: i64 =
        roster_store::sqlx::query_scalar("SELECT COUNT(*) FROM accounts WHERE email_normalized = 'olga@okta.example'")
            .fetch_one(conn.raw())
            .await
            .unwrap();
    assert_eq!(accounts, 0);
}
