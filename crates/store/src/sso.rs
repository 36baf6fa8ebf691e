//! Single sign-on: an organization's OpenID provider, the domains it has
//! proven, provider identities linked to members, and sign-ins under way.

use crate::rows::{flag, flag_value, int, opt_int, opt_text, text};
use crate::{Conn, StoreResult};

/// An organization's connection to its OpenID provider.
#[derive(Debug, Clone)]
pub struct SsoConnectionRecord {
    pub org_id: i64,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    pub scopes: String,
    pub email_claim: String,
    pub first_name_claim: String,
    pub last_name_claim: String,
    pub groups_claim: String,
    pub jit: bool,
    pub required: bool,
    /// The discovery document as fetched (JSON).
    pub discovery: String,
    /// The provider's keys as last fetched (JSON Web Key Set).
    pub jwks: String,
    pub jwks_fetched_at: i64,
    pub tested_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

const CONNECTION_COLUMNS: &str = "org_id, issuer, client_id, client_secret, scopes, email_claim, first_name_claim, \
     last_name_claim, groups_claim, jit, required, discovery, jwks, jwks_fetched_at, tested_at, created_at, updated_at";

fn connection(r: &sqlx::any::AnyRow) -> Result<SsoConnectionRecord, sqlx::Error> {
    Ok(SsoConnectionRecord {
        org_id: int(r, "org_id")?,
        issuer: text(r, "issuer")?,
        client_id: text(r, "client_id")?,
        client_secret: text(r, "client_secret")?,
        scopes: text(r, "scopes")?,
        email_claim: text(r, "email_claim")?,
        first_name_claim: text(r, "first_name_claim")?,
        last_name_claim: text(r, "last_name_claim")?,
        groups_claim: text(r, "groups_claim")?,
        jit: flag(r, "jit")?,
        required: flag(r, "required")?,
        discovery: text(r, "discovery")?,
        jwks: text(r, "jwks")?,
        jwks_fetched_at: int(r, "jwks_fetched_at")?,
        tested_at: opt_int(r, "tested_at")?,
        created_at: int(r, "created_at")?,
        updated_at: int(r, "updated_at")?,
    })
}

pub async fn sso_connection(conn: &mut Conn, org_id: i64) -> StoreResult<Option<SsoConnectionRecord>> {
    let row = sqlx::query(&format!(
        "SELECT {CONNECTION_COLUMNS} FROM sso_connections WHERE org_id = $1"
    ))
    .bind(org_id)
    .fetch_optional(conn.raw())
    .await?;
    Ok(row.as_ref().map(connection).transpose()?)
}

/// Whether the organization has a provider, and the little a way in needs
/// of it (asked on every console request: not the stored documents).
pub async fn sso_way_in(conn: &mut Conn, org_id: i64) -> StoreResult<Option<(String, bool)>> {
    let row = sqlx::query("SELECT issuer, required FROM sso_connections WHERE org_id = $1")
        .bind(org_id)
        .fetch_optional(conn.raw())
        .await?;
    Ok(row
        .as_ref()
        .map(|r| -> Result<_, sqlx::Error> { Ok((text(r, "issuer")?, flag(r, "required")?)) })
        .transpose()?)
}

/// Creates or replaces the organization's connection.
pub async fn put_sso_connection(conn: &mut Conn, c: &SsoConnectionRecord) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO sso_connections (org_id, issuer, client_id, client_secret, scopes, email_claim, \
         first_name_claim, last_name_claim, groups_claim, jit, required, discovery, jwks, jwks_fetched_at, \
         tested_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
         ON CONFLICT (org_id) DO UPDATE SET issuer = excluded.issuer, client_id = excluded.client_id, \
         client_secret = excluded.client_secret, scopes = excluded.scopes, email_claim = excluded.email_claim, \
         first_name_claim = excluded.first_name_claim, last_name_claim = excluded.last_name_claim, \
         groups_claim = excluded.groups_claim, jit = excluded.jit, required = excluded.required, \
         discovery = excluded.discovery, jwks = excluded.jwks, jwks_fetched_at = excluded.jwks_fetched_at, \
         tested_at = excluded.tested_at, updated_at = excluded.updated_at",
    )
    .bind(c.org_id)
    .bind(&c.issuer)
    .bind(&c.client_id)
    .bind(&c.client_secret)
    .bind(&c.scopes)
    .bind(&c.email_claim)
    .bind(&c.first_name_claim)
    .bind(&c.last_name_claim)
    .bind(&c.groups_claim)
    .bind(flag_value(c.jit))
    .bind(flag_value(c.required))
    .bind(&c.discovery)
    .bind(&c.jwks)
    .bind(c.jwks_fetched_at)
    .bind(c.tested_at)
    .bind(c.created_at)
    .bind(c.updated_at)
    .execute(conn.raw())
    .await?;
    Ok(())
}

