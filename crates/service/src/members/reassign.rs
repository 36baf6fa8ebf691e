//! Reassigning a seat: an active member's seat goes to another person on the
//! list. Both are `reassign_pending` until that person accepts their
//! invitation (then the seat is theirs, and the first member keeps their
//! membership without a seat); cancelling, or the invitation expiring,
//! restores both.

use roster_domain::{now_millis, MemberStatus, StatusTransition};
use roster_store::{member_by_id, org_by_id, set_member_status, Conn};
use serde::Deserialize;
use serde_json::json;

use crate::invitations::{Letter, Sender, Target};
use crate::mail::templates::Design;
use crate::members::roles::Reach;
use crate::orgs::audit::record;
use crate::{Actor, Can, Invite, ManageMembers, Service, ServiceError, ServiceResult};

/// Whom a seat goes to.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReassignSeat {
    /// A member on the list who is not active yet (added or invitation expired).
    pub to_member_id: i64,
}

impl Service {
    /// Starts a reassignment of `from_id`'s seat: the other person is invited
    /// to take it. Returns the outbox message of their invitation.
    pub async fn reassign_seat(
        &self,
        can: Can<'_, ManageMembers>,
        invite: Can<'_, Invite>,
        from_id: i64,
        to: ReassignSeat,
    ) -> ServiceResult<i64> {
        let actor = can.actor();
        let _ = invite;
        let mut tx = self.store().begin().await?;
        let from = self.visible_member(&mut tx, actor, from_id).await?;
        let to_member = self.visible_member(&mut tx, actor, to.to_member_id).await?;
        self.check_rank(&mut tx, actor, &from, Reach::RoleOrSeat).await?;
        self.check_rank(&mut tx, actor, &to_member, Reach::RoleOrSeat).await?;
        let from_status = MemberStatus::parse(&from.status)?;
        let Some(seat) = from.seat_type.clone().filter(|_| from_status == MemberStatus::Active) else {
            return Err(ServiceError::conflict(
                "no_seat_to_reassign",
                None,
                "only an active member's seat can be reassigned",
            ));
        };
        let to_status = MemberStatus::parse(&to_member.status)?;
        if !matches!(to_status, MemberStatus::Added | MemberStatus::InvitationExpired) || from.id == to_member.id {
            return Err(ServiceError::conflict(
                "not_invitable",
                Some("to_member_id"),
                "the seat goes to another member on the list who is not invited or active yet",
            ));
        }
        let now = now_millis();
        let org = org_by_id(&mut tx, actor.org_id)
            .await?
            .ok_or(ServiceError::NotFound("organization"))?;
        // The person's own seat goes: they take this one when they accept.
        let mut fields = to_member.fields();
        fields.seat_type = None;
        roster_store::update_member(&mut tx, actor.org_id, to_member.id, &fields, now).await?;
        let reassigning = from_status.apply(StatusTransition::StartReassign)?;
        set_member_status(
            &mut tx,
            actor.org_id,
            from.id,
            Some(from_status.as_str()),
            reassigning.as_str(),
            &actor.label,
            now,
        )
        .await?;
        let sender = Sender::of(&mut tx, actor, &org).await?;
        let design = Design::of(&org);
        let sso_provider = self.required_sso_provider(&mut tx, org.id).await?;
        let letter = Letter {
            org: &org,
            design: &design,
            sender: &sender,
            subject: "",
            message: "",
            language: roster_domain::Language::parse(&org.language).unwrap_or_default(),
            reassign_from: Some(from.id),
            sso_provider,
        };
        let target = Target {
            role: to_member.role.clone(),
            seat_type: Some(seat.clone()),
            status: to_status,
            member: roster_store::MemberRecord {
                seat_type: None,
                ..to_member
            },
        };
        let message = self.send_invitation(&mut tx, actor, &target, &letter, now).await?;
        record(
            &mut tx,
            actor,
            "seat.reassign",
            "member",
            from.id,
            json!({"to_member": target.member.id, "seat_type": seat}),
        )
        .await?;
        tx.commit().await?;
        self.wake_mail();
        Ok(message)
    }

    /// Cancels the pending reassignment of `from_id`'s seat: the invitation
    /// dies, the other person returns to `added`, and the seat stays.
    pub async fn cancel_reassignment(&self, can: Can<'_, ManageMembers>, from_id: i64) -> ServiceResult<()> {
        let actor = can.actor();
        let mut tx = self.store().begin().await?;
        let from = self.visible_member(&mut tx, actor, from_id).await?;
        let Some(invitation) = roster_store::pending_reassignment_from(&mut tx, actor.org_id, from.id).await? else {
            return Err(ServiceError::conflict(
                "no_reassignment",
                None,
                "this member's seat is not being reassigned",
            ));
        };
        let now = now_millis();
        roster_store::end_pending_invitation(&mut tx, actor.org_id, invitation.member_id, "revoked", now).await?;
        if let Some(to) = member_by_id(&mut tx, actor.org_id, invitation.member_id).await? {
            let status = MemberStatus::parse(&to.status)?;
            if let Ok(back) = status.apply(StatusTransition::Revoke) {
                set_member_status(
                    &mut tx,
                    actor.org_id,
                    to.id,
                    Some(status.as_str()),
                    back.as_str(),
                    &actor.label,
                    now,
                )
                .await?;
            }
        }
        self.finish_reassignment(&mut tx, actor, from.id, false).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The member whose seat was being reassigned is active again: without
    /// the seat when the reassignment `completed`, with it when cancelled.
    pub(crate) async fn finish_reassignment(
        &self,
        conn: &mut Conn,
        actor: &Actor,
        from_id: i64,
        completed: bool,
    ) -> ServiceResult<()> {
        let Some(from) = member_by_id(conn, actor.org_id, from_id).await? else {
            return Ok(());
        };
        let status = MemberStatus::parse(&from.status)?;
        if status != MemberStatus::ReassignPending {
            return Ok(());
        }
        let now = now_millis();
        if completed {
            let mut fields = from.fields();
            fields.seat_type = None;
            roster_store::update_member(conn, actor.org_id, from.id, &fields, now).await?;
        }
        let to = status.apply(StatusTransition::CompleteReassign)?;
        set_member_status(
            conn,
            actor.org_id,
            from.id,
            Some(status.as_str()),
            to.as_str(),
            &actor.label,
            now,
        )
        .await?;
        let action = if completed {
            "seat.reassign.complete"
        } else {
            "seat.reassign.cancel"
        };
        record(
            conn,
            actor,
            action,
            "member",
            from.id,
            json!({"seat_type": from.seat_type}),
        )
        .await
    }
}
