//! Roster's HTTP front doors: the JSON API under `/api/v1` and the operations
//! endpoints. Handlers are thin — extract, call the service, map the result —
//! and [`error`] is the one place where service errors become status codes.

mod api;
mod console;
mod context;
mod error;
mod error_codes;
mod files;
mod metrics;
mod openapi;
mod ops;
pub mod scim;

use std::sync::Arc;

use axum::Router;
use roster_service::Service;

pub use context::RequestId;
pub use error::ApiError;
pub use openapi::{document_path, openapi_document};

/// One documented endpoint, for tests that walk every route.
#[derive(Debug, Clone)]
pub struct EndpointInfo {
    pub method: &'static str,
    pub path: &'static str,
    pub permission: &'static str,
    /// The name of the request body's schema (`NewMember`), if it takes one.
    pub request: Option<String>,
}

/// Every endpoint of the JSON API.
pub fn endpoints() -> Vec<EndpointInfo> {
    api::ENDPOINTS
        .iter()
        .flat_map(|group| group.iter())
        .map(|e| EndpointInfo {
            method: e.method,
            path: e.path,
            permission: e.permission,
            request: match e.request {
                api::Body::Empty => None,
                api::Body::Json(t) => Some((t.name)().into_owned()),
                api::Body::File { name, .. } => Some(name.to_owned()),
            },
        })
        .collect()
}

#[derive(Clone)]
pub struct AppState {
    pub service: Service,
    pub metrics: Arc<metrics::Metrics>,
    pub config: Arc<HttpConfig>,
}

/// How the server is reached from outside, and how its pages behave.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// The URL people use (links in pages and mails); never taken from the
    /// request's Host header.
    pub base_url: String,
    /// How long the console's import page waits for a file to be planned
    /// before it shows progress instead (and refreshes itself).
    pub planning_wait: std::time::Duration,
    /// Reverse proxies whose `X-Forwarded-For` is believed (their peer
    /// address in one of these networks); from anyone else it is ignored.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The largest upload taken, counted as it streams in.
    pub max_upload_bytes: usize,
}

impl HttpConfig {
    /// Served at `base_url`; small files are planned well within the wait.
    pub fn new(base_url: String) -> Self {
        Self {
            base_url,
            planning_wait: std::time::Duration::from_millis(1500),
            trusted_proxies: Vec::new(),
            max_upload_bytes: files::DEFAULT_MAX_UPLOAD_BYTES,
        }
    }

    /// The origin (scheme, host, port) of the base URL: what a browser sends
    /// as `Origin` with a form from Roster's own pages.
    pub fn origin(&self) -> &str {
        let after_scheme = self.base_url.find("://").map_or(0, |i| i + 3);
        let end = self.base_url[after_scheme..]
            .find('/')
            .map_or(self.base_url.len(), |i| after_scheme + i);
        &self.base_url[..end]
    }

    /// Cookies are `Secure` (and `__Host-` prefixed) when Roster is served over TLS.
    pub fn secure_cookies(&self) -> bool {
        self.base_url.starts_with("https://")
    }
}

/// The whole HTTP application.
pub fn app(service: Service, config: HttpConfig) -> Router {
    let state = AppState {
        service,
        metrics: Arc::new(metrics::Metrics::default()),
        config: Arc::new(config),
    };
    Router::new()
        .merge(ops::routes())
        .merge(api::routes())
        .merge(console::routes())
        .merge(scim::routes())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            context::request_context,
        ))
        .with_state(state)
}
