//! SCIM Groups ↔ directory teams: made, renamed, filled and deleted by the
//! directory only; Roster's own teams are none of SCIM's business; groups
//! may grant their members a role.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::spawn_app;

#[tokio::test]
async fn a_group_is_a_directory_team_that_only_the_directory_changes() {
    let app = spawn_app().await;
    let org = app.create_org("groups").await;
    let token = app.scim_token(&org).await;
    let ann = app
        .scim_user(&token, "ann@groups.example", "Ann", "G", "ann@groups.example")
        .await;
    let bob = app
        .scim_user(&token, "bob@groups.example", "Bob", "G", "bob@groups.example")
        .await;
    // Entra ID's create: an extra schema URI, no members.
    let created = app
        .scim_post(
            "/Groups",
            &token,
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group", "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
                "externalId": "8aa1a0c0",
                "displayName": "Einkauf",
                "meta": {"resourceType": "Group"}
            }),
        )
        .await
        .expect(201);
    let gid = created.id();
    assert!(gid.starts_with('g'), "group ids differ from user ids: {gid}");
    assert_eq!(created.body["displayName"], "Einkauf");
    let team_id: i64 = gid[1..].parse().unwrap();
    let team = app.get(&org, &format!("/teams/{team_id}")).await.expect(200).body;
    assert_eq!(
        (team["directory"].as_bool(), team["external_key"].as_str()),
        (Some(true), Some("8aa1a0c0"))
    );

    // Entra ID adds members with "$ref": null, answers are 200 with the group.
    let res = app
        .scim_patch(
            &format!("/Groups/{gid}"),
            &token,
            json!([{"op": "Add", "path": "members", "value": [{"$ref": null, "value": ann}, {"$ref": null, "value": bob}]}]),
        )
        .await
        .expect(200);
    assert_eq!(res.body["members"].as_array().unwrap().len(), 2);
    // Adding who is there and removing who is not: no error.
    app.scim_patch(
        &format!("/Groups/{gid}"),
        &token,
        json!([{"op": "add", "path": "members", "value": [{"value": ann}]}]),
    )
    .await
    .expect(200);
    app.scim_patch(
        &format!("/Groups/{gid}"),
        &token,
        json!([{"op": "remove", "path": "members[value eq \"999999\"]"}]),
    )
    .await
    .expect(200);
    // Without its compliance flag Entra ID removes with a list of values.
    let res = app
        .scim_patch(
            &format!("/Groups/{gid}"),
            &token,
            json!([{"op": "Remove", "path": "members", "value": [{"value": bob}]}]),
        )
        .await
        .expect(200);
    assert_eq!(
        res.body["members"],
        json!([{"value": ann, "$ref": format!("{}/scim/v2/Users/{ann}", app.base), "type": "User"}])
    );
    // With the flag: a value path.
    app.scim_patch(
        &format!("/Groups/{gid}"),
        &token,
        json!([{"op": "remove", "path": format!("members[value eq \"{ann}\"]")}]),
    )
    .await
    .expect(200);
    assert_eq!(
        app.get(&org, &format!("/teams/{team_id}")).await.body["member_count"],
        0
    );

    // Rename by PATCH; Okta's rename PUT carries the read-only id and no members.
    app.scim_patch(
        &format!("/Groups/{gid}"),
        &token,
        json!([{"op": "add", "path": "members", "value": [{"value": ann}]}]),
    )
    .await
    .expect(200);
    app.scim_patch(
        &format!("/Groups/{gid}"),
        &token,
        json!([{"op": "Replace", "path": "displayName", "value": "Purchasing"}]),
    )
    .await
    .expect(200);
    let put = app
        .scim(
            Method::PUT,
            &format!("/Groups/{gid}"),
            &token,
            Some(json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": gid, "displayName": "Purchasing EU"})),
        )
        .await
        .expect(200);
    assert_eq!(
        put.body["members"].as_array().unwrap().len(),
        1,
        "a rename keeps the members: {}",
        put.body
    );

    // By hand, a directory group is not renamed, deleted or filled.
    let res = app
        .patch(&org, &format!("/teams/{team_id}"), json!({"name": "Mine"}))
        .await
        .expect(409);
    assert_eq!(res.error_code(), "directory_group");
    app.delete(&org, &format!("/teams/{team_id}")).await.expect(409);
    let carl = app.add_member(&org, "Carl", "Hand", "carl@groups.example").await;
    app.post(&org, &format!("/teams/{team_id}/members"), json!({"member_id": carl}))
        .await
        .expect(409);
    app.delete(&org, &format!("/teams/{team_id}/members/{ann}"))
        .await
        .expect(409);
    // Its purpose and place are Roster's.
    app.patch(&org, &format!("/teams/{team_id}"), json!({"purpose": "Buying"}))
        .await
        .expect(200);

    // Teams made in Roster are not groups: SCIM does not see them.
    let own = app
        .post(&org, "/teams", json!({"name": "Roster-made"}))
        .await
        .expect(201)
        .id();
    app.scim_get(&format!("/Groups/g{own}"), &token).await.expect(404);
    let groups = app.scim_get("/Groups", &token).await.expect(200);
    assert_eq!(groups.body["totalResults"], 1);

    // The user's groups list it.
    let user = app.scim_get(&format!("/Users/{ann}"), &token).await.expect(200).body;
    assert_eq!(user["groups"][0]["value"], json!(gid));
    assert_eq!(user["groups"][0]["display"], "Purchasing EU");

    // Delete: the team goes, its members stay.
    app.scim(Method::DELETE, &format!("/Groups/{gid}"), &token, None)
        .await
        .expect(204);
    app.get(&org, &format!("/teams/{team_id}")).await.expect(404);
    app.get(&org, &format!("/members/{ann}")).await.expect(200);
    assert!(!app.audit(&org, "team.delete").await.is_empty());
}

