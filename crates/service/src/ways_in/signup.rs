//! The sign-up page: when an organization enables it, a person types their
//! e-mail and receives an invitation as a reader with a casual seat. The
//! answer is the same whether or not the address is known; it is throttled
//! per client; it may be limited to e-mail domains; and it is off when the
//! organization's members come from its identity provider.

use roster_domain::{now_millis, Email, InvalidInput, Language, MemberStatus, SeatType};
use roster_store::{login_failures_since, member_by_email, org_by_slug, record_login_failure, MemberFields, OrgRecord};

use crate::invitations::{Letter, Sender, Target};
use crate::mail::templates::Design;
use crate::{Actor, RequestContext, Service, ServiceError, ServiceResult};

const WINDOW_MS: i64 = 15 * 60_000;
const PER_CLIENT: i64 = 10;

/// The seat type people who sign up get.
pub const SIGNUP_SEAT: SeatType = SeatType::Casual;

/// The stored list of domains, as a list.
pub(crate) fn domains_of(stored: &str) -> Vec<String> {
    stored
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Checks domains (`example.com`, lower-cased, no `@`) and stores them.
pub(crate) fn parse_domains(domains: &[String]) -> ServiceResult<String> {
    let mut out = Vec::new();
    for raw in domains {
        let d = raw.trim().trim_start_matches('@').to_ascii_lowercase();
        if d.is_empty() {
            continue;
        }
        let valid = d.len() <= 253
            && d.contains('.')
            && d.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                    && !label.starts_with('-')
                    && !label.ends_with('-')
            });
        if !valid {
            return Err(InvalidInput::new(
                "signup_domains",
                "invalid_domain",
                format!("{raw:?} is not a domain like example.com"),
            )
            .into());
        }
        out.push(d);
    }
    Ok(out.join(","))
}

/// What the sign-up page of an organization shows.
#[derive(Debug, Clone)]
pub enum SignupPage {
    Open(crate::OrgView),
    /// Switched off by its admins.
    Off(crate::OrgView),
    /// Its members come from its identity provider.
    ManagedByIdentityProvider(crate::OrgView),
}

impl Service {
    /// The sign-up page of organization `slug` (404 when there is none).
    pub async fn signup_page(&self, slug: &str) -> ServiceResult<SignupPage> {
        let mut conn = self.store().conn().await?;
        let org = org_by_slug(&mut conn, slug)
            .await?
            .ok_or(ServiceError::NotFound("organization"))?;
        Ok(if org.managed_by_identity_provider {
            SignupPage::ManagedByIdentityProvider(org.into())
        } else if org.signup_enabled {
            SignupPage::Open(org.into())
        } else {
            SignupPage::Off(org.into())
        })
    }

    /// Someone signs up with their e-mail. The answer says nothing about
    /// the address: a new one gets an invitation, an `added` or expired one
    /// gets theirs (again), anything else nothing.
    pub async fn sign_up(&self, slug: &str, email: &str, context: &RequestContext) -> ServiceResult<()> {
        let org = match self.signup_page(slug).await? {
            SignupPage::Open(org) => org,
            SignupPage::Off(_) => {
                return Err(ServiceError::conflict(
                    "signup_disabled",
                    None,
                    "this organization's sign-up page is off",
                ))
            }
            SignupPage::ManagedByIdentityProvider(_) => {
                return Err(ServiceError::conflict(
                    "managed_by_identity_provider",
                    None,
                    "members of this organization sign in with its identity provider",
                ))
            }
        };
        let email = Email::parse(email)?;
        let domain = email.normalized().rsplit('@').next().unwrap_or("").to_owned();
        if !org.signup_domains.is_empty() && !org.signup_domains.contains(&domain) {
            return Err(InvalidInput::new(
                "email",
                "domain_not_allowed",
                format!(
                    "this organization accepts addresses at {}",
                    org.signup_domains.join(", ")
                ),
            )
            .into());
        }
        let now = now_millis();
        let client_key = format!("signup-client:{}", context.ip);
        let mut tx = self.store().begin().await?;
        if login_failures_since(&mut tx, &client_key, now - WINDOW_MS).await? >= PER_CLIENT {
            return Err(ServiceError::RateLimited);
        }
        record_login_failure(&mut tx, &client_key, now).await?;
        tx.commit().await?;
        let service = self.clone();
        let context = context.clone();
        // The invitation is written in the background: the answer's time says
        // nothing about whether the address was known.
        tokio::spawn(async move {
            if let Err(err) = service.invite_signup(org.id, &email, &context).await {
                tracing::warn!(error = %err, "could not invite a person who signed up");
            }
        });
        Ok(())
    }

    async fn invite_signup(&self, org_id: i64, email: &Email, context: &RequestContext) -> ServiceResult<()> {
        let mut tx = self.store().begin().await?;
        let org: OrgRecord = roster_store::org_by_id(&mut tx, org_id)
            .await?
            .ok_or(ServiceError::NotFound("organization"))?;
        let actor = Actor {
            label: "signup".into(),
            context: context.clone(),
            ..Actor::system(org.id, &org.slug)
        };
        let now = now_millis();
        let member = match member_by_email(&mut tx, org.id, email.normalized()).await? {
            Some(m) => m,
            None => {
                crate::members::refuse_look_alike(&mut tx, org.id, email.normalized()).await?;
                let mut fields = MemberFields::blank("reader");
                fields.email = email.as_str().to_owned();
                fields.email_normalized = email.normalized().to_owned();
                fields.personal_id = fields.email.clone();
                fields.seat_type = Some(SIGNUP_SEAT.as_str().to_owned());
                let id =
                    roster_store::insert_member(&mut tx, org.id, &fields, MemberStatus::Added.as_str(), now).await?;
                roster_store::record_status(&mut tx, org.id, id, None, "added", &actor.label, now).await?;
                crate::orgs::audit::record(
                    &mut tx,
                    &actor,
                    "member.signup",
                    "member",
                    id,
                    serde_json::json!({"email": fields.email}),
                )
                .await?;
                roster_store::member_by_id(&mut tx, org.id, id)
                    .await?
                    .ok_or(ServiceError::NotFound("member"))?
            }
        };
        let status = MemberStatus::parse(&member.status)?;
        if !matches!(
            status,
            MemberStatus::Added | MemberStatus::Invited | MemberStatus::InvitationExpired
        ) {
            return Ok(());
        }
        if let Some(seat) = member.seat_type.as_deref() {
            if !status.uses_seat() {
                self.ensure_seats(&mut tx, org.id, seat, 1).await?;
            }
        }
        let sender = Sender::of(&mut tx, &actor, &org).await?;
        let design = Design::of(&org);
        let sso_provider = self.required_sso_provider(&mut tx, org.id).await?;
        let letter = Letter {
            org: &org,
            design: &design,
            sender: &sender,
            subject: "",
            message: "",
            language: Language::parse(&org.language).unwrap_or_default(),
            reassign_from: None,
            sso_provider,
        };
        let target = Target {
            role: member.role.clone(),
            seat_type: member.seat_type.clone(),
            status,
            member,
        };
        self.send_invitation(&mut tx, &actor, &target, &letter, now).await?;
        tx.commit().await?;
        self.wake_mail();
        Ok(())
    }
}
