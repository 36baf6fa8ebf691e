//! Following invitations and their mail: lists, one message's delivery, a
//! request's progress, the console's preview and test, `roster mail test`.

use roster_domain::{now_millis, Language};
use roster_store::{member_by_id, org_by_id};
use serde::Serialize;

use crate::invitations::Sender;
use crate::mail::templates::{self, Design, InvitationText};
use crate::mail::{queue_message, Outgoing};
use crate::{new_secret, Can, Invite, ReadMembers, Service, ServiceError, ServiceResult};

impl Service {
    /// The organization's invitations, newest first, optionally in one state.
    pub async fn invitations(
        &self,
        can: Can<'_, ReadMembers>,
        state: Option<&str>,
        before: Option<i64>,
        limit: Option<i64>,
    ) -> ServiceResult<crate::InvitationPage> {
        let actor = can.actor();
        if let Some(s) = state {
            if !["pending", "accepted", "revoked", "replaced", "expired"].contains(&s) {
                return Err(roster_domain::InvalidInput::new(
                    "state",
                    "invalid_state",
                    "must be pending, accepted, revoked, replaced or expired",
                )
                .into());
            }
        }
        let limit = limit.unwrap_or(50).clamp(1, 500);
        let mut conn = self.store().conn().await?;
        let rows = roster_store::list_invitations(&mut conn, actor.org_id, state, before, limit + 1).await?;
        let mut items = Vec::new();
        for r in rows.into_iter().take(limit as usize + 1) {
            // A division admin sees their divisions' members' invitations only.
            if actor.division_scope().is_some() && self.visible_member(&mut conn, actor, r.member_id).await.is_err() {
                continue;
            }
            let messages = roster_store::messages_of_member(&mut conn, actor.org_id, r.member_id)
                .await?
                .into_iter()
                .filter(|m| m.invitation_id == Some(r.id))
                .map(crate::MessageView::from)
                .collect();
            items.push(crate::InvitationView::new(r, messages)?);
        }
        let next_before = if items.len() as i64 > limit {
            items.truncate(limit as usize);
            items.last().map(|i| i.id)
        } else {
            None
        };
        Ok(crate::InvitationPage { items, next_before })
    }

    /// One outbox message of the organization, with its delivery state.
    pub async fn message(&self, can: Can<'_, ReadMembers>, id: i64) -> ServiceResult<crate::MessageView> {
        let actor = can.actor();
        let mut conn = self.store().conn().await?;
        let message = roster_store::message_by_id(&mut conn, actor.org_id, id)
            .await?
            .ok_or(ServiceError::NotFound("message"))?;
        if let Some(member) = message.member_id {
            self.visible_member(&mut conn, actor, member).await?;
        }
        Ok(message.into())
    }

    /// The invitation as the request would write it, for the console's
    /// preview (with a sample link that leads nowhere).
    pub async fn preview_invitation(
        &self,
        can: Can<'_, Invite>,
        subject: &str,
        message: &str,
        language: Option<Language>,
    ) -> ServiceResult<crate::mail::Rendered> {
        let actor = can.actor();
        let mut conn = self.store().conn().await?;
        let org = org_by_id(&mut conn, actor.org_id)
            .await?
            .ok_or(ServiceError::NotFound("organization"))?;
        let subject = roster_domain::SingleLine::parse("subject", subject, 200)?.into_string();
        let message = roster_domain::FreeText::parse("message", message, 5000)?.into_string();
        let sender = Sender::of(&mut conn, actor, &org).await?;
        let language = language.unwrap_or_else(|| Language::parse(&org.language).unwrap_or_default());
        let sso_provider = self.required_sso_provider(&mut conn, org.id).await?;
        templates::invitation(
            &Design::of(&org),
            language,
            &InvitationText {
                first_name: "Alex",
                sender: &sender.name,
                subject: &subject,
                message: &message,
                link: &self.mail_config().link("/invite/preview"),
                expires_at: now_millis() + org.invitation_lifetime_days * 86_400_000,
                sso_provider: sso_provider.as_deref(),
            },
        )
    }

    /// Sends the preview to the signed-in admin's own address, through the outbox.
    pub async fn send_test_invitation(
        &self,
        can: Can<'_, Invite>,
        subject: &str,
        message: &str,
        language: Option<Language>,
    ) -> ServiceResult<String> {
        let actor = can.actor();
        let rendered = self.preview_invitation(can, subject, message, language).await?;
        let mut tx = self.store().begin().await?;
        let me = actor
            .member_id
            .ok_or_else(|| ServiceError::forbidden("a test goes to a person's own address: sign in as one"))?;
        let me = member_by_id(&mut tx, actor.org_id, me)
            .await?
            .ok_or(ServiceError::NotFound("member"))?;
        queue_message(
            &mut tx,
            self.mail_config(),
            &Outgoing {
                org_id: Some(actor.org_id),
                member_id: None,
                invitation_id: None,
                kind: "test",
                to: &me.email,
                from_name: "",
                reply_to: "",
                hold: false,
                rendered: &rendered,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(me.email)
    }

    /// Sends a test message straight to `to` over the configured SMTP server
    /// (not through the outbox), and says how it went: `roster mail test`.
    pub async fn mail_test(&self, to: &str) -> Result<String, String> {
        let crate::mail::Delivery::Smtp(target) = &self.mail_config().delivery else {
            return Err("no SMTP server is configured ([smtp] url in roster.toml, or ROSTER_SMTP_URL)".into());
        };
        let design = Design::roster();
        let rendered = templates::test_message(&design, Language::En).map_err(|e| e.to_string())?;
        let record = roster_store::MessageRecord {
            id: 0,
            org_id: None,
            member_id: None,
            invitation_id: None,
            kind: "test".into(),
            state: "sending".into(),
            to_address: to.trim().to_owned(),
            from_name: String::new(),
            reply_to: String::new(),
            subject: rendered.subject,
            body_text: rendered.text,
            body_html: rendered.html,
            message_id: format!("<{}@roster.localhost>", new_secret("t").get(..33).unwrap_or("t")),
            attempts: 0,
            next_attempt_at: 0,
            sent_at: None,
            last_error: None,
            created_at: now_millis(),
        };
        let from = self.mail_config().from.clone();
        let (address, bytes) = crate::mail::compose(&record, &from).map_err(|f| f.reason)?;
        let mut connection = crate::mail::SmtpConnection::open(target).await.map_err(|f| f.reason)?;
        connection
            .send(&from.email, &address, &bytes)
            .await
            .map_err(|f| f.reason)?;
        connection.quit().await;
        Ok(format!(
            "sent to {to} through {}:{} ({:?})",
            target.host, target.port, target.tls
        ))
    }
}

/// How the messages of one request stand (from its first message on).
#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
pub struct DeliveryProgress {
    pub sent: i64,
    pub failed: i64,
    /// Queued, being sent, or held.
    pub waiting: i64,
}

impl Service {
    /// The delivery of the organization's messages from `first_message` on
    /// (a request's `first_message_id`): the command line's progress bar.
    pub async fn delivery_progress(
        &self,
        can: Can<'_, ReadMembers>,
        first_message: i64,
    ) -> ServiceResult<DeliveryProgress> {
        let mut conn = self.store().conn().await?;
        let mut progress = DeliveryProgress::default();
        for (state, n) in roster_store::outbox_counts(&mut conn, Some(can.actor().org_id), first_message).await? {
            match state.as_str() {
                "sent" => progress.sent += n,
                "failed" => progress.failed += n,
                _ => progress.waiting += n,
            }
        }
        Ok(progress)
    }
}
