//! SCIM's error message (RFC 7644 §3.12): `status` as a string, a
//! `scimType` where the RFC names one, a `detail` for people. Service
//! errors become SCIM errors here, in one place; a 5xx is logged with its
//! cause and shown as an id only.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use roster_scim::schema::ERROR;
use roster_scim::{ScimError, ScimType};
use roster_service::ServiceError;
use serde_json::json;

use super::SCIM_JSON;

/// An error on the SCIM door.
#[derive(Debug)]
pub struct ScimFailure(pub ServiceError);

impl From<ServiceError> for ScimFailure {
    fn from(e: ServiceError) -> Self {
        Self(e)
    }
}

impl From<ScimError> for ScimFailure {
    fn from(e: ScimError) -> Self {
        Self(ServiceError::Scim(e))
    }
}

impl ScimFailure {
    pub fn status(status: u16, detail: impl Into<String>) -> Self {
        ScimError::status(status, detail).into()
    }
}

/// The SCIM error for a service error.
fn scim_error(error: &ServiceError) -> ScimError {
    match error {
        ServiceError::Scim(e) => e.clone(),
        ServiceError::NotFound(what) => ScimError::not_found(format!("no {what} with this id")),
        ServiceError::UnknownCursor => ScimError::invalid_value("unknown position"),
        ServiceError::Unauthenticated => ScimError::status(
            401,
            "a SCIM token of the organization is needed: Authorization: Bearer rsc_… (never in the URL)",
        ),
        ServiceError::MissingPermission(m) | ServiceError::Forbidden(m) => ScimError::status(403, m.clone()),
        ServiceError::Invalid(i) => ScimError::invalid_value(format!("{}: {}", i.field, i.message)),
        ServiceError::Conflict { code, message, .. } if *code == "already_exists" || *code == "looks_alike" => {
            ScimError::uniqueness(message.clone())
        }
        ServiceError::Conflict { message, .. } => ScimError::invalid_value(message.clone()),
        ServiceError::SeatShortfall { .. } | ServiceError::Transition(_) => ScimError::invalid_value(error.to_string()),
        ServiceError::RateLimited => ScimError::status(429, error.to_string()),
        ServiceError::SsoRequired { .. } => ScimError::status(403, error.to_string()),
        ServiceError::Busy | ServiceError::Overloaded(_) => ScimError::status(503, error.to_string()),
        ServiceError::Gone { message, .. } => ScimError::not_found(message.clone()),
        ServiceError::Internal(_) => ScimError::status(500, "internal error"),
    }
}

impl IntoResponse for ScimFailure {
    fn into_response(self) -> Response {
        let mut scim = scim_error(&self.0);
        if scim.status >= 500 && !matches!(self.0, ServiceError::Busy | ServiceError::Overloaded(_)) {
            let id = crate::context::REQUEST_ID
                .try_with(Clone::clone)
                .unwrap_or_else(|_| "unknown".into());
            let mut chain = String::new();
            let mut source: Option<&dyn std::error::Error> = Some(&self.0);
            while let Some(err) = source {
                chain.push_str(&format!(": {err}"));
                source = err.source();
            }
            tracing::error!(error_id = %id, cause = %chain, "internal error");
            scim.detail = format!("something went wrong on our side; quote error id {id}");
        }
        let mut body = json!({
            "schemas": [ERROR],
            "status": scim.status.to_string(),
            "detail": scim.detail,
        });
        if let Some(t) = scim.scim_type {
            body["scimType"] = json!(t.as_str());
        }
        let status = StatusCode::from_u16(scim.status).unwrap_or(StatusCode::BAD_REQUEST);
        let mut response = (status, body.to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert("content-type", HeaderValue::from_static(SCIM_JSON));
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(
                "www-authenticate",
                HeaderValue::from_static("Bearer realm=\"Roster SCIM\""),
            );
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            headers.insert("retry-after", HeaderValue::from_static(crate::error::BUSY_RETRY_AFTER));
        }
        response
    }
}

/// `invalidSyntax` for a body that is not what the operation takes.
pub fn invalid_syntax(detail: impl Into<String>) -> ScimFailure {
    ScimError::new(ScimType::InvalidSyntax, detail).into()
}
