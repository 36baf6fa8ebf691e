//! Computing members' sort keys again in the background (see
//! `roster_store::sort_keys`): after an upgrade that changes how names sort,
//! and after an organization's language changed to or from Dutch.

use crate::{Service, ServiceResult};

/// Members per transaction: a short hold of SQLite's one writer.
const BATCH: i64 = 1_000;

impl Service {
    /// Computes up to `budget` stale sort keys, a batch per transaction;
    /// returns how many it wrote (fewer than `budget`: none are left).
    pub async fn refresh_sort_keys(&self, budget: usize) -> ServiceResult<usize> {
        let mut done = 0;
        let mut after = 0;
        while done < budget {
            let mut tx = self.store().begin().await?;
            let stale = roster_store::stale_sort_keys(&mut tx, after, BATCH).await?;
            let Some(last) = stale.last() else {
                tx.rollback().await?;
                break;
            };
            after = last.id;
            roster_store::write_sort_keys(&mut tx, &stale).await?;
            tx.commit().await?;
            done += stale.len();
        }
        if done > 0 {
            tracing::info!(members = done, "computed members' name sort keys");
        }
        Ok(done)
    }
}
