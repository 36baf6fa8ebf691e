//! A small migration runner: each backend has its numbered SQL files, applied
//! in order inside one transaction each and recorded in `schema_migrations`.

use crate::{Backend, Store, StoreResult};

struct Migration {
    version: i64,
    sql: &'static str,
}

const SQLITE: &[Migration] = &[
    Migration {
        version: 1,
        sql: include_str!("../migrations/sqlite/0001_core.sql"),
    },
    Migration {
        version: 2,
        sql: include_str!("../migrations/sqlite/0002_console.sql"),
    },
    Migration {
        version: 3,
        sql: include_str!("../migrations/sqlite/0003_imports.sql"),
    },
    Migration {
        version: 4,
        sql: include_str!("../migrations/sqlite/0004_import_mappings.sql"),
    },
    Migration {
        version: 5,
        sql: include_str!("../migrations/sqlite/0005_fewer_member_indexes.sql"),
    },
    Migration {
        version: 6,
        sql: include_str!("../migrations/sqlite/0006_email_skeletons.sql"),
    },
    Migration {
        version: 7,
        sql: include_str!("../migrations/sqlite/0007_import_file_parts.sql"),
    },
    Migration {
        version: 9,
        sql: include_str!("../migrations/sqlite/0009_upload_sandbox_and_token_owners.sql"),
    },
];

const POSTGRES: &[Migration] = &[
    Migration {
        version: 1,
        sql: include_str!("../migrations/postgres/0001_core.sql"),
    },
    Migration {
        version: 2,
        sql: include_str!("../migrations/postgres/0002_console.sql"),
    },
    Migration {
        version: 3,
        sql: include_str!("../migrations/postgres/0003_imports.sql"),
    },
    Migration {
        version: 4,
        sql: include_str!("../migrations/postgres/0004_import_mappings.sql"),
    },
    Migration {
        version: 5,
        sql: include_str!("../migrations/postgres/0005_fewer_member_indexes.sql"),
    },
    Migration {
        version: 6,
        sql: include_str!("../migrations/postgres/0006_email_skeletons.sql"),
    },
    Migration {
        version: 7,
        sql: include_str!("../migrations/postgres/0007_import_file_parts.sql"),
    },
    Migration {
        version: 8,
        sql: include_str!("../migrations/postgres/0008_fewer_foreign_keys.sql"),
    },
    Migration {
        version: 9,
        sql: include_str!("../migrations/postgres/0009_upload_sandbox_and_token_owners.sql"),
    },
];

/// Applies the migrations that have not run yet; returns how many ran.
pub async fn run(store: &Store, up_to: Option<i64>) -> StoreResult<usize> {
    let migrations = match store.backend {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    };
    let mut tx = store.begin().await?;
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;

    let mut applied = 0;
    for migration in migrations.iter().filter(|m| up_to.is_none_or(|v| m.version <= v)) {
        let mut tx = store.begin().await?;
        if store.backend == Backend::Postgres {
            // Several instances may start at once; one migrates, the others wait.
            sqlx::query("SELECT pg_advisory_xact_lock(7263001)")
                .execute(&mut *tx)
                .await?;
        }
        let done: Option<i64> = sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = $1")
            .bind(migration.version)
            .fetch_optional(&mut *tx)
            .await?;
        if done.is_some() {
            // Ended here, not left to the drop: on SQLite a dropped
            // transaction holds the write lock until its connection is used again.
            tx.rollback().await?;
            continue;
        }
        sqlx::raw_sql(migration.sql).execute(&mut *tx).await?;
        if migration.version == 6 {
            backfill_email_skeletons(&mut tx).await?;
        }
        sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
            .bind(migration.version)
            .bind(roster_domain::now_millis())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(version = migration.version, "applied migration");
        applied += 1;
    }
    Ok(applied)
}

/// Migration 6's data: the skeleton of every member's e-mail, which SQL
/// cannot compute. Runs in the migration's transaction, a batch at a time.
async fn backfill_email_skeletons(conn: &mut crate::Conn) -> StoreResult<()> {
    loop {
        let rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, email_normalized FROM members WHERE email_skeleton = '' LIMIT 1000")
                .fetch_all(&mut *conn)
                .await?;
        if rows.is_empty() {
            return Ok(());
        }
        for (id, email) in rows {
            sqlx::query("UPDATE members SET email_skeleton = $1 WHERE id = $2")
                .bind(roster_domain::email_skeleton(&email))
                .bind(id)
                .execute(&mut *conn)
                .await?;
        }
    }
}
