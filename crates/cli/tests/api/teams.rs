use roster_domain::{BuiltinRole, Role};
use roster_service::{Actor, MemberListQuery};
use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn teams_nest_move_and_refuse_cycles() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let top = app
        .post(
            &org,
            "/teams",
            json!({"name": "Vertrieb", "is_division": true, "external_key": "T-1"}),
        )
        .await
        .expect(201)
        .id();
    let sub = app
        .post(&org, "/teams", json!({"name": "DACH", "parent_id": top}))
        .await
        .expect(201)
        .id();
    let subsub = app
        .post(&org, "/teams", json!({"name": "Köln", "parent_id": sub}))
        .await
        .expect(201)
        .id();
    let res = app
        .patch(&org, &format!("/teams/{top}"), json!({"parent_id": subsub}))
        .await
        .expect(409);
    assert!(["cycle", "division_not_top_level"].contains(&res.error_code()));
    app.patch(
        &org,
        &format!("/teams/{subsub}"),
        json!({"parent_id": null, "name": "Köln-Team"}),
    )
    .await
    .expect(200);
    let moved = app.get(&org, &format!("/teams/{subsub}")).await.expect(200);
    assert_eq!(moved.body["parent_id"], serde_json::Value::Null);
    assert_eq!(moved.body["name"], "Köln-Team");
    let dup = app
        .post(&org, "/teams", json!({"name": "Other", "external_key": "T-1"}))
        .await
        .expect(409);
    assert_eq!(dup.error_field(), "external_key");
    app.post(
        &org,
        "/teams",
        json!({"name": "Sub-division", "parent_id": top, "is_division": true}),
    )
    .await
    .expect(409);
}

#[tokio::test]
async fn a_team_cannot_be_moved_below_itself() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let a = app.post(&org, "/teams", json!({"name": "A"})).await.expect(201).id();
    let b = app
        .post(&org, "/teams", json!({"name": "B", "parent_id": a}))
        .await
        .expect(201)
        .id();
    let res = app
        .patch(&org, &format!("/teams/{a}"), json!({"parent_id": b}))
        .await
        .expect(409);
    assert_eq!(res.error_code(), "cycle");
}

#[tokio::test]
async fn a_team_with_sub_teams_is_not_deleted() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let a = app.post(&org, "/teams", json!({"name": "A"})).await.expect(201).id();
    let b = app
        .post(&org, "/teams", json!({"name": "B", "parent_id": a}))
        .await
        .expect(201)
        .id();
    app.delete(&org, &format!("/teams/{a}")).await.expect(409);
    app.delete(&org, &format!("/teams/{b}")).await.expect(204);
    app.delete(&org, &format!("/teams/{a}")).await.expect(204);
}

#[tokio::test]
async fn team_members_have_a_team_role_and_a_core_flag() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let team = app
        .post(&org, "/teams", json!({"name": "A", "purpose": "Alles"}))
        .await
        .expect(201)
        .id();
    let m = app.add_member(&org, "M", "M", "m@x.de").await;
    let res = app
        .post(
            &org,
            &format!("/teams/{team}/members"),
            json!({"member_id": m, "team_role": "lead", "core_member": true}),
        )
        .await
        .expect(200);
    assert_eq!(res.body["team_role"], "lead");
    assert_eq!(res.body["core_member"], true);
    app.post(
        &org,
        &format!("/teams/{team}/members"),
        json!({"member_id": m, "team_role": "boss"}),
    )
    .await
    .expect(422);
    let detail = app.get(&org, &format!("/members/{m}")).await.expect(200);
    assert_eq!(detail.body["teams"][0]["name"], "A");
    app.delete(&org, &format!("/teams/{team}/members/{m}"))
        .await
        .expect(204);
    app.delete(&org, &format!("/teams/{team}/members/{m}"))
        .await
        .expect(404);
}

