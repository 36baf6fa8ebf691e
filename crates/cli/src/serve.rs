use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use roster_service::jobs::Worker;
use roster_service::{NewToken, Service};
use tokio::sync::watch;

use crate::config::DbArgs;

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "ROSTER_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Create a demo organization (about 200 members) if there is none.
    #[arg(long)]
    demo: bool,
    /// The URL people reach Roster at, for links (defaults to http://LISTEN).
    #[arg(long, env = "ROSTER_BASE_URL")]
    base_url: Option<String>,
    /// Reverse proxies in front of Roster (addresses or networks, comma
    /// separated, like 10.0.0.0/8,192.168.1.5): only from them is
    /// X-Forwarded-For believed, for the client address that sign-in
    /// throttling and the audit log use.
    #[arg(long, env = "ROSTER_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_network)]
    trusted_proxies: Vec<ipnet::IpNet>,
    /// Seconds a worker holds a job without renewing its lease: after a
    /// crash, another worker (or this one, restarted) takes the job up once
    /// the lease has run out.
    #[arg(long, env = "ROSTER_JOB_LEASE_SECONDS", default_value_t = 30)]
    job_lease_seconds: u64,
    #[command(flatten)]
    upload: UploadLimits,
}

/// The limits uploads are read under (in a child process; see README).
#[derive(Args, Debug)]
struct UploadLimits {
    /// Address space of the process that reads an upload, in MiB.
    #[arg(long, env = "ROSTER_UPLOAD_MEMORY_MIB", default_value_t = 1024)]
    upload_memory_mib: u64,
    /// CPU time it may use, in seconds.
    #[arg(long, env = "ROSTER_UPLOAD_CPU_SECONDS", default_value_t = 120)]
    upload_cpu_seconds: u64,
    /// Time it may take, in seconds.
    #[arg(long, env = "ROSTER_UPLOAD_TIMEOUT_SECONDS", default_value_t = 180)]
    upload_timeout_seconds: u64,
    /// Uploads read at once; more wait (at most 10 s, then 503).
    #[arg(long, env = "ROSTER_UPLOAD_PARALLEL", default_value_t = 2)]
    upload_parallel: usize,
}

impl UploadLimits {
    fn sandbox(&self) -> roster_service::SandboxConfig {
        roster_service::SandboxConfig {
            memory_mib: self.upload_memory_mib,
            cpu_seconds: self.upload_cpu_seconds,
            timeout: Duration::from_secs(self.upload_timeout_seconds),
            parallel: self.upload_parallel.max(1),
            ..Default::default()
        }
    }
}

/// A network (`10.0.0.0/8`) or one address (`10.0.0.5`, a network of one).
fn parse_network(raw: &str) -> Result<ipnet::IpNet, String> {
    let raw = raw.trim();
    raw.parse::<ipnet::IpNet>()
        .or_else(|_| raw.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("{raw:?} is not an address or a network like 10.0.0.0/8"))
}

pub const DEMO_PASSWORD: &str = "roster-demo-password";

pub async fn run(db: &DbArgs, args: ServeArgs) -> anyhow::Result<()> {
    let service = db.service().await?.with_upload_sandbox(args.upload.sandbox());
    let base_url = args
        .base_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", args.listen));
    if args.demo {
        seed_demo(&service, &base_url).await?;
    }
    if let Some(token) = service.setup_token_if_empty().await? {
        eprintln!("\nRoster has no organization yet. Create the first one and its primary admin:");
        eprintln!("  in the browser (one-time link): {base_url}/setup?token={token}");
        eprintln!("  or on the command line:         ROSTER_OWNER_PASSWORD=… roster org create --name NAME --slug SLUG --owner-email EMAIL\n");
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut worker = Worker::new(service.clone()).with_lease(Duration::from_secs(args.job_lease_seconds.max(1)));
    roster_service::imports::register_jobs(&mut worker, service.clone());
    let worker = tokio::spawn(worker.run(stop_rx));
    tracing::info!(listen = %args.listen, "Roster is serving");
    eprintln!("Roster is listening on {base_url}");
    let mut http = roster_http::HttpConfig::new(base_url.clone());
    http.trusted_proxies = args.trusted_proxies.clone();
    let app = roster_http::app(service.clone(), http).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    let _ = stop_tx.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(10), worker).await;
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
