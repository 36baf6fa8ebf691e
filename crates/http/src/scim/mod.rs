//! SCIM 2.0 under `/scim/v2` (RFC 7643, RFC 7644): the door an identity
//! provider (Entra ID, Okta) provisions members and directory teams
//! through. The organization is the bearer token's. This module speaks
//! the protocol — media types, bodies, query parameters, ETags, errors —
//! and hands `roster_service::scim` parsed requests.

mod discovery;
mod error;
mod resources;
mod search;

use axum::extract::{FromRequestParts, Request};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::Router;
use roster_scim::{Filter, Page};
use roster_service::scim::{ListRequest, ScimAnswer, ScimClient, Shape};
use serde_json::Value;

pub use error::ScimFailure;

use crate::AppState;

/// SCIM's media type (RFC 7644 §3.1), for every answer.
pub const SCIM_JSON: &str = "application/scim+json";

/// The largest request body taken (a group's members in one PUT: some
/// 150,000). Larger is 413.
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// Where SCIM lives under the base URL.
pub const PREFIX: &str = "/scim/v2";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            &format!("{PREFIX}/ServiceProviderConfig"),
            any(discovery::service_provider_config),
        )
        .route(&format!("{PREFIX}/ResourceTypes"), any(discovery::resource_types))
        .route(&format!("{PREFIX}/ResourceTypes/{{id}}"), any(discovery::resource_type))
        .route(&format!("{PREFIX}/Schemas"), any(discovery::schemas))
        .route(&format!("{PREFIX}/Schemas/{{id}}"), any(discovery::schema))
        .route(
            &format!("{PREFIX}/Users"),
            get(resources::list_users).post(resources::create_user),
        )
        .route(&format!("{PREFIX}/Users/.search"), post(resources::search_users))
        .route(
            &format!("{PREFIX}/Users/{{id}}"),
            get(resources::get_user)
                .put(resources::replace_user)
                .patch(resources::patch_user)
                .delete(resources::delete_user),
        )
        .route(
            &format!("{PREFIX}/Groups"),
            get(resources::list_groups).post(resources::create_group),
        )
        .route(&format!("{PREFIX}/Groups/.search"), post(resources::search_groups))
        .route(
            &format!("{PREFIX}/Groups/{{id}}"),
            get(resources::get_group)
                .put(resources::replace_group)
                .patch(resources::patch_group)
                .delete(resources::delete_group),
        )
        .route(&format!("{PREFIX}/.search"), post(search::search_everything))
        .route(&format!("{PREFIX}/Bulk"), any(discovery::bulk))
        .route(&format!("{PREFIX}/Me"), any(discovery::me))
        .route(&format!("{PREFIX}/{{*rest}}"), any(discovery::unknown))
        .route(PREFIX, any(discovery::unknown))
}

/// The identity provider behind the request's bearer token.
pub struct ScimAuth(pub ScimClient);

impl FromRequestParts<AppState> for ScimAuth {
    type Rejection = ScimFailure;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ScimFailure> {
        let context = crate::context::context_of(parts);
        // A token in a URL ends up in logs and histories: refused outright
        // (RFC 7644 §7.5.2; HOSTILE 26).
        if parts.uri.query().is_some_and(|q| {
            form_urlencoded::parse(q.as_bytes()).any(|(k, _)| {
                let k = k.to_ascii_lowercase();
                k == "access_token" || k == "token" || k == "bearer" || k == "authorization"
            })
        }) {
            state
                .service
                .audit_refusal(None, "scim:url-token", "scim.token_in_url", &context)
                .await;
            return Err(roster_service::ServiceError::Unauthenticated.into());
        }
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, rest) = v.trim().split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim().to_owned())
            })
            .filter(|t| !t.is_empty())
            .ok_or(roster_service::ServiceError::Unauthenticated)?;
        let base = format!("{}{PREFIX}", state.config.base_url.trim_end_matches('/'));
        Ok(ScimAuth(state.service.scim_client(&token, base, context).await?))
    }
}

/// Query parameters, read as SCIM names them (names without regard to case).
pub struct ScimQuery(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for ScimQuery {
    type Rejection = ScimFailure;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ScimFailure> {
        let pairs = parts
            .uri
            .query()
            .map(|q| {
                form_urlencoded::parse(q.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect()
            })
            .unwrap_or_default();
        Ok(ScimQuery(pairs))
    }
}

impl ScimQuery {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn shape(&self) -> Shape {
        Shape {
            attributes: self.get("attributes").map(str::to_owned),
            excluded_attributes: self.get("excludedAttributes").map(str::to_owned),
        }
    }

    pub fn list_request(&self) -> Result<ListRequest, ScimFailure> {
        let filter = match self.get("filter") {
            Some(f) if !f.trim().is_empty() => Some(Filter::parse(f)?),
            _ => None,
        };
        Ok(ListRequest {
            filter,
            page: Page::parse(self.get("startIndex"), self.get("count"))?,
            attributes: self.get("attributes").map(str::to_owned),
            excluded_attributes: self.get("excludedAttributes").map(str::to_owned),
        })
    }
}

/// A request's JSON body: in `application/scim+json` or `application/json`
/// (any parameters, such as Entra ID's `charset=utf-8`; a body without a
/// type is read as JSON), at most [`MAX_BODY_BYTES`].
pub async fn json_body(request: Request) -> Result<(HeaderMap, Value), ScimFailure> {
    let (parts, body) = request.into_parts();
    if let Some(kind) = parts.headers.get("content-type") {
        let kind = kind.to_str().unwrap_or_default();
        let essence = kind.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        if essence != "application/scim+json" && essence != "application/json" {
            return Err(ScimFailure::status(
                415,
                format!("send the body as application/scim+json or application/json, not {kind:?}"),
            ));
        }
    }
    let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES).await.map_err(|_| {
        ScimFailure::status(
            413,
            format!("the body is larger than {} MiB", MAX_BODY_BYTES / (1024 * 1024)),
        )
    })?;
    let value: Value =
        serde_json::from_slice(&bytes).map_err(|e| error::invalid_syntax(format!("the body is not JSON: {e}")))?;
    Ok((parts.headers, value))
}

/// `If-Match`, for writes.
pub fn if_match(headers: &HeaderMap) -> Option<String> {
    headers.get("if-match").and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// A SCIM JSON answer.
pub fn scim_json(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static(SCIM_JSON));
    response
}

/// A resource answer: its JSON, `ETag`, `Location` (on a 201: the new
/// resource's URI), and a notice.
pub fn resource(status: StatusCode, answer: ScimAnswer, location: Option<String>) -> Response {
    let mut response = (status, answer.to_json()).into_response();
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static(SCIM_JSON));
    let headers = response.headers_mut();
    if let Ok(tag) = HeaderValue::from_str(&answer.version) {
        headers.insert("etag", tag);
    }
    if let Some(Ok(location)) = location.as_deref().map(HeaderValue::from_str) {
        headers.insert("location", location);
    }
    if let Some(Ok(notice)) = answer.notice.as_deref().map(HeaderValue::from_str) {
        headers.insert("roster-notice", notice);
    }
    response
}
