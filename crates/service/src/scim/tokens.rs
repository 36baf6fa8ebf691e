//! SCIM tokens: made by the organization's owner or admins (console,
//! `roster scim token create`), shown once, kept as SHA-256, revocable,
//! optionally expiring. A token acts as the organization's identity
//! provider; anything that is not a live token of an organization is 401.

use roster_domain::{now_millis, SingleLine, Timestamp};
use roster_store::{insert_scim_token, revoke_scim_token, scim_token_by_hash, scim_tokens, NewScimToken as Row};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{ScimClient, SCIM_PERMISSIONS};
use crate::orgs::audit::record;
use crate::{new_secret, sha256_hex, Can, ManageTokens, RequestContext, Service, ServiceError, ServiceResult};

/// A SCIM token to make.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewScimToken {
    /// What it is for ("Entra ID"); default "SCIM".
    #[schemars(regex(pattern = roster_domain::schema::SINGLE_LINE), length(max = 100))]
    pub name: Option<String>,
    /// Days until it stops working; without it, it works until revoked.
    #[schemars(range(min = 1, max = 36_500))]
    pub expires_in_days: Option<i64>,
}

/// A SCIM token as lists show it (never its secret).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ScimTokenView {
    pub id: i64,
    pub name: String,
    pub created_by: String,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

impl ScimTokenView {
    fn new(r: roster_store::ScimTokenRecord) -> Self {
        Self {
            id: r.id,
            name: r.name,
            created_by: r.created_by,
            created_at: Timestamp::from_millis(r.created_at),
            expires_at: r.expires_at.map(Timestamp::from_millis),
            last_used_at: r.last_used_at.map(Timestamp::from_millis),
            revoked_at: r.revoked_at.map(Timestamp::from_millis),
        }
    }

    /// Neither revoked nor expired.
    pub fn live(&self) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|at| at > Timestamp::now())
    }
}

/// A SCIM token as made: the secret is shown this once.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ScimTokenCreated {
    pub token: String,
    #[serde(flatten)]
    pub record: ScimTokenView,
}

const DAY_MS: i64 = 86_400_000;

impl Service {
    /// Makes a SCIM token. It acts as the identity provider — it adds,
    /// changes and removes members and teams and grants roles — so only
    /// someone who may do all of that makes one.
    pub async fn create_scim_token(
        &self,
        can: Can<'_, ManageTokens>,
        new: NewScimToken,
    ) -> ServiceResult<ScimTokenCreated> {
        let actor = can.actor();
        if let Some(missing) = SCIM_PERMISSIONS.iter().find(|p| !actor.permissions.contains(**p)) {
            return Err(ServiceError::MissingPermission(format!(
                "a SCIM token manages members, teams and roles; making one needs the permission {}",
                missing.as_str()
            )));
        }
        let name = SingleLine::parse("name", new.name.as_deref().unwrap_or("SCIM"), 100)?;
        let name = if name.as_str().is_empty() {
            "SCIM"
        } else {
            name.as_str()
        }
        .to_owned();
        let expires_at = match new.expires_in_days {
            None => None,
            Some(days) if (1..=36_500).contains(&days) => Some(now_millis() + days * DAY_MS),
            Some(_) => {
                return Err(roster_domain::InvalidInput::new(
                    "expires_in_days",
                    "out_of_range",
                    "must be between 1 and 36500 days; leave it out for a token that works until revoked",
                )
                .into())
            }
        };
        let token = new_secret("rsc_");
        let mut tx = self.store().begin().await?;
        let row = insert_scim_token(
            &mut tx,
            &Row {
                org_id: actor.org_id,
                name: &name,
                token_hash: &sha256_hex(&token),
                created_by: &actor.label,
                expires_at,
            },
            now_millis(),
        )
        .await?;
        record(
            &mut tx,
            actor,
            "scim_token.create",
            "scim_token",
            row.id,
            json!({"name": name, "expires_at": expires_at.map(roster_domain::format_rfc3339)}),
        )
        .await?;
        tx.commit().await?;
        Ok(ScimTokenCreated {
            token,
            record: ScimTokenView::new(row),
        })
    }

    /// The organization's SCIM tokens, newest first.
    pub async fn scim_tokens(&self, can: Can<'_, ManageTokens>) -> ServiceResult<Vec<ScimTokenView>> {
        let mut conn = self.store().conn().await?;
        Ok(scim_tokens(&mut conn, can.actor().org_id)
            .await?
            .into_iter()
            .map(ScimTokenView::new)
            .collect())
    }

    pub async fn revoke_scim_token(&self, can: Can<'_, ManageTokens>, id: i64) -> ServiceResult<()> {
        let actor = can.actor();
        let mut tx = self.store().begin().await?;
        if !revoke_scim_token(&mut tx, actor.org_id, id, now_millis()).await? {
            return Err(ServiceError::NotFound("SCIM token"));
        }
        record(&mut tx, actor, "scim_token.revoke", "scim_token", id, json!({})).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The identity provider behind a bearer token: a live SCIM token of an
    /// organization. Anything else is `Unauthenticated` (and audited).
    /// `base` is where this server's SCIM resources live.
    pub async fn scim_client(&self, token: &str, base: String, context: RequestContext) -> ServiceResult<ScimClient> {
        let mut conn = self.store().conn().await?;
        let found = if token.starts_with("rsc_") {
            scim_token_by_hash(&mut conn, &sha256_hex(token)).await?
        } else {
            None
        };
        drop(conn);
        let Some((record, slug)) = found else {
            self.audit_refusal(None, "scim:unknown", "scim.authentication", &context)
                .await;
            return Err(ServiceError::Unauthenticated);
        };
        let now = now_millis();
        let why = if record.revoked_at.is_some() {
            Some("scim_token.revoked")
        } else if record.expires_at.is_some_and(|at| at <= now) {
            Some("scim_token.expired")
        } else {
            None
        };
        if let Some(why) = why {
            self.audit_refusal(Some(record.org_id), &format!("scim:{}", record.id), why, &context)
                .await;
            return Err(ServiceError::Unauthenticated);
        }
        if record.last_used_at.is_none_or(|t| t < now - 60_000) {
            self.deferred.scim_token_used(record.id, now).await?;
        }
        Ok(ScimClient::new(record.org_id, &slug, record.id, base, context))
    }
}
