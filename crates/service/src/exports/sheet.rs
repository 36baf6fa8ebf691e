//! The pipe between an export's readers (async, reading the database a
//! page at a time) and its writer (a blocking thread that owns the CSV or
//! workbook sink): batches of rows through a bounded channel, so that the
//! database and the file are busy at once and memory holds a few pages.

use std::fs::File;
use std::io::{BufWriter, Seek, Write};
use std::path::Path;

use roster_bulk::{CsvDialect, CsvSink, TableSink, Value, XlsxSink};
use tokio::sync::mpsc;

use super::ExportFormat;
use crate::jobs::JobContext;

/// Rows per batch sent to the writer.
const BATCH: usize = 500;
/// Rows between two looks at the clock for progress.
const PROGRESS_EVERY: i64 = 5_000;
/// Progress goes to the database (a write transaction) at most this often;
/// this process's memory has it after every batch.
const PROGRESS_WRITE_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

pub(super) enum Piece {
    Sheet(String, Vec<String>),
    Rows(Vec<Vec<Value>>),
}

/// Why an export stopped.
#[derive(Debug, thiserror::Error)]
pub(super) enum Stop {
    /// Worth another attempt (a full disk, a database that went away).
    #[error("{0}")]
    Failed(String),
    /// Final: the requester may no longer export this, or the request
    /// cannot be read; another attempt would be refused the same way.
    #[error("{0}")]
    Refused(String),
    /// Another worker has the job: this one writes nothing more.
    #[error("the job's lease was lost")]
    LeaseLost,
}

impl From<roster_store::StoreError> for Stop {
    fn from(e: roster_store::StoreError) -> Self {
        crate::ServiceError::from(e).into()
    }
}

impl From<crate::ServiceError> for Stop {
    fn from(e: crate::ServiceError) -> Self {
        use crate::ServiceError::*;
        if let Forbidden(_) | MissingPermission(_) | NotFound(_) | Invalid(_) = e {
            return Self::Refused(e.to_string());
        }
        Self::Failed(match e {
            // The cause goes to the log; the export says only that it was ours.
            crate::ServiceError::Internal(inner) => {
                let id = crate::new_secret("").get(..12).unwrap_or_default().to_owned();
                tracing::error!(error_id = %id, error = %inner, "an export failed");
                format!("an internal error (error id {id} in the server's log)")
            }
            other => other.to_string(),
        })
    }
}

/// The readers' end: sheets and rows, with progress.
pub(super) struct Out<'a> {
    sender: mpsc::Sender<Piece>,
    batch: Vec<Vec<Value>>,
    pub rows: i64,
    total: Option<i64>,
    last_report: i64,
    last_write: std::time::Instant,
    ctx: Option<&'a JobContext>,
}

impl<'a> Out<'a> {
    /// Starts a sheet (for CSV, the one table).
    pub async fn sheet(&mut self, name: &str, headers: Vec<String>) -> Result<(), Stop> {
        self.flush().await?;
        self.send(Piece::Sheet(name.to_owned(), headers)).await
    }

    /// How many rows the export will have, when known.
    pub fn expect(&mut self, total: Option<i64>) {
        self.total = total;
    }

    pub async fn row(&mut self, cells: Vec<Value>) -> Result<(), Stop> {
        self.batch.push(cells);
        self.rows += 1;
        if self.batch.len() >= BATCH {
            self.flush().await?;
        }
        if self.rows - self.last_report >= PROGRESS_EVERY {
            self.last_report = self.rows;
            if let Some(ctx) = self.ctx {
                let total = self.total.map(|t| t.max(self.rows));
                ctx.live_progress(self.rows, total);
                if self.last_write.elapsed() >= PROGRESS_WRITE_EVERY {
                    self.last_write = std::time::Instant::now();
                    ctx.progress(self.rows, total).await.map_err(|_| Stop::LeaseLost)?;
                }
            }
        }
        Ok(())
    }

    pub async fn flush(&mut self) -> Result<(), Stop> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        self.send(Piece::Rows(batch)).await
    }

    async fn send(&mut self, piece: Piece) -> Result<(), Stop> {
        // The writer stopped (a full disk): its error is the one to report.
        self.sender
            .send(piece)
            .await
            .map_err(|_| Stop::Failed("the file writer stopped".into()))
    }
}

/// The writer thread's end.
pub(super) struct Writer {
    handle: tokio::task::JoinHandle<std::io::Result<File>>,
}

/// Starts a writer thread writing `format` into an unnamed temporary file
/// in `dir` (gone with the process, whatever happens); the readers send
/// it sheets and rows through the returned `Out`.
pub(super) fn start<'a>(
    format: ExportFormat,
    dialect: CsvDialect,
    dir: &Path,
    ctx: Option<&'a JobContext>,
) -> Result<(Out<'a>, Writer), Stop> {
    let file = tempfile::tempfile_in(dir).map_err(|e| Stop::Failed(format!("cannot create the export's file: {e}")))?;
    let (sender, mut receiver) = mpsc::channel::<Piece>(4);
    let dir = dir.to_owned();
    let handle = tokio::task::spawn_blocking(move || -> std::io::Result<File> {
        let mut file = file;
        {
            let out = BufWriter::with_capacity(256 * 1024, &mut file);
            let mut sink: Box<dyn TableSink + '_> = match format {
                ExportFormat::Csv => Box::new(CsvSink::new(out, dialect)),
                ExportFormat::Xlsx => Box::new(XlsxSink::new(out, Some(&dir))?),
            };
            while let Some(piece) = receiver.blocking_recv() {
                match piece {
                    Piece::Sheet(name, headers) => sink.begin_sheet(&name, &headers)?,
                    Piece::Rows(rows) => {
                        for row in &rows {
                            sink.row(row)?;
                        }
                    }
                }
            }
            sink.finish()?;
        }
        file.flush()?;
        file.sync_data()?;
        file.rewind()?;
        Ok(file)
    });
    let out = Out {
        sender,
        batch: Vec::with_capacity(BATCH),
        rows: 0,
        total: None,
        last_report: 0,
        last_write: std::time::Instant::now(),
        ctx,
    };
    Ok((out, Writer { handle }))
}

impl Writer {
    /// Waits for the file after the readers are done (`produced`); returns
    /// it, rewound, with the rows written.
    pub async fn finish(self, mut out: Out<'_>, produced: Result<(), Stop>) -> Result<(File, i64), Stop> {
        let produced = match produced {
            Ok(()) => out.flush().await,
            Err(e) => Err(e),
        };
        let rows = out.rows;
        drop(out);
        let written = self
            .handle
            .await
            .map_err(|e| Stop::Failed(format!("the file writer crashed: {e}")))?;
        // The writer's error (a full disk) explains a reader's "writer stopped".
        let file = written.map_err(|e| Stop::Failed(format!("writing the file failed: {e}")))?;
        produced?;
        Ok((file, rows))
    }
}
