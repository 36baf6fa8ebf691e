//! The e-mail domains an organization claims: the provider's verified
//! addresses of a proven domain may link to members, and home-realm
//! discovery sends them to the organization's provider. A domain proven by
//! one organization of the instance cannot be proven by another.
//!
//! Proof, as GitHub and Slack ask for it: the organization publishes a TXT
//! record `_roster-challenge.DOMAIN` with the value Roster gave it, and an
//! admin asks Roster to look. (Or the instance's operator claims a domain
//! for an organization from the command line and vouches for it.)

use roster_domain::now_millis;
use serde::Serialize;
use serde_json::json;

use super::invalid;
use crate::orgs::audit::record as audit;
use crate::{new_secret, Can, ManageOrg, Service, ServiceError, ServiceResult, Timestamp};

/// A claimed domain, as shown.
#[derive(Debug, Clone, Serialize)]
pub struct SsoDomainView {
    pub domain: String,
    /// The TXT record's value that proves it (published at
    /// `_roster-challenge.DOMAIN`).
    pub proof: String,
    /// Where the TXT record goes: `_roster-challenge.DOMAIN`.
    pub record_name: String,
    pub verified_at: Option<Timestamp>,
    /// `operator` (claimed from the command line) or `dns`.
    pub verified_by: Option<String>,
}

/// The name of the TXT record that proves `domain`.
pub fn challenge_name(domain: &str) -> String {
    format!("_roster-challenge.{domain}")
}

impl From<roster_store::SsoDomainRecord> for SsoDomainView {
    fn from(r: roster_store::SsoDomainRecord) -> Self {
        Self {
            record_name: challenge_name(&r.domain),
            domain: r.domain,
            proof: r.proof,
            verified_at: r.verified_at.map(Timestamp::from_millis),
            verified_by: r.verified_by,
        }
    }
}

/// A domain name as compared: lower case, international names in their
/// ASCII (punycode) form.
pub fn normalize_domain(raw: &str) -> ServiceResult<String> {
    let trimmed = raw.trim().trim_end_matches('.').to_lowercase();
    let bad = || invalid("domain", format!("{raw:?} is not a domain name (like example.com)"));
    if trimmed.is_empty() || trimmed.contains(['@', '/', ':', ' ']) || !trimmed.contains('.') {
        return Err(bad());
    }
    match url::Host::parse(&trimmed) {
        Ok(url::Host::Domain(ascii)) => Ok(ascii),
        _ => Err(bad()),
    }
}

impl Service {
    /// The operator claims `domain` for the organization: proven at once
    /// (the operator vouches for it). Refused when another organization of
    /// the instance has proven it.
    pub async fn claim_sso_domain_as_operator(
        &self,
        can: Can<'_, ManageOrg>,
        domain: &str,
    ) -> ServiceResult<SsoDomainView> {
        let actor = can.actor();
        let domain = normalize_domain(domain)?;
        let now = now_millis();
        let mut tx = self.store().begin().await?;
        refuse_proven_elsewhere(&mut tx, actor.org_id, &domain).await?;
        roster_store::claim_sso_domain(&mut tx, actor.org_id, &domain, &new_secret("roster-proof-"), now).await?;
        roster_store::verify_sso_domain(&mut tx, actor.org_id, &domain, "operator", now).await?;
        audit(
            &mut tx,
            actor,
            "sso.domain.claim",
            "domain",
            &domain,
            json!({"by": "operator"}),
        )
        .await?;
        let claimed = own_claim(&mut tx, actor.org_id, &domain).await?;
        tx.commit().await?;
        Ok(claimed.into())
    }

    /// An admin claims `domain`: a pending claim with the TXT record's
    /// value to publish (the same value when claimed again). Refused when
    /// another organization of the instance has proven it.
    pub async fn claim_sso_domain(&self, can: Can<'_, ManageOrg>, domain: &str) -> ServiceResult<SsoDomainView> {
        let actor = can.actor();
        let domain = normalize_domain(domain)?;
        let mut tx = self.store().begin().await?;
        refuse_proven_elsewhere(&mut tx, actor.org_id, &domain).await?;
        let known = roster_store::sso_domains(&mut tx, actor.org_id)
            .await?
            .into_iter()
            .any(|d| d.domain == domain);
        if !known {
            roster_store::claim_sso_domain(
                &mut tx,
                actor.org_id,
                &domain,
                &new_secret("roster-proof-"),
                now_millis(),
            )
            .await?;
            audit(
                &mut tx,
                actor,
                "sso.domain.claim",
                "domain",
                &domain,
                json!({"by": "dns"}),
            )
            .await?;
        }
        let claimed = own_claim(&mut tx, actor.org_id, &domain).await?;
        tx.commit().await?;
        Ok(claimed.into())
    }

