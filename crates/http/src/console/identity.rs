//! Settings → Identity provider: what an admin pastes into Entra ID or
//! Okta to provision members over SCIM — the base URL and a token, shown
//! once — the tokens with their last use, and revoking one; and single
//! sign-on: connecting the organization's OpenID provider, the redirect
//! URI to register there, a test sign-in, the domains it claims and proves
//! by DNS, and which of the provider's groups give roles and teams.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use roster_service::scim::{NewScimToken, ScimTokenView};
use roster_service::sso::{GroupGrant, SsoConnectionView, SsoDomainView, SsoGroupRuleView, SsoSettings};
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
        .route("/o/{slug}/settings/identity-provider/domains", post(claim_domain))
        .route(
            "/o/{slug}/settings/identity-provider/domains/verify",
            post(verify_domain),
        )
        .route(
            "/o/{slug}/settings/identity-provider/domains/remove",
            post(remove_domain),
        )
        .route("/o/{slug}/settings/identity-provider/groups", post(add_group_rule))
        .route(
            "/o/{slug}/settings/identity-provider/groups/remove",
            post(remove_group_rule),
        )
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
    group_rules: Vec<SsoGroupRuleView>,
    /// Teams a group may fill: (id, name).
    teams: Vec<(i64, String)>,
    /// Roles a group may give: (key, label).
    roles: Vec<(String, String)>,
    /// Single sign-on is required and the owner has no identity at the
    /// provider: their password is their only way in.
    break_glass_only: bool,
    /// A domain just claimed or proven.
    notice: Option<String>,
}

async fn page(
    state: &AppState,
    member: &Member,
    made: Option<String>,
    error: Option<String>,
) -> Result<Response, ConsoleError> {
    page_with_notice(state, member, made, error, None).await
}

async fn page_with_notice(
    state: &AppState,
    member: &Member,
    made: Option<String>,
    error: Option<String>,
    notice: Option<String>,
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
        group_rules: svc.sso_group_rules(svc.authorize(actor).await?).await?,
        teams: svc
            .teams(svc.authorize(actor).await?)
            .await?
            .into_iter()
            .map(|t| (t.id, t.name))
            .collect(),
        roles: svc
            .vocabulary(svc.authorize(actor).await?)
            .await?
            .grantable_roles(actor)
            .into_iter()
            .map(|r| (r.value, r.label))
            .collect(),
        break_glass_only: svc.sso_break_glass_only(svc.authorize(actor).await?).await?,
        notice,
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
        Err(e) => refused(&state, &member, e).await,
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
        (&mut settings.groups_claim, given("groups_claim")),
    ] {
        if let Some(value) = value {
            *field = value;
        }
    }
    settings.jit = form.get("jit").is_some();
    settings.required = form.get("required").is_some();
    let done = match svc.authorize(&member.actor).await {
        Ok(can) => svc.set_sso(can, settings).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match done {
        Ok(()) => Ok(Redirect::to(&format!("/o/{}/settings/identity-provider", member.actor.org_slug)).into_response()),
        Err(e) => refused(&state, &member, e).await,
    }
}

async fn disconnect(State(state): State<AppState>, post: MemberPost) -> Result<Response, ConsoleError> {
    let svc = &state.service;
    svc.remove_sso(svc.authorize(&post.member.actor).await?).await?;
    Ok(Redirect::to(&format!("/o/{}/settings/identity-provider", post.member.actor.org_slug)).into_response())
}

/// A refusal of the service as the page's error, anything else as the
/// console's error page.
async fn refused(state: &AppState, member: &Member, e: ServiceError) -> Result<Response, ConsoleError> {
    match e {
        ServiceError::Invalid(e) => page(state, member, None, Some(format!("{}: {}", e.field, e.message))).await,
        ServiceError::Forbidden(m) | ServiceError::MissingPermission(m) => page(state, member, None, Some(m)).await,
        e @ ServiceError::Conflict { .. } => page(state, member, None, Some(e.to_string())).await,
        e => Err(e.into()),
    }
}

/// Claims a domain: the page shows the TXT record to publish.
async fn claim_domain(State(state): State<AppState>, post: MemberPost) -> Result<Response, ConsoleError> {
    let svc = &state.service;
    let MemberPost { member, form } = post;
    let domain = form.text("domain").unwrap_or_default();
    match svc.claim_sso_domain(svc.authorize(&member.actor).await?, &domain).await {
        Ok(claimed) => {
            let notice = format!(
                "{} is claimed. Publish a TXT record {} with the value {}, then choose Verify.",
                claimed.domain, claimed.record_name, claimed.proof
            );
            page_with_notice(&state, &member, None, None, Some(notice)).await
        }
        Err(e) => refused(&state, &member, e).await,
    }
}

/// Looks for the domain's TXT record.
async fn verify_domain(State(state): State<AppState>, post: MemberPost) -> Result<Response, ConsoleError> {
    let svc = &state.service;
    let MemberPost { member, form } = post;
    let domain = form.text("domain").unwrap_or_default();
    match svc
        .verify_sso_domain(svc.authorize(&member.actor).await?, &domain)
        .await
    {
        Ok(proven) => {
            let notice = format!("{} is proven: it belongs to this organization.", proven.domain);
            page_with_notice(&state, &member, None, None, Some(notice)).await
        }
        Err(e) => refused(&state, &member, e).await,
    }
}

async fn remove_domain(State(state): State<AppState>, post: MemberPost) -> Result<Response, ConsoleError> {
    let svc = &state.service;
    let MemberPost { member, form } = post;
    let domain = form.text("domain").unwrap_or_default();
    match svc
        .remove_sso_domain(svc.authorize(&member.actor).await?, &domain)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/o/{}/settings/identity-provider", member.actor.org_slug)).into_response()),
        Err(e) => refused(&state, &member, e).await,
    }
}

/// Adds a rule: a group gives a role (`grant=role:KEY`) or a team's
/// membership (`grant=team:ID`).
async fn add_group_rule(State(state): State<AppState>, post: MemberPost) -> Result<Response, ConsoleError> {
    let svc = &state.service;
    let MemberPost { member, form } = post;
    let group = form.text("group").unwrap_or_default();
    let grant = match form.get("grant").and_then(|g| g.split_once(':')) {
        Some(("role", key)) => GroupGrant::Role(key.to_owned()),
        Some(("team", id)) => match id.parse() {
            Ok(id) => GroupGrant::Team(id),
            Err(_) => return Err(ConsoleError::BadRequest),
        },
        _ => {
            return page(
                &state,
                &member,
                None,
                Some("Choose what the group gives: a role or a team.".into()),
            )
            .await
        }
    };
    match svc
        .add_sso_group_rule(svc.authorize(&member.actor).await?, &group, grant)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/o/{}/settings/identity-provider", member.actor.org_slug)).into_response()),
        Err(e) => refused(&state, &member, e).await,
    }
}

async fn remove_group_rule(State(state): State<AppState>, post: MemberPost) -> Result<Response, ConsoleError> {
    let svc = &state.service;
    let MemberPost { member, form } = post;
    let group = form.text("group").unwrap_or_default();
    svc.remove_sso_group_rules(svc.authorize(&member.actor).await?, &group)
        .await?;
    Ok(Redirect::to(&format!("/o/{}/settings/identity-provider", member.actor.org_slug)).into_response())
}
