use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    /// A unique constraint refused the write; `field` names the column the
    /// caller knows (`email`, `slug`, …).
    #[error("{field} is already taken")]
    Conflict { field: String },
    #[error("database configuration: {0}")]
    Config(String),
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
    /// SQLite's one writer stayed busy (a large import, say) for longer
    /// than a write waits; nothing was written.
    #[error("the database is busy with another write")]
    Busy,
    #[error(transparent)]
    Database(sqlx::Error),
    /// From the bulk read path's own SQLite connection (`bulk_read`).
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// From the bulk read path's own PostgreSQL connection (`bulk_read`).
    #[error(transparent)]
    Postgres(#[from] tokio_postgres::Error),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// SQLite's result code for "database is locked".
const SQLITE_BUSY: &str = "5";

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &err {
            if db.is_unique_violation() {
                return StoreError::Conflict {
                    field: unique_field(db.constraint(), db.message()),
                };
            }
            // SQLite's SQLITE_BUSY (5): another process's writer outlasted the
            // busy timeout. PostgreSQL's codes are five-character SQLSTATEs.
            if db.code().as_deref() == Some(SQLITE_BUSY) {
                return StoreError::Busy;
            }
        }
        StoreError::Database(err)
    }
}

impl From<roster_domain::InvalidInput> for StoreError {
    fn from(err: roster_domain::InvalidInput) -> Self {
        StoreError::Corrupt(err.to_string())
    }
}

/// PostgreSQL names the constraint (`members_email`), SQLite the columns
/// (`UNIQUE constraint failed: members.org_id, members.email_normalized`).
fn unique_field(constraint: Option<&str>, message: &str) -> String {
    let text = constraint.unwrap_or(message);
    for (needle, field) in [
        ("scim_user_name", "userName"),
        ("name_key", "displayName"),
        ("teams_directory_name", "displayName"),
        ("email", "email"),
        ("personal_id", "personal_id"),
        ("slug", "slug"),
        ("external_key", "external_key"),
        ("external_ref", "external_ref"),
        ("key", "key"),
        ("token_hash", "token"),
        ("team_members", "member_id"),
        ("division_admins", "member_id"),
    ] {
        if text.contains(needle) {
            return field.to_owned();
        }
    }
    "value".to_owned()
}
