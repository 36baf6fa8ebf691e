//! Members as the service shows them.

use roster_domain::{MemberStatus, Permission, Role, SeatType, TeamRole, Timestamp};
use roster_store::{ContentItemRecord, MemberRecord, MemberTeam, StatusChange};
use serde::Serialize;

use super::{ContentItemView, Vocabulary};
use crate::{Actor, ServiceError, ServiceResult};

/// A member, with what the viewer may do to them.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(rename = "Member")]
pub struct MemberView {
    pub id: i64,
    /// The account that accepted the invitation, once one has.
    pub account_id: Option<i64>,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub personal_id: String,
    pub comment: String,
    pub phone: String,
    pub location: String,
    pub skills: String,
    pub department: String,
    pub role: Role,
    /// The role as people read it (a custom role by its name).
    pub role_label: String,
    pub seat_type: Option<SeatType>,
    pub seat_label: Option<String>,
    pub status: MemberStatus,
    pub status_label: String,
    /// A member of another company: exports never show their e-mail or department.
    pub external: bool,
    pub custom_fields: serde_json::Map<String, serde_json::Value>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub removed_at: Option<Timestamp>,
    /// When the pending invitation's link stops working (invited members).
    pub invitation_expires_at: Option<Timestamp>,
    /// The identity provider's link, for a member it provisioned (SCIM).
    pub directory: Option<DirectoryLink>,
    /// What the viewer may do to this member.
    pub may: MemberActions,
}

/// How the identity provider knows a member it provisioned.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct DirectoryLink {
    /// The member's name at the identity provider (SCIM `userName`).
    pub user_name: String,
    /// The identity provider's id of the member (SCIM `externalId`).
    pub external_id: Option<String>,
    /// The fields the identity provider owns, which are not changed by hand
    /// while the organization's members are managed by it (empty otherwise).
    pub managed_fields: Vec<String>,
}

/// What the identity provider owns of a member it provisioned, while the
/// organization's members are managed by it.
pub const DIRECTORY_FIELDS: [&str; 6] = ["first_name", "last_name", "email", "personal_id", "phone", "department"];

/// What a viewer may do to a member: the rule of ranks and their
/// permissions, decided here so that no page decides by a role's name.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct MemberActions {
    /// Change their profile (names, e-mail, fields).
    pub edit: bool,
    pub change_role: bool,
    pub change_seat: bool,
    pub remove: bool,
    /// Send (or resend) their invitation.
    pub invite: bool,
    /// Revoke their pending or expired invitation.
    pub revoke_invitation: bool,
    /// Give their seat to another person.
    pub reassign_seat: bool,
    /// Cancel the pending reassignment of their seat.
    pub cancel_reassignment: bool,
}

impl MemberView {
    pub(crate) fn new(record: MemberRecord, words: &Vocabulary, viewer: &Actor) -> ServiceResult<Self> {
        let role = Role::parse(&record.role)?;
        let status = MemberStatus::parse(&record.status)?;
        let seat_type = record.seat_type.as_deref().map(SeatType::parse).transpose()?;
        let may = actions(&role, status, seat_type.is_some(), record.id, words, viewer);
        let custom_fields = match record.custom_fields {
            serde_json::Value::Object(map) => map,
            _ => {
                return Err(ServiceError::Internal(
                    "a member's custom fields are not an object".into(),
                ))
            }
        };
        Ok(Self {
            id: record.id,
            account_id: record.account_id,
            first_name: record.first_name,
            last_name: record.last_name,
            email: record.email,
            personal_id: record.personal_id,
            comment: record.comment,
            phone: record.phone,
            location: record.location,
            skills: record.skills,
            department: record.department,
            role_label: words.role_label(&role),
            role,
            seat_label: seat_type.map(|s| words.seat_label(s)),
            seat_type,
            status_label: status.label().to_owned(),
            status,
            external: record.external,
            custom_fields,
            created_at: Timestamp::from_millis(record.created_at),
            updated_at: Timestamp::from_millis(record.updated_at),
            removed_at: record.removed_at.map(Timestamp::from_millis),
            invitation_expires_at: None,
            directory: None,
            may,
        })
    }

