//! The store's bulk read path for exports (rusqlite on SQLite) gives exactly
//! what the pages read through sqlx give: the same members in the same
//! order, the removed left out, the same team places, sign-ins and
//! invitations — on SQLite (rusqlite) and on PostgreSQL (tokio-postgres'
//! binary COPY).

use roster_store::{MemberQuery, MemberSort};
use serde_json::json;

use crate::exports::populated;
use crate::helpers::spawn_app;

#[tokio::test]
async fn the_bulk_read_gives_what_the_paged_read_gives() {
    let app = spawn_app().await;
    let org = populated(&app, "bulkread").await;
    let invited = app.add_member(&org, "Ina", "Vited", "ina@acme.example").await;
    app.post(&org, "/invitations", json!({"members": {"ids": [invited]}}))
        .await
        .expect(200);
    let removed = app.add_member(&org, "Rem", "Oved", "rem@acme.example").await;
    app.delete(&org, &format!("/members/{removed}")).await.expect(200);
    let mut people = Vec::new();
    for i in 0..4 {
        people.push(
            app.add_member(&org, &format!("P{i}"), "Person", &format!("p{i}@acme.example"))
                .await,
        );
    }
    // Members in two teams each, one of them the last of a page: a page
    // never ends between a member's places.
    let teams = app.get(&org, "/teams").await.expect(200).body;
    let first_team = teams["items"][0]["id"].as_i64().unwrap();
    let second_team = app
        .post(&org, "/teams", json!({"name": "Blaue Bären"}))
        .await
        .expect(201)
        .id();
    let juergen = app.get(&org, "/members?q=juergen@").await.expect(200).body["items"][0]["id"]
        .as_i64()
        .unwrap();
    for (team, member) in [
        (second_team, juergen),
        (first_team, people[1]),
        (second_team, people[1]),
    ] {
        app.post(&org, &format!("/teams/{team}/members"), json!({"member_id": member}))
            .await
            .expect(200);
    }
    let org_id = app.system(&org.slug).await.org_id;
    let store = app.service.store();

    let mut pages = store
        .member_pages_for_export(org_id, 3)
        .expect("a database file or server has a bulk read path");
    let (mut members, mut places, mut sign_ins, mut invitations) = (vec![], vec![], vec![], vec![]);
    let mut sizes = vec![];
    while let Some(page) = pages.recv().await {
        let page = page.unwrap();
        sizes.push(page.members.len());
        let here: Vec<i64> = page.members.iter().map(|m| m.id).collect();
        assert!(
            page.assignments.iter().all(|a| here.contains(&a.member_id)),
            "a page has every place of its members and no other"
        );
        members.extend(page.members);
        places.extend(
            page.assignments
                .into_iter()
                .map(|a| (a.member_id, a.team_id, a.team_name, a.team_role, a.core_member)),
        );
        sign_ins.extend(page.sign_ins);
        invitations.extend(page.invitations);
    }

    let mut conn = store.conn().await.unwrap();
    let query = MemberQuery {
        org_id,
        sort: MemberSort::Id,
        limit: 1_000,
        ..Default::default()
    };
    let expected: Vec<_> = roster_store::list_members(&mut conn, &query)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.status != "removed")
        .collect();
    let ids: Vec<i64> = expected.iter().map(|m| m.id).collect();
    assert!(!ids.contains(&removed));
    assert_eq!(sizes, [3, 3, 2], "pages of 3, the last one short");
    assert_eq!(
        serde_json::to_value(&members).unwrap(),
        serde_json::to_value(&expected).unwrap()
    );
    // (Without the internal fields, which an export never shows.)
    assert!(members
        .iter()
        .all(|m| m.email_normalized.is_empty() && m.sort_key.is_empty()));
    let expected_places: Vec<_> = roster_store::assignments_of(&mut conn, org_id, &ids)
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.member_id, a.team_id, a.team_name, a.team_role, a.core_member))
        .collect();
    assert_eq!(places.len(), 5);
    assert_eq!(places, expected_places);
    // (The look-ups through sqlx come in no particular order.)
    let mut expected_sign_ins = roster_store::last_sign_ins(&mut conn, org_id, &ids).await.unwrap();
    expected_sign_ins.sort();
    assert_eq!(sign_ins, expected_sign_ins);
    let mut expected_invitations = roster_store::newest_invitations_of(&mut conn, org_id, &ids)
        .await
        .unwrap();
    expected_invitations.sort();
    assert_eq!(invitations.len(), 1);
    assert_eq!(invitations, expected_invitations);
}
