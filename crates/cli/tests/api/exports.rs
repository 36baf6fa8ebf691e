//! Exports end to end: every kind in both formats, the member export
//! importing back unchanged, external members without e-mail and
//! department, rights checked at download, retention and purge with a
//! moved clock, a full disk, a demoted requester, the mail with the link,
//! and the Imports/Exports dashboard. HOSTILE 1 and 11–15.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_with_mail, TestApp, TestOrg};

/// An organization whose members test every rule of the round trip:
/// umlauts, leading zeros, line breaks, formula-like text, a custom field,
/// a seat, a team with a lead and a core member, a custom role.
pub async fn populated(app: &TestApp, slug: &str) -> TestOrg {
    let org = app.create_org(slug).await;
    app.put(&org, "/seats/casual", json!({"purchased": 10}))
        .await
        .expect(200);
    app.post(
        &org,
        "/custom-fields",
        json!({"key": "office", "label": "Office", "kind": "text"}),
    )
    .await
    .expect(201);
    app.post(
        &org,
        "/roles",
        json!({"key": "editor", "name": "Redakteur", "permissions": ["org.read", "members.read"]}),
    )
    .await
    .expect(201);
    let team = app
        .post(&org, "/teams", json!({"name": "Grüne Füchse", "purpose": "=Füchse"}))
        .await
        .expect(201)
        .id();
    let juergen = app
        .post(
            &org,
            "/members",
            json!({
                "first_name": "Jürgen", "last_name": "Müller-Lüdenscheidt", "email": "juergen@acme.example",
                "personal_id": "0815", "comment": "Zeile 1\nZeile 2; \"zitiert\"", "phone": "+49 30 1234",
                "location": "@home", "skills": "=SUM(A1:A2)", "department": "-Vertrieb",
                "seat_type": "casual", "role": "collaborator",
                "custom_fields": {"office": "0042"}
            }),
        )
        .await
        .expect(201)
        .id();
    let zoe = app
        .post(
            &org,
            "/members",
            json!({"first_name": "Zoë", "last_name": "Ørsted", "email": "zoe@acme.example", "personal_id": "007",
                   "role": "custom:editor", "comment": "=1+2"}),
        )
        .await
        .expect(201)
        .id();
    app.post(
        &org,
        &format!("/teams/{team}/members"),
        json!({"member_id": juergen, "team_role": "lead", "core_member": true}),
    )
    .await
    .expect(200);
    app.post(&org, &format!("/teams/{team}/members"), json!({"member_id": zoe}))
        .await
        .expect(200);
    org
}

/// Adds a member of another company.
async fn external(app: &TestApp, org: &TestOrg) -> i64 {
    app.post(
        org,
        "/members",
        json!({"first_name": "Ext", "last_name": "Ern", "email": "secret.person@other.example",
               "department": "Geheimabteilung", "external": true, "personal_id": "X-1"}),
    )
    .await
    .expect(201)
    .id()
}

/// Makes a member a reader, as the owner does.
async fn demote(app: &TestApp, org: &TestOrg, member: i64) {
    let owner = app.system(&org.slug).await;
    let input = roster_service::MemberInput {
        role: Some("reader".into()),
        ..Default::default()
    };
    app.service
        .update_member(app.service.authorize(&owner).await.unwrap(), member, input)
        .await
        .unwrap();
}

