//! Errors are not swallowed: stored data that does not read back is said
//! loudly (a 500 with an error id, nothing changed), never shown as empty
//! values, a skipped row or "not found".

use roster_store::sqlx;
use serde_json::json;

use crate::helpers::{spawn_app, TestApp};

async fn execute(app: &TestApp, sql: &str, id: i64) {
    let mut conn = app.service.store().conn().await.unwrap();
    sqlx::query(sql).bind(id).execute(conn.raw()).await.unwrap();
}

#[tokio::test]
async fn undo_never_skips_a_row_it_cannot_read_and_calls_it_success() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let anna = app.add_member(&org, "Anna", "Alt", "anna@acme.example").await;
    let file = "firstname,lastname,email\nAnna,Neu,anna@acme.example\nBert,Brot,bert@acme.example\n";
    let id = app
        .upload(&org, "a.csv", file.as_bytes().to_vec())
        .await
        .expect(201)
        .id();
    app.apply_import(&org, id, json!({})).await;
    execute(
        &app,
        "UPDATE import_rows SET before = 'not json' WHERE import_id = $1 AND action = 'updated'",
        id,
    )
    .await;
    let res = app
        .post(&org, &format!("/imports/{id}/undo"), json!({}))
        .await
        .expect(500);
    assert!(res.body["error"]["error_id"].is_string(), "{}", res.body);
    let import = app.get(&org, &format!("/imports/{id}")).await.expect(200);
    assert_eq!(import.body["status"], "applied", "nothing was undone");
    let bert = app.get(&org, "/members?q=bert").await.expect(200);
    assert_eq!(
        bert.body["items"].as_array().unwrap().len(),
        1,
        "the created member is still there"
    );
    let anna = app.get(&org, &format!("/members/{anna}")).await.expect(200);
    assert_eq!(anna.body["last_name"], "Neu");
}

#[tokio::test]
async fn a_member_whose_stored_fields_do_not_read_is_an_error_not_an_empty_profile() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let anna = app.add_member(&org, "Anna", "Alt", "anna@acme.example").await;
    execute(&app, "UPDATE members SET custom_fields = '[1, 2]' WHERE id = $1", anna).await;
    let res = app.get(&org, &format!("/members/{anna}")).await.expect(500);
    assert!(
        !res.body.to_string().contains("custom_fields"),
        "no database message leaks: {}",
        res.body
    );
    // An edit does not quietly overwrite them with nothing.
    app.patch(&org, &format!("/members/{anna}"), json!({"comment": "x"}))
        .await
        .expect(500);
}

#[tokio::test]
async fn an_import_whose_stored_mapping_does_not_read_says_so_instead_of_mapping_nothing() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let id = app
        .upload(
            &org,
            "a.csv",
            b"firstname,lastname,email\nA,B,a@acme.example\n".to_vec(),
        )
        .await
        .expect(201)
        .id();
    execute(
        &app,
        "UPDATE imports SET mapping = '{\"columns\": 7}' WHERE id = $1",
        id,
    )
    .await;
    app.post(&org, &format!("/imports/{id}/preview"), json!({}))
        .await
        .expect(500);
    let cookie = app.console_sign_in("owner@acme.example").await;
    let res = app
        .client
        .get(format!("{}/o/acme/imports/{id}", app.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 500);
    assert!(res.text().await.unwrap().contains("Quote error id"));
}
