//! Upgrading a database that has data: migrations that move or compute
//! data (not only change the schema) keep what was there.

use roster_store::sqlx;

use crate::helpers::TestDb;

#[tokio::test]
async fn upgrading_from_version_5_computes_look_alike_keys_and_keeps_uploaded_files_which_still_preview() {
    let db = TestDb::new().await;
    let store = roster_store::Store::connect(&db.url).await.unwrap();
    store.migrate_to(5).await.unwrap();
    let mut conn = store.conn().await.unwrap();
    // As version 5 wrote an organization (the store's functions write today's schema).
    let org_id: i64 = sqlx::query_scalar(
        "INSERT INTO organizations (slug, name, created_at, updated_at) VALUES ('acme', 'Acme', 1, 1) RETURNING id",
    )
    .fetch_one(conn.raw())
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO members (org_id, first_name, last_name, email, email_normalized, personal_id, role, status, \
         search_text, created_at, updated_at) VALUES ($1, 'Ada', 'A', 'Ada@Apple.com', 'ada@apple.com', 'p1', \
         'reader', 'added', 'ada', 1, 1)",
    )
    .bind(org_id)
    .execute(conn.raw())
    .await
    .unwrap();
    let import: i64 = sqlx::query_scalar(
        "INSERT INTO imports (org_id, status, file_name, detected, mapping, created_by, created_at) \
         VALUES ($1, 'uploaded', 'a.csv', $2, $3, 'test', 1) RETURNING id",
    )
    .bind(org_id)
    // As version 5 stored them.
    .bind(r#"{"format":"csv","encoding":"utf8","delimiter":",","sheet":null}"#)
    .bind(
        r#"{"columns":[{"column":0,"header":"email","target":"email"},{"column":1,"header":"name","target":"skip"}]}"#,
    )
    .fetch_one(conn.raw())
    .await
    .unwrap();
    let file = b"email,name\nada@apple.com,Ada Apple\nbob@apple.com,Bob\n".to_vec();
    sqlx::query("INSERT INTO import_files (import_id, data) VALUES ($1, $2)")
        .bind(import)
        .bind(file.clone())
        .execute(conn.raw())
        .await
        .unwrap();
    drop(conn);

    store.migrate().await.unwrap();
    let mut conn = store.conn().await.unwrap();
    let skeleton: String = sqlx::query_scalar("SELECT email_skeleton FROM members WHERE org_id = $1")
        .bind(org_id)
        .fetch_one(conn.raw())
        .await
        .unwrap();
    assert_eq!(skeleton, roster_domain::email_skeleton("ada@apple.com"));
    let part = roster_store::import_part(&mut conn, roster_store::ImportPart::File, import, 0).await;
    assert_eq!(part.unwrap(), Some(file));
    let look_alike =
        roster_store::bulk::look_alike_member(&mut conn, org_id, "ada@\u{0430}\u{0440}\u{0440}\u{04CF}\u{0435}.com")
            .await
            .unwrap();
    assert_eq!(look_alike.map(|(_, email)| email), Some("ada@apple.com".to_owned()));
    drop(conn);

    // The import was uploaded before the upload sandbox stored tables: its
    // file is read into one when it is first previewed.
    let service = roster_service::Service::new(store.clone()).with_upload_sandbox(crate::helpers::sandbox());
    let actor = service.system_actor("acme").await.unwrap();
    let preview = service
        .preview_import(
            service.authorize(&actor).await.unwrap(),
            import,
            Default::default(),
            Default::default(),
        )
        .await
        .unwrap();
    assert_eq!(preview.totals.rows, 2);
    assert_eq!(preview.rows[1].errors[0].field, "first_name", "{:?}", preview.rows[1]);
    store.close().await;
}
