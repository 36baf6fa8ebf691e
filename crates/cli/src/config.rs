//! Where the data lives: flags, then `ROSTER_*` environment, then defaults
//! (an SQLite file under `./roster-data`).

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use roster_service::store::Store;
use roster_service::Service;

/// Not `Debug`: the database URL may carry a password.
#[derive(Args, Clone)]
pub struct DbArgs {
    /// Directory for the embedded database and stored files.
    #[arg(long, env = "ROSTER_DATA_DIR", default_value = "./roster-data", global = true)]
    pub data_dir: PathBuf,
    /// `postgres://…` to use PostgreSQL instead of the embedded SQLite file.
    #[arg(long, env = "ROSTER_DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
}

impl DbArgs {
    pub fn url(&self) -> anyhow::Result<String> {
        if let Some(url) = &self.database_url {
            return Ok(url.clone());
        }
        std::fs::create_dir_all(&self.data_dir)
            .with_context(|| format!("cannot create the data directory {}", self.data_dir.display()))?;
        Ok(format!(
            "sqlite://{}?mode=rwc",
            self.data_dir.join("roster.db").display()
        ))
    }

    /// Connects and brings the schema up to date.
    pub async fn service(&self) -> anyhow::Result<Service> {
        let url = self.url()?;
        let store = Store::connect(&url)
            .await
            .with_context(|| format!("cannot open the database {}", roster_service::store::redact(&url)))?;
        store.migrate().await.context("cannot migrate the database")?;
        Ok(Service::new(store))
    }
}

/// Logs go to stderr (stdout is for command output); `ROSTER_LOG_FORMAT=json`
/// gives one JSON object per line, `RUST_LOG` sets the level.
pub fn init_logging(serving: bool) {
    let default = if serving { "info,sqlx=warn" } else { "warn" };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::env::var("ROSTER_LOG_FORMAT").as_deref() == Ok("json") {
        builder.json().init();
    } else {
        builder.init();
    }
}
