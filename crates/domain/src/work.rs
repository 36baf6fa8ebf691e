//! Where a piece of background work stands: a job in the queue, an import,
//! an export. Each is stored as a word; the store turns the word into one
//! of these at its edge, so no caller compares strings, and a word the code
//! does not know is damage said at read.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// A stored status word no variant has.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} status {word:?} is not known")]
pub struct UnknownStatus {
    what: &'static str,
    word: String,
}

/// The stored word of each variant, both ways.
macro_rules! stored_words {
    ($name:ident, $what:literal, { $($variant:ident => $word:literal),+ $(,)? }) => {
        impl $name {
            pub const ALL: &'static [$name] = &[$(Self::$variant),+];

            /// The word stored in the database.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $word),+
                }
            }
        }

        impl FromStr for $name {
            type Err = UnknownStatus;

            fn from_str(word: &str) -> Result<Self, UnknownStatus> {
                match word {
                    $($word => Ok(Self::$variant),)+
                    other => Err(UnknownStatus { what: $what, word: other.to_owned() }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// A job in the durable queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Waiting for a worker (first run, or another attempt after a failure).
    Queued,
    /// A worker holds it under a lease.
    Running,
    Succeeded,
    /// Refused for good, or failed with no attempts left.
    Failed,
}

stored_words!(JobStatus, "a job's", {
    Queued => "queued",
    Running => "running",
    Succeeded => "succeeded",
    Failed => "failed",
});

impl JobStatus {
    pub fn finished(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed)
    }
}

/// Where an import stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    /// Uploaded: its mapping and options may change; previews show what it would do.
    Uploaded,
    Applying,
    Applied,
    Failed,
    Undone,
    /// Stopped while applying, at someone's request: what it had committed
    /// was taken back.
    Cancelled,
}

stored_words!(ImportStatus, "an import's", {
    Uploaded => "uploaded",
    Applying => "applying",
    Applied => "applied",
    Failed => "failed",
    Undone => "undone",
    Cancelled => "cancelled",
});

impl ImportStatus {
    pub fn label(self) -> &'static str {
        match self {
            Self::Uploaded => "Checked, not applied",
            Self::Applying => "Applying",
            Self::Applied => "Applied",
            Self::Failed => "Failed",
            Self::Undone => "Undone",
            Self::Cancelled => "Cancelled",
        }
    }

    /// Applied, failed, undone or cancelled: the import has a result.
    pub fn finished(self) -> bool {
        matches!(self, Self::Applied | Self::Failed | Self::Undone | Self::Cancelled)
    }
}

/// Where an export stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExportStatus {
    Queued,
    Running,
    /// The file can be downloaded until `expires_at`.
    Ready,
    Failed,
    /// Past the organization's export retention: the file is deleted.
    Expired,
}

stored_words!(ExportStatus, "an export's", {
    Queued => "queued",
    Running => "running",
    Ready => "ready",
    Failed => "failed",
    Expired => "expired",
});

impl ExportStatus {
    pub fn label(self) -> &'static str {
        match self {
            Self::Queued => "Waiting",
            Self::Running => "Running",
            Self::Ready => "Ready",
            Self::Failed => "Failed",
            Self::Expired => "Expired",
        }
    }

    /// Ready, failed or expired: the export has a result.
    pub fn finished(self) -> bool {
        matches!(self, Self::Ready | Self::Failed | Self::Expired)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_reads_back_from_its_stored_word() {
        for s in JobStatus::ALL {
            assert_eq!(s.as_str().parse::<JobStatus>(), Ok(*s));
        }
        for s in ImportStatus::ALL {
            assert_eq!(s.as_str().parse::<ImportStatus>(), Ok(*s));
        }
        for s in ExportStatus::ALL {
            assert_eq!(s.as_str().parse::<ExportStatus>(), Ok(*s));
        }
    }

    #[test]
    fn serialized_names_are_the_stored_words() {
        for s in ExportStatus::ALL {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        for s in ImportStatus::ALL {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
    }

    #[test]
    fn an_unknown_word_is_an_error_that_names_it() {
        let err = "done".parse::<ExportStatus>().unwrap_err();
        assert_eq!(err.to_string(), "an export's status \"done\" is not known");
    }
}
