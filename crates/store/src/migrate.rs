//! A small migration runner: one ordered list of versions, each with its
//! SQL for SQLite and for PostgreSQL (a version exists on both, possibly a
//! no-op on one) and, where SQL alone cannot do it, a step in Rust that
//! fills in data. Each runs inside one transaction and is recorded in
//! `schema_migrations`.

use std::future::Future;
use std::pin::Pin;

use crate::{Backend, Conn, Store, StoreResult};

/// Data a migration computes in Rust, in the migration's transaction.
type Backfill = for<'c> fn(&'c mut Conn) -> Pin<Box<dyn Future<Output = StoreResult<()>> + Send + 'c>>;

struct Migration {
    version: i64,
    sqlite: &'static str,
    postgres: &'static str,
    backfill: Option<Backfill>,
}

macro_rules! migration {
    ($version:literal, $file:literal) => {
        migration!($version, $file, None)
    };
    ($version:literal, $file:literal, $backfill:expr) => {
        Migration {
            version: $version,
            sqlite: include_str!(concat!("../migrations/sqlite/", $file)),
            postgres: include_str!(concat!("../migrations/postgres/", $file)),
            backfill: $backfill,
        }
    };
}

const MIGRATIONS: &[Migration] = &[
    migration!(1, "0001_core.sql"),
    migration!(2, "0002_console.sql"),
    migration!(3, "0003_imports.sql"),
    migration!(4, "0004_import_mappings.sql"),
    migration!(5, "0005_fewer_member_indexes.sql"),
    migration!(6, "0006_email_skeletons.sql", Some(backfill_email_skeletons)),
    migration!(7, "0007_import_file_parts.sql"),
    migration!(8, "0008_fewer_foreign_keys.sql"),
    migration!(9, "0009_upload_sandbox_and_token_owners.sql"),
    migration!(10, "0010_invitations_and_outbox.sql"),
    migration!(11, "0011_exports.sql"),
    migration!(12, "0012_scim.sql"),
    migration!(13, "0013_instance.sql"),
    migration!(14, "0014_sso.sql"),
    migration!(15, "0015_sso_groups_and_logout.sql"),
    migration!(16, "0016_name_order.sql"),
    migration!(17, "0017_import_chunks.sql"),
    migration!(18, "0018_search_catch_up.sql"),
];

impl Migration {
    fn sql(&self, backend: Backend) -> &'static str {
        match backend {
            Backend::Sqlite => self.sqlite,
            Backend::Postgres => self.postgres,
        }
    }
}

/// Applies the migrations that have not run yet; returns how many ran.
pub async fn run(store: &Store, up_to: Option<i64>) -> StoreResult<usize> {
    let mut tx = store.begin().await?;
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
    )
    .execute(tx.raw())
    .await?;
    tx.commit().await?;

    let mut applied = 0;
    for migration in MIGRATIONS.iter().filter(|m| up_to.is_none_or(|v| m.version <= v)) {
        let mut tx = store.begin().await?;
        if store.backend == Backend::Postgres {
            // Several instances may start at once; one migrates, the others wait.
            sqlx::query("SELECT pg_advisory_xact_lock(7263001)")
                .execute(tx.raw())
                .await?;
        }
        let done: Option<i64> = sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = $1")
            .bind(migration.version)
            .fetch_optional(tx.raw())
            .await?;
        if done.is_some() {
            // Ended here, not left to the drop: on SQLite a dropped
            // transaction holds the write lock until its connection is used again.
            tx.rollback().await?;
            continue;
        }
        sqlx::raw_sql(migration.sql(store.backend)).execute(tx.raw()).await?;
        if let Some(backfill) = migration.backfill {
            backfill(&mut tx).await?;
        }
        sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
            .bind(migration.version)
            .bind(roster_domain::now_millis())
            .execute(tx.raw())
            .await?;
        tx.commit().await?;
        tracing::info!(version = migration.version, "applied migration");
        applied += 1;
    }
    Ok(applied)
}

/// Migration 6's data: the skeleton of every member's e-mail, which SQL
/// cannot compute. Runs in the migration's transaction, a batch at a time.
fn backfill_email_skeletons(conn: &mut Conn) -> Pin<Box<dyn Future<Output = StoreResult<()>> + Send + '_>> {
    Box::pin(email_skeletons(conn))
}

async fn email_skeletons(conn: &mut Conn) -> StoreResult<()> {
    loop {
        let rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, email_normalized FROM members WHERE email_skeleton = '' LIMIT 1000")
                .fetch_all(conn.raw())
                .await?;
        if rows.is_empty() {
            return Ok(());
        }
        for (id, email) in rows {
            sqlx::query("UPDATE members SET email_skeleton = $1 WHERE id = $2")
                .bind(roster_domain::email_skeleton(&email))
                .bind(id)
                .execute(conn.raw())
                .await?;
        }
    }
}
