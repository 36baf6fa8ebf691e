//! What every process of one Roster instance must agree on, kept in its
//! database: the base URL `roster serve` serves under, which commands run
//! beside it use for their links when none is configured for them.

use roster_domain::now_millis;
use roster_store::{instance_setting, set_instance_setting, InstanceSetting};

use crate::{Service, ServiceResult, Timestamp};

/// The base URL a server recorded, and when it last did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedBaseUrl {
    pub url: String,
    pub recorded_at: Timestamp,
}

impl Service {
    /// Records the base URL this server serves under (`roster serve`, at
    /// start): the last server started is the truth.
    pub async fn record_served_base_url(&self, url: &str) -> ServiceResult<()> {
        let mut tx = self.store().begin().await?;
        set_instance_setting(&mut tx, InstanceSetting::ServedBaseUrl, url, now_millis()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The base URL the last `roster serve` recorded, if one ever ran here.
    pub async fn served_base_url(&self) -> ServiceResult<Option<RecordedBaseUrl>> {
        let mut conn = self.store().conn().await?;
        Ok(instance_setting(&mut conn, InstanceSetting::ServedBaseUrl)
            .await?
            .map(|v| RecordedBaseUrl {
                url: v.value,
                recorded_at: Timestamp::from_millis(v.updated_at),
            }))
    }
}
