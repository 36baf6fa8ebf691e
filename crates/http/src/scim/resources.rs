//! `/Users` and `/Groups`: each handler reads the request, calls one
//! service function and writes the answer (RFC 7644 §3.3–§3.6).

use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use roster_service::scim::{ListRequest, Written};
use serde_json::Value;

use super::search::search_request;
use super::{if_match, json_body, resource, scim_json, ScimAuth, ScimFailure, ScimQuery};
use crate::AppState;

type Answer = Result<Response, ScimFailure>;

/// `If-None-Match` naming the current version: 304, nothing to send.
fn not_modified(headers: &HeaderMap, version: &str) -> bool {
    let opaque = |t: &str| t.trim().trim_start_matches("W/").trim_matches('"').to_owned();
    headers
        .get("if-none-match")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|h| h.trim() == "*" || h.split(',').any(|t| opaque(t) == opaque(version)))
}

fn location(auth: &ScimAuth, kind: &str, body: &Value) -> Option<String> {
    body.get("id")
        .and_then(Value::as_str)
        .map(|id| format!("{}/{kind}/{id}", auth.0.base()))
}

pub async fn list_users(State(state): State<AppState>, auth: ScimAuth, query: ScimQuery) -> Answer {
    let request = query.list_request()?;
    let body = state.service.scim_list_users(&auth.0, request).await?;
    Ok(scim_json(StatusCode::OK, &body))
}

pub async fn search_users(State(state): State<AppState>, auth: ScimAuth, request: Request) -> Answer {
    let (_, body) = json_body(request).await?;
    let request: ListRequest = search_request(&body)?;
    let body = state.service.scim_list_users(&auth.0, request).await?;
    Ok(scim_json(StatusCode::OK, &body))
}

pub async fn get_user(
    State(state): State<AppState>,
    auth: ScimAuth,
    Path(id): Path<String>,
    query: ScimQuery,
    headers: HeaderMap,
) -> Answer {
    let answer = state.service.scim_get_user(&auth.0, &id, &query.shape()).await?;
    if not_modified(&headers, &answer.version) {
        return Ok(StatusCode::NOT_MODIFIED.into_response());
    }
    Ok(resource(StatusCode::OK, answer, None))
}

pub async fn create_user(State(state): State<AppState>, auth: ScimAuth, query: ScimQuery, request: Request) -> Answer {
    let (_, body) = json_body(request).await?;
    let answer = state.service.scim_create_user(&auth.0, body, &query.shape()).await?;
    let at = location(&auth, "Users", &answer.body);
    Ok(resource(StatusCode::CREATED, answer, at))
}

pub async fn replace_user(
    State(state): State<AppState>,
    auth: ScimAuth,
    Path(id): Path<String>,
    query: ScimQuery,
    request: Request,
) -> Answer {
    let (headers, body) = json_body(request).await?;
    let answer = state
        .service
        .scim_replace_user(&auth.0, &id, body, if_match(&headers).as_deref(), &query.shape())
        .await?;
    Ok(resource(StatusCode::OK, answer, None))
}

pub async fn patch_user(
    State(state): State<AppState>,
    auth: ScimAuth,
    Path(id): Path<String>,
    query: ScimQuery,
    request: Request,
) -> Answer {
    let (headers, body) = json_body(request).await?;
    let answer = state
        .service
        .scim_patch_user(&auth.0, &id, body, if_match(&headers).as_deref(), &query.shape())
        .await?;
    Ok(resource(StatusCode::OK, answer, None))
}

pub async fn delete_user(
    State(state): State<AppState>,
    auth: ScimAuth,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Answer {
    state
        .service
        .scim_delete_user(&auth.0, &id, if_match(&headers).as_deref())
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn list_groups(State(state): State<AppState>, auth: ScimAuth, query: ScimQuery) -> Answer {
    let request = query.list_request()?;
    let body = state.service.scim_list_groups(&auth.0, request).await?;
    Ok(scim_json(StatusCode::OK, &body))
}

pub async fn search_groups(State(state): State<AppState>, auth: ScimAuth, request: Request) -> Answer {
    let (_, body) = json_body(request).await?;
    let request = search_request(&body)?;
    let body = state.service.scim_list_groups(&auth.0, request).await?;
    Ok(scim_json(StatusCode::OK, &body))
}

pub async fn get_group(
    State(state): State<AppState>,
    auth: ScimAuth,
    Path(id): Path<String>,
    query: ScimQuery,
    headers: HeaderMap,
) -> Answer {
    let answer = state.service.scim_get_group(&auth.0, &id, &query.shape()).await?;
    if not_modified(&headers, &answer.version) {
        return Ok(StatusCode::NOT_MODIFIED.into_response());
    }
    Ok(resource(StatusCode::OK, answer, None))
}

pub async fn create_group(State(state): State<AppState>, auth: ScimAuth, query: ScimQuery, request: Request) -> Answer {
    let (_, body) = json_body(request).await?;
    let answer = state.service.scim_create_group(&auth.0, body, &query.shape()).await?;
    let at = location(&auth, "Groups", &answer.body);
    Ok(resource(StatusCode::CREATED, answer, at))
}

pub async fn replace_group(
    State(state): State<AppState>,
    auth: ScimAuth,
    Path(id): Path<String>,
    query: ScimQuery,
    request: Request,
) -> Answer {
    let (headers, body) = json_body(request).await?;
    let answer = state
        .service
        .scim_replace_group(&auth.0, &id, body, if_match(&headers).as_deref(), &query.shape())
        .await?;
    Ok(resource(StatusCode::OK, answer, None))
}

pub async fn patch_group(
    State(state): State<AppState>,
    auth: ScimAuth,
    Path(id): Path<String>,
    query: ScimQuery,
    request: Request,
) -> Answer {
    let (headers, body) = json_body(request).await?;
    let written = state
        .service
        .scim_patch_group(&auth.0, &id, body, if_match(&headers).as_deref(), &query.shape())
        .await?;
    Ok(match written {
        Written::Resource(answer) => resource(StatusCode::OK, answer, None),
        Written::NoContent => StatusCode::NO_CONTENT.into_response(),
    })
}

pub async fn delete_group(
    State(state): State<AppState>,
    auth: ScimAuth,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Answer {
    state
        .service
        .scim_delete_group(&auth.0, &id, if_match(&headers).as_deref())
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
