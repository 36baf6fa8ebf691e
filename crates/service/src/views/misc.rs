//! The organization, teams, tokens, the audit log, jobs and the smaller
//! things, as the service shows them.

use roster_domain::{Role, TeamRole, Timestamp};
use roster_store::{
    AuditRecord, ContentItemRecord, CustomFieldRecord, CustomRoleRecord, Membership, OrgRecord, SavedMappingRecord,
    TeamMemberRecord, TeamRecord, TokenRecord,
};
use serde::Serialize;

use super::Vocabulary;
use crate::ServiceResult;

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(rename = "Organization")]
pub struct OrgView {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub accent_color: String,
    pub logo_url: String,
    pub invitation_lifetime_days: i64,
    pub export_retention_days: i64,
    pub job_history_days: i64,
    pub import_row_limit: i64,
    pub managed_by_identity_provider: bool,
    pub signup_enabled: bool,
    /// The language of the organization's mail and pages.
    pub language: roster_domain::Language,
    /// The e-mail domains the sign-up page accepts (empty: any).
    pub signup_domains: Vec<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl From<OrgRecord> for OrgView {
    fn from(r: OrgRecord) -> Self {
        Self {
            id: r.id,
            slug: r.slug,
            name: r.name,
            description: r.description,
            accent_color: r.accent_color,
            logo_url: r.logo_url,
            invitation_lifetime_days: r.invitation_lifetime_days,
            export_retention_days: r.export_retention_days,
            job_history_days: r.job_history_days,
            import_row_limit: r.import_row_limit,
            managed_by_identity_provider: r.managed_by_identity_provider,
            signup_enabled: r.signup_enabled,
            language: roster_domain::Language::parse(&r.language).unwrap_or_default(),
            signup_domains: crate::ways_in::signup::domains_of(&r.signup_domains),
            created_at: Timestamp::from_millis(r.created_at),
            updated_at: Timestamp::from_millis(r.updated_at),
        }
    }
}

/// An organization a signed-in person belongs to.
#[derive(Debug, Clone, Serialize)]
pub struct MembershipView {
    pub org_id: i64,
    pub slug: String,
    pub name: String,
    pub member_id: i64,
    pub role: Role,
    pub logo_url: String,
}

impl MembershipView {
    pub(crate) fn new(r: Membership) -> ServiceResult<Self> {
        Ok(Self {
            role: Role::parse(&r.role)?,
            org_id: r.org_id,
            slug: r.slug,
            name: r.name,
            member_id: r.member_id,
            logo_url: r.logo_url,
        })
    }
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(rename = "Team")]
pub struct TeamView {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub name: String,
    pub purpose: String,
    pub external_key: Option<String>,
    pub is_division: bool,
    pub member_count: i64,
    /// A directory group: the identity provider names it and chooses its
    /// members (SCIM); by hand it is not renamed, deleted or filled.
    pub directory: bool,
    /// The role a directory group grants its members, if any.
    pub grants_role: Option<Role>,
}

impl From<TeamRecord> for TeamView {
    fn from(r: TeamRecord) -> Self {
        Self {
            id: r.id,
            parent_id: r.parent_id,
            name: r.name,
            purpose: r.purpose,
            external_key: r.external_key,
            is_division: r.is_division,
            member_count: r.member_count,
            directory: r.directory,
            grants_role: r.grants_role.as_deref().and_then(|g| Role::parse(g).ok()),
        }
    }
}

/// A member's place in a team, as the team lists it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(rename = "TeamMember")]
pub struct TeamMemberView {
    pub member_id: i64,
    pub first_name: String,
    pub last_name: String,
    pub team_role: TeamRole,
    pub core_member: bool,
}

impl TeamMemberView {
    pub(crate) fn new(r: TeamMemberRecord) -> ServiceResult<Self> {
        Ok(Self {
            team_role: TeamRole::parse(&r.team_role)?,
            member_id: r.member_id,
            first_name: r.first_name,
            last_name: r.last_name,
            core_member: r.core_member,
        })
    }
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(rename = "Token")]
pub struct TokenView {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub role_label: String,
    /// The member it belongs to (and acts for, with at most their rights);
    /// none for an organization token.
    pub member_id: Option<i64>,
    pub created_by: String,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    pub expires_at: Option<Timestamp>,
}

impl TokenView {
    pub(crate) fn new(r: TokenRecord, words: &Vocabulary) -> ServiceResult<Self> {
        let role = Role::parse(&r.role)?;
        Ok(Self {
            role_label: words.role_label(&role),
            role,
            id: r.id,
            name: r.name,
            member_id: r.member_id,
            created_by: r.created_by,
            created_at: Timestamp::from_millis(r.created_at),
            last_used_at: r.last_used_at.map(Timestamp::from_millis),
            revoked_at: r.revoked_at.map(Timestamp::from_millis),
            expires_at: r.expires_at.map(Timestamp::from_millis),
        })
    }

