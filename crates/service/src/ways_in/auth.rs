use std::sync::Arc;

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::RngCore;
use roster_domain::{now_millis, MemberStatus, PermissionSet, Role};
use roster_store::{custom_role, member_by_id, org_by_id, token_by_hash, token_by_id};

use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use crate::{Actor, ActorRef, RequestContext, Service, ServiceError, ServiceResult};

/// A fresh random secret: 256 bits from the OS generator, hex encoded,
/// behind a prefix that says what it is (`rst_` API token, `rss_` setup).
pub fn new_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let mut out = String::with_capacity(prefix.len() + 64);
    out.push_str(prefix);
    for b in bytes {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Secrets are stored only as their SHA-256 (they are 256 random bits, so
/// a slow hash adds nothing).
pub fn sha256_hex(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn argon2() -> Argon2<'static> {
    // OWASP: argon2id, 19 MiB, 2 iterations, 1 lane.
    // (These parameters are valid; argon2's defaults are the same OWASP ones.)
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password (argon2id, OWASP parameters).
pub fn hash_password(password: &str) -> ServiceResult<String> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ServiceError::Internal(e.to_string().into()))
}

/// Bounds how many argon2 computations (19 MiB each) run at once: a burst of
/// sign-ins waits briefly, then gets "rate limited" instead of exhausting memory.
#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    wait: std::time::Duration,
}

impl PasswordHasher {
    /// At most `parallel` hashes at once; a caller waits at most `wait` for
    /// its turn, then gets "rate limited".
    pub fn new(parallel: usize, wait: std::time::Duration) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(parallel)),
            wait,
        }
    }

    pub async fn hash(&self, password: String) -> ServiceResult<String> {
        let _permit = self.permit().await?;
        tokio::task::spawn_blocking(move || hash_password(&password))
            .await
            .map_err(|e| ServiceError::Internal(Box::new(e)))?
    }

    /// Verifies `password`; with no stored hash it still spends the same work
    /// on a dummy hash, so that an unknown account answers like a wrong password.
    pub async fn verify(&self, password: String, stored: Option<String>) -> ServiceResult<bool> {
        let _permit = self.permit().await?;
        tokio::task::spawn_blocking(move || {
            let dummy =
                "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$wN0V4cw3X5J4z5i8p4Fh8mB+QzjBrt2uRH2dFNh6Hqk";
            let hash = stored.as_deref().unwrap_or(dummy);
            let ok = PasswordHash::new(hash)
                .map(|h| argon2().verify_password(password.as_bytes(), &h).is_ok())
                .unwrap_or(false);
            ok && stored.is_some()
        })
        .await
        .map_err(|e| ServiceError::Internal(Box::new(e)))
    }

    async fn permit(&self) -> ServiceResult<tokio::sync::SemaphorePermit<'_>> {
        tokio::time::timeout(self.wait, self.permits.acquire())
            .await
            .map_err(|_| ServiceError::RateLimited)?
            .map_err(|e| ServiceError::Internal(Box::new(e)))
    }
}

impl Service {
    /// The permissions a role carries in an organization.
    pub(crate) async fn permissions_of(
        &self,
        conn: &mut roster_store::Conn,
        org_id: i64,
        role: &Role,
    ) -> ServiceResult<PermissionSet> {
        match role {
            Role::Builtin(b) => Ok(b.permissions()),
            Role::Custom(key) => match custom_role(conn, org_id, key).await? {
                Some(r) => Ok(PermissionSet::parse_csv(&r.permissions)?),
                // A deleted custom role grants nothing.
                None => Ok(PermissionSet::default()),
            },
        }
    }

    /// Turns a bearer API token into the actor it stands for, inside the
    /// organization named by `slug`. A token of another organization gets
    /// "not found", exactly as an organization that does not exist; an
    /// expired or revoked token, or one whose member is gone, is no token.
    pub async fn actor_for_token(&self, token: &str, slug: &str, context: RequestContext) -> ServiceResult<Actor> {
        let mut conn = self.store().conn().await?;
        let Some(record) = token_by_hash(&mut conn, &sha256_hex(token)).await? else {
            drop(conn);
            self.audit_refusal(None, "token:unknown", "authentication", &context)
                .await;
            return Err(ServiceError::Unauthenticated);
        };
        let org = org_by_id(&mut conn, record.org_id)
            .await?
            .ok_or(ServiceError::Unauthenticated)?;
        if org.slug != slug {
            return Err(ServiceError::NotFound("organization"));
        }
        let now = now_millis();
        let actor = match self.token_actor(&mut conn, &org, &record, now, context.clone()).await? {
            Ok(actor) => actor,
            Err(why) => {
                drop(conn);
                self.audit_refusal(Some(org.id), &format!("token:{}", record.id), why, &context)
                    .await;
                return Err(ServiceError::Unauthenticated);
            }
        };
        drop(conn);
        // Last use, at most once a minute, in the background: a read never
        // waits for SQLite's writer.
        if record.last_used_at.is_none_or(|t| t < now - 60_000) {
            self.deferred.token_used(record.id, now).await?;
        }
        Ok(actor)
    }

