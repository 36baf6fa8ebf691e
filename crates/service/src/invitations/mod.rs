//! Invitations: sending them (one member, many, a filter's or an import's),
//! resending, revoking, expiring, and the member's side — following the
//! link to become active.
//!
//! An invitation is one link; a member has at most one pending. Sending
//! replaces the pending one (its link dies), revoking ends it and returns
//! the member to `added`. Links are 256 random bits, stored as SHA-256,
//! and always built from the configured base URL.

pub(crate) mod status;

use std::collections::BTreeMap;

use roster_domain::{now_millis, Email, Language, MemberStatus, Role, SeatType, StatusTransition};
use roster_store::{
    end_pending_invitation, insert_invitation, member_by_id, org_by_id, release_held_messages, set_member_status, Conn,
    MemberRecord, NewInvitationRow, OrgRecord,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::mail::templates::{self, Design, InvitationText};
use crate::mail::{queue_message, Outgoing};
use crate::orgs::audit::record;
use crate::{
    new_secret, sha256_hex, Actor, Can, Invite, ManageMembers, MemberListQuery, ReadMembers, Service, ServiceError,
    ServiceResult,
};

/// Members one request may invite (a filter or an import beyond it is refused).
pub const MAX_INVITATIONS: usize = 100_000;

/// Invitations written per transaction of a large request: small enough that
/// the first messages leave well within a second of the request, and that
/// SQLite's one writer is free between chunks for everyone else.
const INVITATIONS_PER_COMMIT: usize = 200;

/// A large request that stopped part of the way (a seat taken or the
/// database failing after earlier chunks were sent): the members not reached
/// are listed as skipped, with why; those before them stay invited.
fn stop<'a>(outcome: &mut InvitationOutcome, rest: impl Iterator<Item = &'a Target>, error: &ServiceError) {
    tracing::warn!(%error, "a large invitation request stopped part of the way");
    let reason = format!("not invited: the request stopped before them ({error}); invite them again");
    outcome.skipped.extend(rest.map(|t| InvitationSkip {
        member_id: Some(t.member.id),
        email: t.member.email.clone(),
        reason: reason.clone(),
    }));
}

/// Who to invite.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Invitees {
    /// Members by id.
    Ids(#[schemars(length(min = 1, max = 100000))] Vec<i64>),
    /// Members by e-mail address.
    Emails(#[schemars(length(min = 1, max = 100000))] Vec<String>),
    /// Every member matching the members list's filter (`cursor`, `sort`
    /// and `limit` are ignored).
    Filter(MemberListQuery),
    /// Every member an import added.
    Import(i64),
}

/// Send now, or keep the members `added` to invite later.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SendWhen {
    #[default]
    Now,
    Later,
}

/// An invitation request, on every door.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InvitationRequest {
    pub members: Invitees,
    #[serde(default)]
    pub send: SendWhen,
    /// The role they get (default: the one they have).
    pub role: Option<Role>,
    /// The seat type they get (default: the one they have).
    pub seat_type: Option<SeatType>,
    /// The subject of the mail (default: "<you> invites you to <organization>").
    #[schemars(regex(pattern = roster_domain::schema::SINGLE_LINE), length(max = 200))]
    pub subject: Option<String>,
    /// A message of your own, shown in the invitation.
    #[schemars(regex(pattern = roster_domain::schema::FREE_TEXT), length(max = 5000))]
    pub message: Option<String>,
    /// The language of the mail (default: the organization's).
    pub language: Option<Language>,
}

impl InvitationRequest {
    pub fn new(members: Invitees) -> Self {
        Self {
            members,
            send: SendWhen::Now,
            role: None,
            seat_type: None,
            subject: None,
            message: None,
            language: None,
        }
    }
}

/// A member an invitation request left out, and why.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct InvitationSkip {
    pub member_id: Option<i64>,
    pub email: String,
    pub reason: String,
}

