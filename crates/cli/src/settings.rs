//! Roster's settings, from four places in order, each over the one before:
//! defaults → `roster.toml` → `ROSTER_*` environment → command-line flags.
//! clap merges the last two (a flag wins over its variable); this file
//! reads the file and fills in what neither gave.
//!
//! The file is found at `--config` / `ROSTER_CONFIG`, or else as
//! `roster.toml` in the data directory if it is there. Unknown keys are
//! errors naming the key and the line. Secrets (the database URL, whose
//! password it may hold; SMTP and OIDC secrets) are `Secret`s, which print
//! as `***`, and can be read from a file (`database_url_file`,
//! `ROSTER_DATABASE_URL_FILE`, …) so that they stay out of the file and the
//! environment. `roster config check` prints the effective settings.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use roster_domain::Secret;
use serde::{Deserialize, Serialize};

/// The settings file as written: every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FileSettings {
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<Secret>,
    pub database_url_file: Option<PathBuf>,
    pub server: ServerFile,
    pub jobs: JobsFile,
    pub upload: UploadFile,
    pub limits: LimitsFile,
    pub log: LogFile,
    pub smtp: SmtpFile,
    pub sso: SsoFile,
    pub outbound: OutboundFile,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerFile {
    pub listen: Option<SocketAddr>,
    pub base_url: Option<String>,
    pub trusted_proxies: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JobsFile {
    pub lease_seconds: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UploadFile {
    pub memory_mib: Option<u64>,
    pub cpu_seconds: Option<u64>,
    pub timeout_seconds: Option<u64>,
    pub parallel: Option<usize>,
    pub spool_dir: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsFile {
    pub max_upload_mib: Option<u64>,
    pub sign_in_parallel: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogFile {
    pub format: Option<LogFormat>,
    pub filter: Option<String>,
}

/// The outgoing mail server (see the README).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmtpFile {
    pub url: Option<Secret>,
    pub url_file: Option<PathBuf>,
    pub from: Option<String>,
    pub connections: Option<usize>,
    pub per_org_per_hour: Option<i64>,
}

/// Calls Roster makes to other servers (an organization's identity
/// provider): private targets (loopback, private networks, link-local) are
/// refused unless allowed here — for a provider inside the company network,
/// and for tests.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutboundFile {
    pub allow_private: Option<bool>,
    /// The DNS server asked for the TXT records that prove an
    /// organization's domain (`IP:PORT`); the system's resolver when unset.
    pub dns_server: Option<std::net::SocketAddr>,
}

/// An instance-wide identity provider (OIDC). Read and checked, and not
/// used: single sign-on is set per organization (`roster sso set`, the
/// console's Settings → Identity provider).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SsoFile {
    pub issuer: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<Secret>,
    pub client_secret_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// The settings in effect: what `roster` runs with.
#[derive(Debug, Serialize)]
pub struct Settings {
    /// Where the file came from, if one was read.
    pub config_file: Option<PathBuf>,
    pub data_dir: PathBuf,
    pub database_url: Secret,
    pub server: Server,
    pub jobs: Jobs,
    pub upload: Upload,
    pub limits: Limits,
    pub log: Log,
    pub smtp: Smtp,
    pub sso: Sso,
    pub outbound: Outbound,
}

#[derive(Debug, Serialize)]
pub struct Outbound {
    pub allow_private: bool,
    pub dns_server: Option<std::net::SocketAddr>,
}

#[derive(Debug, Serialize)]
pub struct Server {
    pub listen: SocketAddr,
    /// The URL people use, where one is configured (`server.base_url`,
    /// `ROSTER_BASE_URL`, `serve --base-url`). Without it, `roster serve`
    /// serves under http://LISTEN and records that in the database; other
    /// commands use what it recorded (`config::link_base`).
    pub base_url: Option<String>,
    #[serde(serialize_with = "as_strings")]
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

impl Server {
    /// The base URL `roster serve` serves under: the configured one, else
    /// http://LISTEN.
    pub fn served_base_url(&self) -> String {
        self.base_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.listen))
    }
}

fn as_strings<S: serde::Serializer>(networks: &[ipnet::IpNet], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(networks.iter().map(ToString::to_string))
}

#[derive(Debug, Serialize)]
pub struct Jobs {
    pub lease_seconds: u64,
}

#[derive(Debug, Serialize)]
pub struct Upload {
    pub memory_mib: u64,
    pub cpu_seconds: u64,
    pub timeout_seconds: u64,
    pub parallel: usize,
    pub spool_dir: Option<PathBuf>,
}

#[derive(Debug, Serialize)]
pub struct Limits {
    pub max_upload_mib: u64,
    pub sign_in_parallel: usize,
}

#[derive(Debug, Serialize)]
pub struct Log {
    pub format: LogFormat,
    pub filter: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Smtp {
    pub url: Option<Secret>,
    pub from: Option<String>,
    /// SMTP connections used at once.
    pub connections: usize,
    /// Messages one organization may send per hour.
    pub per_org_per_hour: i64,
}

#[derive(Debug, Serialize)]
pub struct Sso {
    pub issuer: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<Secret>,
}

/// What the command line and the environment said (clap merged them: a
/// flag wins over its variable). None where neither said anything.
#[derive(Debug, Default)]
pub struct Given {
    pub config: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<Secret>,
    pub database_url_file: Option<PathBuf>,
    pub listen: Option<SocketAddr>,
    pub base_url: Option<String>,
    pub trusted_proxies: Option<Vec<ipnet::IpNet>>,
    pub job_lease_seconds: Option<u64>,
    pub upload_memory_mib: Option<u64>,
    pub upload_cpu_seconds: Option<u64>,
    pub upload_timeout_seconds: Option<u64>,
    pub upload_parallel: Option<usize>,
    pub log_format: Option<LogFormat>,
    pub smtp_url: Option<Secret>,
    pub smtp_url_file: Option<PathBuf>,
    pub smtp_from: Option<String>,
    pub smtp_connections: Option<usize>,
    pub sso_client_secret_file: Option<PathBuf>,
    pub outbound_allow_private: Option<bool>,
    pub dns_server: Option<std::net::SocketAddr>,
}

pub const DEFAULT_DATA_DIR: &str = "./roster-data";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// A `ROSTER_*` variable, if set (and not empty).
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// A `ROSTER_*` variable parsed, or an error naming it.
fn env_parsed<T: std::str::FromStr>(name: &str) -> anyhow::Result<Option<T>>
where
    T::Err: std::fmt::Display,
{
    env(name)
        .map(|raw| {
            raw.trim()
                .parse::<T>()
                .map_err(|e| anyhow::anyhow!("{name}={raw:?}: {e}"))
        })
        .transpose()
}

impl Given {
    /// Fills in from the `ROSTER_*` environment what the flags did not give
    /// (the flags shared by every command, clap reads with their variables).
    fn with_environment(mut self) -> anyhow::Result<Given> {
        macro_rules! from_env {
            ($field:ident, $name:literal) => {
                if self.$field.is_none() {
                    self.$field = env_parsed($name)?;
                }
            };
        }
        from_env!(listen, "ROSTER_LISTEN");
        from_env!(job_lease_seconds, "ROSTER_JOB_LEASE_SECONDS");
        from_env!(upload_memory_mib, "ROSTER_UPLOAD_MEMORY_MIB");
        from_env!(upload_cpu_seconds, "ROSTER_UPLOAD_CPU_SECONDS");
        from_env!(upload_timeout_seconds, "ROSTER_UPLOAD_TIMEOUT_SECONDS");
        from_env!(upload_parallel, "ROSTER_UPLOAD_PARALLEL");
        from_env!(smtp_connections, "ROSTER_SMTP_CONNECTIONS");
        from_env!(outbound_allow_private, "ROSTER_OUTBOUND_ALLOW_PRIVATE");
        from_env!(dns_server, "ROSTER_DNS_SERVER");
        if self.smtp_from.is_none() {
            self.smtp_from = env("ROSTER_SMTP_FROM");
        }
        if self.base_url.is_none() {
            self.base_url = env("ROSTER_BASE_URL");
        }
        if self.trusted_proxies.is_none() {
            self.trusted_proxies = env("ROSTER_TRUSTED_PROXIES")
                .map(|raw| raw.split(',').map(parse_network).collect::<Result<Vec<_>, _>>())
                .transpose()
                .map_err(|e| anyhow::anyhow!("ROSTER_TRUSTED_PROXIES: {e}"))?;
        }
        if self.smtp_url.is_none() {
            self.smtp_url = env("ROSTER_SMTP_URL").map(Secret::new);
        }
        if self.smtp_url_file.is_none() {
            self.smtp_url_file = env("ROSTER_SMTP_URL_FILE").map(PathBuf::from);
        }
        if self.sso_client_secret_file.is_none() {
            self.sso_client_secret_file = env("ROSTER_SSO_CLIENT_SECRET_FILE").map(PathBuf::from);
        }
        Ok(self)
    }
}

impl Settings {
    /// Reads the settings file (if any) and fills in what `given` (flags)
    /// and the `ROSTER_*` environment lack.
    pub fn load(given: Given) -> anyhow::Result<Settings> {
        let given = given.with_environment()?;
        let data_dir_given = given.data_dir.clone();
        let (file, config_file) = match &given.config {
            Some(path) => (read_file(path)?, Some(path.clone())),
            None => {
                let dir = data_dir_given
                    .clone()
                    .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
                let found = dir.join("roster.toml");
                if found.is_file() {
                    (read_file(&found)?, Some(found))
                } else {
                    (FileSettings::default(), None)
                }
            }
        };
        let data_dir = data_dir_given
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
        let database_url = secret(
            "database_url",
            given.database_url,
            given.database_url_file.or(file.database_url_file),
            file.database_url,
        )?
        .unwrap_or_else(|| Secret::new(format!("sqlite://{}?mode=rwc", data_dir.join("roster.db").display())));
        let listen = match given.listen.or(file.server.listen) {
            Some(listen) => listen,
            None => DEFAULT_LISTEN.parse().context("the default address")?,
        };
        let trusted_proxies = match given.trusted_proxies {
            Some(networks) => networks,
            None => file
                .server
                .trusted_proxies
                .unwrap_or_default()
                .iter()
                .map(|raw| parse_network(raw).map_err(anyhow::Error::msg))
                .collect::<anyhow::Result<_>>()
                .context("server.trusted_proxies")?,
        };
        let base_url = given.base_url.or(file.server.base_url);
        if let Some(url) = &base_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                bail!("server.base_url {url:?} must start with http:// or https://");
            }
        }
        let smtp_url = secret(
            "smtp.url",
            given.smtp_url,
            given.smtp_url_file.or(file.smtp.url_file),
            file.smtp.url,
        )?;
        let client_secret = secret(
            "sso.client_secret",
            None,
            given.sso_client_secret_file.or(file.sso.client_secret_file),
            file.sso.client_secret,
        )?;
        Ok(Settings {
            config_file,
            data_dir,
            database_url,
            server: Server {
                listen,
                base_url: base_url.map(|url| url.trim_end_matches('/').to_owned()),
                trusted_proxies,
            },
            jobs: Jobs {
                lease_seconds: given.job_lease_seconds.or(file.jobs.lease_seconds).unwrap_or(30).max(1),
            },
            upload: Upload {
                memory_mib: given.upload_memory_mib.or(file.upload.memory_mib).unwrap_or(1024),
                cpu_seconds: given.upload_cpu_seconds.or(file.upload.cpu_seconds).unwrap_or(120),
                timeout_seconds: given
                    .upload_timeout_seconds
                    .or(file.upload.timeout_seconds)
                    .unwrap_or(180),
                parallel: given.upload_parallel.or(file.upload.parallel).unwrap_or(2).max(1),
                spool_dir: file.upload.spool_dir,
            },
            limits: Limits {
                max_upload_mib: file.limits.max_upload_mib.unwrap_or(100).max(1),
                sign_in_parallel: file.limits.sign_in_parallel.unwrap_or(4).max(1),
            },
            log: Log {
                format: given.log_format.or(file.log.format).unwrap_or_default(),
                filter: file.log.filter,
            },
            smtp: Smtp {
                url: smtp_url,
                from: given.smtp_from.or(file.smtp.from),
                connections: given
                    .smtp_connections
                    .or(file.smtp.connections)
                    .unwrap_or(1)
                    .clamp(1, 32),
                per_org_per_hour: file.smtp.per_org_per_hour.unwrap_or(10_000).max(1),
            },
            outbound: Outbound {
                allow_private: given
                    .outbound_allow_private
                    .or(file.outbound.allow_private)
                    .unwrap_or(false),
                dns_server: given.dns_server.or(file.outbound.dns_server),
            },
            sso: Sso {
                issuer: file.sso.issuer,
                client_id: file.sso.client_id,
                client_secret,
            },
        })
    }

    /// How mail is sent: `[smtp]`, or (for `serve --demo` without a server)
    /// to the log; its links start with `base_url`.
    pub fn mail(&self, base_url: &str, demo: bool) -> anyhow::Result<roster_service::mail::MailConfig> {
        use roster_service::mail::{parse_from, Delivery, MailConfig, SmtpTarget};
        let delivery = match &self.smtp.url {
            Some(url) => Delivery::Smtp(SmtpTarget::parse(url.expose()).map_err(|e| anyhow::anyhow!("smtp.url: {e}"))?),
            None if demo => Delivery::Log,
            None => Delivery::Off,
        };
        let from = match &self.smtp.from {
            Some(raw) => parse_from(raw).map_err(|e| anyhow::anyhow!("smtp.from: {e}"))?,
            None => MailConfig::default().from,
        };
        Ok(MailConfig {
            base_url: base_url.to_owned(),
            from,
            delivery,
            connections: self.smtp.connections,
            per_org_per_hour: self.smtp.per_org_per_hour,
        })
    }

    /// The upload sandbox's limits.
    pub fn sandbox(&self) -> roster_service::SandboxConfig {
        roster_service::SandboxConfig {
            memory_mib: self.upload.memory_mib,
            cpu_seconds: self.upload.cpu_seconds,
            timeout: Duration::from_secs(self.upload.timeout_seconds),
            parallel: self.upload.parallel,
            spool_dir: self.upload.spool_dir.clone(),
            ..Default::default()
        }
    }
}

