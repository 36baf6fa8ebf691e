//! `roster export KIND --org SLUG --format csv|xlsx --out FILE`: starts an
//! export, runs its job here (a `roster serve` may take it first; either
//! way this waits for it) with a progress bar on a terminal, and writes
//! the file. `roster jobs --org SLUG`: the Imports/Exports dashboard.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context as _};
use clap::{Args, ValueEnum};
use roster_service::exports::CsvDialect;
use roster_service::exports::{register_jobs, ExportFormat, ExportKind, ExportRequest, ExportStatus, MemberFilter};
use roster_service::jobs::Worker;
use roster_service::{ActivityFilter, ActivityKind, ActivityStatus, Actor, MemberStatus, Role, SeatType, Service};

use crate::output::{print_json, print_table};

/// The kinds of export, by the names the service gives them.
fn kinds() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(ExportKind::ALL.map(ExportKind::as_str))
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Csv,
    Xlsx,
}

#[derive(Clone, Copy, ValueEnum)]
enum Dialect {
    /// UTF-8 with BOM, commas (the default).
    Excel,
    /// Semicolons, for Excel in Germany.
    ExcelDe,
    /// Semicolons, for Excel in the Netherlands.
    ExcelNl,
    /// Semicolons, for Excel in France.
    ExcelFr,
    /// UTF-8 without BOM, commas, for scripts.
    Plain,
}

#[derive(Args)]
pub struct ExportArgs {
    /// What to export.
    #[arg(value_parser = kinds())]
    kind: String,
    /// The organization's slug.
    #[arg(long)]
    org: String,
    #[arg(long, value_enum, default_value = "xlsx")]
    format: Format,
    /// How a CSV file is written.
    #[arg(long, value_enum)]
    csv_dialect: Option<Dialect>,
    /// Where to write the file.
    #[arg(long)]
    out: PathBuf,
    /// Members: words in names, e-mail, personal id or comment.
    #[arg(long)]
    q: Option<String>,
    /// Members: in this status.
    #[arg(long)]
    status: Option<String>,
    /// Members: with this role.
    #[arg(long)]
    role: Option<String>,
    /// Members: with this seat type.
    #[arg(long)]
    seat_type: Option<String>,
    /// Members: of this team (id); team-members: the team (required).
    #[arg(long)]
    team: Option<i64>,
    /// Members: whose comment is exactly this.
    #[arg(long)]
    comment: Option<String>,
    /// Members: only external (true) or only internal (false) members.
    #[arg(long)]
    external: Option<bool>,
    /// Audit and statistics: the first day (YYYY-MM-DD, UTC).
    #[arg(long)]
    since: Option<String>,
    /// Audit and statistics: the last day (YYYY-MM-DD, UTC).
    #[arg(long)]
    until: Option<String>,
    /// Content: one app's items.
    #[arg(long)]
    app: Option<String>,
}

impl ExportArgs {
    fn request(&self) -> anyhow::Result<ExportRequest> {
        let kind = ExportKind::parse(&self.kind)?;
        let filter = MemberFilter {
            q: self.q.clone(),
            status: self.status.as_deref().map(MemberStatus::parse).transpose()?,
            role: self.role.as_deref().map(Role::parse).transpose()?,
            seat_type: self.seat_type.as_deref().map(SeatType::parse).transpose()?,
            team: if kind == ExportKind::TeamMembers {
                None
            } else {
                self.team
            },
            comment: self.comment.clone(),
            external: self.external,
        };
        if !filter.is_empty() && kind != ExportKind::Members {
            bail!("--q, --status, --role, --seat-type, --comment and --external filter a members export");
        }
        Ok(ExportRequest {
            kind,
            format: Some(match self.format {
                Format::Csv => ExportFormat::Csv,
                Format::Xlsx => ExportFormat::Xlsx,
            }),
            csv_dialect: self.csv_dialect.map(|d| match d {
                Dialect::Excel => CsvDialect::Excel,
                Dialect::ExcelDe => CsvDialect::ExcelDe,
                Dialect::ExcelNl => CsvDialect::ExcelNl,
                Dialect::ExcelFr => CsvDialect::ExcelFr,
                Dialect::Plain => CsvDialect::Plain,
            }),
            filter: (!filter.is_empty()).then_some(filter),
            team: (kind == ExportKind::TeamMembers).then_some(self.team).flatten(),
            since: self.since.clone(),
            until: self.until.clone(),
            app: self.app.clone(),
        })
    }
}

