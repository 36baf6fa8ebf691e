//! A member's own API tokens, on their profile page: make one (it acts with
//! at most their rights, and lives 90 days unless they say otherwise), see
//! when each was last used, revoke it.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::Router;
use roster_service::{NewToken, ServiceError};

use super::home::profile_page;
use super::session::MemberPost;
use super::{render, ConsoleError};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/o/{slug}/profile/tokens", post(create))
        .route("/o/{slug}/profile/tokens/{id}/revoke", post(revoke))
}

async fn create(State(state): State<AppState>, post: MemberPost) -> Result<Response, ConsoleError> {
    let svc = &state.service;
    let MemberPost { member, form } = post;
    let days = match form.get("expires_in_days").map(str::trim).filter(|d| !d.is_empty()) {
        None => None,
        Some(raw) => match raw.parse::<i64>() {
            Ok(days) => Some(days),
            Err(_) => {
                let page = profile_page(&state, &member, None, Some("Days: give a number.".into())).await?;
                return render(&page);
            }
        },
    };
    let new = NewToken {
        expires_in_days: days,
        ..NewToken::new(
            form.text("name").unwrap_or_default(),
            form.text("role").unwrap_or_default(),
        )
    };
    let made = match svc.authorize(&member.actor).await {
        Ok(can) => svc.create_token(can, new).await,
        Err(e) => Err(e),
    };
    let page = match made {
        Ok(made) => profile_page(&state, &member, Some(made.token), None).await?,
        Err(ServiceError::Invalid(e)) => {
            profile_page(&state, &member, None, Some(format!("{}: {}", e.field, e.message))).await?
        }
        Err(ServiceError::Forbidden(m) | ServiceError::MissingPermission(m)) => {
            profile_page(&state, &member, None, Some(m)).await?
        }
        Err(e) => return Err(e.into()),
    };
    render(&page)
}

async fn revoke(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, i64)>,
    post: MemberPost,
) -> Result<Response, ConsoleError> {
    state.service.revoke_own_token(&post.member.actor, id).await?;
    Ok(Redirect::to(&format!("/o/{}/profile", post.member.actor.org_slug)).into_response())
}
