//! The rule of ranks on every door: nobody changes the role of, removes, or
//! reassigns the seat of a member whose role is equal to or above their own;
//! the owner changes only by ownership transfer; a division admin manages
//! only the non-admin members of their divisions. One rule in the service,
//! so the API, the console (one member and many), the command line and an
//! import all refuse alike.

use serde_json::json;

use crate::cli::roster_beside;
use crate::helpers::{spawn_app, TestApp, TestOrg};

/// An organization with an admin and a collaborator besides the owner; the
/// returned org's token belongs to the admin (a member token).
struct Cast {
    org: TestOrg,
    admin: i64,
    other_admin: i64,
    collaborator: i64,
}

async fn cast(app: &TestApp) -> Cast {
    let org = app.create_org("acme").await;
    let admin = app.member_with_login(&org, "Ada", "ada@acme.example", "admin").await;
    let other_admin = app.member_with_login(&org, "Alan", "alan@acme.example", "admin").await;
    let collaborator = app.add_member(&org, "Carl", "Mitarbeiter", "carl@acme.example").await;
    app.patch(
        &org,
        &format!("/members/{collaborator}"),
        json!({"role": "collaborator"}),
    )
    .await
    .expect(200);
    let token = app.member_token(&org, admin, "admin").await;
    Cast {
        org: TestOrg { token, ..org },
        admin,
        other_admin,
        collaborator,
    }
}

#[tokio::test]
async fn over_the_api_an_admin_cannot_change_or_remove_the_owner_or_another_admin() {
    let app = spawn_app().await;
    let c = cast(&app).await;
    let (org, owner) = (&c.org, c.org.owner_id);
    for (target, body) in [
        (owner, json!({"role": "reader"})),
        (c.other_admin, json!({"role": "reader"})),
        (c.other_admin, json!({"seat_type": "casual"})),
        (c.other_admin, json!({"comment": "demoted soon"})),
        (owner, json!({"email": "attacker@evil.example"})),
    ] {
        let res = app
            .patch(org, &format!("/members/{target}"), body.clone())
            .await
            .expect(403);
        assert_eq!(res.error_code(), "forbidden", "{body}");
    }
    let res = app
        .delete(org, &format!("/members/{}", c.other_admin))
        .await
        .expect(403);
    assert!(res.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("equal to or above"));
    app.delete(org, &format!("/members/{owner}")).await.expect(409);
    // Not even themselves: an admin's own role and seat are another admin's to change.
    app.patch(org, &format!("/members/{}", c.admin), json!({"role": "reader"}))
        .await
        .expect(403);
    app.patch(org, &format!("/members/{}", c.admin), json!({"comment": "mine"}))
        .await
        .expect(200);
    // Below them: fine.
    app.patch(
        org,
        &format!("/members/{}", c.collaborator),
        json!({"role": "reader", "seat_type": "casual"}),
    )
    .await
    .expect(200);
    app.delete(org, &format!("/members/{}", c.collaborator))
        .await
        .expect(200);
    let owner_member = app.get(org, &format!("/members/{owner}")).await.expect(200);
    assert_eq!(
        owner_member.body["role"], "owner",
        "the organization still has its owner"
    );
    // The owner can change an admin.
    let owner_token = app.member_token(org, owner, "admin").await;
    let as_owner = TestOrg {
        token: owner_token,
        ..org.clone()
    };
    // A member token acts with at most the member's rights, and the owner's
    // token with the admin role is an admin: admins are its equals.
    app.patch(
        &as_owner,
        &format!("/members/{}", c.other_admin),
        json!({"role": "reader"}),
    )
    .await
    .expect(403);
}

