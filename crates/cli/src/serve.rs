use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use roster_service::jobs::Worker;
use roster_service::{NewToken, Service};
use tokio::sync::watch;

use crate::config::DbArgs;
use crate::settings::{parse_network, Given, Settings};

/// Each setting here is also a `ROSTER_*` variable and a key of
/// `roster.toml` (the README's table); `settings.rs` reads those.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on (default 127.0.0.1:8080).
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// Create a demo organization (about 200 members) if there is none.
    #[arg(long)]
    demo: bool,
    /// The URL people reach Roster at, for links (defaults to http://LISTEN).
    #[arg(long)]
    base_url: Option<String>,
    /// Reverse proxies in front of Roster (addresses or networks, comma
    /// separated, like 10.0.0.0/8,192.168.1.5): only from them is
    /// X-Forwarded-For believed, for the client address that sign-in
    /// throttling and the audit log use.
    #[arg(long, value_delimiter = ',', value_parser = parse_network)]
    trusted_proxies: Option<Vec<ipnet::IpNet>>,
    /// Seconds a worker holds a job without renewing its lease (default 30):
    /// after a crash, another worker (or this one, restarted) takes the job
    /// up once the lease has run out.
    #[arg(long)]
    job_lease_seconds: Option<u64>,
    /// Address space of the process that reads an upload, in MiB (default 1024).
    #[arg(long)]
    upload_memory_mib: Option<u64>,
    /// CPU time it may use, in seconds (default 120).
    #[arg(long)]
    upload_cpu_seconds: Option<u64>,
    /// Time it may take, in seconds (default 180).
    #[arg(long)]
    upload_timeout_seconds: Option<u64>,
    /// Uploads read at once; more wait (at most 10 s, then 503). Default 2.
    #[arg(long)]
    upload_parallel: Option<usize>,
}

impl ServeArgs {
    /// The settings these arguments give on top of the shared ones.
    fn given(&self, db: &DbArgs) -> Given {
        Given {
            listen: self.listen,
            base_url: self.base_url.clone(),
            trusted_proxies: self.trusted_proxies.clone(),
            job_lease_seconds: self.job_lease_seconds,
            upload_memory_mib: self.upload_memory_mib,
            upload_cpu_seconds: self.upload_cpu_seconds,
            upload_timeout_seconds: self.upload_timeout_seconds,
            upload_parallel: self.upload_parallel,
            ..db.given()
        }
    }
}

pub const DEMO_PASSWORD: &str = "roster-demo-password";

/// The settings `roster serve` runs with.
pub fn settings(db: &DbArgs, args: &ServeArgs) -> anyhow::Result<Settings> {
    Settings::load(args.given(db))
}

pub async fn run(settings: Settings, args: ServeArgs) -> anyhow::Result<()> {
    let base_url = settings.server.served_base_url();
    let service = crate::config::open_service(&settings)
        .await?
        .with_mail(settings.mail(&base_url, args.demo)?);
    // One truth for every link: commands run beside this server (and other
    // instances) read it from the database.
    service.record_served_base_url(&base_url).await?;
    if settings.sso.issuer.is_some() || settings.sso.client_id.is_some() {
        tracing::warn!(
            "the [sso] settings are not used: single sign-on is set per organization (roster sso set, or the console's Settings → Identity provider)"
        );
    }
    if args.demo {
        seed_demo(&service, &base_url).await?;
    }
    if let Some(token) = service.setup_token_if_empty().await? {
        eprintln!("\nRoster has no organization yet. Create the first one and its primary admin:");
        eprintln!("  in the browser (one-time link): {base_url}/setup?token={token}");
        eprintln!("  or on the command line:         ROSTER_OWNER_PASSWORD=… roster org create --name NAME --slug SLUG --owner-email EMAIL\n");
    }
    let listen = settings.server.listen;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut worker = Worker::new(service.clone()).with_lease(Duration::from_secs(settings.jobs.lease_seconds));
    roster_service::imports::register_jobs(&mut worker, service.clone());
    roster_service::exports::register_jobs(&mut worker, service.clone());
    let mail = roster_service::mail::MailWorker::new(service.clone());
    let mail = tokio::spawn(mail.run(stop_rx.clone()));
    let worker = tokio::spawn(worker.run(stop_rx));
    match &service.mail_config().delivery {
        roster_service::mail::Delivery::Smtp(target) => {
            tracing::info!(host = %target.host, port = target.port, tls = ?target.tls, "mail goes out over SMTP")
        }
        roster_service::mail::Delivery::Log => {
            eprintln!("No SMTP server is configured: mail is written to this log (with its links) instead of sent.")
        }
        roster_service::mail::Delivery::Off => eprintln!(
            "No SMTP server is configured ([smtp] url, ROSTER_SMTP_URL): invitations wait in the outbox until one is."
        ),
    }
    tracing::info!(%listen, "Roster is serving");
    eprintln!("Roster is listening on {base_url}");
    let mut http = roster_http::HttpConfig::new(base_url.clone());
    http.trusted_proxies = settings.server.trusted_proxies.clone();
    http.max_upload_bytes =
        usize::try_from(settings.limits.max_upload_mib.saturating_mul(1 << 20)).unwrap_or(usize::MAX);
    let app = roster_http::app(service.clone(), http).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    let _ = stop_tx.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(10), worker).await;
    let _ = tokio::time::timeout(Duration::from_secs(10), mail).await;
    // Refusals' audit rows and tokens' last use still queued go in now.
    let _ = tokio::time::timeout(Duration::from_secs(30), service.flush_deferred_writes()).await;
    service.store().close().await;
    Ok(())
}

async fn seed_demo(service: &Service, base_url: &str) -> anyhow::Result<()> {
    match service.seed_demo(DEMO_PASSWORD).await? {
        Some(summary) => {
            let actor = service.system_actor(&summary.slug).await?;
            let token = service
                .create_token(service.authorize(&actor).await?, NewToken::new("demo", "admin"))
                .await?;
            eprintln!("\nDemo organization {:?} created with {} members.", summary.slug, summary.members);
            eprintln!("  Sign in at {base_url}/login with the password {DEMO_PASSWORD} as");
            eprintln!("    {:<16} {}", "owner", summary.owner_email);
            for (role, email) in &summary.logins {
                eprintln!("    {role:<16} {email}");
            }
            eprintln!("  API token (admin, shown once): {}", token.token);
            eprintln!("  Try: curl -H 'Authorization: Bearer {}' {base_url}/api/v1/orgs/demo/members\n", token.token);
        }
        None => eprintln!("\nDemo organization \"demo\" exists; sign in as owner@demo.roster.example with the password {DEMO_PASSWORD}.\n  New API token: roster token create --org demo --name me --role admin\n"),
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
