//! Who a person the provider vouches for is in the organization.
//!
//! An identity is (issuer, subject), linked to one member. An e-mail
//! address alone links a new identity to a member only when the provider
//! says it is verified and the organization has proven the address's
//! domain; once linked, another subject with the same e-mail is refused
//! (the "nOAuth" account take-over). Just-in-time membership (a setting)
//! makes such a person a member when there is none.

use roster_domain::{now_millis, Email, MemberStatus, StatusTransition};
use roster_store::{MemberFields, MemberRecord, OrgRecord, SsoConnectionRecord, SsoIdentityRecord};
use serde_json::{json, Map, Value};

use super::SsoRefusal;
use crate::orgs::audit::record;
use crate::{Actor, RequestContext, Service, ServiceError, SignedIn, SIGNUP_SEAT};

/// The person, as the provider's claims describe them.
#[derive(Debug, Clone)]
pub(crate) struct Person {
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub first_name: String,
    pub last_name: String,
    /// The groups the token names; `None` when it says nothing of them.
    pub groups: Option<Vec<String>>,
}

fn truthy(value: Option<&Value>) -> bool {
    match value {
        Some(Value::Bool(b)) => *b,
        // Some providers send the flag as a string.
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

fn text(claims: &Map<String, Value>, name: &str) -> Option<String> {
    claims
        .get(name)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.chars().take(200).collect())
}

impl Person {
    pub(crate) fn from_claims(record: &SsoConnectionRecord, subject: &str, claims: &Map<String, Value>) -> Self {
        Self {
            issuer: record.issuer.clone(),
            subject: subject.to_owned(),
            email: text(claims, &record.email_claim),
            // `email_verified` speaks of the `email` claim; Entra ID's
            // `xms_edov` says the domain's owner vouches for the address.
            email_verified: truthy(claims.get("email_verified")) || truthy(claims.get("xms_edov")),
            first_name: text(claims, &record.first_name_claim).unwrap_or_default(),
            last_name: text(claims, &record.last_name_claim).unwrap_or_default(),
            groups: super::groups::groups_of(claims, &record.groups_claim),
        }
    }
}

/// Why the person is not let in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotLinked {
    #[error("the identity provider sent no e-mail address (claim {0})")]
    NoEmail(String),
    #[error("the identity provider sent {0:?}, which is not an e-mail address")]
    BadEmail(String),
    #[error("the identity provider has not verified {0}; ask your administrator")]
    Unverified(String),
    #[error("{0} is not a domain this organization has proven; ask your administrator")]
    DomainNotClaimed(String),
    #[error("the member {0} is linked to another account of the identity provider")]
    LinkedToAnother(String),
    #[error("{email} is not a member of {org}; ask its administrators to add you")]
    NotAMember { email: String, org: String },
    #[error("this membership is {0}")]
    Inactive(String),
    #[error("{org} has no free {seat} seat for you; ask its administrators")]
    NoFreeSeat { org: String, seat: String },
}

impl NotLinked {
    pub fn reason(&self) -> &'static str {
        match self {
            NotLinked::NoEmail(_) => "no_email",
            NotLinked::BadEmail(_) => "bad_email",
            NotLinked::Unverified(_) => "email_unverified",
            NotLinked::DomainNotClaimed(_) => "domain_not_claimed",
            NotLinked::LinkedToAnother(_) => "linked_to_another_subject",
            NotLinked::NotAMember { .. } => "not_a_member",
            NotLinked::Inactive(_) => "inactive",
            NotLinked::NoFreeSeat { .. } => "no_free_seat",
        }
    }
}

impl From<NotLinked> for SsoRefusal {
    fn from(why: NotLinked) -> Self {
        SsoRefusal::NotLinked(why)
    }
}

