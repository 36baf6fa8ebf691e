//! Per-request context: a request id (returned as `x-request-id` and carried
//! by every log line of the request), the client address, one access log
//! line and the request metrics.

use std::net::{IpAddr, SocketAddr};
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

/// The client's address: the socket's peer, or — when the peer is one of
/// the configured trusted proxies — the address the proxies say they
/// forwarded for. Anyone can send `X-Forwarded-For`, so it counts only
/// from a trusted proxy.
#[derive(Debug, Clone)]
pub struct ClientIp(pub String);

/// The client behind a chain of proxies: walking `X-Forwarded-For` from the
/// right (the hop nearest to us), past every trusted proxy, the first
/// address that is not one is the client. An entry that is no address stops
/// the walk (what lies left of it was never checked by a trusted proxy).
pub fn client_address(peer: IpAddr, forwarded_for: &[&str], trusted: &[ipnet::IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let mut client = peer;
    let hops = forwarded_for
        .iter()
        .flat_map(|h| h.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    for hop in hops.into_iter().rev() {
        let Ok(ip) = hop.parse::<IpAddr>() else { break };
        client = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    client
}

pub async fn request_context(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let mut bytes = [0u8; 8];
    rand::thread_rng().fill_bytes(&mut bytes);
    let id: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let ip = match req.extensions().get::<ConnectInfo<SocketAddr>>() {
        Some(peer) => {
            let forwarded: Vec<&str> = req
                .headers()
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect();
            client_address(peer.0.ip(), &forwarded, &state.config.trusted_proxies).to_string()
        }
        None => String::new(),
    };
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_counts_only_from_a_trusted_proxy() {
        let trusted: Vec<ipnet::IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        assert_eq!(
            client_address(ip("203.0.113.9"), &["1.2.3.4"], &trusted),
            ip("203.0.113.9")
        );
        assert_eq!(client_address(ip("10.0.0.2"), &["1.2.3.4"], &trusted), ip("1.2.3.4"));
        // A client that sends its own X-Forwarded-For is seen as itself.
        assert_eq!(
            client_address(ip("10.0.0.2"), &["6.6.6.6, 1.2.3.4, 10.0.0.5"], &trusted),
            ip("1.2.3.4")
        );
        assert_eq!(
            client_address(ip("10.0.0.2"), &["6.6.6.6", "1.2.3.4"], &trusted),
            ip("1.2.3.4")
        );
        assert_eq!(
            client_address(ip("10.0.0.2"), &["junk, 10.0.0.7"], &trusted),
            ip("10.0.0.7")
        );
        assert_eq!(client_address(ip("10.0.0.2"), &[], &trusted), ip("10.0.0.2"));
    }
}