/// Exit codes: 0 written, 2 the export failed.
pub async fn run(svc: &Service, json: bool, args: ExportArgs, lease_seconds: u64) -> anyhow::Result<u8> {
    let actor = svc.system_actor(&args.org).await?;
    let export = svc.create_export(svc.authorize(&actor).await?, args.request()?).await?;
    let id = export.id.clone();
    let done = wait_for(svc, &actor, &id, json, lease_seconds).await?;
    if done.status != ExportStatus::Ready {
        let why = done.error.clone().unwrap_or_else(|| done.status_label.clone());
        if json {
            print_json(&done)?;
        } else {
            eprintln!("export {id} failed: {why}");
        }
        return Ok(2);
    }
    let mut reader = svc.export_file(svc.authorize(&actor).await?, &id).await?;
    // Written beside the target and renamed: a reader of --out never sees half a file.
    let dir = args
        .out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    let mut file =
        tempfile::NamedTempFile::new_in(&dir).with_context(|| format!("cannot write in {}", dir.display()))?;
    while let Some(part) = reader.next_part().await? {
        file.write_all(&part)?;
    }
    file.flush()?;
    file.persist(&args.out)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    if json {
        print_json(&done)?;
    } else {
        println!(
            "export {id}: {} rows written to {} ({} bytes)",
            done.rows_done,
            args.out.display(),
            done.size_bytes.unwrap_or(0)
        );
    }
    Ok(0)
}

/// Runs export jobs here until this one is finished, with a progress bar
/// on a terminal.
async fn wait_for(
    svc: &Service,
    actor: &Actor,
    id: &str,
    json: bool,
    lease_seconds: u64,
) -> anyhow::Result<roster_service::exports::ExportView> {
    let mut worker = Worker::new(svc.clone()).with_lease(Duration::from_secs(lease_seconds));
    register_jobs(&mut worker, svc.clone());
    let tty = !json && std::io::stderr().is_terminal();
    let bar = tty.then(|| {
        let style = indicatif::ProgressStyle::with_template("{msg} {wide_bar} {human_pos}/{human_len} rows, {elapsed}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
        let bar = indicatif::ProgressBar::new(0).with_style(style);
        bar.set_message(format!("export {id}"));
        bar
    });
    loop {
        let mut run = tokio::spawn(async move { worker.run_once().await.map(|ran| (ran, worker)) });
        let (ran, w) = loop {
            tokio::select! {
                done = &mut run => break done??,
                _ = tokio::time::sleep(Duration::from_millis(200)) => {
                    if let Some(bar) = &bar {
                        let view = svc.export(svc.authorize(actor).await?, id).await?;
                        bar.set_length(view.rows_total.unwrap_or(view.rows_done).max(view.rows_done) as u64);
                        bar.set_position(view.rows_done as u64);
                    }
                }
            }
        };
        worker = w;
        let view = svc.export(svc.authorize(actor).await?, id).await?;
        if view.status.finished() {
            if let Some(bar) = &bar {
                bar.finish_and_clear();
            }
            return Ok(view);
        }
        if !ran {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

#[derive(Args)]
pub struct JobsArgs {
    /// The organization's slug.
    #[arg(long)]
    org: String,
    /// Only imports or only exports.
    #[arg(long, value_parser = ["import", "export"])]
    kind: Option<String>,
    /// Only waiting, running, done, failed or ended ones.
    #[arg(long, value_parser = ["waiting", "running", "done", "failed", "ended"])]
    status: Option<String>,
}

/// The Imports/Exports dashboard as a table.
pub async fn jobs(svc: &Service, json: bool, args: JobsArgs) -> anyhow::Result<u8> {
    let actor = svc.system_actor(&args.org).await?;
    let filter = ActivityFilter {
        kind: args.kind.as_deref().map(|k| match k {
            "import" => ActivityKind::Import,
            _ => ActivityKind::Export,
        }),
        status: args.status.as_deref().map(|s| match s {
            "waiting" => ActivityStatus::Waiting,
            "running" => ActivityStatus::Running,
            "done" => ActivityStatus::Done,
            "failed" => ActivityStatus::Failed,
            _ => ActivityStatus::Ended,
        }),
    };
    let entries = svc.activity(svc.authorize(&actor).await?, filter).await?;
    if json {
        print_json(&entries)?;
        return Ok(0);
    }
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|e| {
            let progress = match e.progress_total {
                Some(total) => format!("{}/{total}", e.progress_done),
                None => e.progress_done.to_string(),
            };
            vec![
                e.created_at.to_string().get(..16).unwrap_or_default().replace('T', " "),
                e.what.clone(),
                e.file_name.clone(),
                if e.created_by_name.is_empty() {
                    e.created_by.clone()
                } else {
                    e.created_by_name.clone()
                },
                e.status_label.clone(),
                progress,
                e.failure.clone().unwrap_or_else(|| e.result.clone()),
                e.id.clone(),
            ]
        })
        .collect();
    print_table(&["when", "what", "file", "who", "status", "rows", "result", "id"], rows);
    Ok(0)
}
