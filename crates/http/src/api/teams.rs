use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get, post, put};
use axum::Json;
use roster_service::{
    GroupRoleGrant, TeamDetail, TeamInput, TeamMemberInput, TeamMemberView, TeamMembersPage, TeamView,
};
use schemars::JsonSchema;
use serde::Deserialize;

use super::{json, schematic, ApiJson, ApiQuery, Authed, Body, Endpoint, Ids, Items};
use crate::{ApiError, AppState};

pub const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: "get",
        path: "/api/v1/orgs/{slug}/teams",
        summary: "All teams (a flat list; parent_id gives the tree)",
        permission: "teams.read",
        query: None,
        request: Body::Empty,
        response: (200, json::<Items<TeamView>>()),
        also: &[],
        handler: || get(list).post(create),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/orgs/{slug}/teams",
        summary: "Create a team, nested under parent_id; a top-level team can be a division",
        permission: "teams.manage",
        query: None,
        request: json::<TeamInput>(),
        response: (201, json::<TeamView>()),
        also: &[],
        handler: || get(list).post(create),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/orgs/{slug}/teams/{id}",
        summary: "A team with a page of its members (by name: ?limit= at most 500, default 100; next_cursor for the next page as ?cursor=), member_count and its division admins",
        permission: "teams.read",
        query: Some(schematic::<TeamMembersPage>()),
        request: Body::Empty,
        response: (200, json::<TeamDetail>()),
        also: &[],
        handler: || get(show).patch(update).delete(remove),
    },
    Endpoint {
        method: "patch",
        path: "/api/v1/orgs/{slug}/teams/{id}",
        summary: "Rename, move (parent_id) or change a team",
        permission: "teams.manage",
        query: None,
        request: json::<TeamInput>(),
        response: (200, json::<TeamView>()),
        also: &[],
        handler: || get(show).patch(update).delete(remove),
    },
    Endpoint {
        method: "delete",
        path: "/api/v1/orgs/{slug}/teams/{id}",
        summary: "Delete a team that has no sub-teams",
        permission: "teams.manage",
        query: None,
        request: Body::Empty,
        response: (204, Body::Empty),
        also: &[],
        handler: || get(show).patch(update).delete(remove),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/orgs/{slug}/teams/{id}/members",
        summary: "Add a member to a team, or change their team role and core-member flag; answers with that member's place in the team",
        permission: "teams.manage",
        query: None,
        request: json::<TeamMemberInput>(),
        response: (200, json::<TeamMemberView>()),
        also: &[],
        handler: || post(add_member),
    },
    Endpoint {
        method: "delete",
        path: "/api/v1/orgs/{slug}/teams/{id}/members/{member_id}",
        summary: "Take a member out of a team",
        permission: "teams.manage",
        query: None,
        request: Body::Empty,
        response: (204, Body::Empty),
        also: &[],
        handler: || delete(remove_member),
    },
    Endpoint {
        method: "put",
        path: "/api/v1/orgs/{slug}/teams/{id}/role-grant",
        summary: "Make a directory group (a team from the identity provider) grant its members a role, or none (null): they hold the strongest role their groups grant, and get back the role they held before when they leave the last such group",
        permission: "teams.manage + roles.manage",
        query: None,
        request: json::<GroupRoleGrant>(),
        response: (200, json::<TeamView>()),
        also: &[],
        handler: || put(set_role_grant),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/orgs/{slug}/teams/{id}/admins",
        summary: "Make a member an admin of a division",
        permission: "teams.manage + roles.manage",
        query: None,
        request: json::<DivisionAdminInput>(),
        response: (204, Body::Empty),
        also: &[],
        handler: || post(add_admin),
    },
    Endpoint {
        method: "delete",
        path: "/api/v1/orgs/{slug}/teams/{id}/admins/{member_id}",
        summary: "Remove a division admin",
        permission: "teams.manage + roles.manage",
        query: None,
        request: Body::Empty,
        response: (204, Body::Empty),
        also: &[],
        handler: || delete(remove_admin),
    },
];

async fn list(State(s): State<AppState>, Authed(actor): Authed) -> Result<Json<Items<TeamView>>, ApiError> {
    Ok(Json(Items {
        items: s.service.teams(s.service.authorize(&actor).await?).await?,
    }))
}

async fn create(
    State(s): State<AppState>,
    Authed(actor): Authed,
    ApiJson(input): ApiJson<TeamInput>,
) -> Result<(StatusCode, Json<TeamView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(s.service.create_team(s.service.authorize(&actor).await?, input).await?),
    ))
}

async fn show(
    State(s): State<AppState>,
    Authed(actor): Authed,
    Ids([id]): Ids<1>,
    ApiQuery(page): ApiQuery<TeamMembersPage>,
) -> Result<Json<TeamDetail>, ApiError> {
    Ok(Json(
        s.service.team(s.service.authorize(&actor).await?, id, page).await?,
    ))
}

async fn update(
    State(s): State<AppState>,
    Authed(actor): Authed,
    Ids([id]): Ids<1>,
    ApiJson(input): ApiJson<TeamInput>,
) -> Result<Json<TeamView>, ApiError> {
    Ok(Json(
        s.service
            .update_team(s.service.authorize(&actor).await?, id, input)
            .await?,
    ))
}

async fn remove(State(s): State<AppState>, Authed(actor): Authed, Ids([id]): Ids<1>) -> Result<StatusCode, ApiError> {
    s.service.delete_team(s.service.authorize(&actor).await?, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn add_member(
    State(s): State<AppState>,
    Authed(actor): Authed,
    Ids([id]): Ids<1>,
    ApiJson(input): ApiJson<TeamMemberInput>,
) -> Result<Json<TeamMemberView>, ApiError> {
    Ok(Json(
        s.service
            .add_team_member(s.service.authorize(&actor).await?, id, input)
            .await?,
    ))
}

async fn remove_member(
    State(s): State<AppState>,
    Authed(actor): Authed,
    Ids([id, member]): Ids<2>,
) -> Result<StatusCode, ApiError> {
    s.service
        .remove_team_member(s.service.authorize(&actor).await?, id, member)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct DivisionAdminInput {
    member_id: i64,
}

async fn add_admin(
    State(s): State<AppState>,
    Authed(actor): Authed,
    Ids([id]): Ids<1>,
    ApiJson(input): ApiJson<DivisionAdminInput>,
) -> Result<StatusCode, ApiError> {
    s.service
        .add_division_admin(
            s.service.authorize(&actor).await?,
            s.service.authorize(&actor).await?,
            id,
            input.member_id,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn remove_admin(
    State(s): State<AppState>,
    Authed(actor): Authed,
    Ids([id, member]): Ids<2>,
) -> Result<StatusCode, ApiError> {
    s.service
        .remove_division_admin(
            s.service.authorize(&actor).await?,
            s.service.authorize(&actor).await?,
            id,
            member,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn set_role_grant(
    State(s): State<AppState>,
    Authed(actor): Authed,
    Ids([id]): Ids<1>,
    ApiJson(grant): ApiJson<GroupRoleGrant>,
) -> Result<Json<TeamView>, ApiError> {
    Ok(Json(
        s.service
            .set_group_role(
                s.service.authorize(&actor).await?,
                s.service.authorize(&actor).await?,
                id,
                grant,
            )
            .await?,
    ))
}
