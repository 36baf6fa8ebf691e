//! `roster`: the server and the operator's command line. Every command is a
//! thin shell over the service layer; `--json` prints exactly one JSON
//! document on stdout for scripts.

mod admin;
mod config;
mod export;
mod import;
mod invite;
mod member_bulk;
mod output;
mod parse_upload;
mod scim;
mod serve;
mod settings;
mod sso;

use clap::{Parser, Subcommand};

use crate::config::DbArgs;

#[derive(Parser)]
#[command(name = "roster", version, about = "Self-hosted organization membership service")]
struct Cli {
    #[command(flatten)]
    db: DbArgs,
    /// Print one JSON document instead of tables.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Check the settings and print the ones in effect (secrets as ***).
    Check,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server and job workers.
    Serve(serve::ServeArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Organizations: create, update, list, show, seats.
    #[command(subcommand)]
    Org(admin::OrgCommand),
    /// API tokens: create, list, revoke.
    #[command(subcommand)]
    Token(admin::TokenCommand),
    /// SCIM for the identity provider: `roster scim token create|list|revoke`.
    #[command(subcommand)]
    Scim(scim::ScimCommand),
    /// Single sign-on with the organization's OpenID provider:
    /// `roster sso set|show|test|remove`, `roster sso domain claim|list|remove`.
    #[command(subcommand)]
    Sso(sso::SsoCommand),
    /// Members: add, list, show, update, remove.
    #[command(subcommand)]
    Member(admin::MemberCommand),
    /// Teams: create, list, add-member, remove-member, delete.
    #[command(subcommand)]
    Team(admin::TeamCommand),
    /// Import members from a CSV file: preview, apply, report, undo.
    Import(import::ImportArgs),
    /// Invite members (by e-mail, id, status or import); `resend`, `revoke`.
    Invite(invite::InviteArgs),
    /// Export members, teams, a team's members, invitations, the audit log,
    /// content items, statistics or the whole organization to CSV or XLSX.
    Export(export::ExportArgs),
    /// The Imports/Exports dashboard: imports and exports of the job history.
    Jobs(export::JobsArgs),
    /// Mail: `test --to ADDRESS` checks the SMTP settings; `deliver` sends what is due.
    #[command(subcommand)]
    Mail(invite::MailCommand),
    /// The settings: `roster config check` reads them (roster.toml,
    /// ROSTER_* environment, flags) and prints the effective ones, secrets masked.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// The upload sandbox's reader, started by the server for each upload.
    #[command(hide = true)]
    ParseUpload(parse_upload::ParseUploadArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    // The upload sandbox's reader runs alone: no runtime, no threads, no logging.
    let cli = match cli.command {
        Command::ParseUpload(args) => return parse_upload::run(args),
        _ => cli,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build();
    match runtime {
        Ok(runtime) => runtime.block_on(run(cli)),
        Err(err) => {
            eprintln!("roster: cannot start: {err}");
            std::process::ExitCode::from(1)
        }
    }
}

async fn run(cli: Cli) -> std::process::ExitCode {
    let serving = matches!(cli.command, Command::Serve(_));
    let settings = match &cli.command {
        Command::Serve(args) => serve::settings(&cli.db, args),
        _ => cli.db.settings(),
    };
    let settings = match settings {
        Ok(settings) => settings,
        Err(err) => {
            config::init_logging(serving, None);
            output::print_error(cli.json, &err);
            // Settings that do not read are refused input: nothing ran.
            return std::process::ExitCode::from(2);
        }
    };
    config::init_logging(serving, Some(&settings));
    let result: anyhow::Result<u8> = match cli.command {
        Command::Serve(args) => serve::run(settings, args).await.map(|()| 0),
        Command::Migrate => admin::migrate(&settings, cli.json).await.map(|()| 0),
        Command::Org(cmd) => admin::org(&settings, cli.json, cmd).await.map(|()| 0),
        Command::Token(cmd) => admin::token(&settings, cli.json, cmd).await.map(|()| 0),
        Command::Scim(cmd) => scim::run(&settings, cli.json, cmd).await.map(|()| 0),
        Command::Sso(cmd) => sso::run(&settings, cli.json, cmd).await.map(|()| 0),
        Command::Member(cmd) => admin::member(&settings, cli.json, cmd).await,
        Command::Team(cmd) => admin::team(&settings, cli.json, cmd).await.map(|()| 0),
        Command::Import(args) => import::run(&settings, cli.json, args).await,
        Command::Invite(args) => match config::open_service(&settings).await {
            Ok(svc) => invite::run(&settings, &svc, cli.json, args).await,
            Err(e) => Err(e),
        },
        Command::Export(args) => match config::open_service(&settings).await {
            Ok(svc) => export::run(&svc, cli.json, args, settings.jobs.lease_seconds).await,
            Err(e) => Err(e),
        },
        Command::Jobs(args) => match config::open_service(&settings).await {
            Ok(svc) => export::jobs(&svc, cli.json, args).await,
            Err(e) => Err(e),
        },
        Command::Mail(cmd) => match config::open_service(&settings).await {
            Ok(svc) => invite::mail(&svc, cli.json, cmd).await,
            Err(e) => Err(e),
        },
        Command::Config(ConfigCommand::Check) => settings::print(&settings, cli.json).map(|()| 0),
        Command::ParseUpload(_) => Ok(1),
    };
    match result {
        Ok(code) => std::process::ExitCode::from(code),
        Err(err) => {
            output::print_error(cli.json, &err);
            std::process::ExitCode::from(output::exit_code(&err))
        }
    }
}