pub async fn delete_sso_connection(conn: &mut Conn, org_id: i64) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM sso_connections WHERE org_id = $1")
        .bind(org_id)
        .execute(conn.raw())
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Keeps keys fetched again (a token named a key the old set lacked).
pub async fn set_sso_jwks(conn: &mut Conn, org_id: i64, jwks: &str, now: i64) -> StoreResult<()> {
    sqlx::query("UPDATE sso_connections SET jwks = $2, jwks_fetched_at = $3 WHERE org_id = $1")
        .bind(org_id)
        .bind(jwks)
        .bind(now)
        .execute(conn.raw())
        .await?;
    Ok(())
}

pub async fn set_sso_tested(conn: &mut Conn, org_id: i64, now: i64) -> StoreResult<()> {
    sqlx::query("UPDATE sso_connections SET tested_at = $2 WHERE org_id = $1")
        .bind(org_id)
        .bind(now)
        .execute(conn.raw())
        .await?;
    Ok(())
}

/// A sign-in under way.
#[derive(Debug, Clone)]
pub struct SsoFlowRecord {
    pub state_hash: String,
    pub org_id: i64,
    pub browser_hash: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub purpose: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

pub async fn insert_sso_flow(conn: &mut Conn, f: &SsoFlowRecord) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO sso_flows (state_hash, org_id, browser_hash, nonce, pkce_verifier, purpose, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&f.state_hash)
    .bind(f.org_id)
    .bind(&f.browser_hash)
    .bind(&f.nonce)
    .bind(&f.pkce_verifier)
    .bind(&f.purpose)
    .bind(f.created_at)
    .bind(f.expires_at)
    .execute(conn.raw())
    .await?;
    Ok(())
}

/// Takes a flow for its callback: the row as it was, and marks it used —
/// a state works once, whatever comes after.
pub async fn take_sso_flow(conn: &mut Conn, state_hash: &str, now: i64) -> StoreResult<Option<SsoFlowRecord>> {
    let row = sqlx::query(
        "SELECT state_hash, org_id, browser_hash, nonce, pkce_verifier, purpose, created_at, expires_at, used_at \
         FROM sso_flows WHERE state_hash = $1",
    )
    .bind(state_hash)
    .fetch_optional(conn.raw())
    .await?;
    let Some(r) = row else { return Ok(None) };
    let flow = SsoFlowRecord {
        state_hash: text(&r, "state_hash")?,
        org_id: int(&r, "org_id")?,
        browser_hash: text(&r, "browser_hash")?,
        nonce: text(&r, "nonce")?,
        pkce_verifier: text(&r, "pkce_verifier")?,
        purpose: text(&r, "purpose")?,
        created_at: int(&r, "created_at")?,
        expires_at: int(&r, "expires_at")?,
        used_at: opt_int(&r, "used_at")?,
    };
    sqlx::query("UPDATE sso_flows SET used_at = $2 WHERE state_hash = $1 AND used_at IS NULL")
        .bind(state_hash)
        .bind(now)
        .execute(conn.raw())
        .await?;
    Ok(Some(flow))
}

/// Removes flows that ended long ago.
pub async fn purge_sso_flows(conn: &mut Conn, before: i64) -> StoreResult<()> {
    sqlx::query("DELETE FROM sso_flows WHERE expires_at < $1")
        .bind(before)
        .execute(conn.raw())
        .await?;
    Ok(())
}

