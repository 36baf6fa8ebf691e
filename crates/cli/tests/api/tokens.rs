//! API tokens belong to the member who made them and act with at most that
//! member's current rights (or are the organization's, made by the owner or
//! the command line); they expire; and a job started by a token or a member
//! acts with its starter's rights when it runs, failing closed.

use std::time::Duration;

use reqwest::Method;
use roster_service::jobs::Worker;
use roster_service::{ActorRef, NewToken, Service};
use serde_json::json;

use crate::cli::{json, roster_beside};
use crate::helpers::{sandbox, spawn_app, TestApp, TestDb, TestOrg};

async fn as_token(app: &TestApp, org: &TestOrg, token: String) -> TestOrg {
    let _ = app;
    TestOrg { token, ..org.clone() }
}

#[tokio::test]
async fn a_members_token_narrows_when_they_are_demoted_and_ends_when_they_are_removed() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let ada = app.member_with_login(&org, "Ada", "ada@acme.example", "admin").await;
    let token = app.member_token(&org, ada, "admin").await;
    let ada_token = as_token(&app, &org, token.clone()).await;
    let listed = app.get(&org, "/tokens").await.expect(200);
    let mine = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["member_id"] == ada)
        .unwrap()
        .clone();
    assert_eq!(mine["role"], "admin");
    let carl = app.add_member(&org, "Carl", "C", "carl@acme.example").await;
    app.patch(&ada_token, &format!("/members/{carl}"), json!({"comment": "ok"}))
        .await
        .expect(200);

    // Demoted (by the owner, here on the command line: admins are only
    // the owner's to change): the admin token acts as the collaborator Ada is now.
    let out = roster_beside(
        &app,
        &[
            "member",
            "update",
            "--org",
            "acme",
            &ada.to_string(),
            "--role",
            "collaborator",
        ],
    )
    .await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    app.get(&ada_token, "/members").await.expect(200);
    let res = app
        .patch(&ada_token, &format!("/members/{carl}"), json!({"comment": "no more"}))
        .await
        .expect(403);
    assert_eq!(res.error_code(), "missing_permission");
    app.get(&ada_token, "/audit").await.expect(403);

    // Removed: the token is no token.
    let out = roster_beside(&app, &["member", "remove", "--org", "acme", &ada.to_string()]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    app.get(&ada_token, "/members").await.expect(401);
    let refusals = app.audit(&org, "access.refused").await;
    assert!(
        refusals.iter().any(|e| e["target_id"] == "token.member_gone"),
        "{refusals:?}"
    );
}

