use roster_domain::{now_millis, CustomFieldKind, FieldKey, SingleLine};
use roster_store::{custom_fields, delete_custom_field, insert_custom_field};

use crate::{CustomFieldView, FieldKind};
use serde::Deserialize;
use serde_json::json;

use crate::orgs::audit::record;
use crate::{Can, ManageFields, ReadOrg, Service, ServiceError, ServiceResult};

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = choices_for_a_choice)]
pub struct NewCustomField {
    #[schemars(regex(pattern = roster_domain::schema::KEY))]
    pub key: String,
    #[schemars(regex(pattern = roster_domain::schema::REQUIRED_LINE), length(max = 100))]
    pub label: String,
    pub kind: FieldKind,
    /// The values a `choice` field allows (at least one).
    #[serde(default)]
    #[schemars(inner(regex(pattern = roster_domain::schema::REQUIRED_LINE), length(max = 100)))]
    pub choices: Vec<String>,
}

/// A `choice` field needs its choices: the schema says so.
fn choices_for_a_choice(schema: &mut schemars::Schema) {
    schema.insert(
        "if".into(),
        json!({"properties": {"kind": {"const": "choice"}}, "required": ["kind"]}),
    );
    schema.insert(
        "then".into(),
        json!({"properties": {"choices": {"minItems": 1}}, "required": ["choices"]}),
    );
}

/// Member columns a custom field key may not shadow (imports map by key).
const RESERVED: &[&str] = &[
    "first_name",
    "last_name",
    "email",
    "personal_id",
    "comment",
    "phone",
    "location",
    "skills",
    "department",
    "role",
    "seat_type",
    "status",
    "external",
    "teamid",
    "id",
];

impl Service {
    pub async fn custom_fields(&self, can: Can<'_, ReadOrg>) -> ServiceResult<Vec<CustomFieldView>> {
        let mut conn = self.store().conn().await?;
        custom_fields(&mut conn, can.actor().org_id)
            .await?
            .into_iter()
            .map(CustomFieldView::new)
            .collect()
    }

    pub async fn create_custom_field(
        &self,
        can: Can<'_, ManageFields>,
        new: NewCustomField,
    ) -> ServiceResult<CustomFieldView> {
        let actor = can.actor();
        let key = FieldKey::parse(&new.key)?;
        if RESERVED.contains(&key.as_str()) {
            return Err(roster_domain::InvalidInput::new(
                "key",
                "reserved_key",
                "is the name of a built-in member field",
            )
            .into());
        }
        let label = SingleLine::parse_required("label", &new.label, 100)?;
        let choices = new
            .choices
            .iter()
            .map(|c| SingleLine::parse_required("choices", c, 100).map(SingleLine::into_string))
            .collect::<Result<Vec<_>, _>>()?;
        let kind = CustomFieldKind::parse(new.kind.as_str(), &choices)?;
        let mut tx = self.store().begin().await?;
        let id = insert_custom_field(
            &mut tx,
            actor.org_id,
            key.as_str(),
            label.as_str(),
            kind.name(),
            &choices,
            now_millis(),
        )
        .await?;
        record(
            &mut tx,
            actor,
            "field.create",
            "custom_field",
            key.as_str(),
            json!({"kind": kind.name()}),
        )
        .await?;
        tx.commit().await?;
        // SCIM describes custom fields and roles: its schema changed.
        self.scim_schemas.forget(actor.org_id);
        Ok(CustomFieldView {
            id,
            key: key.as_str().to_owned(),
            label: label.into_string(),
            kind: FieldKind::of(&kind),
            choices,
        })
    }

    pub async fn delete_custom_field(&self, can: Can<'_, ManageFields>, key: &str) -> ServiceResult<()> {
        let actor = can.actor();
        let mut tx = self.store().begin().await?;
        if !delete_custom_field(&mut tx, actor.org_id, key).await? {
            return Err(ServiceError::NotFound("custom field"));
        }
        record(&mut tx, actor, "field.delete", "custom_field", key, json!({})).await?;
        tx.commit().await?;
        // SCIM describes custom fields and roles: its schema changed.
        self.scim_schemas.forget(actor.org_id);
        Ok(())
    }
}
