use roster_domain::{now_millis, MemberStatus, SingleLine};
use roster_store::{content_items_of, insert_content_item};
use serde::Deserialize;
use serde_json::json;

use crate::orgs::audit::record;
use crate::{Can, ManageContent, Service, ServiceError, ServiceResult};

/// An app registers an item a member owns, so it can be handed over later.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewContentItem {
    pub owner_member_id: i64,
    #[schemars(regex(pattern = roster_domain::schema::REQUIRED_LINE), length(max = 50))]
    pub kind: String,
    #[schemars(regex(pattern = roster_domain::schema::REQUIRED_LINE), length(max = 200))]
    pub external_ref: String,
    #[schemars(regex(pattern = roster_domain::schema::REQUIRED_LINE), length(max = 200))]
    pub title: String,
}

impl Service {
    pub async fn register_content(
        &self,
        can: Can<'_, ManageContent>,
        new: NewContentItem,
    ) -> ServiceResult<crate::ContentItemView> {
        let actor = can.actor();
        let kind = SingleLine::parse_required("kind", &new.kind, 50)?;
        let external_ref = SingleLine::parse_required("external_ref", &new.external_ref, 200)?;
        let title = SingleLine::parse_required("title", &new.title, 200)?;
        let mut tx = self.store().begin().await?;
        let owner = roster_store::member_by_id(&mut tx, actor.org_id, new.owner_member_id)
            .await?
            .filter(|m| m.status != MemberStatus::Removed.as_str())
            .ok_or_else(|| {
                ServiceError::conflict(
                    "unknown_member",
                    Some("owner_member_id"),
                    "is not a member of this organization",
                )
            })?;
        let id = insert_content_item(
            &mut tx,
            actor.org_id,
            owner.id,
            kind.as_str(),
            external_ref.as_str(),
            title.as_str(),
            now_millis(),
        )
        .await?;
        record(
            &mut tx,
            actor,
            "content.register",
            "content_item",
            id,
            json!({"owner": owner.id, "kind": kind.as_str()}),
        )
        .await?;
        let item = content_items_of(&mut tx, actor.org_id, owner.id)
            .await?
            .into_iter()
            .find(|i| i.id == id)
            .ok_or(ServiceError::NotFound("content item"))?;
        tx.commit().await?;
        Ok(item.into())
    }
}