/// What an invitation request did.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct InvitationOutcome {
    /// Members now invited, with a fresh link each.
    pub invited: Vec<i64>,
    /// Members kept `added` to invite later (`send: later`).
    pub kept: Vec<i64>,
    pub skipped: Vec<InvitationSkip>,
    /// The first outbox message this request wrote (its delivery can be followed from there).
    pub first_message_id: Option<i64>,
}

/// A member to invite, with what the request gives them.
pub(crate) struct Target {
    pub member: MemberRecord,
    pub status: MemberStatus,
    pub role: String,
    pub seat_type: Option<String>,
}

impl Service {
    /// Invites members now, or keeps them `added` for later. Seats are
    /// checked per seat type before anything is sent: a shortfall is named
    /// and nothing changes. Up to `INVITATIONS_PER_COMMIT` members are one
    /// transaction (every invitation and its message, or none); a larger
    /// request commits in chunks of that size, each checked again, and says
    /// which members it did not reach if it stops part of the way.
    #[tracing::instrument(skip_all, fields(org = can.actor().org_id, request_id = %can.actor().context.request_id))]
    pub async fn invite(&self, can: Can<'_, Invite>, request: InvitationRequest) -> ServiceResult<InvitationOutcome> {
        let actor = can.actor();
        let subject = request
            .subject
            .as_deref()
            .map(|s| roster_domain::SingleLine::parse("subject", s, 200))
            .transpose()?
            .map(|s| s.into_string())
            .unwrap_or_default();
        let message = request
            .message
            .as_deref()
            .map(|s| roster_domain::FreeText::parse("message", s, 5000))
            .transpose()?
            .map(|s| s.into_string())
            .unwrap_or_default();
        // Changing role or seat on the way is managing members.
        let manage = if request.role.is_some() || request.seat_type.is_some() {
            Some(self.authorize::<ManageMembers>(actor).await?)
        } else {
            None
        };
        let ids = self.invitee_ids(actor, &request.members).await?;
        let mut tx = self.store().begin().await?;
        let org = org_by_id(&mut tx, actor.org_id)
            .await?
            .ok_or(ServiceError::NotFound("organization"))?;
        if let (Some(role), Some(_)) = (&request.role, manage) {
            self.check_grant(&mut tx, actor, role).await?;
        }
        let (targets, mut skipped) = self.invitation_targets(&mut tx, actor, &ids, &request).await?;
        skipped.extend(ids.unknown);
        if targets.is_empty() {
            if let Some(first) = skipped.first() {
                return Err(ServiceError::conflict(
                    "not_invitable",
                    Some("members"),
                    format!("nobody to invite: {} ({})", first.reason, first.email),
                ));
            }
        }
        self.check_invitation_seats(&mut tx, actor.org_id, &targets).await?;
        let sender = Sender::of(&mut tx, actor, &org).await?;
        let language = request
            .language
            .unwrap_or_else(|| Language::parse(&org.language).unwrap_or_default());
        let now = now_millis();
        let mut outcome = InvitationOutcome {
            invited: Vec::new(),
            kept: Vec::new(),
            skipped,
            first_message_id: None,
        };
        let design = Design::of(&org);
        let sso_provider = self.required_sso_provider(&mut tx, org.id).await?;
        let letter = Letter {
            org: &org,
            design: &design,
            sender: &sender,
            subject: &subject,
            message: &message,
            language,
            reassign_from: None,
            sso_provider,
        };
        // Thousands of invitations touch every index of five tables: give
        // each transaction the page cache a bulk write gets (SQLite).
        let bulk = targets.len() > 500;
        let mut chunks = targets.chunks(INVITATIONS_PER_COMMIT);
        // The first chunk is written beside the checks above; each further one
        // in its own transaction, checked again (a member removed or a seat
        // taken meanwhile is skipped, with why), so that the first messages
        // leave while the rest are written and other writers get their turn.
        let mut first_tx = Some(tx);
        while let Some(chunk) = chunks.next() {
            let first = first_tx.is_some();
            let written = async {
                let mut tx = match first_tx.take() {
                    Some(tx) => tx,
                    None => self.store().begin().await?,
                };
                let done = self
                    .write_invitations(&mut tx, actor, chunk, first, bulk, &request, &letter, now)
                    .await;
                match done {
                    Ok(done) => {
                        tx.commit().await?;
                        Ok(done)
                    }
                    Err(error) => {
                        tx.rollback().await?;
                        Err(error)
                    }
                }
            }
            .await;
            match written {
                Ok(done) => {
                    outcome.first_message_id = outcome.first_message_id.or(done.first_message_id);
                    outcome.invited.extend(done.invited);
                    outcome.kept.extend(done.kept);
                    outcome.skipped.extend(done.skipped);
                    self.wake_mail();
                }
                // Nothing was written: the request fails as a whole.
                Err(error) if first => return Err(error),
                Err(error) => {
                    stop(&mut outcome, chunk.iter().chain(chunks.flatten()), &error);
                    break;
                }
            }
        }
        Ok(outcome)
    }

