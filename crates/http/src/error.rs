//! The one place where errors become HTTP responses:
//! `{"error": {"code", "message", "field"}}` with a stable code. A 5xx is
//! logged with its whole cause chain and shown only as an opaque id.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use roster_service::ServiceError;
use schemars::JsonSchema;
use serde::Serialize;

#[derive(Debug)]
pub struct ApiError {
    pub error: ServiceError,
    pub request_id: Option<String>,
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> Self {
        Self {
            error,
            request_id: None,
        }
    }
}

impl From<roster_domain::InvalidInput> for ApiError {
    fn from(error: roster_domain::InvalidInput) -> Self {
        ServiceError::from(error).into()
    }
}

/// Seconds a client waits before writing again when Roster was busy.
pub const BUSY_RETRY_AFTER: &str = "5";

pub fn status_of(error: &ServiceError) -> StatusCode {
    match error {
        ServiceError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        ServiceError::NotFound(_) | ServiceError::UnknownCursor => StatusCode::NOT_FOUND,
        ServiceError::Conflict { .. } | ServiceError::SeatShortfall { .. } | ServiceError::Transition(_) => {
            StatusCode::CONFLICT
        }
        ServiceError::Forbidden(_) | ServiceError::MissingPermission(_) | ServiceError::SsoRequired { .. } => {
            StatusCode::FORBIDDEN
        }
        ServiceError::Unauthenticated => StatusCode::UNAUTHORIZED,
        ServiceError::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ServiceError::Busy | ServiceError::Overloaded(_) => StatusCode::SERVICE_UNAVAILABLE,
        ServiceError::Gone { .. } => StatusCode::GONE,
        ServiceError::Scim(e) => StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST),
        ServiceError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The body of every error answer.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ErrorDetail {
    /// A stable machine code; `docs/API.md` lists them with their meaning.
    #[schemars(schema_with = "crate::error_codes::code_schema")]
    pub code: &'static str,
    /// What went wrong, for people.
    pub message: String,
    /// The request's field it is about (`email`, `custom_fields.start`,
    /// `query`), when it is about one.
    pub field: Option<String>,
    /// On a 500 only: quote it to the operator; the server log has the cause.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_id: Option<String>,
    /// On `seats_exhausted`: which seats, and how many are missing.
    #[serde(flatten)]
    pub seats: Option<SeatShortfall>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct SeatShortfall {
    pub seat_type: String,
    pub needed: i64,
    pub available: i64,
    pub shortfall: i64,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = status_of(&self.error);
        let message = match &self.error {
            // The field is reported on its own; the message says what is wrong with it.
            ServiceError::Invalid(invalid) => invalid.message.clone(),
            other => other.to_string(),
        };
        let seats = match &self.error {
            ServiceError::SeatShortfall {
                seat_type,
                needed,
                available,
                shortfall,
            } => Some(SeatShortfall {
                seat_type: seat_type.clone(),
                needed: *needed,
                available: *available,
                shortfall: *shortfall,
            }),
            _ => None,
        };
        let mut detail = ErrorDetail {
            code: self.error.code(),
            message,
            field: self.error.field().map(str::to_owned),
            error_id: None,
            seats,
        };
        let try_again = matches!(self.error, ServiceError::Busy | ServiceError::Overloaded(_));
        if status.is_server_error() && !try_again {
            let id = self
                .request_id
                .or_else(|| crate::context::REQUEST_ID.try_with(Clone::clone).ok())
                .unwrap_or_else(|| "unknown".into());
            let mut chain = String::new();
            let mut source: Option<&dyn std::error::Error> = Some(&self.error);
            while let Some(err) = source {
                chain.push_str(&format!(": {err}"));
                source = err.source();
            }
            tracing::error!(error_id = %id, cause = %chain, "internal error");
            detail.message = format!("something went wrong on our side; quote error id {id}");
            detail.error_id = Some(id);
        }
        let mut response = (status, Json(ErrorBody { error: detail })).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert("www-authenticate", axum::http::HeaderValue::from_static("Bearer"));
        }
        if try_again {
            response
                .headers_mut()
                .insert("retry-after", axum::http::HeaderValue::from_static(BUSY_RETRY_AFTER));
        }
        response
    }
}

/// An error for a malformed request the service never saw (bad JSON, a
/// path id that is not a number).
pub fn bad_request(field: &str, code: &'static str, message: String) -> ApiError {
    roster_domain::InvalidInput::new(field, code, message).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn busy_is_503_with_retry_after_and_says_what_happened() {
        let response = ApiError::from(ServiceError::Busy).into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()["retry-after"], BUSY_RETRY_AFTER);
        let body = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error"]["code"], "busy");
        assert_eq!(body["error"]["message"], ServiceError::Busy.to_string());
        assert!(body["error"].get("error_id").is_none(), "not an internal error: {body}");

        let page = crate::console::error::ConsoleError::from(ServiceError::Busy).into_response();
        assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(page.headers()["retry-after"], BUSY_RETRY_AFTER);
    }
}
