use std::collections::BTreeSet;
use std::fmt;

use crate::InvalidInput;

/// Declares the permissions once: the `Permission` enum, its stored names,
/// and one marker type per permission (`capability::ManageMembers`) for the
/// service's capabilities (`Can<ManageMembers>`).
macro_rules! permissions {
    ($($name:ident = $text:literal),* $(,)?) => {
        /// One thing a route may do. Routes check permissions, never role names.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Permission {
            $($name),*
        }

        impl Permission {
            pub const ALL: &'static [Permission] = &[$(Self::$name),*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$name => $text),*
                }
            }
        }

        /// A permission as a type, so that a capability names what it allows.
        pub trait Perm {
            const PERMISSION: Permission;
        }

        /// The permissions as types.
        pub mod capability {
            $(
                #[derive(Debug)]
                pub struct $name;
                impl super::Perm for $name {
                    const PERMISSION: super::Permission = super::Permission::$name;
                }
            )*
        }
    };
}

permissions!(
    ReadOrg = "org.read",
    ManageOrg = "org.manage",
    ManageSeats = "seats.manage",
    ReadMembers = "members.read",
    ManageMembers = "members.manage",
    ManageRoles = "roles.manage",
    ReadTeams = "teams.read",
    ManageTeams = "teams.manage",
    ManageFields = "fields.manage",
    ManageTokens = "tokens.manage",
    ManageContent = "content.manage",
    ReadAudit = "audit.read",
    Invite = "members.invite",
    Import = "members.import",
    Export = "members.export",
);

impl Permission {
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        Self::ALL
            .iter()
            .copied()
            .find(|p| p.as_str() == raw.trim())
            .ok_or_else(|| {
                InvalidInput::new(
                    "permissions",
                    "invalid_permission",
                    format!("{raw:?} is not a permission"),
                )
            })
    }
}

/// A set of permissions; custom roles are named sets.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PermissionSet(BTreeSet<Permission>);

impl PermissionSet {
    pub fn of(perms: &[Permission]) -> Self {
        Self(perms.iter().copied().collect())
    }

    pub fn contains(&self, p: Permission) -> bool {
        self.0.contains(&p)
    }

    pub fn is_subset(&self, other: &PermissionSet) -> bool {
        self.0.is_subset(&other.0)
    }

    /// The permissions both sets hold.
    pub fn intersection(&self, other: &PermissionSet) -> PermissionSet {
        Self(self.0.intersection(&other.0).copied().collect())
    }

    pub fn iter(&self) -> impl Iterator<Item = Permission> + '_ {
        self.0.iter().copied()
    }

    /// Comma-separated, the stored form.
    pub fn to_csv(&self) -> String {
        self.0.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(",")
    }

    pub fn parse_csv(raw: &str) -> Result<Self, InvalidInput> {
        raw.split(',')
            .filter(|s| !s.trim().is_empty())
            .map(Permission::parse)
            .collect::<Result<BTreeSet<_>, _>>()
            .map(Self)
    }
}

/// The roles every organization has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BuiltinRole {
    Owner,
    Admin,
    DivisionAdmin,
    Collaborator,
    Reader,
}

impl BuiltinRole {
    pub const ALL: [BuiltinRole; 5] = [
        Self::Owner,
        Self::Admin,
        Self::DivisionAdmin,
        Self::Collaborator,
        Self::Reader,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Admin => "admin",
            Self::DivisionAdmin => "division_admin",
            Self::Collaborator => "collaborator",
            Self::Reader => "reader",
        }
    }

    pub fn permissions(self) -> PermissionSet {
        use Permission::*;
        match self {
            Self::Owner | Self::Admin => PermissionSet::of(Permission::ALL),
            // Scoped to the members of the divisions they administer.
            Self::DivisionAdmin => {
                PermissionSet::of(&[ReadOrg, ReadMembers, ManageMembers, ReadTeams, ManageTeams, Invite])
            }
            Self::Collaborator => PermissionSet::of(&[ReadOrg, ReadMembers, ReadTeams]),
            Self::Reader => PermissionSet::of(&[ReadOrg]),
        }
    }
}

/// A member's or token's role: built in, or a custom role by key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Role {
    Builtin(BuiltinRole),
    Custom(String),
}

impl Role {
    pub const OWNER: Role = Role::Builtin(BuiltinRole::Owner);
    pub const READER: Role = Role::Builtin(BuiltinRole::Reader);

    /// Parses `owner`, `admin`, … or `custom:<key>` (the stored form).
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        let value = raw.trim();
        if let Some(b) = BuiltinRole::ALL.into_iter().find(|b| b.as_str() == value) {
            return Ok(Self::Builtin(b));
        }
        if let Some(key) = value.strip_prefix("custom:") {
            let key = crate::FieldKey::parse(key).map_err(|e| e.for_field("role"))?;
            return Ok(Self::Custom(key.as_str().to_owned()));
        }
        Err(InvalidInput::new(
            "role",
            "invalid_role",
            format!("{value:?} is not a role: use owner, admin, division_admin, collaborator, reader or custom:<key>"),
        ))
    }

    pub fn is_owner(&self) -> bool {
        *self == Self::OWNER
    }

    pub fn is_division_admin(&self) -> bool {
        *self == Self::Builtin(BuiltinRole::DivisionAdmin)
    }
}

impl BuiltinRole {
    /// How people read it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Owner => "Owner (primary admin)",
            Self::Admin => "Admin",
            Self::DivisionAdmin => "Division admin",
            Self::Collaborator => "Collaborator",
            Self::Reader => "Reader",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Builtin(b) => f.write_str(b.as_str()),
            Self::Custom(key) => write!(f, "custom:{key}"),
        }
    }
}

text_value!(Role);
text_value!(Permission, as_str);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_stored_form() {
        for raw in [
            "owner",
            "admin",
            "division_admin",
            "collaborator",
            "reader",
            "custom:hr_team",
        ] {
            assert_eq!(Role::parse(raw).unwrap().to_string(), raw);
        }
        assert!(Role::parse("root").is_err());
        assert!(Role::parse("custom:Bad Key").is_err());
    }

    #[test]
    fn lower_roles_hold_fewer_permissions() {
        let admin = BuiltinRole::Admin.permissions();
        for lower in [
            BuiltinRole::DivisionAdmin,
            BuiltinRole::Collaborator,
            BuiltinRole::Reader,
        ] {
            assert!(lower.permissions().is_subset(&admin));
            assert!(!admin.is_subset(&lower.permissions()));
        }
    }

    #[test]
    fn permission_sets_round_trip() {
        let set = PermissionSet::of(&[Permission::ReadAudit, Permission::ReadOrg]);
        assert_eq!(PermissionSet::parse_csv(&set.to_csv()).unwrap(), set);
        assert!(PermissionSet::parse_csv("org.read,nope").is_err());
    }
}
