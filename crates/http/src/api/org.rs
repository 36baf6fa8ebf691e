use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::Json;
use roster_service::{OrgOverview, OrgSettingsPatch, OrgView, RemoveMember, SeatSummary};
use schemars::JsonSchema;
use serde::Deserialize;

use super::{json, ApiJson, Authed, Body, Endpoint, Items};
use crate::{ApiError, AppState};

pub const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: "get",
        path: "/api/v1/orgs/{slug}",
        summary: "The organization's settings",
        permission: "org.read",
        query: None,
        request: Body::Empty,
        response: (200, json::<OrgView>()),
        also: &[],
        handler: || get(show).patch(update),
    },
    Endpoint {
        method: "patch",
        path: "/api/v1/orgs/{slug}",
        summary:
            "Change settings (name, slug, description ≤ 250 characters, accent colour, lifetimes, import row limit, …)",
        permission: "org.manage",
        query: None,
        request: json::<OrgSettingsPatch>(),
        response: (200, json::<OrgView>()),
        also: &[],
        handler: || get(show).patch(update),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/orgs/{slug}/overview",
        summary: "Team size, seats, members by status and role",
        permission: "org.read",
        query: None,
        request: Body::Empty,
        response: (200, json::<OrgOverview>()),
        also: &[],
        handler: || get(overview),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/orgs/{slug}/seats",
        summary: "Purchased, used and available seats per seat type",
        permission: "org.read",
        query: None,
        request: Body::Empty,
        response: (200, json::<Items<SeatSummary>>()),
        also: &[],
        handler: || get(seats),
    },
    Endpoint {
        method: "put",
        path: "/api/v1/orgs/{slug}/seats/{seat_type}",
        summary: "Set the purchased seats (and label) of a seat type",
        permission: "seats.manage",
        query: None,
        request: json::<SeatInput>(),
        response: (200, json::<Items<SeatSummary>>()),
        also: &[],
        handler: || put(set_seats),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/orgs/{slug}/ownership",
        summary: "Transfer ownership to another member (owner only)",
        permission: "owner",
        query: None,
        request: json::<OwnershipInput>(),
        response: (204, Body::Empty),
        also: &[],
        handler: || post(transfer_ownership),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/orgs/{slug}/leave",
        summary: "The signed-in member leaves the organization",
        permission: "member",
        query: None,
        request: Body::Empty,
        response: (204, Body::Empty),
        also: &[],
        handler: || post(leave),
    },
];

async fn show(State(s): State<AppState>, Authed(actor): Authed) -> Result<Json<OrgView>, ApiError> {
    Ok(Json(s.service.org(s.service.authorize(&actor).await?).await?))
}

async fn update(
    State(s): State<AppState>,
    Authed(actor): Authed,
    ApiJson(patch): ApiJson<OrgSettingsPatch>,
) -> Result<Json<OrgView>, ApiError> {
    Ok(Json(
        s.service
            .update_settings(s.service.authorize(&actor).await?, patch)
            .await?,
    ))
}

async fn overview(State(s): State<AppState>, Authed(actor): Authed) -> Result<Json<OrgOverview>, ApiError> {
    Ok(Json(s.service.overview(s.service.authorize(&actor).await?).await?))
}

async fn seats(State(s): State<AppState>, Authed(actor): Authed) -> Result<Json<Items<SeatSummary>>, ApiError> {
    Ok(Json(Items {
        items: s.service.seats(s.service.authorize(&actor).await?).await?,
    }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct SeatInput {
    #[schemars(range(min = 0, max = 100_000_000))]
    purchased: i64,
    /// What people call these seats (`Power`, `Vollzugriff`).
    #[schemars(regex(pattern = roster_domain::schema::REQUIRED_LINE), length(max = 40))]
    label: Option<String>,
}

async fn set_seats(
    State(s): State<AppState>,
    Authed(actor): Authed,
    Path((_slug, seat_type)): Path<(String, String)>,
    ApiJson(input): ApiJson<SeatInput>,
) -> Result<Json<Items<SeatSummary>>, ApiError> {
    let items = s
        .service
        .set_seats(
            s.service.authorize(&actor).await?,
            &seat_type,
            input.purchased,
            input.label,
        )
        .await?;
    Ok(Json(Items { items }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct OwnershipInput {
    member_id: i64,
}

async fn transfer_ownership(
    State(s): State<AppState>,
    Authed(actor): Authed,
    ApiJson(input): ApiJson<OwnershipInput>,
) -> Result<StatusCode, ApiError> {
    s.service.transfer_ownership(&actor, input.member_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn leave(State(s): State<AppState>, Authed(actor): Authed) -> Result<StatusCode, ApiError> {
    s.service.leave(&actor, RemoveMember::default()).await?;
    Ok(StatusCode::NO_CONTENT)
}