    /// The actor a live token stands for, with at most its member's current
    /// rights; or why it stands for nobody (expired, its member gone).
    async fn token_actor(
        &self,
        conn: &mut roster_store::Conn,
        org: &roster_store::OrgRecord,
        record: &roster_store::TokenRecord,
        now: i64,
        context: RequestContext,
    ) -> ServiceResult<Result<Actor, &'static str>> {
        if record.revoked_at.is_some() {
            return Ok(Err("token.revoked"));
        }
        if record.expires_at.is_some_and(|at| at <= now) {
            return Ok(Err("token.expired"));
        }
        let mut role = Role::parse(&record.role)?;
        let mut permissions = self.permissions_of(conn, org.id, &role).await?;
        if let Some(member_id) = record.member_id {
            let Some(member) = member_by_id(conn, org.id, member_id)
                .await?
                .filter(|m| MemberStatus::parse(&m.status).is_ok_and(MemberStatus::acts))
            else {
                return Ok(Err("token.member_gone"));
            };
            let member_role = Role::parse(&member.role)?;
            let member_permissions = self.permissions_of(conn, org.id, &member_role).await?;
            permissions = permissions.intersection(&member_permissions);
            // A division admin's token reaches only their divisions.
            if member_role.is_division_admin() {
                role = member_role;
            }
        }
        Ok(Ok(Actor {
            org_id: org.id,
            org_slug: org.slug.clone(),
            role,
            permissions,
            member_id: record.member_id,
            label: format!("token:{}", record.id),
            context,
            directory: false,
        }))
    }

    /// The actor a job's starter is now: their current rights, read again.
    /// Fails (closed) when the actor is gone or cannot be read; a job never
    /// falls back to acting as the system.
    pub async fn current_actor(&self, org_id: i64, who: &ActorRef) -> ServiceResult<Actor> {
        let mut conn = self.store().conn().await?;
        let org = org_by_id(&mut conn, org_id)
            .await?
            .ok_or(ServiceError::NotFound("organization"))?;
        let context = RequestContext {
            ip: "job".into(),
            request_id: String::new(),
        };
        match who {
            ActorRef::System => Ok(Actor::system(org.id, &org.slug)),
            ActorRef::Member(id) => {
                let member = member_by_id(&mut conn, org.id, *id)
                    .await?
                    .filter(|m| MemberStatus::parse(&m.status).is_ok_and(MemberStatus::acts))
                    .ok_or_else(|| ServiceError::forbidden("the member who started this is no longer a member"))?;
                self.member_actor(&mut conn, &org, &member, context).await
            }
            ActorRef::Token(id) => {
                let record = token_by_id(&mut conn, org.id, *id)
                    .await?
                    .ok_or_else(|| ServiceError::forbidden("the token that started this is gone"))?;
                match self
                    .token_actor(&mut conn, &org, &record, now_millis(), context)
                    .await?
                {
                    Ok(actor) => Ok(actor),
                    Err(why) => Err(ServiceError::forbidden(format!(
                        "the token that started this no longer acts ({why})"
                    ))),
                }
            }
        }
    }

    /// A member of `org` as an actor, with their role's permissions.
    pub(crate) async fn member_actor(
        &self,
        conn: &mut roster_store::Conn,
        org: &roster_store::OrgRecord,
        member: &roster_store::MemberRecord,
        context: RequestContext,
    ) -> ServiceResult<Actor> {
        let role = Role::parse(&member.role)?;
        let permissions = self.permissions_of(conn, org.id, &role).await?;
        Ok(Actor {
            org_id: org.id,
            org_slug: org.slug.clone(),
            role,
            permissions,
            member_id: Some(member.id),
            label: format!("member:{}", member.id),
            context,
            directory: false,
        })
    }

    /// The actor for the local operator (CLI) in organization `slug`.
    pub async fn system_actor(&self, slug: &str) -> ServiceResult<Actor> {
        let mut conn = self.store().conn().await?;
        let org = roster_store::org_by_slug(&mut conn, slug)
            .await?
            .ok_or(ServiceError::NotFound("organization"))?;
        Ok(Actor::system(org.id, &org.slug))
    }
}
