//! Settings of the whole instance, kept in the database so that every
//! process of it (servers, commands beside them) sees the same value.

use crate::rows::{int, text};
use crate::{Conn, StoreResult};

/// A setting's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstanceSetting {
    /// The base URL the last `roster serve` served under.
    ServedBaseUrl,
}

impl InstanceSetting {
    fn name(self) -> &'static str {
        match self {
            InstanceSetting::ServedBaseUrl => "served_base_url",
        }
    }
}

/// A setting's value and when it was last written (UTC milliseconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceValue {
    pub value: String,
    pub updated_at: i64,
}

pub async fn instance_setting(conn: &mut Conn, setting: InstanceSetting) -> StoreResult<Option<InstanceValue>> {
    let row = sqlx::query("SELECT value, updated_at FROM instance_settings WHERE name = $1")
        .bind(setting.name())
        .fetch_optional(conn.raw())
        .await?;
    Ok(match row {
        Some(r) => Some(InstanceValue {
            value: text(&r, "value")?,
            updated_at: int(&r, "updated_at")?,
        }),
        None => None,
    })
}

pub async fn set_instance_setting(conn: &mut Conn, setting: InstanceSetting, value: &str, now: i64) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO instance_settings (name, value, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    )
    .bind(setting.name())
    .bind(value)
    .bind(now)
    .execute(conn.raw())
    .await?;
    Ok(())
}
