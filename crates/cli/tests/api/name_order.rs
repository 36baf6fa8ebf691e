//! Members sort by name as a reader of the organization's language expects
//! (ICU4X collation keys stored with each member, the same on both
//! databases): through the API's list, its pages and its search, a team's
//! members, after a change of language and after an upgrade.

use serde_json::{json, Value};

use crate::helpers::names::{label, org_with_names, DUTCH, FRENCH, GERMAN};
use crate::helpers::{random_suffix, spawn_app, TestApp, TestOrg};

fn labels(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            format!(
                "{}, {}",
                m["last_name"].as_str().unwrap(),
                m["first_name"].as_str().unwrap()
            )
        })
        .collect()
}

/// Every reader (role) member of the list at `query`, page by page.
async fn walk(app: &TestApp, org: &TestOrg, query: &str, limit: usize) -> Vec<String> {
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = app
            .get(org, &format!("/members?role=reader&limit={limit}&{query}{cursor}"))
            .await
            .expect(200);
        seen.extend(labels(&page.body));
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => return seen,
        }
    }
}

#[tokio::test]
async fn members_are_listed_in_the_order_a_german_a_dutch_and_a_french_reader_expects() {
    let app = spawn_app().await;
    for (language, names, term) in [("de", GERMAN, "ller"), ("nl", DUTCH, "ber"), ("fr", FRENCH, "lef")] {
        let (org, _) = org_with_names(&app, language, names).await;
        let want: Vec<String> = names.iter().map(label).collect();
        // The default order, whole and in pages of three (the cursor carries
        // the key), and backwards.
        assert_eq!(walk(&app, &org, "", 100).await, want, "{language}");
        assert_eq!(walk(&app, &org, "sort=name", 3).await, want, "{language}, pages of 3");
        let mut backwards = want.clone();
        backwards.reverse();
        assert_eq!(
            walk(&app, &org, "sort=-name", 4).await,
            backwards,
            "{language}, descending"
        );
        // A search keeps the order: the term every member holds (their
        // address), a term a few hold, and a letter (no index).
        assert_eq!(walk(&app, &org, "q=names.example", 5).await, want, "{language}, search");
        for term in [term, "r"] {
            let few: Vec<String> = want
                .iter()
                .filter(|n| n.to_lowercase().contains(term))
                .cloned()
                .collect();
            assert!(few.len() >= 3, "{few:?}");
            assert_eq!(
                walk(&app, &org, &format!("q={term}"), 2).await,
                few,
                "{language}, search for {term}"
            );
        }
    }
}

#[tokio::test]
async fn a_search_sorted_by_name_is_exact_whether_its_matches_are_many_or_few() {
    let app = spawn_app().await;
    let org = app
        .create_org(&format!("walk-{}", random_suffix().replace('_', "-")))
        .await;
    // More members than a search walks in name order before it asks the
    // search index: a common term fills its page within the walk, a rare one
    // (sorting after the walk) is found by the index, both in name order.
    let mut csv = String::from("first_name,last_name,email,comment\n");
    for i in 0..2_600 {
        let last = if i % 1_000 == 999 {
            "Zylinski".to_owned()
        } else {
            format!("Name{:04}", 2_600 - i)
        };
        let comment = if i % 3 == 0 { "Werkstudent" } else { "" };
        csv.push_str(&format!("Person{i:04},{last},p{i}@walk.example,{comment}\n"));
    }
    let (id, preview) = app.upload_and_preview(&org, "walk.csv", csv.into_bytes()).await;
    assert_eq!(preview["totals"]["create"], 2_600, "{preview}");
    app.apply_import(&org, id, json!({})).await;
    let common = app.get(&org, "/members?q=werkstud&limit=50").await.expect(200);
    let got = labels(&common.body);
    assert_eq!(got.len(), 50);
    let mut sorted = got.clone();
    sorted.sort();
    assert_eq!(got, sorted, "a page of a common term, in name order");
    // Person2599 (Name0001) is no Werkstudent; Person2598 is.
    assert_eq!(got[0], "Name0002, Person2598");
    let rare = app.get(&org, "/members?q=zylinski&limit=50").await.expect(200);
    assert_eq!(
        labels(&rare.body),
        vec!["Zylinski, Person0999", "Zylinski, Person1999"],
        "a rare term past the walk"
    );
    // The same in the order members were added, and by e-mail, backwards.
    let first = |page: &Value| page["items"][0]["first_name"].as_str().unwrap().to_owned();
    let by_id = app.get(&org, "/members?q=werkstud&limit=50&sort=id").await.expect(200);
    assert_eq!(labels(&by_id.body).len(), 50);
    assert_eq!(first(&by_id.body), "Person0000");
    let last = app.get(&org, "/members?q=werkstud&limit=50&sort=-id").await.expect(200);
    assert_eq!(first(&last.body), "Person2598");
    let rare = app.get(&org, "/members?q=zylinski&sort=-email").await.expect(200);
    assert_eq!(
        labels(&rare.body),
        vec!["Zylinski, Person0999", "Zylinski, Person1999"],
        "p999@ after p1999@"
    );
}

#[tokio::test]
async fn a_teams_members_are_listed_in_name_order() {
    let app = spawn_app().await;
    let (org, ids) = org_with_names(&app, "nl", DUTCH).await;
    let team = app.post(&org, "/teams", json!({"name": "Alle"})).await.expect(201).id();
    for id in ids.iter().rev() {
        app.post(&org, &format!("/teams/{team}/members"), json!({"member_id": id}))
            .await
            .expect(200);
    }
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = app
            .get(&org, &format!("/teams/{team}?limit=5{cursor}"))
            .await
            .expect(200);
        for m in page.body["members"].as_array().unwrap() {
            seen.push(m["member_id"].as_i64().unwrap());
        }
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(seen, ids);
}

/// Waits until the worker has computed the keys the list depends on.
async fn eventually_ordered(app: &TestApp, org: &TestOrg, want: &[String]) {
    for _ in 0..100 {
        if walk(app, org, "", 100).await == want {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(walk(app, org, "", 100).await, want);
}

#[tokio::test]
async fn changing_the_language_to_dutch_and_back_moves_the_particles() {
    let app = spawn_app().await;
    let (org, _) = org_with_names(&app, "nl", DUTCH).await;
    let dutch: Vec<String> = DUTCH.iter().map(label).collect();
    app.patch(&org, "", json!({"language": "de"})).await.expect(200);
    let mut written = dutch.clone();
    written.sort_by_key(|n| n.to_lowercase().replace(['\'', ' '], ""));
    assert_ne!(written, dutch);
    eventually_ordered(&app, &org, &written).await;
    app.patch(&org, "", json!({"language": "nl"})).await.expect(200);
    eventually_ordered(&app, &org, &dutch).await;
}

#[tokio::test]
async fn members_stored_before_names_had_keys_are_sorted_after_an_upgrade() {
    let app = spawn_app().await;
    let (org, _) = org_with_names(&app, "de", GERMAN).await;
    // As a database migrated to version 16 holds them: no keys yet.
    let store = app.db.store().await;
    let mut conn = store.conn().await.unwrap();
    roster_store::sqlx::query("UPDATE members SET sort_key = $1, sort_key_version = 0")
        .bind(Vec::<u8>::new())
        .execute(conn.raw())
        .await
        .unwrap();
    let want: Vec<String> = GERMAN.iter().map(label).collect();
    eventually_ordered(&app, &org, &want).await;
}
