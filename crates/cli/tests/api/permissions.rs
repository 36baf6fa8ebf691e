//! The role matrix: every endpoint, called by a token of every role. A role
//! that lacks the endpoint's permission gets 403 `missing_permission` (and an
//! audit row); a role that holds it never does.

use reqwest::Method;
use roster_domain::{BuiltinRole, Permission, PermissionSet};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp, TestOrg};

/// The ids an endpoint's path and body refer to.
pub struct Fixtures {
    pub member: i64,
    pub team: i64,
    pub token: i64,
}

pub async fn fixtures(app: &TestApp, org: &TestOrg) -> Fixtures {
    let member = app
        .add_member(org, "Fix", "Ture", &format!("fixture@{}.example", org.slug))
        .await;
    let team = app
        .post(org, "/teams", json!({"name": "Fixture", "is_division": true}))
        .await
        .expect(201)
        .id();
    app.post(
        org,
        "/custom-fields",
        json!({"key": "office", "label": "Office", "kind": "text"}),
    )
    .await
    .expect(201);
    app.post(
        org,
        "/roles",
        json!({"key": "auditor", "name": "Auditor", "permissions": ["org.read", "members.read", "audit.read"]}),
    )
    .await
    .expect(201);
    let token = app
        .post(org, "/tokens", json!({"name": "spare", "role": "reader"}))
        .await
        .expect(201)
        .id();
    Fixtures { member, team, token }
}

/// The concrete path of an endpoint for `slug` and the given ids.
pub fn concrete_path(path: &str, slug: &str, f: &Fixtures) -> String {
    let id = if path.contains("/teams/{id}") {
        f.team
    } else if path.contains("/tokens/{id}") {
        f.token
    } else {
        f.member
    };
    let key = if path.contains("/roles/") {
        "custom:auditor"
    } else {
        "office"
    };
    path.replace("{slug}", slug)
        .replace("{id}", &id.to_string())
        .replace("{member_id}", &f.member.to_string())
        .replace("{key}", key)
        .replace("{seat_type}", "power")
}

/// A valid body for each request schema.
pub fn example_body(schema: &str, f: &Fixtures, n: usize) -> Value {
    match schema {
        "MemberInput" | "NewMember" => {
            json!({"first_name": "Mat", "last_name": "Rix", "email": format!("matrix{n}@x.de")})
        }
        "BulkRequest" => json!({"member_ids": [f.member], "change": {"action": "set_role", "role": "reader"}}),
        "OrgSettingsPatch" => json!({"description": "matrix"}),
        "SeatInput" => json!({"purchased": 50}),
        "OwnershipInput" | "TeamMemberInput" | "DivisionAdminInput" => json!({"member_id": f.member}),
        "TeamInput" => json!({"name": format!("Matrix {n}")}),
        "NewCustomRole" => json!({"key": format!("r{n}"), "name": "R", "permissions": ["org.read"]}),
        "NewCustomField" => json!({"key": format!("f{n}"), "label": "F", "kind": "text"}),
        "NewToken" => json!({"name": "t", "role": "reader"}),
        "NewContentItem" => {
            json!({"owner_member_id": f.member, "kind": "k", "external_ref": format!("ref{n}"), "title": "T"})
        }
        "ImportFile" => json!("firstname,lastname,email"),
        "MappingInput" => json!({"columns": []}),
        "ImportOptions" => json!({}),
        "SavedMappingName" => json!({"name": format!("m{n}")}),
        "SheetInput" => json!({"sheet": "Mitglieder"}),
        "InvitationRequest" => json!({"members": {"ids": [f.member]}, "send": "later"}),
        "MembersOnly" => json!({"members": {"ids": [f.member]}}),
        "ReassignSeat" => json!({"to_member_id": f.member}),
        "ExportRequest" => json!({"kind": "members", "format": "csv"}),
        "GroupRoleGrant" => json!({"role": "reader"}),
        other => panic!("no example body for {other}; add one"),
    }
}

pub fn method(name: &str) -> Method {
    Method::from_bytes(name.to_uppercase().as_bytes()).unwrap()
}

/// None: no token can ever do it (owner-only or member-only actions).
fn required(permission: &str) -> Option<Vec<Permission>> {
    if permission == "owner" || permission == "member" {
        return None;
    }
    Some(permission.split(" + ").map(|p| Permission::parse(p).unwrap()).collect())
}