#[tokio::test]
async fn a_division_admin_sees_and_changes_only_members_of_their_divisions() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let division = app
        .post(&org, "/teams", json!({"name": "Vertrieb", "is_division": true}))
        .await
        .expect(201)
        .id();
    let sub = app
        .post(&org, "/teams", json!({"name": "DACH", "parent_id": division}))
        .await
        .expect(201)
        .id();
    let other = app
        .post(&org, "/teams", json!({"name": "Technik"}))
        .await
        .expect(201)
        .id();
    let admin = app
        .post(
            &org,
            "/members",
            json!({"first_name": "D", "last_name": "Admin", "email": "d@x.de", "role": "division_admin"}),
        )
        .await
        .expect(201)
        .id();
    let inside = app.add_member(&org, "In", "Side", "in@x.de").await;
    let outside = app.add_member(&org, "Out", "Side", "out@x.de").await;
    app.post(&org, &format!("/teams/{sub}/members"), json!({"member_id": inside}))
        .await
        .expect(200);
    app.post(&org, &format!("/teams/{other}/members"), json!({"member_id": outside}))
        .await
        .expect(200);
    app.post(&org, &format!("/teams/{division}/admins"), json!({"member_id": admin}))
        .await
        .expect(204);
    app.post(&org, &format!("/teams/{other}/admins"), json!({"member_id": admin}))
        .await
        .expect(409);

    // A signed-in division admin (the console issue brings sign-in; the service is the same).
    let system = app.system("acme").await;
    let actor = Actor {
        role: Role::Builtin(BuiltinRole::DivisionAdmin),
        permissions: BuiltinRole::DivisionAdmin.permissions(),
        member_id: Some(admin),
        label: format!("member:{admin}"),
        ..system
    };
    let page = app
        .service
        .list_members(app.service.authorize(&actor).await.unwrap(), MemberListQuery::default())
        .await
        .unwrap();
    let ids: Vec<i64> = page.items.iter().map(|m| m.id).collect();
    assert_eq!(ids, vec![inside]);
    let err = app
        .service
        .member_detail(app.service.authorize(&actor).await.unwrap(), outside)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "not_found");
    let input = roster_service::MemberInput {
        comment: Some("x".into()),
        ..Default::default()
    };
    let err = app
        .service
        .update_member(app.service.authorize(&actor).await.unwrap(), outside, input.clone())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "not_found");
    app.service
        .update_member(app.service.authorize(&actor).await.unwrap(), inside, input)
        .await
        .unwrap();
    let teams = app
        .service
        .teams(app.service.authorize(&actor).await.unwrap())
        .await
        .unwrap();
    let mut names: Vec<_> = teams.iter().map(|t| t.name.clone()).collect();
    names.sort();
    assert_eq!(names, vec!["DACH", "Vertrieb"]);
}

#[tokio::test]
async fn a_teams_members_come_a_page_at_a_time_by_name() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let team = app.post(&org, "/teams", json!({"name": "Alle"})).await.expect(201).id();
    let names = ["Zander", "Albers", "Müller", "Berg", "Koch", "Adler", "Yilmaz"];
    for (i, last) in names.iter().enumerate() {
        let m = app.add_member(&org, "Vera", last, &format!("v{i}@acme.example")).await;
        app.post(&org, &format!("/teams/{team}/members"), json!({"member_id": m}))
            .await
            .expect(200);
    }
    let mut seen = Vec::new();
    let mut query = "?limit=3".to_owned();
    loop {
        let page = app.get(&org, &format!("/teams/{team}{query}")).await.expect(200);
        assert_eq!(page.body["member_count"], 7);
        let members = page.body["members"].as_array().unwrap();
        assert!(members.len() <= 3);
        seen.extend(members.iter().map(|m| m["last_name"].as_str().unwrap().to_owned()));
        match page.body["next_cursor"].as_str() {
            Some(cursor) => query = format!("?limit=3&cursor={cursor}"),
            None => break,
        }
    }
    let mut sorted: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    sorted.sort();
    assert_eq!(seen, sorted, "every member once, by name");
    app.get(&org, &format!("/teams/{team}?limit=501")).await.expect(422);
    app.get(&org, &format!("/teams/{team}?cursor=zz")).await.expect(404);
}
