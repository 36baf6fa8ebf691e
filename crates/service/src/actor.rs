use std::marker::PhantomData;

use roster_domain::{Permission, PermissionSet, Role};
use serde::{Deserialize, Serialize};

/// How the audit log names the local operator.
const SYSTEM_LABEL: &str = "cli";

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
    /// What the actor may do: the role's permissions, and for a token of a
    /// member at most that member's current ones.
    pub permissions: PermissionSet,
    /// The member behind the action: the signed-in member, or the member a
    /// token belongs to (none for organization tokens and the CLI).
    pub member_id: Option<i64>,
    /// How the audit log names the actor: `member:12`, `token:3`, `cli`,
    /// `scim:2`.
    pub label: String,
    pub context: RequestContext,
    /// The organization's identity provider (a SCIM token): it stands above
    /// every member but the owner, and grants any role but owner.
    pub directory: bool,
}

/// Who started a job, so that the job acts with that actor's rights as they
/// are when it runs (re-read then, never remembered).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum ActorRef {
    /// A signed-in member.
    Member(i64),
    /// An API token (of a member, or of the organization).
    Token(i64),
    /// The local operator (`roster` on the command line).
    System,
}

impl ActorRef {
    /// The actor an audit label names (`member:12`, `token:3`, `cli`): the
    /// label is made from the actor, and names it exactly. Anything else
    /// names nobody a job may act as.
    pub fn from_label(label: &str) -> Option<Self> {
        match label.split_once(':') {
            Some(("token", id)) => id.parse().ok().map(Self::Token),
            Some(("member", id)) => id.parse().ok().map(Self::Member),
            None if label == SYSTEM_LABEL => Some(Self::System),
            _ => None,
        }
    }
}

impl Actor {
    /// The local operator running `roster` against the database directly.
    pub fn system(org_id: i64, org_slug: &str) -> Self {
        Self {
            org_id,
            org_slug: org_slug.to_owned(),
            role: Role::OWNER,
            permissions: PermissionSet::of(Permission::ALL),
            member_id: None,
            label: SYSTEM_LABEL.into(),
            context: RequestContext {
                ip: "local".into(),
                request_id: String::new(),
            },
            directory: false,
        }
    }

    pub fn is_owner(&self) -> bool {
        self.role.is_owner()
    }

    /// Who this actor is, for a job to find again when it runs.
    pub fn reference(&self) -> Option<ActorRef> {
        ActorRef::from_label(&self.label)
    }

    /// Whether the actor stands above a member with this role and these
    /// permissions: nobody changes, removes or reassigns a member whose role
    /// is equal to or above their own. The owner stands above everyone but
    /// the owner (who changes only by ownership transfer); anyone else
    /// stands above a role whose permissions are a strict subset of theirs
    /// (an admin above a division admin, not above another admin).
    pub fn outranks(&self, role: &Role, permissions: &PermissionSet) -> bool {
        if role.is_owner() {
            return false;
        }
        self.is_owner()
            || self.directory
            || (permissions.is_subset(&self.permissions) && *permissions != self.permissions)
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

pub use roster_domain::capability::*;
pub use roster_domain::Perm;

/// Proof that `actor` holds permission `P`; only [`crate::Service::authorize`]
/// (and [`crate::Service::allows`]) make one. Copying a proof proves nothing
/// new, so it is `Copy`: a bulk change uses one check for every member.
#[derive(Debug)]
pub struct Can<'a, P: Perm> {
    actor: &'a Actor,
    _permission: PhantomData<P>,
}

impl<P: Perm> Clone for Can<'_, P> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P: Perm> Copy for Can<'_, P> {}

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
