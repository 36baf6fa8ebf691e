//! Saved mappings: a name and, per header, the field it feeds.

use super::*;
use crate::SavedMappingView;

/// A header and the target a saved mapping gives it.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SavedTarget {
    pub header: String,
    pub target: Target,
}

impl Service {
    /// Saves the import's current mapping under a name, by header, so that
    /// the next file with the same headers maps the same way.
    pub async fn save_import_mapping(
        &self,
        can: Can<'_, Import>,
        id: i64,
        name: &str,
    ) -> ServiceResult<SavedMappingView> {
        let actor = can.actor();
        let name = roster_domain::SingleLine::parse_required("name", name, 100)?.into_string();
        let mut tx = self.store().begin().await?;
        let import = import_in_org(&mut tx, actor.org_id, id).await?;
        let mapping: Mapping =
            serde_json::from_value(import.mapping).map_err(|e| ServiceError::Internal(Box::new(e)))?;
        let targets: Vec<SavedTarget> = mapping
            .columns
            .into_iter()
            .map(|c| SavedTarget {
                header: c.header,
                target: c.target,
            })
            .collect();
        let now = now_millis();
        roster_store::upsert_saved_mapping(&mut tx, actor.org_id, &name, &json!(targets), &actor.label, now).await?;
        record(
            &mut tx,
            actor,
            "import.mapping_saved",
            "import_mapping",
            &name,
            json!({"import_id": id}),
        )
        .await?;
        tx.commit().await?;
        Ok(SavedMappingView {
            name,
            targets,
            created_by: actor.label.clone(),
            created_at: roster_domain::Timestamp::from_millis(now),
        })
    }

    pub async fn saved_import_mappings(&self, can: Can<'_, Import>) -> ServiceResult<Vec<crate::SavedMappingView>> {
        let mut conn = self.store().conn().await?;
        roster_store::saved_mappings(&mut conn, can.actor().org_id)
            .await?
            .into_iter()
            .map(crate::SavedMappingView::new)
            .collect()
    }

    /// Applies a saved mapping to an import: columns whose header the saved
    /// mapping knows (ignoring case) get its target; the others keep theirs.
    pub async fn use_saved_mapping(&self, can: Can<'_, Import>, id: i64, name: &str) -> ServiceResult<ImportView> {
        let actor = can.actor();
        let mut conn = self.store().conn().await?;
        let saved = roster_store::saved_mappings(&mut conn, actor.org_id)
            .await?
            .into_iter()
            .find(|m| m.name == name)
            .ok_or(ServiceError::NotFound("saved mapping"))?;
        let targets: Vec<SavedTarget> =
            serde_json::from_value(saved.targets).map_err(|e| ServiceError::Internal(Box::new(e)))?;
        let import = import_in_org(&mut conn, actor.org_id, id).await?;
        drop(conn);
        let mut mapping: Mapping =
            serde_json::from_value(import.mapping).map_err(|e| ServiceError::Internal(Box::new(e)))?;
        for column in &mut mapping.columns {
            if let Some(t) = targets
                .iter()
                .find(|t| t.header.to_lowercase() == column.header.to_lowercase())
            {
                column.target = t.target.clone();
            }
        }
        self.set_import_mapping(can, id, mapping.columns).await
    }
}
