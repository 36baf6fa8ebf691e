//! Extractors that turn every malformed request into the API's JSON error.

use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use roster_service::{Actor, ServiceError};
use serde::de::DeserializeOwned;

use crate::error::bad_request;
use crate::{ApiError, AppState};

/// The actor behind a bearer API token, inside the organization of the
/// `{slug}` path segment.
pub struct Authed(pub Actor);

impl FromRequestParts<AppState> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let context = crate::context::context_of(parts);
        // Tokens in URLs end up in logs and browser history: refused outright.
        if parts.uri.query().is_some_and(|q| {
            q.split('&')
                .any(|kv| kv.starts_with("access_token=") || kv.starts_with("token="))
        }) {
            return Err(ServiceError::Unauthenticated.into());
        }
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .ok_or(ServiceError::Unauthenticated)?;
        let Path(params) = Path::<Vec<(String, String)>>::from_request_parts(parts, state)
            .await
            .map_err(|e| bad_request("path", "invalid_path", e.body_text()))?;
        let slug = params
            .iter()
            .find(|(k, _)| k == "slug")
            .map(|(_, v)| v.as_str())
            .unwrap_or_default();
        Ok(Authed(state.service.actor_for_token(&token, slug, context).await?))
    }
}

/// A JSON body; bad JSON is a 422 naming what is wrong.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(bad_request("body", "invalid_body", rejection.body_text())),
        }
    }
}

/// Query parameters; bad ones are a 422 naming the parameter.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(ApiQuery(value)),
            Err(rejection) => Err(bad_request("query", "invalid_query", rejection.body_text())),
        }
    }
}

/// The numeric ids of a path (`/teams/{id}/members/{member_id}` gives two).
/// An id that is not a number is a 404, like any id that does not exist.
pub struct Ids<const N: usize>(pub [i64; N]);

impl<const N: usize> FromRequestParts<AppState> for Ids<N> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Path(params) = Path::<Vec<(String, String)>>::from_request_parts(parts, state)
            .await
            .map_err(|e| bad_request("path", "invalid_path", e.body_text()))?;
        let ids: Vec<i64> = params
            .iter()
            .filter(|(k, _)| k.ends_with("id"))
            .map(|(_, v)| {
                v.parse()
                    .map_err(|_| ApiError::from(ServiceError::NotFound("resource")))
            })
            .collect::<Result<_, _>>()?;
        ids.try_into()
            .map(Ids)
            .map_err(|_| ServiceError::NotFound("resource").into())
    }
}
