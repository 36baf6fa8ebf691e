//! The web console: server-rendered pages from auto-escaping askama
//! templates. Every form works without JavaScript; `static/console.js` only
//! adds search-as-you-type and a character counter. Handlers call the same
//! service functions as the API.

mod audit;
mod auth;
pub(crate) mod error;
mod exports;
mod home;
mod identity;
mod imports;
mod invitations;
mod members;
mod session;
mod settings;
mod sso;
mod teams;
mod tokens;
mod way_in;

use askama::Template;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::HeaderValue;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use roster_domain::Permission;
use roster_service::MembershipView;

pub use error::ConsoleError;
use session::Member;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/static/console.css",
            get(|| async { asset("text/css", include_str!("../../static/console.css")) }),
        )
        .route(
            "/static/console.js",
            get(|| async { asset("text/javascript", include_str!("../../static/console.js")) }),
        )
        .merge(auth::routes())
        .merge(home::routes())
        .merge(members::routes())
        .merge(teams::routes())
        .merge(settings::routes())
        .merge(identity::routes())
        .merge(sso::routes())
        .merge(audit::routes())
        .merge(imports::routes())
        .merge(tokens::routes())
        .merge(way_in::routes())
        .merge(invitations::routes())
        .merge(exports::routes())
        .layer(axum::middleware::from_fn(security_headers))
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [(CONTENT_TYPE, content_type), (CACHE_CONTROL, "public, max-age=300")],
        body,
    )
        .into_response()
}

/// Headers every console page carries: no framing, no inline script, no
/// sniffing, and nothing of the URL leaks to other sites.
async fn security_headers(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    // (A page may set a stricter one of its own: the mail preview.)
    h.entry("content-security-policy").or_insert(HeaderValue::from_static(
        "default-src 'self'; img-src 'self' https: data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    ));
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.entry("referrer-policy")
        .or_insert(HeaderValue::from_static("same-origin"));
    res
}

/// Renders a template, or answers 500 with the request id.
pub fn render<T: Template>(page: &T) -> Result<Response, ConsoleError> {
    page.render()
        .map(|html| Html(html).into_response())
        .map_err(|e| ConsoleError::Service(roster_service::ServiceError::Internal(Box::new(e))))
}

/// What every page inside an organization shows around its content.
pub struct Layout {
    pub slug: String,
    pub org_name: String,
    pub logo_url: String,
    pub csrf: String,
    pub user_name: String,
    pub active: &'static str,
    pub orgs: Vec<MembershipView>,
    pub can_manage_members: bool,
    pub can_manage_org: bool,
    pub can_read_audit: bool,
    pub can_read_members: bool,
    pub can_read_teams: bool,
    pub can_import: bool,
    pub can_invite: bool,
    pub can_export: bool,
}

impl Layout {
    pub async fn new(state: &AppState, member: &Member, active: &'static str) -> Result<Layout, ConsoleError> {
        let orgs = state.service.memberships(member.session.account_id).await?;
        let actor = &member.actor;
        let this = orgs.iter().find(|m| m.org_id == actor.org_id);
        let org_name = this.map(|m| m.name.clone()).unwrap_or_default();
        let logo_url = this.map(|m| m.logo_url.clone()).unwrap_or_default();
        let p = |perm| actor.permissions.contains(perm);
        Ok(Layout {
            slug: actor.org_slug.clone(),
            org_name,
            logo_url,
            csrf: member.session.csrf_token.clone(),
            user_name: if member.session.name.is_empty() {
                member.session.email.clone()
            } else {
                member.session.name.clone()
            },
            active,
            can_manage_members: p(Permission::ManageMembers),
            can_manage_org: p(Permission::ManageOrg),
            can_read_audit: p(Permission::ReadAudit),
            can_read_members: p(Permission::ReadMembers),
            can_read_teams: p(Permission::ReadTeams),
            can_import: p(Permission::Import),
            can_invite: p(Permission::Invite),
            can_export: p(Permission::Export),
            orgs,
        })
    }

    pub fn nav_class(&self, name: &str) -> &'static str {
        if self.active == name {
            "active"
        } else {
            ""
        }
    }
}