    /// One transaction's part of an invitation request; a chunk after the
    /// first is checked again (still invitable, seats still free).
    #[allow(clippy::too_many_arguments)]
    async fn write_invitations(
        &self,
        tx: &mut Conn,
        actor: &Actor,
        chunk: &[Target],
        checked: bool,
        bulk: bool,
        request: &InvitationRequest,
        letter: &Letter<'_>,
        now: i64,
    ) -> ServiceResult<InvitationOutcome> {
        let mut done = InvitationOutcome {
            invited: Vec::new(),
            kept: Vec::new(),
            skipped: Vec::new(),
            first_message_id: None,
        };
        let rechecked;
        let targets = if checked {
            chunk
        } else {
            let (targets, skipped) = self.recheck_targets(tx, actor, chunk, request).await?;
            done.skipped = skipped;
            rechecked = targets;
            &rechecked[..]
        };
        if bulk {
            roster_store::bulk::begin_bulk_write(tx, 64).await?;
        }
        for target in targets {
            self.apply_role_and_seat(tx, actor, target).await?;
            if request.send == SendWhen::Later {
                done.kept.push(target.member.id);
                continue;
            }
            let message_id = self.send_invitation(tx, actor, target, letter, now).await?;
            done.first_message_id.get_or_insert(message_id);
            done.invited.push(target.member.id);
        }
        if bulk {
            roster_store::bulk::end_bulk_write(tx).await?;
        }
        Ok(done)
    }

    /// A further chunk of a large request, checked again in its own
    /// transaction: still invitable, and the seats still free.
    async fn recheck_targets(
        &self,
        conn: &mut Conn,
        actor: &Actor,
        chunk: &[Target],
        request: &InvitationRequest,
    ) -> ServiceResult<(Vec<Target>, Vec<InvitationSkip>)> {
        let ids = InviteeIds {
            found: chunk.iter().map(|t| t.member.id).collect(),
            unknown: Vec::new(),
        };
        let (targets, skipped) = self.invitation_targets(conn, actor, &ids, request).await?;
        self.check_invitation_seats(conn, actor.org_id, &targets).await?;
        Ok((targets, skipped))
    }

    /// Resends the invitations of these members (a fresh link and lifetime;
    /// the old link dies): every `invitation_expired` one by default.
    pub async fn resend_invitations(
        &self,
        can: Can<'_, Invite>,
        members: Invitees,
    ) -> ServiceResult<InvitationOutcome> {
        self.invite(can, InvitationRequest::new(members)).await
    }

