//! One change for many members at once: the member list's bulk actions, the
//! API's `members/bulk` and `roster members bulk`. Every member is changed in
//! a transaction of its own, by the same rules as a change of one member, so
//! one refusal (a higher rank, no seats left) never stops the others, and the
//! answer says for every member what happened.

use serde::{Deserialize, Serialize};

use crate::{
    Actor, Can, ManageMembers, ManageTeams, MemberInput, RemoveMember, Service, ServiceError, ServiceResult,
    TeamMemberInput,
};

/// At most this many members per bulk change: a larger selection is a job
/// for an import.
pub const BULK_MAX_MEMBERS: usize = 1000;

/// What to do with every selected member.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum BulkChange {
    /// Give them this role (`reader`, `custom:auditor`, …).
    SetRole {
        #[schemars(regex(pattern = roster_domain::schema::ROLE))]
        role: String,
    },
    /// Give them this seat type; an empty one takes their seat away.
    SetSeat {
        #[schemars(regex(pattern = roster_domain::schema::SEAT_OR_NONE))]
        seat_type: String,
    },
    /// Add them to this team as plain members.
    AddToTeam { team_id: i64 },
    /// Remove them; their content stays with their removed memberships.
    Remove,
}

/// The members to change and the change.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkRequest {
    /// The members, by id (the same one twice counts once).
    #[schemars(length(min = 1, max = 1000))]
    pub member_ids: Vec<i64>,
    pub change: BulkChange,
}

/// What a bulk change did, member by member.
#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
pub struct BulkOutcome {
    /// Members changed, in the order asked.
    pub changed: Vec<i64>,
    /// Members not changed, each with why.
    pub refused: Vec<BulkRefusal>,
    /// Members not tried because the service stopped (the database went
    /// away): nothing was done to them; ask again for these.
    pub not_attempted: Vec<i64>,
    /// Why the service stopped, when it did.
    pub stopped: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct BulkRefusal {
    pub member_id: i64,
    /// The error's code, as the API would answer for this member alone.
    pub code: String,
    pub message: String,
}

impl BulkOutcome {
    /// "Done for 3 of 4 selected members", for a notice.
    pub fn summary(&self) -> String {
        let asked = self.changed.len() + self.refused.len() + self.not_attempted.len();
        format!("Done for {} of {asked} selected members.", self.changed.len())
    }
}

/// The capability the change needs, checked once for all members.
enum Allowed<'a> {
    Members(Can<'a, ManageMembers>),
    Teams(Can<'a, ManageTeams>),
}

impl Service {
    #[tracing::instrument(skip_all, fields(org = actor.org_id, members = request.member_ids.len()))]
    pub async fn bulk_change_members(&self, actor: &Actor, request: BulkRequest) -> ServiceResult<BulkOutcome> {
        let mut ids = request.member_ids;
        // The same member twice is one change; the order asked is kept.
        let mut seen = std::collections::HashSet::new();
        ids.retain(|id| seen.insert(*id));
        if ids.is_empty() {
            return Err(
                roster_domain::InvalidInput::new("member_ids", "required", "select at least one member").into(),
            );
        }
        if ids.len() > BULK_MAX_MEMBERS {
            return Err(roster_domain::InvalidInput::new(
                "member_ids",
                "too_many",
                format!(
                    "at most {BULK_MAX_MEMBERS} members at once ({} selected); use an import for more",
                    ids.len()
                ),
            )
            .into());
        }
        let allowed = match request.change {
            BulkChange::AddToTeam { team_id } => {
                let can = self.authorize(actor).await?;
                // An unknown team is one mistake, not one per member.
                let mut conn = self.store().conn().await?;
                self.visible_team(&mut conn, actor, team_id)
                    .await
                    .map_err(crate::teams::unknown_team("change.team_id"))?;
                Allowed::Teams(can)
            }
            _ => Allowed::Members(self.authorize(actor).await?),
        };
        let mut outcome = BulkOutcome::default();
        for (at, id) in ids.iter().enumerate() {
            match self.change_one(&allowed, *id, &request.change).await {
                Ok(()) => outcome.changed.push(*id),
                Err(e) if stops_the_batch(&e) => {
                    outcome.stopped = Some(e.to_string());
                    outcome.not_attempted = ids[at..].to_vec();
                    break;
                }
                Err(e) => outcome.refused.push(BulkRefusal {
                    member_id: *id,
                    code: e.code().to_owned(),
                    message: e.to_string(),
                }),
            }
        }
        Ok(outcome)
    }

    async fn change_one(&self, allowed: &Allowed<'_>, id: i64, change: &BulkChange) -> ServiceResult<()> {
        match (allowed, change) {
            (Allowed::Members(can), BulkChange::SetRole { role }) => {
                let input = MemberInput {
                    role: Some(role.clone()),
                    ..MemberInput::default()
                };
                self.update_member(*can, id, input).await.map(drop)
            }
            (Allowed::Members(can), BulkChange::SetSeat { seat_type }) => {
                let input = MemberInput {
                    seat_type: Some(seat_type.clone()),
                    ..MemberInput::default()
                };
                self.update_member(*can, id, input).await.map(drop)
            }
            (Allowed::Members(can), BulkChange::Remove) => {
                self.remove_member(*can, id, RemoveMember::default()).await.map(drop)
            }
            (Allowed::Teams(can), BulkChange::AddToTeam { team_id }) => {
                let input = TeamMemberInput {
                    member_id: id,
                    team_role: None,
                    core_member: None,
                };
                self.add_team_member(*can, *team_id, input).await.map(drop)
            }
            _ => Err(ServiceError::Internal(
                "a bulk change was checked for another permission".into(),
            )),
        }
    }
}

/// Errors about the service, not the member: going on would only fail again.
fn stops_the_batch(e: &ServiceError) -> bool {
    matches!(
        e,
        ServiceError::Internal(_) | ServiceError::Busy | ServiceError::Overloaded(_)
    )
}
