//! `roster`: the server and the operator's command line. Every command is a
//! thin shell over the service layer; `--json` prints exactly one JSON
//! document on stdout for scripts.

mod admin;
mod config;
mod import;
mod output;
mod parse_upload;
mod serve;

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
    /// Members: add, list, show, update, remove.
    #[command(subcommand)]
    Member(admin::MemberCommand),
    /// Teams: create, list, add-member, remove-member, delete.
    #[command(subcommand)]
    Team(admin::TeamCommand),
    /// Import members from a CSV file: preview, apply, report, undo.
    Import(import::ImportArgs),
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
    config::init_logging(matches!(cli.command, Command::Serve(_)));
    let result: anyhow::Result<u8> = match cli.command {
        Command::Serve(args) => serve::run(&cli.db, args).await.map(|()| 0),
        Command::Migrate => admin::migrate(&cli.db, cli.json).await.map(|()| 0),
        Command::Org(cmd) => admin::org(&cli.db, cli.json, cmd).await.map(|()| 0),
        Command::Token(cmd) => admin::token(&cli.db, cli.json, cmd).await.map(|()| 0),
        Command::Member(cmd) => admin::member(&cli.db, cli.json, cmd).await.map(|()| 0),
        Command::Team(cmd) => admin::team(&cli.db, cli.json, cmd).await.map(|()| 0),
        Command::Import(args) => import::run(&cli.db, cli.json, args).await,
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
