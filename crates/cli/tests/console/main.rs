//! Browser tests of the console: the real application, real headless
//! Chromium over WebDriver, on SQLite or PostgreSQL like the API suite.
//! They save screenshots of the main pages to `docs/screenshots/`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod exports;
#[path = "../common/mod.rs"]
mod helpers;
mod name_order;
mod scim;
mod sso;
mod webdriver;

use serde_json::json;

use helpers::smtp::link;
use helpers::{spawn_app, spawn_with_mail, TestApp, TestOrg, PASSWORD};
use webdriver::Browser;

/// The sign-in page's two steps: the address, then (for an address that
/// does not sign in through an identity provider) the password.
pub(crate) async fn log_in_with(browser: &Browser, email: &str, password: &str) {
    browser.fill("#email", email).await;
    browser.click("button[type=submit]").await;
    browser.wait_for_text("Signing in as").await;
    browser.fill("#password", password).await;
    browser.click("button[type=submit]").await;
}

pub(crate) async fn sign_in(app: &TestApp, browser: &Browser, email: &str) {
    browser.goto(&format!("{}/", app.base)).await;
    assert!(browser.url().await.ends_with("/login"), "a stranger is sent to sign-in");
    log_in_with(browser, email, PASSWORD).await;
    // Wait for the signed-in page, so the next navigation does not race the redirect.
    browser.wait_for_text("Sign out").await;
}

/// Signs the owner of `acme` in and uploads `file` through the import page.
async fn upload_as_the_owner(app: &TestApp, browser: &Browser, file: &std::path::Path) {
    sign_in(app, browser, "owner@acme.example").await;
    browser.goto(&format!("{}/o/acme/imports", app.base)).await;
    browser.type_text("#file", file.to_str().unwrap()).await;
    browser.click("form[data-drop] button[type=submit]").await;
}

pub(crate) async fn demo_org(app: &TestApp) -> TestOrg {
    let org = app.create_org("acme").await;
    for (first, last, email) in [
        ("Jürgen", "Müller", "juergen@acme.example"),
        ("Anna", "Schröder", "anna@acme.example"),
        ("Daan", "de Vries", "daan@acme.example"),
        ("Hélène", "Lefèvre", "helene@acme.example"),
    ] {
        app.add_member(&org, first, last, email).await;
    }
    org
}

#[tokio::test]
async fn first_setup_creates_the_organization_and_signs_the_owner_in() {
    let app = spawn_app().await;
    let token = app
        .service
        .setup_token_if_empty()
        .await
        .unwrap()
        .expect("an empty database offers setup");
    let browser = Browser::start().await;
    browser.goto(&format!("{}/setup?token={token}", app.base)).await;
    browser.assert_accessible("setup").await;
    browser.fill("#name", "Bäckerei Schmidt GmbH").await;
    browser.fill("#slug", "baeckerei").await;
    browser.fill("#first_name", "Greta").await;
    browser.fill("#last_name", "Schmidt").await;
    browser.fill("#email", "greta@baeckerei.example").await;
    browser.fill("#password", PASSWORD).await;
    browser.click("button[type=submit]").await;
    browser.wait_for_text("Members over the last 90 days").await;
    assert!(browser.url().await.ends_with("/o/baeckerei"));
    assert!(browser.text("h1").await.contains("Bäckerei Schmidt GmbH"));
    // The link works once.
    browser.goto(&format!("{}/setup?token={token}", app.base)).await;
    browser.fill("#name", "Second").await;
    browser.fill("#slug", "second").await;
    browser.fill("#email", "x@second.example").await;
    browser.fill("#password", PASSWORD).await;
    browser.click("button[type=submit]").await;
    browser.wait_for_text("no longer valid").await;
}

