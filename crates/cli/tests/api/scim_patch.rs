//! PATCH as Entra ID and Okta really send it (RFC 7644 §3.5.2 and their
//! documented deviations): `op` in any case, with and without a path,
//! value paths, URN paths, dotted and URN-qualified keys, booleans as
//! strings, a manager as a plain id — applied all or none.

use serde_json::json;

use crate::helpers::spawn_app;

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

#[tokio::test]
async fn entra_patches_multi_valued_single_valued_and_enterprise_attributes() {
    let app = spawn_app().await;
    let org = app.create_org("entrapatch").await;
    let token = app.scim_token(&org).await;
    let id = app
        .scim_user(&token, "u@entra.example", "Given", "Family", "old@entra.example")
        .await;
    let path = format!("/Users/{id}");
    let res = app
        .scim_patch(
            &path,
            &token,
            json!([
                {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "new@entra.example"},
                {"op": "Replace", "path": "name.familyName", "value": "Updated"},
                {"op": "Add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+31 6 1234"},
                {"op": "Add", "path": format!("{ENTERPRISE}:manager"), "value": "2819c223"},
                {"op": "Replace", "path": format!("{ENTERPRISE}:employeeNumber"), "value": "E-77"},
                {"op": "Replace", "path": "userName", "value": "renamed@entra.example"}
            ]),
        )
        .await
        .expect(200);
    assert_eq!(res.body["emails"][0]["value"], "new@entra.example");
    assert_eq!(
        res.body["phoneNumbers"],
        json!([{"type": "mobile", "value": "+31 6 1234"}])
    );
    // manager came as a plain id and is returned as {"value": id}.
    assert_eq!(res.body[ENTERPRISE]["manager"], json!({"value": "2819c223"}));
    let member = app.get(&org, &format!("/members/{id}")).await.body;
    assert_eq!(
        (
            member["email"].as_str(),
            member["last_name"].as_str(),
            member["personal_id"].as_str(),
            member["phone"].as_str()
        ),
        (
            Some("new@entra.example"),
            Some("Updated"),
            Some("E-77"),
            Some("+31 6 1234")
        )
    );
    assert_eq!(member["directory"]["user_name"], "renamed@entra.example");
    // Filters on manager without the URN find the user.
    let found = app
        .scim_get("/Users?filter=manager%20eq%20%222819c223%22", &token)
        .await
        .expect(200);
    assert_eq!(found.body["totalResults"], 1);

    // Without its compliance flag: "Add" a single-valued attribute; with
    // it: a path-less replace of dotted and URN-qualified keys.
    app.scim_patch(
        &path,
        &token,
        json!([{"op": "Add", "path": "nickName", "value": "Babs"}]),
    )
    .await
    .expect(200);
    let res = app
        .scim_patch(
            &path,
            &token,
            json!([
                {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "TestMhvaes@entra.example"},
                {"op": "replace", "value": {
                    "displayName": "Bjfe",
                    "name.givenName": "Kkom",
                    "name.familyName": "Unua",
                    format!("{ENTERPRISE}:employeeNumber"): "Aklq"
                }}
            ]),
        )
        .await
        .expect(200);
    assert_eq!(
        (res.body["displayName"].as_str(), res.body["nickName"].as_str()),
        (Some("Bjfe"), Some("Babs"))
    );
    let member = app.get(&org, &format!("/members/{id}")).await.body;
    assert_eq!(
        (
            member["first_name"].as_str(),
            member["last_name"].as_str(),
            member["personal_id"].as_str()
        ),
        (Some("Kkom"), Some("Unua"), Some("Aklq"))
    );
    assert_eq!(member["email"], "TestMhvaes@entra.example");
    // "False" as a string deactivates (Entra ID without its flag).
    let res = app
        .scim_patch(
            &path,
            &token,
            json!([{"op": "Replace", "path": "active", "value": "False"}]),
        )
        .await
        .expect(200);
    assert_eq!(res.body["active"], false);
}

