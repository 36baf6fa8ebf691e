use serde::Serialize;

use crate::rows::{int, text};
use crate::{Conn, StoreResult};

#[derive(Debug, Clone, Serialize)]
pub struct CustomFieldRecord {
    pub id: i64,
    pub key: String,
    pub label: String,
    pub kind: String,
    pub choices: Vec<String>,
}

pub async fn insert_custom_field(
    conn: &mut Conn,
    org_id: i64,
    key: &str,
    label: &str,
    kind: &str,
    choices: &[String],
    now: i64,
) -> StoreResult<i64> {
    let choices = serde_json::to_string(choices).map_err(|e| crate::StoreError::Corrupt(e.to_string()))?;
    Ok(sqlx::query_scalar(
        "INSERT INTO custom_fields (org_id, key, label, kind, choices, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(org_id)
    .bind(key)
    .bind(label)
    .bind(kind)
    .bind(choices)
    .bind(now)
    .fetch_one(conn.raw())
    .await?)
}

pub async fn custom_fields(conn: &mut Conn, org_id: i64) -> StoreResult<Vec<CustomFieldRecord>> {
    let rows = sqlx::query("SELECT id, key, label, kind, choices FROM custom_fields WHERE org_id = $1 ORDER BY key")
        .bind(org_id)
        .fetch_all(conn.raw())
        .await?;
    rows.iter()
        .map(|r| {
            let choices =
                serde_json::from_str(&text(r, "choices")?).map_err(|e| crate::StoreError::Corrupt(e.to_string()))?;
            Ok(CustomFieldRecord {
                id: int(r, "id")?,
                key: text(r, "key")?,
                label: text(r, "label")?,
                kind: text(r, "kind")?,
                choices,
            })
        })
        .collect()
}

pub async fn delete_custom_field(conn: &mut Conn, org_id: i64, key: &str) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM custom_fields WHERE org_id = $1 AND key = $2")
        .bind(org_id)
        .bind(key)
        .execute(conn.raw())
        .await?;
    Ok(done.rows_affected() == 1)
}