    /// Revokes the pending invitations of these members: their links die and
    /// they return to `added`. Returns the members whose invitation ended.
    pub async fn revoke_invitations(&self, can: Can<'_, Invite>, members: Invitees) -> ServiceResult<Vec<i64>> {
        let actor = can.actor();
        let ids = self.invitee_ids(actor, &members).await?;
        let mut tx = self.store().begin().await?;
        let mut revoked = Vec::new();
        let now = now_millis();
        for id in ids.found {
            let member = self.visible_member(&mut tx, actor, id).await?;
            let status = MemberStatus::parse(&member.status)?;
            if !matches!(status, MemberStatus::Invited | MemberStatus::InvitationExpired) {
                continue;
            }
            let ended = end_pending_invitation(&mut tx, actor.org_id, id, "revoked", now).await?;
            let to = status.apply(StatusTransition::Revoke)?;
            set_member_status(
                &mut tx,
                actor.org_id,
                id,
                Some(status.as_str()),
                to.as_str(),
                &actor.label,
                now,
            )
            .await?;
            record(
                &mut tx,
                actor,
                "invitation.revoke",
                "member",
                id,
                json!({"invitation": ended.map(|i| i.id), "email": member.email}),
            )
            .await?;
            revoked.push(id);
        }
        if revoked.is_empty() {
            return Err(ServiceError::conflict(
                "not_invited",
                Some("members"),
                "none of these members has an invitation to revoke",
            ));
        }
        tx.commit().await?;
        Ok(revoked)
    }

    /// Writes one member's invitation and its message, ending the pending one.
    pub(crate) async fn send_invitation(
        &self,
        conn: &mut Conn,
        actor: &Actor,
        target: &Target,
        letter: &Letter<'_>,
        now: i64,
    ) -> ServiceResult<i64> {
        let member = &target.member;
        // Only an invited member (or one whose seat reassignment is pending) has a pending link.
        let replaced = if matches!(target.status, MemberStatus::Invited | MemberStatus::ReassignPending) {
            end_pending_invitation(conn, actor.org_id, member.id, "replaced", now).await?
        } else {
            None
        };
        let token = new_secret("");
        let expires_at = now + letter.org.invitation_lifetime_days * 86_400_000;
        let invitation_id = insert_invitation(
            conn,
            &NewInvitationRow {
                org_id: actor.org_id,
                member_id: member.id,
                token_hash: &sha256_hex(&token),
                role: &target.role,
                seat_type: target.seat_type.as_deref(),
                sender_name: &letter.sender.name,
                sender_email: &letter.sender.email,
                subject: letter.subject,
                body: letter.message,
                language: letter.language.as_str(),
                created_by: &actor.label,
                expires_at,
                reassign_from: letter.reassign_from,
            },
            now,
        )
        .await?;
        let link = self.mail_config().link(&format!("/invite/{token}"));
        let rendered = templates::invitation(
            letter.design,
            letter.language,
            &InvitationText {
                first_name: &member.first_name,
                sender: &letter.sender.name,
                subject: letter.subject,
                message: letter.message,
                link: &link,
                expires_at,
                sso_provider: letter.sso_provider.as_deref(),
            },
        )?;
        let message_id = queue_message(
            conn,
            self.mail_config(),
            &Outgoing {
                org_id: Some(actor.org_id),
                member_id: Some(member.id),
                invitation_id: Some(invitation_id),
                kind: "invitation",
                to: &member.email,
                from_name: &letter.sender.name,
                reply_to: &letter.sender.email,
                hold: false,
                rendered: &rendered,
            },
        )
        .await?;
        // Messages held until this invitation go out after it (only an
        // `added` member's messages are held).
        if target.status == MemberStatus::Added {
            release_held_messages(conn, actor.org_id, member.id, now).await?;
        }
        let to = if letter.reassign_from.is_some() {
            MemberStatus::ReassignPending
        } else {
            target.status.apply(StatusTransition::Invite)?
        };
        if to != target.status {
            set_member_status(
                conn,
                actor.org_id,
                member.id,
                Some(target.status.as_str()),
                to.as_str(),
                &actor.label,
                now,
            )
            .await?;
        }
        let action = if replaced.is_some() {
            "invitation.resend"
        } else {
            "invitation.send"
        };
        record(
            conn,
            actor,
            action,
            "member",
            member.id,
            json!({
                "invitation": invitation_id,
                "email": member.email,
                "role": target.role,
                "seat_type": target.seat_type,
                "expires_at": roster_domain::format_rfc3339(expires_at),
                "language": letter.language.as_str(),
            }),
        )
        .await?;
        Ok(message_id)
    }

