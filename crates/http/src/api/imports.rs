//! Imports: upload a CSV file, read and change its mapping, preview, apply
//! (a background job), cancel, report, undo.

use axum::extract::{DefaultBodyLimit, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post, put};
use axum::Json;
use roster_service::imports::{
    ColumnMapping, Existing, ImportOptions, ImportView, Preview, PreviewOrProgress, PreviewRows, ReportFormat,
    ReportRequest, UndoReport,
};
use roster_service::SavedMappingView;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{json, schematic, ApiJson, ApiQuery, Authed, Body, Endpoint, Ids, Items};
use crate::{ApiError, AppState};

use crate::files::{spool_upload, upload_too_large_message, UploadError};

pub const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: "get",
        path: "/api/v1/orgs/{slug}/imports",
        summary: "Imports, newest first",
        permission: "members.import",
        query: None,
        request: Body::Empty,
        response: (200, json::<Items<ImportView>>()),
        also: &[],
        handler: || get(list).post(upload).layer(DefaultBodyLimit::disable()),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/orgs/{slug}/imports",
        summary: "Upload a CSV file or Excel workbook (the request body; `?file_name=`; for a workbook `?sheet=NAME`, else its first sheet with cells is read); detects format, encoding and delimiter and maps columns by header",
        permission: "members.import",
        query: Some(schematic::<UploadQuery>()),
        request: Body::File {
            name: "ImportFile",
            media_types: UPLOAD_MEDIA_TYPES,
        },
        response: (201, json::<ImportView>()),
        also: &[],
        handler: || get(list).post(upload).layer(DefaultBodyLimit::disable()),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/orgs/{slug}/imports/{id}",
        summary: "An import: detected format, mapping, status, summary",
        permission: "members.import",
        query: None,
        request: Body::Empty,
        response: (200, json::<ImportWithProgress>()),
        also: &[],
        handler: || get(show),
    },
    Endpoint {
        method: "put",
        path: "/api/v1/orgs/{slug}/imports/{id}/mapping",
        summary: "Change the mapping: one entry per column, target a field, a custom field or skip",
        permission: "members.import",
        query: None,
        request: json::<MappingInput>(),
        response: (200, json::<ImportView>()),
        also: &[],
        handler: || put(set_mapping),
    },
    Endpoint {
        method: "put",
        path: "/api/v1/orgs/{slug}/imports/{id}/sheet",
        summary: "Read a workbook from another of its sheets (one of detected.sheets); its columns are mapped afresh from that sheet's header",
        permission: "members.import",
        query: None,
        request: json::<SheetInput>(),
        response: (200, json::<ImportView>()),
        also: &[],
        handler: || put(choose_sheet),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/orgs/{slug}/imports/{id}/mapping/save",
        summary: "Save the import's mapping under a name, by header, to reuse with the next file",
        permission: "members.import",
        query: None,
        request: json::<SavedMappingName>(),
        response: (200, json::<SavedMappingView>()),
        also: &[],
        handler: || post(save_mapping),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/orgs/{slug}/imports/{id}/mapping/use",
        summary: "Apply a saved mapping to this import (columns matched by header)",
        permission: "members.import",
        query: None,
        request: json::<SavedMappingName>(),
        response: (200, json::<ImportView>()),
        also: &[],
        handler: || post(use_mapping),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/orgs/{slug}/import-mappings",
        summary: "Saved import mappings",
        permission: "members.import",
        query: None,
        request: Body::Empty,
        response: (200, json::<Items<SavedMappingView>>()),
        also: &[],
        handler: || get(saved_mappings),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/orgs/{slug}/imports/{id}/preview",
        summary: "Dry run: per row create, update, unchanged or error with reasons; totals; seat shortfall. Rows come a page at a time: ?offset=0&limit=1000 (at most 10000), ?errors=true for rows with errors only; page.next_offset says where the next page starts. Pages come from one planning of the file (planned_at), kept until anything in the organization, the mapping or the options changes; for every row at once, read report.csv, which before applying is the preview as a file. With ?wait=SECONDS (at most 30) a large file is planned in the background: 202 {status: planning, done, total} with Retry-After until the preview is ready, then 200",
        permission: "members.import",
        query: Some(schematic::<PreviewQuery>()),
        request: json::<ImportOptions>(),
        response: (200, json::<Preview>()),
        also: &[(202, json::<Planning>())],
        handler: || post(preview),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/orgs/{slug}/imports/{id}/apply",
        summary: "Apply as a background job (see the import's job_id); never sends invitations",
        permission: "members.import",
        query: None,
        request: json::<ImportOptions>(),
        response: (202, json::<ImportView>()),
        also: &[],
        handler: || post(apply),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/orgs/{slug}/imports/{id}/cancel",
        summary: "Stop an import being applied: it stops before its next chunk commits and takes back the rows it committed (members edited or connected since are kept); 202, the import reads as cancelled when it has stopped",
        permission: "members.import",
        query: None,
        request: Body::Empty,
        response: (202, json::<ImportView>()),
        also: &[],
        handler: || post(cancel),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/orgs/{slug}/imports/{id}/report.csv",
        summary: "The per-row report: the uploaded columns plus status and reason (?errors=true: only the rows with errors, the file to fix and upload again). Before applying it is the preview as a file, planned with the preview's options given as query parameters (?existing=skip&all_or_nothing=true); after applying, what was done",
        permission: "members.import",
        query: Some(schematic::<ReportQuery>()),
        request: Body::Empty,
        response: (200, Body::File { name: "ImportReportCsv", media_types: &["text/csv"] }),
        also: &[],
        handler: || get(report),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/orgs/{slug}/imports/{id}/report.xlsx",
        summary: "The per-row report as an Excel workbook (every cell a string, never a formula); the same query parameters as report.csv",
        permission: "members.import",
        query: Some(schematic::<ReportQuery>()),
        request: Body::Empty,
        response: (200, Body::File { name: "ImportReportXlsx", media_types: &["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"] }),
        also: &[],
        handler: || get(report_xlsx),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/orgs/{slug}/imports/{id}/undo",
        summary: "Undo an applied import, or the rows a failed import committed before it stopped; members edited or connected since are kept and named",
        permission: "members.import",
        query: None,
        request: Body::Empty,
        response: (200, json::<UndoReport>()),
        also: &[],
        handler: || post(undo),
    },
];

