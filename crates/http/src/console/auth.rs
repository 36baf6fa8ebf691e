//! Sign-in, sign-out, the first-run setup page, and `/`.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use roster_service::{NewOrg, ServiceError};
use serde::Deserialize;

use super::session::{clear_cookie, session_cookie, PublicPost, SignedIn, SignedInPost};
use super::{render, ConsoleError};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(root))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/setup", get(setup_page).post(setup))
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    email: String,
    error: Option<String>,
    /// Where to go after signing in (a local path: an invitation's page).
    next: String,
    /// The second step: the address is known and does not sign in through
    /// an identity provider; the password is asked.
    password_step: bool,
}

#[derive(Template)]
#[template(path = "sso_signed_out.html")]
struct SignedOutAtProvider {
    /// The provider's `end_session_endpoint` with the logout's parameters.
    to: String,
}

#[derive(Template)]
#[template(path = "sso_continue.html")]
struct ContinueToProvider {
    email: String,
    /// `/sso/{slug}?login_hint=…`
    to: String,
}

impl ContinueToProvider {
    /// The password step for this address: the primary admin's way in
    /// when the provider does not work.
    fn break_glass(&self) -> String {
        form_urlencoded::Serializer::for_suffix("/login?".to_owned(), "/login?".len())
            .append_pair("email", &self.email)
            .append_pair("password", "1")
            .finish()
    }
}

impl LoginPage {
    /// The first step again, keeping where to go after.
    fn another_address(&self) -> String {
        form_urlencoded::Serializer::for_suffix("/login?".to_owned(), "/login?".len())
            .append_pair("next", &self.next)
            .finish()
    }
}

/// A local path to return to after signing in; anything else is `/`.
pub(super) fn local_path(next: Option<&str>) -> String {
    match next {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') && p.len() < 300 => p.to_owned(),
        _ => "/".to_owned(),
    }
}

#[derive(Deserialize)]
struct LoginQuery {
    next: Option<String>,
    /// With `password=1`: the password step for this address at once —
    /// the primary admin's break-glass way in when home-realm discovery
    /// would send them to a provider that does not work.
    email: Option<String>,
    password: Option<String>,
}

#[derive(Template)]
#[template(path = "choose_org.html")]
struct ChooseOrg {
    orgs: Vec<roster_service::MembershipView>,
    csrf: String,
}

/// A stranger goes to sign-in; a member to their organization (or a choice).
async fn root(
    State(state): State<AppState>,
    signed_in: Result<SignedIn, ConsoleError>,
) -> Result<Response, ConsoleError> {
    let Ok(SignedIn(session)) = signed_in else {
        return Ok(Redirect::to("/login").into_response());
    };
    let orgs = state.service.memberships(session.account_id).await?;
    if let [only] = orgs.as_slice() {
        return Ok(Redirect::to(&format!("/o/{}", only.slug)).into_response());
    }
    render(&ChooseOrg {
        orgs,
        csrf: session.csrf_token,
    })
}

async fn login_page(Query(q): Query<LoginQuery>) -> Result<Response, ConsoleError> {
    let email = q
        .email
        .map(|e| e.trim().chars().take(320).collect())
        .unwrap_or_default();
    render(&LoginPage {
        password_step: q.password.is_some() && !String::is_empty(&email),
        email,
        error: None,
        next: local_path(q.next.as_deref()),
    })
}

/// The page that goes on to the organization's provider by itself.
fn continue_to_provider(slug: &str, email: &str) -> Result<Response, ConsoleError> {
    // A page that goes on by itself, not a redirect: the console's
    // `form-action 'self'` would stop a form's redirect to the provider's
    // (other) origin.
    render(&ContinueToProvider {
        email: email.trim().to_owned(),
        to: roster_service::sso::start_path(slug, email),
    })
}

