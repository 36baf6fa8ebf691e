//! "Forgot password?": the same answer for every address; a single-use
//! link that lives an hour; choosing a new password ends every session.

use roster_domain::{now_millis, Email, Language};
use roster_store::{login_failures_since, record_login_failure};
use serde_json::json;

use crate::mail::templates::{self, Design};
use crate::mail::{queue_message, Outgoing};
use crate::ways_in::invitation_links::check_password;
use crate::{new_secret, sha256_hex, RequestContext, Service, ServiceError, ServiceResult, SignedIn};

const LINK_LIFETIME_MS: i64 = 3_600_000;
const WINDOW_MS: i64 = 15 * 60_000;
/// Reset mails per address per window: more are quietly not sent.
const PER_ADDRESS: i64 = 3;
/// Requests per client address per window: more get 429.
const PER_CLIENT: i64 = 20;

impl Service {
    /// Asks for a reset link. Every address gets the same answer, at once:
    /// the mail (for an address with an account) is written in the background.
    pub async fn request_password_reset(&self, email: &str, context: &RequestContext) -> ServiceResult<()> {
        let now = now_millis();
        let client_key = format!("reset-client:{}", context.ip);
        let mut tx = self.store().begin().await?;
        if login_failures_since(&mut tx, &client_key, now - WINDOW_MS).await? >= PER_CLIENT {
            return Err(ServiceError::RateLimited);
        }
        record_login_failure(&mut tx, &client_key, now).await?;
        tx.commit().await?;
        let Ok(email) = Email::parse(email) else {
            return Ok(());
        };
        let service = self.clone();
        let context = context.clone();
        // Whether the address has an account never shows in the answer's time.
        tokio::spawn(async move {
            if let Err(err) = service.write_reset_mail(email.normalized(), &context).await {
                tracing::warn!(error = %err, "could not write a password-reset mail");
            }
        });
        Ok(())
    }

    async fn write_reset_mail(&self, email_normalized: &str, context: &RequestContext) -> ServiceResult<()> {
        let now = now_millis();
        let address_key = format!("reset-address:{email_normalized}");
        let mut tx = self.store().begin().await?;
        let Some(account) = roster_store::account_by_email(&mut tx, email_normalized).await? else {
            return Ok(());
        };
        if login_failures_since(&mut tx, &address_key, now - WINDOW_MS).await? >= PER_ADDRESS {
            return Ok(());
        }
        // An account that signs in only through identity providers has no
        // password to reset (the refusal is audited; the answer is the same).
        if self
            .check_password_way_in(&mut tx, account.id, context, "password_reset.request")
            .await
            .is_err()
        {
            tx.commit().await?;
            return Ok(());
        }
        record_login_failure(&mut tx, &address_key, now).await?;
        let token = new_secret("");
        roster_store::insert_password_reset(&mut tx, &sha256_hex(&token), account.id, now + LINK_LIFETIME_MS, now)
            .await?;
        let link = self.mail_config().link(&format!("/reset/{token}"));
        // An account belongs to no one organization: Roster's own design.
        let design = Design::roster();
        let rendered = templates::password_reset(&design, Language::En, &link)?;
        queue_message(
            &mut tx,
            self.mail_config(),
            &Outgoing {
                org_id: None,
                member_id: None,
                invitation_id: None,
                kind: "password_reset",
                to: &account.email,
                from_name: "",
                reply_to: "",
                hold: false,
                rendered: &rendered,
            },
        )
        .await?;
        let event = roster_store::NewAuditEvent {
            org_id: None,
            actor: &format!("account:{}", account.id),
            action: "password_reset.request",
            target_kind: "account",
            target_id: &account.id.to_string(),
            outcome: "success",
            ip: &context.ip,
            request_id: &context.request_id,
            details: &json!({}),
        };
        roster_store::insert_audit(&mut tx, &event, now).await?;
        tx.commit().await?;
        self.wake_mail();
        Ok(())
    }

    /// Whether a reset link still works (the page asks before showing the form).
    pub async fn password_reset_open(&self, token: &str) -> ServiceResult<bool> {
        let mut conn = self.store().conn().await?;
        Ok(
            roster_store::password_reset_account(&mut conn, &sha256_hex(token), now_millis())
                .await?
                .is_some(),
        )
    }

    /// Sets a new password from a reset link: the link is used up, every
    /// session of the account ends, and a new one begins.
    pub async fn reset_password(
        &self,
        token: &str,
        password: &str,
        context: &RequestContext,
    ) -> ServiceResult<SignedIn> {
        check_password(password)?;
        let hash = self.passwords().hash(password.to_owned()).await?;
        let now = now_millis();
        let mut tx = self.store().begin().await?;
        let account = roster_store::consume_password_reset(&mut tx, &sha256_hex(token), now)
            .await?
            .ok_or_else(|| {
                ServiceError::conflict(
                    "reset_link_invalid",
                    Some("token"),
                    "this link has expired or was used already; ask for a new one",
                )
            })?;
        if let Err(refused) = self
            .check_password_way_in(&mut tx, account, context, "password_reset")
            .await
        {
            tx.commit().await?;
            return Err(refused);
        }
        roster_store::set_password_hash(&mut tx, account, &hash).await?;
        roster_store::delete_sessions_of_account(&mut tx, account).await?;
        let session = self.open_session(&mut tx, account).await?;
        let event = roster_store::NewAuditEvent {
            org_id: None,
            actor: &format!("account:{account}"),
            action: "password_reset",
            target_kind: "account",
            target_id: &account.to_string(),
            outcome: "success",
            ip: &context.ip,
            request_id: &context.request_id,
            details: &json!({}),
        };
        roster_store::insert_audit(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(session)
    }
}
