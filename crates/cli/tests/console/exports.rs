//! Exports in Chromium: the members list's live filter exported, the
//! dashboard following a running export without a reload, the expired
//! page and its "Export again", and the opened workbook for the README.

use serde_json::json;

use crate::helpers::{spawn_app, TestApp};
use crate::webdriver::Browser;
use crate::{demo_org, sign_in};

/// Runs the export jobs that wait, as `roster serve`'s worker would.
async fn run_export_jobs(app: &TestApp) {
    let mut worker = roster_service::jobs::Worker::new(app.service.clone());
    roster_service::exports::register_jobs(&mut worker, app.service.clone());
    while worker.run_once().await.unwrap() {}
}

#[tokio::test]
async fn an_admin_exports_the_filtered_members_follows_the_dashboard_and_remakes_an_expired_export() {
    let app = spawn_app().await;
    let org = demo_org(&app).await;
    app.post(
        &org,
        "/members",
        json!({"first_name": "Jan", "last_name": "Müllerson", "email": "jan@acme.example", "personal_id": "0042"}),
    )
    .await
    .expect(201);
    let browser = Browser::start().await;
    sign_in(&app, &browser, "owner@acme.example").await;

    // The members list, filtered as you type; its export takes that filter.
    browser.goto(&format!("{}/o/acme/members", app.base)).await;
    browser.type_text("#q", "müller").await;
    for _ in 0..100 {
        let rows = browser
            .execute(
                "return document.querySelectorAll('#results tbody tr').length",
                json!([]),
            )
            .await;
        if rows == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    browser.select("#export-format", "csv").await;
    browser.select("#export-dialect", "excel-de").await;
    browser.click("form[data-export-filter] button[type=submit]").await;
    browser.wait_for_text("Members export").await;
    browser.wait_for_text("Download acme-members-").await;
    let url = browser.url().await;
    let id = url.rsplit('/').next().unwrap().to_owned();
    let export = app.get(&org, &format!("/exports/{id}")).await.expect(200);
    assert_eq!(
        export.body["rows_done"], 2,
        "exactly the filtered members: {}",
        export.body
    );
    let text = String::from_utf8(app.export_file(&org, &id).await).unwrap();
    assert!(
        text.contains("Jürgen;Müller") && text.contains("Jan;Müllerson") && !text.contains("Anna"),
        "{text}"
    );

    // The dashboard follows a running export without a reload.
    app.stop_worker().await;
    let waiting = app
        .post(&org, "/exports", json!({"kind": "organization"}))
        .await
        .expect(202);
    let waiting_id = waiting.body["id"].as_str().unwrap().to_owned();
    browser.goto(&format!("{}/o/acme/jobs", app.base)).await;
    browser.wait_for_text("Whole organization export (XLSX)").await;
    browser.execute("window.notReloaded = true", json!([])).await;
    run_export_jobs(&app).await;
    for _ in 0..100 {
        let rows = browser.text("#jobs-rows").await;
        if rows.contains("Download") && rows.matches("Download").count() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        browser.text("#jobs-rows").await.matches("Download").count(),
        2,
        "both ready, shown live"
    );
    assert_eq!(
        browser.execute("return window.notReloaded === true", json!([])).await,
        true
    );
    browser.screenshot("imports-exports").await;

    // Past its retention the link says so (410) and offers the export again.
    let later = roster_domain::now_millis() + 5 * 86_400_000;
    app.service.expire_exports_at(later).await.unwrap();
    browser.goto(&format!("{}/o/acme/exports/{waiting_id}", app.base)).await;
    browser.wait_for_text("This export has expired").await;
    browser.screenshot("export-expired").await;
    let expired_url = browser.url().await;
    browser.click("form[action$='/again'] button").await;
    // The new export's page (its job waits: the worker is stopped).
    for _ in 0..100 {
        if browser.url().await != expired_url {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_ne!(browser.url().await, expired_url, "a new export");
    browser.wait_for_text("Waiting").await;
    run_export_jobs(&app).await;
    browser.goto(&browser.url().await).await;
    browser.wait_for_text("Download acme-organization-").await;

    // The opened workbook, as LibreOffice renders it (its HTML view of every sheet).
    let again_id = browser.url().await.rsplit('/').next().unwrap().to_owned();
    let bytes = app.export_file(&org, &again_id).await;
    let html = workbook_as_html(&bytes);
    browser.goto(&format!("file://{}", html.display())).await;
    browser.wait_for_text("Summary").await;
    browser.capture("workbook").await;
}

/// Renders a workbook with LibreOffice as HTML (its sheets one below the
/// other, as Calc formats them); returns the page.
fn workbook_as_html(bytes: &[u8]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("roster-workbook-{}", rand::random::<u32>()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("workbook.xlsx");
    std::fs::write(&file, bytes).unwrap();
    let out = std::process::Command::new("soffice")
        .arg(format!(
            "-env:UserInstallation=file://{}",
            dir.join("profile").display()
        ))
        .args(["--headless", "--convert-to", "html", "--outdir"])
        .arg(&dir)
        .arg(&file)
        .output()
        .expect("LibreOffice is missing: run scripts/ensure-libreoffice");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    dir.join("workbook.html")
}
