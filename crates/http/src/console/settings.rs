//! Settings: the organization, purchased seats, custom roles and custom fields.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use roster_domain::Permission;
use roster_service::{
    CustomFieldView, CustomRoleView, NewCustomField, NewCustomRole, OrgSettingsPatch, OrgView, SeatSummary,
    ServiceError,
};

use super::session::{Member, MemberPost};
use super::{render, ConsoleError, Layout};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/o/{slug}/settings", get(show).post(save))
        .route("/o/{slug}/settings/seats", post(seats))
        .route("/o/{slug}/settings/roles", post(create_role))
        .route("/o/{slug}/settings/roles/{key}/delete", post(delete_role))
        .route("/o/{slug}/settings/fields", post(create_field))
        .route("/o/{slug}/settings/fields/{key}/delete", post(delete_field))
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    layout: Layout,
    org: OrgView,
    seats: Vec<SeatSummary>,
    roles: Vec<CustomRoleView>,
    fields: Vec<CustomFieldView>,
    permissions: Vec<&'static str>,
    error: Option<String>,
    saved: bool,
    languages: Vec<(&'static str, &'static str)>,
    /// The sign-up page's shareable address.
    signup_url: String,
    /// Where every link of this instance starts.
    base_url: String,
    mail_configured: bool,
}

async fn page(state: &AppState, member: &Member, error: Option<String>, saved: bool) -> Result<Response, ConsoleError> {
    let svc = &state.service;
    let actor = &member.actor;
    svc.authorize::<roster_service::ManageOrg>(actor).await?;
    let page = SettingsPage {
        layout: Layout::new(state, member, "settings").await?,
        org: svc.org(svc.authorize(actor).await?).await?,
        seats: svc.seats(svc.authorize(actor).await?).await?,
        roles: svc.custom_roles(svc.authorize(actor).await?).await?,
        fields: svc.custom_fields(svc.authorize(actor).await?).await?,
        permissions: Permission::ALL.iter().map(|p| p.as_str()).collect(),
        error,
        saved,
        languages: roster_domain::Language::ALL
            .iter()
            .map(|l| (l.as_str(), l.label()))
            .collect(),
        signup_url: format!(
            "{}/join/{}",
            state.config.base_url.trim_end_matches('/'),
            actor.org_slug
        ),
        mail_configured: svc.mail_config().is_configured(),
        base_url: state.config.base_url.trim_end_matches('/').to_owned(),
    };
    render(&page)
}

async fn show(
    State(state): State<AppState>,
    member: Member,
    RawQuery(raw): RawQuery,
) -> Result<Response, ConsoleError> {
    let saved = raw.as_deref() == Some("saved=1");
    page(&state, &member, None, saved).await
}

/// Shows the settings again after a change: saved, or with the complaint.
async fn after(
    state: &AppState,
    post: &MemberPost,
    result: Result<(), ServiceError>,
) -> Result<Response, ConsoleError> {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/o/{}/settings?saved=1", post.member.actor.org_slug)).into_response()),
        Err(ServiceError::Invalid(e)) => {
            page(state, &post.member, Some(format!("{}: {}", e.field, e.message)), false).await
        }
        Err(e @ ServiceError::Conflict { .. }) => page(state, &post.member, Some(e.to_string()), false).await,
        Err(e) => Err(e.into()),
    }
}

