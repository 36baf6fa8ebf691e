use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Json;
use roster_service::store::MemberRecord;
use roster_service::{MemberDetail, MemberInput, MemberListQuery, MemberPage, RemoveMember};
use serde::Deserialize;

use super::{ApiJson, ApiQuery, Authed, Endpoint, Ids};
use crate::{ApiError, AppState};

pub const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: "get",
        path: "/api/v1/orgs/{slug}/members",
        summary: "List members: search `q`, filters, sort, cursor pages",
        permission: "members.read",
        request: None,
        response: (200, Some("MemberPage")),
        handler: || get(list).post(create),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/orgs/{slug}/members",
        summary: "Add a member (status added; nobody is invited)",
        permission: "members.manage",
        request: Some("MemberInput"),
        response: (201, Some("Member")),
        handler: || get(list).post(create),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/orgs/{slug}/members/{id}",
        summary: "A member with teams, status history and content items",
        permission: "members.read",
        request: None,
        response: (200, Some("MemberDetail")),
        handler: || get(show).patch(update).delete(remove),
    },
    Endpoint {
        method: "patch",
        path: "/api/v1/orgs/{slug}/members/{id}",
        summary: "Change a member; absent fields stay",
        permission: "members.manage",
        request: Some("MemberInput"),
        response: (200, Some("Member")),
        handler: || get(show).patch(update).delete(remove),
    },
    Endpoint {
        method: "delete",
        path: "/api/v1/orgs/{slug}/members/{id}",
        summary: "Remove a member; `?transfer_to=ID` hands their content items over",
        permission: "members.manage",
        request: None,
        response: (200, Some("Member")),
        handler: || get(show).patch(update).delete(remove),
    },
];

async fn list(
    State(s): State<AppState>,
    Authed(actor): Authed,
    ApiQuery(q): ApiQuery<MemberListQuery>,
) -> Result<Json<MemberPage>, ApiError> {
    Ok(Json(
        s.service.list_members(s.service.authorize(&actor).await?, q).await?,
    ))
}

async fn create(
    State(s): State<AppState>,
    Authed(actor): Authed,
    ApiJson(input): ApiJson<MemberInput>,
) -> Result<(StatusCode, Json<MemberRecord>), ApiError> {
    let member = s
        .service
        .create_member(s.service.authorize(&actor).await?, input)
        .await?;
    Ok((StatusCode::CREATED, Json(member)))
}

async fn show(
    State(s): State<AppState>,
    Authed(actor): Authed,
    Ids([id]): Ids<1>,
) -> Result<Json<MemberDetail>, ApiError> {
    Ok(Json(
        s.service.member_detail(s.service.authorize(&actor).await?, id).await?,
    ))
}

async fn update(
    State(s): State<AppState>,
    Authed(actor): Authed,
    Ids([id]): Ids<1>,
    ApiJson(input): ApiJson<MemberInput>,
) -> Result<Json<MemberRecord>, ApiError> {
    Ok(Json(
        s.service
            .update_member(s.service.authorize(&actor).await?, id, input)
            .await?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RemoveQuery {
    transfer_to: Option<i64>,
}

async fn remove(
    State(s): State<AppState>,
    Authed(actor): Authed,
    Ids([id]): Ids<1>,
    ApiQuery(q): ApiQuery<RemoveQuery>,
) -> Result<Json<MemberRecord>, ApiError> {
    let how = RemoveMember {
        transfer_to: q.transfer_to,
    };
    Ok(Json(
        s.service
            .remove_member(s.service.authorize(&actor).await?, id, how)
            .await?,
    ))
}
