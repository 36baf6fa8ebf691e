//! Exports in the console, page by page (the browser suite drives the same
//! pages in Chromium): the members list's export takes its filter, a team's
//! page exports its members, the dashboard and its live rows, the expired
//! page (410) that offers to make the export again, and the home chart's
//! period with its statistics export.

use crate::exports::populated;
use crate::helpers::{spawn_app, TestApp};

/// Follows the export page until the file is ready; returns the page.
async fn until_ready(app: &TestApp, cookie: &str, path: &str) -> String {
    for _ in 0..200 {
        let html = app.console_html(cookie, path).await;
        if html.contains("Download ") {
            return html;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{path} never became ready");
}

#[tokio::test]
async fn the_members_list_exports_exactly_its_filter_and_the_dashboard_shows_it() {
    let app = spawn_app().await;
    let _org = populated(&app, "acme").await;
    let cookie = app.console_sign_in("owner@acme.example").await;
    let list = app.console_html(&cookie, "/o/acme/members?seat_type=casual").await;
    assert!(
        list.contains("name=\"filter_seat_type\" value=\"casual\""),
        "the form carries the filter"
    );
    let res = app
        .console_post(
            &cookie,
            &list,
            "/o/acme/exports",
            &[
                ("kind", "members"),
                ("filter_seat_type", "casual"),
                ("format", "csv"),
                ("csv_dialect", "excel-de"),
            ],
        )
        .await;
    assert_eq!(res.status().as_u16(), 200);
    let path = res.url().path().to_owned();
    assert!(path.starts_with("/o/acme/exports/"), "{path}");
    let page = until_ready(&app, &cookie, &path).await;
    assert!(page.contains("1 rows"), "{page}");
    let file = app
        .client
        .get(format!("{}{path}/file", app.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(file.status().as_u16(), 200);
    let text = file.text().await.unwrap();
    assert!(text.contains("Jürgen;") && !text.contains("Zoë"), "{text}");
    let dashboard = app.console_html(&cookie, "/o/acme/jobs").await;
    assert!(dashboard.contains("Members export (CSV, excel-de)"), "{dashboard}");
    assert!(dashboard.contains(&format!("{path}/file")), "a download link");
    let rows = app.console_html(&cookie, "/o/acme/jobs?partial=1&kind=export").await;
    assert!(
        rows.contains("<tr>") && !rows.contains("<html"),
        "only the rows: {rows}"
    );
    let imports_only = app.console_html(&cookie, "/o/acme/jobs?kind=import").await;
    assert!(!imports_only.contains("Members export"), "filtered by kind");
}

#[tokio::test]
async fn an_expired_export_answers_410_and_can_be_made_again() {
    let app = spawn_app().await;
    let _org = populated(&app, "acme").await;
    let cookie = app.console_sign_in("owner@acme.example").await;
    let team_id = {
        let teams = app.console_html(&cookie, "/o/acme/teams").await;
        let at = teams.find("/o/acme/teams/").unwrap() + "/o/acme/teams/".len();
        teams[at..].split('"').next().unwrap().to_owned()
    };
    let team = app.console_html(&cookie, &format!("/o/acme/teams/{team_id}")).await;
    assert!(team.contains("Export members"), "{team}");
    let res = app
        .console_post(
            &cookie,
            &team,
            "/o/acme/exports",
            &[("kind", "team-members"), ("team", &team_id), ("format", "xlsx")],
        )
        .await;
    let path = res.url().path().to_owned();
    until_ready(&app, &cookie, &path).await;
    // Five days on: past the retention (4 days), within the job history (30).
    let later = roster_domain::now_millis() + 5 * 86_400_000;
    app.service.expire_exports_at(later).await.unwrap();
    for url in [path.clone(), format!("{path}/file")] {
        let res = app
            .client
            .get(format!("{}{url}", app.base))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 410, "{url}");
        let html = res.text().await.unwrap();
        assert!(
            html.contains("This export has expired") && html.contains("Export again"),
            "{html}"
        );
        if url == path {
            let again = app.console_post(&cookie, &html, &format!("{path}/again"), &[]).await;
            let new_path = again.url().path().to_owned();
            assert_ne!(new_path, path);
            let page = until_ready(&app, &cookie, &new_path).await;
            assert!(page.contains("team-gr"), "the same team's export: {page}");
        }
    }
}

#[tokio::test]
async fn the_home_chart_shows_the_chosen_period_and_exports_its_statistics() {
    let app = spawn_app().await;
    let _org = populated(&app, "acme").await;
    let cookie = app.console_sign_in("owner@acme.example").await;
    let home = app.console_html(&cookie, "/o/acme?days=30").await;
    assert!(home.contains("Members over the last 30 days"), "{home}");
    assert!(home.contains("3 members today"), "{home}");
    let odd = app.console_html(&cookie, "/o/acme?days=7").await;
    assert!(odd.contains("last 90 days"), "an unknown period is the default");
    let res = app
        .console_post(
            &cookie,
            &home,
            "/o/acme/exports",
            &[("kind", "statistics"), ("format", "csv")],
        )
        .await;
    let page = until_ready(&app, &cookie, res.url().path()).await;
    assert!(page.contains("acme-statistics-"), "{page}");
}
