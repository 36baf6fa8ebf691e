//! SCIM 2.0: the organization's identity provider (Entra ID, Okta) keeps
//! members and directory teams in step with its directory. The HTTP door
//! (`roster_http::scim`) speaks the protocol; here a SCIM token becomes a
//! [`ScimClient`] — the capability every SCIM function takes — and users
//! and groups become members and teams under the same rules as every other
//! door, with the directory's own: it never grants owner nor deactivates or
//! deletes the owner, and it alone changes what it owns.

mod group_roles;
mod groups;
mod lifecycle;
mod list;
mod pages;
mod schemas;
mod tokens;
mod user_doc;
mod user_ingest;
mod users;

use roster_domain::{PermissionSet, Role};
use roster_scim::schema::{self, CustomFieldAttr, Resource};
use roster_scim::ScimError;
use serde_json::Value;

use crate::{Actor, RequestContext, ServiceResult};

pub use list::{ListRequest, Shape};
pub(crate) use pages::PageMemory;
pub(crate) use schemas::SchemaCache;

pub use tokens::{NewScimToken, ScimTokenCreated, ScimTokenView};

/// The permissions a SCIM token acts with: members, teams, the roles it
/// grants. (Nothing of the organization's settings, tokens or exports.)
pub const SCIM_PERMISSIONS: &[roster_domain::Permission] = &[
    roster_domain::Permission::ReadOrg,
    roster_domain::Permission::ReadMembers,
    roster_domain::Permission::ManageMembers,
    roster_domain::Permission::ReadTeams,
    roster_domain::Permission::ManageTeams,
    roster_domain::Permission::ManageRoles,
];

/// An authenticated SCIM client: the organization's identity provider,
/// acting through one token. Only [`crate::Service::scim_client`] makes one.
#[derive(Debug, Clone)]
pub struct ScimClient {
    actor: Actor,
    token_id: i64,
    /// Where this server's SCIM resources live (`{base_url}/scim/v2`).
    base: String,
}

impl ScimClient {
    pub(crate) fn new(org_id: i64, org_slug: &str, token_id: i64, base: String, context: RequestContext) -> Self {
        Self {
            actor: Actor {
                org_id,
                org_slug: org_slug.to_owned(),
                role: Role::Builtin(roster_domain::BuiltinRole::Admin),
                permissions: PermissionSet::of(SCIM_PERMISSIONS),
                member_id: None,
                label: format!("scim:{token_id}"),
                context,
                directory: true,
            },
            token_id,
            base,
        }
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    pub fn org_id(&self) -> i64 {
        self.actor.org_id
    }

    pub fn token_id(&self) -> i64 {
        self.token_id
    }

    /// `{base_url}/scim/v2`, for `meta.location` and `$ref`s.
    pub fn base(&self) -> &str {
        &self.base
    }
}

/// A resource as the SCIM door answers it: its JSON, its version (the
/// weak entity tag), and what the client should know beyond it.
#[derive(Debug, Clone)]
pub struct ScimAnswer {
    pub body: Value,
    pub version: String,
    /// Said besides the resource (`reactivated without a seat: …`).
    pub notice: Option<String>,
    /// An attribute written as JSON text already, to go into `body` when
    /// it is sent (a group's members: a hundred thousand as a tree of
    /// values would take ten times the memory of their text).
    pub spliced: Option<(&'static str, String)>,
}

impl ScimAnswer {
    /// The answer as JSON text, with its spliced attribute.
    pub fn to_json(&self) -> String {
        let text = self.body.to_string();
        match (&self.spliced, text.strip_suffix('}')) {
            (Some((name, json)), Some(open)) => {
                let comma = if open.trim_end().ends_with('{') { "" } else { "," };
                format!("{open}{comma}\"{name}\":{json}}}")
            }
            _ => text,
        }
    }
}

/// What a write sends back: the resource, or nothing (a group too large to
/// send back whole after a PATCH).
#[derive(Debug, Clone)]
pub enum Written {
    Resource(ScimAnswer),
    NoContent,
}

/// A team's id as a SCIM Group's: ids are unique across all of a service
/// provider's resources (RFC 7643 §3.1), and users have the members' ids.
pub fn group_id(team_id: i64) -> String {
    format!("g{team_id}")
}

/// The team a Group id names.
pub fn team_of_group_id(id: &str) -> Option<i64> {
    let digits = id.strip_prefix('g')?;
    digits.parse::<i64>().ok().filter(|n| n.to_string() == digits)
}

/// The weak entity tag of a resource changed at `updated_at`.
pub(crate) fn version_of(updated_at: i64) -> String {
    format!("W/\"{updated_at}\"")
}

/// Checks an `If-Match` header against the resource's version: `*` or one
/// of the tags listed (weak comparison, RFC 9110 §8.8.3.2). A mismatch is
/// 412: the client acted on a version that is no longer there.
pub(crate) fn check_if_match(if_match: Option<&str>, version: &str) -> ServiceResult<()> {
    let Some(header) = if_match.map(str::trim).filter(|h| !h.is_empty()) else {
        return Ok(());
    };
    let opaque = |tag: &str| tag.trim().trim_start_matches("W/").trim_matches('"').to_owned();
    let current = opaque(version);
    if header == "*" || header.split(',').any(|tag| opaque(tag) == current) {
        return Ok(());
    }
    Err(ScimError::status(
        412,
        format!("the resource changed: its version is {version}, not {header}"),
    )
    .into())
}

impl crate::Service {
    /// The User resource of the client's organization: the core and
    /// enterprise schemas, and Roster's extension with its custom fields
    /// and the roles it may grant.
    pub async fn scim_user_resource(&self, client: &ScimClient) -> ServiceResult<Resource> {
        let mut conn = self.store().conn().await?;
        Ok(self.user_schema(&mut conn, client.org_id()).await?.resource.clone())
    }

