//! A large invitation request commits 200 members at a time: the first
//! messages are in the outbox before the request ends, and each later chunk
//! is checked again against what others changed meanwhile.

use std::time::Duration;

use serde_json::json;

use crate::helpers::spawn_with_mail;
#[tokio::test]
async fn a_large_request_commits_in_chunks_so_the_first_messages_leave_while_the_rest_are_written() {
    let app = spawn_with_mail().await;
    let org = app.create_org("acme").await;
    let mut csv = String::from("first_name,last_name,email\n");
    for i in 0..1_000 {
        csv.push_str(&format!("M{i},Chunk,m{i:04}@acme.example\n"));
    }
    let (id, _) = app.upload_and_preview(&org, "m.csv", csv.into_bytes()).await;
    app.apply_import(&org, id, json!({})).await;
    let last = app.get(&org, "/members?sort=-id&limit=1").await.expect(200).body["items"][0]["id"]
        .as_i64()
        .unwrap();
    let done = std::sync::atomic::AtomicBool::new(false);
    let request = async {
        let outcome = app
            .post(
                &org,
                "/invitations",
                json!({"members": {"filter": {"status": "added"}}}),
            )
            .await
            .expect(200)
            .body;
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        outcome
    };
    // Someone else removes the last member while the request runs.
    let meanwhile = async {
        let mut conn = app.service.store().conn().await.unwrap();
        loop {
            let queued: i64 = roster_store::sqlx::query_scalar("SELECT COUNT(*) FROM outbox")
                .fetch_one(conn.raw())
                .await
                .unwrap();
            if queued > 0 {
                let running = !done.load(std::sync::atomic::Ordering::SeqCst);
                app.delete(&org, &format!("/members/{last}")).await.expect(200);
                return running;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    let (outcome, first_message_while_running) = tokio::join!(request, meanwhile);
    assert!(
        first_message_while_running,
        "the first chunk was committed before the request ended"
    );
    let invited: Vec<i64> = serde_json::from_value(outcome["invited"].clone()).unwrap();
    let skipped = outcome["skipped"].as_array().unwrap();
    assert_eq!(invited.len() + skipped.len(), 1_000, "{outcome}");
    // The removal came before the last chunk (then that member was checked
    // again and skipped) or after it (then they were invited, then removed).
    if let Some(skip) = skipped.first() {
        assert_eq!(skip["member_id"], last);
        assert!(skip["reason"].as_str().unwrap().contains("removed"), "{skip}");
    } else {
        assert!(invited.contains(&last));
    }
    let mut conn = app.service.store().conn().await.unwrap();
    let queued: i64 = roster_store::sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE kind = 'invitation'")
        .fetch_one(conn.raw())
        .await
        .unwrap();
    assert_eq!(queued as usize, invited.len(), "one message per invitation");
}
