//! Settings → Identity provider: what an admin pastes into Entra ID or
//! Okta to provision members over SCIM — the base URL and a token, shown
//! once — the tokens with their last use, and revoking one; and single
//! sign-on: connecting the organization's OpenID provider, the redirect
//! URI to register there, a test sign-in, the claimed domains.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use roster_service::scim::{NewScimToken, ScimTokenView};
use roster_service::sso::{SsoConnectionView, SsoDomainView, SsoSettings};
use roster_service::ServiceError;

use super::session::{Member, MemberPost};
use super::{render, ConsoleError, Layout};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/o/{slug}/settings/identity-provider", get(show))
        .route("/o/{slug}/settings/identity-provider/scim-tokens", post(create))
        .route(
            "/o/{slug}/settings/identity-provider/scim-tokens/{id}/revoke",
            post(revoke),
        )
        .route("/o/{slug}/settings/identity-provider/sso", post(connect))
        .route("/o/{slug}/settings/identity-provider/sso/remove", post(disconnect))
}

#[derive(Template)]
#[template(path = "identity_provider.html")]
struct IdentityPage {
    layout: Layout,
    /// `{base_url}/scim/v2`: Entra ID's "Tenant URL", Okta's "SCIM
    /// connector base URL".
    scim_url: String,
    tokens: Vec<ScimTokenView>,
    /// A token just made: shown this once.
    made: Option<String>,
    managed: bool,
    error: Option<String>,
    /// The connected OpenID provider, if any.
    sso: Option<SsoConnectionView>,
    /// `{base_url}/sso/callback`, to register at the provider.
    redirect_uri: String,
    /// `{base_url}/sso/{slug}`, a link for the company's intranet.
    sign_in_url: String,
    domains: Vec<SsoDomainView>,
}

async fn page(
    state: &AppState,
    member: &Member,
    made: Option<String>,
    error: Option<String>,
) -> Result<Response, ConsoleError> {
    let svc = &state.service;
    let actor = &member.actor;
    let org = svc.org(svc.authorize(actor).await?).await?;
    let page = IdentityPage {
        layout: Layout::new(state, member, "settings").await?,
        scim_url: format!("{}{}", state.config.base_url.trim_end_matches('/'), crate::scim::PREFIX),
        tokens: svc.scim_tokens(svc.authorize(actor).await?).await?,
        made,
        managed: org.managed_by_identity_provider,
        error,
        sso: svc.sso_connection(svc.authorize(actor).await?).await?,
        redirect_uri: roster_service::sso::redirect_uri(&state.config.base_url),
        sign_in_url: format!("{}/sso/{}", state.config.base_url.trim_end_matches('/'), actor.org_slug),
        domains: svc.sso_domains(svc.authorize(actor).await?).await?,
    };
    render(&page)
}

async fn show(State(state): State<AppState>, member: Member) -> Result<Response, ConsoleError> {
    page(&state, &member, None, None).await
}

async fn create(State(state): State<AppState>, post: MemberPost) -> Result<Response, ConsoleError> {
    let svc = &state.service;
    let MemberPost { member, form } = post;
    let days = match form.get("expires_in_days").map(str::trim).filter(|d| !d.is_empty()) {
        None => None,
        Some(raw) => match raw.parse::<i64>() {
            Ok(days) => Some(days),
            Err(_) => return page(&state, &member, None, Some("Days: give a whole number.".into())).await,
        },
    };
    let new = NewScimToken {
        name: form.text("name"),
        expires_in_days: days,
    };
    let made = match svc.authorize(&member.actor).await {
        Ok(can) => svc.create_scim_token(can, new).await,
        Err(e) => Err(e),
    };
    match made {
        Ok(made) => page(&state, &member, Some(made.token), None).await,
        Err(ServiceError::Invalid(e)) => page(&state, &member, None, Some(format!("{}: {}", e.field, e.message))).await,
        Err(ServiceError::Forbidden(m) | ServiceError::MissingPermission(m)) => {
            page(&state, &member, None, Some(m)).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn revoke(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, i64)>,
    post: MemberPost,
) -> Result<Response, ConsoleError> {
    let svc = &state.service;
    svc.revoke_scim_token(svc.authorize(&post.member.actor).await?, id)
        .await?;
    Ok(Redirect::to(&format!("/o/{}/settings/identity-provider", post.member.actor.org_slug)).into_response())
}

/// Connects (or changes) the OpenID provider from the form. An empty
/// secret keeps the stored one.
async fn connect(State(state): State<AppState>, post: MemberPost) -> Result<Response, ConsoleError> {
    let svc = &state.service;
    let MemberPost { member, form } = post;
    // What the form leaves empty keeps the service's defaults.
    let given = |name: &str| form.text(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let mut settings = SsoSettings::new(
        &given("issuer").unwrap_or_default(),
        &given("client_id").unwrap_or_default(),
        given("client_secret"),
    );
    if let Some(scopes) = given("scopes") {
        settings.scopes = vec![scopes];
    }
    for (field, value) in [
        (&mut settings.email_claim, given("email_claim")),
        (&mut settings.first_name_claim, given("first_name_claim")),
        (&mut settings.last_name_claim, given("last_name_claim")),
    ] {
        if let Some(value) = value {
            *field = value;
        }
    }
    settings.jit = form.get("jit").is_some();
    let done = match svc.authorize(&member.actor).await {
        Ok(can) => svc.set_sso(can, settings).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match done {
        Ok(()) => Ok(Redirect::to(&format!("/o/{}/settings/identity-provider", member.actor.org_slug)).into_response()),
        Err(ServiceError::Invalid(e)) => page(&state, &member, None, Some(format!("{}: {}", e.field, e.message))).await,
        Err(ServiceError::Forbidden(m) | ServiceError::MissingPermission(m)) => {
            page(&state, &member, None, Some(m)).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn disconnect(State(state): State<AppState>, post: MemberPost) -> Result<Response, ConsoleError> {
    let svc = &state.service;
    svc.remove_sso(svc.authorize(&post.member.actor).await?).await?;
    Ok(Redirect::to(&format!("/o/{}/settings/identity-provider", post.member.actor.org_slug)).into_response())
}