    /// An organization's User schema, kept for a few seconds.
    pub(crate) async fn user_schema(
        &self,
        conn: &mut roster_store::Conn,
        org_id: i64,
    ) -> ServiceResult<std::sync::Arc<UserSchema>> {
        if let Some(schema) = self.scim_schemas.get(org_id) {
            return Ok(schema);
        }
        let schema = std::sync::Arc::new(user_schema_of(conn, org_id).await?);
        self.scim_schemas.put(org_id, schema.clone());
        Ok(schema)
    }

    /// The Group resource.
    pub fn scim_group_resource(&self) -> Resource {
        schema::group_resource()
    }
}

/// An organization's User resource and the custom fields behind it, read
/// once for a request.
pub(crate) struct UserSchema {
    pub resource: Resource,
    pub fields: Vec<roster_store::CustomFieldRecord>,
}

pub(crate) async fn user_schema_of(conn: &mut roster_store::Conn, org_id: i64) -> ServiceResult<UserSchema> {
    let mut roles: Vec<String> = roster_domain::BuiltinRole::ALL
        .iter()
        .filter(|r| **r != roster_domain::BuiltinRole::Owner)
        .map(|r| r.as_str().to_owned())
        .collect();
    roles.extend(
        roster_store::custom_roles(conn, org_id)
            .await?
            .into_iter()
            .map(|r| format!("custom:{}", r.key)),
    );
    let fields = roster_store::custom_fields(conn, org_id).await?;
    let attrs: Vec<CustomFieldAttr> = fields
        .iter()
        .map(|f| CustomFieldAttr {
            key: f.key.clone(),
            label: f.label.clone(),
            kind: f.kind.clone(),
            choices: f.choices.clone(),
        })
        .collect();
    Ok(UserSchema {
        resource: schema::user_resource(roles, &attrs),
        fields,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_spliced_attribute_lands_inside_the_object() {
        let answer = ScimAnswer {
            body: json!({"id": "g1"}),
            version: String::new(),
            notice: None,
            spliced: Some(("members", "[{\"value\":\"7\"}]".into())),
        };
        let back: Value = serde_json::from_str(&answer.to_json()).unwrap();
        assert_eq!(back, json!({"id": "g1", "members": [{"value": "7"}]}));
    }

    #[test]
    fn if_match_compares_weak_tags() {
        assert!(check_if_match(None, "W/\"5\"").is_ok());
        assert!(check_if_match(Some("*"), "W/\"5\"").is_ok());
        assert!(check_if_match(Some("\"5\""), "W/\"5\"").is_ok());
        assert!(check_if_match(Some("W/\"4\", W/\"5\""), "W/\"5\"").is_ok());
        assert!(check_if_match(Some("W/\"4\""), "W/\"5\"").is_err());
    }
}