/// What an upload may be: a CSV or TSV text, or an Excel workbook.
const UPLOAD_MEDIA_TYPES: &[&str] = &[
    "text/csv",
    "text/tab-separated-values",
    "text/plain",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/octet-stream",
];

async fn list(State(s): State<AppState>, Authed(actor): Authed) -> Result<Json<Items<ImportView>>, ApiError> {
    Ok(Json(Items {
        items: s.service.imports(s.service.authorize(&actor).await?).await?,
    }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct UploadQuery {
    /// The file's name, shown in the import history (default `upload.csv`).
    file_name: Option<String>,
    /// The workbook's sheet to read.
    sheet: Option<String>,
}

async fn upload(
    State(s): State<AppState>,
    Authed(actor): Authed,
    ApiQuery(q): ApiQuery<UploadQuery>,
    body: axum::body::Body,
) -> Result<axum::response::Response, ApiError> {
    let can = s.service.authorize(&actor).await?;
    // The body goes to a spool file as it arrives; the sandbox reads it there.
    let limit = s.config.max_upload_bytes;
    let upload = match spool_upload(&s.service, limit, body.into_data_stream()).await {
        Ok(upload) => upload,
        // Said like every other API error, not as the framework's plain text.
        Err(UploadError::TooLarge) => {
            let error = crate::error::ErrorBody {
                error: crate::error::ErrorDetail {
                    code: "file_too_large",
                    message: upload_too_large_message(limit),
                    field: Some("file".into()),
                    error_id: None,
                    seats: None,
                },
            };
            return Ok((StatusCode::PAYLOAD_TOO_LARGE, Json(error)).into_response());
        }
        Err(UploadError::Body(why)) => return Err(crate::error::bad_request("file", "unreadable_upload", why)),
        Err(UploadError::Service(e)) => return Err(e.into()),
    };
    let name = q.file_name.unwrap_or_else(|| "upload.csv".into());
    let import = s
        .service
        .create_import(can, &name, upload.path(), q.sheet.as_deref())
        .await?;
    Ok((StatusCode::CREATED, Json(import)).into_response())
}

/// An import with how far applying it has come.
#[derive(Serialize, JsonSchema)]
struct ImportWithProgress {
    #[serde(flatten)]
    import: ImportView,
    /// Rows done of all rows, while and after the import's job runs.
    progress: Option<ImportProgress>,
}

/// Rows applied so far while the job runs; all rows once it is done.
#[derive(Serialize, JsonSchema)]
struct ImportProgress {
    done: i64,
    total: Option<i64>,
}

async fn show(
    State(s): State<AppState>,
    Authed(actor): Authed,
    Ids([id]): Ids<1>,
) -> Result<Json<ImportWithProgress>, ApiError> {
    let import = s.service.import(s.service.authorize(&actor).await?, id).await?;
    let progress = s
        .service
        .import_progress(s.service.authorize(&actor).await?, &import)
        .await?
        .map(|(done, total)| ImportProgress { done, total });
    Ok(Json(ImportWithProgress { import, progress }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct SheetInput {
    /// One of the workbook's sheets (`detected.sheets`).
    sheet: String,
}

async fn choose_sheet(
    State(s): State<AppState>,
    Authed(actor): Authed,
    Ids([id]): Ids<1>,
    ApiJson(input): ApiJson<SheetInput>,
) -> Result<Json<ImportView>, ApiError> {
    Ok(Json(
        s.service
            .choose_import_sheet(s.service.authorize(&actor).await?, id, &input.sheet)
            .await?,
    ))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct MappingInput {
    /// One entry per column of the file.
    columns: Vec<ColumnMapping>,
}

async fn set_mapping(
    State(s): State<AppState>,
    Authed(actor): Authed,
    Ids([id]): Ids<1>,
    ApiJson(input): ApiJson<MappingInput>,
) -> Result<Json<ImportView>, ApiError> {
    Ok(Json(
        s.service
            .set_import_mapping(s.service.authorize(&actor).await?, id, input.columns)
            .await?,
    ))
}

/// Which rows of the preview to return (`PreviewRows`).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct PreviewQuery {
    /// How many of the matching rows to pass over.
    #[serde(default)]
    offset: usize,
    /// At most this many rows (default 1000, at most 10000).
    #[schemars(range(min = 1, max = 10_000))]
    limit: Option<usize>,
    /// Only the rows with errors.
    #[serde(default)]
    errors: bool,
    /// Seconds to wait for the file to be planned; without it the request
    /// plans the file itself, however long that takes.
    wait: Option<u64>,
}

/// The longest `?wait=` honoured.
const MAX_PREVIEW_WAIT_SECONDS: u64 = 30;

async fn preview(
    State(s): State<AppState>,
    Authed(actor): Authed,
    Ids([id]): Ids<1>,
    ApiQuery(page): ApiQuery<PreviewQuery>,
    ApiJson(options): ApiJson<ImportOptions>,
) -> Result<axum::response::Response, ApiError> {
    let wanted = PreviewRows {
        errors_only: page.errors,
        offset: page.offset,
        limit: page.limit,
    };
    let can = s.service.authorize(&actor).await?;
    let Some(wait) = page.wait else {
        let preview: Preview = s.service.preview_import(can, id, options, wanted).await?;
        return Ok(Json(preview).into_response());
    };
    let wait = std::time::Duration::from_secs(wait.min(MAX_PREVIEW_WAIT_SECONDS));
    Ok(
        match s
            .service
            .preview_import_or_progress(can, id, options, wanted, wait)
            .await?
        {
            PreviewOrProgress::Preview(preview) => Json(*preview).into_response(),
            PreviewOrProgress::Planning { done, total } => (
                StatusCode::ACCEPTED,
                [(axum::http::header::RETRY_AFTER, "1")],
                Json(Planning {
                    status: "planning",
                    done,
                    total,
                }),
            )
                .into_response(),
        },
    )
}

/// The file is still being checked: rows checked of all rows (0 of 0
/// until they are counted). Ask again after Retry-After.
#[derive(Serialize, JsonSchema)]
struct Planning {
    #[schemars(schema_with = "planning_status")]
    status: &'static str,
    done: usize,
    total: usize,
}

fn planning_status(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({"const": "planning"})
}

async fn apply(
    State(s): State<AppState>,
    Authed(actor): Authed,
    Ids([id]): Ids<1>,
    ApiJson(options): ApiJson<ImportOptions>,
) -> Result<(StatusCode, Json<ImportView>), ApiError> {
    Ok((
        StatusCode::ACCEPTED,
        Json(
            s.service
                .apply_import(s.service.authorize(&actor).await?, id, options)
                .await?,
        ),
    ))
}

/// The report's query: the preview's options, and which rows.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ReportQuery {
    #[serde(default)]
    existing: Existing,
    #[serde(default)]
    all_or_nothing: bool,
    /// Only the rows with errors.
    #[serde(default)]
    errors: bool,
}

impl ReportQuery {
    fn request(self, format: ReportFormat) -> ReportRequest {
        ReportRequest {
            format,
            options: ImportOptions {
                existing: self.existing,
                all_or_nothing: self.all_or_nothing,
            },
            failed_only: self.errors,
        }
    }
}

async fn report(
    State(s): State<AppState>,
    Authed(actor): Authed,
    Ids([id]): Ids<1>,
    ApiQuery(query): ApiQuery<ReportQuery>,
) -> Result<impl IntoResponse, ApiError> {
    report_as(&s, &actor, id, query.request(ReportFormat::Csv)).await
}

async fn report_xlsx(
    State(s): State<AppState>,
    Authed(actor): Authed,
    Ids([id]): Ids<1>,
    ApiQuery(query): ApiQuery<ReportQuery>,
) -> Result<impl IntoResponse, ApiError> {
    report_as(&s, &actor, id, query.request(ReportFormat::Xlsx)).await
}

async fn report_as(
    s: &AppState,
    actor: &roster_service::Actor,
    id: i64,
    request: ReportRequest,
) -> Result<impl IntoResponse, ApiError> {
    let file = s
        .service
        .import_report(s.service.authorize(actor).await?, id, request)
        .await?;
    download(id, request, file)
}

/// A report as a download, under a generated name (RFC 6266), never the
/// uploaded one; streamed from its spool file.
pub fn download(
    id: i64,
    request: ReportRequest,
    file: roster_service::Spooled,
) -> Result<axum::response::Response, ApiError> {
    let (ext, content_type) = match request.format {
        ReportFormat::Csv => ("csv", "text/csv; charset=utf-8"),
        ReportFormat::Xlsx => (
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    };
    let what = if request.failed_only { "failed-rows" } else { "report" };
    let disposition = format!("attachment; filename=\"import-{id}-{what}.{ext}\"");
    let internal = |e: std::io::Error| ApiError::from(roster_service::ServiceError::Internal(Box::new(e)));
    let length = file.len().map_err(internal)?;
    let body = crate::files::stream_spooled(file).map_err(internal)?;
    Ok((
        [
            (CONTENT_TYPE, content_type.to_owned()),
            (CONTENT_DISPOSITION, disposition),
            (axum::http::header::CONTENT_LENGTH, length.to_string()),
        ],
        body,
    )
        .into_response())
}

async fn cancel(
    State(s): State<AppState>,
    Authed(actor): Authed,
    Ids([id]): Ids<1>,
) -> Result<(StatusCode, Json<ImportView>), ApiError> {
    let import = s.service.cancel_import(s.service.authorize(&actor).await?, id).await?;
    Ok((StatusCode::ACCEPTED, Json(import)))
}

async fn undo(
    State(s): State<AppState>,
    Authed(actor): Authed,
    Ids([id]): Ids<1>,
) -> Result<Json<UndoReport>, ApiError> {
    Ok(Json(
        s.service.undo_import(s.service.authorize(&actor).await?, id).await?,
    ))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct SavedMappingName {
    #[schemars(regex(pattern = roster_domain::schema::REQUIRED_LINE), length(max = 100))]
    name: String,
}

async fn save_mapping(
    State(s): State<AppState>,
    Authed(actor): Authed,
    Ids([id]): Ids<1>,
    ApiJson(input): ApiJson<SavedMappingName>,
) -> Result<Json<SavedMappingView>, ApiError> {
    Ok(Json(
        s.service
            .save_import_mapping(s.service.authorize(&actor).await?, id, &input.name)
            .await?,
    ))
}

async fn use_mapping(
    State(s): State<AppState>,
    Authed(actor): Authed,
    Ids([id]): Ids<1>,
    ApiJson(input): ApiJson<SavedMappingName>,
) -> Result<Json<ImportView>, ApiError> {
    Ok(Json(
        s.service
            .use_saved_mapping(s.service.authorize(&actor).await?, id, &input.name)
            .await?,
    ))
}

async fn saved_mappings(
    State(s): State<AppState>,
    Authed(actor): Authed,
) -> Result<Json<Items<SavedMappingView>>, ApiError> {
    Ok(Json(Items {
        items: s
            .service
            .saved_import_mappings(s.service.authorize(&actor).await?)
            .await?,
    }))
}
