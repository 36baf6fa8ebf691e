use std::sync::Arc;

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::RngCore;
use roster_domain::{now_millis, PermissionSet, Role};
use roster_store::{custom_role, org_by_id, token_by_hash, touch_token};
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use crate::{Actor, RequestContext, Service, ServiceError, ServiceResult};

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
    /// "not found", exactly as an organization that does not exist.
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
        let role = Role::parse(&record.role)?;
        let permissions = self.permissions_of(&mut conn, org.id, &role).await?;
        drop(conn);
        let now = now_millis();
        if record.last_used_at.is_none_or(|t| t < now - 60_000) {
            let mut tx = self.store().begin().await?;
            touch_token(&mut tx, record.id, now).await?;
            tx.commit().await?;
        }
        Ok(Actor {
            org_id: org.id,
            org_slug: org.slug,
            role,
            permissions,
            member_id: None,
            label: format!("token:{}", record.id),
            context,
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
