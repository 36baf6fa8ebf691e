use std::fmt;

/// Where a membership stands. Changes go through [`MemberStatus::apply`],
/// one arm per allowed transition; everything else is a [`TransitionError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MemberStatus {
    /// On the list, not invited ("send later" and every import).
    Added,
    Invited,
    Active,
    InvitationExpired,
    /// The seat goes to another person; nobody uses it until they accept.
    ReassignPending,
    /// Gone; their content stays in the organization.
    Removed,
    /// The directory says the person left or is suspended: no sign-in, no
    /// seat; profile, teams and content kept until reactivation.
    Deactivated,
}

/// Something that happens to a membership.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusTransition {
    Invite,
    /// The invitation is revoked: back to the list, not invited.
    Revoke,
    Accept,
    Expire,
    StartReassign,
    CompleteReassign,
    Remove,
    /// Re-adding a removed member (same e-mail) restores the membership.
    Restore,
    /// The identity provider deactivates the person (SCIM `active: false`).
    Deactivate,
    /// The identity provider activates them again: back to active when
    /// they have an account (they had signed in), else back on the list.
    Reactivate {
        has_account: bool,
    },
    /// The person signs in through the organization's identity provider:
    /// that accepts the membership, invited or not.
    SignInWithProvider,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransitionError {
    pub from: MemberStatus,
    pub transition: StatusTransition,
}

impl fmt::Display for TransitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a member who is {} cannot be {:?}",
            self.from.as_str(),
            self.transition
        )
    }
}

impl std::error::Error for TransitionError {}

impl MemberStatus {
    pub const ALL: [MemberStatus; 7] = [
        Self::Added,
        Self::Invited,
        Self::Active,
        Self::InvitationExpired,
        Self::ReassignPending,
        Self::Removed,
        Self::Deactivated,
    ];

    pub fn apply(self, transition: StatusTransition) -> Result<MemberStatus, TransitionError> {
        use MemberStatus::*;
        use StatusTransition::*;
        match (self, transition) {
            (Added | Invited | InvitationExpired, Invite) => Ok(Invited),
            (Invited | InvitationExpired, Revoke) => Ok(Added),
            // The person a seat is reassigned to accepts like any invitee.
            (Invited | ReassignPending, Accept) => Ok(Active),
            (Invited, Expire) => Ok(InvitationExpired),
            (Active, StartReassign) => Ok(ReassignPending),
            // The member whose seat was reassigned: done, or cancelled.
            (ReassignPending, CompleteReassign) => Ok(Active),
            // The person it was reassigned to, when it is cancelled.
            (ReassignPending, Revoke) => Ok(Added),
            (Added | Invited | Active | InvitationExpired | ReassignPending | Deactivated, Remove) => Ok(Removed),
            (Removed, Restore) => Ok(Added),
            (Added | Invited | Active | InvitationExpired | ReassignPending, Deactivate) => Ok(Deactivated),
            (Deactivated, Reactivate { has_account: true }) => Ok(Active),
            (Deactivated, Reactivate { has_account: false }) => Ok(Added),
            (Added | Invited | InvitationExpired, SignInWithProvider) => Ok(Active),
            (from, transition) => Err(TransitionError { from, transition }),
        }
    }

    /// Whether the membership acts: signs in, its tokens work, its jobs
    /// run. A removed or deactivated member does none of these.
    pub fn acts(self) -> bool {
        !matches!(self, Self::Removed | Self::Deactivated)
    }

    /// Whether a member in this status holds a seat of their seat type.
    pub fn uses_seat(self) -> bool {
        matches!(self, Self::Invited | Self::Active | Self::ReassignPending)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Added => "added",
            Self::Invited => "invited",
            Self::Active => "active",
            Self::InvitationExpired => "invitation_expired",
            Self::ReassignPending => "reassign_pending",
            Self::Removed => "removed",
            Self::Deactivated => "deactivated",
        }
    }

    /// How people read it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Added => "Added",
            Self::Invited => "Invited",
            Self::Active => "Active",
            Self::InvitationExpired => "Invitation expired",
            Self::ReassignPending => "Reassign pending",
            Self::Removed => "Removed",
            Self::Deactivated => "Deactivated",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, crate::InvalidInput> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw.trim()).ok_or_else(|| {
            crate::InvalidInput::new(
                "status",
                "invalid_status",
                "must be added, invited, active, invitation_expired, reassign_pending, removed or deactivated",
            )
        })
    }
}

text_value!(MemberStatus, as_str);

#[cfg(test)]
mod tests {
    use super::MemberStatus::*;
    use super::StatusTransition::*;
    use super::*;

    #[test]
    fn the_invitation_path_leads_to_active() {
        let s = Added.apply(Invite).unwrap().apply(Accept).unwrap();
        assert_eq!(s, Active);
    }

    #[test]
    fn an_expired_invitation_can_be_resent() {
        assert_eq!(Invited.apply(Expire).unwrap().apply(Invite).unwrap(), Invited);
    }

    #[test]
    fn a_revoked_invitation_returns_the_member_to_added() {
        assert_eq!(Invited.apply(Revoke).unwrap(), Added);
        assert_eq!(InvitationExpired.apply(Revoke).unwrap(), Added);
        assert!(Active.apply(Revoke).is_err());
    }

    #[test]
    fn impossible_transitions_are_errors() {
        assert!(Added.apply(Accept).is_err());
        assert!(Removed.apply(Invite).is_err());
        assert!(Active.apply(Invite).is_err());
        assert!(Removed.apply(Remove).is_err());
        assert!(Active.apply(Restore).is_err());
    }

    #[test]
    fn only_invited_active_and_reassigning_members_use_seats() {
        let using: Vec<_> = MemberStatus::ALL.into_iter().filter(|s| s.uses_seat()).collect();
        assert_eq!(using, vec![Invited, Active, ReassignPending]);
    }

    #[test]
    fn deactivation_keeps_the_membership_and_reactivation_restores_it() {
        for from in [Added, Invited, Active, InvitationExpired, ReassignPending] {
            assert_eq!(from.apply(Deactivate).unwrap(), Deactivated);
        }
        assert!(Removed.apply(Deactivate).is_err());
        assert!(Deactivated.apply(Deactivate).is_err());
        assert_eq!(Deactivated.apply(Reactivate { has_account: true }).unwrap(), Active);
        assert_eq!(Deactivated.apply(Reactivate { has_account: false }).unwrap(), Added);
        assert_eq!(Deactivated.apply(Remove).unwrap(), Removed);
        assert!(!Deactivated.uses_seat());
        assert!(Deactivated.apply(Invite).is_err());
    }

    #[test]
    fn statuses_round_trip() {
        for s in MemberStatus::ALL {
            assert_eq!(MemberStatus::parse(s.as_str()).unwrap(), s);
        }
    }
}