/// A provider identity linked to a member.
#[derive(Debug, Clone)]
pub struct SsoIdentityRecord {
    pub issuer: String,
    pub subject: String,
    pub org_id: i64,
    pub member_id: i64,
    pub email: String,
    pub linked_at: i64,
    pub last_sign_in_at: Option<i64>,
}

fn identity(r: &sqlx::any::AnyRow) -> Result<SsoIdentityRecord, sqlx::Error> {
    Ok(SsoIdentityRecord {
        issuer: text(r, "issuer")?,
        subject: text(r, "subject")?,
        org_id: int(r, "org_id")?,
        member_id: int(r, "member_id")?,
        email: text(r, "email")?,
        linked_at: int(r, "linked_at")?,
        last_sign_in_at: opt_int(r, "last_sign_in_at")?,
    })
}

const IDENTITY_COLUMNS: &str = "issuer, subject, org_id, member_id, email, linked_at, last_sign_in_at";

pub async fn sso_identity(
    conn: &mut Conn,
    org_id: i64,
    issuer: &str,
    subject: &str,
) -> StoreResult<Option<SsoIdentityRecord>> {
    let row = sqlx::query(&format!(
        "SELECT {IDENTITY_COLUMNS} FROM sso_identities WHERE org_id = $1 AND issuer = $2 AND subject = $3"
    ))
    .bind(org_id)
    .bind(issuer)
    .bind(subject)
    .fetch_optional(conn.raw())
    .await?;
    Ok(row.as_ref().map(identity).transpose()?)
}

pub async fn sso_identity_of_member(conn: &mut Conn, member_id: i64) -> StoreResult<Option<SsoIdentityRecord>> {
    let row = sqlx::query(&format!(
        "SELECT {IDENTITY_COLUMNS} FROM sso_identities WHERE member_id = $1"
    ))
    .bind(member_id)
    .fetch_optional(conn.raw())
    .await?;
    Ok(row.as_ref().map(identity).transpose()?)
}

pub async fn link_sso_identity(conn: &mut Conn, i: &SsoIdentityRecord) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO sso_identities (issuer, subject, org_id, member_id, email, linked_at, last_sign_in_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&i.issuer)
    .bind(&i.subject)
    .bind(i.org_id)
    .bind(i.member_id)
    .bind(&i.email)
    .bind(i.linked_at)
    .bind(i.last_sign_in_at)
    .execute(conn.raw())
    .await?;
    Ok(())
}

pub async fn touch_sso_identity(
    conn: &mut Conn,
    org_id: i64,
    issuer: &str,
    subject: &str,
    now: i64,
) -> StoreResult<()> {
    sqlx::query("UPDATE sso_identities SET last_sign_in_at = $4 WHERE org_id = $1 AND issuer = $2 AND subject = $3")
        .bind(org_id)
        .bind(issuer)
        .bind(subject)
        .bind(now)
        .execute(conn.raw())
        .await?;
    Ok(())
}

/// A domain an organization claims.
#[derive(Debug, Clone)]
pub struct SsoDomainRecord {
    pub org_id: i64,
    pub domain: String,
    pub proof: String,
    pub verified_at: Option<i64>,
    pub verified_by: Option<String>,
    pub created_at: i64,
}

fn domain(r: &sqlx::any::AnyRow) -> Result<SsoDomainRecord, sqlx::Error> {
    Ok(SsoDomainRecord {
        org_id: int(r, "org_id")?,
        domain: text(r, "domain")?,
        proof: text(r, "proof")?,
        verified_at: opt_int(r, "verified_at")?,
        verified_by: opt_text(r, "verified_by")?,
        created_at: int(r, "created_at")?,
    })
}

const DOMAIN_COLUMNS: &str = "org_id, domain, proof, verified_at, verified_by, created_at";

pub async fn sso_domains(conn: &mut Conn, org_id: i64) -> StoreResult<Vec<SsoDomainRecord>> {
    let rows = sqlx::query(&format!(
        "SELECT {DOMAIN_COLUMNS} FROM sso_domains WHERE org_id = $1 ORDER BY domain"
    ))
    .bind(org_id)
    .fetch_all(conn.raw())
    .await?;
    Ok(rows.iter().map(domain).collect::<Result<_, _>>()?)
}

