//! Discovery (RFC 7644 §4): `/ServiceProviderConfig`, `/ResourceTypes`,
//! `/Schemas` — read-only (any other method is 405), true to what is
//! implemented, and per organization (its custom fields are attributes).
//! Also what Roster does not do: `/Bulk` and `/Me` answer 501, anything
//! else under `/scim/v2` 404, all in SCIM's error format.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use roster_scim::schema::{self, Resource};
use serde_json::Value;

use super::{scim_json, ScimAuth, ScimFailure, MAX_BODY_BYTES};
use crate::AppState;

fn read_only(method: &Method) -> Result<(), ScimFailure> {
    if method == Method::GET || method == Method::HEAD {
        return Ok(());
    }
    Err(ScimFailure::status(
        405,
        format!("{method} is not allowed here: discovery endpoints are read with GET"),
    ))
}

fn with_allow(result: Result<Response, ScimFailure>) -> Response {
    let mut response = match result {
        Ok(r) => r,
        Err(e) => e.into_response(),
    };
    if response.status() == StatusCode::METHOD_NOT_ALLOWED {
        response.headers_mut().insert("allow", HeaderValue::from_static("GET"));
    }
    response
}

fn base_of(state: &AppState) -> String {
    format!("{}{}", state.config.base_url.trim_end_matches('/'), super::PREFIX)
}

async fn resources(state: &AppState, auth: &ScimAuth) -> Result<Vec<Resource>, ScimFailure> {
    Ok(vec![
        state.service.scim_user_resource(&auth.0).await?,
        state.service.scim_group_resource(),
    ])
}

fn list(items: Vec<Value>) -> Value {
    let page = roster_scim::Page {
        start: 1,
        count: items.len(),
    };
    roster_scim::list::list_response(items.len(), page, items)
}

pub async fn service_provider_config(
    method: Method,
    State(state): State<AppState>,
    auth: Result<ScimAuth, ScimFailure>,
) -> Response {
    with_allow(
        async {
            read_only(&method)?;
            auth?;
            let base = base_of(&state);
            let docs = format!("{}/docs/SCIM.md", state.config.base_url.trim_end_matches('/'));
            Ok(scim_json(
                StatusCode::OK,
                &schema::service_provider_config(&base, &docs, roster_scim::list::MAX_COUNT, MAX_BODY_BYTES),
            ))
        }
        .await,
    )
}

pub async fn resource_types(
    method: Method,
    State(state): State<AppState>,
    auth: Result<ScimAuth, ScimFailure>,
) -> Response {
    with_allow(
        async {
            read_only(&method)?;
            let auth = auth?;
            let base = base_of(&state);
            let items = resources(&state, &auth)
                .await?
                .iter()
                .map(|r| r.resource_type_json(&base))
                .collect();
            Ok(scim_json(StatusCode::OK, &list(items)))
        }
        .await,
    )
}

pub async fn resource_type(
    method: Method,
    State(state): State<AppState>,
    Path(id): Path<String>,
    auth: Result<ScimAuth, ScimFailure>,
) -> Response {
    with_allow(
        async {
            read_only(&method)?;
            let auth = auth?;
            let base = base_of(&state);
            let found = resources(&state, &auth).await?.into_iter().find(|r| r.name == id);
            match found {
                Some(r) => Ok(scim_json(StatusCode::OK, &r.resource_type_json(&base))),
                None => Err(ScimFailure::status(404, format!("no resource type {id:?}"))),
            }
        }
        .await,
    )
}

async fn all_schemas(state: &AppState, auth: &ScimAuth) -> Result<Vec<schema::Schema>, ScimFailure> {
    let mut out = Vec::new();
    for r in resources(state, auth).await? {
        out.push(r.core);
        out.extend(r.extensions);
    }
    out.extend(schema::discovery_schemas());
    Ok(out)
}

pub async fn schemas(method: Method, State(state): State<AppState>, auth: Result<ScimAuth, ScimFailure>) -> Response {
    with_allow(
        async {
            read_only(&method)?;
            let auth = auth?;
            let base = base_of(&state);
            let items = all_schemas(&state, &auth)
                .await?
                .iter()
                .map(|s| s.to_json(&base))
                .collect();
            Ok(scim_json(StatusCode::OK, &list(items)))
        }
        .await,
    )
}

pub async fn schema(
    method: Method,
    State(state): State<AppState>,
    Path(id): Path<String>,
    auth: Result<ScimAuth, ScimFailure>,
) -> Response {
    with_allow(
        async {
            read_only(&method)?;
            let auth = auth?;
            let base = base_of(&state);
            let found = all_schemas(&state, &auth)
                .await?
                .into_iter()
                .find(|s| s.id.eq_ignore_ascii_case(&id));
            match found {
                Some(s) => Ok(scim_json(StatusCode::OK, &s.to_json(&base))),
                None => Err(ScimFailure::status(404, format!("no schema {id:?}"))),
            }
        }
        .await,
    )
}

/// Bulk (RFC 7644 §3.7) is not offered (`bulk.supported: false`).
pub async fn bulk(auth: Result<ScimAuth, ScimFailure>) -> Result<Response, ScimFailure> {
    auth?;
    Err(ScimFailure::status(
        501,
        "bulk operations are not supported (ServiceProviderConfig says so): send each operation on its own",
    ))
}

/// `/Me` (RFC 7644 §3.11): a SCIM token is the identity provider, not a user.
pub async fn me(auth: Result<ScimAuth, ScimFailure>) -> Result<Response, ScimFailure> {
    auth?;
    Err(ScimFailure::status(
        501,
        "/Me is not supported: a SCIM token acts for the identity provider, not for a user",
    ))
}

pub async fn unknown(auth: Result<ScimAuth, ScimFailure>) -> Result<Response, ScimFailure> {
    auth?;
    Err(ScimFailure::status(404, "no such SCIM endpoint"))
}
