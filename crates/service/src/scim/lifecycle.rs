//! Deactivation and reactivation: the directory's `active`. A deactivated
//! member cannot sign in (their sessions and API tokens end at once, a
//! pending invitation or seat reassignment is called off), frees their
//! seat, and keeps their profile, teams and content. Reactivation brings
//! back their role and, if one of its type is free, their seat.

use roster_domain::{MemberStatus, StatusTransition};
use roster_store::{end_pending_invitation, pending_reassignment_from, set_member_status, Conn, MemberRecord};
use serde_json::json;

use crate::orgs::audit::record;
use crate::{Actor, Service, ServiceResult};

impl Service {
    /// Deactivates a member on the caller's transaction.
    pub(crate) async fn deactivate_member(
        &self,
        conn: &mut Conn,
        actor: &Actor,
        member: &MemberRecord,
        now: i64,
    ) -> ServiceResult<()> {
        let from = MemberStatus::parse(&member.status)?;
        let to = from.apply(StatusTransition::Deactivate)?;
        // Whatever way in was pending closes: their own invitation, a seat
        // reassignment from them (the other person goes back on the list)
        // or to them (the seat stays with its holder).
        if let Some(invitation) = end_pending_invitation(conn, actor.org_id, member.id, "revoked", now).await? {
            if let Some(from_id) = invitation.reassign_from {
                self.finish_reassignment(conn, actor, from_id, false).await?;
            }
        }
        if let Some(reassignment) = pending_reassignment_from(conn, actor.org_id, member.id).await? {
            end_pending_invitation(conn, actor.org_id, reassignment.member_id, "revoked", now).await?;
            if let Some(to_member) = roster_store::member_by_id(conn, actor.org_id, reassignment.member_id).await? {
                let status = MemberStatus::parse(&to_member.status)?;
                if let Ok(back) = status.apply(StatusTransition::Revoke) {
                    set_member_status(
                        conn,
                        actor.org_id,
                        to_member.id,
                        Some(status.as_str()),
                        back.as_str(),
                        &actor.label,
                        now,
                    )
                    .await?;
                }
            }
        }
        set_member_status(
            conn,
            actor.org_id,
            member.id,
            Some(from.as_str()),
            to.as_str(),
            &actor.label,
            now,
        )
        .await?;
        if let Some(account) = member.account_id {
            roster_store::delete_sessions_of_account(conn, account).await?;
        }
        let tokens = roster_store::revoke_member_tokens(conn, actor.org_id, member.id, now).await?;
        record(
            conn,
            actor,
            "member.deactivate",
            "member",
            member.id,
            json!({"from": from.as_str(), "api_tokens_revoked": tokens, "seat_freed": member.seat_type.as_ref().filter(|_| from.uses_seat())}),
        )
        .await
    }

    /// Reactivates a member on the caller's transaction: active again if
    /// they have an account, else back on the list. Returns why their seat
    /// did not come back with them, if it did not.
    pub(crate) async fn reactivate_member(
        &self,
        conn: &mut Conn,
        actor: &Actor,
        member: &MemberRecord,
        now: i64,
    ) -> ServiceResult<Option<String>> {
        let from = MemberStatus::parse(&member.status)?;
        let to = from.apply(StatusTransition::Reactivate {
            has_account: member.account_id.is_some(),
        })?;
        let mut notice = None;
        if let (true, Some(seat)) = (to.uses_seat(), &member.seat_type) {
            if let Err(crate::ServiceError::SeatShortfall { .. }) = self.ensure_seats(conn, actor.org_id, seat, 1).await
            {
                let mut fields = member.fields();
                fields.seat_type = None;
                roster_store::update_member(conn, actor.org_id, member.id, &fields, now).await?;
                notice = Some(format!(
                    "reactivated without a seat: no {seat} seat is free; give them one when one is"
                ));
            }
        }
        set_member_status(
            conn,
            actor.org_id,
            member.id,
            Some(from.as_str()),
            to.as_str(),
            &actor.label,
            now,
        )
        .await?;
        record(
            conn,
            actor,
            "member.reactivate",
            "member",
            member.id,
            json!({"to": to.as_str(), "seat": member.seat_type, "seat_restored": notice.is_none(), "notice": notice}),
        )
        .await?;
        Ok(notice)
    }
}
