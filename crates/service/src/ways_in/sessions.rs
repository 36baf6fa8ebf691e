//! Signing in to the console: sessions, throttling, and the actor a signed-in
//! member is inside one of their organizations.

use roster_domain::{now_millis, Email, MemberStatus};
use roster_store::{
    account_by_email, clear_login_failures, delete_session, insert_session, login_failures_since, member_by_account,
    memberships_of_account, org_by_slug, record_login_failure, session_by_hash,
};
use serde_json::json;

use crate::{new_secret, sha256_hex, Actor, RequestContext, Service, ServiceError, ServiceResult};

const SESSION_LIFETIME_MS: i64 = 12 * 3_600_000;
const THROTTLE_WINDOW_MS: i64 = 15 * 60_000;
const MAX_FAILURES_PER_ACCOUNT: i64 = 10;
const MAX_FAILURES_PER_ADDRESS: i64 = 50;

/// A new session: the cookie value and the form token, both shown once.
#[derive(Debug)]
pub struct SignedIn {
    pub session_id: String,
}

/// A live session, as the console sees it.
#[derive(Debug, Clone)]
pub struct ConsoleSession {
    pub id_hash: String,
    pub account_id: i64,
    pub csrf_token: String,
    pub email: String,
    pub name: String,
    /// Opened through an organization's identity provider: that member.
    pub sso_member_id: Option<i64>,
    pub sso_org_id: Option<i64>,
}

