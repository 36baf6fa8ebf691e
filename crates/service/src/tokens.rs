use roster_domain::{now_millis, Role, SingleLine};
use roster_store::{insert_token, list_tokens, revoke_token, TokenRecord};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::audit::record;
use crate::{new_secret, sha256_hex, Can, ManageTokens, Service, ServiceError, ServiceResult};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    pub name: String,
    pub role: String,
}

/// A token as created: the secret is shown this once and never stored.
#[derive(Debug, Serialize)]
pub struct TokenCreated {
    pub token: String,
    #[serde(flatten)]
    pub record: TokenRecord,
}

impl Service {
    pub async fn create_token(&self, can: Can<'_, ManageTokens>, new: NewToken) -> ServiceResult<TokenCreated> {
        let actor = can.actor();
        let name = SingleLine::parse_required("name", &new.name, 100)?;
        let role = Role::parse(&new.role)?;
        let mut tx = self.store().begin().await?;
        if role.is_owner() {
            return Err(ServiceError::forbidden("a token cannot hold the owner role; use admin"));
        }
        self.check_grant(&mut tx, actor, &role).await?;
        let token = new_secret("rst_");
        let record_ = insert_token(
            &mut tx,
            actor.org_id,
            name.as_str(),
            &role.to_string(),
            &sha256_hex(&token),
            &actor.label,
            now_millis(),
        )
        .await?;
        record(
            &mut tx,
            actor,
            "token.create",
            "token",
            record_.id,
            json!({"name": name.as_str(), "role": role.to_string()}),
        )
        .await?;
        tx.commit().await?;
        Ok(TokenCreated { token, record: record_ })
    }

    pub async fn tokens(&self, can: Can<'_, ManageTokens>) -> ServiceResult<Vec<TokenRecord>> {
        let mut conn = self.store().conn().await?;
        Ok(list_tokens(&mut conn, can.actor().org_id).await?)
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
