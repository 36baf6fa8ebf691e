use roster_domain::{now_millis, Role, SingleLine};
use roster_store::{insert_token, list_tokens, revoke_token, Conn, NewTokenRow, TokenRecord};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::orgs::audit::record;
use crate::{new_secret, sha256_hex, Can, ManageTokens, Service, ServiceError, ServiceResult, TokenView, Vocabulary};

async fn views(conn: &mut Conn, org_id: i64, tokens: Vec<TokenRecord>) -> ServiceResult<Vec<TokenView>> {
    let words = Vocabulary::of(conn, org_id).await?;
    tokens.into_iter().map(|t| TokenView::new(t, &words)).collect()
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    #[schemars(regex(pattern = roster_domain::schema::REQUIRED_LINE), length(max = 100))]
    pub name: String,
    #[schemars(regex(pattern = roster_domain::schema::ROLE))]
    pub role: String,
    /// Days until the token expires. A member's token lives 90 days unless
    /// told otherwise, at most a year; an organization token lives for ever
    /// unless told otherwise.
    #[serde(default)]
    #[schemars(range(min = 1, max = 36_500))]
    pub expires_in_days: Option<i64>,
    /// An organization token, not a member's: it outlives its creator.
    /// Only the owner makes one (the command line makes nothing else).
    #[serde(default)]
    pub organization: bool,
}

impl NewToken {
    pub fn new(name: impl Into<String>, role: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            role: role.into(),
            expires_in_days: None,
            organization: false,
        }
    }
}

/// A token as created: the secret is shown this once and never stored.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct TokenCreated {
    pub token: String,
    #[serde(flatten)]
    pub record: TokenView,
}

const MEMBER_TOKEN_DAYS: i64 = 90;
const MAX_MEMBER_TOKEN_DAYS: i64 = 366;
const DAY_MS: i64 = 86_400_000;

impl Service {
    /// Makes an API token. It belongs to the member who makes it and acts
    /// with at most their rights, as they are at each request; made by the
    /// command line (or an organization token, or the owner asking for one)
    /// it belongs to the organization.
    pub async fn create_token(&self, can: Can<'_, ManageTokens>, new: NewToken) -> ServiceResult<TokenCreated> {
        let actor = can.actor();
        let name = SingleLine::parse_required("name", &new.name, 100)?;
        let role = Role::parse(&new.role)?;
        let member_id = match (actor.member_id, new.organization) {
            (_, false) => actor.member_id,
            (Some(_), true) if actor.is_owner() => None,
            (Some(_), true) => {
                return Err(ServiceError::forbidden(
                    "only the owner makes organization tokens; this token would be yours",
                ))
            }
            (None, true) => None,
        };
        let days = match (new.expires_in_days, member_id) {
            // Within the document's range, but longer than a member's token
            // may live: a rule of who asks, like a permission.
            (Some(days), Some(_)) if (1..=36_500).contains(&days) && days > MAX_MEMBER_TOKEN_DAYS => {
                return Err(ServiceError::forbidden(format!(
                    "a member's token lives at most {MAX_MEMBER_TOKEN_DAYS} days; only the owner makes longer-lived organization tokens"
                )))
            }
            (Some(days), _) if !(1..=36_500).contains(&days) => {
                return Err(roster_domain::InvalidInput::new(
                    "expires_in_days",
                    "out_of_range",
                    "must be between 1 and 36500 days; leave it out for a token that does not expire",
                )
                .into())
            }
            (Some(days), _) => Some(days),
            (None, Some(_)) => Some(MEMBER_TOKEN_DAYS),
            (None, None) => None,
        };
        let now = now_millis();
        let mut tx = self.store().begin().await?;
        if role.is_owner() {
            return Err(ServiceError::forbidden("a token cannot hold the owner role; use admin"));
        }
        self.check_grant(&mut tx, actor, &role).await?;
        let token = new_secret("rst_");
        let record_ = insert_token(
            &mut tx,
            &NewTokenRow {
                org_id: actor.org_id,
                name: name.as_str(),
                role: &role.to_string(),
                member_id,
                token_hash: &sha256_hex(&token),
                created_by: &actor.label,
                expires_at: days.map(|d| now + d * DAY_MS),
            },
            now,
        )
        .await?;
        record(
            &mut tx,
            actor,
            "token.create",
            "token",
            record_.id,
            json!({"name": name.as_str(), "role": role.to_string(), "member_id": member_id, "expires_in_days": days}),
        )
        .await?;
        let words = Vocabulary::of(&mut tx, actor.org_id).await?;
        tx.commit().await?;
        Ok(TokenCreated {
            token,
            record: TokenView::new(record_, &words)?,
        })
    }

    pub async fn tokens(&self, can: Can<'_, ManageTokens>) -> ServiceResult<Vec<TokenView>> {
        let mut conn = self.store().conn().await?;
        let tokens = list_tokens(&mut conn, can.actor().org_id).await?;
        views(&mut conn, can.actor().org_id, tokens).await
    }

    /// The signed-in member's own tokens (anyone may see and revoke their own).
    pub async fn own_tokens(&self, actor: &crate::Actor) -> ServiceResult<Vec<TokenView>> {
        let Some(member) = actor.member_id else {
            return Ok(Vec::new());
        };
        let mut conn = self.store().conn().await?;
        let tokens = roster_store::tokens_of_member(&mut conn, actor.org_id, member).await?;
        views(&mut conn, actor.org_id, tokens).await
    }

    /// Revokes one of the member's own tokens (no permission needed: a
    /// member demoted since can still end what they made).
    pub async fn revoke_own_token(&self, actor: &crate::Actor, id: i64) -> ServiceResult<()> {
        let mut tx = self.store().begin().await?;
        let mine = roster_store::token_by_id(&mut tx, actor.org_id, id)
            .await?
            .is_some_and(|t| t.member_id.is_some() && t.member_id == actor.member_id);
        if !mine || !revoke_token(&mut tx, actor.org_id, id, now_millis()).await? {
            return Err(ServiceError::NotFound("token"));
        }
        record(&mut tx, actor, "token.revoke", "token", id, json!({"own": true})).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn revoke_token(&self, can: Can<'_, ManageTokens>, id: i64) -> ServiceResult<()> {
        let actor = can.actor();
        let mut tx = self.store().begin().await?;
        if !revoke_token(&mut tx, actor.org_id, id, now_millis()).await? {
            return Err(ServiceError::NotFound("token"));
        }
        record(&mut tx, actor, "token.revoke", "token", id, json!({})).await?;
        tx.commit().await?;
        Ok(())
    }
}