/// The organization that has proven `domain`, if any.
pub async fn verified_sso_domain(conn: &mut Conn, domain_name: &str) -> StoreResult<Option<SsoDomainRecord>> {
    let row = sqlx::query(&format!(
        "SELECT {DOMAIN_COLUMNS} FROM sso_domains WHERE domain = $1 AND verified_at IS NOT NULL"
    ))
    .bind(domain_name)
    .fetch_optional(conn.raw())
    .await?;
    Ok(row.as_ref().map(domain).transpose()?)
}

/// Adds a claim (pending) unless the organization has one already.
pub async fn claim_sso_domain(
    conn: &mut Conn,
    org_id: i64,
    domain_name: &str,
    proof: &str,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO sso_domains (org_id, domain, proof, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (org_id, domain) DO NOTHING",
    )
    .bind(org_id)
    .bind(domain_name)
    .bind(proof)
    .bind(now)
    .execute(conn.raw())
    .await?;
    Ok(())
}

/// Marks a claim proven (a unique index keeps a proven domain to one
/// organization: a second one gets a conflict on `domain`).
pub async fn verify_sso_domain(conn: &mut Conn, org_id: i64, domain_name: &str, by: &str, now: i64) -> StoreResult<()> {
    sqlx::query("UPDATE sso_domains SET verified_at = $3, verified_by = $4 WHERE org_id = $1 AND domain = $2")
        .bind(org_id)
        .bind(domain_name)
        .bind(now)
        .bind(by)
        .execute(conn.raw())
        .await?;
    Ok(())
}

pub async fn remove_sso_domain(conn: &mut Conn, org_id: i64, domain_name: &str) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM sso_domains WHERE org_id = $1 AND domain = $2")
        .bind(org_id)
        .bind(domain_name)
        .execute(conn.raw())
        .await?;
    Ok(done.rows_affected() > 0)
}

/// A membership of an account in an organization that requires sign-in
/// through its identity provider.
#[derive(Debug, Clone)]
pub struct SsoRequiredMembership {
    pub org_id: i64,
    pub slug: String,
    pub member_id: i64,
    pub role: String,
    pub issuer: String,
}

pub async fn sso_required_memberships(conn: &mut Conn, account_id: i64) -> StoreResult<Vec<SsoRequiredMembership>> {
    let rows = sqlx::query(
        "SELECT o.id AS org_id, o.slug, m.id AS member_id, m.role, c.issuer FROM members m \
         JOIN organizations o ON o.id = m.org_id JOIN sso_connections c ON c.org_id = m.org_id \
         WHERE m.account_id = $1 AND c.required = 1 ORDER BY o.slug",
    )
    .bind(account_id)
    .fetch_all(conn.raw())
    .await?;
    Ok(rows
        .iter()
        .map(|r| -> Result<_, sqlx::Error> {
            Ok(SsoRequiredMembership {
                org_id: int(r, "org_id")?,
                slug: text(r, "slug")?,
                member_id: int(r, "member_id")?,
                role: text(r, "role")?,
                issuer: text(r, "issuer")?,
            })
        })
        .collect::<Result<_, _>>()?)
}

/// Signing in through the provider accepts the member's pending
/// invitations (they would otherwise expire and end the membership).
pub async fn accept_pending_invitations_of_member(
    conn: &mut Conn,
    org_id: i64,
    member_id: i64,
    now: i64,
) -> StoreResult<u64> {
    let done = sqlx::query(
        "UPDATE invitations SET state = 'accepted', ended_at = $3 WHERE org_id = $1 AND member_id = $2 \
         AND state = 'pending'",
    )
    .bind(org_id)
    .bind(member_id)
    .bind(now)
    .execute(conn.raw())
    .await?;
    Ok(done.rows_affected())
}

/// Keeps the ID token a session was opened with, for the provider's logout.
pub async fn set_session_id_token(conn: &mut Conn, id_hash: &str, id_token: &str) -> StoreResult<()> {
    sqlx::query("UPDATE sessions SET sso_id_token = $2 WHERE id_hash = $1")
        .bind(id_hash)
        .bind(id_token)
        .execute(conn.raw())
        .await?;
    Ok(())
}