async fn save(State(state): State<AppState>, post: MemberPost) -> Result<Response, ConsoleError> {
    let f = &post.form;
    let number = |k: &str| f.get(k).and_then(|v| v.trim().parse::<i64>().ok());
    let patch = OrgSettingsPatch {
        name: f.text("name"),
        slug: None,
        description: f.text("description"),
        accent_color: f.text("accent_color"),
        logo_url: f.text("logo_url"),
        invitation_lifetime_days: number("invitation_lifetime_days"),
        export_retention_days: number("export_retention_days"),
        job_history_days: number("job_history_days"),
        import_row_limit: number("import_row_limit"),
        managed_by_identity_provider: Some(f.checked("managed_by_identity_provider")),
        signup_enabled: Some(f.checked("signup_enabled")),
        language: match f.text("language") {
            Some(l) => Some(roster_domain::Language::parse(&l).map_err(ServiceError::from)?),
            None => None,
        },
        signup_domains: f.get("signup_domains").map(|v| {
            v.split([',', ' ', '\n'])
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .map(str::to_owned)
                .collect()
        }),
    };
    let svc = &state.service;
    let result = svc
        .update_settings(svc.authorize(&post.member.actor).await?, patch)
        .await
        .map(|_| ());
    after(&state, &post, result).await
}

async fn seats(State(state): State<AppState>, post: MemberPost) -> Result<Response, ConsoleError> {
    let svc = &state.service;
    let seat_type = post.form.text("seat_type").unwrap_or_default();
    let Some(purchased) = post.form.get("purchased").and_then(|v| v.trim().parse::<i64>().ok()) else {
        return page(
            &state,
            &post.member,
            Some("purchased: must be a whole number".into()),
            false,
        )
        .await;
    };
    let result = svc
        .set_seats(
            svc.authorize(&post.member.actor).await?,
            &seat_type,
            purchased,
            post.form.text("label"),
        )
        .await
        .map(|_| ());
    after(&state, &post, result).await
}

async fn create_role(State(state): State<AppState>, post: MemberPost) -> Result<Response, ConsoleError> {
    let svc = &state.service;
    let permissions = post
        .form
        .all("permissions")
        .into_iter()
        .map(roster_domain::Permission::parse)
        .collect::<Result<Vec<_>, _>>();
    let new = permissions.map(|permissions| NewCustomRole {
        key: post.form.text("key").unwrap_or_default(),
        name: post.form.text("name").unwrap_or_default(),
        permissions,
    });
    let new = match new {
        Ok(new) => new,
        Err(e) => return after(&state, &post, Err(e.into())).await,
    };
    let result = match svc
        .create_custom_role(svc.authorize(&post.member.actor).await?, new)
        .await
    {
        Ok(_) => Ok(()),
        Err(ServiceError::Forbidden(m)) => Err(ServiceError::Invalid(roster_domain::InvalidInput::new(
            "permissions",
            "forbidden",
            m,
        ))),
        Err(e) => Err(e),
    };
    after(&state, &post, result).await
}

async fn delete_role(
    State(state): State<AppState>,
    Path((_, key)): Path<(String, String)>,
    post: MemberPost,
) -> Result<Response, ConsoleError> {
    let svc = &state.service;
    let result = svc
        .delete_custom_role(svc.authorize(&post.member.actor).await?, &key)
        .await;
    after(&state, &post, result).await
}

async fn create_field(State(state): State<AppState>, post: MemberPost) -> Result<Response, ConsoleError> {
    let svc = &state.service;
    let choices = post
        .form
        .get("choices")
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect();
    let kind = match roster_service::FieldKind::parse(post.form.get("kind").unwrap_or_default()) {
        Ok(kind) => kind,
        Err(e) => return after(&state, &post, Err(e.into())).await,
    };
    let new = NewCustomField {
        key: post.form.text("key").unwrap_or_default(),
        label: post.form.text("label").unwrap_or_default(),
        kind,
        choices,
    };
    let result = svc
        .create_custom_field(svc.authorize(&post.member.actor).await?, new)
        .await
        .map(|_| ());
    after(&state, &post, result).await
}

async fn delete_field(
    State(state): State<AppState>,
    Path((_, key)): Path<(String, String)>,
    post: MemberPost,
) -> Result<Response, ConsoleError> {
    let svc = &state.service;
    let result = svc
        .delete_custom_field(svc.authorize(&post.member.actor).await?, &key)
        .await;
    after(&state, &post, result).await
}
