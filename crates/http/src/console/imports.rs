//! The import wizard: upload (drag and drop or choose), the detected format,
//! the mapping with "skip", a preview with an errors-only filter, apply with
//! live progress, the report, undo; and the import history.

use askama::Template;
use axum::extract::{FromRequest, Multipart, Path, RawQuery, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use roster_service::imports::{
    ColumnMapping, Existing, FailedRow, ImportOptions, ImportStatus, ImportView, Preview, PreviewOrProgress,
    PreviewRows, ReportFormat, ReportRequest, RowPreview, Target, UndoReport,
};
use roster_service::ServiceError;

use super::session::{check_csrf_value, refuse_cross_site, Member, MemberPost};
use super::{render, ConsoleError, Layout};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/o/{slug}/imports", get(history).post(upload))
        .route("/o/{slug}/imports/{id}", get(show))
        .route("/o/{slug}/imports/{id}/sheet", post(choose_sheet))
        .route("/o/{slug}/imports/{id}/mapping", post(save_mapping))
        .route("/o/{slug}/imports/{id}/mapping/save", post(save_named_mapping))
        .route("/o/{slug}/imports/{id}/mapping/use", post(use_named_mapping))
        .route("/o/{slug}/imports/{id}/apply", post(apply))
        .route("/o/{slug}/imports/{id}/cancel", post(cancel))
        .route("/o/{slug}/imports/{id}/undo", post(undo))
        .route("/o/{slug}/imports/{id}/report.csv", get(report_csv))
        .route("/o/{slug}/imports/{id}/report.xlsx", get(report_xlsx))
        // An upload's file is counted as it is spooled (`files::spool_upload`,
        // `[limits] max_upload_mib`); other forms read at most 1 MiB.
        .layer(axum::extract::DefaultBodyLimit::disable())
}

#[derive(Template)]
#[template(path = "imports.html")]
struct HistoryPage {
    layout: Layout,
    imports: Vec<ImportView>,
    error: Option<String>,
}

async fn history_page(state: &AppState, member: &Member, error: Option<String>) -> Result<Response, ConsoleError> {
    let imports = state
        .service
        .imports(state.service.authorize(&member.actor).await?)
        .await?;
    render(&HistoryPage {
        layout: Layout::new(state, member, "imports").await?,
        imports,
        error,
    })
}

async fn history(State(state): State<AppState>, member: Member) -> Result<Response, ConsoleError> {
    history_page(&state, &member, None).await
}

/// A multipart upload with its CSRF token checked.
struct Upload {
    member: Member,
    file_name: String,
    /// The file in its spool file, or `None` when it was over the upload limit.
    file: Option<tempfile::NamedTempFile>,
}

impl FromRequest<AppState> for Upload {
    type Rejection = ConsoleError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ConsoleError> {
        refuse_cross_site(req.headers(), state)?;
        let (mut parts, body) = req.into_parts();
        let member =
            <Member as axum::extract::FromRequestParts<AppState>>::from_request_parts(&mut parts, state).await?;
        let mut multipart = Multipart::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|_| ConsoleError::BadRequest)?;
        let (mut csrf, mut file_name, mut file) = (String::new(), String::new(), None);
        let mut too_big = false;
        // The form sends its CSRF token before the file, so a file over the
        // limit is known to come from the admin's own page.
        let too_large = |e: &axum::extract::multipart::MultipartError| e.status() == StatusCode::PAYLOAD_TOO_LARGE;
        loop {
            let field = match multipart.next_field().await {
                Ok(Some(field)) => field,
                Ok(None) => break,
                Err(e) if too_large(&e) => {
                    too_big = true;
                    break;
                }
                Err(_) => return Err(ConsoleError::BadRequest),
            };
            match field.name() {
                Some("csrf") => csrf = field.text().await.map_err(|_| ConsoleError::BadRequest)?,
                Some("file") => {
                    file_name = field.file_name().unwrap_or("upload").to_owned();
                    // The file goes to a spool file as it arrives.
                    match crate::files::spool_upload(&state.service, state.config.max_upload_bytes, field).await {
                        Ok(spooled) => file = Some(spooled),
                        Err(crate::files::UploadError::TooLarge) => {
                            too_big = true;
                            break;
                        }
                        Err(crate::files::UploadError::Body(_)) => return Err(ConsoleError::BadRequest),
                        Err(crate::files::UploadError::Service(e)) => return Err(e.into()),
                    }
                }
                _ => {}
            }
        }
        check_csrf_value(&member.session, &csrf)?;
        if too_big {
            file = None;
        } else if file.is_none() {
            return Err(ConsoleError::BadRequest);
        }
        Ok(Upload {
            member,
            file_name,
            file,
        })
    }
}