fn text_of(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// A workbook's sheet as rows of strings.
pub fn sheet(bytes: &[u8], name: &str) -> Vec<Vec<String>> {
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes.to_vec())).unwrap();
    let range = book.worksheet_range(name).unwrap();
    range
        .rows()
        .map(|row| {
            row.iter()
                .map(|c| match c {
                    Data::Empty => String::new(),
                    Data::String(s) => s.clone(),
                    Data::Float(f) => f.to_string(),
                    Data::Int(i) => i.to_string(),
                    Data::Bool(b) => b.to_string(),
                    Data::DateTime(d) => format!("date:{}", d.as_f64()),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

async fn export(app: &TestApp, org: &TestOrg, request: Value) -> (Value, Vec<u8>) {
    let done = app.export_and_wait(org, request.clone()).await;
    assert_eq!(done["status"], "ready", "{request}: {done}");
    let id = done["id"].as_str().unwrap().to_owned();
    (done, app.export_file(org, &id).await)
}

#[tokio::test]
async fn a_member_export_imports_back_unchanged_in_every_format() {
    let app = spawn_app().await;
    let org = populated(&app, "acme").await;
    for (format, dialect, name) in [
        ("csv", "excel", "m.csv"),
        ("csv", "excel-de", "m.csv"),
        ("csv", "plain", "m.csv"),
        ("xlsx", "excel", "m.xlsx"),
    ] {
        let (_, bytes) = export(
            &app,
            &org,
            json!({"kind": "members", "format": format, "csv_dialect": dialect}),
        )
        .await;
        let (id, preview) = app.upload_and_preview(&org, name, bytes.clone()).await;
        let counts = &preview["totals"];
        assert_eq!(counts["unchanged"], 3, "{format}/{dialect}: {preview}");
        for action in ["create", "update", "error"] {
            assert_eq!(counts[action], 0, "{format}/{dialect} {action}: {preview}");
        }
        let done = app.apply_import(&org, id, json!({})).await;
        assert_eq!(done["summary"]["unchanged"], 3, "{format}/{dialect}: {done}");
        if format == "csv" {
            let text = text_of(&bytes);
            assert_eq!(text.starts_with('\u{feff}'), dialect != "plain", "{dialect}");
            let delimiter = if dialect == "excel-de" { ';' } else { ',' };
            assert!(text.contains(&format!("first_name{delimiter}last_name")), "{text}");
            // Formula-like cells carry a leading quote; the stored values do not.
            assert!(text.contains("'=SUM(A1:A2)") && text.contains("'+49 30 1234") && text.contains("'@home"));
            assert!(text.contains("'-Vertrieb") && text.contains("'=1+2"), "{text}");
            assert!(text.contains("\"Zeile 1\nZeile 2; \"\"zitiert\"\"\""), "{text}");
            assert!(text.contains("Grüne Füchse (lead, core)"), "{text}");
        } else {
            let rows = sheet(&bytes, "Members");
            let header = &rows[0];
            let col = |h: &str| header.iter().position(|c| c == h).unwrap();
            let juergen = rows.iter().find(|r| r[col("first_name")] == "Jürgen").unwrap();
            assert_eq!(juergen[col("personal_id")], "0815", "identifiers stay text");
            assert_eq!(juergen[col("office")], "0042");
            assert_eq!(juergen[col("skills")], "=SUM(A1:A2)", "a string, never a formula");
            assert!(
                juergen[col("created_at")].starts_with("date:"),
                "dates are dates: {juergen:?}"
            );
            assert_eq!(juergen[col("role")], "Collaborator");
        }
    }
    // Nothing changed, and the members are as they were.
    let m = app.get(&org, "/members?q=0815").await.expect(200);
    assert_eq!(m.body["items"][0]["skills"], "=SUM(A1:A2)");
}

#[tokio::test]
async fn external_members_show_no_email_or_department_in_any_export() {
    let app = spawn_app().await;
    let org = populated(&app, "acme").await;
    let ext = external(&app, &org).await;
    let team = app
        .post(&org, "/teams", json!({"name": "Mixed"}))
        .await
        .expect(201)
        .id();
    app.post(&org, &format!("/teams/{team}/members"), json!({"member_id": ext}))
        .await
        .expect(200);
    let secrets = ["secret.person@other.example", "Geheimabteilung"];
    for request in [
        json!({"kind": "members", "format": "csv"}),
        json!({"kind": "team-members", "format": "csv", "team": team}),
        json!({"kind": "members", "format": "xlsx"}),
        json!({"kind": "organization", "format": "xlsx"}),
        json!({"kind": "team-members", "format": "xlsx", "team": team}),
        json!({"kind": "audit", "format": "csv"}),
    ] {
        let (_, bytes) = export(&app, &org, request.clone()).await;
        let all_text: String = if request["format"] == "csv" {
            text_of(&bytes)
        } else {
            let book: Xlsx<_> = Xlsx::new(Cursor::new(bytes.clone())).unwrap();
            let names = book.sheet_names().to_vec();
            names
                .iter()
                .flat_map(|n| sheet(&bytes, n))
                .flatten()
                .collect::<Vec<_>>()
                .join("|")
        };
        let shown = if request["kind"] == "audit" {
            "member.create"
        } else {
            "Ext"
        };
        assert!(all_text.contains(shown), "{request}: the member is there");
        for secret in secrets {
            assert!(!all_text.contains(secret), "{request} shows {secret}");
        }
    }
    // A filter by their e-mail finds nobody: no oracle.
    let (done, bytes) = export(
        &app,
        &org,
        json!({"kind": "members", "format": "csv", "filter": {"q": "secret.person@other"}}),
    )
    .await;
    assert_eq!(done["rows_done"], 0, "{}", text_of(&bytes));
    // A filter by their name does.
    let (done, _) = export(
        &app,
        &org,
        json!({"kind": "members", "format": "csv", "filter": {"q": "Ern"}}),
    )
    .await;
    assert_eq!(done["rows_done"], 1);
}

#[tokio::test]
async fn a_filtered_export_holds_exactly_the_filtered_members() {
    let app = spawn_app().await;
    let org = populated(&app, "acme").await;
    let (done, bytes) = export(
        &app,
        &org,
        json!({"kind": "members", "format": "csv", "csv_dialect": "plain", "filter": {"seat_type": "casual"}}),
    )
    .await;
    assert_eq!(done["rows_done"], 1);
    let text = text_of(&bytes);
    assert!(text.contains("Jürgen") && !text.contains("Zoë"), "{text}");
    // Unknown filter fields are refused, naming the field.
    let res = app
        .post(
            &org,
            "/exports",
            json!({"kind": "members", "filter": {"role_name": "x"}}),
        )
        .await
        .expect(422);
    assert!(res.body.to_string().contains("role_name"), "{}", res.body);
    // A workbook kind as CSV is refused with why.
    let res = app
        .post(&org, "/exports", json!({"kind": "organization", "format": "csv"}))
        .await
        .expect(409);
    assert_eq!(res.error_code(), "workbook_only");
}

#[tokio::test]
async fn every_kind_exports_in_both_formats() {
    let app = spawn_app().await;
    let org = populated(&app, "acme").await;
    let team = app.get(&org, "/teams").await.expect(200).body["items"][0]["id"]
        .as_i64()
        .unwrap();
    app.post(
        &org,
        "/content-items",
        json!({"owner_member_id": org.owner_id, "kind": "survey", "external_ref": "s-1", "title": "Umfrage =1"}),
    )
    .await
    .expect(201);
    app.post(
        &org,
        "/invitations",
        json!({"members": {"ids": [org.owner_id + 1]}, "send": "now"}),
    )
    .await;
    for kind in [
        "members",
        "teams",
        "team-members",
        "invitations",
        "audit",
        "content",
        "statistics",
    ] {
        for format in ["csv", "xlsx"] {
            let mut request = json!({"kind": kind, "format": format});
            if kind == "team-members" {
                request["team"] = json!(team);
            }
            let (done, bytes) = export(&app, &org, request).await;
            assert!(done["rows_done"].as_i64().unwrap() >= 1, "{kind}/{format}: {done}");
            assert!(done["expires_at"].is_string(), "{done}");
            let name = done["file_name"].as_str().unwrap();
            assert!(name.starts_with("acme-") && name.ends_with(format), "{name}");
            if format == "xlsx" {
                assert_eq!(&bytes[..2], b"PK", "{kind}");
            }
        }
    }
    let (_, bytes) = export(&app, &org, json!({"kind": "organization"})).await;
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes.clone())).unwrap();
    assert_eq!(
        book.sheet_names(),
        [
            "Summary",
            "Members",
            "Team assignments",
            "Teams",
            "Roles and permissions",
            "Custom fields",
            "Seats"
        ]
    );
    let summary = sheet(&bytes, "Summary");
    assert!(summary.iter().any(|r| r[0] == "Members" && r[1] == "3"), "{summary:?}");
    let teams = sheet(&bytes, "Teams");
    assert_eq!(teams[1][1], "Grüne Füchse");
    assert_eq!(teams[1][4], "=Füchse", "text, not a formula");
    let assignments = sheet(&bytes, "Team assignments");
    assert_eq!(assignments.len(), 3, "{assignments:?}");
    let roles = sheet(&bytes, "Roles and permissions");
    assert!(roles.iter().any(|r| r[1] == "Redakteur"), "{roles:?}");
    drop(book.worksheet_range("Seats").unwrap());
}

#[tokio::test]
async fn downloads_check_the_downloaders_rights_at_download_time() {
    let app = spawn_app().await;
    let org = populated(&app, "acme").await;
    let other = app.create_org("globex").await;
    let admin = app.member_with_login(&org, "Ada", "ada@acme.example", "admin").await;
    let as_admin = TestOrg {
        token: app.member_token(&org, admin, "admin").await,
        ..org.clone()
    };
    let (done, _) = export(&app, &as_admin, json!({"kind": "members", "format": "csv"})).await;
    let id = done["id"].as_str().unwrap();
    assert_eq!(id.len(), 32, "128 random bits");
    // Another organization, with this id: not found, never forbidden.
    let res = app.download(&other, &format!("/exports/{id}/file")).await;
    assert_eq!(res.status().as_u16(), 404);
    app.get(&other, &format!("/exports/{id}")).await.expect(404);
    // A guessed id.
    let res = app
        .download(&org, "/exports/0123456789abcdef0123456789abcdef/file")
        .await;
    assert_eq!(res.status().as_u16(), 404);
    // Another admin of the organization may download it.
    assert!(!app.export_file(&org, id).await.is_empty());
    // The requester, demoted since: 403 at download.
    demote(&app, &org, admin).await;
    let res = app.download(&as_admin, &format!("/exports/{id}/file")).await;
    assert_eq!(res.status().as_u16(), 403);
}

#[tokio::test]
async fn an_export_is_purged_when_its_retention_ends() {
    let app = spawn_app().await;
    let org = populated(&app, "acme").await;
    let (done, _) = export(&app, &org, json!({"kind": "members", "format": "csv"})).await;
    let id = done["id"].as_str().unwrap();
    let created = time::OffsetDateTime::parse(
        done["finished_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let expires = time::OffsetDateTime::parse(
        done["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!((expires - created).whole_days(), 4, "the default retention");
    let expires_ms = (expires.unix_timestamp_nanos() / 1_000_000) as i64;
    // Just before: nothing is purged and the file downloads.
    assert_eq!(app.service.expire_exports_at(expires_ms - 1).await.unwrap(), 0);
    assert_eq!(
        app.download(&org, &format!("/exports/{id}/file"))
            .await
            .status()
            .as_u16(),
        200
    );
    // At the end of the retention: purged, the file is gone, the link says so.
    assert_eq!(app.service.expire_exports_at(expires_ms).await.unwrap(), 1);
    let res = app.download(&org, &format!("/exports/{id}/file")).await;
    assert_eq!(res.status().as_u16(), 410);
    let now = app.get(&org, &format!("/exports/{id}")).await.expect(200);
    assert_eq!(now.body["status"], "expired");
    let mut conn = app.service.store().conn().await.unwrap();
    assert!(
        roster_store::export_part(&mut conn, id, 0).await.unwrap().is_none(),
        "the file is deleted"
    );
}

#[tokio::test]
async fn a_requester_who_lost_the_right_before_the_job_ran_gets_no_file() {
    let app = spawn_app().await;
    let org = populated(&app, "acme").await;
    let admin = app.member_with_login(&org, "Ada", "ada@acme.example", "admin").await;
    let as_admin = TestOrg {
        token: app.member_token(&org, admin, "admin").await,
        ..org.clone()
    };
    app.stop_worker().await;
    let started = app
        .post(&as_admin, "/exports", json!({"kind": "members", "format": "csv"}))
        .await
        .expect(202);
    let id = started.body["id"].as_str().unwrap().to_owned();
    demote(&app, &org, admin).await;
    let mut worker = roster_service::jobs::Worker::new(app.service.clone());
    roster_service::exports::register_jobs(&mut worker, app.service.clone());
    assert!(worker.run_once().await.unwrap());
    let now = app.get(&org, &format!("/exports/{id}")).await.expect(200);
    assert_eq!(now.body["status"], "failed", "{}", now.body);
    assert!(
        now.body["error"].as_str().unwrap().contains("members.export"),
        "{}",
        now.body
    );
    // A refusal is final: the job is not tried again.
    let org_id = app.system(&org.slug).await.org_id;
    let mut conn = app.service.store().conn().await.unwrap();
    let export = roster_store::export_by_id(&mut conn, org_id, &id)
        .await
        .unwrap()
        .unwrap();
    let job = roster_store::job_by_id(&mut conn, export.job_id.unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (job.status, job.attempts),
        (roster_domain::JobStatus::Failed, 1),
        "{job:?}"
    );
    drop(conn);
    let res = app.download(&org, &format!("/exports/{id}/file")).await;
    assert_eq!(res.status().as_u16(), 409);
}

#[tokio::test]
async fn the_requester_is_mailed_a_link_that_needs_a_sign_in() {
    let app = spawn_with_mail().await;
    let org = populated(&app, "acme").await;
    let admin = app.member_with_login(&org, "Ada", "ada@acme.example", "admin").await;
    let as_admin = TestOrg {
        token: app.member_token(&org, admin, "admin").await,
        ..org.clone()
    };
    let (done, _) = export(&app, &as_admin, json!({"kind": "members", "format": "xlsx"})).await;
    let id = done["id"].as_str().unwrap();
    let sink = app.sink.as_ref().unwrap();
    sink.wait_for(1).await;
    let mail = sink.to("ada@acme.example");
    assert_eq!(mail.len(), 1, "{mail:?}");
    let link = crate::helpers::smtp::link(&mail[0], &format!("{}/o/acme/exports/", app.base));
    assert!(link.ends_with(id), "{link}");
    let path = &link[link.find("/o/").unwrap()..];
    // Without a session: off to sign in.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = client.get(format!("{}{path}/file", app.base)).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 303, "{}", res.status());
    // Signed in: the page offers the file, which downloads.
    let cookie = app.console_sign_in("ada@acme.example").await;
    let html = app.console_html(&cookie, path).await;
    assert!(html.contains("Download acme-members-"), "{html}");
    let res = client
        .get(format!("{}{path}/file", app.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("filename=\"acme-members-"));
}

#[tokio::test]
async fn the_dashboard_lists_imports_and_exports_newest_first_with_filters() {
    let app = spawn_app().await;
    let org = populated(&app, "acme").await;
    let import = app
        .upload(
            &org,
            "people.csv",
            b"firstname,lastname,email\nNeu,Person,neu@acme.example\n".to_vec(),
        )
        .await
        .expect(201)
        .id();
    app.apply_import(&org, import, json!({})).await;
    export(&app, &org, json!({"kind": "teams", "format": "csv"})).await;
    let all = app.get(&org, "/jobs").await.expect(200);
    let items = all.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{}", all.body);
    assert_eq!(items[0]["kind"], "export", "newest first");
    assert_eq!(items[0]["status"], "done");
    assert_eq!(items[1]["kind"], "import");
    assert_eq!(items[1]["file_name"], "people.csv");
    assert!(
        items[1]["result"].as_str().unwrap().contains("1 created"),
        "{}",
        items[1]
    );
    let exports = app.get(&org, "/jobs?kind=export").await.expect(200);
    assert_eq!(exports.body["items"].as_array().unwrap().len(), 1);
    let failed = app.get(&org, "/jobs?status=failed").await.expect(200);
    assert!(failed.body["items"].as_array().unwrap().is_empty());
    app.get(&org, "/jobs?status=nonsense").await.expect(422);
}

/// Many members, through an import.
pub async fn many_members(app: &TestApp, org: &TestOrg, n: usize) {
    let mut csv = String::from("firstname,lastname,email,comment\n");
    for i in 0..n {
        csv.push_str(&format!(
            "Person{i},Nachname{i},p{i}@acme.example,Ein Kommentar mit etwas Text {i}\n"
        ));
    }
    let id = app.upload(org, "many.csv", csv.into_bytes()).await.expect(201).id();
    let done = app.apply_import(org, id, json!({})).await;
    assert_eq!(done["summary"]["created"], n, "{done}");
}

/// A filesystem of 64 KiB: a real full disk (tmpfs needs root here, as CI has).
struct SmallDisk(std::path::PathBuf);

impl SmallDisk {
    fn mount() -> Self {
        let dir = std::env::temp_dir().join(format!("roster-full-{}", rand::random::<u32>()));
        std::fs::create_dir_all(&dir).unwrap();
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
            .arg(&dir)
            .status()
            .expect("run mount");
        assert!(
            status.success(),
            "mounting a 64 KiB tmpfs needs root (CAP_SYS_ADMIN), as on CI"
        );
        Self(dir)
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
        let _ = std::fs::remove_dir(&self.0);
    }
}

/// Runs export jobs with `service` until `id` is finished.
pub async fn run_until_finished(
    service: &roster_service::Service,
    org_id: i64,
    id: &str,
) -> roster_store::ExportRecord {
    let mut worker =
        roster_service::jobs::Worker::new(service.clone()).with_lease(std::time::Duration::from_millis(300));
    roster_service::exports::register_jobs(&mut worker, service.clone());
    for _ in 0..200 {
        worker.run_once().await.unwrap();
        let mut conn = service.store().conn().await.unwrap();
        let record = roster_store::export_by_id(&mut conn, org_id, id)
            .await
            .unwrap()
            .unwrap();
        if ["ready", "failed"].contains(&record.status.as_str()) {
            return record;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("export {id} did not finish");
}

#[tokio::test]
async fn a_full_disk_fails_the_export_and_keeps_no_file() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    many_members(&app, &org, 2_000).await;
    app.stop_worker().await;
    let disk = SmallDisk::mount();
    let actor = app.system("acme").await;
    for format in [
        roster_service::exports::ExportFormat::Csv,
        roster_service::exports::ExportFormat::Xlsx,
    ] {
        // A service of its own per format, writing its exports on the small disk.
        let service = roster_service::Service::new(app.db.store().await).with_export_dir(disk.0.clone());
        let request = roster_service::exports::ExportRequest {
            kind: roster_service::exports::ExportKind::Members,
            format: Some(format),
            ..Default::default()
        };
        let export = service
            .create_export(service.authorize(&actor).await.unwrap(), request)
            .await
            .unwrap();
        let record = run_until_finished(&service, actor.org_id, &export.id).await;
        assert_eq!(
            record.status,
            roster_domain::ExportStatus::Failed,
            "{format:?}: {record:?}"
        );
        let error = record.error.unwrap_or_default();
        assert!(error.contains("No space left on device"), "{format:?}: {error}");
        let mut conn = service.store().conn().await.unwrap();
        assert!(roster_store::export_part(&mut conn, &export.id, 0)
            .await
            .unwrap()
            .is_none());
        assert_eq!(
            std::fs::read_dir(&disk.0).unwrap().count(),
            0,
            "no partial file is left"
        );
        let res = app.download(&org, &format!("/exports/{}/file", export.id)).await;
        assert_eq!(res.status().as_u16(), 409, "never ready");
    }
}
