//! Exports in the console: the Imports/Exports dashboard (live progress,
//! filters, a form for every kind of export), starting an export (from the
//! dashboard, the members list with its filter, a team page), an export's
//! page (progress, download, or — past its retention — 410 and "make it
//! again") and the download itself, with the downloader's rights checked.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use roster_domain::Permission;
use roster_service::exports::CsvDialect;
use roster_service::exports::{ExportFormat, ExportKind, ExportRequest, ExportStatus, ExportView, MemberFilter};
use roster_service::{
    ActivityFilter, ActivityKind, ActivityStatus, ActivityView, MemberStatus, Role, SeatType, ServiceError,
};

use super::session::{Member, MemberPost};
use super::{render, ConsoleError, Layout};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/o/{slug}/jobs", get(dashboard))
        .route("/o/{slug}/exports", post(start))
        .route("/o/{slug}/exports/{id}", get(show))
        .route("/o/{slug}/exports/{id}/file", get(file))
        .route("/o/{slug}/exports/{id}/again", post(again))
}

#[derive(Template)]
#[template(path = "jobs.html")]
struct DashboardPage {
    layout: Layout,
    kind: String,
    status: String,
    entries: Vec<ActivityView>,
    running: bool,
    can_export: bool,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "jobs_rows.html")]
struct DashboardRows {
    slug: String,
    entries: Vec<ActivityView>,
    running: bool,
}

async fn dashboard(
    State(state): State<AppState>,
    member: Member,
    RawQuery(raw): RawQuery,
) -> Result<Response, ConsoleError> {
    let (mut kind, mut status, mut partial) = (String::new(), String::new(), false);
    for (k, v) in form_urlencoded::parse(raw.as_deref().unwrap_or("").as_bytes()) {
        match k.as_ref() {
            "kind" => kind = v.into_owned(),
            "status" => status = v.into_owned(),
            "partial" => partial = true,
            _ => {}
        }
    }
    // Only values the selects offer are echoed back into the page's links.
    if !["import", "export"].contains(&kind.as_str()) {
        kind.clear();
    }
    if !["waiting", "running", "done", "failed", "ended"].contains(&status.as_str()) {
        status.clear();
    }
    let filter = ActivityFilter {
        kind: match kind.as_str() {
            "import" => Some(ActivityKind::Import),
            "export" => Some(ActivityKind::Export),
            _ => None,
        },
        status: match status.as_str() {
            "waiting" => Some(ActivityStatus::Waiting),
            "running" => Some(ActivityStatus::Running),
            "done" => Some(ActivityStatus::Done),
            "failed" => Some(ActivityStatus::Failed),
            "ended" => Some(ActivityStatus::Ended),
            _ => None,
        },
    };
    let svc = &state.service;
    let entries = svc.activity(svc.authorize(&member.actor).await?, filter).await?;
    let running = entries.iter().any(|e| {
        matches!(e.status, ActivityStatus::Running)
            || (e.kind == ActivityKind::Export && e.status == ActivityStatus::Waiting)
    });
    if partial {
        return render(&DashboardRows {
            slug: member.actor.org_slug.clone(),
            entries,
            running,
        });
    }
    let page = DashboardPage {
        layout: Layout::new(&state, &member, "jobs").await?,
        kind,
        status,
        entries,
        running,
        can_export: member.actor.permissions.contains(Permission::Export),
        error: None,
    };
    render(&page)
}

