//! The member's side of an invitation: what its link leads to, accepting
//! it (as a new person or as the signed-in account), and expiry.

use roster_domain::{now_millis, Email, MemberStatus, StatusTransition};
use roster_store::{member_by_id, org_by_id, set_member_status, Conn, InvitationRecord, MemberRecord};
use serde_json::json;

use crate::orgs::audit::record;
use crate::{sha256_hex, Actor, RequestContext, Service, ServiceError, ServiceResult, SignedIn};

/// What an invitation link leads to.
#[derive(Debug, Clone)]
pub enum InvitationLink {
    /// It works: who it is for, and whether they have an account already
    /// (then they must sign in as it; the link never sets its password).
    Open {
        org: crate::OrgView,
        email: String,
        first_name: String,
        account_exists: bool,
        expires_at: roster_domain::Timestamp,
        /// The organization's identity provider, when it has one: its
        /// name, and whether it is the only way in.
        sso: Option<SsoWayIn>,
    },
    Expired {
        org: crate::OrgView,
    },
    Revoked {
        org: crate::OrgView,
    },
    Used {
        org: crate::OrgView,
    },
    Unknown,
}

/// Signing in through the organization's identity provider.
#[derive(Debug, Clone)]
pub struct SsoWayIn {
    pub provider: String,
    /// The only way in: no password is chosen or asked.
    pub required: bool,
    /// `/sso/{slug}?login_hint=…`
    pub start: String,
}

/// Why accepting did not work (each has its own page).
#[derive(Debug, thiserror::Error)]
pub enum AcceptError {
    #[error("this invitation link is not valid")]
    Unknown,
    #[error("this invitation has expired")]
    Expired,
    #[error("this invitation was revoked")]
    Revoked,
    #[error("this invitation has been used already")]
    Used,
    /// The address has an account: sign in as it to accept.
    #[error("an account with this e-mail exists: sign in as it to accept")]
    AccountExists,
    /// Signed in as another account than the invitation's.
    #[error("this invitation is for {invited}, but you are signed in as {signed_in}")]
    WrongAccount { invited: String, signed_in: String },
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<roster_store::StoreError> for AcceptError {
    fn from(e: roster_store::StoreError) -> Self {
        Self::Service(e.into())
    }
}

/// Passwords are at least this long.
pub const MIN_PASSWORD_CHARS: usize = 12;

pub(crate) fn check_password(password: &str) -> ServiceResult<()> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(roster_domain::InvalidInput::new(
            "password",
            "password_too_short",
            format!("must be at least {MIN_PASSWORD_CHARS} characters"),
        )
        .into());
    }
    if chars > 1000 {
        return Err(roster_domain::InvalidInput::new("password", "too_long", "must be at most 1000 characters").into());
    }
    Ok(())
}

impl Service {
    /// What an invitation link leads to (reading only).
    pub async fn invitation_link(&self, token: &str) -> ServiceResult<InvitationLink> {
        let mut conn = self.store().conn().await?;
        let Some(invitation) = roster_store::invitation_by_hash(&mut conn, &sha256_hex(token)).await? else {
            return Ok(InvitationLink::Unknown);
        };
        let Some(org) = org_by_id(&mut conn, invitation.org_id).await? else {
            return Ok(InvitationLink::Unknown);
        };
        let org_view = crate::OrgView::from(org);
        let now = now_millis();
        Ok(match invitation.state.as_str() {
            "pending" if invitation.expires_at > now => {
                let member = member_by_id(&mut conn, invitation.org_id, invitation.member_id)
                    .await?
                    .ok_or(ServiceError::NotFound("member"))?;
                let account_exists = roster_store::account_by_email(&mut conn, &member.email_normalized)
                    .await?
                    .is_some();
                let sso = self
                    .sso_way_in(&mut conn, invitation.org_id)
                    .await?
                    .map(|(provider, required)| SsoWayIn {
                        provider,
                        required,
                        start: crate::sso::start_path(&org_view.slug, &member.email),
                    });
                InvitationLink::Open {
                    sso,
                    org: org_view,
                    email: member.email,
                    first_name: member.first_name,
                    account_exists,
                    expires_at: roster_domain::Timestamp::from_millis(invitation.expires_at),
                }
            }
            "pending" | "expired" => InvitationLink::Expired { org: org_view },
            "accepted" => InvitationLink::Used { org: org_view },
            _ => InvitationLink::Revoked { org: org_view },
        })
    }

