//! The test database: which backend this run uses, and a fresh, empty
//! database per test (a file for SQLite, a database for PostgreSQL).

use std::sync::atomic::{AtomicU64, Ordering};

use rand::RngCore;
use roster_store::Store;

/// Which database this run of the suite uses.
pub fn backend() -> String {
    std::env::var("ROSTER_TEST_DATABASE").unwrap_or_else(|_| "sqlite".into())
}

pub fn random_suffix() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut bytes = [0u8; 4];
    rand::thread_rng().fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        hex
    )
}

/// A fresh, empty database for one test.
pub struct TestDb {
    pub url: String,
    sqlite_path: Option<std::path::PathBuf>,
}

impl TestDb {
    pub async fn new() -> TestDb {
        Self::of(&backend()).await
    }

    /// A fresh SQLite database, whichever backend the suite runs on.
    pub async fn sqlite() -> TestDb {
        Self::of("sqlite").await
    }

    /// A fresh PostgreSQL database, whichever backend the suite runs on
    /// (for faults that are PostgreSQL's own).
    pub async fn postgres() -> TestDb {
        Self::of("postgres").await
    }

    /// The database at `url`, to hand to a helper; dropping it deletes nothing.
    pub fn at(url: &str) -> TestDb {
        TestDb {
            url: url.to_owned(),
            sqlite_path: None,
        }
    }

    async fn of(backend: &str) -> TestDb {
        match backend {
            "sqlite" => {
                let path = std::env::temp_dir().join(format!("roster_t_{}.db", random_suffix()));
                TestDb {
                    url: format!("sqlite://{}?mode=rwc", path.display()),
                    sqlite_path: Some(path),
                }
            }
            "postgres" => {
                let admin = std::env::var("ROSTER_TEST_POSTGRES_URL")
                    .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
                let name = format!("roster_t_{}", random_suffix());
                let store = Store::connect(&admin)
                    .await
                    .unwrap_or_else(|e| panic!("PostgreSQL tests need a server at {admin}: {e}"));
                let mut conn = store.conn().await.unwrap();
                roster_store::sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(conn.raw())
                    .await
                    .unwrap();
                drop(conn);
                store.close().await;
                let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
                TestDb {
                    url: format!("{base}/{name}"),
                    sqlite_path: None,
                }
            }
            other => panic!("ROSTER_TEST_DATABASE must be sqlite or postgres, not {other:?}"),
        }
    }

    pub async fn store(&self) -> Store {
        let store = Store::connect(&self.url).await.expect("connect");
        store.migrate().await.expect("migrate");
        store
    }

    /// Makes the database refuse to insert a member with this e-mail: a
    /// fault that no check of Roster's foresees, for every attempt of a job.
    pub async fn refuse_member(&self, email: &str) {
        let store = self.store().await;
        let statements = match store.backend() {
            roster_store::Backend::Sqlite => vec![format!(
                "CREATE TRIGGER refuse_member BEFORE INSERT ON members WHEN NEW.email_normalized = '{email}' \
                 BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
            )],
            roster_store::Backend::Postgres => vec![
                format!(
                    "CREATE FUNCTION refuse_member() RETURNS trigger AS $$ BEGIN \
                     IF NEW.email_normalized = '{email}' THEN RAISE EXCEPTION 'refused by the test'; END IF; \
                     RETURN NEW; END $$ LANGUAGE plpgsql"
                ),
                "CREATE TRIGGER refuse_member BEFORE INSERT ON members FOR EACH ROW EXECUTE FUNCTION refuse_member()"
                    .to_owned(),
            ],
        };
        let mut conn = store.conn().await.unwrap();
        for statement in statements {
            roster_store::sqlx::query(&statement).execute(conn.raw()).await.unwrap();
        }
        drop(conn);
        store.close().await;
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(path) = &self.sqlite_path {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
            // The refusals' journals (emptied and removed by a process that
            // ends normally; a killed one leaves its own).
            let _ = std::fs::remove_dir_all(format!("{}.refusals", path.display()));
        }
    }
}
