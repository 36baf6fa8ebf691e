//! Teams: the tree, a team's page, and the forms that change them.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use roster_service::{
    Choice, GroupRoleGrant, ServiceError, TeamInput, TeamMemberInput, TeamMemberView, TeamMembersPage, TeamView,
};

use super::session::{Member, MemberPost};
use super::{render, ConsoleError, Layout};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/o/{slug}/teams", get(tree).post(create))
        .route("/o/{slug}/teams/{id}", get(show).post(update))
        .route("/o/{slug}/teams/{id}/delete", post(delete))
        .route("/o/{slug}/teams/{id}/members", post(add_member))
        .route("/o/{slug}/teams/{id}/members/{member_id}/remove", post(remove_member))
        .route("/o/{slug}/teams/{id}/admins", post(add_admin))
        .route("/o/{slug}/teams/{id}/admins/{member_id}/remove", post(remove_admin))
        .route("/o/{slug}/teams/{id}/role-grant", post(role_grant))
}

/// A team in the tree, with its depth for indentation.
struct Node {
    team: TeamView,
    depth: usize,
}

fn flatten(teams: &[TeamView]) -> Vec<Node> {
    fn walk(teams: &[TeamView], parent: Option<i64>, depth: usize, out: &mut Vec<Node>) {
        for t in teams.iter().filter(|t| t.parent_id == parent) {
            out.push(Node { team: t.clone(), depth });
            if depth < 64 {
                walk(teams, Some(t.id), depth + 1, out);
            }
        }
    }
    let mut out = Vec::new();
    // Roots: no parent, or a parent this actor cannot see (a division admin's view).
    let ids: std::collections::HashSet<i64> = teams.iter().map(|t| t.id).collect();
    for root in teams.iter().filter(|t| t.parent_id.is_none_or(|p| !ids.contains(&p))) {
        out.push(Node {
            team: root.clone(),
            depth: 0,
        });
        walk(teams, Some(root.id), 1, &mut out);
    }
    out
}

#[derive(Template)]
#[template(path = "teams.html")]
struct TreePage {
    layout: Layout,
    nodes: Vec<Node>,
    can_manage: bool,
    error: Option<String>,
}

async fn tree_page(state: &AppState, member: &Member, error: Option<String>) -> Result<Response, ConsoleError> {
    let teams = state
        .service
        .teams(state.service.authorize(&member.actor).await?)
        .await?;
    let page = TreePage {
        layout: Layout::new(state, member, "teams").await?,
        nodes: flatten(&teams),
        can_manage: member
            .actor
            .permissions
            .contains(roster_domain::Permission::ManageTeams),
        error,
    };
    render(&page)
}

async fn tree(State(state): State<AppState>, member: Member) -> Result<Response, ConsoleError> {
    tree_page(&state, &member, None).await
}

fn team_input(post: &MemberPost) -> TeamInput {
    let f = &post.form;
    TeamInput {
        name: f.text("name"),
        purpose: f.text("purpose"),
        parent_id: f.get("parent_id").map(|p| p.parse().ok()),
        external_key: f.text("external_key"),
        is_division: Some(f.checked("is_division")),
    }
}

async fn create(State(state): State<AppState>, post: MemberPost) -> Result<Response, ConsoleError> {
    let svc = &state.service;
    match svc
        .create_team(svc.authorize(&post.member.actor).await?, team_input(&post))
        .await
    {
        Ok(team) => Ok(Redirect::to(&format!("/o/{}/teams/{}", post.member.actor.org_slug, team.id)).into_response()),
        Err(ServiceError::Invalid(e)) => {
            tree_page(&state, &post.member, Some(format!("{}: {}", e.field, e.message))).await
        }
        Err(ServiceError::Conflict { message, .. }) => tree_page(&state, &post.member, Some(message)).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "team.html")]
struct TeamPage {
    layout: Layout,
    team: TeamView,
    members: Vec<TeamMemberView>,
    member_count: i64,
    /// The link to the next page of members, if one follows.
    next_page: Option<String>,
    admins: Vec<i64>,
    others: Vec<TeamView>,
    can_manage: bool,
    /// May choose the role a directory group grants (teams and roles).
    can_grant: bool,
    /// The roles the viewer may have a group grant.
    grantable: Vec<Choice>,
    error: Option<String>,
}

async fn team_page(
    state: &AppState,
    member: &Member,
    id: i64,
    page: TeamMembersPage,
    error: Option<String>,
) -> Result<Response, ConsoleError> {
    let svc = &state.service;
    let detail = svc.team(svc.authorize(&member.actor).await?, id, page).await?;
    let next_page = detail.next_cursor.map(|cursor| {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("cursor", &cursor)
            .finish();
        format!("/o/{}/teams/{id}?{query}", member.actor.org_slug)
    });
    let others = svc
        .teams(svc.authorize(&member.actor).await?)
        .await?
        .into_iter()
        .filter(|t| t.id != id)
        .collect();
    let page = TeamPage {
        layout: Layout::new(state, member, "teams").await?,
        team: detail.team,
        members: detail.members,
        member_count: detail.member_count,
        next_page,
        admins: detail.division_admins,
        others,
        can_manage: member
            .actor
            .permissions
            .contains(roster_domain::Permission::ManageTeams),
        can_grant: [
            roster_domain::Permission::ManageTeams,
            roster_domain::Permission::ManageRoles,
        ]
        .iter()
        .all(|p| member.actor.permissions.contains(*p)),
        grantable: match svc.allows(&member.actor) {
            Some(can) => svc.vocabulary(can).await?.grantable_roles(&member.actor),
            None => Vec::new(),
        },
        error,
    };
    render(&page)
}

