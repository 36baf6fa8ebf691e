//! The member's own way in, without an account or signed out: an
//! invitation's link, "Forgot password?", and an organization's sign-up
//! page. Every page here sends `Referrer-Policy: no-referrer` (its URL
//! holds a secret) and shows the organization's design.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, SET_COOKIE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use roster_service::{AcceptError, InvitationLink, OrgView, ServiceError, SignupPage, MIN_PASSWORD_CHARS};

use super::session::{session_cookie, PublicPost, SignedIn, SignedInPost};
use super::{render, ConsoleError};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/invite/{token}", get(invitation).post(accept_new))
        .route("/invite/{token}/accept", axum::routing::post(accept_signed_in))
        .route("/forgot", get(forgot_page).post(forgot))
        .route("/reset/{token}", get(reset_page).post(reset))
        .route("/join/{slug}", get(join_page).post(join))
        .route("/theme/{slug}", get(theme))
        .layer(axum::middleware::from_fn(no_referrer))
}

/// The links here carry secrets: no page sends its URL anywhere.
async fn no_referrer(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let mut res = next.run(req).await;
    res.headers_mut()
        .insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    res.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// An organization's accent colours, for its public pages.
async fn theme(State(state): State<AppState>, Path(slug): Path<String>) -> Result<Response, ConsoleError> {
    let org = match state.service.signup_page(&slug).await? {
        SignupPage::Open(o) | SignupPage::Off(o) | SignupPage::ManagedByIdentityProvider(o) => o,
    };
    Ok((
        [(CONTENT_TYPE, "text/css"), (CACHE_CONTROL, "public, max-age=60")],
        super::home::theme_css(&org.accent_color)?,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "accept.html")]
struct AcceptPage {
    org: OrgView,
    token: String,
    email: String,
    first_name: String,
    expires_at: String,
    account_exists: bool,
    /// Signed in: as whom, and the form token.
    signed_in_as: Option<(String, String)>,
    min_password: usize,
    error: Option<String>,
    /// The organization's identity provider, when it has one.
    sso: Option<roster_service::SsoWayIn>,
}

#[derive(Template)]
#[template(path = "link_state.html")]
struct LinkStatePage {
    org: Option<OrgView>,
    title: &'static str,
    message: String,
}

impl AcceptPage {
    fn brand(&self) -> Option<&OrgView> {
        Some(&self.org)
    }

    /// The provider is the only way in: no password is chosen or asked.
    fn sso_only(&self) -> bool {
        self.sso.as_ref().is_some_and(|way| way.required)
    }
}

impl LinkStatePage {
    fn brand(&self) -> Option<&OrgView> {
        self.org.as_ref()
    }
}

impl ForgotPage {
    fn brand(&self) -> Option<&OrgView> {
        None
    }
}

impl ResetPage {
    fn brand(&self) -> Option<&OrgView> {
        None
    }
}

impl JoinPage {
    fn brand(&self) -> Option<&OrgView> {
        Some(&self.org)
    }
}

fn link_state(
    status: StatusCode,
    org: Option<OrgView>,
    title: &'static str,
    message: &str,
) -> Result<Response, ConsoleError> {
    Ok((
        status,
        render(&LinkStatePage {
            org,
            title,
            message: message.to_owned(),
        })?,
    )
        .into_response())
}

const TELL_ADMINS: &str = "Ask the admins of the organization for a new invitation: reply to the invitation e-mail, which goes to the person who sent it.";

async fn invitation(
    State(state): State<AppState>,
    Path(token): Path<String>,
    signed_in: Result<SignedIn, ConsoleError>,
) -> Result<Response, ConsoleError> {
    show_invitation(&state, &token, signed_in.ok(), None).await
}

async fn show_invitation(
    state: &AppState,
    token: &str,
    signed_in: Option<SignedIn>,
    error: Option<String>,
) -> Result<Response, ConsoleError> {
    match state.service.invitation_link(token).await? {
        InvitationLink::Open {
            org,
            email,
            first_name,
            account_exists,
            expires_at,
            sso,
        } => render(&AcceptPage {
            sso,
            org,
            token: token.to_owned(),
            email,
            first_name,
            expires_at: expires_at.to_string().get(..16).unwrap_or_default().replace('T', " "),
            account_exists,
            signed_in_as: signed_in.map(|SignedIn(s)| (s.email, s.csrf_token)),
            min_password: MIN_PASSWORD_CHARS,
            error,
        }),
        InvitationLink::Expired { org } => link_state(
            StatusCode::GONE,
            Some(org),
            "This invitation has expired",
            &format!("Invitations are valid for a limited time. {TELL_ADMINS}"),
        ),
        InvitationLink::Revoked { org } => link_state(
            StatusCode::GONE,
            Some(org),
            "This invitation is no longer valid",
            &format!("It was withdrawn, or a newer invitation replaced it — look for a later e-mail. {TELL_ADMINS}"),
        ),
        InvitationLink::Used { org } => link_state(
            StatusCode::GONE,
            Some(org),
            "This invitation has been used",
            "It was accepted already. Sign in to reach the organization; if you did not accept it, tell the admins.",
        ),
        InvitationLink::Unknown => link_state(
            StatusCode::NOT_FOUND,
            None,
            "This invitation link is not valid",
            "Check that the whole address from the e-mail was opened. If it still does not work, ask the admins for a new invitation.",
        ),
    }
}

fn signed_in_response(state: &AppState, session_id: &str, to: &str) -> Response {
    let mut res = Redirect::to(to).into_response();
    res.headers_mut().insert(SET_COOKIE, session_cookie(state, session_id));
    res
}

/// Why accepting failed, as the page says it (or the link's own page).
async fn accept_failed(
    state: &AppState,
    token: &str,
    err: AcceptError,
    signed_in: Option<SignedIn>,
) -> Result<Response, ConsoleError> {
    match err {
        AcceptError::Service(ServiceError::Invalid(e)) => show_invitation(state, token, signed_in, Some(e.message)).await,
        AcceptError::AccountExists => show_invitation(
            state,
            token,
            signed_in,
            Some("An account with this e-mail exists already: sign in as it to accept.".into()),
        )
        .await,
        AcceptError::WrongAccount { invited, signed_in: me } => link_state(
            StatusCode::FORBIDDEN,
            None,
            "This invitation is for someone else",
            &format!("It was sent to {invited}, but you are signed in as {me}. Sign out, then open the link again and sign in as {invited} (or create that account)."),
        ),
        AcceptError::Service(ServiceError::RateLimited) => Err(ConsoleError::TooMany),
        AcceptError::Service(e) => Err(e.into()),
        // Expired, revoked, used or unknown: the link's own page says which.
        _ => show_invitation(state, token, signed_in, None).await,
    }
}

/// A new person sets their password and is in.
async fn accept_new(
    State(state): State<AppState>,
    Path(token): Path<String>,
    post: PublicPost,
) -> Result<Response, ConsoleError> {
    let password = post.form.get("password").unwrap_or_default().to_owned();
    if post.form.get("password_again").unwrap_or_default() != password {
        return show_invitation(&state, &token, None, Some("The two passwords are not the same.".into())).await;
    }
    match state
        .service
        .accept_invitation_with_password(&token, &password, &post.context)
        .await
    {
        Ok(session) => Ok(signed_in_response(&state, &session.session_id, "/")),
        Err(e) => accept_failed(&state, &token, e, None).await,
    }
}

/// Someone signed in accepts as themselves (only as the invitation's account).
async fn accept_signed_in(
    State(state): State<AppState>,
    Path(token): Path<String>,
    post: SignedInPost,
) -> Result<Response, ConsoleError> {
    match state
        .service
        .accept_invitation_signed_in(&token, &post.session, &post.context)
        .await
    {
        Ok(slug) => Ok(Redirect::to(&format!("/o/{slug}")).into_response()),
        Err(e) => accept_failed(&state, &token, e, Some(SignedIn(post.session))).await,
    }
}

#[derive(Template)]
#[template(path = "forgot.html")]
struct ForgotPage {
    email: String,
    sent: bool,
    error: Option<String>,
}

async fn forgot_page() -> Result<Response, ConsoleError> {
    render(&ForgotPage {
        email: String::new(),
        sent: false,
        error: None,
    })
}

async fn forgot(State(state): State<AppState>, post: PublicPost) -> Result<Response, ConsoleError> {
    let email = post.form.text("email").unwrap_or_default();
    match state.service.request_password_reset(&email, &post.context).await {
        Ok(()) => render(&ForgotPage {
            email,
            sent: true,
            error: None,
        }),
        Err(ServiceError::RateLimited) => Ok((
            StatusCode::TOO_MANY_REQUESTS,
            render(&ForgotPage {
                email,
                sent: false,
                error: Some("Too many requests from here. Wait a few minutes and try again.".into()),
            })?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "reset.html")]
struct ResetPage {
    token: String,
    open: bool,
    min_password: usize,
    error: Option<String>,
}

async fn reset_page(State(state): State<AppState>, Path(token): Path<String>) -> Result<Response, ConsoleError> {
    let open = state.service.password_reset_open(&token).await?;
    let page = ResetPage {
        token,
        open,
        min_password: MIN_PASSWORD_CHARS,
        error: None,
    };
    let status = if open { StatusCode::OK } else { StatusCode::GONE };
    Ok((status, render(&page)?).into_response())
}

async fn reset(
    State(state): State<AppState>,
    Path(token): Path<String>,
    post: PublicPost,
) -> Result<Response, ConsoleError> {
    let password = post.form.get("password").unwrap_or_default().to_owned();
    let again = post.form.get("password_again").unwrap_or_default();
    let refuse = |message: String, open: bool| -> Result<Response, ConsoleError> {
        let status = if open {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::GONE
        };
        let page = ResetPage {
            token: token.clone(),
            open,
            min_password: MIN_PASSWORD_CHARS,
            error: Some(message),
        };
        Ok((status, render(&page)?).into_response())
    };
    if again != password {
        return refuse("The two passwords are not the same.".into(), true);
    }
    match state.service.reset_password(&token, &password, &post.context).await {
        Ok(session) => Ok(signed_in_response(&state, &session.session_id, "/")),
        Err(ServiceError::Invalid(e)) => refuse(e.message, true),
        Err(e @ ServiceError::Conflict { .. }) => refuse(e.to_string(), false),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "join.html")]
struct JoinPage {
    org: OrgView,
    /// open, off, or idp.
    state: &'static str,
    email: String,
    sent: bool,
    error: Option<String>,
}

fn join_state(page: SignupPage) -> (OrgView, &'static str) {
    match page {
        SignupPage::Open(o) => (o, "open"),
        SignupPage::Off(o) => (o, "off"),
        SignupPage::ManagedByIdentityProvider(o) => (o, "idp"),
    }
}

async fn join_page(State(state): State<AppState>, Path(slug): Path<String>) -> Result<Response, ConsoleError> {
    let (org, open) = join_state(state.service.signup_page(&slug).await?);
    render(&JoinPage {
        org,
        state: open,
        email: String::new(),
        sent: false,
        error: None,
    })
}

async fn join(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    post: PublicPost,
) -> Result<Response, ConsoleError> {
    let (org, open) = join_state(state.service.signup_page(&slug).await?);
    let email = post.form.text("email").unwrap_or_default();
    let (status, sent, error) = match state.service.sign_up(&slug, &email, &post.context).await {
        Ok(()) => (StatusCode::OK, true, None),
        Err(ServiceError::Invalid(e)) => (StatusCode::UNPROCESSABLE_ENTITY, false, Some(e.message)),
        Err(ServiceError::RateLimited) => (
            StatusCode::TOO_MANY_REQUESTS,
            false,
            Some("Too many sign-ups from here. Wait a few minutes and try again.".into()),
        ),
        Err(e @ ServiceError::Conflict { .. }) => (StatusCode::CONFLICT, false, Some(e.to_string())),
        Err(e) => return Err(e.into()),
    };
    let page = JoinPage {
        org,
        state: open,
        email,
        sent,
        error,
    };
    Ok((status, render(&page)?).into_response())
}
