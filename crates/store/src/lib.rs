//! Roster's storage: one [`Store`] over SQLite or PostgreSQL, chosen once at
//! start-up from the database URL.
//!
//! Both backends run the same SQL through sqlx's `Any` driver: the schema is
//! written so that one dialect serves both (`$n` placeholders, BIGINT times
//! and flags, `RETURNING`, `ON CONFLICT`). The few places that differ — job
//! claiming, substring search, write transactions, bulk statements — ask the
//! [`Conn`]'s [`Backend`]; nothing above this crate does. Migrations are one
//! ordered list with a file per backend (`migrate.rs`).
//!
//! Functions that read an organization's rows take its id and filter on it:
//! a row of another organization is simply not found. (Accounts, sessions
//! and the job queue belong to no organization.)

mod accounts;
mod audit;
pub mod bulk;
mod bulk_read;
mod content;
mod directory;
mod directory_teams;
mod error;
mod export_rows;
mod exports;
mod fields;
mod imports;
mod instance;
mod invitations;
mod jobs;
mod members;
mod migrate;
mod orgs;
mod outbox;
mod roles;
mod rows;
mod scim_filter;
mod scim_tokens;
mod seats;
mod sessions;
mod sort_keys;
mod sql;
mod sso;
mod teams;
mod tokens;

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool, Connection, Executor};

pub use accounts::*;
pub use audit::*;
pub use bulk_read::MemberPage;
pub use content::*;
pub use directory::*;
pub use directory_teams::*;
pub use error::{StoreError, StoreResult};
pub use export_rows::*;
pub use exports::*;
pub use fields::*;
pub use imports::*;
pub use instance::*;
pub use invitations::*;
pub use jobs::*;
pub use members::*;
pub use orgs::*;
pub use outbox::*;
pub use roles::*;
pub use scim_filter::{group_condition_is_exact, user_condition_is_exact};
pub use scim_tokens::*;
pub use seats::*;
pub use sessions::*;
pub use sort_keys::*;
pub use sso::*;
pub use teams::*;
pub use tokens::*;

/// The database library, for callers that commit a [`Tx`].
pub use sqlx;

/// A connection to the store's database — from the pool, or inside a
/// transaction — that knows which database that is: the store's functions
/// write the one dialect's SQL and ask `backend()` where the two differ.
pub struct Conn {
    backend: Backend,
    link: Link,
}

enum Link {
    Pooled(PoolConnection<Any>),
    Transaction(sqlx::Transaction<'static, Any>),
}

impl Conn {
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The driver's connection, for SQL written outside the store (tests
    /// that set up or damage data on purpose). The service never uses it.
    pub fn raw(&mut self) -> &mut AnyConnection {
        match &mut self.link {
            Link::Pooled(conn) => conn,
            Link::Transaction(tx) => tx,
        }
    }
}

/// A write transaction. On SQLite it also holds this process's turn at the
/// database's one writer (see [`Store::begin`]) until it ends.
pub struct Tx {
    conn: Conn,
    _turn: Option<tokio::sync::OwnedSemaphorePermit>,
}

impl Tx {
    pub async fn commit(self) -> StoreResult<()> {
        match self.conn.link {
            Link::Transaction(tx) => Ok(tx.commit().await?),
            Link::Pooled(_) => Ok(()),
        }
    }

    pub async fn rollback(self) -> StoreResult<()> {
        match self.conn.link {
            Link::Transaction(tx) => Ok(tx.rollback().await?),
            Link::Pooled(_) => Ok(()),
        }
    }
}

impl std::ops::Deref for Tx {
    type Target = Conn;

    fn deref(&self) -> &Conn {
        &self.conn
    }
}

impl std::ops::DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut Conn {
        &mut self.conn
    }
}

/// How long a write waits for its turn at SQLite's one writer (behind a
/// large import, say) before it is refused as busy; also SQLite's busy
/// timeout, for writers of other processes.
const WRITE_WAIT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// SQLite's writers take turns here, in order, before they take a
    /// connection: a writer waiting inside SQLite holds a pooled connection
    /// for as long, and behind a long import eight of them left no
    /// connection for reads.
    writer: std::sync::Arc<tokio::sync::Semaphore>,
    write_wait: Duration,
    /// The SQLite database's file; None on PostgreSQL and in memory.
    sqlite_file: Option<std::path::PathBuf>,
    /// The PostgreSQL server's URL, for the bulk read path's own connection.
    postgres_url: Option<String>,
}

