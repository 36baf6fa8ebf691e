//! `roster import`: upload, preview, apply with progress, report, undo — the
//! same service functions as the API and the console.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};
use roster_service::imports::{
    register_jobs, ColumnMapping, Existing, ImportOptions, ImportStatus, ImportView, Preview, PreviewOrProgress,
    PreviewRows, ReportFormat, ReportRequest,
};
use roster_service::jobs::Worker;
use roster_service::{Service, ServiceError};
use serde_json::json;

use crate::config::open_service;
use crate::output::print_json;
use crate::settings::Settings;

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ImportArgs {
    #[command(subcommand)]
    command: Option<ImportCommand>,
    #[command(flatten)]
    run: Option<RunArgs>,
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Undo an applied import.
    Undo {
        #[arg(long)]
        org: String,
        import_id: i64,
    },
}

#[derive(Args)]
struct RunArgs {
    /// The organization's slug.
    #[arg(long)]
    org: String,
    /// The CSV file or Excel workbook (format, encoding and delimiter are detected).
    file: PathBuf,
    /// The workbook's sheet to read (default: its first sheet with cells).
    #[arg(long)]
    sheet: Option<String>,
    /// Check and report, change nothing.
    #[arg(long)]
    dry_run: bool,
    /// A JSON mapping (`[{"column":0,"header":"…","target":"email"}, …]`), as the API's mapping.
    #[arg(long)]
    mapping: Option<PathBuf>,
    /// What to do with members who exist already.
    #[arg(long, value_enum, default_value = "update")]
    existing: ExistingArg,
    /// Apply nothing if any row has an error.
    #[arg(long)]
    all_or_nothing: bool,
    /// Write the per-row report here (CSV, or an Excel workbook if the name ends in .xlsx).
    #[arg(long)]
    report: Option<PathBuf>,
    /// Write only the rows not imported to the report, with their reasons:
    /// the file to fix and import again.
    #[arg(long, requires = "report")]
    failed_only: bool,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ExistingArg {
    Update,
    Skip,
}

/// Exit codes: 0 every row applied, 3 some rows failed (the rest applied),
/// 2 the file was refused and nothing changed.
pub async fn run(settings: &Settings, json: bool, args: ImportArgs) -> anyhow::Result<u8> {
    let svc = open_service(settings).await?;
    match (args.command, args.run) {
        (Some(ImportCommand::Undo { org, import_id }), _) => {
            let actor = svc.system_actor(&org).await?;
            let report = svc.undo_import(svc.authorize(&actor).await?, import_id).await?;
            if json {
                print_json(&report)?;
            } else {
                println!(
                    "import {import_id} undone: {} removed, {} restored, {} kept",
                    report.removed,
                    report.restored,
                    report.kept.len()
                );
                for k in &report.kept {
                    println!(
                        "  line {}: member {} kept: {}",
                        k.line,
                        k.member_id.unwrap_or_default(),
                        k.reason
                    );
                }
            }
            Ok(0)
        }
        (None, Some(run_args)) => import_file(&svc, json, run_args).await,
        (None, None) => anyhow::bail!("give a FILE to import, or `roster import undo`"),
    }
}

async fn import_file(svc: &Service, json: bool, args: RunArgs) -> anyhow::Result<u8> {
    let actor = svc.system_actor(&args.org).await?;
    // Read here only to say early that it cannot be; the upload sandbox reads it.
    std::fs::File::open(&args.file).with_context(|| format!("cannot read {}", args.file.display()))?;
    let name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let import = svc
        .create_import(svc.authorize(&actor).await?, &name, &args.file, args.sheet.as_deref())
        .await?;
    if let Some(path) = &args.mapping {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        let columns: Vec<ColumnMapping> =
            serde_json::from_str(&text).context("the mapping file is not a JSON list of columns")?;
        svc.set_import_mapping(svc.authorize(&actor).await?, import.id, columns)
            .await?;
    }
    let options = ImportOptions {
        existing: match args.existing {
            ExistingArg::Update => Existing::Update,
            ExistingArg::Skip => Existing::Skip,
        },
        all_or_nothing: args.all_or_nothing,
    };
    let import = svc.import(svc.authorize(&actor).await?, import.id).await?;
    if !json {
        let d = &import.detected;
        let unmapped = import.mapping.unmapped();
        eprintln!(
            "{name}: {}, {}, delimiter {}{}",
            d.format.label(),
            d.encoding.map_or("-", |e| e.label()),
            d.delimiter_name().unwrap_or_else(|| "-".into()),
            d.sheet.as_deref().map(|s| format!(", sheet {s:?}")).unwrap_or_default(),
        );
        if !unmapped.is_empty() {
            eprintln!("columns not imported: {}", unmapped.join(", "));
        }
    }
    // A dry run previews; applying plans once, in the job (a preview first would plan twice).
    let (status, rows, created, updated, unchanged, failed, errors) = if args.dry_run {
        // The first rows with errors; the totals count every row.
        let first_errors = PreviewRows {
            errors_only: true,
            offset: 0,
            limit: Some(20),
        };
        let preview = dry_run(svc, &actor, import.id, options, first_errors, json).await?;
        for s in preview.seat_shortfall.iter().filter(|_| !json) {
            eprintln!(
                "not enough {} seats: {} needed, {} available ({} short)",
                s.label, s.needed, s.available, s.shortfall
            );
        }
        let t = &preview.totals;
        let errors: Vec<String> = preview
            .rows
            .iter()
            .map(|r| format!("line {}: {}", r.line, r.reason()))
            .take(20)
            .collect();
        (
            "previewed".to_owned(),
            t.rows,
            t.create,
            t.update,
            t.unchanged,
            t.error,
            errors,
        )
    } else {
        svc.apply_import(svc.authorize(&actor).await?, import.id, options)
            .await?;
        let record = wait_for_job(svc, &actor, import.id, json).await?;
        let summary = &record.summary;
        if let Some(failure) = &summary.failure {
            let message = match &summary.undone {
                Some(u) => format!(
                    "{failure}; the {} rows it had committed were taken back ({} members removed, {} restored, {} kept because they were edited or signed in since)",
                    summary.committed, u.removed, u.restored, u.kept
                ),
                None => failure.clone(),
            };
            return Err(
                ServiceError::Invalid(roster_domain::InvalidInput::new("file", "import_failed", message)).into(),
            );
        }
        // The first rows not taken, as a dry run lists them.
        let failed_rows = if summary.error > 0 && !json {
            svc.failed_import_rows(svc.authorize(&actor).await?, import.id, 20)
                .await?
        } else {
            Vec::new()
        };
        let n = |count: u64| count as usize;
        (
            record.status.as_str().to_owned(),
            n(summary.rows),
            n(summary.created),
            n(summary.updated),
            n(summary.unchanged),
            n(summary.error),
            failed_rows
                .into_iter()
                .map(|r| format!("line {}: {}", r.line, r.reason))
                .collect(),
        )
    };
    if let Some(path) = &args.report {
        let xlsx = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
        let format = if xlsx { ReportFormat::Xlsx } else { ReportFormat::Csv };
        let report = svc
            .import_report(
                svc.authorize(&actor).await?,
                import.id,
                ReportRequest {
                    format,
                    options,
                    failed_only: args.failed_only,
                },
            )
            .await?;
        report
            .persist(path)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    let summary = json!({
        "import_id": import.id, "status": status, "rows": rows,
        "created": created, "updated": updated, "unchanged": unchanged, "failed": failed,
    });
    if json {
        print_json(&summary)?;
    } else {
        println!(
            "import {} {status}: {created} created, {updated} updated, {unchanged} unchanged, {failed} failed",
            import.id
        );
        for line in &errors {
            println!("  {line}");
        }
        if failed > 0 && args.report.is_none() && !args.dry_run {
            println!("  (--report FILE writes every row with its reason; with --failed-only, just these rows)");
        }
    }
    // The search index catches up now, after the summary: a server's worker
    // does it between jobs, but a command line may be all there is.
    if created > 0 && !args.dry_run {
        svc.catch_up_search(usize::MAX).await?;
    }
    Ok(if status == "failed" {
        2
    } else if failed > 0 {
        3
    } else {
        0
    })
}

/// Runs the import's job here (another `roster serve` may take it first;
/// either way this waits for it), with a progress bar on a terminal.
async fn wait_for_job(svc: &Service, actor: &roster_service::Actor, id: i64, json: bool) -> anyhow::Result<ImportView> {
    let mut worker = Worker::new(svc.clone());
    register_jobs(&mut worker, svc.clone());
    let tty = !json && std::io::stderr().is_terminal();
    if tty {
        // The bar appears once the job knows how many rows there are (after
        // its first pass over the file, which looks for duplicates).
        eprintln!("import {id}: checking every row, then applying…");
    }
    let mut bar = None;
    // Ctrl-C stops the import as the console's button does: the job drops
    // the chunk it is writing and takes back what it committed. Another
    // Ctrl-C leaves at once; the import is stopped by whoever runs its job
    // next (the request to stop is stored).
    let mut interrupt = Box::pin(tokio::signal::ctrl_c());
    let mut stopping = false;
    loop {
        // The job runs beside this loop, which reads its progress meanwhile.
        let mut run = tokio::spawn(async move { worker.run_once().await.map(|ran| (ran, worker)) });
        let ran = loop {
            tokio::select! {
                done = &mut run => break done??,
                _ = &mut interrupt => {
                    interrupt = Box::pin(tokio::signal::ctrl_c());
                    if stopping {
                        eprintln!("import {id}: left while it stops; `roster serve` or the next `roster import` finishes taking its rows back");
                        std::process::exit(130);
                    }
                    stopping = true;
                    eprintln!("import {id}: stopping, and taking back the rows it committed (Ctrl-C again to leave now)…");
                    if let Err(e) = svc.cancel_import(svc.authorize(actor).await?, id).await {
                        eprintln!("import {id}: it cannot be stopped: {e}");
                    }
                }
                _ = tokio::time::sleep(Duration::from_millis(200)) => {
                    if tty {
                        show_progress(svc, actor, id, &mut bar).await?;
                    }
                }
            }
        };
        let (ran, w) = ran;
        worker = w;
        let record = svc.import(svc.authorize(actor).await?, id).await?;
        if record.status != ImportStatus::Applying {
            if let Some(bar) = &bar {
                bar.finish_and_clear();
            }
            return Ok(record);
        }
        if tty {
            show_progress(svc, actor, id, &mut bar).await?;
        }
        if !ran {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// Draws the job's progress, creating the bar once the total is known.
async fn show_progress(
    svc: &Service,
    actor: &roster_service::Actor,
    id: i64,
    bar: &mut Option<indicatif::ProgressBar>,
) -> anyhow::Result<()> {
    let record = svc.import(svc.authorize(actor).await?, id).await?;
    let Some((done, total)) = svc.import_progress(svc.authorize(actor).await?, &record).await? else {
        return Ok(());
    };
    if bar.is_none() {
        let Some(total) = total else { return Ok(()) };
        *bar = Some(rows_bar(total.max(0) as u64, format!("applying import {id}")));
    }
    if let Some(bar) = bar {
        bar.set_position(done.max(0) as u64);
    }
    Ok(())
}

/// A progress bar over a file's rows.
fn rows_bar(total: u64, message: String) -> indicatif::ProgressBar {
    let style = indicatif::ProgressStyle::with_template(
        "{msg} [{bar:30}] {human_pos}/{human_len} rows ({percent}%), {elapsed}",
    )
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
    .progress_chars("=> ");
    let bar = indicatif::ProgressBar::new(total).with_style(style);
    bar.set_message(message);
    bar
}

/// Previews the import; on a terminal the file is checked in the background
/// and a bar shows the rows checked.
async fn dry_run(
    svc: &Service,
    actor: &roster_service::Actor,
    id: i64,
    options: ImportOptions,
    wanted: PreviewRows,
    json: bool,
) -> anyhow::Result<Preview> {
    if json || !std::io::stderr().is_terminal() {
        return Ok(svc
            .preview_import(svc.authorize(actor).await?, id, options, wanted)
            .await?);
    }
    let mut bar: Option<indicatif::ProgressBar> = None;
    loop {
        let can = svc.authorize(actor).await?;
        match svc
            .preview_import_or_progress(can, id, options, wanted, Duration::from_millis(200))
            .await?
        {
            PreviewOrProgress::Preview(preview) => {
                if let Some(bar) = &bar {
                    bar.finish_and_clear();
                }
                return Ok(*preview);
            }
            PreviewOrProgress::Planning { done, total } if total > 0 => {
                bar.get_or_insert_with(|| rows_bar(total as u64, format!("checking import {id}")))
                    .set_position(done as u64);
            }
            PreviewOrProgress::Planning { .. } => {}
        }
    }
}
