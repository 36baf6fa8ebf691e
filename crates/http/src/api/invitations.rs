//! Invitations: send (ids, e-mails, a filter, an import), resend, revoke,
//! list with their delivery; seat reassignment; one message's delivery.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Json;
use roster_service::{InvitationOutcome, InvitationPage, InvitationRequest, Invitees, MessageView, ReassignSeat};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{json, schematic, ApiJson, ApiQuery, Authed, Body, Endpoint, Ids};
use crate::{ApiError, AppState};

pub const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: "get",
        path: "/api/v1/orgs/{slug}/invitations",
        summary: "The organization's invitations, newest first, each with its messages' delivery",
        permission: "members.read",
        query: Some(schematic::<ListQuery>()),
        request: Body::Empty,
        response: (200, json::<InvitationPage>()),
        also: &[],
        handler: || get(list).post(send),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/orgs/{slug}/invitations",
        summary: "Invite members — by ids, e-mails, the members list's filter or an import — now (`send: now`) or keep them added (`later`). Seats are checked per seat type first: a shortfall changes nothing. One transaction; members who cannot be invited are listed in `skipped`",
        permission: "members.invite",
        query: None,
        request: json::<InvitationRequest>(),
        response: (200, json::<InvitationOutcome>()),
        also: &[],
        handler: || get(list).post(send),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/orgs/{slug}/invitations/resend",
        summary: "Resend invitations: a fresh link and lifetime each, the old links die",
        permission: "members.invite",
        query: None,
        request: json::<MembersOnly>(),
        response: (200, json::<InvitationOutcome>()),
        also: &[],
        handler: || post(resend),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/orgs/{slug}/invitations/revoke",
        summary: "Revoke invitations: the links die and the members return to added",
        permission: "members.invite",
        query: None,
        request: json::<MembersOnly>(),
        response: (200, json::<Revoked>()),
        also: &[],
        handler: || post(revoke),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/orgs/{slug}/messages/{id}",
        summary: "One outbox message's delivery: queued, sent, or failed with the mail server's reply",
        permission: "members.read",
        query: None,
        request: Body::Empty,
        response: (200, json::<MessageView>()),
        also: &[],
        handler: || get(message),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/orgs/{slug}/members/{id}/reassign",
        summary: "Give an active member's seat to another member on the list: both are reassign_pending until that person accepts the invitation this sends",
        permission: "members.manage + members.invite",
        query: None,
        request: json::<ReassignSeat>(),
        response: (202, json::<Reassigned>()),
        also: &[],
        handler: || post(reassign),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/orgs/{slug}/members/{id}/reassign/cancel",
        summary: "Cancel a pending seat reassignment: the seat stays, the other person returns to added",
        permission: "members.manage",
        query: None,
        request: Body::Empty,
        response: (204, Body::Empty),
        also: &[],
        handler: || post(cancel_reassign),
    },
];

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    /// pending, accepted, revoked, replaced or expired (empty: any).
    #[schemars(regex(pattern = "^(pending|accepted|revoked|replaced|expired)?$"))]
    state: Option<String>,
    /// Invitations older than this id (the `next_before` of the page before).
    before: Option<i64>,
    /// At most this many (default 50; more than 500 are 500).
    limit: Option<i64>,
}

/// Whose invitations.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MembersOnly {
    pub members: Invitees,
}

/// The members whose invitation was revoked.
#[derive(Serialize, JsonSchema)]
pub struct Revoked {
    pub revoked: Vec<i64>,
}

/// The reassignment started: the invitation's message.
#[derive(Serialize, JsonSchema)]
pub struct Reassigned {
    pub message_id: i64,
}

async fn list(
    State(s): State<AppState>,
    Authed(actor): Authed,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<InvitationPage>, ApiError> {
    let can = s.service.authorize(&actor).await?;
    Ok(Json(
        s.service
            .invitations(can, q.state.as_deref().filter(|s| !s.is_empty()), q.before, q.limit)
            .await?,
    ))
}

async fn send(
    State(s): State<AppState>,
    Authed(actor): Authed,
    ApiJson(request): ApiJson<InvitationRequest>,
) -> Result<Json<InvitationOutcome>, ApiError> {
    Ok(Json(
        s.service.invite(s.service.authorize(&actor).await?, request).await?,
    ))
}

async fn resend(
    State(s): State<AppState>,
    Authed(actor): Authed,
    ApiJson(body): ApiJson<MembersOnly>,
) -> Result<Json<InvitationOutcome>, ApiError> {
    Ok(Json(
        s.service
            .resend_invitations(s.service.authorize(&actor).await?, body.members)
            .await?,
    ))
}

async fn revoke(
    State(s): State<AppState>,
    Authed(actor): Authed,
    ApiJson(body): ApiJson<MembersOnly>,
) -> Result<Json<Revoked>, ApiError> {
    let revoked = s
        .service
        .revoke_invitations(s.service.authorize(&actor).await?, body.members)
        .await?;
    Ok(Json(Revoked { revoked }))
}

async fn message(
    State(s): State<AppState>,
    Authed(actor): Authed,
    Ids([id]): Ids<1>,
) -> Result<Json<MessageView>, ApiError> {
    Ok(Json(s.service.message(s.service.authorize(&actor).await?, id).await?))
}

async fn reassign(
    State(s): State<AppState>,
    Authed(actor): Authed,
    Ids([id]): Ids<1>,
    ApiJson(body): ApiJson<ReassignSeat>,
) -> Result<(StatusCode, Json<Reassigned>), ApiError> {
    let manage = s.service.authorize(&actor).await?;
    let invite = s.service.authorize(&actor).await?;
    let message_id = s.service.reassign_seat(manage, invite, id, body).await?;
    Ok((StatusCode::ACCEPTED, Json(Reassigned { message_id })))
}

async fn cancel_reassign(
    State(s): State<AppState>,
    Authed(actor): Authed,
    Ids([id]): Ids<1>,
) -> Result<StatusCode, ApiError> {
    s.service
        .cancel_reassignment(s.service.authorize(&actor).await?, id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