async fn upload(State(state): State<AppState>, upload: Upload) -> Result<Response, ConsoleError> {
    let svc = &state.service;
    let Some(file) = upload.file else {
        let message = crate::files::upload_too_large_message(state.config.max_upload_bytes);
        let error = match upload.file_name.as_str() {
            "" => message,
            name => format!("{name}: {message}"),
        };
        let mut page = history_page(&state, &upload.member, Some(error)).await?;
        *page.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
        return Ok(page);
    };
    match svc
        .create_import(
            svc.authorize(&upload.member.actor).await?,
            &upload.file_name,
            file.path(),
            None,
        )
        .await
    {
        Ok(import) => {
            Ok(Redirect::to(&format!("/o/{}/imports/{}", upload.member.actor.org_slug, import.id)).into_response())
        }
        Err(ServiceError::Invalid(e)) => {
            history_page(
                &state,
                &upload.member,
                Some(format!("{}: {}", upload.file_name, e.message)),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// A mapping target as the form's select shows it.
struct TargetOption {
    value: String,
    label: String,
}

fn target_value(t: &Target) -> String {
    match t {
        Target::Custom(key) => format!("custom:{key}"),
        other => serde_json::to_value(other)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
    }
}

fn parse_target(raw: &str) -> Option<Target> {
    match raw.strip_prefix("custom:") {
        Some(key) => Some(Target::Custom(key.to_owned())),
        None => serde_json::from_value(serde_json::Value::String(raw.to_owned())).ok(),
    }
}

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    layout: Layout,
    import: ImportView,
    /// The detected encoding as people name it ("Windows-1252").
    encoding: Option<&'static str>,
    /// A workbook's sheets, to read another (empty for CSV), and whether
    /// each is the one read.
    sheets: Vec<(String, bool)>,
    columns: Vec<(ColumnMapping, String)>,
    targets: Vec<TargetOption>,
    preview: Option<Preview>,
    /// The preview's rows on the page (the filter applied, at most
    /// `PREVIEW_ROWS` from `offset`), and how many matched in all.
    shown: Vec<RowPreview>,
    matching: usize,
    errors_only: bool,
    offset: usize,
    /// Where the previous and the next page of rows start.
    previous_offset: Option<usize>,
    next_offset: Option<usize>,
    undo: Option<UndoReport>,
    /// Members search finds without its index for now (after an import; see
    /// `Service::catch_up_search`).
    search_backlog: i64,
    /// After applying: the first rows not taken, with their reasons.
    failed_rows: Vec<FailedRow>,
    /// How many rows were not taken in all, when that is more than listed.
    failed_in_all: Option<u64>,
    /// The file is being planned: rows planned of all rows.
    planning: Option<(usize, usize)>,
    applying: bool,
    progress: Option<(i64, Option<i64>)>,
    saved: Vec<String>,
}

/// Rows of the preview shown on the page: a file of 150,000 rows would make
/// a page no browser wants; the totals count all, the report lists all.
const PREVIEW_ROWS: usize = 500;

/// Rows not taken that the result lists; the report has them all.
const FAILED_ROWS: usize = 100;

/// The preview's first page of rows, unfiltered.
fn first_rows() -> PreviewRows {
    PreviewRows {
        limit: Some(PREVIEW_ROWS),
        ..PreviewRows::default()
    }
}

async fn import_page(
    state: &AppState,
    member: &Member,
    id: i64,
    wanted: PreviewRows,
    undo: Option<UndoReport>,
) -> Result<Response, ConsoleError> {
    let svc = &state.service;
    let actor = &member.actor;
    let import = svc.import(svc.authorize(actor).await?, id).await?;
    let mapping = import.mapping.columns.clone();
    let options = import.options;
    let (mut preview, planning) = if import.status == ImportStatus::Uploaded {
        let can = svc.authorize(actor).await?;
        match svc
            .preview_import_or_progress(can, id, options, wanted, state.config.planning_wait)
            .await?
        {
            PreviewOrProgress::Preview(p) => (Some(*p), None),
            PreviewOrProgress::Planning { done, total } => (None, Some((done, total))),
        }
    } else {
        (None, None)
    };
    let fields = svc.custom_fields(svc.authorize(actor).await?).await?;
    let mut targets: Vec<TargetOption> = [
        (Target::Skip, "— skip —"),
        (Target::FirstName, "First name"),
        (Target::LastName, "Last name"),
        (Target::Email, "E-mail"),
        (Target::PersonalId, "Personal id"),
        (Target::Comment, "Comment"),
        (Target::Phone, "Phone"),
        (Target::Location, "Location"),
        (Target::Skills, "Skills"),
        (Target::Department, "Department"),
        (Target::Role, "Role"),
        (Target::SeatType, "Seat type"),
        (Target::TeamId, "Team id"),
        (Target::AdminOfDivision, "Division admin of (team id)"),
        (Target::External, "External"),
    ]
    .into_iter()
    .map(|(t, label)| TargetOption {
        value: target_value(&t),
        label: label.into(),
    })
    .collect();
    targets.extend(fields.into_iter().map(|f| TargetOption {
        value: format!("custom:{}", f.key),
        label: format!("{} (custom)", f.label),
    }));
    let columns = mapping
        .into_iter()
        .map(|c| {
            let v = target_value(&c.target);
            (c, v)
        })
        .collect();
    let failed_in_file = import.summary.error;
    // The summary counts rows with errors once the import has been applied.
    let failed_rows = if failed_in_file > 0 {
        svc.failed_import_rows(svc.authorize(actor).await?, id, FAILED_ROWS)
            .await?
    } else {
        Vec::new()
    };
    let failed_in_all = Some(failed_in_file).filter(|n| *n > failed_rows.len() as u64);
    let progress = match import.job_id {
        Some(job) if import.status == ImportStatus::Applying => {
            svc.job_progress(svc.authorize(actor).await?, job).await?
        }
        _ => None,
    };
    let search_backlog = match import.status {
        ImportStatus::Applied => svc.search_backlog(actor).await?,
        _ => 0,
    };
    let detected = &import.detected;
    let sheets = detected
        .sheets
        .iter()
        .map(|name| (name.clone(), detected.sheet.as_deref() == Some(name.as_str())))
        .collect();
    let encoding = detected.encoding.map(|e| e.label());
    let saved = svc
        .saved_import_mappings(svc.authorize(actor).await?)
        .await?
        .into_iter()
        .map(|m| m.name)
        .collect();
    let (rows, matching, previous_offset, next_offset) = match &mut preview {
        Some(p) => (
            std::mem::take(&mut p.rows),
            p.page.matching,
            p.page.previous_offset,
            p.page.next_offset,
        ),
        None => (Vec::new(), 0, None, None),
    };
    let page = ImportPage {
        shown: rows,
        matching,
        errors_only: wanted.errors_only,
        offset: wanted.offset,
        previous_offset,
        next_offset,
        saved,
        layout: Layout::new(state, member, "imports").await?,
        encoding,
        sheets,
        applying: import.status == ImportStatus::Applying,
        planning,
        import,
        columns,
        targets,
        preview,
        undo,
        search_backlog,
        failed_rows,
        failed_in_all,
        progress,
    };
    let mut res = render(&page)?;
    if page.applying || page.planning.is_some() {
        // Without JavaScript the page refreshes itself while the work runs.
        res.headers_mut()
            .insert("refresh", axum::http::HeaderValue::from_static("2"));
    }
    Ok(res)
}

async fn show(
    State(state): State<AppState>,
    member: Member,
    Path((_, id)): Path<(String, i64)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ConsoleError> {
    let mut wanted = first_rows();
    for pair in raw.as_deref().unwrap_or_default().split('&') {
        match pair.split_once('=') {
            Some(("errors", "1")) => wanted.errors_only = true,
            Some(("offset", n)) => wanted.offset = n.parse().unwrap_or_default(),
            _ => {}
        }
    }
    import_page(&state, &member, id, wanted, None).await
}

async fn save_mapping(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, i64)>,
    post: MemberPost,
) -> Result<Response, ConsoleError> {
    let svc = &state.service;
    let actor = &post.member.actor;
    let import = svc.import(svc.authorize(actor).await?, id).await?;
    let mut columns = import.mapping.columns;
    for column in &mut columns {
        if let Some(target) = post.form.get(&format!("col{}", column.column)).and_then(parse_target) {
            column.target = target;
        }
    }
    svc.set_import_mapping(svc.authorize(actor).await?, id, columns).await?;
    Ok(Redirect::to(&format!("/o/{}/imports/{id}", actor.org_slug)).into_response())
}

async fn choose_sheet(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, i64)>,
    post: MemberPost,
) -> Result<Response, ConsoleError> {
    let svc = &state.service;
    let sheet = post.form.get("sheet").unwrap_or_default();
    svc.choose_import_sheet(svc.authorize(&post.member.actor).await?, id, sheet)
        .await?;
    Ok(Redirect::to(&format!("/o/{}/imports/{id}", post.member.actor.org_slug)).into_response())
}

async fn save_named_mapping(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, i64)>,
    post: MemberPost,
) -> Result<Response, ConsoleError> {
    let svc = &state.service;
    let name = post.form.text("name").unwrap_or_default();
    svc.save_import_mapping(svc.authorize(&post.member.actor).await?, id, &name)
        .await?;
    Ok(Redirect::to(&format!("/o/{}/imports/{id}", post.member.actor.org_slug)).into_response())
}

async fn use_named_mapping(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, i64)>,
    post: MemberPost,
) -> Result<Response, ConsoleError> {
    let svc = &state.service;
    let name = post.form.text("name").unwrap_or_default();
    svc.use_saved_mapping(svc.authorize(&post.member.actor).await?, id, &name)
        .await?;
    Ok(Redirect::to(&format!("/o/{}/imports/{id}", post.member.actor.org_slug)).into_response())
}