/// The sign-in: the e-mail address first. An address of a domain that an
/// organization with single sign-on has proven goes to its identity
/// provider (home-realm discovery); any other gets the password step —
/// whether an account exists is not told.
async fn login(State(state): State<AppState>, post: PublicPost) -> Result<Response, ConsoleError> {
    let email = post.form.text("email").unwrap_or_default();
    let next = local_path(post.form.get("next"));
    let Some(password) = post.form.text("password") else {
        if let Some(slug) = state.service.sso_organization_for_email(&email).await? {
            return continue_to_provider(&slug, &email);
        }
        return render(&LoginPage {
            email: email.trim().to_owned(),
            error: None,
            next,
            password_step: true,
        });
    };
    match state.service.sign_in(&email, &password, &post.context).await {
        Ok(signed_in) => {
            let mut res = Redirect::to(&next).into_response();
            res.headers_mut()
                .insert(SET_COOKIE, session_cookie(&state, &signed_in.session_id));
            Ok(res)
        }
        Err(ServiceError::Unauthenticated) => {
            let page = LoginPage {
                email,
                error: Some("The e-mail or the password is not right.".into()),
                next,
                password_step: true,
            };
            Ok((StatusCode::UNAUTHORIZED, render(&page)?).into_response())
        }
        // The organizations of this account sign in only through their
        // provider: on to it.
        Err(ServiceError::SsoRequired { slug, .. }) => continue_to_provider(&slug, &email),
        Err(ServiceError::RateLimited) => {
            let page = LoginPage {
                email,
                error: Some("Too many attempts. Wait a few minutes and try again.".into()),
                next,
                password_step: true,
            };
            Ok((StatusCode::TOO_MANY_REQUESTS, render(&page)?).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

async fn logout(State(state): State<AppState>, post: SignedInPost) -> Result<Response, ConsoleError> {
    let _ = &post.form;
    let provider = state.service.sign_out(&post.session).await?;
    let mut res = match provider {
        // On to the provider's logout, by a page that goes on by itself:
        // `form-action 'self'` stops a form's redirect to another origin.
        Some(to) => render(&SignedOutAtProvider { to })?,
        None => Redirect::to("/login").into_response(),
    };
    let (name, value) = clear_cookie(&state);
    res.headers_mut().insert(name, value);
    Ok(res)
}

#[derive(Deserialize)]
struct SetupQuery {
    token: Option<String>,
}

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    token: String,
    name: String,
    slug: String,
    email: String,
    first_name: String,
    last_name: String,
    error: Option<String>,
}

async fn setup_page(Query(q): Query<SetupQuery>) -> Result<Response, ConsoleError> {
    let page = SetupPage {
        token: q.token.unwrap_or_default(),
        name: String::new(),
        slug: String::new(),
        email: String::new(),
        first_name: String::new(),
        last_name: String::new(),
        error: None,
    };
    let mut res = render(&page)?;
    // The link carries a secret: never send it on as a referrer.
    res.headers_mut()
        .insert("referrer-policy", axum::http::HeaderValue::from_static("no-referrer"));
    Ok(res)
}

async fn setup(State(state): State<AppState>, post: PublicPost) -> Result<Response, ConsoleError> {
    let f = &post.form;
    let new = NewOrg {
        name: f.text("name").unwrap_or_default(),
        slug: f.text("slug").unwrap_or_default(),
        owner_email: f.text("email").unwrap_or_default(),
        owner_first_name: f.text("first_name").unwrap_or_default(),
        owner_last_name: f.text("last_name").unwrap_or_default(),
        owner_password: f.text("password").unwrap_or_default(),
    };
    let token = f.text("token").unwrap_or_default();
    match state.service.setup_first_org(&token, new.clone()).await {
        Ok(_) => {
            let signed_in = state
                .service
                .sign_in(&new.owner_email, &new.owner_password, &post.context)
                .await?;
            let mut res = Redirect::to(&format!("/o/{}", new.slug.trim())).into_response();
            res.headers_mut()
                .insert(SET_COOKIE, session_cookie(&state, &signed_in.session_id));
            Ok(res)
        }
        Err(ServiceError::Invalid(e)) => {
            let page = SetupPage {
                token,
                name: new.name,
                slug: new.slug,
                email: new.owner_email,
                first_name: new.owner_first_name,
                last_name: new.owner_last_name,
                error: Some(format!("{}: {}", e.field, e.message)),
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(other) => Err(other.into()),
    }
}
