//! The organization's home page, its theme, and the member's own profile.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use roster_service::{
    ContentItemView, MemberTeamView, MemberView, OrgOverview, OrgView, RemoveMember, SeatSummary, ServiceError,
    TokenView,
};

use super::session::{Member, MemberPost};
use super::{render, ConsoleError, Layout};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/o/{slug}", get(home))
        .route("/o/{slug}/theme.css", get(theme))
        .route("/o/{slug}/profile", get(profile))
        .route("/o/{slug}/leave", post(leave))
}

/// A line chart as SVG coordinates, computed here so the template only
/// prints numbers.
pub struct Chart {
    pub points: String,
    pub first_day: String,
    pub last_day: String,
    pub min: i64,
    pub max: i64,
    pub latest: i64,
}

fn chart(series: &[(i64, i64)]) -> Chart {
    let (w, h) = (600.0, 160.0);
    let min = series.iter().map(|(_, n)| *n).min().unwrap_or(0);
    let max = series.iter().map(|(_, n)| *n).max().unwrap_or(0).max(min + 1);
    let span = (series.len().max(2) - 1) as f64;
    let points = series
        .iter()
        .enumerate()
        .map(|(i, (_, n))| {
            let x = i as f64 / span * w;
            let y = h - ((n - min) as f64 / (max - min) as f64) * (h - 10.0) - 5.0;
            format!("{x:.1},{y:.1}")
        })
        .collect::<Vec<_>>()
        .join(" ");
    let day = |d: i64| {
        roster_domain::format_rfc3339(d * 86_400_000)
            .get(..10)
            .unwrap_or("")
            .to_owned()
    };
    Chart {
        points,
        first_day: series.first().map(|(d, _)| day(*d)).unwrap_or_default(),
        last_day: series.last().map(|(d, _)| day(*d)).unwrap_or_default(),
        min,
        max,
        latest: series.last().map(|(_, n)| *n).unwrap_or(0),
    }
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
    org: OrgView,
    team_size: i64,
    seats: Vec<SeatSummary>,
    by_status: Vec<(String, i64)>,
    by_role: Vec<(String, i64)>,
    chart: Chart,
    /// The chart's period in days (30, 90 or 365), and its first and last day.
    days: i64,
    since: String,
    until: String,
}

/// The periods the chart offers.
const PERIODS: [i64; 3] = [30, 90, 365];

async fn home(
    State(state): State<AppState>,
    member: Member,
    RawQuery(raw): RawQuery,
) -> Result<Response, ConsoleError> {
    let days = form_urlencoded::parse(raw.as_deref().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "days")
        .and_then(|(_, v)| v.parse::<i64>().ok())
        .filter(|d| PERIODS.contains(d))
        .unwrap_or(90);
    let svc = &state.service;
    let OrgOverview {
        organization,
        team_size,
        seats,
        members_by_status,
        members_by_role,
    } = svc.overview(svc.authorize(&member.actor).await?).await?;
    let last = roster_domain::now_millis() / 86_400_000;
    let first = last - days + 1;
    let series: Vec<(i64, i64)> = svc
        .statistics(svc.authorize(&member.actor).await?, first, last)
        .await?
        .into_iter()
        .map(|d| (d.day, d.members))
        .collect();
    let day = |d: i64| {
        roster_domain::format_rfc3339(d * 86_400_000)
            .get(..10)
            .unwrap_or("")
            .to_owned()
    };
    let page = HomePage {
        layout: Layout::new(&state, &member, "home").await?,
        org: organization,
        team_size,
        seats,
        by_status: members_by_status.into_iter().collect(),
        by_role: members_by_role.into_iter().collect(),
        chart: chart(&series),
        days,
        since: day(first),
        until: day(last),
    };
    render(&page)
}

/// The organization's accent colour as CSS (a stylesheet, so that the
/// content security policy can forbid inline styles).
async fn theme(State(state): State<AppState>, member: Member) -> Result<Response, ConsoleError> {
    let org = state.service.org(state.service.authorize(&member.actor).await?).await?;
    let css = theme_css(&org.accent_color)?;
    Ok((
        [(CONTENT_TYPE, "text/css"), (CACHE_CONTROL, "private, max-age=60")],
        css,
    )
        .into_response())
}

/// The CSS of an accent colour. The colour was validated as #rrggbb when it
/// was saved; the colours of text are derived from it so that any choice
/// stays readable.
pub(super) fn theme_css(accent_color: &str) -> Result<String, ConsoleError> {
    let accent = roster_domain::AccentColor::parse(accent_color).map_err(ServiceError::from)?;
    Ok(format!(
        ":root {{ --accent: {}; --accent-text: {}; --on-accent: {}; }}\n",
        accent.as_str(),
        accent.as_text(),
        accent.ink()
    ))
}

#[derive(Template)]
#[template(path = "profile.html")]
pub(super) struct ProfilePage {
    pub(super) layout: Layout,
    pub(super) member: MemberView,
    pub(super) teams: Vec<MemberTeamView>,
    pub(super) content_items: Vec<ContentItemView>,
    pub(super) is_owner: bool,
    /// The member's own API tokens, and whether they may make new ones.
    pub(super) tokens: Vec<TokenView>,
    pub(super) can_make_tokens: bool,
    /// A token just made: its secret, shown this once.
    pub(super) new_token: Option<String>,
    pub(super) token_error: Option<String>,
}

async fn profile(State(state): State<AppState>, member: Member) -> Result<Response, ConsoleError> {
    render(&profile_page(&state, &member, None, None).await?)
}

pub(super) async fn profile_page(
    state: &AppState,
    member: &Member,
    new_token: Option<String>,
    token_error: Option<String>,
) -> Result<ProfilePage, ConsoleError> {
    let svc = &state.service;
    let detail = svc.own_profile(&member.actor).await?;
    Ok(ProfilePage {
        layout: Layout::new(state, member, "profile").await?,
        is_owner: member.actor.is_owner(),
        teams: detail.teams,
        content_items: detail.content_items,
        member: detail.member,
        tokens: svc.own_tokens(&member.actor).await?,
        can_make_tokens: member
            .actor
            .permissions
            .contains(roster_domain::Permission::ManageTokens),
        new_token,
        token_error,
    })
}

async fn leave(State(state): State<AppState>, post: MemberPost) -> Result<Response, ConsoleError> {
    state.service.leave(&post.member.actor, RemoveMember::default()).await?;
    Ok(Redirect::to("/").into_response())
}