impl Service {
    /// Signs in with e-mail and password. An unknown e-mail and a wrong
    /// password get the same answer after the same work; repeated failures
    /// per account and per client address are throttled.
    pub async fn sign_in(&self, email: &str, password: &str, context: &RequestContext) -> ServiceResult<SignedIn> {
        let now = now_millis();
        // Not an e-mail address: no account has it, and it is answered as
        // an unknown one (after the same work).
        let normalized = Email::parse(email)
            .map(|e| e.normalized().to_owned())
            .unwrap_or_default();
        let account_key = format!("account:{normalized}");
        let address_key = format!("address:{}", context.ip);
        let mut conn = self.store().conn().await?;
        let since = now - THROTTLE_WINDOW_MS;
        if login_failures_since(&mut conn, &account_key, since).await? >= MAX_FAILURES_PER_ACCOUNT
            || login_failures_since(&mut conn, &address_key, since).await? >= MAX_FAILURES_PER_ADDRESS
        {
            drop(conn);
            self.audit_refusal(None, &account_key, "sign_in.throttled", context)
                .await;
            return Err(ServiceError::RateLimited);
        }
        let account = if normalized.is_empty() {
            None
        } else {
            account_by_email(&mut conn, &normalized).await?
        };
        drop(conn);
        let stored = account.as_ref().and_then(|a| a.password_hash.clone());
        let ok = self.passwords().verify(password.to_owned(), stored).await?;
        let mut tx = self.store().begin().await?;
        let Some(account) = account.filter(|_| ok) else {
            record_login_failure(&mut tx, &account_key, now).await?;
            record_login_failure(&mut tx, &address_key, now).await?;
            tx.commit().await?;
            self.audit_refusal(None, &account_key, "sign_in", context).await;
            return Err(ServiceError::Unauthenticated);
        };
        clear_login_failures(&mut tx, &account_key).await?;
        if let Err(refused) = self
            .check_password_way_in(&mut tx, account.id, context, "sign_in")
            .await
        {
            tx.commit().await?;
            return Err(refused);
        }
        let signed_in = self.open_session(&mut tx, account.id).await?;
        let details = json!({});
        let event = roster_store::NewAuditEvent {
            org_id: None,
            actor: &format!("account:{}", account.id),
            action: "sign_in",
            target_kind: "account",
            target_id: &account.id.to_string(),
            outcome: "success",
            ip: &context.ip,
            request_id: &context.request_id,
            details: &details,
        };
        roster_store::insert_audit(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(signed_in)
    }

    /// A new session for an account (signing in, accepting an invitation,
    /// choosing a new password), on the caller's transaction.
    pub(crate) async fn open_session(&self, conn: &mut roster_store::Conn, account_id: i64) -> ServiceResult<SignedIn> {
        let now = now_millis();
        let session_id = new_secret("rsn_");
        insert_session(
            conn,
            &sha256_hex(&session_id),
            account_id,
            &new_secret(""),
            now,
            now + SESSION_LIFETIME_MS,
        )
        .await?;
        Ok(SignedIn { session_id })
    }

    /// A session opened through the organization's identity provider: it
    /// ends when the member is deactivated or removed.
    pub(crate) async fn open_sso_session(
        &self,
        conn: &mut roster_store::Conn,
        account_id: i64,
        org_id: i64,
        member_id: i64,
    ) -> ServiceResult<SignedIn> {
        let signed_in = self.open_session(conn, account_id).await?;
        roster_store::bind_session_to_member(conn, &sha256_hex(&signed_in.session_id), org_id, member_id).await?;
        Ok(signed_in)
    }

    /// The live session behind a cookie value, if any.
    pub async fn session(&self, session_id: &str) -> ServiceResult<Option<ConsoleSession>> {
        let id_hash = sha256_hex(session_id);
        let mut conn = self.store().conn().await?;
        Ok(session_by_hash(&mut conn, &id_hash, now_millis())
            .await?
            .map(|s| ConsoleSession {
                id_hash,
                account_id: s.account_id,
                csrf_token: s.csrf_token,
                email: s.email,
                name: format!("{} {}", s.first_name, s.last_name).trim().to_owned(),
                sso_member_id: s.sso_member_id,
                sso_org_id: s.sso_member_id.and(s.org_id),
            }))
    }

    /// Ends the session. Returns where to send the browser to end the
    /// identity provider's session too, when it was opened through one
    /// that offers logout.
    pub async fn sign_out(&self, session: &ConsoleSession) -> ServiceResult<Option<String>> {
        let mut tx = self.store().begin().await?;
        let provider = self.provider_logout(&mut tx, session).await?;
        delete_session(&mut tx, &session.id_hash).await?;
        tx.commit().await?;
        Ok(provider)
    }

    /// The organizations an account belongs to.
    pub async fn memberships(&self, account_id: i64) -> ServiceResult<Vec<crate::MembershipView>> {
        let mut conn = self.store().conn().await?;
        memberships_of_account(&mut conn, account_id)
            .await?
            .into_iter()
            .map(crate::MembershipView::new)
            .collect()
    }

    /// The signed-in member acting in organization `slug`. An organization
    /// they do not belong to is "not found".
    pub async fn actor_for_session(
        &self,
        session: &ConsoleSession,
        slug: &str,
        context: RequestContext,
    ) -> ServiceResult<Actor> {
        let mut conn = self.store().conn().await?;
        let org = org_by_slug(&mut conn, slug)
            .await?
            .ok_or(ServiceError::NotFound("organization"))?;
        let member = member_by_account(&mut conn, org.id, session.account_id)
            .await?
            .filter(|m| MemberStatus::parse(&m.status).is_ok_and(MemberStatus::acts))
            .ok_or(ServiceError::NotFound("organization"))?;
        self.check_session_way_in(&mut conn, &org, &member, session.sso_member_id)
            .await?;
        self.member_actor(&mut conn, &org, &member, context).await
    }

    /// Creates the first organization from the one-time setup link.
    pub async fn setup_first_org(&self, token: &str, new: crate::NewOrg) -> ServiceResult<crate::OrgView> {
        let hash = sha256_hex(token);
        let mut conn = self.store().conn().await?;
        let valid = roster_store::setup_token_unused(&mut conn, &hash).await?;
        drop(conn);
        if !valid || self.org_count().await? > 0 {
            return Err(ServiceError::forbidden("this setup link is no longer valid"));
        }
        let org = self.create_org(new, "setup").await?;
        let mut tx = self.store().begin().await?;
        roster_store::consume_setup_token(&mut tx, &hash, now_millis()).await?;
        tx.commit().await?;
        Ok(org)
    }
}
