//! Reading uploaded files where they cannot hurt anyone.
//!
//! An upload is untrusted input to parsers (calamine, zip, XML, CSV) that
//! can be made to ask for terabytes of memory, loop for ever or crash; in
//! Rust a failed allocation aborts the whole process, and no check in front
//! of a parser can rule that out. So no upload is ever parsed in the server:
//! a child process of the `roster` binary (`roster parse-upload`) reads it
//! under an address-space limit (RLIMIT_AS), a CPU-time limit and a
//! wall-clock timeout, and turns it once into a normalized table
//! (`roster_bulk::normalize`) that the server stores and reads with its own
//! reader. A child that dies or overruns is an upload refused with the
//! reason; the server goes on serving. At most `parallel` children run at
//! once; an upload that waits longer than `queue_wait` for its turn is
//! refused as busy (503), so a burst of uploads cannot exhaust memory.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use roster_bulk::Normalized;
use roster_domain::InvalidInput;
use serde::Deserialize;
use tokio::sync::Semaphore;

use crate::{ServiceError, ServiceResult};

/// The limits an upload is read under, and where the reader is.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// The `roster` binary (default: the running one).
    pub program: Option<PathBuf>,
    /// Address space of the reading process (RLIMIT_AS), in MiB.
    pub memory_mib: u64,
    /// CPU time of the reading process (RLIMIT_CPU), in seconds.
    pub cpu_seconds: u64,
    /// Wall-clock time the reading process may take.
    pub timeout: Duration,
    /// Uploads read at once.
    pub parallel: usize,
    /// How long an upload waits for its turn before it is refused as busy.
    pub queue_wait: Duration,
    /// Where uploads and tables wait while they are read (default: the
    /// system's temporary directory).
    pub spool_dir: Option<PathBuf>,
    /// The fast checks of a workbook's zip directory and shared strings
    /// before calamine opens it. Off only to test that the sandbox alone
    /// contains what they would have caught.
    pub prechecks: bool,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            program: None,
            memory_mib: 1024,
            cpu_seconds: 120,
            timeout: Duration::from_secs(180),
            parallel: 2,
            queue_wait: Duration::from_secs(10),
            spool_dir: None,
            prechecks: true,
        }
    }
}

/// How the child reports: the table's summary, or why the file is refused.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum ChildReport {
    Read(Normalized),
    Refused(Refusal),
}

/// Why the reader refuses a file (`roster_bulk::ImportError`, as it said it).
#[derive(Deserialize)]
struct Refusal {
    field: String,
    code: String,
    message: String,
}

/// The reader's codes, as the `'static` codes errors carry.
fn refusal_code(code: &str) -> &'static str {
    match code {
        "not_a_workbook" => "not_a_workbook",
        _ => "file_refused",
    }
}

/// An upload read into its normalized table (a temporary file, gone when dropped).
pub(crate) struct NormalizedUpload {
    pub(crate) summary: Normalized,
    pub(crate) table: tempfile::NamedTempFile,
}

#[derive(Clone)]
pub(crate) struct UploadSandbox {
    config: Arc<SandboxConfig>,
    turns: Arc<Semaphore>,
}

impl UploadSandbox {
    pub(crate) fn new(config: SandboxConfig) -> Self {
        Self {
            turns: Arc::new(Semaphore::new(config.parallel.max(1))),
            config: Arc::new(config),
        }
    }

    /// A temporary file in the spool directory (uploads, tables, reports).
    pub(crate) fn spool_file(&self) -> ServiceResult<tempfile::NamedTempFile> {
        let made = match &self.config.spool_dir {
            Some(dir) => tempfile::NamedTempFile::new_in(dir),
            None => tempfile::NamedTempFile::new(),
        };
        made.map_err(|e| ServiceError::Internal(Box::new(e)))
    }

