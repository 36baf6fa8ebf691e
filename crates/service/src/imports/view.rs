//! An import as the service shows it, and the one vocabulary of what
//! happens to a row — in the preview and in the result.

use roster_bulk::{Detected, Mapping};
use roster_domain::Timestamp;
use roster_store::ImportRecord;
use serde::{Deserialize, Serialize};

use super::ImportOptions;
use crate::{ServiceError, ServiceResult};

/// What applying does (or did) with a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RowAction {
    Create,
    Update,
    Unchanged,
    Error,
    /// Not written: an all-or-nothing import with errors elsewhere.
    Skipped,
}

impl RowAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::Unchanged => "unchanged",
            Self::Error => "error",
            Self::Skipped => "skipped",
        }
    }

    /// As people read it: what applying would do, or what it did.
    pub fn label(self, applied: bool) -> &'static str {
        match (self, applied) {
            (Self::Create, false) => "create",
            (Self::Create, true) => "created",
            (Self::Update, false) => "update",
            (Self::Update, true) => "updated",
            (Self::Unchanged, _) => "unchanged",
            (Self::Error, _) => "error",
            (Self::Skipped, _) => "skipped",
        }
    }

    /// How a result is stored (`import_rows.action`).
    pub(crate) fn stored(self) -> &'static str {
        self.label(true)
    }

    pub(crate) fn from_stored(raw: &str) -> ServiceResult<Self> {
        Ok(match raw {
            "created" => Self::Create,
            "updated" => Self::Update,
            "unchanged" => Self::Unchanged,
            "error" => Self::Error,
            "skipped" => Self::Skipped,
            other => {
                return Err(ServiceError::Internal(
                    format!("a row's stored action is {other:?}").into(),
                ))
            }
        })
    }
}

impl std::fmt::Display for RowAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label(false))
    }
}

pub use roster_domain::ImportStatus;

/// What applying an import did: counts of rows, and why it failed, if it did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ImportSummary {
    pub rows: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Rows not applied for their errors.
    pub error: u64,
    /// Nothing was applied because some row had an error.
    pub all_or_nothing: bool,
    /// Why applying failed as a whole (seats, the importer's rights, a crash).
    pub failure: Option<String>,
    /// Rows an import that failed had committed when it stopped (it commits
    /// in chunks): undone at once (`undone`) when it failed for its rows or
    /// seats; otherwise kept, and the import's undo takes them back.
    pub committed: u64,
    /// What undoing the committed rows of a failed import did.
    pub undone: Option<UndoneRows>,
}

/// What undoing an import's committed rows did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct UndoneRows {
    /// Members the import had added, removed again.
    pub removed: u64,
    /// Members whose values before the import were restored.
    pub restored: u64,
    /// Members kept as they are: edited or signed in since (the report lists them).
    pub kept: u64,
}

impl ImportSummary {
    /// Reads a stored summary: the counts, and a failure's reason (kept as
    /// `failure`, or by imports of earlier versions as a text `error`).
    pub(crate) fn from_stored(value: &serde_json::Value) -> ServiceResult<Self> {
        let Some(object) = value.as_object() else {
            return Err(ServiceError::Internal("an import's summary is not an object".into()));
        };
        let count = |key: &str| object.get(key).and_then(serde_json::Value::as_u64).unwrap_or(0);
        let failure = object
            .get("failure")
            .or_else(|| object.get("error").filter(|e| e.is_string()))
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned);
        Ok(Self {
            rows: count("rows"),
            created: count("created"),
            updated: count("updated"),
            unchanged: count("unchanged"),
            error: count("error"),
            all_or_nothing: object
                .get("all_or_nothing")
                .and_then(serde_json::Value::as_bool)
                .unwrap_or(false),
            failure,
            committed: count("committed"),
            undone: object
                .get("undone")
                .and_then(|u| serde_json::from_value(u.clone()).ok()),
        })
    }

    pub(crate) fn stored(&self) -> serde_json::Value {
        // (A struct of numbers, a flag and a text always serializes.)
        serde_json::to_value(self).unwrap_or_default()
    }

    pub(crate) fn failed(why: &str) -> Self {
        Self {
            failure: Some(why.to_owned()),
            ..Self::default()
        }
    }
}

/// An import: the file as read, its mapping, where it stands.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(rename = "Import")]
pub struct ImportView {
    pub id: i64,
    pub status: ImportStatus,
    pub status_label: String,
    /// The uploaded file's name, shown only.
    pub file_name: String,
    pub detected: Detected,
    pub mapping: Mapping,
    pub options: ImportOptions,
    pub summary: ImportSummary,
    pub job_id: Option<i64>,
    pub created_by: String,
    pub created_at: Timestamp,
    pub applied_at: Option<Timestamp>,
    pub undone_at: Option<Timestamp>,
    /// Who asked the import to stop while it applies (it stops at its next
    /// chunk and takes back what it committed).
    pub cancel_requested_by: Option<String>,
}

impl ImportView {
    pub(crate) fn new(r: ImportRecord) -> ServiceResult<Self> {
        let unreadable = |what: &str, e: serde_json::Error| {
            ServiceError::Internal(format!("the import's stored {what} is unreadable: {e}").into())
        };
        let status = r.status;
        Ok(Self {
            status_label: status.label().to_owned(),
            status,
            id: r.id,
            file_name: r.file_name,
            detected: serde_json::from_value(r.detected).map_err(|e| unreadable("detected format", e))?,
            mapping: serde_json::from_value(r.mapping).map_err(|e| unreadable("mapping", e))?,
            options: serde_json::from_value(r.options).map_err(|e| unreadable("options", e))?,
            summary: ImportSummary::from_stored(&r.summary)?,
            job_id: r.job_id,
            created_by: r.created_by,
            created_at: Timestamp::from_millis(r.created_at),
            applied_at: r.applied_at.map(Timestamp::from_millis),
            undone_at: r.undone_at.map(Timestamp::from_millis),
            cancel_requested_by: r.cancel_requested_by,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_summary_reads_counts_and_the_failure_of_either_form() {
        let applied = serde_json::json!({"rows": 3, "created": 2, "updated": 0, "unchanged": 0, "error": 1});
        let s = ImportSummary::from_stored(&applied).unwrap();
        assert_eq!((s.rows, s.created, s.error, s.failure), (3, 2, 1, None));
        let old = serde_json::json!({"error": "not enough seats"});
        assert_eq!(
            ImportSummary::from_stored(&old).unwrap().failure.as_deref(),
            Some("not enough seats")
        );
        let new = ImportSummary::failed("gone").stored();
        assert_eq!(ImportSummary::from_stored(&new).unwrap(), ImportSummary::failed("gone"));
    }

    #[test]
    fn a_row_action_reads_back_from_its_stored_form() {
        for action in [
            RowAction::Create,
            RowAction::Update,
            RowAction::Unchanged,
            RowAction::Error,
            RowAction::Skipped,
        ] {
            assert_eq!(RowAction::from_stored(action.stored()).unwrap(), action);
        }
    }
}
