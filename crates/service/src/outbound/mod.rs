//! Every request Roster makes to another server (an identity provider's
//! discovery document, its keys, its token endpoint) goes through
//! [`Outbound`], under one set of rules:
//!
//! - only `https://` URLs, and only to addresses of the public internet
//!   (`address.rs`) — an admin who types `http://169.254.169.254/…` as an
//!   issuer must not make Roster read the cloud's metadata for them. The
//!   operator lifts both with `[outbound] allow_private = true` (tests,
//!   a provider inside the company network);
//! - the name is resolved once, checked, and the connection pinned to the
//!   checked addresses (no second lookup that could answer otherwise);
//! - no redirects followed (a redirect is an answer, reported as one);
//! - one deadline for the whole call, connecting to the last byte — a
//!   server that drips a byte a second holds nothing past it;
//! - a cap on the body.

mod address;
mod dns;

use std::net::SocketAddr;
use std::time::Duration;

pub use address::{non_public, NonPublic};

/// The rules for outbound requests (`[outbound]` in roster.toml).
#[derive(Debug, Clone)]
pub struct OutboundConfig {
    /// Allow `http://` and loopback, private and link-local addresses.
    pub allow_private: bool,
    /// The whole call, from resolving the name to the body's last byte.
    pub deadline: Duration,
    /// The largest body read; a larger one is refused.
    pub max_body_bytes: usize,
    /// The DNS server asked for TXT records (domain proofs); the system's
    /// resolver (`/etc/resolv.conf`) when `None`.
    pub dns_server: Option<SocketAddr>,
}

impl Default for OutboundConfig {
    fn default() -> Self {
        Self {
            allow_private: false,
            deadline: Duration::from_secs(10),
            max_body_bytes: 1 << 20,
            dns_server: None,
        }
    }
}

/// Why an outbound request gave no usable answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutboundError {
    #[error("{url} is not a URL Roster can fetch: {why}")]
    BadUrl { url: String, why: &'static str },
    #[error("{host} is {}; Roster fetches only from the public internet unless the operator sets [outbound] allow_private = true", .why.describe())]
    NonPublicAddress { host: String, why: NonPublic },
    #[error("{host} could not be resolved")]
    Unresolvable { host: String },
    #[error("{url} did not answer within {} s", .deadline.as_secs())]
    Deadline { url: String, deadline: Duration },
    #[error("{url} answered with more than {limit} bytes")]
    TooLarge { url: String, limit: usize },
    #[error("{url} answered with a redirect ({status}); redirects are not followed")]
    Redirect { url: String, status: u16 },
    #[error("{url} could not be reached: {why}")]
    Transport { url: String, why: String },
}

/// An answer: its status, content type and body (at most the cap).
#[derive(Debug, Clone)]
pub struct Fetched {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

/// A request to send: method, URL, headers and body.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub method: Method,
    pub url: url::Url,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

impl Outgoing {
    pub fn get(url: url::Url) -> Self {
        Self {
            method: Method::Get,
            url,
            headers: Vec::new(),
            body: None,
        }
    }