pub async fn session_id_token(conn: &mut Conn, id_hash: &str) -> StoreResult<Option<String>> {
    let row = sqlx::query("SELECT sso_id_token FROM sessions WHERE id_hash = $1")
        .bind(id_hash)
        .fetch_optional(conn.raw())
        .await?;
    Ok(row.as_ref().map(|r| opt_text(r, "sso_id_token")).transpose()?.flatten())
}

/// A value of the provider's groups claim and what it gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoGroupRuleRecord {
    pub org_id: i64,
    pub group_value: String,
    pub role: Option<String>,
    pub team_id: Option<i64>,
    pub created_at: i64,
}

pub async fn sso_group_rules(conn: &mut Conn, org_id: i64) -> StoreResult<Vec<SsoGroupRuleRecord>> {
    let rows = sqlx::query(
        "SELECT org_id, group_value, role, team_id, created_at FROM sso_group_rules WHERE org_id = $1 \
         ORDER BY group_value, role, team_id",
    )
    .bind(org_id)
    .fetch_all(conn.raw())
    .await?;
    Ok(rows
        .iter()
        .map(|r| -> Result<_, sqlx::Error> {
            Ok(SsoGroupRuleRecord {
                org_id: int(r, "org_id")?,
                group_value: text(r, "group_value")?,
                role: opt_text(r, "role")?,
                team_id: opt_int(r, "team_id")?,
                created_at: int(r, "created_at")?,
            })
        })
        .collect::<Result<_, _>>()?)
}

/// Adds a rule; false when the same one exists.
pub async fn add_sso_group_rule(conn: &mut Conn, rule: &SsoGroupRuleRecord) -> StoreResult<bool> {
    let exists = sqlx::query(
        "SELECT 1 AS one FROM sso_group_rules WHERE org_id = $1 AND group_value = $2 \
         AND COALESCE(role, '') = COALESCE($3, '') AND COALESCE(team_id, 0) = COALESCE($4, 0)",
    )
    .bind(rule.org_id)
    .bind(&rule.group_value)
    .bind(rule.role.as_deref())
    .bind(rule.team_id)
    .fetch_optional(conn.raw())
    .await?;
    if exists.is_some() {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO sso_group_rules (org_id, group_value, role, team_id, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(rule.org_id)
    .bind(&rule.group_value)
    .bind(rule.role.as_deref())
    .bind(rule.team_id)
    .bind(rule.created_at)
    .execute(conn.raw())
    .await?;
    Ok(true)
}

/// Removes every rule of a group value; returns how many.
pub async fn remove_sso_group_rules(conn: &mut Conn, org_id: i64, group_value: &str) -> StoreResult<u64> {
    let done = sqlx::query("DELETE FROM sso_group_rules WHERE org_id = $1 AND group_value = $2")
        .bind(org_id)
        .bind(group_value)
        .execute(conn.raw())
        .await?;
    Ok(done.rows_affected())
}

/// Replaces the roles the provider's groups give a member.
pub async fn set_sso_role_grants(conn: &mut Conn, org_id: i64, member_id: i64, roles: &[String]) -> StoreResult<()> {
    sqlx::query("DELETE FROM sso_role_grants WHERE org_id = $1 AND member_id = $2")
        .bind(org_id)
        .bind(member_id)
        .execute(conn.raw())
        .await?;
    for role in roles {
        sqlx::query("INSERT INTO sso_role_grants (org_id, member_id, role) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(org_id)
            .bind(member_id)
            .bind(role)
            .execute(conn.raw())
            .await?;
    }
    Ok(())
}

/// Whether the organization's owner has an identity of its provider linked.
pub async fn owner_has_sso_identity(conn: &mut Conn, org_id: i64) -> StoreResult<bool> {
    let row = sqlx::query(
        "SELECT 1 AS one FROM members m JOIN sso_identities i ON i.member_id = m.id \
         WHERE m.org_id = $1 AND m.role = 'owner' LIMIT 1",
    )
    .bind(org_id)
    .fetch_optional(conn.raw())
    .await?;
    Ok(row.is_some())
}