#[tokio::test]
async fn every_endpoint_refuses_exactly_the_roles_that_lack_its_permission() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let f = fixtures(&app, &org).await;
    let auditor = PermissionSet::parse_csv("org.read,members.read,audit.read").unwrap();
    let roles = [
        ("reader", BuiltinRole::Reader.permissions()),
        ("collaborator", BuiltinRole::Collaborator.permissions()),
        ("custom:auditor", auditor),
        ("division_admin", BuiltinRole::DivisionAdmin.permissions()),
        ("admin", BuiltinRole::Admin.permissions()),
    ];
    let mut n = 0;
    let mut expected_refusals = 0;
    for (role, held) in roles {
        let token = app.token("acme", role).await;
        for endpoint in roster_http::endpoints() {
            n += 1;
            let path = concrete_path(endpoint.path, "acme", &f);
            let body = endpoint.request.as_deref().map(|schema| example_body(schema, &f, n));
            let res = app.call(method(endpoint.method), &path, &token, body).await;
            let label = format!("{role} {} {}", endpoint.method, endpoint.path);
            assert_ne!(res.status.as_u16(), 401, "{label}: {}", res.body);
            match required(endpoint.permission) {
                None => assert_eq!(res.status.as_u16(), 403, "{label}: {}", res.body),
                Some(needed) if needed.iter().all(|p| held.contains(*p)) => {
                    assert_ne!(res.error_code(), "missing_permission", "{label}: {}", res.body);
                    assert!(res.status.as_u16() < 500, "{label}: {}", res.body);
                }
                Some(_) => {
                    assert_eq!(res.status.as_u16(), 403, "{label}: {}", res.body);
                    assert_eq!(res.error_code(), "missing_permission", "{label}");
                    expected_refusals += 1;
                }
            }
        }
    }
    app.service.flush_deferred_writes().await;
    let refused = app
        .get(&org, "/audit?action=access.refused&limit=500")
        .await
        .expect(200);
    let rows = refused.body["items"].as_array().unwrap();
    assert!(
        rows.len() >= expected_refusals,
        "{} audit rows for {expected_refusals} refusals",
        rows.len()
    );
    assert!(rows
        .iter()
        .all(|r| r["outcome"] == "refused" && r["actor"].as_str().unwrap().starts_with("token:")));
}

#[tokio::test]
async fn nobody_grants_a_role_above_their_own() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let member = app.add_member(&org, "M", "M", "m@x.de").await;
    // The owner role only moves by transfer, even for an admin.
    let res = app
        .patch(&org, &format!("/members/{member}"), json!({"role": "owner"}))
        .await
        .expect(403);
    assert_eq!(res.error_code(), "forbidden");
    app.post(&org, "/tokens", json!({"name": "x", "role": "owner"}))
        .await
        .expect(403);
    // A custom role with every permission, held by a token, still cannot make owners.
    app.post(&org, "/roles", json!({"key": "almost", "name": "Almost", "permissions": ["org.read", "members.manage", "roles.manage", "members.read", "tokens.manage"]})).await.expect(201);
    let limited = TestOrg {
        token: app.token("acme", "custom:almost").await,
        ..org.clone()
    };
    let res = app
        .patch(&limited, &format!("/members/{member}"), json!({"role": "admin"}))
        .await
        .expect(403);
    assert_eq!(
        res.error_code(),
        "forbidden",
        "admin holds permissions the custom role lacks"
    );
    app.post(&limited, "/tokens", json!({"name": "x", "role": "admin"}))
        .await
        .expect(403);
    app.post(
        &limited,
        "/roles",
        json!({"key": "wider", "name": "W", "permissions": ["audit.read"]}),
    )
    .await
    .expect(403);
    app.patch(
        &limited,
        &format!("/members/{member}"),
        json!({"role": "custom:almost"}),
    )
    .await
    .expect(200);
}

#[tokio::test]
async fn a_revoked_or_unknown_token_is_401_and_a_token_in_the_query_string_is_refused() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    let f = fixtures(&app, &org).await;
    let spare = app.token("acme", "reader").await;
    app.call(Method::GET, "/api/v1/orgs/acme", &spare, None)
        .await
        .expect(200);
    let tokens = app.get(&org, "/tokens").await.expect(200);
    let spare_id = tokens.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["role"] == "reader")
        .map(|t| t["id"].as_i64().unwrap())
        .max()
        .unwrap();
    assert_ne!(spare_id, f.token);
    app.delete(&org, &format!("/tokens/{spare_id}")).await.expect(204);
    app.call(Method::GET, "/api/v1/orgs/acme", &spare, None)
        .await
        .expect(401);
    app.call(Method::GET, "/api/v1/orgs/acme", "rst_nonsense", None)
        .await
        .expect(401);
    let res = app
        .client
        .get(format!("{}/api/v1/orgs/acme?access_token={}", app.base, org.token))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
    let listed = app.get(&org, "/tokens").await.expect(200);
    assert!(!listed.body.to_string().contains("rst_"), "secrets are never listed");
}

#[tokio::test]
async fn deleting_a_custom_role_in_use_is_refused() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    app.post(
        &org,
        "/roles",
        json!({"key": "hr", "name": "HR", "permissions": ["members.read"]}),
    )
    .await
    .expect(201);
    let m = app.add_member(&org, "M", "M", "m@x.de").await;
    app.patch(&org, &format!("/members/{m}"), json!({"role": "custom:hr"}))
        .await
        .expect(200);
    assert_eq!(
        app.delete(&org, "/roles/custom:hr").await.expect(409).error_code(),
        "role_in_use"
    );
    app.patch(&org, &format!("/members/{m}"), json!({"role": "reader"}))
        .await
        .expect(200);
    app.delete(&org, "/roles/custom:hr").await.expect(204);
    app.patch(&org, &format!("/members/{m}"), json!({"role": "custom:hr"}))
        .await
        .expect(409);
}
