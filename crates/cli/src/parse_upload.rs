//! `roster parse-upload`: the upload sandbox's reader (see
//! `roster_service`'s `uploads`). The server starts it as a child process
//! for every upload: it limits itself first (address space, CPU time), then
//! reads the upload from stdin and writes the normalized table to `--out`.
//! On stdout it says, as one JSON object, what it read (`{"read": …}`) or
//! why the file is refused (`{"refused": {"field", "code", "message"}}`,
//! exit code 2). An allocation
//! it cannot have aborts it, which is the point: it, not the server, dies.
//! Not for people: hidden from `roster --help`.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use nix::sys::resource::{setrlimit, Resource};

#[derive(Args, Debug)]
pub struct ParseUploadArgs {
    /// Address-space limit, in MiB.
    #[arg(long)]
    memory_mib: u64,
    /// CPU-time limit, in seconds.
    #[arg(long)]
    cpu_seconds: u64,
    /// Refuse more data rows than this.
    #[arg(long)]
    max_rows: usize,
    /// The workbook's sheet to read (default: its first with cells).
    #[arg(long)]
    sheet: Option<String>,
    /// Skip the fast checks of a workbook's zip and shared strings (to test
    /// that the limits alone contain a hostile file).
    #[arg(long)]
    no_prechecks: bool,
    /// Where the normalized table goes.
    #[arg(long)]
    out: PathBuf,
}

/// The largest upload read (the HTTP layer refuses larger ones before this).
const MAX_INPUT_BYTES: u64 = 1024 * 1024 * 1024;

pub fn run(args: ParseUploadArgs) -> ExitCode {
    let memory = args.memory_mib.saturating_mul(1024 * 1024);
    // Soft CPU limit: SIGXCPU, which ends the process; the hard one a second later.
    let limited = setrlimit(Resource::RLIMIT_AS, memory, memory)
        .and_then(|()| setrlimit(Resource::RLIMIT_CPU, args.cpu_seconds, args.cpu_seconds + 1));
    if let Err(e) = limited {
        eprintln!("roster parse-upload: cannot limit itself: {e}");
        return ExitCode::from(1);
    }
    let mut bytes = Vec::new();
    if let Err(e) = std::io::stdin()
        .lock()
        .take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut bytes)
    {
        // Growing the buffer past the address-space limit fails here as an
        // error rather than an abort; it is the same limit.
        if e.kind() == std::io::ErrorKind::OutOfMemory {
            eprintln!("roster parse-upload: memory allocation failed reading the upload: {e}");
        } else {
            eprintln!("roster parse-upload: cannot read the upload: {e}");
        }
        return ExitCode::from(1);
    }
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        let refused = serde_json::json!({ "refused": {
            "field": "file", "code": "file_refused",
            "message": format!("the file is larger than {} MiB, the most an import reads", MAX_INPUT_BYTES >> 20),
        }});
        println!("{refused}");
        return ExitCode::from(2);
    }
    let out = match std::fs::File::create(&args.out) {
        Ok(file) => std::io::BufWriter::new(file),
        Err(e) => {
            eprintln!("roster parse-upload: cannot write {}: {e}", args.out.display());
            return ExitCode::from(1);
        }
    };
    let read = roster_bulk::normalize(&bytes, args.sheet.as_deref(), args.max_rows, !args.no_prechecks, out);
    let (report, code) = match read {
        Ok(normalized) => (serde_json::json!({ "read": normalized }), 0),
        Err(refused) => (
            serde_json::json!({ "refused": {
                "field": refused.field(), "code": refused.code(), "message": refused.to_string(),
            }}),
            2,
        ),
    };
    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "{report}").and_then(|()| stdout.flush()).is_err() {
        return ExitCode::from(1);
    }
    ExitCode::from(code)
}
