//! Talking SMTP with lettre, over a socket Roster opens itself: lettre
//! 0.11 does not set TCP_NODELAY, and on one connection every message then
//! waits about 40 ms for the peer's delayed ACK (Nagle). Measured in
//! docs/BENCHMARKS.md ("Invitations").

use std::time::Duration;

use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::Address;
use roster_domain::Secret;

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain text: only on loopback, unless asked for by name.
    None,
    /// STARTTLS after the greeting (port 587).
    StartTls,
    /// TLS from the first byte (`smtps://`, port 465).
    Implicit,
}

/// The outgoing mail server, from `ROSTER_SMTP_URL` / `[smtp] url`:
/// `smtp://user:pass@host:587?tls=starttls`, `smtps://…:465`,
/// `smtp://127.0.0.1:2525` (plain on loopback).
#[derive(Clone)]
pub struct SmtpTarget {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub credentials: Option<(String, Secret)>,
    /// The name the client gives in EHLO.
    pub hello_name: String,
    /// TCP_NODELAY on the socket (default; `?nodelay=false` only to
    /// measure what it saves: bench/invitations).
    pub nodelay: bool,
}

impl std::fmt::Debug for SmtpTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpTarget")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("user", &self.credentials.as_ref().map(|(u, _)| u))
            .finish()
    }
}

impl SmtpTarget {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let url = url::Url::parse(raw.trim()).map_err(|e| format!("not a URL: {e}"))?;
        let implicit = match url.scheme() {
            "smtp" => false,
            "smtps" => true,
            other => return Err(format!("the scheme must be smtp or smtps, not {other}")),
        };
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or("the URL names no host")?;
        let host = host.trim_start_matches('[').trim_end_matches(']').to_owned();
        let loopback = host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
        let mut tls = if implicit {
            TlsMode::Implicit
        } else if loopback {
            TlsMode::None
        } else {
            TlsMode::StartTls
        };
        let mut hello_name = "roster.localhost".to_owned();
        let mut nodelay = true;
        for (key, value) in url.query_pairs() {
            match (key.as_ref(), value.as_ref()) {
                ("tls", "starttls") => tls = TlsMode::StartTls,
                ("tls", "implicit") => tls = TlsMode::Implicit,
                ("tls", "none") => tls = TlsMode::None,
                ("tls", other) => return Err(format!("tls must be starttls, implicit or none, not {other:?}")),
                ("hello", name) => hello_name = name.to_owned(),
                ("nodelay", "true") => nodelay = true,
                ("nodelay", "false") => nodelay = false,
                (other, _) => return Err(format!("unknown parameter {other:?} (known: tls, hello, nodelay)")),
            }
        }
        let decode = |s: &str| {
            percent_decode(s).ok_or_else(|| "the user or password is not valid percent-encoded UTF-8".to_owned())
        };
        let credentials = if url.username().is_empty() {
            None
        } else {
            Some((
                decode(url.username())?,
                Secret::new(decode(url.password().unwrap_or(""))?),
            ))
        };
        let port = url.port().unwrap_or(match tls {
            TlsMode::Implicit => 465,
            TlsMode::StartTls => 587,
            TlsMode::None => 25,
        });
        Ok(Self {
            host,
            port,
            tls,
            credentials,
            hello_name,
            nodelay,
        })
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Why a message did not go.
#[derive(Debug)]
pub struct SendFailure {
    /// The server refused it for good (5xx): retrying will not help.
    pub permanent: bool,
    /// The server's reply, or why it could not be reached.
    pub reason: String,
}

impl From<lettre::transport::smtp::Error> for SendFailure {
    fn from(e: lettre::transport::smtp::Error) -> Self {
        Self {
            permanent: e.is_permanent(),
            reason: e.to_string(),
        }
    }
}

fn connection_failure(what: impl std::fmt::Display) -> SendFailure {
    SendFailure {
        permanent: false,
        reason: format!("cannot reach the mail server: {what}"),
    }
}

const TIMEOUT: Duration = Duration::from_secs(30);

/// One open SMTP connection.
pub struct SmtpConnection {
    inner: AsyncSmtpConnection,
}

impl SmtpConnection {
    pub async fn open(target: &SmtpTarget) -> Result<Self, SendFailure> {
        let hello = ClientId::Domain(target.hello_name.clone());
        let mut inner = match target.tls {
            TlsMode::None | TlsMode::StartTls => {
                let stream = tokio::time::timeout(
                    TIMEOUT,
                    tokio::net::TcpStream::connect((target.host.as_str(), target.port)),
                )
                .await
                .map_err(|_| connection_failure("timed out"))?
                .map_err(connection_failure)?;
                stream.set_nodelay(target.nodelay).map_err(connection_failure)?;
                let mut conn = AsyncSmtpConnection::connect_with_transport(Box::new(stream), &hello).await?;
                if target.tls == TlsMode::StartTls {
                    let tls = TlsParameters::new(target.host.clone())?;
                    conn.starttls(tls, &hello).await?;
                }
                conn
            }
            // lettre opens this socket itself (a TLS stream cannot be handed
            // in); TLS records are written whole, so Nagle stalls it less.
            TlsMode::Implicit => {
                let tls = TlsParameters::new(target.host.clone())?;
                AsyncSmtpConnection::connect_tokio1(
                    (target.host.as_str(), target.port),
                    Some(TIMEOUT),
                    &hello,
                    Some(tls),
                    None,
                )
                .await?
            }
        };
        if let Some((user, password)) = &target.credentials {
            let credentials = Credentials::new(user.clone(), password.expose().to_owned());
            inner.auth(&[Mechanism::Plain, Mechanism::Login], &credentials).await?;
        }
        Ok(Self { inner })
    }

    /// Sends one message (its bytes as built by `compose`) to one address.
    pub async fn send(&mut self, from: &Address, to: &Address, message: &[u8]) -> Result<(), SendFailure> {
        let envelope =
            lettre::address::Envelope::new(Some(from.clone()), vec![to.clone()]).map_err(|e| SendFailure {
                permanent: true,
                reason: e.to_string(),
            })?;
        tokio::time::timeout(TIMEOUT, self.inner.send(&envelope, message))
            .await
            .map_err(|_| connection_failure("no answer within 30 s"))??;
        Ok(())
    }

    pub fn is_broken(&self) -> bool {
        self.inner.has_broken()
    }

    pub async fn quit(mut self) {
        let _ = self.inner.quit().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_say_how_to_reach_the_server() {
        let t = SmtpTarget::parse("smtp://user%40x:p%3Ass@mail.example:587?tls=starttls").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.tls),
            ("mail.example", 587, TlsMode::StartTls)
        );
        let (user, password) = t.credentials.clone().unwrap();
        assert_eq!((user.as_str(), password.expose()), ("user@x", "p:ss"));
        assert!(!format!("{t:?}").contains("p:ss"));
        assert_eq!(SmtpTarget::parse("smtp://127.0.0.1:2525").unwrap().tls, TlsMode::None);
        assert_eq!(SmtpTarget::parse("smtp://mail.example").unwrap().tls, TlsMode::StartTls);
        assert_eq!(SmtpTarget::parse("smtps://mail.example").unwrap().port, 465);
        assert!(SmtpTarget::parse("http://mail.example").is_err());
        assert!(SmtpTarget::parse("smtp://mail.example?tls=maybe").is_err());
    }
}
