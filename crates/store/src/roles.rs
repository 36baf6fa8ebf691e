use serde::Serialize;

use crate::rows::{int, text};
use crate::{Conn, StoreResult};

#[derive(Debug, Clone, Serialize)]
pub struct CustomRoleRecord {
    pub id: i64,
    pub key: String,
    pub name: String,
    /// Comma-separated permission names.
    pub permissions: String,
}

pub async fn insert_custom_role(
    conn: &mut Conn,
    org_id: i64,
    key: &str,
    name: &str,
    permissions: &str,
    now: i64,
) -> StoreResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO custom_roles (org_id, key, name, permissions, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(org_id)
    .bind(key)
    .bind(name)
    .bind(permissions)
    .bind(now)
    .fetch_one(conn.raw())
    .await?)
}

pub async fn custom_roles(conn: &mut Conn, org_id: i64) -> StoreResult<Vec<CustomRoleRecord>> {
    let rows = sqlx::query("SELECT id, key, name, permissions FROM custom_roles WHERE org_id = $1 ORDER BY key")
        .bind(org_id)
        .fetch_all(conn.raw())
        .await?;
    rows.iter()
        .map(|r| {
            Ok(CustomRoleRecord {
                id: int(r, "id")?,
                key: text(r, "key")?,
                name: text(r, "name")?,
                permissions: text(r, "permissions")?,
            })
        })
        .collect()
}

pub async fn custom_role(conn: &mut Conn, org_id: i64, key: &str) -> StoreResult<Option<CustomRoleRecord>> {
    Ok(custom_roles(conn, org_id).await?.into_iter().find(|r| r.key == key))
}

pub async fn delete_custom_role(conn: &mut Conn, org_id: i64, key: &str) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM custom_roles WHERE org_id = $1 AND key = $2")
        .bind(org_id)
        .bind(key)
        .execute(conn.raw())
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Members and tokens holding `role` (a role in use cannot be deleted).
pub async fn role_holders(conn: &mut Conn, org_id: i64, role: &str) -> StoreResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM members WHERE org_id = $1 AND role = $2 AND status <> 'removed') + \
         (SELECT COUNT(*) FROM api_tokens WHERE org_id = $1 AND role = $2 AND revoked_at IS NULL)",
    )
    .bind(org_id)
    .bind(role)
    .fetch_one(conn.raw())
    .await?)
}
