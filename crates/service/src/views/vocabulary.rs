//! An organization's words for roles and seats: custom roles by their name
//! (never `custom:auditor`), seat types by the labels it gave them, statuses
//! as people say them; and what each role may do, for the rule of ranks.

use std::collections::HashMap;

use roster_domain::{BuiltinRole, MemberStatus, PermissionSet, Role, SeatType};
use serde::Serialize;

use crate::{Actor, ServiceResult};

/// One value of a choice (a filter, a form's select), with its label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Choice {
    /// The value a form sends back (`admin`, `custom:auditor`, `power`).
    pub value: String,
    pub label: String,
}

#[derive(Debug, Clone, Default)]
pub struct Vocabulary {
    /// Custom roles: key → (name, permissions), in the order they were made.
    custom_roles: Vec<(String, String, PermissionSet)>,
    seat_labels: HashMap<SeatType, String>,
}

impl Vocabulary {
    pub(crate) async fn of(conn: &mut roster_store::Conn, org_id: i64) -> ServiceResult<Self> {
        let mut custom_roles = Vec::new();
        for role in roster_store::custom_roles(conn, org_id).await? {
            custom_roles.push((role.key, role.name, PermissionSet::parse_csv(&role.permissions)?));
        }
        let mut seat_labels = HashMap::new();
        for seat in roster_store::seat_allocations(conn, org_id).await? {
            seat_labels.insert(SeatType::parse(&seat.seat_type)?, seat.label);
        }
        Ok(Self {
            custom_roles,
            seat_labels,
        })
    }

    pub fn role_label(&self, role: &Role) -> String {
        match role {
            Role::Builtin(b) => b.label().to_owned(),
            Role::Custom(key) => self
                .custom_roles
                .iter()
                .find(|(k, _, _)| k == key)
                .map_or_else(|| format!("{key} (deleted role)"), |(_, name, _)| name.clone()),
        }
    }

    pub fn seat_label(&self, seat: SeatType) -> String {
        self.seat_labels
            .get(&seat)
            .cloned()
            .unwrap_or_else(|| seat.as_str().to_owned())
    }

    /// What a role may do here (a deleted custom role: nothing).
    pub fn permissions(&self, role: &Role) -> PermissionSet {
        match role {
            Role::Builtin(b) => b.permissions(),
            Role::Custom(key) => self
                .custom_roles
                .iter()
                .find(|(k, _, _)| k == key)
                .map(|(_, _, p)| p.clone())
                .unwrap_or_default(),
        }
    }

    /// Every role, built-in first, for filters.
    pub fn roles(&self) -> Vec<Choice> {
        BuiltinRole::ALL
            .iter()
            .map(|b| Role::Builtin(*b))
            .chain(self.custom_roles.iter().map(|(key, _, _)| Role::Custom(key.clone())))
            .map(|role| Choice {
                label: self.role_label(&role),
                value: role.to_string(),
            })
            .collect()
    }

    /// The roles `actor` may grant (never the owner; none above their own).
    pub fn grantable_roles(&self, actor: &Actor) -> Vec<Choice> {
        BuiltinRole::ALL
            .iter()
            .map(|b| Role::Builtin(*b))
            .chain(self.custom_roles.iter().map(|(key, _, _)| Role::Custom(key.clone())))
            .filter(|role| !role.is_owner() && self.permissions(role).is_subset(&actor.permissions))
            .filter(|role| *role == Role::READER || actor.permissions.contains(roster_domain::Permission::ManageRoles))
            .map(|role| Choice {
                label: self.role_label(&role),
                value: role.to_string(),
            })
            .collect()
    }

    pub fn seats(&self) -> Vec<Choice> {
        SeatType::ALL
            .iter()
            .map(|seat| Choice {
                value: seat.as_str().to_owned(),
                label: self.seat_label(*seat),
            })
            .collect()
    }

    pub fn statuses(&self) -> Vec<Choice> {
        MemberStatus::ALL
            .iter()
            .map(|s| Choice {
                value: s.as_str().to_owned(),
                label: s.label().to_owned(),
            })
            .collect()
    }
}
