//! Downloading an export: the downloader's rights are those they hold now
//! (the capability is made per request), the file is read a part at a
//! time, and past the retention the answer is "gone" even before the
//! worker has purged the file.

use roster_domain::now_millis;
use roster_store::Store;

use super::{visible_export, ExportStatus, ExportView};
use crate::{Can, Export, Service, ServiceError, ServiceResult};

/// A ready export's file, read a part at a time.
pub struct ExportReader {
    store: Store,
    id: String,
    part: i64,
    pub view: ExportView,
}

impl ExportReader {
    pub fn content_type(&self) -> &'static str {
        self.view.format.content_type()
    }

    /// The next part of the file, or `None` after the last.
    pub async fn next_part(&mut self) -> ServiceResult<Option<Vec<u8>>> {
        let mut conn = self.store.conn().await?;
        let part = roster_store::export_part(&mut conn, &self.id, self.part).await?;
        self.part += 1;
        Ok(part)
    }
}

impl Service {
    /// The export's file, if it is ready and within its retention.
    pub async fn export_file(&self, can: Can<'_, Export>, id: &str) -> ServiceResult<ExportReader> {
        let mut conn = self.store().conn().await?;
        let record = visible_export(&mut conn, can.actor(), id).await?;
        let view = ExportView::new(record)?;
        let expired = || ServiceError::Gone {
            code: "export_expired",
            message: "this export has expired and its file was deleted; make it again".into(),
        };
        match view.status {
            ExportStatus::Ready if view.expires_at.is_some_and(|t| t.millis() <= now_millis()) => Err(expired()),
            ExportStatus::Ready => Ok(ExportReader {
                store: self.store().clone(),
                id: view.id.clone(),
                part: 0,
                view,
            }),
            ExportStatus::Expired => Err(expired()),
            ExportStatus::Failed => Err(ServiceError::conflict(
                "export_failed",
                None,
                format!(
                    "this export failed: {}",
                    view.error.as_deref().unwrap_or("no reason given")
                ),
            )),
            ExportStatus::Queued | ExportStatus::Running => Err(ServiceError::conflict(
                "export_not_ready",
                None,
                "this export is not written yet; its status says how far it is",
            )),
        }
    }

    /// Purges the files of exports past their retention; returns how many.
    pub async fn expire_exports(&self) -> ServiceResult<u64> {
        self.expire_exports_at(now_millis()).await
    }

    /// [`Service::expire_exports`] as of `now` (tests move the clock).
    pub async fn expire_exports_at(&self, now: i64) -> ServiceResult<u64> {
        let mut tx = self.store().begin().await?;
        let expired = roster_store::expire_exports(&mut tx, now).await?;
        roster_store::purge_old_exports(&mut tx, now).await?;
        tx.commit().await?;
        if expired > 0 {
            tracing::info!(expired, "purged exports past their retention");
        }
        Ok(expired)
    }
}
