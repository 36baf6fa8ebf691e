use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Json;
use roster_service::{
    BulkOutcome, BulkRequest, MemberDetail, MemberInput, MemberListQuery, MemberPage, MemberView, NewMember,
    RemoveMember,
};
use schemars::JsonSchema;
use serde::Deserialize;

use super::{json, schematic, ApiJson, ApiQuery, Authed, Body, Endpoint, Ids};
use crate::{ApiError, AppState};

pub const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: "get",
        path: "/api/v1/orgs/{slug}/members",
        summary: "List members: search `q`, filters, sort, cursor pages",
        permission: "members.read",
        query: Some(schematic::<MemberListQuery>()),
        request: Body::Empty,
        response: (200, json::<MemberPage>()),
        also: &[],
        handler: || get(list).post(create),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/orgs/{slug}/members",
        summary: "Add a member (status added; nobody is invited)",
        permission: "members.manage",
        query: None,
        request: json::<NewMember>(),
        response: (201, json::<MemberView>()),
        also: &[],
        handler: || get(list).post(create),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/orgs/{slug}/members/{id}",
        summary: "A member with teams, status history and content items",
        permission: "members.read",
        query: None,
        request: Body::Empty,
        response: (200, json::<MemberDetail>()),
        also: &[],
        handler: || get(show).patch(update).delete(remove),
    },
    Endpoint {
        method: "patch",
        path: "/api/v1/orgs/{slug}/members/{id}",
        summary: "Change a member; absent fields stay",
        permission: "members.manage",
        query: None,
        request: json::<MemberInput>(),
        response: (200, json::<MemberView>()),
        also: &[],
        handler: || get(show).patch(update).delete(remove),
    },
    Endpoint {
        method: "delete",
        path: "/api/v1/orgs/{slug}/members/{id}",
        summary: "Remove a member; `?transfer_to=ID` hands their content items over",
        permission: "members.manage",
        query: Some(schematic::<RemoveQuery>()),
        request: Body::Empty,
        response: (200, json::<MemberView>()),
        also: &[],
        handler: || get(show).patch(update).delete(remove),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/orgs/{slug}/members/bulk",
        summary: "Change many members at once (a role, a seat type, a team — which needs teams.manage instead —, or removal); each member is changed on its own, and the answer says for each what happened",
        permission: "members.manage",
        query: None,
        request: json::<BulkRequest>(),
        response: (200, json::<BulkOutcome>()),
        also: &[],
        handler: || post(bulk),
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
    ApiJson(input): ApiJson<NewMember>,
) -> Result<(StatusCode, Json<MemberView>), ApiError> {
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
) -> Result<Json<MemberView>, ApiError> {
    Ok(Json(
        s.service
            .update_member(s.service.authorize(&actor).await?, id, input)
            .await?,
    ))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RemoveQuery {
    /// The member who receives the removed member's content items.
    transfer_to: Option<i64>,
}

async fn remove(
    State(s): State<AppState>,
    Authed(actor): Authed,
    Ids([id]): Ids<1>,
    ApiQuery(q): ApiQuery<RemoveQuery>,
) -> Result<Json<MemberView>, ApiError> {
    let how = RemoveMember {
        transfer_to: q.transfer_to,
    };
    Ok(Json(
        s.service
            .remove_member(s.service.authorize(&actor).await?, id, how)
            .await?,
    ))
}

async fn bulk(
    State(s): State<AppState>,
    Authed(actor): Authed,
    ApiJson(request): ApiJson<BulkRequest>,
) -> Result<Json<BulkOutcome>, ApiError> {
    Ok(Json(s.service.bulk_change_members(&actor, request).await?))
}