    /// Looks for the claim's TXT record and, when it holds the claim's
    /// value, marks the domain proven. Says what it found when it does not.
    pub async fn verify_sso_domain(&self, can: Can<'_, ManageOrg>, domain: &str) -> ServiceResult<SsoDomainView> {
        let actor = can.actor();
        let domain = normalize_domain(domain)?;
        let mut conn = self.store().conn().await?;
        let claim = own_claim(&mut conn, actor.org_id, &domain).await?;
        drop(conn);
        if claim.verified_at.is_some() {
            return Ok(claim.into());
        }
        let name = challenge_name(&domain);
        let found = self
            .outbound()
            .txt_records(&name)
            .await
            .map_err(|e| not_proven(format!("{name} could not be looked up: {e}")))?;
        if !found.iter().any(|value| value.trim() == claim.proof) {
            let seen = if found.is_empty() {
                "it has no TXT record".to_owned()
            } else {
                let values: Vec<String> = found.iter().take(5).map(|v| format!("{v:?}")).collect();
                format!("its TXT records are {}", values.join(", "))
            };
            return Err(not_proven(format!(
                "publish a TXT record {name} with the value {}; {seen} (a new record can take a while to be seen)",
                claim.proof
            )));
        }
        let mut tx = self.store().begin().await?;
        refuse_proven_elsewhere(&mut tx, actor.org_id, &domain).await?;
        roster_store::verify_sso_domain(&mut tx, actor.org_id, &domain, "dns", now_millis()).await?;
        audit(
            &mut tx,
            actor,
            "sso.domain.verify",
            "domain",
            &domain,
            json!({"by": "dns", "record": name}),
        )
        .await?;
        let proven = own_claim(&mut tx, actor.org_id, &domain).await?;
        tx.commit().await?;
        Ok(proven.into())
    }

    /// Home-realm discovery: the slug of the organization whose identity
    /// provider signs in `email` — one with a connection that has proven
    /// the address's domain. Says nothing about whether an account exists.
    pub async fn sso_organization_for_email(&self, email: &str) -> ServiceResult<Option<String>> {
        let Some(domain) = email.trim().rsplit_once('@').map(|(_, d)| d) else {
            return Ok(None);
        };
        let Ok(domain) = normalize_domain(domain) else {
            return Ok(None);
        };
        let mut conn = self.store().conn().await?;
        let Some(proven) = roster_store::verified_sso_domain(&mut conn, &domain).await? else {
            return Ok(None);
        };
        if roster_store::sso_connection(&mut conn, proven.org_id).await?.is_none() {
            return Ok(None);
        }
        Ok(roster_store::org_by_id(&mut conn, proven.org_id)
            .await?
            .map(|org| org.slug))
    }

    /// The organization's claimed domains.
    pub async fn sso_domains(&self, can: Can<'_, ManageOrg>) -> ServiceResult<Vec<SsoDomainView>> {
        let mut conn = self.store().conn().await?;
        Ok(roster_store::sso_domains(&mut conn, can.actor().org_id)
            .await?
            .into_iter()
            .map(SsoDomainView::from)
            .collect())
    }

    /// Gives a domain up.
    pub async fn remove_sso_domain(&self, can: Can<'_, ManageOrg>, domain: &str) -> ServiceResult<bool> {
        let actor = can.actor();
        let domain = normalize_domain(domain)?;
        let mut tx = self.store().begin().await?;
        let removed = roster_store::remove_sso_domain(&mut tx, actor.org_id, &domain).await?;
        if removed {
            audit(&mut tx, actor, "sso.domain.remove", "domain", &domain, json!({})).await?;
        }
        tx.commit().await?;
        Ok(removed)
    }
}

/// A domain another organization of the instance has proven is theirs.
async fn refuse_proven_elsewhere(conn: &mut roster_store::Conn, org_id: i64, domain: &str) -> ServiceResult<()> {
    match roster_store::verified_sso_domain(conn, domain).await? {
        Some(holder) if holder.org_id != org_id => Err(invalid(
            "domain",
            format!("{domain} is proven by another organization of this Roster"),
        )),
        _ => Ok(()),
    }
}

async fn own_claim(
    conn: &mut roster_store::Conn,
    org_id: i64,
    domain: &str,
) -> ServiceResult<roster_store::SsoDomainRecord> {
    roster_store::sso_domains(conn, org_id)
        .await?
        .into_iter()
        .find(|d| d.domain == domain)
        .ok_or(ServiceError::NotFound("domain"))
}

fn not_proven(message: String) -> ServiceError {
    ServiceError::Invalid(roster_domain::InvalidInput::new("domain", "domain_not_proven", message))
}

#[cfg(test)]
mod tests {
    use super::normalize_domain;

    #[test]
    fn domains_are_compared_in_lower_case_ascii() {
        assert_eq!(normalize_domain(" Acme.Example. ").unwrap(), "acme.example");
        assert_eq!(normalize_domain("müller.de").unwrap(), "xn--mller-kva.de");
        for bad in [
            "",
            "localhost",
            "ann@acme.example",
            "https://acme.example",
            "acme example.com",
        ] {
            assert!(normalize_domain(bad).is_err(), "{bad}");
        }
    }
}