/// `roster config check`: the settings in effect, secrets masked (TOML, or
/// JSON with `--json`).
pub fn print(settings: &Settings, json: bool) -> anyhow::Result<()> {
    if json {
        return crate::output::print_json(settings);
    }
    match &settings.config_file {
        Some(path) => println!(
            "# the settings in effect: {} over the defaults, then ROSTER_* and flags",
            path.display()
        ),
        None => println!("# the settings in effect: no settings file; the defaults, then ROSTER_* and flags"),
    }
    print!("{}", toml::to_string(settings).context("cannot show the settings")?);
    Ok(())
}

fn read_file(path: &Path) -> anyhow::Result<FileSettings> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    toml::from_str(&text).map_err(|e| {
        // toml's message names the line and column, shows it, and says which
        // key is unknown or which value is wrong.
        anyhow::anyhow!("{}: {}", path.display(), e.to_string().trim_end())
    })
}

/// A secret given directly or by a file holding it (flags and environment
/// before the settings file); both at once is a mistake.
fn secret(
    name: &str,
    given: Option<Secret>,
    file_path: Option<PathBuf>,
    in_file: Option<Secret>,
) -> anyhow::Result<Option<Secret>> {
    let from_file = match file_path {
        Some(path) => {
            let text =
                std::fs::read_to_string(&path).with_context(|| format!("{name}: cannot read {}", path.display()))?;
            Some(Secret::new(text.trim_end_matches(['\n', '\r'])))
        }
        None => None,
    };
    match (given, from_file, in_file) {
        (Some(value), _, _) => Ok(Some(value)),
        (None, Some(value), _) => Ok(Some(value)),
        (None, None, value) => Ok(value),
    }
}