impl Store {
    /// Connects to `sqlite://…` or `postgres://…`. SQLite runs in WAL mode
    /// with a busy timeout, and write transactions take the write lock up
    /// front (`BEGIN IMMEDIATE`) so that concurrent writers queue instead of
    /// failing with "database is locked".
    pub async fn connect(url: &str) -> StoreResult<Self> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(StoreError::Config(format!(
                "unsupported database URL {:?}: use sqlite://PATH or postgres://…",
                redact(url)
            )));
        };
        let options = AnyConnectOptions::from_str(url)?;
        let pool_options = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 8 } else { 16 })
            .acquire_timeout(Duration::from_secs(10));
        let pool_options = match backend {
            Backend::Sqlite => pool_options.after_connect(|conn, _| {
                Box::pin(async move {
                    // A writer in another process (`roster import` beside
                    // `roster serve`) is waited for as long as one of this
                    // process's own.
                    // The busy timeout first: setting the journal mode takes a
                    // lock too, and without it a writer in another process at
                    // that moment fails the connection at once.
                    let pragmas = format!(
                        "PRAGMA busy_timeout = {}; PRAGMA journal_mode = WAL; \
                         PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
                        WRITE_WAIT.as_millis()
                    );
                    conn.execute(pragmas.as_str()).await?;
                    Ok(())
                })
            }),
            Backend::Postgres => pool_options,
        };
        let pool_options = pool_options.after_release(move |conn, _| {
            Box::pin(async move {
                // A connection must never go back to the pool inside a
                // transaction: on SQLite it would keep the one write lock,
                // and every writer after it would wait for ever. `begin`
                // below is made safe; this catches any other way. SQLite's
                // driver rolls a dropped transaction back in the
                // connection's worker thread: when the count says a
                // transaction is open, a ping lets a queued rollback run
                // before the count is believed (most releases need no ping).
                if conn.is_in_transaction() && backend == Backend::Sqlite {
                    conn.ping().await?;
                }
                let clean = !conn.is_in_transaction();
                if !clean {
                    tracing::warn!("a database connection came back inside a transaction; closing it");
                }
                Ok(clean)
            })
        });
        let pool = pool_options.connect_with(options).await?;
        let sqlite_file = match backend {
            Backend::Sqlite => sqlx::sqlite::SqliteConnectOptions::from_str(url)
                .ok()
                .map(|o| o.get_filename().to_owned())
                .filter(|path| !path.as_os_str().is_empty() && !path.to_string_lossy().contains(":memory:")),
            Backend::Postgres => None,
        };
        Ok(Self {
            pool,
            backend,
            writer: std::sync::Arc::new(tokio::sync::Semaphore::new(1)),
            write_wait: WRITE_WAIT,
            sqlite_file,
            postgres_url: (backend == Backend::Postgres).then(|| url.to_owned()),
        })
    }

    /// The PostgreSQL server's URL, when the store is one.
    pub(crate) fn postgres_url(&self) -> Option<&str> {
        self.postgres_url.as_deref()
    }

    /// The SQLite database's file, when the store is one (not in memory).
    pub fn sqlite_file(&self) -> Option<&std::path::Path> {
        self.sqlite_file.as_deref()
    }

    /// The same store, with writes waiting at most `wait` for their turn.
    pub fn with_write_wait(mut self, wait: Duration) -> Self {
        self.write_wait = wait;
        self
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A pooled connection for reads.
    pub async fn conn(&self) -> StoreResult<Conn> {
        Ok(Conn {
            backend: self.backend,
            link: Link::Pooled(self.pool.acquire().await?),
        })
    }

    fn in_transaction(&self, tx: sqlx::Transaction<'static, Any>) -> Conn {
        Conn {
            backend: self.backend,
            link: Link::Transaction(tx),
        }
    }

    /// Starts a write transaction. On SQLite it first waits for this
    /// process's turn at the one writer (at most the write wait, then
    /// [`StoreError::Busy`]); another process's writer is waited for by
    /// SQLite's busy timeout.
    pub async fn begin(&self) -> StoreResult<Tx> {
        Ok(match self.backend {
            Backend::Sqlite => {
                // (The semaphore is never closed: its only error cannot happen.)
                let turn = tokio::time::timeout(self.write_wait, self.writer.clone().acquire_owned())
                    .await
                    .map_err(|_| StoreError::Busy)?
                    .map_err(|_| StoreError::Busy)?;
                Tx {
                    conn: self.in_transaction(self.begin_with("BEGIN IMMEDIATE").await?),
                    _turn: Some(turn),
                }
            }
            Backend::Postgres => Tx {
                conn: self.in_transaction(self.begin_with("BEGIN").await?),
                _turn: None,
            },
        })
    }

    /// Begins a transaction (on SQLite with `statement`) on a task of its own, so
    /// that a caller that goes away meanwhile (a client hanging up) cannot
    /// cut it in half. sqlx 0.8's SQLite driver runs the BEGIN, then awaits
    /// once more (to check it took) before the `Transaction` that would
    /// roll it back exists: a request dropped at that point left a
    /// connection in the pool holding the write lock, and every later
    /// write waited for it (launchbadge/sqlx#3932). On its own task the
    /// begin always finishes; if nobody waits for it any more, the
    /// transaction is dropped and rolled back. (PostgreSQL's BEGIN, cut
    /// off after the server ran it, would leave the same.)
    async fn begin_with(&self, statement: &'static str) -> StoreResult<sqlx::Transaction<'static, Any>> {
        let pool = self.pool.clone();
        let sqlite = self.backend == Backend::Sqlite;
        let begun = tokio::spawn(async move {
            if sqlite {
                pool.begin_with(statement).await
            } else {
                pool.begin().await
            }
        });
        // The task ends only by finishing or by the runtime shutting down.
        Ok(begun.await.map_err(|_| sqlx::Error::WorkerCrashed)??)
    }

    /// A transaction that only reads, beside a write transaction of the same
    /// task: it does not take a turn at SQLite's writer. On SQLite it sees
    /// the database as committed when it first reads (a snapshot), on
    /// PostgreSQL as committed when each statement runs; neither sees the
    /// writer's uncommitted rows.
    pub async fn begin_read(&self) -> StoreResult<Tx> {
        let tx = match self.backend {
            Backend::Sqlite => self.begin_with("BEGIN DEFERRED").await?,
            Backend::Postgres => self.begin_with("BEGIN").await?,
        };
        Ok(Tx {
            conn: self.in_transaction(tx),
            _turn: None,
        })
    }

    /// A reading transaction to plan a bulk write's next chunk on while its
    /// writer writes the chunk before, when that helps: on SQLite, where
    /// the one writer is held for less time and the two overlap on two
    /// cores (it reads a snapshot taken after the writer's lock). `None` on
    /// PostgreSQL: there planning goes inside the writer's transaction,
    /// whose planner statistics alone know the rows it has added (a second
    /// connection walked every row written so far on each look-up; see
    /// docs/BENCHMARKS.md).
    pub async fn begin_planning_beside_writer(&self) -> StoreResult<Option<Tx>> {
        match self.backend {
            Backend::Sqlite => Ok(Some(self.begin_read().await?)),
            Backend::Postgres => Ok(None),
        }
    }

    pub async fn migrate(&self) -> StoreResult<usize> {
        migrate::run(self, None).await
    }

    /// Applies migrations up to `version` only: for tests of upgrades, which
    /// put data into an older schema and then migrate the rest.
    pub async fn migrate_to(&self, version: i64) -> StoreResult<usize> {
        migrate::run(self, Some(version)).await
    }

    /// Whether the database answers (for `/readyz`).
    pub async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// A URL with its password replaced, for messages and logs.
pub fn redact(url: &str) -> String {
    roster_domain::Secret::new(url).masked()
}

/// Serializes stored UTC milliseconds as RFC 3339.
pub fn serialize_time<S: serde::Serializer>(millis: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&roster_domain::format_rfc3339(*millis))
}

/// Like [`serialize_time`], for optional times.
pub fn serialize_opt_time<S: serde::Serializer>(millis: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match millis {
        Some(m) => serialize_time(m, s),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn redact_hides_the_password() {
        assert_eq!(super::redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(super::redact("sqlite://x.db"), "sqlite://x.db");
    }
}