    /// A POST of an HTML form (`application/x-www-form-urlencoded`), as
    /// OAuth's token endpoint takes it.
    pub fn form(url: url::Url, fields: &[(&str, &str)]) -> Self {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        Self {
            method: Method::Post,
            url,
            headers: vec![("content-type".into(), "application/x-www-form-urlencoded".into())],
            body: Some(body.into_bytes()),
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

/// Sends requests under [`OutboundConfig`].
#[derive(Debug, Clone, Default)]
pub struct Outbound {
    config: OutboundConfig,
}

impl Outbound {
    pub fn new(config: OutboundConfig) -> Self {
        Self { config }
    }

    pub fn config(&self) -> &OutboundConfig {
        &self.config
    }

    /// Sends `request` and reads its answer, all within the deadline.
    pub async fn send(&self, request: Outgoing) -> Result<Fetched, OutboundError> {
        let url = request.url.to_string();
        let deadline = self.config.deadline;
        match tokio::time::timeout(deadline, self.send_unbounded(request)).await {
            Ok(answer) => answer,
            Err(_) => Err(OutboundError::Deadline { url, deadline }),
        }
    }

    async fn send_unbounded(&self, request: Outgoing) -> Result<Fetched, OutboundError> {
        let url = request.url.clone();
        let shown = url.to_string();
        let host = self.check_url(&url)?;
        let port = url.port_or_known_default().ok_or(OutboundError::BadUrl {
            url: shown.clone(),
            why: "no port",
        })?;
        let addresses = self.resolve(&host, port).await?;
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .https_only(!self.config.allow_private)
            // Pinned: the connection goes to the addresses just checked.
            .resolve_to_addrs(&host, &addresses)
            .build()
            .map_err(|e| transport(&shown, e))?;
        let mut builder = match request.method {
            Method::Get => client.get(url),
            Method::Post => client.post(url),
        };
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        if let Some(body) = request.body {
            builder = builder.body(body);
        }
        let mut response = builder.send().await.map_err(|e| transport(&shown, e))?;
        let status = response.status().as_u16();
        if response.status().is_redirection() {
            return Err(OutboundError::Redirect { url: shown, status });
        }
        let limit = self.config.max_body_bytes;
        if response.content_length().is_some_and(|n| n > limit as u64) {
            return Err(OutboundError::TooLarge { url: shown, limit });
        }
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| transport(&shown, e))? {
            if body.len() + chunk.len() > limit {
                return Err(OutboundError::TooLarge { url: shown, limit });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Fetched {
            status,
            content_type,
            body,
        })
    }

    /// The URL's host, when its scheme and form may be fetched.
    fn check_url(&self, url: &url::Url) -> Result<String, OutboundError> {
        let bad = |why| OutboundError::BadUrl {
            url: url.to_string(),
            why,
        };
        match url.scheme() {
            "https" => {}
            "http" if self.config.allow_private => {}
            "http" => return Err(bad(
                "only https:// URLs are fetched (the operator's [outbound] allow_private = true also allows http://)",
            )),
            _ => return Err(bad("only https:// URLs are fetched")),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad("a URL with a user name or password"));
        }
        match url.host() {
            Some(url::Host::Domain(name)) => Ok(name.to_owned()),
            Some(url::Host::Ipv4(ip)) => Ok(ip.to_string()),
            Some(url::Host::Ipv6(ip)) => Ok(ip.to_string()),
            None => Err(bad("no host")),
        }
    }

    /// The host's addresses, every one of them public unless private ones
    /// are allowed.
    async fn resolve(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, OutboundError> {
        let addresses: Vec<SocketAddr> = match host.parse::<std::net::IpAddr>() {
            Ok(ip) => vec![SocketAddr::new(ip, port)],
            Err(_) => tokio::net::lookup_host((host, port))
                .await
                .map_err(|_| OutboundError::Unresolvable { host: host.to_owned() })?
                .collect(),
        };
        if addresses.is_empty() {
            return Err(OutboundError::Unresolvable { host: host.to_owned() });
        }
        if !self.config.allow_private {
            // One non-public address is enough to refuse: which one a
            // connection would take is not ours to choose.
            if let Some(why) = addresses.iter().find_map(|a| non_public(a.ip())) {
                return Err(OutboundError::NonPublicAddress {
                    host: host.to_owned(),
                    why,
                });
            }
        }
        Ok(addresses)
    }
}

fn transport(url: &str, error: reqwest::Error) -> OutboundError {
    // reqwest's own message is general ("error sending request"); the
    // causes under it say what happened.
    let error = error.without_url();
    let mut why = error.to_string();
    let mut cause = std::error::Error::source(&error);
    while let Some(c) = cause {
        why.push_str(": ");
        why.push_str(&c.to_string());
        cause = c.source();
    }
    OutboundError::Transport {
        url: url.to_owned(),
        why,
    }
}

#[cfg(test)]
mod tests;
