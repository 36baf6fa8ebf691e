//! Signing in through the organization's identity provider:
//! `/sso/{slug}` starts the flow (a link an IT department can put on its
//! intranet), `/sso/callback` ends it. The flow's cookie binds it to the
//! browser that started it; it lives ten minutes, on `/sso/` only.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header::{CACHE_CONTROL, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use roster_service::sso::{SsoCallback, SsoFinished, SsoPurpose, SsoRefusal};
use serde::Deserialize;

use super::session::{cookie_value, session_cookie};
use super::{render, ConsoleError};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/sso/callback", get(callback))
        .route("/sso/{slug}", get(start))
}

const FLOW_COOKIE: &str = "roster_sso";

fn flow_cookie(state: &AppState, value: &str, max_age: u32) -> HeaderValue {
    let secure = if state.config.secure_cookies() { "; Secure" } else { "" };
    // SameSite=Lax: the provider sends the browser back with a top-level GET.
    let cookie = format!("{FLOW_COOKIE}={value}; Path=/sso/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}");
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[derive(Template)]
#[template(path = "sso_refused.html")]
struct Refused {
    title: String,
    message: String,
}

#[derive(Template)]
#[template(path = "sso_tested.html")]
struct Tested {
    slug: String,
    subject: String,
    email: Option<String>,
}

// Roster's own look: a refused person may not belong to the organization.
impl Refused {
    fn brand(&self) -> Option<&roster_service::OrgView> {
        None
    }
}

impl Tested {
    fn brand(&self) -> Option<&roster_service::OrgView> {
        None
    }
}

#[derive(Deserialize)]
struct StartQuery {
    test: Option<String>,
    /// The address typed at the sign-in page, passed on to the provider.
    login_hint: Option<String>,
}

async fn start(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(q): Query<StartQuery>,
) -> Result<Response, ConsoleError> {
    let purpose = if q.test.is_some() {
        SsoPurpose::Test
    } else {
        SsoPurpose::SignIn
    };
    match state.service.start_sso(&slug, purpose, q.login_hint.as_deref()).await {
        Ok(started) => {
            let mut res = Redirect::to(&started.redirect_to).into_response();
            res.headers_mut()
                .insert(SET_COOKIE, flow_cookie(&state, &started.browser_token, 600));
            Ok(res)
        }
        Err(refusal) => refused(refusal),
    }
}

#[derive(Deserialize)]
struct CallbackQuery {
    state: Option<String>,
    code: Option<String>,
    iss: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

async fn callback(
    State(state): State<AppState>,
    Query(q): Query<CallbackQuery>,
    parts: Parts,
) -> Result<Response, ConsoleError> {
    let context = crate::context::context_of(&parts);
    let browser = cookie_value(&parts.headers, FLOW_COOKIE);
    let answer = SsoCallback {
        state: q.state,
        code: q.code,
        iss: q.iss,
        error: q.error,
        error_description: q.error_description,
    };
    let finished = state.service.finish_sso(answer, browser.as_deref(), &context).await;
    let mut res = match finished {
        Ok(SsoFinished::SignedIn { session, org_slug }) => {
            let mut res = Redirect::to(&format!("/o/{org_slug}")).into_response();
            res.headers_mut()
                .append(SET_COOKIE, session_cookie(&state, &session.session_id));
            res
        }
        Ok(SsoFinished::Tested {
            org_slug,
            subject,
            email,
        }) => render(&Tested {
            slug: org_slug,
            subject,
            email,
        })?,
        Err(refusal) => refused(refusal)?,
    };
    res.headers_mut().append(SET_COOKIE, flow_cookie(&state, "", 0));
    res.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

/// The page a refused sign-in gets: what happened, in words a member can
/// take to their administrator. A failure of Roster itself is not a
/// refusal: it gets the console's error page.
fn refused(refusal: SsoRefusal) -> Result<Response, ConsoleError> {
    let (status, title) = match &refusal {
        SsoRefusal::Service(_) => {
            return match refusal {
                SsoRefusal::Service(error) => Err(error.into()),
                _ => Err(ConsoleError::NotFound),
            }
        }
        SsoRefusal::NotConnected => (StatusCode::NOT_FOUND, "No identity provider"),
        SsoRefusal::UnknownFlow | SsoRefusal::WrongBrowser => (StatusCode::BAD_REQUEST, "Please sign in again"),
        SsoRefusal::NotLinked(why) if why.reason() == "not_a_member" => (StatusCode::FORBIDDEN, "Not a member"),
        SsoRefusal::Provider(_) => (StatusCode::BAD_GATEWAY, "The identity provider could not be used"),
        _ => (StatusCode::FORBIDDEN, "Sign-in refused"),
    };
    let page = Refused {
        title: title.into(),
        message: refusal.to_string(),
    };
    Ok((status, render(&page)?).into_response())
}