    /// Accepts as a new person: their account is made with this password,
    /// they are active and signed in. Refused when the address has an
    /// account already (they sign in as it instead).
    pub async fn accept_invitation_with_password(
        &self,
        token: &str,
        password: &str,
        context: &RequestContext,
    ) -> Result<SignedIn, AcceptError> {
        check_password(password)?;
        let hash = self.passwords().hash(password.to_owned()).await?;
        let mut tx = self.store().begin().await?;
        let (invitation, member) = claim_invitation(&mut tx, token).await?;
        refuse_when_sso_required(&mut tx, invitation.org_id).await?;
        if roster_store::account_by_email(&mut tx, &member.email_normalized)
            .await?
            .is_some()
        {
            return Err(AcceptError::AccountExists);
        }
        let account = roster_store::ensure_account(
            &mut tx,
            &member.email,
            &member.email_normalized,
            &member.first_name,
            &member.last_name,
            now_millis(),
        )
        .await?;
        roster_store::set_password_hash(&mut tx, account, &hash).await?;
        self.activate(&mut tx, &invitation, &member, account, context).await?;
        let session = self.open_session(&mut tx, account).await?;
        tx.commit().await?;
        Ok(session)
    }

    /// Accepts as the signed-in account, which must be the invitation's.
    /// Returns the organization's slug.
    pub async fn accept_invitation_signed_in(
        &self,
        token: &str,
        session: &crate::ConsoleSession,
        context: &RequestContext,
    ) -> Result<String, AcceptError> {
        let mut tx = self.store().begin().await?;
        let (invitation, member) = claim_invitation(&mut tx, token).await?;
        if session.sso_org_id != Some(invitation.org_id) {
            refuse_when_sso_required(&mut tx, invitation.org_id).await?;
        }
        let account = roster_store::account_by_id(&mut tx, session.account_id)
            .await?
            .ok_or(AcceptError::Service(ServiceError::Unauthenticated))?;
        let account_email = Email::parse(&account.email)
            .map(|e| e.normalized().to_owned())
            .unwrap_or_default();
        if account_email != member.email_normalized {
            drop(tx);
            self.audit_refusal(
                Some(invitation.org_id),
                &format!("account:{}", account.id),
                "invitation.accept",
                context,
            )
            .await;
            return Err(AcceptError::WrongAccount {
                invited: member.email,
                signed_in: account.email,
            });
        }
        self.activate(&mut tx, &invitation, &member, account.id, context)
            .await?;
        let org = org_by_id(&mut tx, invitation.org_id)
            .await?
            .ok_or(ServiceError::NotFound("organization"))?;
        tx.commit().await?;
        Ok(org.slug)
    }

    /// The member becomes active with the account; a seat reassignment completes.
    async fn activate(
        &self,
        conn: &mut Conn,
        invitation: &InvitationRecord,
        member: &MemberRecord,
        account_id: i64,
        context: &RequestContext,
    ) -> ServiceResult<()> {
        let now = now_millis();
        let actor = Actor {
            label: format!("account:{account_id}"),
            context: context.clone(),
            member_id: Some(member.id),
            ..Actor::system(invitation.org_id, "")
        };
        roster_store::link_account(conn, invitation.org_id, member.id, account_id).await?;
        if invitation.reassign_from.is_some() {
            // The seat the reassignment gives.
            let mut fields = member.fields();
            fields.seat_type = invitation.seat_type.clone();
            roster_store::update_member(conn, invitation.org_id, member.id, &fields, now).await?;
        }
        let from = MemberStatus::parse(&member.status)?;
        let to = from.apply(StatusTransition::Accept)?;
        set_member_status(
            conn,
            invitation.org_id,
            member.id,
            Some(from.as_str()),
            to.as_str(),
            &actor.label,
            now,
        )
        .await?;
        if let Some(previous) = invitation.reassign_from {
            self.finish_reassignment(conn, &actor, previous, true).await?;
        }
        record(
            conn,
            &actor,
            "invitation.accept",
            "member",
            member.id,
            json!({"invitation": invitation.id, "email": member.email}),
        )
        .await
    }