#[tokio::test]
async fn a_division_admin_manages_only_the_non_admin_members_of_their_divisions() {
    let app = spawn_app().await;
    let c = cast(&app).await;
    let org = &c.org;
    let division = app
        .post(org, "/teams", json!({"name": "Vertrieb", "is_division": true}))
        .await
        .expect(201)
        .id();
    let boss = app
        .member_with_login(org, "Dana", "dana@acme.example", "division_admin")
        .await;
    app.post(org, &format!("/teams/{division}/admins"), json!({"member_id": boss}))
        .await
        .expect(204);
    for member in [c.collaborator, c.other_admin] {
        app.post(org, &format!("/teams/{division}/members"), json!({"member_id": member}))
            .await
            .expect(200);
    }
    let peer = app
        .member_with_login(org, "Dirk", "dirk@acme.example", "division_admin")
        .await;
    app.post(org, &format!("/teams/{division}/members"), json!({"member_id": peer}))
        .await
        .expect(200);
    // A division admin makes no tokens: signed in, they act through the service.
    let org_id = app.system("acme").await.org_id;
    let dana = app
        .service
        .current_actor(org_id, &roster_service::ActorRef::Member(boss))
        .await
        .unwrap();
    let svc = &app.service;
    let comment = |text: &str| roster_service::MemberInput {
        comment: Some(text.into()),
        ..Default::default()
    };
    svc.update_member(
        svc.authorize(&dana).await.unwrap(),
        c.collaborator,
        comment("im Bereich"),
    )
    .await
    .unwrap();
    for above in [c.other_admin, peer] {
        let demote = roster_service::MemberInput {
            role: Some("reader".into()),
            ..Default::default()
        };
        let err = svc
            .update_member(svc.authorize(&dana).await.unwrap(), above, demote)
            .await
            .unwrap_err();
        assert_eq!(err.code(), "forbidden", "{err}");
        let err = svc
            .remove_member(svc.authorize(&dana).await.unwrap(), above, Default::default())
            .await
            .unwrap_err();
        assert_eq!(err.code(), "forbidden", "{err}");
    }
    // Outside the division: not even seen.
    let outside = app.add_member(org, "Olaf", "Draussen", "olaf@acme.example").await;
    let err = svc
        .update_member(svc.authorize(&dana).await.unwrap(), outside, comment("x"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "not_found");
    // And in the console, signed in as that division admin.
    let cookie = app.console_sign_in("dana@acme.example").await;
    let page = app
        .console_html(&cookie, &format!("/o/acme/members/{}/edit", c.collaborator))
        .await;
    let res = app
        .console_post(
            &cookie,
            &page,
            &format!("/o/acme/members/{peer}/remove"),
            &[("confirmed", "on")],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("equal to or above your own"));
    let still = app.get(org, &format!("/members/{peer}")).await.expect(200);
    assert_eq!(still.body["status"], "active");
}

#[tokio::test]
async fn the_console_refuses_one_member_and_names_the_refused_ones_of_a_bulk_change() {
    let app = spawn_app().await;
    let c = cast(&app).await;
    let cookie = app.console_sign_in("ada@acme.example").await;
    let page = app
        .console_html(&cookie, &format!("/o/acme/members/{}/edit", c.other_admin))
        .await;
    let res = app
        .console_post(
            &cookie,
            &page,
            &format!("/o/acme/members/{}/edit", c.other_admin),
            &[
                ("first_name", "Alan"),
                ("last_name", "Test"),
                ("email", "alan@acme.example"),
                ("role", "reader"),
            ],
        )
        .await;
    // The form again, saying why (and nothing changed).
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("equal to or above your own"));

    let list = app.console_html(&cookie, "/o/acme/members").await;
    let (admin, collaborator, owner) = (
        c.other_admin.to_string(),
        c.collaborator.to_string(),
        c.org.owner_id.to_string(),
    );
    let res = app
        .console_post(
            &cookie,
            &list,
            "/o/acme/members/bulk",
            &[
                ("action", "role"),
                ("role", "reader"),
                ("ids", &admin),
                ("ids", &collaborator),
                ("ids", &owner),
            ],
        )
        .await;
    // (The client follows the redirect to the list with its notice.)
    assert_eq!(res.status(), 200);
    let notice = res.text().await.unwrap();
    assert!(notice.contains("Done for 1 of 3 selected members"), "{notice}");
    assert!(
        notice.contains("equal to or above your own"),
        "the refused ones say why"
    );
    for (id, role) in [
        (c.other_admin, "admin"),
        (c.collaborator, "reader"),
        (c.org.owner_id, "owner"),
    ] {
        let member = app.get(&c.org, &format!("/members/{id}")).await.expect(200);
        assert_eq!(member.body["role"], role);
    }
    let res = app
        .console_post(
            &cookie,
            &list,
            "/o/acme/members/bulk",
            &[("action", "remove"), ("confirmed", "on"), ("ids", &admin)],
        )
        .await;
    assert_eq!(res.status(), 200);
    let member = app
        .get(&c.org, &format!("/members/{}", c.other_admin))
        .await
        .expect(200);
    assert_eq!(member.body["status"], "active", "not removed");
}

#[tokio::test]
async fn the_command_line_never_demotes_or_removes_the_owner() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let owner = org.owner_id.to_string();
    let out = roster_beside(
        &app,
        &[
            "member", "update", "--org", "acme", &owner, "--role", "reader", "--json",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let err = crate::cli::json(&out);
    assert_eq!(err["error"]["code"], "forbidden", "{err}");
    assert!(err["error"]["message"]
        .as_str()
        .unwrap()
        .contains("transferring ownership"));
    let out = roster_beside(&app, &["member", "remove", "--org", "acme", &owner, "--json"]).await;
    assert_eq!(out.status.code(), Some(2));
    let member = app.get(&org, &format!("/members/{owner}")).await.expect(200);
    assert_eq!(
        (member.body["role"].as_str(), member.body["status"].as_str()),
        (Some("owner"), Some("active"))
    );
}

#[tokio::test]
async fn an_import_never_demotes_the_owner_or_an_equal_and_says_why_per_row() {
    let app = spawn_app().await;
    let c = cast(&app).await;
    let file = "firstname,lastname,email,role\n\
                Olga,Owner,owner@acme.example,reader\n\
                Alan,Test,alan@acme.example,reader\n\
                Carl,Mitarbeiter,carl@acme.example,reader\n\
                Ada,Test,ada@acme.example,admin\n";
    let (id, preview) = app
        .upload_and_preview(&c.org, "roles.csv", file.as_bytes().to_vec())
        .await;
    let rows = preview["rows"].as_array().unwrap();
    let verdicts: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["action"].as_str().unwrap(),
                r["errors"][0]["code"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        verdicts,
        vec![("error", "rank"), ("error", "rank"), ("update", ""), ("unchanged", "")]
    );
    assert_eq!(rows[0]["errors"][0]["column"], "role");
    assert!(rows[0]["errors"][0]["message"].as_str().unwrap().contains("ownership"));
    let done = app.apply_import(&c.org, id, json!({})).await;
    assert_eq!(done["summary"]["error"], 2, "{done}");
    let owner = app
        .get(&c.org, &format!("/members/{}", c.org.owner_id))
        .await
        .expect(200);
    assert_eq!(owner.body["role"], "owner");
    let alan = app
        .get(&c.org, &format!("/members/{}", c.other_admin))
        .await
        .expect(200);
    assert_eq!(alan.body["role"], "admin");
    let carl = app
        .get(&c.org, &format!("/members/{}", c.collaborator))
        .await
        .expect(200);
    assert_eq!(carl.body["role"], "reader");
}