    /// Reads the upload at `input` in a child process under the limits.
    pub(crate) async fn normalize(
        &self,
        input: &Path,
        sheet: Option<&str>,
        row_limit: usize,
    ) -> ServiceResult<NormalizedUpload> {
        let _turn = tokio::time::timeout(self.config.queue_wait, self.turns.acquire())
            .await
            .map_err(|_| {
                ServiceError::Overloaded(format!(
                    "Roster is reading {} other uploads; nothing was stored, try again in a moment",
                    self.config.parallel
                ))
            })?
            .map_err(|e| ServiceError::Internal(Box::new(e)))?;
        let program = match &self.config.program {
            Some(program) => program.clone(),
            None => std::env::current_exe().map_err(|e| ServiceError::Internal(Box::new(e)))?,
        };
        let table = self.spool_file()?;
        let stdin = std::fs::File::open(input).map_err(|e| ServiceError::Internal(Box::new(e)))?;
        let mut command = tokio::process::Command::new(program);
        command
            .arg("parse-upload")
            .arg("--memory-mib")
            .arg(self.config.memory_mib.to_string())
            .arg("--cpu-seconds")
            .arg(self.config.cpu_seconds.to_string())
            .arg("--max-rows")
            .arg(row_limit.to_string())
            .arg("--out")
            .arg(table.path());
        if let Some(sheet) = sheet {
            command.arg("--sheet").arg(sheet);
        }
        if !self.config.prechecks {
            command.arg("--no-prechecks");
        }
        // Nothing of the server's environment (database URL, secrets) goes along.
        command
            .env_clear()
            .stdin(Stdio::from(stdin))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let child = command.spawn().map_err(|e| ServiceError::Internal(Box::new(e)))?;
        let what = what_it_is(input);
        let output = match tokio::time::timeout(self.config.timeout, child.wait_with_output()).await {
            Ok(output) => output.map_err(|e| ServiceError::Internal(Box::new(e)))?,
            // Dropping the child kills it.
            Err(_) => {
                let seconds = self.config.timeout.as_secs_f64();
                tracing::warn!(timeout_s = seconds, "an upload took too long to read");
                return Err(over_limits(what, &format!("it takes longer than {seconds} s to read")));
            }
        };
        let report = serde_json::from_slice::<ChildReport>(&output.stdout);
        match report {
            Ok(ChildReport::Read(summary)) if output.status.success() => Ok(NormalizedUpload { summary, table }),
            Ok(ChildReport::Refused(why)) => {
                Err(InvalidInput::new(why.field, refusal_code(&why.code), why.message).into())
            }
            _ => {
                let stderr = String::from_utf8_lossy(&output.stderr);
                let tail: String = stderr
                    .chars()
                    .rev()
                    .take(2000)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                tracing::warn!(status = %output.status, stderr = %tail, "the upload reader stopped");
                Err(over_limits(what, &why_it_stopped(&output.status, &stderr)))
            }
        }
    }
}

/// "workbook" or "file", by the upload's first bytes (a zip is a workbook).
fn what_it_is(input: &Path) -> &'static str {
    use std::io::Read;
    let mut magic = [0u8; 4];
    let read = std::fs::File::open(input).and_then(|mut f| f.read_exact(&mut magic));
    if read.is_ok() && magic == *b"PK\x03\x04" {
        "workbook"
    } else {
        "file"
    }
}

fn over_limits(what: &str, why: &str) -> ServiceError {
    InvalidInput::new(
        "file",
        "file_over_limits",
        format!("the {what} could not be read within the limits: {why}"),
    )
    .into()
}

/// Why the reading process ended without a table, as its exit says.
fn why_it_stopped(status: &std::process::ExitStatus, stderr: &str) -> String {
    use std::os::unix::process::ExitStatusExt;
    // "memory allocation of N bytes failed" (Rust's abort), or the reader's
    // own word for a buffer it could not grow.
    if stderr.contains("memory allocation") {
        return "it asks for more memory than allowed".into();
    }
    if stderr.contains("has overflowed its stack") {
        return "it nests deeper than the reader allows".into();
    }
    match status.signal().and_then(|s| nix::sys::signal::Signal::try_from(s).ok()) {
        Some(nix::sys::signal::Signal::SIGXCPU) => "it takes more computing time than allowed".into(),
        Some(nix::sys::signal::Signal::SIGKILL) => "it takes more computing time or memory than allowed".into(),
        Some(signal) => format!("the reader stopped on it ({signal})"),
        None => format!("the reader stopped on it ({status})"),
    }
}
