//! The settings every command shares (where the data lives, the settings
//! file, logging), and opening the service with them. Each comes from a
//! flag, its `ROSTER_*` variable, `roster.toml` or its default, in that
//! order (`settings.rs`).

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Args;
use roster_domain::Secret;
use roster_service::Service;

use crate::settings::{Given, LogFormat, Settings};

/// Not `Debug`-printed anywhere: the database URL may carry a password.
#[derive(Args, Clone)]
pub struct DbArgs {
    /// The settings file (default: roster.toml in the data directory, if it is there).
    #[arg(long, env = "ROSTER_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// Directory for the embedded database (default ./roster-data).
    #[arg(long, env = "ROSTER_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// `postgres://…` to use PostgreSQL instead of the embedded SQLite file.
    #[arg(long, env = "ROSTER_DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
    /// A file holding the database URL (a secret kept out of the environment).
    #[arg(long, env = "ROSTER_DATABASE_URL_FILE", global = true)]
    pub database_url_file: Option<PathBuf>,
    /// `json` for one JSON object per log line.
    #[arg(long, env = "ROSTER_LOG_FORMAT", global = true, value_enum)]
    pub log_format: Option<LogFormat>,
}

impl DbArgs {
    /// What these arguments give, for `Settings::load`.
    pub fn given(&self) -> Given {
        Given {
            config: self.config.clone(),
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone().map(Secret::new),
            database_url_file: self.database_url_file.clone(),
            log_format: self.log_format,
            ..Default::default()
        }
    }

    pub fn settings(&self) -> anyhow::Result<Settings> {
        Settings::load(self.given())
    }
}

/// The service at the settings' database, its schema brought up to date,
/// with the settings' limits.
pub async fn open_service(settings: &Settings) -> anyhow::Result<Service> {
    let service = connect(settings).await?;
    service.migrate().await?;
    // Exports are written in the upload spool directory before they are stored.
    let service = match &settings.upload.spool_dir {
        Some(dir) => service.with_export_dir(dir.clone()),
        None => service,
    };
    let links = match link_source(settings, &service).await? {
        LinkSource::Configured(url) => url,
        LinkSource::Recorded(recorded) => recorded.url,
        // No link can be made: the commands that make them ask
        // `link_base` first, which refuses.
        LinkSource::Unknown => String::new(),
    };
    Ok(service
        .with_outbound(roster_service::outbound::OutboundConfig {
            allow_private: settings.outbound.allow_private,
            dns_server: settings.outbound.dns_server,
            ..Default::default()
        })
        .with_mail(settings.mail(&links, false)?)
        .with_upload_sandbox(settings.sandbox())
        .with_password_hasher(roster_service::PasswordHasher::new(
            settings.limits.sign_in_parallel,
            std::time::Duration::from_secs(5),
        )))
}

/// Where the links a command makes point.
enum LinkSource {
    /// A base URL configured for this command (`server.base_url`,
    /// `ROSTER_BASE_URL`).
    Configured(String),
    /// The one the last `roster serve` recorded in the database.
    Recorded(roster_service::RecordedBaseUrl),
    /// Neither.
    Unknown,
}

async fn link_source(settings: &Settings, service: &Service) -> anyhow::Result<LinkSource> {
    if let Some(url) = &settings.server.base_url {
        return Ok(LinkSource::Configured(url.clone()));
    }
    Ok(match service.served_base_url().await? {
        Some(recorded) => LinkSource::Recorded(recorded),
        None => LinkSource::Unknown,
    })
}

/// The base URL of the links a command is about to make (invitations,
/// the SCIM URL): the configured one; else the one `roster serve`
/// recorded, saying so on stderr; else a refusal — a link to an address
/// where nothing listens is worse than none.
pub async fn link_base(settings: &Settings, service: &Service) -> anyhow::Result<String> {
    match link_source(settings, service).await? {
        LinkSource::Configured(url) => Ok(url),
        LinkSource::Recorded(recorded) => {
            eprintln!(
                "Links point at {}, the base URL `roster serve` recorded ({}). \
                 Set server.base_url (or ROSTER_BASE_URL) to choose another.",
                recorded.url, recorded.recorded_at
            );
            Ok(recorded.url)
        }
        LinkSource::Unknown => bail!(
            "no base URL for links: set server.base_url in roster.toml or ROSTER_BASE_URL \
             (the address people reach Roster at), or start `roster serve` once with this \
             database so that it records the address it serves under"
        ),
    }
}

/// The service at the settings' database, as it is (not migrated).
pub async fn connect(settings: &Settings) -> anyhow::Result<Service> {
    let url = settings.database_url.expose();
    if url.starts_with("sqlite:") {
        std::fs::create_dir_all(&settings.data_dir)
            .with_context(|| format!("cannot create the data directory {}", settings.data_dir.display()))?;
    }
    Service::connect(url)
        .await
        .with_context(|| format!("with the database {}", settings.database_url.masked()))
}

/// Logs go to stderr (stdout is for command output); `[log] format = "json"`
/// (or `ROSTER_LOG_FORMAT=json`) gives one JSON object per line, `RUST_LOG`
/// or `[log] filter` the level.
pub fn init_logging(serving: bool, settings: Option<&Settings>) {
    let default = if serving { "info,sqlx=warn" } else { "warn" };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        let configured = settings.and_then(|s| s.log.filter.as_deref());
        tracing_subscriber::EnvFilter::new(configured.unwrap_or(default))
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if settings.map(|s| s.log.format) == Some(LogFormat::Json) {
        builder.json().init();
    } else {
        builder.init();
    }
}