#[tokio::test]
async fn group_names_are_unique_among_groups_and_external_ids_among_teams() {
    let app = spawn_app().await;
    let org = app.create_org("gnames").await;
    let token = app.scim_token(&org).await;
    app.scim_post("/Groups", &token, json!({"displayName": "Sales"}))
        .await
        .expect(201);
    let res = app
        .scim_post("/Groups", &token, json!({"displayName": "SALES"}))
        .await
        .expect(409);
    assert_eq!(res.scim_type(), "uniqueness");
    app.post(&org, "/teams", json!({"name": "Imported", "external_key": "T-1"}))
        .await
        .expect(201);
    let res = app
        .scim_post("/Groups", &token, json!({"displayName": "Other", "externalId": "T-1"}))
        .await
        .expect(409);
    assert_eq!(res.scim_type(), "uniqueness");
    // Found by displayName (Entra ID), without its members.
    let found = app
        .scim_get(
            "/Groups?excludedAttributes=members&filter=displayName%20eq%20%22sales%22",
            &token,
        )
        .await
        .expect(200);
    assert_eq!(found.body["totalResults"], 1);
    assert!(found.resources()[0].get("members").is_none());
    let res = app
        .scim_post(
            "/Groups",
            &token,
            json!({"displayName": "Bad", "members": [{"value": "12345678"}]}),
        )
        .await
        .expect(400);
    assert_eq!(res.scim_type(), "invalidValue");
    let res = app
        .scim_post(
            "/Groups",
            &token,
            json!({"displayName": "Nested", "members": [{"value": "g1", "type": "Group"}]}),
        )
        .await
        .expect(400);
    assert_eq!(res.scim_type(), "invalidValue");
}

#[tokio::test]
async fn membership_filters_find_groups_by_their_members() {
    let app = spawn_app().await;
    let org = app.create_org("gfilter").await;
    let token = app.scim_token(&org).await;
    let ann = app
        .scim_user(&token, "ann@gf.example", "Ann", "F", "ann@gf.example")
        .await;
    let with = app
        .scim_post(
            "/Groups",
            &token,
            json!({"displayName": "With Ann", "members": [{"value": ann}]}),
        )
        .await
        .expect(201)
        .id();
    app.scim_post("/Groups", &token, json!({"displayName": "Without"}))
        .await
        .expect(201);
    for f in [
        format!("members[value eq \"{ann}\"]"),
        format!("members eq \"{ann}\""),
        format!("members.value eq \"{ann}\""),
        format!("id eq \"{with}\" and members eq \"{ann}\""),
    ] {
        let q = form_urlencoded::Serializer::new(String::new())
            .append_pair("filter", &f)
            .finish();
        let res = app
            .scim_get(&format!("/Groups?excludedAttributes=members&{q}"), &token)
            .await
            .expect(200);
        let ids: Vec<Value> = res.resources().iter().map(|g| g["id"].clone()).collect();
        assert_eq!(ids, vec![json!(with)], "{f}");
    }
}

