use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn settings_change_and_a_description_over_250_characters_is_refused() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let res = app
        .patch(&org, "", json!({"name": "Acme AG", "description": "ü".repeat(250), "accent_color": "#AA3300", "import_row_limit": 500, "managed_by_identity_provider": true}))
        .await
        .expect(200);
    assert_eq!(res.body["name"], "Acme AG");
    assert_eq!(res.body["accent_color"], "#aa3300");
    assert_eq!(res.body["import_row_limit"], 500);
    assert_eq!(res.body["managed_by_identity_provider"], true);
    let too_long = app
        .patch(&org, "", json!({"description": "ü".repeat(251), "name": "Changed"}))
        .await
        .expect(422);
    assert_eq!(too_long.error_field(), "description");
    let unchanged = app.get(&org, "").await.expect(200);
    assert_eq!(unchanged.body["name"], "Acme AG", "a refused change changes nothing");
    app.patch(&org, "", json!({"invitation_lifetime_days": 0}))
        .await
        .expect(422);
}

#[tokio::test]
async fn a_new_organization_has_the_documented_defaults() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let res = app.get(&org, "").await.expect(200);
    assert_eq!(res.body["invitation_lifetime_days"], 30);
    assert_eq!(res.body["export_retention_days"], 4);
    assert_eq!(res.body["job_history_days"], 30);
}

#[tokio::test]
async fn seats_count_invited_active_and_reassigning_members_only() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let statuses = [
        "added",
        "invited",
        "active",
        "invitation_expired",
        "reassign_pending",
        "removed",
    ];
    for (i, status) in statuses.iter().enumerate() {
        let id = app
            .post(
                &org,
                "/members",
                json!({"first_name": "S", "last_name": status, "email": format!("s{i}@x.de"), "seat_type": "casual"}),
            )
            .await
            .expect(201)
            .id();
        app.force_status(id, status).await;
    }
    let seats = app.get(&org, "/seats").await.expect(200);
    let casual = seats.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["seat_type"] == "casual")
        .unwrap()
        .clone();
    assert_eq!(casual["used"], 3);
    assert_eq!(casual["available"], casual["purchased"].as_i64().unwrap() - 3);
    let overview = app.get(&org, "/overview").await.expect(200);
    assert_eq!(
        overview.body["team_size"], 6,
        "the owner and five members who are not removed"
    );
}

#[tokio::test]
async fn fewer_seats_than_are_used_is_refused_with_the_number_in_use() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    for i in 0..3 {
        let id = app
            .post(
                &org,
                "/members",
                json!({"first_name": "S", "last_name": "S", "email": format!("s{i}@x.de"), "seat_type": "casual"}),
            )
            .await
            .expect(201)
            .id();
        app.force_status(id, "active").await;
    }
    let res = app
        .put(&org, "/seats/casual", json!({"purchased": 2}))
        .await
        .expect(409);
    assert_eq!(res.error_code(), "seats_in_use");
    app.put(&org, "/seats/casual", json!({"purchased": 3, "label": "Gelegentlich"}))
        .await
        .expect(200);
}

#[tokio::test]
async fn moving_an_active_member_to_a_full_seat_type_says_how_many_seats_are_missing() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    app.put(&org, "/seats/casual", json!({"purchased": 0}))
        .await
        .expect(200);
    let id = app.add_member(&org, "A", "B", "a@x.de").await;
    app.force_status(id, "active").await;
    let res = app
        .patch(&org, &format!("/members/{id}"), json!({"seat_type": "casual"}))
        .await
        .expect(409);
    assert_eq!(res.error_code(), "seats_exhausted");
    assert_eq!(res.body["error"]["shortfall"], 1);
    let member = app.get(&org, &format!("/members/{id}")).await.expect(200);
    assert_eq!(member.body["seat_type"], serde_json::Value::Null, "nothing changed");
}

#[tokio::test]
async fn ownership_moves_to_another_member_and_the_old_owner_becomes_admin() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let next = app.add_member(&org, "Nora", "Nachfolger", "nora@x.de").await;
    // An API token is never the owner, so it cannot hand ownership over.
    app.post(&org, "/ownership", json!({"member_id": next}))
        .await
        .expect(403);
    let owner = app.system("acme").await;
    app.service.transfer_ownership(&owner, next).await.unwrap();
    let owners = app.get(&org, "/members?role=owner").await.expect(200);
    assert_eq!(owners.body["items"][0]["id"], next);
    let old = app.get(&org, &format!("/members/{}", org.owner_id)).await.expect(200);
    assert_eq!(old.body["role"], "admin");
}

#[tokio::test]
async fn the_audit_log_filters_by_action_and_target() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let id = app.add_member(&org, "A", "B", "a@x.de").await;
    app.patch(&org, &format!("/members/{id}"), json!({"comment": "x"}))
        .await
        .expect(200);
    let res = app
        .get(&org, &format!("/audit?target_kind=member&target_id={id}"))
        .await
        .expect(200);
    let actions: Vec<_> = res.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(actions, vec!["member.update", "member.create"]);
    let first = &res.body["items"][1];
    assert!(first["actor"].as_str().unwrap().starts_with("token:"));
    assert_eq!(first["outcome"], "success");
    assert_eq!(first["ip"], "127.0.0.1");
    assert!(!first["request_id"].as_str().unwrap().is_empty());
    app.get(&org, "/audit?since=yesterday").await.expect(422);
}

#[tokio::test]
async fn audit_rows_say_who_what_where_and_never_carry_a_secret() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let made = app
        .post(&org, "/tokens", json!({"name": "ci", "role": "reader"}))
        .await
        .expect(201);
    let secret = made.body["token"].as_str().unwrap().to_owned();
    let reader = crate::helpers::TestOrg {
        token: secret.clone(),
        ..org.clone()
    };
    app.get(&reader, "/audit").await.expect(403);
    let created = app.audit(&org, "token.create").await;
    let refused = app.audit(&org, "access.refused").await;
    for row in created.iter().chain(&refused) {
        for field in ["actor", "action", "target_kind", "target_id", "outcome", "ip", "at"] {
            assert!(row[field].as_str().is_some_and(|v| !v.is_empty()), "{field} of {row}");
        }
        assert!(row["at"].as_str().unwrap().ends_with('Z'), "UTC: {row}");
        assert!(!row.to_string().contains(&secret), "no secret in {row}");
    }
    assert_eq!(refused[0]["outcome"], "refused");
    assert_eq!(refused[0]["target_id"], "audit.read");
}