#[tokio::test]
async fn an_admin_signs_in_adds_a_member_and_finds_them_by_search() {
    let app = spawn_app().await;
    let org = demo_org(&app).await;
    let browser = Browser::start().await;
    // A wrong password says so, without telling which part was wrong.
    browser.goto(&format!("{}/login", app.base)).await;
    log_in_with(&browser, "owner@acme.example", "wrong password!").await;
    browser.wait_for_text("The e-mail or the password is not right").await;
    browser.screenshot("sign-in").await;
    sign_in(&app, &browser, "owner@acme.example").await;
    browser.wait_for_text("Members over the last 90 days").await;
    browser.screenshot("home").await;

    browser.goto(&format!("{}/o/acme/members/new", app.base)).await;
    browser.fill("#first_name", "Zoë").await;
    browser.fill("#last_name", "Ørsted-Weiß").await;
    browser.fill("#email", "not-an-email").await;
    browser
        .execute("document.querySelector('#email').type = 'text'", json!([]))
        .await;
    browser.click("button[type=submit]").await;
    browser.wait_for_text("the @ is missing").await;
    assert_eq!(
        browser
            .execute(
                "return document.querySelector('#email').getAttribute('aria-invalid')",
                json!([])
            )
            .await,
        "true"
    );
    browser.fill("#email", "zoe@acme.example").await;
    browser.click("button[type=submit]").await;
    browser.wait_for_text("Profile as entered by the admin").await;
    assert!(browser.text("h1").await.contains("Zoë Ørsted-Weiß"));
    browser.screenshot("member").await;

    browser.goto(&format!("{}/o/acme/members", app.base)).await;
    browser.type_text("#q", "ørst").await;
    // Search as you type: the rows change without submitting the form.
    for _ in 0..100 {
        let rows = browser
            .execute(
                "return document.querySelectorAll('#results tbody tr').length",
                json!([]),
            )
            .await;
        if rows == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let text = browser.text("#results").await;
    assert!(text.contains("Ørsted-Weiß"), "{text}");
    assert!(!text.contains("Müller"), "{text}");
    let page = app.get(&org, "/members?q=%C3%B8rst").await.expect(200);
    assert_eq!(page.body["items"].as_array().unwrap().len(), 1);
    browser.goto(&format!("{}/o/acme/members", app.base)).await;
    browser.screenshot("members").await;
    // At 200% zoom a 1280 px window lays the page out in 640 px: nothing may
    // need sideways scrolling except the member table itself.
    browser.resize(640, 1000).await;
    browser.goto(&format!("{}/o/acme/members", app.base)).await;
    let overflow = browser
        .execute(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth",
            json!([]),
        )
        .await;
    browser.screenshot("members-zoom-200").await;
    assert!(
        overflow.as_i64().unwrap_or(0) <= 0,
        "the page scrolls sideways by {overflow} px at 200% zoom"
    );
}

#[tokio::test]
async fn an_admin_changes_the_role_of_several_selected_members_at_once() {
    let app = spawn_app().await;
    let org = demo_org(&app).await;
    let browser = Browser::start().await;
    sign_in(&app, &browser, "owner@acme.example").await;
    browser
        .goto(&format!("{}/o/acme/members?q=acme.example&sort=email", app.base))
        .await;
    let ids = app.get(&org, "/members?role=reader&sort=email").await.expect(200).body["items"].clone();
    let chosen: Vec<i64> = ids
        .as_array()
        .unwrap()
        .iter()
        .take(2)
        .map(|m| m["id"].as_i64().unwrap())
        .collect();
    for id in &chosen {
        browser.click(&format!("#sel-{id}")).await;
    }
    browser.select("#action", "role").await;
    browser.select("#bulk-role", "collaborator").await;
    browser.click("fieldset.actions button").await;
    browser.wait_for_text("Done for 2 of 2 selected members").await;
    for id in &chosen {
        let m = app.get(&org, &format!("/members/{id}")).await.expect(200);
        assert_eq!(m.body["role"], "collaborator");
    }
    let readers = app.get(&org, "/members?role=reader").await.expect(200);
    assert_eq!(
        readers.body["items"].as_array().unwrap().len(),
        2,
        "the others are unchanged"
    );
}

#[tokio::test]
async fn removing_a_member_after_confirmation_hands_their_content_over() {
    let app = spawn_app().await;
    let org = demo_org(&app).await;
    let leaver = app.get(&org, "/members?q=juergen").await.expect(200).body["items"][0]["id"]
        .as_i64()
        .unwrap();
    let heir = app.get(&org, "/members?q=anna@").await.expect(200).body["items"][0]["id"]
        .as_i64()
        .unwrap();
    app.post(
        &org,
        "/content-items",
        json!({"owner_member_id": leaver, "kind": "survey", "external_ref": "s1", "title": "Mitarbeiterumfrage"}),
    )
    .await
    .expect(201);
    let browser = Browser::start().await;
    sign_in(&app, &browser, "owner@acme.example").await;
    browser.goto(&format!("{}/o/acme/members/{leaver}", app.base)).await;
    browser.click("a.button.danger").await;
    browser.wait_for_text("They own 1 content items").await;
    browser.fill("#receiver", "anna@acme.example").await;
    browser.screenshot("remove-member").await;
    browser.click("button.danger").await;
    browser.wait_for_text("The member was removed").await;
    let heir_detail = app.get(&org, &format!("/members/{heir}")).await.expect(200);
    assert_eq!(heir_detail.body["content_items"][0]["title"], "Mitarbeiterumfrage");
    assert_eq!(
        app.get(&org, &format!("/members/{leaver}")).await.expect(200).body["status"],
        "removed"
    );
}

#[tokio::test]
async fn a_form_post_without_its_csrf_token_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let org = demo_org(&app).await;
    let browser = Browser::start().await;
    sign_in(&app, &browser, "owner@acme.example").await;
    browser.goto(&format!("{}/o/acme/members/new", app.base)).await;
    browser.fill("#first_name", "Eve").await;
    browser.fill("#last_name", "Forger").await;
    browser.fill("#email", "eve@acme.example").await;
    browser
        .execute(
            "document.querySelector('form.form input[name=csrf]').remove()",
            json!([]),
        )
        .await;
    browser.click("button[type=submit]").await;
    browser.wait_for_text("Request refused").await;
    let found = app.get(&org, "/members?q=eve@").await.expect(200);
    assert!(found.body["items"].as_array().unwrap().is_empty());
    // A cross-site post is refused even with a token (Sec-Fetch-Site).
    let res = app
        .client
        .post(format!("{}/login", app.base))
        .header("sec-fetch-site", "cross-site")
        .form(&[("email", "owner@acme.example"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
}

#[tokio::test]
async fn a_reader_cannot_reach_admin_pages() {
    let app = spawn_app().await;
    let org = demo_org(&app).await;
    app.member_with_login(&org, "Rita", "rita@acme.example", "reader").await;
    let browser = Browser::start().await;
    sign_in(&app, &browser, "rita@acme.example").await;
    browser.wait_for_text("My profile").await;
    let nav = browser.text("header nav").await;
    assert!(
        !nav.contains("Settings") && !nav.contains("Members") && !nav.contains("Audit"),
        "{nav}"
    );
    for page in ["settings", "members", "members/new", "audit"] {
        browser.goto(&format!("{}/o/acme/{page}", app.base)).await;
        browser.wait_for_text("Not allowed").await;
    }
    browser.assert_accessible("not allowed").await;
    browser.goto(&format!("{}/o/acme/profile", app.base)).await;
    browser.wait_for_text("Leave acme GmbH").await;
    // Another organization's pages do not exist for her.
    app.create_org("other").await;
    browser.goto(&format!("{}/o/other", app.base)).await;
    browser.wait_for_text("Not found").await;
    browser.assert_accessible("not found").await;
}

#[tokio::test]
async fn teams_settings_and_audit_pages_show_what_the_admin_manages() {
    let app = spawn_app().await;
    let org = demo_org(&app).await;
    let sales = app
        .post(
            &org,
            "/teams",
            json!({"name": "Vertrieb", "is_division": true, "purpose": "Kunden gewinnen"}),
        )
        .await
        .expect(201)
        .id();
    app.post(&org, "/teams", json!({"name": "Vertrieb DACH", "parent_id": sales}))
        .await
        .expect(201);
    let browser = Browser::start().await;
    sign_in(&app, &browser, "owner@acme.example").await;
    browser.goto(&format!("{}/o/acme/teams", app.base)).await;
    browser.wait_for_text("Vertrieb DACH").await;
    browser.screenshot("teams").await;
    browser.goto(&format!("{}/o/acme/teams/{sales}", app.base)).await;
    browser.fill("#add-email", "anna@acme.example").await;
    browser.select("#team_role", "lead").await;
    browser.click("form.inline-form button").await;
    browser.wait_for_text("Schröder, Anna").await;

    browser.goto(&format!("{}/o/acme/settings", app.base)).await;
    browser.fill("#description", &"ü".repeat(20)).await;
    browser.wait_for_text("20 of 250 characters").await;
    browser.click("form.form button[type=submit]").await;
    browser.wait_for_text("Saved.").await;
    browser.screenshot("settings").await;
    assert_eq!(app.get(&org, "").await.expect(200).body["description"], "ü".repeat(20));

    browser
        .goto(&format!("{}/o/acme/audit?action=org.update", app.base))
        .await;
    browser.wait_for_text("org.update").await;
    browser.screenshot("audit").await;
}

#[tokio::test]
async fn signing_out_and_a_role_change_end_the_session_on_the_server() {
    let app = spawn_app().await;
    let org = demo_org(&app).await;
    let id = app.member_with_login(&org, "Carl", "carl@acme.example", "admin").await;
    let browser = Browser::start().await;
    sign_in(&app, &browser, "carl@acme.example").await;
    browser.wait_for_text("Members over the last 90 days").await;
    // The owner demotes Carl (admins are only the owner's to change).
    let owner = app.system("acme").await;
    let demote = roster_service::MemberInput {
        role: Some("reader".into()),
        ..Default::default()
    };
    app.service
        .update_member(app.service.authorize(&owner).await.unwrap(), id, demote)
        .await
        .unwrap();
    browser.goto(&format!("{}/o/acme/members", app.base)).await;
    assert!(
        browser.url().await.ends_with("/login"),
        "the role change ended the session"
    );
    sign_in(&app, &browser, "carl@acme.example").await;
    browser.wait_for_text("My profile").await;
    browser.click("header form button").await;
    browser.wait_for_text("Sign in to Roster").await;
    assert!(browser.url().await.ends_with("/login"));
    browser.goto(&format!("{}/o/acme", app.base)).await;
    assert!(browser.url().await.ends_with("/login"), "signed out for good");
}

#[tokio::test]
async fn a_member_switches_between_organizations_and_leaves_one_from_their_profile() {
    let app = spawn_app().await;
    let acme = demo_org(&app).await;
    let other = app.create_org("globex").await;
    app.member_with_login(&acme, "Mia", "mia@both.example", "reader").await;
    let in_globex = app.add_member(&other, "Mia", "Test", "mia@both.example").await;
    // The same account joins globex (the invitation issue will do this on acceptance).
    let account = app.get(&acme, "/members?q=mia@both").await.expect(200).body["items"][0]["account_id"]
        .as_i64()
        .unwrap();
    app.force_status(in_globex, "active").await;
    let mut tx = app.service.store().begin().await.unwrap();
    roster_store::link_account(&mut tx, app.system("globex").await.org_id, in_globex, account)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let browser = Browser::start().await;
    browser.goto(&format!("{}/login", app.base)).await;
    log_in_with(&browser, "mia@both.example", PASSWORD).await;
    browser.wait_for_text("Your organizations").await;
    browser.assert_accessible("choose an organization").await;
    browser.click("a[href='/o/acme']").await;
    browser.wait_for_text("Switch organization").await;
    browser.click("details.switch summary").await;
    browser.click("details.switch a[href='/o/globex']").await;
    browser.wait_for_text("globex GmbH").await;
    assert!(browser.url().await.ends_with("/o/globex"));

    browser.goto(&format!("{}/o/globex/profile", app.base)).await;
    browser.click("#confirm-leave").await;
    browser.click("section.danger button").await;
    browser.wait_for_text("Members over the last 90 days").await;
    assert!(
        browser.url().await.ends_with("/o/acme"),
        "with one organization left, / goes straight to it"
    );
    assert_eq!(
        app.get(&other, &format!("/members/{in_globex}")).await.expect(200).body["status"],
        "removed"
    );
}

#[tokio::test]
async fn an_admin_imports_a_german_excel_csv_through_the_wizard_and_undoes_it() {
    let app = spawn_app().await;
    let org = demo_org(&app).await;
    let file = std::env::temp_dir().join(format!("roster-import-{}.csv", std::process::id()));
    std::fs::write(
        &file,
        b"Vorname;Nachname;E-Mail;Kommentar;Schuhgr\xf6\xdfe\r\nGreta;Gr\xfcn;greta@acme.example;Neu;38\r\nOtto;Ohne;kaputt;;42\r\nPaul;P\xe4chter;paul@acme.example;;44\r\n",
    )
    .unwrap();
    let browser = Browser::start().await;
    upload_as_the_owner(&app, &browser, &file).await;
    browser.wait_for_text("Windows-1252").await;
    browser
        .wait_for_text("3 rows: 2 to create, 0 to update, 0 unchanged, 1 with errors")
        .await;
    browser.wait_for_text("Not imported: Schuhgröße").await;
    browser.screenshot("import-preview").await;

    browser.click("a[href$='?errors=1']").await;
    browser.wait_for_text("Show all rows").await;
    let rows = browser.text("#preview tbody").await;
    assert!(
        rows.contains("E-Mail: is not an e-mail address") && !rows.contains("greta@"),
        "{rows}"
    );

    // Skip the comment column, then import.
    browser.select("#col3", "skip").await;
    browser.click("form[action$='/mapping'] button").await;
    browser.wait_for_text("Not imported: Kommentar, Schuhgröße").await;
    // Save the columns for the next export of the same kind.
    browser.fill("#mapping-name", "Lohnbuchhaltung").await;
    browser.click("form[action$='/mapping/save'] button").await;
    browser.wait_for_text("Use a saved mapping").await;
    let saved = app.get(&org, "/import-mappings").await.expect(200);
    assert_eq!(saved.body["items"][0]["name"], "Lohnbuchhaltung");
    browser.click("form[action$='/apply'] button").await;
    browser
        .wait_for_text("2 created, 0 updated, 0 unchanged, 1 failed")
        .await;
    assert!(browser.text("body").await.contains("Download the report (CSV)"));
    browser.screenshot("import-result").await;
    let greta = app.get(&org, "/members?q=greta@").await.expect(200);
    assert_eq!(greta.body["items"][0]["last_name"], "Grün");
    assert_eq!(
        greta.body["items"][0]["comment"], "",
        "the skipped column was not imported"
    );
    assert_eq!(greta.body["items"][0]["status"], "added");

    let failed = browser.text("#failed-rows").await;
    assert!(failed.contains("E-Mail: is not an e-mail address"), "{failed}");
    browser.click("#confirm-undo").await;
    browser.click("form[action$='/undo'] button").await;
    browser.wait_for_text("2 members removed, 0 restored").await;
    assert!(app.get(&org, "/members?q=greta@").await.expect(200).body["items"]
        .as_array()
        .unwrap()
        .is_empty());
    let _ = std::fs::remove_file(file);
}

/// A file dropped on the import page (anywhere, not only on the drop zone)
/// is uploaded at once and checked; the browser does not leave the page to
/// show the file. The drop is a real `drop` event with a real file in
/// Chromium; WebDriver cannot drag from the desktop.
#[tokio::test]
async fn a_file_dropped_on_the_import_page_is_uploaded_and_checked() {
    let app = spawn_app().await;
    demo_org(&app).await;
    let browser = Browser::start().await;
    sign_in(&app, &browser, "owner@acme.example").await;
    browser.goto(&format!("{}/o/acme/imports", app.base)).await;
    let page = browser.url().await;
    browser
        .execute(
            "const file = new File([arguments[0]], 'dropped.csv', {type: 'text/csv'});\n\
             const data = new DataTransfer();\n\
             data.items.add(file);\n\
             const at = {dataTransfer: data, bubbles: true, cancelable: true};\n\
             document.querySelector('h1').dispatchEvent(new DragEvent('dragover', at));\n\
             document.querySelector('h1').dispatchEvent(new DragEvent('drop', at));",
            serde_json::json!(["Vorname;Nachname;E-Mail\nLotte;Lösch;lotte@acme.example\n"]),
        )
        .await;
    browser
        .wait_for_text("1 row: 1 to create, 0 to update, 0 unchanged, 0 with errors")
        .await;
    assert_ne!(browser.url().await, page, "the import's own page, with its preview");
    assert!(browser.text("body").await.contains("dropped.csv"));
}

/// A file that takes longer to check than a page waits: the page shows the
/// rows checked and refreshes itself (no JavaScript needed) until the
/// preview is there. The wait is zero here, so any file shows it.
#[tokio::test]
async fn the_wizard_shows_progress_while_a_file_is_checked_then_the_preview() {
    let app = helpers::spawn_configured(None, None, |c| c.planning_wait = std::time::Duration::ZERO).await;
    demo_org(&app).await;
    let file = std::env::temp_dir().join(format!("roster-checking-{}.csv", std::process::id()));
    let mut csv = String::from("firstname,lastname,email\n");
    for i in 1..=3000 {
        csv.push_str(&format!("Vor{i},Nach{i},person{i}@acme.example\n"));
    }
    std::fs::write(&file, csv).unwrap();
    let browser = Browser::start().await;
    upload_as_the_owner(&app, &browser, &file).await;
    browser.wait_for_text("Checking the file…").await;
    browser.screenshot("import-checking").await;
    // The page refreshes itself every two seconds until the plan is kept.
    browser
        .wait_for_text("3000 rows: 3000 to create, 0 to update, 0 unchanged, 0 with errors")
        .await;
    assert!(!browser.text("body").await.contains("Checking the file"));
    std::fs::remove_file(&file).ok();
}

/// Every page of the console, held to WCAG 2 A and AA by axe-core, in an
/// organization whose accent colour (bright yellow) would be unreadable as
/// text: the console derives readable text colours from it.
#[tokio::test]
async fn every_console_page_passes_axe_core_whatever_the_accent_colour() {
    let app = spawn_app().await;
    let org = demo_org(&app).await;
    app.patch(&org, "", json!({"accent_color": "#ffff00"}))
        .await
        .expect(200);
    let member = app.add_member(&org, "Zoë", "Zimmermann", "zoe@acme.example").await;
    let team = app
        .post(&org, "/teams", json!({"name": "Vertrieb", "is_division": true}))
        .await
        .expect(201)
        .id();
    let csv = b"Vorname;Nachname;E-Mail\nEva;Engel;eva@acme.example\nKein;Mail;\n".to_vec();
    let import = app.upload(&org, "mitglieder.csv", csv).await.expect(201).id();
    let applied = app
        .upload(
            &org,
            "fertig.csv",
            b"firstname,lastname,email\nOtto,Ost,otto@acme.example\n".to_vec(),
        )
        .await
        .expect(201)
        .id();
    app.apply_import(&org, applied, json!({})).await;

    let browser = Browser::start().await;
    browser.goto(&format!("{}/login", app.base)).await;
    browser.assert_accessible("sign-in").await;
    sign_in(&app, &browser, "owner@acme.example").await;
    for page in [
        String::new(),
        "/members".into(),
        "/members?q=zimmer&status=added".into(),
        "/members/new".into(),
        format!("/members/{member}"),
        format!("/members/{member}/edit"),
        format!("/members/{member}/remove"),
        "/members/999999".into(),
        "/imports".into(),
        format!("/imports/{import}"),
        format!("/imports/{import}?errors=1"),
        format!("/imports/{applied}"),
        "/teams".into(),
        format!("/teams/{team}"),
        "/settings".into(),
        "/audit".into(),
        "/profile".into(),
        format!("/invite?member={member}"),
        format!("/invite?import={applied}"),
        "/jobs".into(),
        "/jobs?kind=export&status=done".into(),
    ] {
        browser.goto(&format!("{}/o/acme{page}", app.base)).await;
        // Every page, the error pages too, begins with its skip link.
        browser.wait_for_text("Skip to content").await;
        browser.assert_accessible(&format!("/o/acme{page}")).await;
    }
}

/// Signs out from any console page.
async fn sign_out(browser: &Browser) {
    browser.click("form[action='/logout'] button").await;
    browser.wait_for_text("Sign in to Roster").await;
}

/// The whole way in, in Chromium: an admin personalises and sends an
/// invitation, the person follows the link from the mail a real SMTP server
/// received and sets a password; later they reset it from the sign-in page;
/// and someone else signs up on the organization's page.
#[tokio::test]
async fn a_person_is_invited_accepts_resets_their_password_and_another_signs_up() {
    let app = spawn_with_mail().await;
    let org = demo_org(&app).await;
    app.patch(&org, "", json!({"accent_color": "#0b7a75"}))
        .await
        .expect(200);
    let sink = app.sink.as_ref().unwrap();
    let browser = Browser::start().await;
    sign_in(&app, &browser, "owner@acme.example").await;

    // The admin: member page → personalise → preview → send.
    let page = app.get(&org, "/members?q=juergen").await.expect(200);
    let juergen = page.body["items"][0]["id"].as_i64().unwrap();
    browser.goto(&format!("{}/o/acme/members/{juergen}", app.base)).await;
    browser.click("a[href*='/invite?member=']").await;
    browser.wait_for_text("Send invitations").await;
    browser.fill("#subject", "Willkommen im Team, Jürgen").await;
    browser.fill("#message", "Wir freuen uns auf dich!\nDeine Olga").await;
    browser.select("#language", "de").await;
    browser.click("button[value=preview]").await;
    browser.wait_for_text("Wir freuen uns auf dich!").await;
    browser.screenshot("invite").await;
    browser.click("button[value=send]").await;
    browser.wait_for_text("Invited 1 members.").await;

    // The mail as the person's mail program shows it.
    let mail = sink.wait_for(1).await.remove(0);
    assert_eq!(mail["rcpt_tos"], json!(["juergen@acme.example"]));
    let file = tempfile::Builder::new().suffix(".html").tempfile().unwrap();
    std::fs::write(file.path(), mail["html"].as_str().unwrap()).unwrap();
    browser.goto(&format!("file://{}", file.path().display())).await;
    browser.wait_for_text("Einladung annehmen").await;
    browser.screenshot("invitation-email").await;

    // The member page shows the invitation and its delivery.
    browser.goto(&format!("{}/o/acme/members/{juergen}", app.base)).await;
    browser.wait_for_text("Pending").await;
    sign_out(&browser).await;

    // The person: the link, a password, and in.
    let accept = link(&mail, &app.base);
    browser.goto(&accept).await;
    browser.wait_for_text("Join acme GmbH").await;
    browser.screenshot("accept").await;
    browser.fill("#password", "mein sicheres Passwort").await;
    browser.fill("#password_again", "mein sicheres Passwort").await;
    browser.click("button[type=submit]").await;
    browser.wait_for_text("Sign out").await;
    assert!(browser.url().await.ends_with("/o/acme"));
    assert_eq!(
        app.get(&org, &format!("/members/{juergen}")).await.expect(200).body["status"],
        "active"
    );
    // The link is used up, and the page says so.
    sign_out(&browser).await;
    browser.goto(&accept).await;
    browser.wait_for_text("This invitation has been used").await;
    browser.assert_accessible("invitation used").await;

    // "Forgot password?" from the sign-in page.
    browser.goto(&format!("{}/login", app.base)).await;
    browser.click("a[href='/forgot']").await;
    browser.wait_for_text("Forgot your password?").await;
    browser.assert_accessible("forgot password").await;
    browser.fill("#email", "juergen@acme.example").await;
    browser.click("button[type=submit]").await;
    browser.wait_for_text("is on its way").await;
    let reset_mail = sink
        .wait_for(2)
        .await
        .into_iter()
        .find(|m| m["text"].as_str().unwrap().contains("/reset/"))
        .unwrap();
    browser.goto(&link(&reset_mail, &app.base)).await;
    browser.wait_for_text("Choose a new password").await;
    browser.assert_accessible("reset password").await;
    browser.fill("#password", "ein neues Passwort 2").await;
    browser.fill("#password_again", "ein neues Passwort 2").await;
    browser.click("button[type=submit]").await;
    browser.wait_for_text("Sign out").await;
    sign_out(&browser).await;

    // Someone else signs up on the organization's page.
    app.patch(&org, "", json!({"signup_enabled": true})).await.expect(200);
    app.put(&org, "/seats/casual", json!({"purchased": 5}))
        .await
        .expect(200);
    browser.goto(&format!("{}/join/acme", app.base)).await;
    browser.wait_for_text("Join acme GmbH").await;
    browser.screenshot("sign-up").await;
    browser.fill("#email", "neu@acme.example").await;
    browser.click("button[type=submit]").await;
    browser.wait_for_text("an invitation is on its way").await;
    let invited = sink.wait_for(3).await;
    assert!(invited.iter().any(|m| m["rcpt_tos"] == json!(["neu@acme.example"])));
}