/// The form's fields as an export request; `filter_*` fields carry the
/// members list's filter.
fn request_of(form: &super::session::FormData) -> Result<ExportRequest, roster_domain::InvalidInput> {
    let some = |k: &str| form.get(k).map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
    let raw_kind = some("kind").unwrap_or_default();
    let kind = ExportKind::ALL
        .into_iter()
        .find(|k| k.as_str() == raw_kind)
        .ok_or_else(|| roster_domain::InvalidInput::new("kind", "invalid_kind", "is not a kind of export"))?;
    let format = match some("format").as_deref() {
        Some("csv") => Some(ExportFormat::Csv),
        _ => Some(ExportFormat::Xlsx),
    };
    let csv_dialect = match some("csv_dialect").as_deref() {
        Some("excel-de") => Some(CsvDialect::ExcelDe),
        Some("excel-nl") => Some(CsvDialect::ExcelNl),
        Some("excel-fr") => Some(CsvDialect::ExcelFr),
        Some("plain") => Some(CsvDialect::Plain),
        _ => None,
    };
    let number = |k: &str, raw: Option<String>| -> Result<Option<i64>, roster_domain::InvalidInput> {
        raw.map(|v| {
            v.parse()
                .map_err(|_| roster_domain::InvalidInput::new(k, "invalid_number", "must be a number"))
        })
        .transpose()
    };
    let filter = MemberFilter {
        q: some("filter_q"),
        status: some("filter_status").as_deref().map(MemberStatus::parse).transpose()?,
        role: some("filter_role").as_deref().map(Role::parse).transpose()?,
        seat_type: some("filter_seat_type").as_deref().map(SeatType::parse).transpose()?,
        team: number("team", some("filter_team"))?,
        comment: some("filter_comment"),
        external: match some("filter_external").as_deref() {
            Some("yes" | "true") => Some(true),
            Some("no" | "false") => Some(false),
            _ => None,
        },
    };
    Ok(ExportRequest {
        kind,
        format,
        csv_dialect,
        filter: (!filter.is_empty()).then_some(filter),
        team: number("team", some("team"))?,
        since: some("since"),
        until: some("until"),
        app: some("app"),
    })
}

async fn start(State(state): State<AppState>, post: MemberPost) -> Result<Response, ConsoleError> {
    let MemberPost { member, form } = post;
    let svc = &state.service;
    let can = svc.authorize(&member.actor).await?;
    let made = match request_of(&form) {
        Ok(request) => svc.create_export(can, request).await,
        Err(e) => Err(e.into()),
    };
    match made {
        Ok(export) => Ok(Redirect::to(&format!("/o/{}/exports/{}", member.actor.org_slug, export.id)).into_response()),
        Err(e @ (ServiceError::Invalid(_) | ServiceError::Conflict { .. })) => {
            let entries = svc
                .activity(svc.authorize(&member.actor).await?, ActivityFilter::default())
                .await?;
            let page = DashboardPage {
                layout: Layout::new(&state, &member, "jobs").await?,
                kind: String::new(),
                status: String::new(),
                running: false,
                entries,
                can_export: true,
                error: Some(e.to_string()),
            };
            let mut response = render(&page)?;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "export.html")]
struct ExportPage {
    layout: Layout,
    export: ExportView,
    expired: bool,
}

fn valid_id(id: &str) -> Result<(), ConsoleError> {
    if id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(ConsoleError::NotFound)
    }
}

async fn export_page(state: &AppState, member: &Member, export: ExportView) -> Result<Response, ConsoleError> {
    let expired = export.status == ExportStatus::Expired
        || (export.status == ExportStatus::Ready
            && export
                .expires_at
                .is_some_and(|t| t.millis() <= roster_domain::now_millis()));
    let running = !export.status.finished();
    let page = ExportPage {
        layout: Layout::new(state, member, "jobs").await?,
        export,
        expired,
    };
    let mut response = render(&page)?;
    if expired {
        *response.status_mut() = StatusCode::GONE;
    }
    if running {
        // Without JavaScript the page refreshes itself while the job runs.
        response
            .headers_mut()
            .insert("refresh", axum::http::HeaderValue::from_static("2"));
    }
    Ok(response)
}

async fn show(
    State(state): State<AppState>,
    member: Member,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, ConsoleError> {
    valid_id(&id)?;
    let svc = &state.service;
    let export = svc.export(svc.authorize(&member.actor).await?, &id).await?;
    export_page(&state, &member, export).await
}

async fn file(
    State(state): State<AppState>,
    member: Member,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, ConsoleError> {
    valid_id(&id)?;
    let svc = &state.service;
    match svc.export_file(svc.authorize(&member.actor).await?, &id).await {
        Ok(reader) => Ok(crate::api::exports::export_response(reader)),
        Err(ServiceError::Gone { .. }) => {
            let export = svc.export(svc.authorize(&member.actor).await?, &id).await?;
            export_page(&state, &member, export).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn again(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    post: MemberPost,
) -> Result<Response, ConsoleError> {
    valid_id(&id)?;
    let svc = &state.service;
    let export = svc.export_again(svc.authorize(&post.member.actor).await?, &id).await?;
    Ok(Redirect::to(&format!("/o/{}/exports/{}", post.member.actor.org_slug, export.id)).into_response())
}
