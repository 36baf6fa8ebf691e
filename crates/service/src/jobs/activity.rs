//! The Imports/Exports dashboard: every import and export of the
//! organization's job history period, newest first, with live progress.

use roster_domain::{now_millis, Permission, Timestamp};
use serde::{Deserialize, Serialize};

use crate::exports::ExportView;
use crate::imports::{ImportStatus, ImportSummary, ImportView};
use crate::{Can, ReadOrg, Service, ServiceError, ServiceResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    Import,
    Export,
}

/// Where an entry stands, for both kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActivityStatus {
    /// Waiting for a worker, or (an import) checked and not applied.
    Waiting,
    Running,
    /// Applied, or (an export) ready to download.
    Done,
    Failed,
    /// An undone or cancelled import, or an export past its retention.
    Ended,
}

impl ActivityStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Waiting => "waiting",
            Self::Running => "running",
            Self::Done => "done",
            Self::Failed => "failed",
            Self::Ended => "ended",
        }
    }
}

/// The dashboard's filters.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivityFilter {
    pub kind: Option<ActivityKind>,
    pub status: Option<ActivityStatus>,
}

/// One import or export on the dashboard.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(rename = "Activity")]
pub struct ActivityView {
    pub kind: ActivityKind,
    /// The import's id (a number, as text) or the export's.
    pub id: String,
    /// What it is, as people read it: "Import", "Members export (CSV)".
    pub what: String,
    pub file_name: String,
    /// Who started it (`member:12`, `token:3`, `cli`) and their name.
    pub created_by: String,
    pub created_by_name: String,
    pub created_at: Timestamp,
    pub finished_at: Option<Timestamp>,
    pub status: ActivityStatus,
    /// The import's or export's own status, as people read it.
    pub status_label: String,
    /// Rows done, and of how many when known.
    pub progress_done: i64,
    pub progress_total: Option<i64>,
    /// What it did: "1,200 rows: 1,000 created, 200 unchanged".
    pub result: String,
    /// Why it failed.
    pub failure: Option<String>,
    /// An import's counts.
    pub import: Option<ImportSummary>,
    /// An export: until when its file can be downloaded.
    pub expires_at: Option<Timestamp>,
}

fn import_entry(view: ImportView, progress: Option<(i64, Option<i64>)>) -> ActivityView {
    let status = match view.status {
        ImportStatus::Uploaded => ActivityStatus::Waiting,
        ImportStatus::Applying => ActivityStatus::Running,
        ImportStatus::Applied => ActivityStatus::Done,
        ImportStatus::Failed => ActivityStatus::Failed,
        ImportStatus::Undone | ImportStatus::Cancelled => ActivityStatus::Ended,
    };
    let s = &view.summary;
    let result = if view.status.finished() && s.rows > 0 {
        format!(
            "{} rows: {} created, {} updated, {} unchanged, {} with errors",
            s.rows, s.created, s.updated, s.unchanged, s.error
        )
    } else {
        String::new()
    };
    let (done, total) = progress.unwrap_or((s.rows as i64, Some(s.rows as i64)));
    ActivityView {
        kind: ActivityKind::Import,
        id: view.id.to_string(),
        what: "Import".into(),
        file_name: view.file_name,
        created_by_name: String::new(),
        created_by: view.created_by,
        created_at: view.created_at,
        finished_at: view.applied_at.or(view.undone_at),
        status,
        status_label: view.status.label().to_owned(),
        progress_done: done,
        progress_total: total,
        result,
        failure: s.failure.clone(),
        import: Some(view.summary),
        expires_at: None,
    }
}

fn export_entry(view: ExportView) -> ActivityView {
    use crate::exports::ExportStatus as S;
    let status = match view.status {
        S::Queued => ActivityStatus::Waiting,
        S::Running => ActivityStatus::Running,
        S::Ready => ActivityStatus::Done,
        S::Failed => ActivityStatus::Failed,
        S::Expired => ActivityStatus::Ended,
    };
    let format = match view.csv_dialect {
        Some(d) => format!("CSV, {}", d.as_str()),
        None => "XLSX".into(),
    };
    ActivityView {
        kind: ActivityKind::Export,
        what: format!("{} export ({format})", view.kind_label),
        file_name: view.file_name,
        created_by_name: String::new(),
        created_by: view.requested_by,
        created_at: view.created_at,
        finished_at: view.finished_at,
        status,
        status_label: view.status_label,
        progress_done: view.rows_done,
        progress_total: view.rows_total,
        result: match (view.status, view.size_bytes) {
            (S::Ready | S::Expired, Some(bytes)) => format!("{} rows, {}", view.rows_done, human_size(bytes)),
            _ => String::new(),
        },
        failure: view.error,
        import: None,
        expires_at: view.expires_at,
        id: view.id,
    }
}

fn human_size(bytes: i64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} B"),
        b if b < 1024 * 1024 => format!("{:.1} KB", b as f64 / 1024.0),
        b => format!("{:.1} MB", b as f64 / 1024.0 / 1024.0),
    }
}

impl Service {
    /// The dashboard: the imports (for those who may import) and exports
    /// (for those who may export) of the job history period, newest first.
    pub async fn activity(&self, can: Can<'_, ReadOrg>, filter: ActivityFilter) -> ServiceResult<Vec<ActivityView>> {
        let actor = can.actor();
        let mut conn = self.store().conn().await?;
        let org = roster_store::org_by_id(&mut conn, actor.org_id)
            .await?
            .ok_or(ServiceError::NotFound("organization"))?;
        let since = now_millis() - org.job_history_days.max(1) * 86_400_000;
        let mut entries = Vec::new();
        if actor.permissions.contains(Permission::Import) && filter.kind != Some(ActivityKind::Export) {
            for record in roster_store::list_imports(&mut conn, actor.org_id, 500).await? {
                if record.created_at < since {
                    continue;
                }
                let view = ImportView::new(record)?;
                let progress = match (view.status, view.job_id) {
                    (ImportStatus::Applying, Some(job)) => self.progress_of(actor.org_id, job).await?,
                    _ => None,
                };
                entries.push(import_entry(view, progress));
            }
        }
        if actor.permissions.contains(Permission::Export) && filter.kind != Some(ActivityKind::Import) {
            drop(conn);
            for view in self.exports_in_history(actor, since).await? {
                entries.push(export_entry(view));
            }
            conn = self.store().conn().await?;
        }
        if let Some(status) = filter.status {
            entries.retain(|e| e.status == status);
        }
        entries.sort_by_key(|e| std::cmp::Reverse(e.created_at));
        // Who: the member's name where the label names a member (read once per person).
        let mut names: std::collections::HashMap<i64, String> = std::collections::HashMap::new();
        for e in &mut entries {
            e.created_by_name = match crate::ActorRef::from_label(&e.created_by) {
                Some(crate::ActorRef::Member(id)) => match names.get(&id) {
                    Some(name) => name.clone(),
                    None => {
                        let name = roster_store::member_by_id(&mut conn, actor.org_id, id)
                            .await?
                            .map(|m| format!("{} {}", m.first_name, m.last_name).trim().to_owned())
                            .unwrap_or_default();
                        names.insert(id, name.clone());
                        name
                    }
                },
                Some(crate::ActorRef::Token(id)) => format!("API token {id}"),
                Some(crate::ActorRef::System) => "Command line".into(),
                None => String::new(),
            };
        }
        Ok(entries)
    }
}
