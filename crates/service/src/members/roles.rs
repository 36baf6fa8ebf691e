use roster_domain::{now_millis, FieldKey, PermissionSet, Role, SingleLine};
use roster_store::{
    custom_role, custom_roles, delete_custom_role, insert_custom_role, role_holders, Conn, CustomRoleRecord,
};
use serde::Deserialize;
use serde_json::json;

use crate::orgs::audit::record;
use crate::{Actor, Can, CustomRoleView, ManageRoles, ReadOrg, Service, ServiceError, ServiceResult, Vocabulary};

/// Why a change of a member of this role is refused.
fn rank_refusal(role: &Role, reach: Reach) -> String {
    if role.is_owner() {
        return match reach {
            Reach::Removal => "the owner cannot be removed; transfer ownership first".into(),
            _ => "the owner changes only by transferring ownership".into(),
        };
    }
    let what = match reach {
        Reach::Profile => "change",
        Reach::RoleOrSeat => "change the role or seat of",
        Reach::Removal => "remove",
    };
    format!("you cannot {what} a member whose role ({role}) is equal to or above your own")
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCustomRole {
    #[schemars(regex(pattern = roster_domain::schema::KEY))]
    pub key: String,
    #[schemars(regex(pattern = roster_domain::schema::REQUIRED_LINE), length(max = 100))]
    pub name: String,
    pub permissions: Vec<roster_domain::Permission>,
}

/// How far a change reaches into a member, for the rule of ranks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reach {
    /// Their profile (names, e-mail, fields): one's own is one's own to edit.
    Profile,
    /// Their role or seat.
    RoleOrSeat,
    /// Removing them.
    Removal,
}

impl Service {
    /// The rule of ranks, the one place it is decided: nobody changes the
    /// role of, removes, or reassigns the seat of a member whose role is
    /// equal to or above their own — themselves included — and the owner
    /// changes only by ownership transfer. One's own profile is one's own.
    /// Every door (API, console, command line, import) goes through here.
    pub(crate) async fn check_rank(
        &self,
        conn: &mut Conn,
        actor: &Actor,
        member: &roster_store::MemberRecord,
        reach: Reach,
    ) -> ServiceResult<()> {
        if reach == Reach::Profile && actor.member_id == Some(member.id) {
            return Ok(());
        }
        let role = Role::parse(&member.role)?;
        let permissions = self.permissions_of(conn, actor.org_id, &role).await?;
        if actor.outranks(&role, &permissions) {
            return Ok(());
        }
        Err(ServiceError::forbidden(rank_refusal(&role, reach)))
    }

    /// Nobody grants a role above their own: the role's permissions must be a
    /// subset of the granter's, and the owner role moves only by transfer.
    pub(crate) async fn check_grant(&self, conn: &mut Conn, actor: &Actor, role: &Role) -> ServiceResult<()> {
        if role.is_owner() {
            return Err(ServiceError::forbidden(
                "the owner role is granted only by transferring ownership",
            ));
        }
        if let Role::Custom(key) = role {
            if custom_role(conn, actor.org_id, key).await?.is_none() {
                return Err(ServiceError::conflict(
                    "unknown_role",
                    Some("role"),
                    format!("there is no custom role {key:?}"),
                ));
            }
        }
        if actor.directory {
            // The identity provider grants any role but owner (above).
            return Ok(());
        }
        if *role != Role::READER && !actor.permissions.contains(roster_domain::Permission::ManageRoles) {
            return Err(ServiceError::MissingPermission(
                "granting a role other than reader needs the permission roles.manage".into(),
            ));
        }
        let granted = self.permissions_of(conn, actor.org_id, role).await?;
        if !granted.is_subset(&actor.permissions) {
            return Err(ServiceError::forbidden(format!(
                "the role {role} has permissions you do not hold"
            )));
        }
        Ok(())
    }

    /// The rule of ranks for many members at once (an import's rows): the
    /// verdict per role, cached, since a file names the same few roles.
    pub(crate) async fn rank_verdict(
        &self,
        conn: &mut Conn,
        actor: &Actor,
        role: &str,
        reach: Reach,
        key: &str,
        cache: &mut std::collections::HashMap<String, Result<(), String>>,
    ) -> ServiceResult<Result<(), String>> {
        if let Some(verdict) = cache.get(key) {
            return Ok(verdict.clone());
        }
        let parsed = Role::parse(role)?;
        let permissions = self.permissions_of(conn, actor.org_id, &parsed).await?;
        let verdict = if actor.outranks(&parsed, &permissions) {
            Ok(())
        } else {
            Err(rank_refusal(&parsed, reach))
        };
        cache.insert(key.to_owned(), verdict.clone());
        Ok(verdict)
    }

    pub async fn custom_roles(&self, can: Can<'_, ReadOrg>) -> ServiceResult<Vec<CustomRoleView>> {
        let mut conn = self.store().conn().await?;
        Ok(custom_roles(&mut conn, can.actor().org_id)
            .await?
            .into_iter()
            .map(CustomRoleView::from)
            .collect())
    }

    /// The organization's words for roles, seats and statuses, and what
    /// `actor` may grant: for filters and forms.
    pub async fn vocabulary(&self, can: Can<'_, ReadOrg>) -> ServiceResult<Vocabulary> {
        let mut conn = self.store().conn().await?;
        Vocabulary::of(&mut conn, can.actor().org_id).await
    }

    pub async fn create_custom_role(
        &self,
        can: Can<'_, ManageRoles>,
        new: NewCustomRole,
    ) -> ServiceResult<CustomRoleView> {
        let actor = can.actor();
        let key = FieldKey::parse(&new.key)?;
        let name = SingleLine::parse_required("name", &new.name, 100)?;
        let permissions = PermissionSet::of(&new.permissions);
        if !permissions.is_subset(&actor.permissions) {
            return Err(ServiceError::forbidden(
                "a custom role cannot hold permissions you do not hold",
            ));
        }
        let mut tx = self.store().begin().await?;
        let id = insert_custom_role(
            &mut tx,
            actor.org_id,
            key.as_str(),
            name.as_str(),
            &permissions.to_csv(),
            now_millis(),
        )
        .await?;
        record(
            &mut tx,
            actor,
            "role.create",
            "role",
            key.as_str(),
            json!({"permissions": permissions.to_csv()}),
        )
        .await?;
        tx.commit().await?;
        // SCIM describes custom fields and roles: its schema changed.
        self.scim_schemas.forget(actor.org_id);
        Ok(CustomRoleRecord {
            id,
            key: key.as_str().to_owned(),
            name: name.into_string(),
            permissions: permissions.to_csv(),
        }
        .into())
    }

    pub async fn delete_custom_role(&self, can: Can<'_, ManageRoles>, key: &str) -> ServiceResult<()> {
        let actor = can.actor();
        let mut tx = self.store().begin().await?;
        let holders = role_holders(&mut tx, actor.org_id, &format!("custom:{key}")).await?;
        if holders > 0 {
            return Err(ServiceError::conflict(
                "role_in_use",
                Some("key"),
                format!("{holders} members or tokens hold this role; give them another role first"),
            ));
        }
        if !delete_custom_role(&mut tx, actor.org_id, key).await? {
            return Err(ServiceError::NotFound("role"));
        }
        record(&mut tx, actor, "role.delete", "role", key, json!({})).await?;
        tx.commit().await?;
        // SCIM describes custom fields and roles: its schema changed.
        self.scim_schemas.forget(actor.org_id);
        Ok(())
    }
}