    /// Neither revoked nor expired.
    pub fn live(&self) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|at| at > Timestamp::now())
    }
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(rename = "AuditEvent")]
pub struct AuditEventView {
    pub id: i64,
    pub at: Timestamp,
    pub actor: String,
    pub action: String,
    pub target_kind: String,
    pub target_id: String,
    pub outcome: String,
    pub ip: String,
    pub request_id: String,
    pub details: serde_json::Value,
}

impl From<AuditRecord> for AuditEventView {
    fn from(r: AuditRecord) -> Self {
        Self {
            id: r.id,
            at: Timestamp::from_millis(r.at),
            actor: r.actor,
            action: r.action,
            target_kind: r.target_kind,
            target_id: r.target_id,
            outcome: r.outcome,
            ip: r.ip,
            request_id: r.request_id,
            details: r.details,
        }
    }
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(rename = "CustomRole")]
pub struct CustomRoleView {
    pub id: i64,
    pub key: String,
    pub name: String,
    /// Its permissions by their names (`members.read`, …).
    pub permissions: Vec<String>,
}

impl From<CustomRoleRecord> for CustomRoleView {
    fn from(r: CustomRoleRecord) -> Self {
        Self {
            id: r.id,
            key: r.key,
            name: r.name,
            permissions: r
                .permissions
                .split(',')
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(rename = "CustomField")]
pub struct CustomFieldView {
    pub id: i64,
    pub key: String,
    pub label: String,
    pub kind: FieldKind,
    /// The values a `choice` field allows.
    pub choices: Vec<String>,
}

/// What a custom field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Text,
    Number,
    Date,
    YesNo,
    Choice,
}

impl FieldKind {
    /// Reads a kind by its name (`yes_no`).
    pub fn parse(raw: &str) -> Result<Self, roster_domain::InvalidInput> {
        let kind = roster_domain::CustomFieldKind::parse(raw, &[String::new()])?;
        Ok(Self::of(&kind))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Number => "number",
            Self::Date => "date",
            Self::YesNo => "yes_no",
            Self::Choice => "choice",
        }
    }

    /// As people read it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Number => "number",
            Self::Date => "date",
            Self::YesNo => "yes or no",
            Self::Choice => "choice",
        }
    }

    pub(crate) fn of(kind: &roster_domain::CustomFieldKind) -> Self {
        use roster_domain::CustomFieldKind as K;
        match kind {
            K::Text => Self::Text,
            K::Number => Self::Number,
            K::Date => Self::Date,
            K::YesNo => Self::YesNo,
            K::Choice(_) => Self::Choice,
        }
    }
}

impl CustomFieldView {
    pub(crate) fn new(r: CustomFieldRecord) -> ServiceResult<Self> {
        let kind = roster_domain::CustomFieldKind::parse(&r.kind, &r.choices)?;
        Ok(Self {
            id: r.id,
            key: r.key,
            label: r.label,
            kind: FieldKind::of(&kind),
            choices: r.choices,
        })
    }
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(rename = "ContentItem")]
pub struct ContentItemView {
    pub id: i64,
    pub owner_member_id: i64,
    pub kind: String,
    pub external_ref: String,
    pub title: String,
    pub created_at: Timestamp,
}

impl From<ContentItemRecord> for ContentItemView {
    fn from(r: ContentItemRecord) -> Self {
        Self {
            id: r.id,
            owner_member_id: r.owner_member_id,
            kind: r.kind,
            external_ref: r.external_ref,
            title: r.title,
            created_at: Timestamp::from_millis(r.created_at),
        }
    }
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(rename = "SavedMapping")]
pub struct SavedMappingView {
    pub name: String,
    pub targets: Vec<crate::imports::SavedTarget>,
    pub created_by: String,
    pub created_at: Timestamp,
}

impl SavedMappingView {
    pub(crate) fn new(r: SavedMappingRecord) -> ServiceResult<Self> {
        Ok(Self {
            targets: serde_json::from_value(r.targets).map_err(|e| {
                crate::ServiceError::Internal(format!("the saved mapping {:?} is unreadable: {e}", r.name).into())
            })?,
            name: r.name,
            created_by: r.created_by,
            created_at: Timestamp::from_millis(r.created_at),
        })
    }
}
