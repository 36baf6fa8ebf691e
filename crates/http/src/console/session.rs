//! The console's session cookie, the signed-in member's actor, and form
//! posts that carry their CSRF token.

use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use roster_service::{Actor, ConsoleSession, RequestContext};

use super::error::ConsoleError;
use crate::AppState;

/// `__Host-` cookies must be `Secure`, which a browser accepts only over
/// TLS; on plain http (a laptop, the tests) the cookie goes without both.
pub fn cookie_name(state: &AppState) -> &'static str {
    if state.config.secure_cookies() {
        "__Host-roster_session"
    } else {
        "roster_session"
    }
}

pub fn session_cookie(state: &AppState, value: &str) -> HeaderValue {
    let secure = if state.config.secure_cookies() { "; Secure" } else { "" };
    let cookie = format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=43200{secure}",
        cookie_name(state)
    );
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
}

pub fn clear_cookie(state: &AppState) -> (axum::http::HeaderName, HeaderValue) {
    let secure = if state.config.secure_cookies() { "; Secure" } else { "" };
    let cookie = format!(
        "{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}",
        cookie_name(state)
    );
    (
        SET_COOKIE,
        HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static("")),
    )
}

pub(super) fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (k, v) = pair.trim().split_once('=')?;
            (k == name).then(|| v.to_owned())
        })
}

/// A signed-in person (any page outside an organization).
pub struct SignedIn(pub ConsoleSession);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = ConsoleError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ConsoleError> {
        let Some(value) = cookie_value(&parts.headers, cookie_name(state)) else {
            return Err(ConsoleError::SignIn);
        };
        match state.service.session(&value).await? {
            Some(session) => Ok(SignedIn(session)),
            None => Err(ConsoleError::SignIn),
        }
    }
}

/// A signed-in member inside the organization of the `{slug}` segment.
pub struct Member {
    pub session: ConsoleSession,
    pub actor: Actor,
}

impl FromRequestParts<AppState> for Member {
    type Rejection = ConsoleError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ConsoleError> {
        let SignedIn(session) = SignedIn::from_request_parts(parts, state).await?;
        let Path(params) = Path::<Vec<(String, String)>>::from_request_parts(parts, state)
            .await
            .map_err(|_| ConsoleError::NotFound)?;
        let slug = params
            .iter()
            .find(|(k, _)| k == "slug")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let actor = state
            .service
            .actor_for_session(&session, &slug, crate::context::context_of(parts))
            .await?;
        Ok(Member { session, actor })
    }
}

/// An urlencoded form body (repeated keys kept, for multi-selects).
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// The value, or None when the field is absent or blank.
    pub fn text(&self, key: &str) -> Option<String> {
        self.get(key).map(str::to_owned)
    }

    pub fn all(&self, key: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn checked(&self, key: &str) -> bool {
        self.get(key).is_some_and(|v| v == "on" || v == "true" || v == "1")
    }
}

/// Refuses a state-changing request from another site. A browser that
/// sends Fetch Metadata says where the form came from: only Roster's own
/// origin passes (not a sibling site). Without it (older browsers,
/// scripts), the `Origin` — or, without that, the `Referer` — must be
/// Roster's own base URL. A request with none of them (a script, curl) is
/// not refused here; the CSRF token guards what a session may do.
pub fn refuse_cross_site(headers: &HeaderMap, state: &AppState) -> Result<(), ConsoleError> {
    let header = |name: &str| headers.get(name).map(|v| v.to_str().unwrap_or("\u{fffd}"));
    if let Some(site) = header("sec-fetch-site") {
        return match site {
            "same-origin" | "none" => Ok(()),
            _ => Err(ConsoleError::Csrf),
        };
    }
    let own = state.config.origin();
    let same_origin = |url: &str| url == own || url.strip_prefix(own).is_some_and(|rest| rest.starts_with('/'));
    match (header("origin"), header("referer")) {
        (Some(origin), _) if origin != own => Err(ConsoleError::Csrf),
        (None, Some(referer)) if !same_origin(referer) => Err(ConsoleError::Csrf),
        _ => Ok(()),
    }
}

async fn read_form(req: Request) -> Result<(Parts, FormData), ConsoleError> {
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, 1024 * 1024)
        .await
        .map_err(|_| ConsoleError::BadRequest)?;
    let pairs = form_urlencoded::parse(&bytes)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    Ok((parts, FormData(pairs)))
}

fn check_csrf(session: &ConsoleSession, form: &FormData) -> Result<(), ConsoleError> {
    check_csrf_value(session, form.get("csrf").unwrap_or(""))
}

/// Compares a sent CSRF token with the session's, without an early exit.
pub fn check_csrf_value(session: &ConsoleSession, sent: &str) -> Result<(), ConsoleError> {
    let expected = session.csrf_token.as_bytes();
    let same = sent.len() == expected.len() && sent.bytes().zip(expected).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0;
    if same {
        Ok(())
    } else {
        Err(ConsoleError::Csrf)
    }
}

/// A form post by a signed-in member inside an organization, with its CSRF
/// token checked.
pub struct MemberPost {
    pub member: Member,
    pub form: FormData,
}

impl FromRequest<AppState> for MemberPost {
    type Rejection = ConsoleError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ConsoleError> {
        refuse_cross_site(req.headers(), state)?;
        let (mut parts, form) = read_form(req).await?;
        let member = Member::from_request_parts(&mut parts, state).await?;
        check_csrf(&member.session, &form)?;
        Ok(MemberPost { member, form })
    }
}

/// A form post by a signed-in person outside an organization (sign-out).
pub struct SignedInPost {
    pub session: ConsoleSession,
    pub form: FormData,
    pub context: RequestContext,
}

impl FromRequest<AppState> for SignedInPost {
    type Rejection = ConsoleError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ConsoleError> {
        refuse_cross_site(req.headers(), state)?;
        let (mut parts, form) = read_form(req).await?;
        let SignedIn(session) = SignedIn::from_request_parts(&mut parts, state).await?;
        check_csrf(&session, &form)?;
        Ok(SignedInPost {
            session,
            form,
            context: crate::context::context_of(&parts),
        })
    }
}

/// A form post from someone not signed in (sign-in, setup): no session, so
/// the cross-site check is the guard.
pub struct PublicPost {
    pub context: RequestContext,
    pub form: FormData,
}

impl FromRequest<AppState> for PublicPost {
    type Rejection = ConsoleError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ConsoleError> {
        refuse_cross_site(req.headers(), state)?;
        let (parts, form) = read_form(req).await?;
        Ok(PublicPost {
            context: crate::context::context_of(&parts),
            form,
        })
    }
}