    pub fn name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name).trim().to_owned()
    }

    /// Whether the identity provider owns this field of the member now.
    pub fn directory_owns(&self, field: &str) -> bool {
        self.directory
            .as_ref()
            .is_some_and(|d| d.managed_fields.iter().any(|f| f == field))
    }

    /// A custom field's value as text (empty when not set).
    pub fn custom_field(&self, key: &str) -> String {
        match self.custom_fields.get(key) {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        }
    }
}

fn actions(
    role: &Role,
    status: MemberStatus,
    has_seat: bool,
    id: i64,
    words: &Vocabulary,
    viewer: &Actor,
) -> MemberActions {
    if status == MemberStatus::Removed || !viewer.permissions.contains(Permission::ManageMembers) {
        return MemberActions::default();
    }
    let above = viewer.outranks(role, &words.permissions(role));
    let inviter = viewer.permissions.contains(Permission::Invite);
    use MemberStatus::*;
    MemberActions {
        edit: above || viewer.member_id == Some(id),
        change_role: above,
        change_seat: above,
        remove: above,
        invite: inviter && matches!(status, Added | Invited | InvitationExpired),
        revoke_invitation: inviter && matches!(status, Invited | InvitationExpired),
        reassign_seat: inviter && above && status == Active && has_seat,
        cancel_reassignment: inviter && above && status == ReassignPending,
    }
}

/// A page of the member list.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct MemberPage {
    pub items: Vec<MemberView>,
    pub next_cursor: Option<String>,
}

/// A member with everything their page shows.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct MemberDetail {
    #[serde(flatten)]
    pub member: MemberView,
    /// The connected account's own name, which may differ from the profile.
    pub account_name: Option<String>,
    pub teams: Vec<MemberTeamView>,
    pub status_history: Vec<StatusChangeView>,
    pub content_items: Vec<ContentItemView>,
    /// Their invitations, newest first, each with its messages' delivery.
    pub invitations: Vec<super::InvitationView>,
}

impl MemberDetail {
    pub(crate) fn new(
        member: MemberView,
        account_name: Option<String>,
        teams: Vec<MemberTeam>,
        history: Vec<StatusChange>,
        content: Vec<ContentItemRecord>,
    ) -> ServiceResult<Self> {
        Ok(Self {
            member,
            account_name,
            teams: teams
                .into_iter()
                .map(MemberTeamView::new)
                .collect::<ServiceResult<_>>()?,
            status_history: history
                .into_iter()
                .map(StatusChangeView::new)
                .collect::<ServiceResult<_>>()?,
            content_items: content.into_iter().map(ContentItemView::from).collect(),
            invitations: Vec::new(),
        })
    }

    /// The connected account's name, when it is not the profile's.
    pub fn account_name_differs(&self) -> bool {
        self.account_name.as_ref().is_some_and(|n| *n != self.member.name())
    }
}

/// A member's place in one team.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(rename = "MemberTeam")]
pub struct MemberTeamView {
    pub team_id: i64,
    pub name: String,
    pub team_role: TeamRole,
    pub core_member: bool,
}

impl MemberTeamView {
    fn new(r: MemberTeam) -> ServiceResult<Self> {
        Ok(Self {
            team_id: r.team_id,
            name: r.name,
            team_role: TeamRole::parse(&r.team_role)?,
            core_member: r.core_member,
        })
    }
}

/// One change of a member's status.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(rename = "StatusChange")]
pub struct StatusChangeView {
    pub from_status: Option<MemberStatus>,
    pub to_status: MemberStatus,
    pub from_label: Option<String>,
    pub to_label: String,
    pub actor: String,
    pub at: Timestamp,
}

impl StatusChangeView {
    fn new(r: StatusChange) -> ServiceResult<Self> {
        let from = r.from_status.as_deref().map(MemberStatus::parse).transpose()?;
        let to = MemberStatus::parse(&r.to_status)?;
        Ok(Self {
            from_label: from.map(|s| s.label().to_owned()),
            from_status: from,
            to_label: to.label().to_owned(),
            to_status: to,
            actor: r.actor,
            at: Timestamp::from_millis(r.at),
        })
    }
}
