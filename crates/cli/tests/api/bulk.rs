//! Bulk member changes on every door (the API's `members/bulk`, `roster
//! member bulk`; the console's list is in the browser suite), and adding a
//! member together with their first team.

use serde_json::json;

use crate::cli::{json as output_json, roster_beside};
use crate::helpers::spawn_app;

#[tokio::test]
async fn a_bulk_role_change_changes_each_member_it_may_and_says_why_not_for_the_others() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let a = app.add_member(&org, "A", "A", "a@acme.example").await;
    let b = app.add_member(&org, "B", "B", "b@acme.example").await;
    let gone = app.add_member(&org, "G", "G", "g@acme.example").await;
    app.delete(&org, &format!("/members/{gone}")).await.expect(200);
    let request = json!({
        "member_ids": [a, b, gone, org.owner_id, a],
        "change": {"action": "set_role", "role": "collaborator"},
    });
    let done = app.post(&org, "/members/bulk", request).await.expect(200);
    assert_eq!(done.body["changed"], json!([a, b]), "{}", done.body);
    let refused = done.body["refused"].as_array().unwrap();
    let codes: Vec<(i64, &str)> = refused
        .iter()
        .map(|r| (r["member_id"].as_i64().unwrap(), r["code"].as_str().unwrap()))
        .collect();
    assert_eq!(codes, vec![(gone, "member_removed"), (org.owner_id, "forbidden")]);
    assert_eq!(done.body["not_attempted"], json!([]));
    for id in [a, b] {
        let m = app.get(&org, &format!("/members/{id}")).await.expect(200);
        assert_eq!(m.body["role"], "collaborator");
    }
    // Each change is audited as one change of one member.
    let audit = app.get(&org, "/audit?action=member.update").await.expect(200);
    assert_eq!(audit.body["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn bulk_seats_teams_and_removal_and_what_is_refused_as_a_whole() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let a = app.add_member(&org, "A", "A", "a@acme.example").await;
    let b = app.add_member(&org, "B", "B", "b@acme.example").await;
    let team = app.post(&org, "/teams", json!({"name": "T"})).await.expect(201).id();
    let seat = json!({"member_ids": [a, b], "change": {"action": "set_seat", "seat_type": "casual"}});
    let done = app.post(&org, "/members/bulk", seat).await.expect(200);
    assert_eq!(done.body["changed"], json!([a, b]));
    let join = json!({"member_ids": [a, b], "change": {"action": "add_to_team", "team_id": team}});
    app.post(&org, "/members/bulk", join).await.expect(200);
    let detail = app.get(&org, &format!("/teams/{team}")).await.expect(200);
    assert_eq!(detail.body["member_count"], 2);
    // An unknown team is one mistake, said once.
    let nowhere = json!({"member_ids": [a, b], "change": {"action": "add_to_team", "team_id": 999_999}});
    let res = app.post(&org, "/members/bulk", nowhere).await.expect(409);
    assert_eq!(
        (res.error_code(), res.error_field()),
        ("unknown_team", "change.team_id")
    );
    let none = json!({"member_ids": [], "change": {"action": "remove"}});
    app.post(&org, "/members/bulk", none).await.expect(422);
    let many: Vec<i64> = (1..=1001).collect();
    let res = app
        .post(
            &org,
            "/members/bulk",
            json!({"member_ids": many, "change": {"action": "remove"}}),
        )
        .await
        .expect(422);
    assert_eq!(res.error_code(), "too_many");
    let remove = json!({"member_ids": [b], "change": {"action": "remove"}});
    app.post(&org, "/members/bulk", remove).await.expect(200);
    let m = app.get(&org, &format!("/members/{b}")).await.expect(200);
    assert_eq!(m.body["status"], "removed");
    // A reader's token may not.
    let reader = crate::helpers::TestOrg {
        token: app.token("acme", "reader").await,
        ..org.clone()
    };
    let again = json!({"member_ids": [a], "change": {"action": "remove"}});
    app.post(&reader, "/members/bulk", again).await.expect(403);
}

#[tokio::test]
async fn the_command_line_changes_many_members_and_exits_3_when_some_were_refused() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let a = app.add_member(&org, "A", "A", "a@acme.example").await;
    let b = app.add_member(&org, "B", "B", "b@acme.example").await;
    let (a_id, b_id) = (a.to_string(), b.to_string());
    let out = roster_beside(
        &app,
        &[
            "--json",
            "member",
            "bulk",
            "--org",
            "acme",
            "--set-seat",
            "power",
            &a_id,
            &b_id,
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(output_json(&out)["changed"], json!([a, b]));
    // Ids from a file, one removed already: refused, and said so.
    app.delete(&org, &format!("/members/{b}")).await.expect(200);
    let dir = tempfile::tempdir().unwrap();
    let ids = dir.path().join("ids.txt");
    std::fs::write(&ids, format!("{a}\n{b}\n")).unwrap();
    let out = roster_beside(
        &app,
        &[
            "member",
            "bulk",
            "--org",
            "acme",
            "--set-role",
            "collaborator",
            "--ids-from",
            ids.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Done for 1 of 2 selected members."), "{text}");
    assert!(text.contains("member_removed"), "{text}");
    // No change asked: refused before anything happens.
    let out = roster_beside(&app, &["member", "bulk", "--org", "acme", &a_id]).await;
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test]
async fn a_member_added_with_a_team_joins_it_in_the_same_transaction() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let team = app.post(&org, "/teams", json!({"name": "T"})).await.expect(201).id();
    let new = json!({"first_name": "N", "last_name": "N", "email": "n@acme.example", "team_id": team});
    let id = app.post(&org, "/members", new).await.expect(201).id();
    let detail = app.get(&org, &format!("/members/{id}")).await.expect(200);
    assert_eq!(detail.body["teams"][0]["team_id"], team);
    // An unknown team: nobody is added.
    let lost = json!({"first_name": "L", "last_name": "L", "email": "l@acme.example", "team_id": 999_999});
    let res = app.post(&org, "/members", lost).await.expect(409);
    assert_eq!((res.error_code(), res.error_field()), ("unknown_team", "team_id"));
    let found = app.get(&org, "/members?q=l@acme").await.expect(200);
    assert_eq!(found.body["items"], json!([]));
    // A typo is refused, not ignored.
    let typo = json!({"first_name": "T", "last_name": "T", "email": "t@acme.example", "teamid": team});
    app.post(&org, "/members", typo).await.expect(422);
    // Changing teams is the team's business, not a member update's.
    let res = app
        .patch(&org, &format!("/members/{id}"), json!({"team_id": team}))
        .await
        .expect(422);
    assert_eq!(res.error_code(), "invalid_body");
}
