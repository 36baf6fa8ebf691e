//! The JSON API under `/api/v1`. Every endpoint is one row of [`ENDPOINTS`]:
//! the router and the OpenAPI document are both built from that table, so
//! they cannot disagree.

mod admin;
mod extract;
mod imports;
mod members;
mod org;
mod teams;

use axum::routing::MethodRouter;
use axum::Router;

pub use extract::{ApiJson, ApiQuery, Authed, Ids};
pub use imports::download;

use crate::AppState;

/// One endpoint: how it is routed and how it is documented.
pub struct Endpoint {
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    /// The permission the service checks (documentation; the check is in the service).
    pub permission: &'static str,
    /// Component schema of the JSON body, if any.
    pub request: Option<&'static str>,
    /// Success status and component schema of the response, if any.
    pub response: (u16, Option<&'static str>),
    /// The method router of the whole path (all rows of a path give the same).
    pub handler: fn() -> MethodRouter<AppState>,
}

pub const ENDPOINTS: &[&[Endpoint]] = &[
    org::ENDPOINTS,
    members::ENDPOINTS,
    teams::ENDPOINTS,
    imports::ENDPOINTS,
    admin::ENDPOINTS,
];

pub fn routes() -> Router<AppState> {
    let mut router = Router::new();
    let mut seen = std::collections::HashSet::new();
    // Rows of one path share its method router; route each path once.
    for endpoint in ENDPOINTS.iter().flat_map(|group| group.iter()) {
        if seen.insert(endpoint.path) {
            router = router.route(endpoint.path, (endpoint.handler)());
        }
    }
    router
}
