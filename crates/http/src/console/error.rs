//! How the console answers errors: an HTML page with the right status, or a
//! redirect to sign-in.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use roster_service::ServiceError;

#[derive(Debug)]
pub enum ConsoleError {
    SignIn,
    NotFound,
    Forbidden(String),
    Csrf,
    BadRequest,
    TooMany,
    /// Roster is busy (a long write, too many uploads): what, and try again.
    Busy(String),
    /// The organization signs its members in only through its identity
    /// provider: a page that sends them there.
    SsoRequired {
        slug: String,
        provider: String,
    },
    Service(ServiceError),
}

impl From<ServiceError> for ConsoleError {
    fn from(err: ServiceError) -> Self {
        match err {
            ServiceError::Unauthenticated => ConsoleError::SignIn,
            ServiceError::NotFound(_) => ConsoleError::NotFound,
            ServiceError::MissingPermission(m) | ServiceError::Forbidden(m) => ConsoleError::Forbidden(m),
            ServiceError::RateLimited => ConsoleError::TooMany,
            ServiceError::Busy => ConsoleError::Busy(
                "Roster is busy writing a large change, such as an import, and nothing was changed. Go back and send the form again in a moment.".into(),
            ),
            ServiceError::Overloaded(m) => ConsoleError::Busy(format!("{m}.")),
            ServiceError::SsoRequired { slug, provider } => ConsoleError::SsoRequired { slug, provider },
            other => ConsoleError::Service(other),
        }
    }
}

#[derive(Template)]
#[template(path = "sso_required.html")]
struct SsoRequiredPage {
    slug: String,
    provider: String,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: String,
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        let (status, title, message) = match self {
            ConsoleError::SignIn => return Redirect::to("/login").into_response(),
            ConsoleError::SsoRequired { slug, provider } => {
                let page = SsoRequiredPage { slug, provider };
                return match page.render() {
                    Ok(html) => (StatusCode::FORBIDDEN, Html(html)).into_response(),
                    Err(_) => StatusCode::FORBIDDEN.into_response(),
                };
            }
            ConsoleError::NotFound => (StatusCode::NOT_FOUND, "Not found", "There is nothing here, or it is not yours to see.".into()),
            ConsoleError::Forbidden(m) => (StatusCode::FORBIDDEN, "Not allowed", m),
            ConsoleError::Csrf => (
                StatusCode::FORBIDDEN,
                "Request refused",
                "The form was not sent from this console (its security token is missing or stale). Go back, reload the page and try again.".into(),
            ),
            ConsoleError::BadRequest => (StatusCode::BAD_REQUEST, "Bad request", "The form could not be read.".into()),
            ConsoleError::TooMany => (StatusCode::TOO_MANY_REQUESTS, "Too many attempts", "Wait a few minutes and try again.".into()),
            ConsoleError::Busy(m) => (StatusCode::SERVICE_UNAVAILABLE, "Busy, try again", m),
            ConsoleError::Service(err) => {
                let status = crate::error::status_of(&err);
                if status.is_server_error() {
                    let id = crate::context::REQUEST_ID.try_with(Clone::clone).unwrap_or_default();
                    tracing::error!(error_id = %id, error = ?err, "internal error in the console");
                    (status, "Something went wrong", format!("Something went wrong on our side. Quote error id {id}."))
                } else {
                    (status, "Not possible", err.to_string())
                }
            }
        };
        let page = ErrorPage { title, message };
        let mut response = match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => status.into_response(),
        };
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(
                "retry-after",
                axum::http::HeaderValue::from_static(crate::error::BUSY_RETRY_AFTER),
            );
        }
        response
    }
}
