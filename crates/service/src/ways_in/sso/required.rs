//! "Single sign-on required": members of such an organization get in only
//! through its identity provider — no password sign-in, reset or password
//! invitation, and a session opened with a password does not open the
//! organization. The owner (the primary admin) keeps a password as the way
//! in when the provider is down or misconfigured ("break glass"); every
//! such sign-in is audited. API tokens are not sessions and are unaffected.

use roster_domain::{now_millis, Role};
use roster_store::{Conn, SsoRequiredMembership};
use serde_json::json;

use crate::{RequestContext, Service, ServiceError, ServiceResult};

/// A provider's name as a person knows it, from its issuer URL.
pub fn provider_name(issuer: &str) -> String {
    let host = url::Url::parse(issuer)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    let named = [
        ("microsoftonline.", "Microsoft Entra ID"),
        ("okta.com", "Okta"),
        ("oktapreview.com", "Okta"),
        ("accounts.google.com", "Google"),
        ("auth0.com", "Auth0"),
        ("onelogin.com", "OneLogin"),
        ("pingidentity.com", "PingOne"),
    ];
    if let Some((_, name)) = named.iter().find(|(part, _)| host.contains(part)) {
        return (*name).to_owned();
    }
    if issuer.contains("/realms/") {
        return "Keycloak".to_owned();
    }
    if host.is_empty() {
        "your identity provider".to_owned()
    } else {
        host
    }
}

/// Whether the member is the organization's primary admin (the owner).
fn primary_admin(membership: &SsoRequiredMembership) -> bool {
    Role::parse(&membership.role).is_ok_and(|r| r.is_owner())
}

impl Service {
    /// Refuses a password where every membership of the account requires
    /// its organization's provider (one without that requirement, or none
    /// at all, keeps the password useful). The refusal names the first
    /// organization, whose provider the person is sent to. Break-glass
    /// sign-ins of an owner are audited in each such organization.
    pub(crate) async fn check_password_way_in(
        &self,
        conn: &mut Conn,
        account_id: i64,
        context: &RequestContext,
        action: &str,
    ) -> ServiceResult<()> {
        let required = roster_store::sso_required_memberships(conn, account_id).await?;
        if required.is_empty() {
            return Ok(());
        }
        let all = roster_store::memberships_of_account(conn, account_id).await?;
        let elsewhere = all.len() > required.len();
        let break_glass: Vec<&SsoRequiredMembership> = required.iter().filter(|m| primary_admin(m)).collect();
        if !elsewhere && break_glass.is_empty() {
            let first = &required[0];
            let refusal = roster_store::NewAuditEvent {
                org_id: Some(first.org_id),
                actor: &format!("account:{account_id}"),
                action,
                target_kind: "account",
                target_id: &account_id.to_string(),
                outcome: "refused",
                ip: &context.ip,
                request_id: &context.request_id,
                details: &json!({"reason": "sso_required"}),
            };
            roster_store::insert_audit(conn, &refusal, now_millis()).await?;
            return Err(ServiceError::SsoRequired {
                slug: first.slug.clone(),
                provider: provider_name(&first.issuer),
            });
        }
        for membership in break_glass {
            let event = roster_store::NewAuditEvent {
                org_id: Some(membership.org_id),
                actor: &format!("account:{account_id}"),
                action: "sso.break_glass",
                target_kind: "member",
                target_id: &membership.member_id.to_string(),
                outcome: "success",
                ip: &context.ip,
                request_id: &context.request_id,
                details: &json!({"way_in": action}),
            };
            roster_store::insert_audit(conn, &event, now_millis()).await?;
        }
        Ok(())
    }

    /// Refuses a session that was not opened through the organization's
    /// provider in an organization that requires it (the owner's password
    /// session excepted).
    pub(crate) async fn check_session_way_in(
        &self,
        conn: &mut Conn,
        org: &roster_store::OrgRecord,
        member: &roster_store::MemberRecord,
        sso_member_id: Option<i64>,
    ) -> ServiceResult<()> {
        let Some((provider, true)) = self.sso_way_in(conn, org.id).await? else {
            return Ok(());
        };
        let through_provider = sso_member_id == Some(member.id);
        let owner = Role::parse(&member.role).is_ok_and(|r| r.is_owner());
        if !through_provider && !owner {
            return Err(ServiceError::SsoRequired {
                slug: org.slug.clone(),
                provider,
            });
        }
        Ok(())
    }

    /// True while single sign-on is required and the owner has no identity
    /// at the provider linked: their break-glass password is then their
    /// only way in (the console warns).
    pub async fn sso_break_glass_only(&self, can: crate::Can<'_, crate::ManageOrg>) -> ServiceResult<bool> {
        let org_id = can.actor().org_id;
        let mut conn = self.store().conn().await?;
        let required = self
            .sso_way_in(&mut conn, org_id)
            .await?
            .is_some_and(|(_, required)| required);
        Ok(required && !roster_store::owner_has_sso_identity(&mut conn, org_id).await?)
    }

    /// The provider's name when the organization requires it.
    pub(crate) async fn required_sso_provider(&self, conn: &mut Conn, org_id: i64) -> ServiceResult<Option<String>> {
        Ok(self
            .sso_way_in(conn, org_id)
            .await?
            .filter(|(_, required)| *required)
            .map(|(name, _)| name))
    }

    /// The organization's provider, by name, when it has one: `Some((name,
    /// required))`.
    pub(crate) async fn sso_way_in(&self, conn: &mut Conn, org_id: i64) -> ServiceResult<Option<(String, bool)>> {
        Ok(roster_store::sso_way_in(conn, org_id)
            .await?
            .map(|(issuer, required)| (provider_name(&issuer), required)))
    }
}

#[cfg(test)]
mod tests {
    use super::provider_name;

    #[test]
    fn providers_are_named_as_people_know_them() {
        assert_eq!(
            provider_name("https://login.microsoftonline.com/72f9/v2.0"),
            "Microsoft Entra ID"
        );
        assert_eq!(provider_name("https://acme.okta.com"), "Okta");
        assert_eq!(provider_name("https://accounts.google.com"), "Google");
        assert_eq!(provider_name("https://sso.acme.example/realms/staff"), "Keycloak");
        assert_eq!(provider_name("https://id.acme.example"), "id.acme.example");
    }
}