    /// The members a request names, as ids the actor may see.
    async fn invitee_ids(&self, actor: &Actor, who: &Invitees) -> ServiceResult<InviteeIds> {
        let mut out = InviteeIds::default();
        if matches!(who, Invitees::Ids(v) if v.is_empty()) || matches!(who, Invitees::Emails(v) if v.is_empty()) {
            return Err(roster_domain::InvalidInput::new("members", "required", "name at least one member").into());
        }
        match who {
            Invitees::Ids(ids) => out.found = ids.clone(),
            Invitees::Emails(emails) => {
                let mut conn = self.store().conn().await?;
                for raw in emails {
                    // A list pasted from elsewhere: what is not an address is left out, with why.
                    let Ok(email) = Email::parse(raw) else {
                        out.unknown.push(InvitationSkip {
                            member_id: None,
                            email: raw.trim().to_owned(),
                            reason: "is not an e-mail address".into(),
                        });
                        continue;
                    };
                    match roster_store::member_by_email(&mut conn, actor.org_id, email.normalized()).await? {
                        Some(m) => out.found.push(m.id),
                        None => out.unknown.push(InvitationSkip {
                            member_id: None,
                            email: raw.trim().to_owned(),
                            reason: "no member has this e-mail".into(),
                        }),
                    }
                }
            }
            Invitees::Filter(filter) => {
                let read = self.authorize::<ReadMembers>(actor).await?;
                // The filter as the members list takes it: a sort or cursor
                // the list would refuse is refused here too (the members are
                // then walked in Roster's own order, by id).
                self.list_members(
                    read,
                    MemberListQuery {
                        limit: Some(1),
                        ..filter.clone()
                    },
                )
                .await?;
                let mut query = filter.clone();
                query.cursor = None;
                query.sort = Some("id".into());
                query.limit = Some(500);
                loop {
                    let page = self.list_members(read, query.clone()).await?;
                    out.found.extend(page.items.iter().map(|m| m.id));
                    if out.found.len() > MAX_INVITATIONS {
                        return Err(too_many());
                    }
                    match page.next_cursor {
                        Some(next) => query.cursor = Some(next),
                        None => break,
                    }
                }
            }
            Invitees::Import(import_id) => {
                let mut conn = self.store().conn().await?;
                roster_store::import_by_id(&mut conn, actor.org_id, *import_id)
                    .await?
                    .ok_or(ServiceError::NotFound("import"))?;
                out.found = roster_store::members_created_by_import(&mut conn, *import_id).await?;
            }
        }
        if out.found.len() > MAX_INVITATIONS {
            return Err(too_many());
        }
        let mut seen = std::collections::HashSet::new();
        out.found.retain(|id| seen.insert(*id));
        Ok(out)
    }

    /// Loads the members to invite; those who cannot be invited are skipped with the reason.
    async fn invitation_targets(
        &self,
        conn: &mut Conn,
        actor: &Actor,
        ids: &InviteeIds,
        request: &InvitationRequest,
    ) -> ServiceResult<(Vec<Target>, Vec<InvitationSkip>)> {
        let mut targets = Vec::new();
        let mut skipped = Vec::new();
        for &id in &ids.found {
            let member = match self.visible_member(conn, actor, id).await {
                Ok(m) => m,
                Err(ServiceError::NotFound(_)) => {
                    skipped.push(InvitationSkip {
                        member_id: Some(id),
                        email: String::new(),
                        reason: "no such member".into(),
                    });
                    continue;
                }
                Err(e) => return Err(e),
            };
            let status = MemberStatus::parse(&member.status)?;
            let refusal = match status {
                MemberStatus::Added | MemberStatus::Invited | MemberStatus::InvitationExpired => None,
                MemberStatus::Active => Some("is active already"),
                MemberStatus::ReassignPending => Some("has a seat reassignment pending"),
                MemberStatus::Removed => Some("is removed; add them again first"),
                MemberStatus::Deactivated => Some("is deactivated by the identity provider; it activates them again"),
            };
            if let Some(reason) = refusal {
                skipped.push(InvitationSkip {
                    member_id: Some(id),
                    email: member.email.clone(),
                    reason: reason.into(),
                });
                continue;
            }
            let role = request.role.as_ref().map_or(member.role.clone(), ToString::to_string);
            let seat_type = match request.seat_type {
                Some(seat) => Some(seat.as_str().to_owned()),
                None => member.seat_type.clone(),
            };
            if role != member.role || seat_type != member.seat_type {
                // Changing a member's role or seat is for those who rank above them.
                let old = member.clone();
                self.check_rank(conn, actor, &old, crate::members::roles::Reach::RoleOrSeat)
                    .await?;
            }
            targets.push(Target {
                member,
                status,
                role,
                seat_type,
            });
        }
        Ok((targets, skipped))
    }