    /// Ends pending invitations whose time is up: their members become
    /// `invitation_expired` (a reassignment is cancelled). The worker calls
    /// this every few seconds; returns how many ended.
    pub async fn expire_invitations(&self) -> ServiceResult<usize> {
        let mut total = 0;
        loop {
            let mut tx = self.store().begin().await?;
            let now = now_millis();
            let due = roster_store::expire_due_invitations(&mut tx, now, 500).await?;
            let n = due.len();
            for invitation in due {
                let actor = Actor {
                    label: "system".into(),
                    ..Actor::system(invitation.org_id, "")
                };
                let Some(member) = member_by_id(&mut tx, invitation.org_id, invitation.member_id).await? else {
                    continue;
                };
                let status = MemberStatus::parse(&member.status)?;
                if let Some(previous) = invitation.reassign_from {
                    self.finish_reassignment(&mut tx, &actor, previous, false).await?;
                    if status == MemberStatus::ReassignPending {
                        set_member_status(
                            &mut tx,
                            actor.org_id,
                            member.id,
                            Some(status.as_str()),
                            "added",
                            "system",
                            now,
                        )
                        .await?;
                    }
                } else if status == MemberStatus::Invited {
                    let to = status.apply(StatusTransition::Expire)?;
                    set_member_status(
                        &mut tx,
                        actor.org_id,
                        member.id,
                        Some(status.as_str()),
                        to.as_str(),
                        "system",
                        now,
                    )
                    .await?;
                }
                record(
                    &mut tx,
                    &actor,
                    "invitation.expire",
                    "member",
                    member.id,
                    json!({"invitation": invitation.id, "email": member.email}),
                )
                .await?;
            }
            tx.commit().await?;
            total += n;
            if n < 500 {
                return Ok(total);
            }
        }
    }
}

/// An organization that signs its members in only through its provider
/// takes no invitation accepted with a password (its page offers the
/// provider instead).
async fn refuse_when_sso_required(conn: &mut Conn, org_id: i64) -> Result<(), AcceptError> {
    if let Some((issuer, true)) = roster_store::sso_way_in(conn, org_id).await? {
        let org = org_by_id(conn, org_id).await?.ok_or(AcceptError::Unknown)?;
        return Err(ServiceError::SsoRequired {
            slug: org.slug,
            provider: crate::sso::provider_name(&issuer),
        }
        .into());
    }
    Ok(())
}

/// The pending invitation behind a link, marked accepted (of two accepts at
/// once exactly one gets it), with its member.
async fn claim_invitation(conn: &mut Conn, token: &str) -> Result<(InvitationRecord, MemberRecord), AcceptError> {
    let invitation = roster_store::invitation_by_hash(conn, &sha256_hex(token))
        .await?
        .ok_or(AcceptError::Unknown)?;
    let now = now_millis();
    if !roster_store::accept_invitation(conn, invitation.id, now).await? {
        // Read again: another accept may have just won.
        let state = roster_store::invitation_by_hash(conn, &sha256_hex(token))
            .await?
            .map(|i| i.state)
            .unwrap_or_default();
        return Err(match state.as_str() {
            "accepted" => AcceptError::Used,
            "pending" | "expired" => AcceptError::Expired,
            _ => AcceptError::Revoked,
        });
    }
    let member = member_by_id(conn, invitation.org_id, invitation.member_id)
        .await?
        .ok_or(AcceptError::Unknown)?;
    Ok((invitation, member))
}
