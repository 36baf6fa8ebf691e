//! Per-request context: a request id (returned as `x-request-id` and carried
//! by every log line of the request), the client address, one access log
//! line and the request metrics.

use std::net::SocketAddr;
use std::time::Instant;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use rand::RngCore;
use tracing::Instrument;

use crate::AppState;

#[derive(Debug, Clone)]
pub struct RequestId(pub String);

tokio::task_local! {
    /// The id of the request being served, for error bodies.
    pub static REQUEST_ID: String;
}

/// The client's address: the socket's peer. `X-Forwarded-For` is not
/// trusted, since anyone can send it.
#[derive(Debug, Clone)]
pub struct ClientIp(pub String);

pub async fn request_context(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let mut bytes = [0u8; 8];
    rand::thread_rng().fill_bytes(&mut bytes);
    let id: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_default();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().clone();
    req.extensions_mut().insert(RequestId(id.clone()));
    req.extensions_mut().insert(ClientIp(ip));
    let span = tracing::info_span!("request", request_id = %id, %method, route = %route);
    let started = Instant::now();
    let mut response = REQUEST_ID
        .scope(id.clone(), next.run(req).instrument(span.clone()))
        .await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    span.in_scope(|| tracing::info!(status, latency_ms = elapsed.as_secs_f64() * 1000.0, "request"));
    state.metrics.observe(method.as_str(), &route, status, elapsed);
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

/// The request's id and client address, for the audit log.
pub fn context_of(parts: &axum::http::request::Parts) -> roster_service::RequestContext {
    roster_service::RequestContext {
        ip: parts
            .extensions
            .get::<ClientIp>()
            .map(|c| c.0.clone())
            .unwrap_or_default(),
        request_id: parts
            .extensions
            .get::<RequestId>()
            .map(|r| r.0.clone())
            .unwrap_or_default(),
    }
}