    /// Every seat type the invitations take must have the seats free.
    async fn check_invitation_seats(&self, conn: &mut Conn, org_id: i64, targets: &[Target]) -> ServiceResult<()> {
        let mut needed: BTreeMap<&str, i64> = BTreeMap::new();
        for t in targets {
            let Some(seat) = t.seat_type.as_deref() else { continue };
            let holds_this_seat = t.status.uses_seat() && t.member.seat_type.as_deref() == Some(seat);
            if !holds_this_seat {
                *needed.entry(seat).or_default() += 1;
            }
        }
        for (seat, n) in needed {
            self.ensure_seats(conn, org_id, seat, n).await?;
        }
        Ok(())
    }

    async fn apply_role_and_seat(&self, conn: &mut Conn, actor: &Actor, target: &Target) -> ServiceResult<()> {
        let member = &target.member;
        if target.role == member.role && target.seat_type == member.seat_type {
            return Ok(());
        }
        let mut fields = member.fields();
        fields.role = target.role.clone();
        fields.seat_type = target.seat_type.clone();
        roster_store::update_member(conn, actor.org_id, member.id, &fields, now_millis()).await?;
        record(
            conn,
            actor,
            "member.update",
            "member",
            member.id,
            json!({
                "role": {"from": member.role, "to": target.role},
                "seat_type": {"from": member.seat_type, "to": target.seat_type},
            }),
        )
        .await
    }
}

fn too_many() -> ServiceError {
    ServiceError::conflict(
        "too_many_members",
        Some("members"),
        format!("one request invites at most {MAX_INVITATIONS} members; narrow the filter"),
    )
}

#[derive(Default)]
struct InviteeIds {
    found: Vec<i64>,
    unknown: Vec<InvitationSkip>,
}

/// Who an invitation is from: a person's name and address (the reply-to),
/// or the organization's name for tokens and the command line.
pub(crate) struct Sender {
    pub name: String,
    pub email: String,
}

impl Sender {
    pub(crate) async fn of(conn: &mut Conn, actor: &Actor, org: &OrgRecord) -> ServiceResult<Self> {
        if let Some(id) = actor.member_id {
            if let Some(m) = member_by_id(conn, actor.org_id, id).await? {
                let name = format!("{} {}", m.first_name, m.last_name).trim().to_owned();
                return Ok(Self {
                    name: if name.is_empty() { m.email.clone() } else { name },
                    email: m.email,
                });
            }
        }
        Ok(Self {
            name: org.name.clone(),
            email: String::new(),
        })
    }
}

/// What every invitation of one request says.
pub(crate) struct Letter<'a> {
    pub org: &'a OrgRecord,
    pub design: &'a Design,
    pub sender: &'a Sender,
    pub subject: &'a str,
    pub message: &'a str,
    pub language: Language,
    pub reassign_from: Option<i64>,
    /// The organization signs its members in only through this identity
    /// provider: the invitation says "Sign in with …".
    pub sso_provider: Option<String>,
}