impl Service {
    /// Signs the person in to `org`: finds or links (or, with just-in-time
    /// membership, creates) their member, activates it, and opens a
    /// session — all in one transaction, so a refusal changes nothing.
    pub(crate) async fn sign_in_person(
        &self,
        org: &OrgRecord,
        connection: &SsoConnectionRecord,
        person: &Person,
        id_token: &str,
        context: &RequestContext,
    ) -> Result<SignedIn, SsoRefusal> {
        let now = now_millis();
        let mut tx = self.store().begin().await?;
        let actor = Actor {
            label: format!("sso:{}", person.subject.chars().take(64).collect::<String>()),
            context: context.clone(),
            ..Actor::system(org.id, &org.slug)
        };
        let known = roster_store::sso_identity(&mut tx, org.id, &person.issuer, &person.subject).await?;
        let member = match known {
            Some(identity) => roster_store::member_by_id(&mut tx, org.id, identity.member_id)
                .await?
                .ok_or(ServiceError::NotFound("member"))?,
            None => {
                let member = self
                    .member_for_new_identity(&mut tx, org, connection, person, &actor)
                    .await?;
                roster_store::link_sso_identity(
                    &mut tx,
                    &SsoIdentityRecord {
                        issuer: person.issuer.clone(),
                        subject: person.subject.clone(),
                        org_id: org.id,
                        member_id: member.id,
                        email: member.email.clone(),
                        linked_at: now,
                        last_sign_in_at: None,
                    },
                )
                .await?;
                record(
                    &mut tx,
                    &actor,
                    "sso.link",
                    "member",
                    member.id,
                    json!({"issuer": person.issuer, "subject": person.subject, "email": member.email}),
                )
                .await?;
                member
            }
        };
        let status = MemberStatus::parse(&member.status)?;
        if !status.acts() {
            return Err(NotLinked::Inactive(status.label().to_lowercase()).into());
        }
        if status != MemberStatus::Active && status != MemberStatus::ReassignPending {
            // Signing in through the provider is accepting the membership.
            if let Some(seat) = member.seat_type.as_deref() {
                if !status.uses_seat() {
                    self.ensure_seats(&mut tx, org.id, seat, 1).await.map_err(|e| match e {
                        ServiceError::SeatShortfall { seat_type, .. } => SsoRefusal::from(NotLinked::NoFreeSeat {
                            org: org.name.clone(),
                            seat: seat_type,
                        }),
                        other => other.into(),
                    })?;
                }
            }
            let to = status.apply(StatusTransition::SignInWithProvider)?;
            roster_store::accept_pending_invitations_of_member(&mut tx, org.id, member.id, now).await?;
            roster_store::set_member_status(
                &mut tx,
                org.id,
                member.id,
                Some(status.as_str()),
                to.as_str(),
                &actor.label,
                now,
            )
            .await?;
        }
        let account = match member.account_id {
            Some(account) => account,
            None => {
                let account = roster_store::ensure_account(
                    &mut tx,
                    &member.email,
                    &member.email_normalized,
                    &member.first_name,
                    &member.last_name,
                    now,
                )
                .await?;
                roster_store::link_account(&mut tx, org.id, member.id, account).await?;
                account
            }
        };
        roster_store::touch_sso_identity(&mut tx, org.id, &person.issuer, &person.subject, now).await?;
        self.apply_sso_groups(&mut tx, &actor, member.id, person.groups.as_deref())
            .await?;
        let session = self.open_sso_session(&mut tx, account, org.id, member.id).await?;
        // The provider's logout asks for it (`id_token_hint`).
        roster_store::set_session_id_token(&mut tx, &crate::sha256_hex(&session.session_id), id_token).await?;
        record(
            &mut tx,
            &actor,
            "sso.sign_in",
            "member",
            member.id,
            json!({"issuer": person.issuer, "subject": person.subject, "email": member.email}),
        )
        .await?;
        tx.commit().await?;
        Ok(session)
    }

    /// The member a new identity links to: the one with its verified
    /// e-mail of a proven domain, or a new one (just-in-time membership).
    async fn member_for_new_identity(
        &self,
        tx: &mut roster_store::Conn,
        org: &OrgRecord,
        connection: &SsoConnectionRecord,
        person: &Person,
        actor: &Actor,
    ) -> Result<MemberRecord, SsoRefusal> {
        let raw = person
            .email
            .clone()
            .ok_or_else(|| NotLinked::NoEmail(connection.email_claim.clone()))?;
        let email = Email::parse(&raw).map_err(|_| NotLinked::BadEmail(raw.clone()))?;
        if !person.email_verified {
            return Err(NotLinked::Unverified(email.as_str().to_owned()).into());
        }
        let domain = email.normalized().rsplit('@').next().unwrap_or_default();
        let domain = super::normalize_domain(domain).map_err(|_| NotLinked::BadEmail(raw.clone()))?;
        let proven = roster_store::verified_sso_domain(tx, &domain).await?;
        if proven.is_none_or(|d| d.org_id != org.id) {
            return Err(NotLinked::DomainNotClaimed(domain).into());
        }
        if let Some(member) = roster_store::member_by_email(tx, org.id, email.normalized()).await? {
            if roster_store::sso_identity_of_member(tx, member.id).await?.is_some() {
                return Err(NotLinked::LinkedToAnother(member.email).into());
            }
            return Ok(member);
        }
        if !connection.jit {
            return Err(NotLinked::NotAMember {
                email: email.as_str().to_owned(),
                org: org.name.clone(),
            }
            .into());
        }
        let now = now_millis();
        crate::members::refuse_look_alike(tx, org.id, email.normalized()).await?;
        let mut fields = MemberFields::blank("reader");
        fields.first_name = person.first_name.clone();
        fields.last_name = person.last_name.clone();
        fields.email = email.as_str().to_owned();
        fields.email_normalized = email.normalized().to_owned();
        fields.personal_id = fields.email.clone();
        fields.seat_type = Some(SIGNUP_SEAT.as_str().to_owned());
        let id = roster_store::insert_member(tx, org.id, &fields, MemberStatus::Added.as_str(), now).await?;
        roster_store::record_status(tx, org.id, id, None, "added", &actor.label, now).await?;
        record(
            tx,
            actor,
            "member.sso_join",
            "member",
            id,
            json!({"email": fields.email}),
        )
        .await?;
        Ok(roster_store::member_by_id(tx, org.id, id)
            .await?
            .ok_or(ServiceError::NotFound("member"))?)
    }
}
