//! Exports: start one (a job), follow it, download its file; and the
//! Imports/Exports dashboard's list.

use axum::extract::{Path, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Json;
use roster_service::exports::{ExportRequest, ExportView};
use roster_service::{ActivityFilter, ActivityView, ServiceError};

use super::{json, schematic, ApiJson, ApiQuery, Authed, Body, Endpoint, Items};
use crate::{ApiError, AppState};

pub const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: "post",
        path: "/api/v1/orgs/{slug}/exports",
        summary: "Start an export (`kind`: members with `filter`, teams, team-members with `team`, invitations, audit with `since`/`until`, content with `app`, organization, statistics with `since`/`until`; `format`: xlsx or csv with `csv_dialect`). It runs as a job: follow it with GET …/exports/{id}; the requester is mailed a link when it is ready",
        permission: "members.export + members.read",
        query: None,
        request: json::<ExportRequest>(),
        response: (202, json::<ExportView>()),
        also: &[],
        handler: || post(create),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/orgs/{slug}/exports/{id}",
        summary: "An export: status, progress (rows_done of rows_total), expires_at, why it failed",
        permission: "members.export",
        query: None,
        request: Body::Empty,
        response: (200, json::<ExportView>()),
        also: &[],
        handler: || get(show),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/orgs/{slug}/exports/{id}/file",
        summary: "The export's file while it is ready; 409 before, 410 after its retention (the file is deleted)",
        permission: "members.export",
        query: None,
        request: Body::Empty,
        response: (
            200,
            Body::File {
                name: "ExportFile",
                media_types: &[
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    "text/csv",
                ],
            },
        ),
        also: &[],
        handler: || get(file),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/orgs/{slug}/jobs",
        summary: "The Imports/Exports dashboard: imports and exports of the job history period, newest first, with status and progress; filters kind and status",
        permission: "org.read",
        query: Some(schematic::<ActivityFilter>()),
        request: Body::Empty,
        response: (200, json::<Items<ActivityView>>()),
        also: &[],
        handler: || get(jobs),
    },
];

/// An export's id from the path: 32 hex digits, or nothing that exists.
fn export_id(params: &[(String, String)]) -> Result<String, ApiError> {
    params
        .iter()
        .find(|(k, _)| k == "id")
        .map(|(_, v)| v.clone())
        .filter(|v| v.len() == 32 && v.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or_else(|| ServiceError::NotFound("export").into())
}

async fn create(
    State(s): State<AppState>,
    Authed(actor): Authed,
    ApiJson(request): ApiJson<ExportRequest>,
) -> Result<(StatusCode, Json<ExportView>), ApiError> {
    let view = s
        .service
        .create_export(s.service.authorize(&actor).await?, request)
        .await?;
    Ok((StatusCode::ACCEPTED, Json(view)))
}

async fn show(
    State(s): State<AppState>,
    Authed(actor): Authed,
    Path(params): Path<Vec<(String, String)>>,
) -> Result<Json<ExportView>, ApiError> {
    let can = s.service.authorize(&actor).await?;
    Ok(Json(s.service.export(can, &export_id(&params)?).await?))
}

async fn file(
    State(s): State<AppState>,
    Authed(actor): Authed,
    Path(params): Path<Vec<(String, String)>>,
) -> Result<axum::response::Response, ApiError> {
    let can = s.service.authorize(&actor).await?;
    let reader = s.service.export_file(can, &export_id(&params)?).await?;
    Ok(export_response(reader))
}

/// The file as a download under the name Roster gave it (RFC 6266).
pub fn export_response(reader: roster_service::exports::ExportReader) -> axum::response::Response {
    let mut headers = vec![
        (CONTENT_TYPE, reader.content_type().to_owned()),
        (CONTENT_DISPOSITION, crate::files::attachment(&reader.view.file_name)),
    ];
    if let Some(size) = reader.view.size_bytes {
        headers.push((CONTENT_LENGTH, size.to_string()));
    }
    let body = crate::files::stream_export(reader);
    let mut response = (StatusCode::OK, body).into_response();
    for (name, value) in headers {
        if let Ok(value) = value.parse() {
            response.headers_mut().insert(name, value);
        }
    }
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    response
}

async fn jobs(
    State(s): State<AppState>,
    Authed(actor): Authed,
    ApiQuery(filter): ApiQuery<ActivityFilter>,
) -> Result<Json<Items<ActivityView>>, ApiError> {
    Ok(Json(Items {
        items: s.service.activity(s.service.authorize(&actor).await?, filter).await?,
    }))
}
