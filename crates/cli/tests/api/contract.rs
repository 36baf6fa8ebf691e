//! Every operation of the API's document, called for real and answered as
//! documented (the suite's `call` holds every answer to the document; this
//! test makes sure no operation is left out, and that each can succeed).

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::helpers::contract;
use crate::helpers::{spawn_app, TestApp, TestOrg};
use crate::permissions::{concrete_path, example_body, fixtures, method, Fixtures};

/// Operations that a test token cannot make succeed: the owner's and a
/// member's own acts, and those that need an applied import or a workbook.
const NO_SUCCESS_HERE: &[&str] = &["post /ownership", "post /leave", "put /imports/{id}/sheet"];

/// The concrete request path of an endpoint, in fresh fixtures (an import's
/// paths name the fixture import).
fn concrete(path: &str, org: &TestOrg, f: &Fixtures, import: i64) -> String {
    let path = if path.contains("/imports/{id}") {
        path.replace("{id}", &import.to_string())
    } else {
        path.to_owned()
    };
    concrete_path(&path, &org.slug, f)
}

/// A body that fits the fixtures (the import's own mapping, a team member).
async fn body_for(app: &TestApp, org: &TestOrg, schema: &str, f: &Fixtures, import: i64, n: usize) -> Value {
    match schema {
        "MappingInput" => {
            let current = app.get(org, &format!("/imports/{import}")).await.expect(200);
            json!({"columns": current.body["mapping"]["columns"]})
        }
        "SheetInput" => json!({"sheet": "Sheet1"}),
        _ => example_body(schema, f, n),
    }
}

#[tokio::test]
async fn every_operation_answers_as_documented_and_can_succeed() {
    let app = spawn_app().await;
    let mut called = BTreeSet::new();
    let mut failed_to_succeed = Vec::new();
    for (n, endpoint) in roster_http::endpoints().into_iter().enumerate() {
        // Fresh fixtures for each: deleting one must not starve the next.
        let org = app.create_org(&format!("c{n}")).await;
        let f = fixtures(&app, &org).await;
        let csv = format!("firstname,lastname,email\nAda,Lovelace,ada{n}@x.de\n");
        let import = app.upload(&org, "c.csv", csv.into_bytes()).await.expect(201).id();
        // What the operation acts on, where the fixtures do not hold it yet.
        let member = json!({"member_id": f.member});
        if endpoint.path.ends_with("/undo") {
            app.apply_import(&org, import, json!({})).await;
        } else if endpoint.path.ends_with("/imports/{id}/cancel") {
            // An import being applied, as its job leaves it between two chunks.
            let mut conn = app.service.store().conn().await.unwrap();
            roster_store::sqlx::query("UPDATE imports SET status = 'applying' WHERE id = $1")
                .bind(import)
                .execute(conn.raw())
                .await
                .unwrap();
        } else if endpoint.path.ends_with("/members/{member_id}") {
            app.post(&org, &format!("/teams/{}/members", f.team), member)
                .await
                .expect(200);
        } else if endpoint.path.ends_with("/admins/{member_id}") {
            app.post(&org, &format!("/teams/{}/admins", f.team), member)
                .await
                .expect(204);
        } else if endpoint.path.ends_with("/mapping/use") {
            let name = json!({"name": format!("m{n}")});
            app.post(&org, &format!("/imports/{import}/mapping/save"), name)
                .await
                .expect(200);
        }
        let mut path = concrete(endpoint.path, &org, &f, import);
        // Only a directory group (made over SCIM) grants its members a role.
        if endpoint.path.ends_with("/role-grant") {
            let scim = app.scim_token(&org).await;
            let group = app
                .scim_post("/Groups", &scim, json!({"displayName": format!("Group {n}")}))
                .await
                .expect(201)
                .id();
            path = path.replace(&format!("/teams/{}/", f.team), &format!("/teams/{}/", &group[1..]));
        }
        // Invitations, messages and seat reassignments need their state first.
        let mut reassign_to = None;
        if endpoint.path.ends_with("/invitations/revoke") || endpoint.path.contains("/messages/{id}") {
            let sent = app
                .post(&org, "/invitations", json!({"members": {"ids": [f.member]}}))
                .await
                .expect(200);
            let message = sent.body["first_message_id"].as_i64().unwrap();
            path = path.replace(&format!("/messages/{}", f.member), &format!("/messages/{message}"));
        } else if endpoint.path.contains("/reassign") {
            app.put(&org, "/seats/power", json!({"purchased": 10}))
                .await
                .expect(200);
            app.patch(&org, &format!("/members/{}", f.member), json!({"seat_type": "power"}))
                .await
                .expect(200);
            app.force_status(f.member, "active").await;
            let to = app.add_member(&org, "Re", "Assign", &format!("reassign{n}@x.de")).await;
            if endpoint.path.ends_with("/cancel") {
                app.post(
                    &org,
                    &format!("/members/{}/reassign", f.member),
                    json!({"to_member_id": to}),
                )
                .await
                .expect(202);
            }
            reassign_to = Some(to);
        }
        if endpoint.path.contains("/exports/{id}") {
            let export = app
                .export_and_wait(&org, json!({"kind": "members", "format": "csv"}))
                .await;
            let id = export["id"].as_str().unwrap();
            path = path.replace(&format!("/exports/{}", f.member), &format!("/exports/{id}"));
        }
        let label = format!("{} {}", endpoint.method, roster_http::document_path(endpoint.path));
        let res = match endpoint.request.as_deref() {
            Some("ImportFile") => {
                app.upload(&org, "x.csv", b"firstname,lastname,email\nB,C,b@x.de\n".to_vec())
                    .await
            }
            Some("ReassignSeat") => {
                let body = json!({"to_member_id": reassign_to.unwrap()});
                app.call(method(endpoint.method), &path, &org.token, Some(body)).await
            }
            Some(schema) => {
                let body = body_for(&app, &org, schema, &f, import, n).await;
                app.call(method(endpoint.method), &path, &org.token, Some(body)).await
            }
            None if path.ends_with(".csv") || path.ends_with(".xlsx") || path.ends_with("/file") => {
                let res = app
                    .download(&org, path.trim_start_matches(&format!("/api/v1/orgs/{}", org.slug)))
                    .await;
                crate::helpers::Response {
                    status: res.status(),
                    body: Value::Null,
                }
            }
            None => app.call(method(endpoint.method), &path, &org.token, None).await,
        };
        called.insert(label.clone());
        if !res.status.is_success() && !NO_SUCCESS_HERE.contains(&label.as_str()) {
            failed_to_succeed.push(format!("{label}: {} {}", res.status, res.body));
        }
    }
    let missing: Vec<String> = contract::operations().difference(&called).cloned().collect();
    assert!(missing.is_empty(), "operations not called: {missing:?}");
    assert!(
        failed_to_succeed.is_empty(),
        "operations that did not succeed:\n{}",
        failed_to_succeed.join("\n")
    );
}