/// A network (`10.0.0.0/8`) or one address (`10.0.0.5`, a network of one).
pub fn parse_network(raw: &str) -> Result<ipnet::IpNet, String> {
    let raw = raw.trim();
    raw.parse::<ipnet::IpNet>()
        .or_else(|_| raw.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("{raw:?} is not an address or a network like 10.0.0.0/8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, text: &str) -> PathBuf {
        let path = dir.join("roster.toml");
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn the_file_is_over_the_defaults_and_the_environment_and_flags_are_over_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "data_dir = \"/srv/roster\"\n[server]\nlisten = \"0.0.0.0:9000\"\nbase_url = \"https://roster.example/\"\n[upload]\nparallel = 3\n",
        );
        let settings = Settings::load(Given {
            config: Some(path.clone()),
            listen: Some("127.0.0.1:7000".parse().unwrap()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(settings.data_dir, PathBuf::from("/srv/roster"));
        assert_eq!(settings.server.listen.to_string(), "127.0.0.1:7000", "a flag wins");
        assert_eq!(settings.server.base_url.as_deref(), Some("https://roster.example"));
        assert_eq!(settings.upload.parallel, 3);
        assert_eq!(settings.upload.memory_mib, 1024, "a default");
        assert_eq!(
            settings.database_url.expose(),
            "sqlite:///srv/roster/roster.db?mode=rwc"
        );
    }

    #[test]
    fn the_commented_example_file_reads_and_says_the_defaults() {
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/roster.example.toml");
        let from_example = Settings::load(Given {
            config: Some(example),
            ..Default::default()
        })
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let empty = write(dir.path(), "");
        let defaults = Settings::load(Given {
            config: Some(empty),
            ..Default::default()
        })
        .unwrap();
        let shown = |s: &Settings| {
            let mut v = serde_json::to_value(s).unwrap();
            v["config_file"] = serde_json::Value::Null;
            v
        };
        assert_eq!(shown(&from_example), shown(&defaults));
    }

    #[test]
    fn an_unknown_key_is_an_error_naming_it_and_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "[server]\nlisten = \"127.0.0.1:1\"\nlisen = \"x\"\n");
        let err = Settings::load(Given {
            config: Some(path),
            ..Default::default()
        })
        .unwrap_err()
        .to_string();
        assert!(err.contains("line 3") && err.contains("lisen"), "{err}");
    }

    #[test]
    fn a_secret_can_come_from_a_file_and_never_prints() {
        let dir = tempfile::tempdir().unwrap();
        let secret_file = dir.path().join("db");
        std::fs::write(&secret_file, "postgres://roster:s3cret@db/roster\n").unwrap();
        let path = write(
            dir.path(),
            &format!("database_url_file = {:?}\n", secret_file.display().to_string()),
        );
        let settings = Settings::load(Given {
            config: Some(path),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(settings.database_url.expose(), "postgres://roster:s3cret@db/roster");
        let shown = format!("{settings:?} {}", serde_json::to_string(&settings).unwrap());
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("postgres://roster:***@db/roster"));
    }
}
