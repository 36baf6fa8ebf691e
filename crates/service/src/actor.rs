use std::marker::PhantomData;

use roster_domain::{Permission, PermissionSet, Role};

/// Where a request came from, for the audit log.
#[derive(Debug, Clone, Default)]
pub struct RequestContext {
    pub ip: String,
    pub request_id: String,
}

/// Who acts, inside exactly one organization.
#[derive(Debug, Clone)]
pub struct Actor {
    pub org_id: i64,
    pub org_slug: String,
    pub role: Role,
    pub permissions: PermissionSet,
    /// The member behind the action (none for API tokens and the CLI).
    pub member_id: Option<i64>,
    /// How the audit log names the actor: `member:12`, `token:3`, `cli`.
    pub label: String,
    pub context: RequestContext,
}

impl Actor {
    /// The local operator running `roster` against the database directly.
    pub fn system(org_id: i64, org_slug: &str) -> Self {
        Self {
            org_id,
            org_slug: org_slug.to_owned(),
            role: Role::OWNER,
            permissions: PermissionSet::of(&Permission::ALL),
            member_id: None,
            label: "cli".into(),
            context: RequestContext {
                ip: "local".into(),
                request_id: String::new(),
            },
        }
    }

    pub fn is_owner(&self) -> bool {
        self.role.is_owner()
    }

    /// A division admin's actions reach only their divisions' members.
    pub fn division_scope(&self) -> Option<i64> {
        if self.role.is_division_admin() {
            // A division-admin token has no member and so no divisions: -1
            // matches nothing.
            Some(self.member_id.unwrap_or(-1))
        } else {
            None
        }
    }
}

/// A permission as a type, so that a capability names what it allows.
pub trait Perm {
    const PERMISSION: Permission;
}

macro_rules! permissions {
    ($($name:ident),* $(,)?) => {
        $(
            #[derive(Debug)]
            pub struct $name;
            impl Perm for $name {
                const PERMISSION: Permission = Permission::$name;
            }
        )*
    };
}

permissions!(
    ReadOrg,
    ManageOrg,
    ManageSeats,
    ReadMembers,
    ManageMembers,
    ManageRoles,
    ReadTeams,
    ManageTeams,
    ManageFields,
    ManageTokens,
    ManageContent,
    ReadAudit,
    Import,
);

/// Proof that `actor` holds permission `P`; only [`crate::Service::authorize`]
/// makes one.
#[derive(Debug)]
pub struct Can<'a, P: Perm> {
    actor: &'a Actor,
    _permission: PhantomData<P>,
}

impl<'a, P: Perm> Can<'a, P> {
    pub(crate) fn new(actor: &'a Actor) -> Self {
        Self {
            actor,
            _permission: PhantomData,
        }
    }

    pub fn actor(&self) -> &'a Actor {
        self.actor
    }
}