#[tokio::test]
async fn tokens_expire_and_say_when_and_show_their_last_use() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let ada = app.member_with_login(&org, "Ada", "ada@acme.example", "admin").await;
    let ada_token = as_token(&app, &org, app.member_token(&org, ada, "reader").await).await;
    app.get(&ada_token, "").await.expect(200);
    // (Last use is written in the background.)
    app.service.flush_deferred_writes().await;
    let tokens = app.get(&org, "/tokens").await.expect(200).body["items"].clone();
    let ada_record = tokens
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["member_id"] == ada)
        .unwrap()
        .clone();
    let created = time::OffsetDateTime::parse(
        ada_record["created_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let expires = time::OffsetDateTime::parse(
        ada_record["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!((expires - created).whole_days(), 90, "a member's token lives 90 days");
    assert!(ada_record["last_used_at"].is_string(), "{ada_record}");

    // Made by the admin token (an organization token), with a lifetime.
    let made = app
        .post(
            &org,
            "/tokens",
            json!({"name": "ci", "role": "reader", "expires_in_days": 1}),
        )
        .await
        .expect(201);
    assert!(
        made.body["member_id"].is_null(),
        "an organization token makes organization tokens"
    );
    let short = as_token(&app, &org, made.body["token"].as_str().unwrap().to_owned()).await;
    app.get(&short, "").await.expect(200);
    // A day later.
    let id = made.id();
    let mut conn = app.service.store().conn().await.unwrap();
    roster_store::sqlx::query("UPDATE api_tokens SET expires_at = $1 WHERE id = $2")
        .bind(roster_domain::now_millis() - 1)
        .bind(id)
        .execute(conn.raw())
        .await
        .unwrap();
    drop(conn);
    app.get(&short, "").await.expect(401);
    let refusals = app.audit(&org, "access.refused").await;
    assert!(
        refusals.iter().any(|e| e["target_id"] == "token.expired"),
        "{refusals:?}"
    );

    app.post(
        &org,
        "/tokens",
        json!({"name": "x", "role": "reader", "expires_in_days": 0}),
    )
    .await
    .expect(422);
}

#[tokio::test]
async fn only_the_owner_makes_organization_tokens_and_the_command_line_makes_only_those() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let ada = app.member_with_login(&org, "Ada", "ada@acme.example", "admin").await;
    let org_id = app.system("acme").await.org_id;
    let svc = &app.service;
    let ada_actor = svc.current_actor(org_id, &ActorRef::Member(ada)).await.unwrap();
    let organization = NewToken {
        organization: true,
        ..NewToken::new("shared", "reader")
    };
    let err = svc
        .create_token(svc.authorize(&ada_actor).await.unwrap(), organization.clone())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "forbidden");
    let owner = svc
        .current_actor(org_id, &ActorRef::Member(org.owner_id))
        .await
        .unwrap();
    let made = svc
        .create_token(svc.authorize(&owner).await.unwrap(), organization)
        .await
        .unwrap();
    assert_eq!((made.record.member_id, made.record.expires_at), (None, None));

    let out = roster_beside(&app, &["token", "create", "--org", "acme", "--name", "cli", "--json"]).await;
    let made = json(&out);
    assert!(made["member_id"].is_null() && made["expires_at"].is_null(), "{made}");
    let out = roster_beside(
        &app,
        &[
            "token",
            "create",
            "--org",
            "acme",
            "--name",
            "ci",
            "--expires-in",
            "30d",
            "--json",
        ],
    )
    .await;
    assert!(json(&out)["expires_at"].is_string());
    let out = roster_beside(
        &app,
        &[
            "token",
            "create",
            "--org",
            "acme",
            "--name",
            "ci",
            "--expires-in",
            "soon",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("90d"));
}

/// A service without a running worker: a job waits until the test runs it.
async fn quiet_service(db: &TestDb) -> Service {
    Service::new(db.store().await).with_upload_sandbox(sandbox())
}

async fn run_jobs(svc: &Service) {
    let mut worker = Worker::new(svc.clone()).with_lease(Duration::from_secs(5));
    roster_service::imports::register_jobs(&mut worker, svc.clone());
    while worker.run_once().await.unwrap() {}
}

#[tokio::test]
async fn a_job_acts_with_its_starters_rights_when_it_runs_and_fails_closed_without_them() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let ada = app.member_with_login(&org, "Ada", "ada@acme.example", "admin").await;
    let ada_token = app.member_token(&org, ada, "admin").await;
    app.stop_worker().await;
    let svc = quiet_service(&app.db).await;
    let actor = svc
        .actor_for_token(&ada_token, "acme", Default::default())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("members.csv");
    std::fs::write(&file, "firstname,lastname,email\nNeu,Mitglied,neu@acme.example\n").unwrap();
    let import = svc
        .create_import(svc.authorize(&actor).await.unwrap(), "members.csv", &file, None)
        .await
        .unwrap();
    svc.apply_import(svc.authorize(&actor).await.unwrap(), import.id, Default::default())
        .await
        .unwrap();
    // Between asking and running, Ada leaves the organization.
    let out = roster_beside(&app, &["member", "remove", "--org", "acme", &ada.to_string()]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    run_jobs(&svc).await;
    let done = app.get(&org, &format!("/imports/{}", import.id)).await.expect(200);
    assert_eq!(done.body["status"], "failed");
    assert!(
        done.body["summary"]["failure"]
            .as_str()
            .unwrap()
            .contains("no longer acts"),
        "{}",
        done.body
    );
    let page = app.get(&org, "/members?q=neu").await.expect(200);
    assert!(
        page.body["items"].as_array().unwrap().is_empty(),
        "nothing was imported"
    );

    // A job whose starter cannot be named does not run as the system.
    let system = svc.system_actor("acme").await.unwrap();
    let import = svc
        .create_import(svc.authorize(&system).await.unwrap(), "members.csv", &file, None)
        .await
        .unwrap();
    let mut tx = svc.store().begin().await.unwrap();
    let payload = json!({"import_id": import.id, "actor": "nobody"});
    let job = svc
        .enqueue_job(&mut tx, Some(system.org_id), "import.apply", &payload, "test")
        .await
        .unwrap();
    roster_store::set_import_state(
        &mut tx,
        import.id,
        roster_domain::ImportStatus::Applying,
        None,
        None,
        Some(job),
        0,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    run_jobs(&svc).await;
    let page = app.get(&org, "/members?q=neu").await.expect(200);
    assert!(
        page.body["items"].as_array().unwrap().is_empty(),
        "nothing was imported"
    );
    let res = app
        .call(
            Method::GET,
            &format!("/api/v1/orgs/acme/imports/{}", import.id),
            &org.token,
            None,
        )
        .await;
    assert_eq!(res.body["status"], "failed", "{}", res.body);
}

#[tokio::test]
async fn a_member_makes_sees_and_revokes_their_own_tokens_on_their_profile() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let ada = app.member_with_login(&org, "Ada", "ada@acme.example", "admin").await;
    let cookie = app.console_sign_in("ada@acme.example").await;
    let page = app.console_html(&cookie, "/o/acme/profile").await;
    let res = app
        .console_post(
            &cookie,
            &page,
            "/o/acme/profile/tokens",
            &[("name", "laptop"), ("role", "collaborator"), ("expires_in_days", "30")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    let secret = page
        .split("id=\"new-token\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the new token is shown once")
        .to_owned();
    let mine = TestOrg {
        token: secret,
        ..org.clone()
    };
    app.get(&mine, "/members").await.expect(200);
    let tokens = app.get(&org, "/tokens").await.expect(200);
    let made = tokens.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "laptop")
        .unwrap()
        .clone();
    assert_eq!(made["member_id"], ada, "it belongs to Ada");
    let page = app.console_html(&cookie, "/o/acme/profile").await;
    assert!(!page.contains(mine.token.as_str()), "the secret is shown only once");
    let res = app
        .console_post(
            &cookie,
            &page,
            &format!("/o/acme/profile/tokens/{}/revoke", made["id"]),
            &[],
        )
        .await;
    assert_eq!(res.status(), 200);
    app.get(&mine, "/members").await.expect(401);
    // Someone else's token is not theirs to revoke.
    let other = app
        .post(&org, "/tokens", json!({"name": "ci", "role": "reader"}))
        .await
        .expect(201)
        .id();
    let res = app
        .console_post(&cookie, &page, &format!("/o/acme/profile/tokens/{other}/revoke"), &[])
        .await;
    assert_eq!(res.status(), 404);
}