#[tokio::test]
async fn a_group_may_grant_its_members_a_role_but_never_owner() {
    let app = spawn_app().await;
    let org = app.create_org("grants").await;
    let token = app.scim_token(&org).await;
    let ann = app
        .scim_user(&token, "ann@grants.example", "Ann", "G", "ann@grants.example")
        .await;
    let ann_id: i64 = ann.parse().unwrap();
    app.patch(&org, &format!("/members/{ann}"), json!({"role": "collaborator"}))
        .await
        .expect(200);
    let gid = app
        .scim_post("/Groups", &token, json!({"displayName": "Roster Admins"}))
        .await
        .expect(201)
        .id();
    let team: i64 = gid[1..].parse().unwrap();
    let res = app
        .put(&org, &format!("/teams/{team}/role-grant"), json!({"role": "owner"}))
        .await
        .expect(403);
    assert_eq!(res.error_code(), "forbidden");
    let own = app
        .post(&org, "/teams", json!({"name": "Not a group"}))
        .await
        .expect(201)
        .id();
    app.put(&org, &format!("/teams/{own}/role-grant"), json!({"role": "admin"}))
        .await
        .expect(409);
    let view = app
        .put(&org, &format!("/teams/{team}/role-grant"), json!({"role": "admin"}))
        .await
        .expect(200);
    assert_eq!(view.body["grants_role"], "admin");

    app.scim_patch(
        &format!("/Groups/{gid}"),
        &token,
        json!([{"op": "add", "path": "members", "value": [{"value": ann}]}]),
    )
    .await
    .expect(200);
    assert_eq!(app.get(&org, &format!("/members/{ann_id}")).await.body["role"], "admin");
    app.scim_patch(
        &format!("/Groups/{gid}"),
        &token,
        json!([{"op": "remove", "path": "members"}]),
    )
    .await
    .expect(200);
    assert_eq!(
        app.get(&org, &format!("/members/{ann_id}")).await.body["role"],
        "collaborator"
    );
    // Back in the group, then the group goes: the role before comes back.
    app.scim_patch(
        &format!("/Groups/{gid}"),
        &token,
        json!([{"op": "add", "path": "members", "value": [{"value": ann}]}]),
    )
    .await
    .expect(200);
    assert_eq!(app.get(&org, &format!("/members/{ann_id}")).await.body["role"], "admin");
    app.scim(Method::DELETE, &format!("/Groups/{gid}"), &token, None)
        .await
        .expect(204);
    assert_eq!(
        app.get(&org, &format!("/members/{ann_id}")).await.body["role"],
        "collaborator"
    );
    let updates = app.audit(&org, "member.update").await;
    assert!(
        updates.iter().any(|e| e["details"]["by"] == "directory groups"),
        "{updates:?}"
    );
}

#[tokio::test]
async fn a_patch_of_a_very_large_group_answers_without_its_members() {
    let app = spawn_app().await;
    let org = app.create_org("biggroup").await;
    let token = app.scim_token(&org).await;
    let gid = app
        .scim_post("/Groups", &token, json!({"displayName": "Everyone"}))
        .await
        .expect(201)
        .id();
    let team: i64 = gid[1..].parse().unwrap();
    // 10,001 members, written straight into the database.
    let org_id = app.system("biggroup").await.org_id;
    let mut tx = app.service.store().begin().await.unwrap();
    let mut ids = Vec::new();
    for i in 0..10_001 {
        let mut f = roster_store::MemberFields::blank("reader");
        f.first_name = "Big".into();
        f.last_name = format!("{i}");
        f.email = format!("m{i}@big.example");
        f.email_normalized = f.email.clone();
        f.personal_id = f.email.clone();
        ids.push(
            roster_store::insert_member(&mut tx, org_id, &f, "added", 1)
                .await
                .unwrap(),
        );
    }
    roster_store::insert_team_members(&mut tx, org_id, team, &ids)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let one = ids[0];
    let res = app
        .scim_patch(
            &format!("/Groups/{gid}"),
            &token,
            json!([{"op": "remove", "path": format!("members[value eq \"{one}\"]")}]),
        )
        .await
        .expect(200);
    assert_eq!(res.body["members"].as_array().unwrap().len(), 10_000);
    let res = app
        .scim_patch(
            &format!("/Groups/{gid}"),
            &token,
            json!([{"op": "add", "path": "members", "value": [{"value": one.to_string()}]}]),
        )
        .await
        .expect(204);
    assert_eq!(res.body, Value::Null);
    // Asked without members, the answer is the group.
    let res = app
        .scim(
            Method::PATCH,
            &format!("/Groups/{gid}?excludedAttributes=members"),
            &token,
            Some(json!({"Operations": [{"op": "replace", "path": "displayName", "value": "All"}]})),
        )
        .await
        .expect(200);
    assert_eq!(res.body["displayName"], "All");
    // Listing groups never loads members it does not answer with.
    let list = app
        .scim_get("/Groups?excludedAttributes=members", &token)
        .await
        .expect(200);
    assert!(list.resources()[0].get("members").is_none());
    let whole = app.scim_get(&format!("/Groups/{gid}"), &token).await.expect(200);
    assert_eq!(whole.body["members"].as_array().unwrap().len(), 10_001);
}
