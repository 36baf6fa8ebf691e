//! Whatever Roster holds, its members export carries and its import takes
//! back as unchanged — members made by every door, not only by the API's
//! form: an organization's first owner named by address only (`roster org
//! create` without the owner's names), SCIM users with only a displayName
//! or one name, a member of another company (exported without address),
//! the demo organization.

use std::io::Cursor;

use calamine::{Reader, Xlsx};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp, TestOrg};

/// Exports the organization's members in each format and imports the file
/// back: every row unchanged, none refused. Returns how many rows.
async fn round_trip(app: &TestApp, org: &TestOrg) -> u64 {
    let mut members = None;
    for (format, dialect, name) in [
        ("csv", "excel", "m.csv"),
        ("csv", "excel-de", "m.csv"),
        ("xlsx", "excel", "m.xlsx"),
    ] {
        let request = json!({"kind": "members", "format": format, "csv_dialect": dialect});
        let done = app.export_and_wait(org, request).await;
        assert_eq!(done["status"], "ready", "{done}");
        let bytes = app.export_file(org, done["id"].as_str().unwrap()).await;
        let (id, preview) = app.upload_and_preview(org, name, bytes).await;
        let totals = &preview["totals"];
        let rows = totals["rows"].as_u64().unwrap();
        assert_eq!(*members.get_or_insert(rows), rows, "the same rows in every format");
        assert_eq!(totals["unchanged"], rows, "{format}/{dialect}: {preview}");
        for action in ["create", "update", "error"] {
            assert_eq!(totals[action], 0, "{format}/{dialect} {action}: {preview}");
        }
        let applied = app.apply_import(org, id, json!({})).await;
        assert_eq!(applied["summary"]["unchanged"], rows, "{applied}");
    }
    members.unwrap()
}

#[tokio::test]
async fn members_made_by_every_door_import_back_unchanged() {
    let app = spawn_app().await;
    // As a new user makes an organization: the owner's address, no names.
    let out = crate::cli::roster_env(
        &app.db.url,
        &[
            "org",
            "create",
            "--name",
            "Acme",
            "--slug",
            "acme",
            "--owner-email",
            "owner@acme.test",
        ],
        &[],
        &[],
    )
    .await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let org = TestOrg {
        slug: "acme".into(),
        token: app.token("acme", "admin").await,
        owner_id: 0,
    };
    let owner = &app.get(&org, "/members?role=owner").await.expect(200).body["items"][0];
    assert_eq!(owner["last_name"], "", "{owner}");

    app.add_member(&org, "Jürgen", "Müller", "juergen@acme.test").await;
    let scim = app.scim_token(&org).await;
    for user in [
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "kim@acme.test",
               "displayName": "Kim", "emails": [{"value": "kim@acme.test", "primary": true}]}),
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "cher@acme.test",
               "name": {"givenName": "Cher"}, "emails": [{"value": "cher@acme.test", "primary": true}]}),
    ] {
        app.scim_post("/Users", &scim, user).await.expect(201);
    }
    // A member of another company: exported without address, found again
    // by the personal id.
    app.post(
        &org,
        "/members",
        json!({"first_name": "Ext", "last_name": "Ern", "email": "secret.person@other.example",
               "external": true, "personal_id": "X-1"}),
    )
    .await
    .expect(201);
    assert_eq!(round_trip(&app, &org).await, 5);

    // One given no personal id has their address as it, by default: no
    // export shows it there either (a reference to the member stands in),
    // and a filter by it does not find them.
    app.post(
        &org,
        "/members",
        json!({"first_name": "Pri", "last_name": "Vate", "email": "private.person@other.example", "external": true}),
    )
    .await
    .expect(201);
    for format in ["csv", "xlsx"] {
        let request = json!({"kind": "members", "format": format, "filter": {"q": "private.person"}});
        let done = app.export_and_wait(&org, request).await;
        assert_eq!(done["rows_done"], 0, "{done}");
        let done = app
            .export_and_wait(&org, json!({"kind": "members", "format": format}))
            .await;
        let bytes = app.export_file(&org, done["id"].as_str().unwrap()).await;
        let text = if format == "csv" {
            String::from_utf8(bytes).unwrap()
        } else {
            let book: Xlsx<_> = Xlsx::new(Cursor::new(bytes.clone())).unwrap();
            let names = book.sheet_names().to_vec();
            names
                .iter()
                .flat_map(|n| crate::exports::sheet(&bytes, n))
                .flatten()
                .collect::<Vec<_>>()
                .join("|")
        };
        assert!(
            text.contains("Pri") && !text.contains("private.person"),
            "{format}: {text}"
        );
    }

    // A file with one name column: Cher, held with one name, is unchanged;
    // a new member with one word is refused as one word.
    let csv = "Name,E-Mail\nCher,cher@acme.test\nMadonna,madonna@acme.test\n";
    let (_, preview) = app.upload_and_preview(&org, "names.csv", csv.as_bytes().to_vec()).await;
    let rows = preview["rows"].as_array().unwrap();
    assert_eq!(rows[0]["action"], "unchanged", "{preview}");
    assert_eq!(rows[1]["action"], "error", "{preview}");
    assert_eq!(rows[1]["errors"][0]["code"], "unsplittable_name", "{preview}");
    assert_eq!(rows[1]["errors"][0]["column"], "Name", "{preview}");

    // A file that would take a name away, or make a member without one, is
    // still refused, with the column and the field.
    let csv =
        "first_name,last_name,email,personal_id\nJürgen,,juergen@acme.test,\nNew,,new@acme.test,\nNo,Address,,X-9\n";
    let (_, preview) = app.upload_and_preview(&org, "bad.csv", csv.as_bytes().to_vec()).await;
    let errors: Vec<&Value> = preview["rows"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["errors"].as_array().unwrap())
        .collect();
    let got: Vec<(&str, &str)> = errors
        .iter()
        .map(|e| (e["field"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        got,
        [
            ("last_name", "required"),
            ("last_name", "required"),
            ("email", "required")
        ],
        "{preview}"
    );
}

#[tokio::test]
async fn the_demo_organization_imports_back_unchanged() {
    let app = spawn_app().await;
    let summary = app
        .service
        .seed_demo("a long enough password")
        .await
        .unwrap()
        .expect("the demo is made");
    assert!(summary.members > 10);
    let org = TestOrg {
        slug: "demo".into(),
        token: app.token("demo", "admin").await,
        owner_id: 0,
    };
    // (Removed members are not in a members export.)
    let rows = round_trip(&app, &org).await;
    assert!(
        rows > 100 && rows <= summary.members as u64,
        "{rows} of {}",
        summary.members
    );
}
