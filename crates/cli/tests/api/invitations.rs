//! Invitations end to end: the API sends, a real SMTP server (aiosmtpd on
//! loopback) receives, and the link in the received mail is followed on the
//! accept page. HOSTILE 16–19 and 29.

use std::time::Duration;

use roster_service::mail::MailWorker;
use serde_json::{json, Value};

use crate::helpers::smtp::{header, link};
use crate::helpers::{spawn_app, spawn_with_mail, spawn_with_mail_limit, TestApp, TestOrg, PASSWORD};

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn member_with_seat(app: &TestApp, org: &TestOrg, first: &str, email: &str, seat: &str) -> i64 {
    app.post(
        org,
        "/members",
        json!({"first_name": first, "last_name": "Test", "email": email, "seat_type": seat}),
    )
    .await
    .expect(201)
    .id()
}

async fn invite(app: &TestApp, org: &TestOrg, body: Value) -> Value {
    app.post(org, "/invitations", body).await.expect(200).body
}

/// The path of an invitation link (`/invite/…`), on this app.
fn path_of(link: &str) -> String {
    link.find("/invite/").map(|i| link[i..].to_owned()).unwrap()
}

async fn status_of(app: &TestApp, org: &TestOrg, id: i64) -> String {
    app.get(org, &format!("/members/{id}")).await.expect(200).body["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Accepts with a new password; the answer's status and body.
async fn accept_with_password(app: &TestApp, path: &str, password: &str) -> (u16, String, Option<String>) {
    let fields = [("password", password), ("password_again", password)];
    crate::helpers::post_public_form(&app.base, path, &fields).await
}

#[tokio::test]
async fn an_invitation_arrives_personalised_and_its_link_makes_the_member_active() {
    let app = spawn_with_mail().await;
    let org = app.create_org("acme").await;
    app.patch(&org, "/", json!({"accent_color": "#aa3300"}))
        .await
        .expect(200);
    let id = member_with_seat(&app, &org, "Jürgen", "juergen@acme.example", "casual").await;
    app.put(&org, "/seats/casual", json!({"purchased": 5}))
        .await
        .expect(200);

    let outcome = invite(
        &app,
        &org,
        json!({"members": {"ids": [id]}, "subject": "Willkommen bei Acme", "message": "Schön, dass du dabei bist!\nBis bald <3", "language": "de"}),
    )
    .await;
    assert_eq!(outcome["invited"], json!([id]));
    assert_eq!(status_of(&app, &org, id).await, "invited");

    let sink = app.sink.as_ref().unwrap();
    let mail = sink.wait_for(1).await.remove(0);
    assert_eq!(mail["rcpt_tos"], json!(["juergen@acme.example"]));
    assert_eq!(header(&mail, "Subject"), Some("Willkommen bei Acme"));
    let text = mail["text"].as_str().unwrap();
    assert!(text.contains("Hallo Jürgen,"), "{text}");
    assert!(text.contains("Schön, dass du dabei bist!\nBis bald <3"), "{text}");
    let html = mail["html"].as_str().unwrap();
    assert!(html.contains("Einladung annehmen"));
    assert!(html.contains("#aa3300"), "the organization's accent colour");
    assert!(
        html.contains("Bis bald &#60;3") || html.contains("Bis bald &lt;3"),
        "escaped in HTML"
    );
    let accept = link(&mail, &app.base);
    assert!(accept.starts_with(&format!("{}/invite/", app.base)));
    // 256 random bits, hex.
    assert_eq!(accept.rsplit('/').next().unwrap().len(), 64);

    // The member page shows the invitation and its delivery.
    let mut delivered = false;
    for _ in 0..100 {
        let detail = app.get(&org, &format!("/members/{id}")).await.expect(200).body;
        assert_eq!(detail["invitations"][0]["state"], "pending");
        if detail["invitations"][0]["messages"][0]["state"] == "sent" {
            delivered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(delivered, "the message is marked sent");

    // The accept page: the organization's design, no referrer.
    let page = app.client.get(&accept).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["referrer-policy"], "no-referrer");
    let body = page.text().await.unwrap();
    assert!(body.contains("Join acme GmbH"), "{body}");
    assert!(body.contains("/theme/acme"));

    let path = path_of(&accept);
    let (status, body, _) = accept_with_password(&app, &path, "short").await;
    assert_eq!(status, 200);
    assert!(body.contains("at least 12 characters"), "{body}");

    let (status, _, cookie) = accept_with_password(&app, &path, "a long enough password").await;
    assert_eq!(status, 303);
    let cookie = cookie.expect("signed in");
    assert_eq!(status_of(&app, &org, id).await, "active");
    let home = app.console_html(&cookie, "/o/acme").await;
    assert!(home.contains("acme GmbH"));
    // The new account signs in with its password too.
    let res = no_redirects()
        .post(format!("{}/login", app.base))
        .form(&[
            ("email", "juergen@acme.example"),
            ("password", "a long enough password"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);

    // The link is used up.
    let again = app.client.get(&accept).send().await.unwrap();
    assert_eq!(again.status(), 410);
    assert!(again.text().await.unwrap().contains("has been used"));
    assert_eq!(app.audit(&org, "invitation.accept").await.len(), 1);
    assert_eq!(app.audit(&org, "invitation.send").await.len(), 1);
}

#[tokio::test]
async fn a_seat_shortfall_is_named_and_nothing_is_sent() {
    let app = spawn_with_mail().await;
    let org = app.create_org("acme").await;
    app.put(&org, "/seats/casual", json!({"purchased": 1}))
        .await
        .expect(200);
    let a = member_with_seat(&app, &org, "A", "a@acme.example", "casual").await;
    let b = member_with_seat(&app, &org, "B", "b@acme.example", "casual").await;
    let c = member_with_seat(&app, &org, "C", "c@acme.example", "casual").await;
    let res = app
        .post(&org, "/invitations", json!({"members": {"ids": [a, b, c]}}))
        .await
        .expect(409);
    assert_eq!(res.error_code(), "seats_exhausted");
    let message = res.body["error"]["message"].as_str().unwrap();
    assert!(message.contains("3 needed, 1 available"), "{message}");
    for id in [a, b, c] {
        assert_eq!(status_of(&app, &org, id).await, "added");
    }
    // The rolled-back request wrote nothing to the outbox (HOSTILE 29).
    let mut conn = app.service.store().conn().await.unwrap();
    let queued: i64 = roster_store::sqlx::query_scalar("SELECT COUNT(*) FROM outbox")
        .fetch_one(conn.raw())
        .await
        .unwrap();
    assert_eq!(queued, 0);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(app.sink.as_ref().unwrap().messages().is_empty());
}

#[tokio::test]
async fn resend_kills_the_old_link_and_revoke_returns_the_member_to_added() {
    let app = spawn_with_mail().await;
    let org = app.create_org("acme").await;
    let id = app.add_member(&org, "Ann", "Lee", "ann@acme.example").await;
    invite(&app, &org, json!({"members": {"emails": ["ANN@acme.example"]}})).await;
    let sink = app.sink.as_ref().unwrap();
    let first = link(&sink.wait_for(1).await[0], &app.base);

    let resent = app
        .post(&org, "/invitations/resend", json!({"members": {"ids": [id]}}))
        .await
        .expect(200);
    assert_eq!(resent.body["invited"], json!([id]));
    let messages = sink.wait_for(2).await;
    let second = messages
        .iter()
        .map(|m| link(m, &app.base))
        .find(|l| *l != first)
        .expect("a fresh link");
    let old = app.client.get(&first).send().await.unwrap();
    assert_eq!(old.status(), 410);
    assert!(old.text().await.unwrap().contains("no longer valid"));
    assert_eq!(app.client.get(&second).send().await.unwrap().status(), 200);
    assert_eq!(app.audit(&org, "invitation.resend").await.len(), 1);

    let revoked = app
        .post(&org, "/invitations/revoke", json!({"members": {"ids": [id]}}))
        .await
        .expect(200);
    assert_eq!(revoked.body["revoked"], json!([id]));
    assert_eq!(status_of(&app, &org, id).await, "added");
    assert_eq!(app.client.get(&second).send().await.unwrap().status(), 410);
    let (status, _, cookie) = accept_with_password(&app, &path_of(&second), "a long enough password").await;
    assert_eq!(status, 410);
    assert!(cookie.is_none());
    // Nothing left to revoke.
    let again = app
        .post(&org, "/invitations/revoke", json!({"members": {"ids": [id]}}))
        .await
        .expect(409);
    assert_eq!(again.error_code(), "not_invited");

    let listed = app.get(&org, "/invitations").await.expect(200).body;
    let states: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, vec!["revoked", "replaced"]);
}

/// Sets when a member's pending invitation expires (an injected clock).
async fn expire_at(app: &TestApp, member: i64, at: i64) {
    let mut conn = app.service.store().conn().await.unwrap();
    roster_store::sqlx::query("UPDATE invitations SET expires_at = $1 WHERE member_id = $2 AND state = 'pending'")
        .bind(at)
        .bind(member)
        .execute(conn.raw())
        .await
        .unwrap();
}

#[tokio::test]
async fn an_invitation_works_until_its_lifetime_ends_then_the_member_is_expired() {
    let app = spawn_with_mail().await;
    let org = app.create_org("acme").await;
    let early = app.add_member(&org, "Early", "E", "early@acme.example").await;
    let late = app.add_member(&org, "Late", "L", "late@acme.example").await;
    invite(&app, &org, json!({"members": {"ids": [early, late]}})).await;
    let sink = app.sink.as_ref().unwrap();
    sink.wait_for(2).await;
    let link_of = |email: &str| link(&sink.to(email)[0], &app.base);

    // The default lifetime: 30 days.
    let detail = app.get(&org, &format!("/members/{early}")).await.expect(200).body;
    let created = time::OffsetDateTime::parse(
        detail["invitations"][0]["created_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let expires = time::OffsetDateTime::parse(
        detail["invitation_expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!((expires - created).whole_days(), 30);

    let now = roster_domain::now_millis();
    // Just before the end: it works.
    expire_at(&app, early, now + 3_000).await;
    let (status, _, _) =
        accept_with_password(&app, &path_of(&link_of("early@acme.example")), "a long enough password").await;
    assert_eq!(status, 303);

    // Just after: refused, and the worker marks the member expired.
    expire_at(&app, late, now - 1).await;
    let (status, body, _) =
        accept_with_password(&app, &path_of(&link_of("late@acme.example")), "a long enough password").await;
    assert_eq!(status, 410, "{body}");
    assert!(body.contains("has expired"));
    app.service.expire_invitations().await.unwrap();
    assert_eq!(status_of(&app, &org, late).await, "invitation_expired");
    assert_eq!(app.audit(&org, "invitation.expire").await.len(), 1);

    // Resending every expired invitation: a fresh link that works.
    let resent = app
        .post(
            &org,
            "/invitations/resend",
            json!({"members": {"filter": {"status": "invitation_expired"}}}),
        )
        .await
        .expect(200);
    assert_eq!(resent.body["invited"], json!([late]));
    assert_eq!(status_of(&app, &org, late).await, "invited");
}

#[tokio::test]
async fn two_accepts_at_once_make_exactly_one_membership() {
    let app = spawn_with_mail().await;
    let org = app.create_org("acme").await;
    let id = app.add_member(&org, "Twin", "T", "twin@acme.example").await;
    invite(&app, &org, json!({"members": {"ids": [id]}})).await;
    let path = path_of(&link(&app.sink.as_ref().unwrap().wait_for(1).await[0], &app.base));
    let (a, b) = tokio::join!(
        accept_with_password(&app, &path, "first password here"),
        accept_with_password(&app, &path, "second password here"),
    );
    let mut statuses = vec![a.0, b.0];
    statuses.sort();
    assert_eq!(
        statuses,
        vec![303, 410],
        "one accept wins, the other finds the link used"
    );
    let mut conn = app.service.store().conn().await.unwrap();
    let accounts: i64 =
        roster_store::sqlx::query_scalar("SELECT COUNT(*) FROM accounts WHERE email_normalized = 'twin@acme.example'")
            .fetch_one(conn.raw())
            .await
            .unwrap();
    assert_eq!(accounts, 1);
    assert_eq!(app.audit(&org, "invitation.accept").await.len(), 1);
}

#[tokio::test]
async fn an_existing_account_must_sign_in_as_itself_to_accept() {
    let app = spawn_with_mail().await;
    let acme = app.create_org("acme").await;
    let beta = app.create_org("beta").await;
    // Olga (owner of acme) is invited to beta: her account exists.
    let olga = app.add_member(&beta, "Olga", "Owner", "owner@acme.example").await;
    let other = app.add_member(&beta, "Eve", "E", "eve@beta.example").await;
    invite(&app, &beta, json!({"members": {"ids": [olga, other]}})).await;
    let sink = app.sink.as_ref().unwrap();
    sink.wait_for(2).await;
    let olga_link = link(&sink.to("owner@acme.example")[0], &app.base);
    let eve_link = link(&sink.to("eve@beta.example")[0], &app.base);

    // The page asks her to sign in; the link never sets her password (HOSTILE 18).
    let page = app.client.get(&olga_link).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Sign in to accept"), "{page}");
    let (status, body, cookie) = accept_with_password(&app, &path_of(&olga_link), "attacker password 1").await;
    assert_eq!(status, 200);
    assert!(body.contains("sign in as it"), "{body}");
    assert!(cookie.is_none());
    assert!(
        app.console_sign_in("owner@acme.example").await.contains('='),
        "her password still works"
    );

    // Signed in as Olga, Eve's invitation is refused (HOSTILE 17)…
    let olga_session = app.console_sign_in("owner@acme.example").await;
    let eve_page = app.console_html(&olga_session, &path_of(&eve_link)).await;
    let res = app
        .console_post(&olga_session, &eve_page, &format!("{}/accept", path_of(&eve_link)), &[])
        .await;
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("for someone else"));
    assert_eq!(status_of(&app, &beta, other).await, "invited");

    // …and her own accepted.
    let own_page = app.console_html(&olga_session, &path_of(&olga_link)).await;
    assert!(own_page.contains("Accept as owner@acme.example"));
    let res = no_redirects()
        .post(format!("{}{}/accept", app.base, path_of(&olga_link)))
        .header("cookie", &olga_session)
        .form(&[(
            "csrf",
            own_page
                .split("name=\"csrf\" value=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap(),
        )])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/o/beta");
    assert_eq!(status_of(&app, &beta, olga).await, "active");
    let _ = acme;
}

#[tokio::test]
async fn links_use_the_configured_base_url_whatever_the_host_header() {
    let app = spawn_with_mail().await;
    let org = app.create_org("acme").await;
    let id = app.add_member(&org, "Hal", "H", "hal@acme.example").await;
    app.client
        .post(format!("{}/api/v1/orgs/acme/invitations", app.base))
        .bearer_auth(&org.token)
        .header("host", "evil.example")
        .header("x-forwarded-host", "evil.example")
        .json(&json!({"members": {"ids": [id]}}))
        .send()
        .await
        .unwrap();
    let mail = app.sink.as_ref().unwrap().wait_for(1).await.remove(0);
    assert!(!mail["raw"].as_str().unwrap().contains("evil.example"));
    assert!(link(&mail, "http").starts_with(&app.base));
}

#[tokio::test]
async fn a_mail_server_refusal_is_recorded_and_a_passing_one_is_retried() {
    let app = spawn_with_mail().await;
    let org = app.create_org("acme").await;
    let rejected = app.add_member(&org, "Rita", "R", "reject-rita@acme.example").await;
    let deferred = app.add_member(&org, "Tom", "T", "tempfail-tom@acme.example").await;
    invite(&app, &org, json!({"members": {"ids": [rejected, deferred]}})).await;
    let message_of = |detail: &Value| detail["invitations"][0]["messages"][0].clone();
    let mut seen = (Value::Null, Value::Null);
    for _ in 0..200 {
        let r = message_of(&app.get(&org, &format!("/members/{rejected}")).await.expect(200).body);
        let d = message_of(&app.get(&org, &format!("/members/{deferred}")).await.expect(200).body);
        if r["state"] == "failed" && d["attempts"] == 1 && d["state"] == "queued" {
            seen = (r, d);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (r, d) = seen;
    assert_eq!(r["state"], "failed", "a 5xx fails for good");
    assert!(r["last_error"].as_str().unwrap().contains("550"), "{r}");
    assert!(d["last_error"].as_str().unwrap().contains("451"), "{d}");
    assert!(d["next_attempt_at"].is_string(), "a 4xx is tried again later");
    let id = r["id"].as_i64().unwrap();
    let one = app.get(&org, &format!("/messages/{id}")).await.expect(200);
    assert_eq!(one.body["state"], "failed");
}

#[tokio::test]
async fn a_crash_after_the_servers_250_sends_at_most_one_duplicate() {
    let app = spawn_with_mail().await;
    let org = app.create_org("acme").await;
    // No worker of the app's: this test plays them.
    app.stop_worker().await;
    let id = app.add_member(&org, "Dup", "D", "dup@acme.example").await;
    invite(&app, &org, json!({"members": {"ids": [id]}})).await;
    // A worker claims it (a lease that runs out at once), sends it — the
    // server answers 250 — and dies before marking it sent.
    let store = app.service.store().clone();
    let claimed = store
        .claim_messages("dead-worker", 1, 10, roster_domain::now_millis())
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    let sink = app.sink.as_ref().unwrap();
    let from = app.service.mail_config().from.clone();
    let target = roster_service::mail::SmtpTarget::parse(&sink.url()).unwrap();
    let mut connection = roster_service::mail::SmtpConnection::open(&target).await.unwrap();
    let to: lettre::Address = "dup@acme.example".parse().unwrap();
    connection
        .send(&from.email, &to, claimed[0].message.body_text.as_bytes())
        .await
        .unwrap();
    // The lease runs out; a live worker sends it once more, and marks it.
    tokio::time::sleep(Duration::from_millis(100)).await;
    MailWorker::new(app.service.clone()).run_once().await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let copies = sink.to("dup@acme.example").len();
    assert_eq!(copies, 2, "the one the dead worker sent, and one more");
    MailWorker::new(app.service.clone()).run_once().await.unwrap();
    assert_eq!(sink.to("dup@acme.example").len(), copies, "never a third");
    let detail = app.get(&org, &format!("/members/{id}")).await.expect(200).body;
    assert_eq!(detail["invitations"][0]["messages"][0]["state"], "sent");
}

#[tokio::test]
async fn two_workers_deliver_each_message_once() {
    let app = spawn_with_mail().await;
    let org = app.create_org("acme").await;
    let mut ids = Vec::new();
    for i in 0..30 {
        ids.push(
            app.add_member(&org, &format!("M{i}"), "W", &format!("m{i}@acme.example"))
                .await,
        );
    }
    invite(&app, &org, json!({"members": {"ids": ids}})).await;
    let (first, second) = (
        MailWorker::new(app.service.clone()),
        MailWorker::new(app.service.clone()),
    );
    let (a, b) = tokio::join!(first.run_once(), second.run_once());
    a.unwrap();
    b.unwrap();
    // (The app's own worker delivers beside them: three workers in all.)
    let sink = app.sink.as_ref().unwrap();
    let messages = sink.wait_for(30).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sink.messages().len(), 30, "each exactly once");
    let mut to: Vec<String> = messages
        .iter()
        .map(|m| m["rcpt_tos"][0].as_str().unwrap().to_owned())
        .collect();
    to.sort();
    to.dedup();
    assert_eq!(to.len(), 30);
}

#[tokio::test]
async fn header_injection_is_refused() {
    let app = spawn_with_mail().await;
    let org = app.create_org("acme").await;
    let id = app.add_member(&org, "Ina", "I", "ina@acme.example").await;
    let res = app
        .post(
            &org,
            "/invitations",
            json!({"members": {"ids": [id]}, "subject": "Hi\r\nBcc: victim@evil.example"}),
        )
        .await
        .expect(422);
    assert_eq!(res.error_field(), "subject");
    assert_eq!(status_of(&app, &org, id).await, "added");
}

#[tokio::test]
async fn an_import_s_members_get_their_activation_mails_and_nobody_else() {
    let app = spawn_with_mail().await;
    let org = app.create_org("acme").await;
    let before = app.add_member(&org, "Old", "O", "old@acme.example").await;
    let csv = "first_name,last_name,email\nNew,One,new1@acme.example\nNew,Two,new2@acme.example\n";
    let (import, _) = app
        .upload_and_preview(&org, "people.csv", csv.as_bytes().to_vec())
        .await;
    app.apply_import(&org, import, json!({})).await;
    // The import itself sends nothing.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(app.sink.as_ref().unwrap().messages().is_empty());
    let outcome = invite(&app, &org, json!({"members": {"import": import}})).await;
    assert_eq!(outcome["invited"].as_array().unwrap().len(), 2);
    let messages = app.sink.as_ref().unwrap().wait_for(2).await;
    assert!(messages.iter().all(|m| m["rcpt_tos"][0] != "old@acme.example"));
    assert_eq!(status_of(&app, &org, before).await, "added");
}

#[tokio::test]
async fn send_later_keeps_members_added_and_sends_nothing() {
    let app = spawn_with_mail().await;
    let org = app.create_org("acme").await;
    let id = app.add_member(&org, "Lea", "L", "lea@acme.example").await;
    let outcome = invite(
        &app,
        &org,
        json!({"members": {"ids": [id]}, "send": "later", "role": "collaborator"}),
    )
    .await;
    assert_eq!(outcome["kept"], json!([id]));
    assert_eq!(outcome["invited"], json!([]));
    let member = app.get(&org, &format!("/members/{id}")).await.expect(200).body;
    assert_eq!(member["status"], "added");
    assert_eq!(member["role"], "collaborator");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(app.sink.as_ref().unwrap().messages().is_empty());
}

#[tokio::test]
async fn another_organization_cannot_invite_or_read_ones_members() {
    let app = spawn_with_mail().await;
    let acme = app.create_org("acme").await;
    let beta = app.create_org("beta").await;
    let id = app.add_member(&acme, "Ann", "A", "ann@acme.example").await;
    let res = app
        .post(&beta, "/invitations", json!({"members": {"ids": [id]}}))
        .await
        .expect(409);
    assert_eq!(res.error_code(), "not_invitable");
    invite(&app, &acme, json!({"members": {"ids": [id]}})).await;
    let message = app.get(&acme, &format!("/members/{id}")).await.expect(200).body["invitations"][0]["messages"][0]
        ["id"]
        .as_i64()
        .unwrap();
    app.get(&beta, &format!("/messages/{message}")).await.expect(404);
    let listed = app.get(&beta, "/invitations").await.expect(200);
    assert_eq!(listed.body["items"], json!([]));
}

#[tokio::test]
async fn a_seat_is_reassigned_when_the_other_person_accepts_and_restored_when_cancelled() {
    let app = spawn_with_mail().await;
    let org = app.create_org("acme").await;
    // The owner holds a power seat; one more is free.
    app.put(&org, "/seats/power", json!({"purchased": 2})).await.expect(200);
    let holder = member_with_seat(&app, &org, "Hold", "hold@acme.example", "power").await;
    invite(&app, &org, json!({"members": {"ids": [holder]}})).await;
    let sink = app.sink.as_ref().unwrap();
    let holder_link = link(&sink.wait_for(1).await[0], &app.base);
    accept_with_password(&app, &path_of(&holder_link), "a long enough password").await;
    assert_eq!(status_of(&app, &org, holder).await, "active");

    let next = app.add_member(&org, "Next", "N", "next@acme.example").await;
    // Cancelled: both as before.
    app.post(
        &org,
        &format!("/members/{holder}/reassign"),
        json!({"to_member_id": next}),
    )
    .await
    .expect(202);
    assert_eq!(status_of(&app, &org, holder).await, "reassign_pending");
    assert_eq!(status_of(&app, &org, next).await, "reassign_pending");
    app.call(
        reqwest::Method::POST,
        &format!("/api/v1/orgs/acme/members/{holder}/reassign/cancel"),
        &org.token,
        None,
    )
    .await
    .expect(204);
    assert_eq!(status_of(&app, &org, holder).await, "active");
    assert_eq!(status_of(&app, &org, next).await, "added");

    // Accepted: the seat moves.
    app.post(
        &org,
        &format!("/members/{holder}/reassign"),
        json!({"to_member_id": next}),
    )
    .await
    .expect(202);
    let messages = sink.wait_for(3).await;
    let mut links: Vec<String> = sink
        .to("next@acme.example")
        .iter()
        .map(|m| link(m, &app.base))
        .collect();
    assert_eq!(links.len(), 2, "{messages:?}");
    // The first link died with the cancellation.
    let mut answers = Vec::new();
    for l in links.drain(..) {
        answers.push(app.client.get(&l).send().await.unwrap().status().as_u16());
        if *answers.last().unwrap() == 200 {
            let (status, _, _) = accept_with_password(&app, &path_of(&l), "another long password").await;
            assert_eq!(status, 303);
        }
    }
    answers.sort();
    assert_eq!(answers, vec![200, 410]);
    let next_member = app.get(&org, &format!("/members/{next}")).await.expect(200).body;
    assert_eq!(next_member["status"], "active");
    assert_eq!(next_member["seat_type"], "power");
    let holder_member = app.get(&org, &format!("/members/{holder}")).await.expect(200).body;
    assert_eq!(holder_member["status"], "active");
    assert_eq!(holder_member["seat_type"], Value::Null);
}

#[tokio::test]
async fn without_smtp_messages_wait_in_the_outbox() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let id = app.add_member(&org, "Wait", "W", "wait@acme.example").await;
    invite(&app, &org, json!({"members": {"ids": [id]}})).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let detail = app.get(&org, &format!("/members/{id}")).await.expect(200).body;
    assert_eq!(detail["invitations"][0]["messages"][0]["state"], "queued");
    let settings = app
        .console_html(&app.console_sign_in("owner@acme.example").await, "/o/acme/settings")
        .await;
    assert!(settings.contains("Mail is not configured"));
    let _ = PASSWORD;
}

#[tokio::test]
async fn an_organization_sends_at_most_its_hourly_limit_and_the_rest_waits() {
    let app = spawn_with_mail_limit(2).await;
    let org = app.create_org("acme").await;
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(
            app.add_member(&org, &format!("L{i}"), "L", &format!("l{i}@acme.example"))
                .await,
        );
    }
    invite(&app, &org, json!({"members": {"ids": ids}})).await;
    let sink = app.sink.as_ref().unwrap();
    sink.wait_for(2).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sink.messages().len(), 2, "the third waits for the next hour");
    let waiting = app.get(&org, &format!("/members/{}", ids[2])).await.expect(200).body;
    let message = &waiting["invitations"][0]["messages"][0];
    assert_eq!(message["state"], "queued");
    assert_eq!(message["attempts"], 0, "waiting is not a failed attempt");
}

#[tokio::test]
async fn a_resend_racing_an_accept_leaves_one_consistent_outcome() {
    let app = spawn_with_mail().await;
    let org = app.create_org("acme").await;
    let id = app.add_member(&org, "Race", "R", "race@acme.example").await;
    invite(&app, &org, json!({"members": {"ids": [id]}})).await;
    let path = path_of(&link(&app.sink.as_ref().unwrap().wait_for(1).await[0], &app.base));
    let (accepted, resent) = tokio::join!(
        accept_with_password(&app, &path, "a long enough password"),
        app.post(&org, "/invitations/resend", json!({"members": {"ids": [id]}})),
    );
    let detail = app.get(&org, &format!("/members/{id}")).await.expect(200).body;
    match (accepted.0, resent.status.as_u16()) {
        // The accept first: the member is active, the resend finds nobody to invite.
        (303, 409) => {
            assert_eq!(detail["status"], "active");
            assert_eq!(resent.error_code(), "not_invitable");
        }
        // The resend first: the old link is dead, a new one pending.
        (410, 200) => {
            assert_eq!(detail["status"], "invited");
            assert_eq!(detail["invitations"][0]["state"], "pending");
            assert_eq!(detail["invitations"][1]["state"], "replaced");
        }
        other => panic!("inconsistent outcome {other:?}: {detail}"),
    }
}

#[tokio::test]
async fn re_inviting_with_another_seat_type_replaces_the_pending_invitation() {
    let app = spawn_with_mail().await;
    let org = app.create_org("acme").await;
    app.put(&org, "/seats/casual", json!({"purchased": 5}))
        .await
        .expect(200);
    app.put(&org, "/seats/power", json!({"purchased": 5})).await.expect(200);
    let id = member_with_seat(&app, &org, "Sam", "sam@acme.example", "casual").await;
    invite(&app, &org, json!({"members": {"ids": [id]}})).await;
    invite(&app, &org, json!({"members": {"ids": [id]}, "seat_type": "power"})).await;
    let detail = app.get(&org, &format!("/members/{id}")).await.expect(200).body;
    assert_eq!(detail["seat_type"], "power");
    assert_eq!(detail["invitations"][0]["state"], "pending");
    assert_eq!(detail["invitations"][0]["seat_type"], "power");
    assert_eq!(detail["invitations"][1]["state"], "replaced");
    let seats = app.get(&org, "/seats").await.expect(200).body;
    let used = |t: &str| {
        seats["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["seat_type"] == t)
            .unwrap()["used"]
            .clone()
    };
    assert_eq!(
        (used("casual"), used("power")),
        (json!(0), json!(2)),
        "the owner's power seat and Sam's"
    );
}