async fn show(
    State(state): State<AppState>,
    member: Member,
    Path((_, id)): Path<(String, i64)>,
    Query(page): Query<TeamMembersPage>,
) -> Result<Response, ConsoleError> {
    team_page(&state, &member, id, page, None).await
}

/// Runs a change and shows the team again, with the complaint if it failed.
async fn then_show(
    state: &AppState,
    post: &MemberPost,
    id: i64,
    result: Result<(), ServiceError>,
) -> Result<Response, ConsoleError> {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/o/{}/teams/{id}", post.member.actor.org_slug)).into_response()),
        Err(ServiceError::Invalid(e)) => {
            team_page(
                state,
                &post.member,
                id,
                TeamMembersPage::default(),
                Some(format!("{}: {}", e.field, e.message)),
            )
            .await
        }
        Err(
            e @ (ServiceError::Conflict { .. }
            | ServiceError::NotFound(_)
            | ServiceError::Forbidden(_)
            | ServiceError::MissingPermission(_)),
        ) => team_page(state, &post.member, id, TeamMembersPage::default(), Some(e.to_string())).await,
        Err(e) => Err(e.into()),
    }
}

async fn update(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, i64)>,
    post: MemberPost,
) -> Result<Response, ConsoleError> {
    let svc = &state.service;
    let result = svc
        .update_team(svc.authorize(&post.member.actor).await?, id, team_input(&post))
        .await
        .map(|_| ());
    then_show(&state, &post, id, result).await
}

async fn delete(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, i64)>,
    post: MemberPost,
) -> Result<Response, ConsoleError> {
    let svc = &state.service;
    match svc.delete_team(svc.authorize(&post.member.actor).await?, id).await {
        Ok(()) => Ok(Redirect::to(&format!("/o/{}/teams", post.member.actor.org_slug)).into_response()),
        Err(e) => then_show(&state, &post, id, Err(e)).await,
    }
}

/// The member named by e-mail in a form.
async fn member_id(state: &AppState, post: &MemberPost) -> Result<i64, ServiceError> {
    let email = post.form.text("email").unwrap_or_default();
    state
        .service
        .member_by_email(state.service.authorize(&post.member.actor).await?, &email)
        .await
        .map(|m| m.id)
        .map_err(|e| match e {
            // Not found, or not an e-mail: no such member; the database's errors stay theirs.
            ServiceError::NotFound(_) | ServiceError::Invalid(_) => {
                ServiceError::Invalid(roster_domain::InvalidInput::new(
                    "email",
                    "unknown_member",
                    "no member of this organization has this e-mail",
                ))
            }
            other => other,
        })
}

async fn add_member(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, i64)>,
    post: MemberPost,
) -> Result<Response, ConsoleError> {
    let svc = &state.service;
    let result = async {
        let member_id = member_id(&state, &post).await?;
        let input = TeamMemberInput {
            member_id,
            team_role: post
                .form
                .get("team_role")
                .filter(|r| !r.is_empty())
                .map(roster_domain::TeamRole::parse)
                .transpose()?,
            core_member: Some(post.form.checked("core_member")),
        };
        svc.add_team_member(svc.authorize(&post.member.actor).await?, id, input)
            .await
            .map(|_| ())
    }
    .await;
    then_show(&state, &post, id, result).await
}

async fn remove_member(
    State(state): State<AppState>,
    Path((_, id, member_id)): Path<(String, i64, i64)>,
    post: MemberPost,
) -> Result<Response, ConsoleError> {
    let svc = &state.service;
    let result = svc
        .remove_team_member(svc.authorize(&post.member.actor).await?, id, member_id)
        .await;
    then_show(&state, &post, id, result).await
}

async fn add_admin(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, i64)>,
    post: MemberPost,
) -> Result<Response, ConsoleError> {
    let svc = &state.service;
    let result = async {
        let member_id = member_id(&state, &post).await?;
        let actor = &post.member.actor;
        svc.add_division_admin(svc.authorize(actor).await?, svc.authorize(actor).await?, id, member_id)
            .await
    }
    .await;
    then_show(&state, &post, id, result).await
}

async fn remove_admin(
    State(state): State<AppState>,
    Path((_, id, member_id)): Path<(String, i64, i64)>,
    post: MemberPost,
) -> Result<Response, ConsoleError> {
    let svc = &state.service;
    let actor = &post.member.actor;
    let result = async {
        svc.remove_division_admin(svc.authorize(actor).await?, svc.authorize(actor).await?, id, member_id)
            .await
    }
    .await;
    then_show(&state, &post, id, result).await
}

async fn role_grant(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, i64)>,
    post: MemberPost,
) -> Result<Response, ConsoleError> {
    let svc = &state.service;
    let actor = &post.member.actor;
    let grant = GroupRoleGrant {
        role: post.form.text("role").filter(|r| !r.is_empty()),
    };
    let result = async {
        svc.set_group_role(svc.authorize(actor).await?, svc.authorize(actor).await?, id, grant)
            .await
            .map(|_| ())
    }
    .await;
    then_show(&state, &post, id, result).await
}