async fn apply(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, i64)>,
    post: MemberPost,
) -> Result<Response, ConsoleError> {
    let svc = &state.service;
    let actor = &post.member.actor;
    let options = ImportOptions {
        existing: if post.form.get("existing") == Some("skip") {
            Existing::Skip
        } else {
            Existing::Update
        },
        all_or_nothing: post.form.checked("all_or_nothing"),
    };
    svc.apply_import(svc.authorize(actor).await?, id, options).await?;
    Ok(Redirect::to(&format!("/o/{}/imports/{id}", actor.org_slug)).into_response())
}

async fn cancel(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, i64)>,
    post: MemberPost,
) -> Result<Response, ConsoleError> {
    // (One button, no confirmation: the page refreshes itself every two
    // seconds while the import runs, and would clear a checkbox.)
    let svc = &state.service;
    svc.cancel_import(svc.authorize(&post.member.actor).await?, id).await?;
    import_page(&state, &post.member, id, first_rows(), None).await
}

async fn undo(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, i64)>,
    post: MemberPost,
) -> Result<Response, ConsoleError> {
    // The form's checkbox is required; a post without it is not an admin's.
    if !post.form.checked("confirm") {
        return Err(ConsoleError::BadRequest);
    }
    let svc = &state.service;
    let report = svc.undo_import(svc.authorize(&post.member.actor).await?, id).await?;
    import_page(&state, &post.member, id, first_rows(), Some(report)).await
}

async fn report_csv(
    State(state): State<AppState>,
    member: Member,
    Path((_, id)): Path<(String, i64)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ConsoleError> {
    report(&state, &member, id, ReportFormat::Csv, raw).await
}

async fn report_xlsx(
    State(state): State<AppState>,
    member: Member,
    Path((_, id)): Path<(String, i64)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ConsoleError> {
    report(&state, &member, id, ReportFormat::Xlsx, raw).await
}

/// The report; `?errors=1` for the rows with errors only.
async fn report(
    state: &AppState,
    member: &Member,
    id: i64,
    format: ReportFormat,
    query: Option<String>,
) -> Result<Response, ConsoleError> {
    let svc = &state.service;
    // Before applying, the report is the preview as a file. The console
    // previews with the default options (an import's options are chosen,
    // and stored, when it is applied; afterwards they play no part).
    let request = ReportRequest {
        format,
        options: ImportOptions::default(),
        failed_only: query.as_deref() == Some("errors=1"),
    };
    let file = svc
        .import_report(svc.authorize(&member.actor).await?, id, request)
        .await?;
    crate::api::download(id, request, file).map_err(|e| ConsoleError::Service(e.error))
}