#[tokio::test]
async fn several_operations_are_applied_all_or_none() {
    let app = spawn_app().await;
    let org = app.create_org("atomic").await;
    let token = app.scim_token(&org).await;
    let id = app
        .scim_user(&token, "a@atomic.example", "A", "Tomic", "a@atomic.example")
        .await;
    let res = app
        .scim_patch(
            &format!("/Users/{id}"),
            &token,
            json!([
                {"op": "replace", "path": "name.familyName", "value": "Changed"},
                {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "not an address"}
            ]),
        )
        .await
        .expect(400);
    assert_eq!(res.scim_type(), "invalidValue");
    assert_eq!(
        app.get(&org, &format!("/members/{id}")).await.body["last_name"],
        "Tomic"
    );
    // An unknown path, a read-only one, a remove without a path.
    let cases = [
        (
            json!([{"op": "replace", "path": "shoeSize", "value": 44}]),
            "invalidPath",
        ),
        (json!([{"op": "replace", "path": "id", "value": "1"}]), "mutability"),
        (
            json!([{"op": "replace", "path": "meta.created", "value": "2020-01-01T00:00:00Z"}]),
            "mutability",
        ),
        (json!([{"op": "remove"}]), "noTarget"),
        (
            json!([{"op": "frobnicate", "path": "title", "value": "x"}]),
            "invalidSyntax",
        ),
        (
            json!([{"op": "replace", "path": "emails[type eq", "value": "x"}]),
            "invalidPath",
        ),
    ];
    for (ops, kind) in cases {
        let res = app
            .scim_patch(&format!("/Users/{id}"), &token, ops.clone())
            .await
            .expect(400);
        assert_eq!(res.scim_type(), kind, "{ops}");
    }
    // Not a PatchOp at all.
    let res = app
        .scim(
            reqwest::Method::PATCH,
            &format!("/Users/{id}"),
            &token,
            Some(json!({"op": "replace"})),
        )
        .await
        .expect(400);
    assert_eq!(res.scim_type(), "invalidSyntax");
}

#[tokio::test]
async fn add_and_remove_on_multi_valued_attributes_follow_the_rfc() {
    let app = spawn_app().await;
    let org = app.create_org("multi").await;
    let token = app.scim_token(&org).await;
    let id = app
        .scim_user(&token, "m@multi.example", "M", "Ulti", "m@multi.example")
        .await;
    let path = format!("/Users/{id}");
    let res = app
        .scim_patch(
            &path,
            &token,
            json!([{"op": "add", "path": "emails", "value": [{"value": "second@multi.example", "type": "home", "primary": true}]}]),
        )
        .await
        .expect(200);
    let emails = res.body["emails"].as_array().unwrap().clone();
    assert_eq!(emails.len(), 2);
    assert_eq!(
        emails.iter().filter(|e| e["primary"] == true).count(),
        1,
        "one primary: {emails:?}"
    );
    // The primary one is the member's e-mail now.
    assert_eq!(
        app.get(&org, &format!("/members/{id}")).await.body["email"],
        "second@multi.example"
    );
    // Adding what is there adds nothing; removing what is not is no error.
    let res = app
        .scim_patch(
            &path,
            &token,
            json!([{"op": "add", "path": "emails", "value": [{"value": "second@multi.example", "type": "home"}]}]),
        )
        .await
        .expect(200);
    assert_eq!(res.body["emails"].as_array().unwrap().len(), 2);
    app.scim_patch(
        &path,
        &token,
        json!([{"op": "remove", "path": "emails[value eq \"nobody@multi.example\"]"}]),
    )
    .await
    .expect(200);
    let res = app
        .scim_patch(
            &path,
            &token,
            json!([{"op": "remove", "path": "emails[type eq \"home\"]"}]),
        )
        .await
        .expect(200);
    assert_eq!(res.body["emails"].as_array().unwrap().len(), 1);
    assert_eq!(
        app.get(&org, &format!("/members/{id}")).await.body["email"],
        "m@multi.example"
    );
    // A replace of a value path that matches nothing, whose filter says
    // what it would be, creates it.
    let res = app
        .scim_patch(
            &path,
            &token,
            json!([{"op": "replace", "path": "addresses[type eq \"work\"].locality", "value": "Utrecht"}]),
        )
        .await
        .expect(200);
    assert_eq!(res.body["addresses"], json!([{"type": "work", "locality": "Utrecht"}]));
    // A whole extension by its URN.
    app.scim_patch(
        &path,
        &token,
        json!([{"op": "add", "path": ENTERPRISE, "value": {"department": "Ops", "costCenter": "42"}}]),
    )
    .await
    .expect(200);
    assert_eq!(app.get(&org, &format!("/members/{id}")).await.body["department"], "Ops");
    let res = app
        .scim_patch(&path, &token, json!([{"op": "remove", "path": ENTERPRISE}]))
        .await
        .expect(200);
    assert!(res.body.get(ENTERPRISE).is_none());
    assert_eq!(app.get(&org, &format!("/members/{id}")).await.body["department"], "");
}
