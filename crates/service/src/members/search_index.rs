//! The substring-search index catching up after an import (see
//! `roster_store::bulk::SearchIndexing`): on SQLite the members an import
//! adds go into the full-text index afterwards, a batch per transaction,
//! between jobs; until they have, the organization's searches read the
//! members' text, which is exact.

use crate::{Actor, Service, ServiceResult};

/// Members per transaction: a short hold of SQLite's one writer.
const BATCH: i64 = 5_000;

impl Service {
    /// Indexes up to `budget` members that are not in the search index yet,
    /// a batch per transaction; returns how many (fewer than `budget`: none
    /// are left).
    pub async fn catch_up_search(&self, budget: usize) -> ServiceResult<usize> {
        let started = std::time::Instant::now();
        let mut done = 0;
        while done < budget {
            let mut tx = self.store().begin().await?;
            let Some(org_id) = roster_store::bulk::an_org_with_search_backlog(&mut tx).await? else {
                tx.rollback().await?;
                break;
            };
            let n = roster_store::bulk::catch_up_search(&mut tx, org_id, BATCH).await?;
            tx.commit().await?;
            done += usize::try_from(n).unwrap_or(usize::MAX);
            if n == 0 {
                break;
            }
        }
        if done > 0 {
            tracing::info!(
                members = done,
                catch_up_ms = started.elapsed().as_millis() as u64,
                "put members into the search index"
            );
        }
        Ok(done)
    }

    /// How many of the actor's organization's members search finds without
    /// its index, for now (0 once the index has caught up).
    pub async fn search_backlog(&self, actor: &Actor) -> ServiceResult<i64> {
        let mut conn = self.store().conn().await?;
        Ok(roster_store::bulk::search_backlog(&mut conn, actor.org_id).await?)
    }
}
