//! A real SMTP server for the tests: aiosmtpd (PyPI) running
//! `scripts/smtp_sink.py` on a loopback port, in the venv that
//! `scripts/ensure-smtp-sink` installs. It writes each message it accepts
//! as JSON (envelope, headers, decoded text and HTML parts). Missing, it
//! fails the test: it never skips.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};

pub struct SmtpSink {
    pub port: u16,
    dir: tempfile::TempDir,
    _process: tokio::process::Child,
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        let root = repo_root();
        let ensure = std::process::Command::new(root.join("scripts/ensure-smtp-sink"))
            .output()
            .expect("scripts/ensure-smtp-sink runs");
        assert!(
            ensure.status.success(),
            "cannot install aiosmtpd: {}",
            String::from_utf8_lossy(&ensure.stderr)
        );
        let python = String::from_utf8(ensure.stdout).unwrap().trim().to_owned();
        // A free port is found by binding and letting go of it; another
        // test may take it in between, so a sink that cannot listen is
        // started again on another port.
        let mut failures = Vec::new();
        for _ in 0..5 {
            let port = {
                let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
                l.local_addr().unwrap().port()
            };
            let dir = tempfile::tempdir().unwrap();
            let mut process = tokio::process::Command::new(&python)
                .arg(root.join("scripts/smtp_sink.py"))
                .arg("127.0.0.1")
                .arg(port.to_string())
                .arg(dir.path())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .kill_on_drop(true)
                .spawn()
                .expect("the SMTP sink starts");
            let mut lines = BufReader::new(process.stdout.take().unwrap()).lines();
            let ready = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
                .await
                .expect("the SMTP sink answers within 20 s")
                .unwrap();
            if ready.as_deref() == Some("ready") {
                return SmtpSink {
                    port,
                    dir,
                    _process: process,
                };
            }
            let mut why = String::new();
            if let Some(mut err) = process.stderr.take() {
                let _ = tokio::io::AsyncReadExt::read_to_string(&mut err, &mut why).await;
            }
            failures.push(format!("port {port}: {why}"));
        }
        panic!("the SMTP sink did not start: {}", failures.join("\n"));
    }
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far.
    pub fn messages(&self) -> Vec<Value> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(self.dir.path()).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "json") {
                out.push(serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap());
            }
        }
        out
    }

    /// Waits until `n` messages have arrived (at most 20 s), and returns them.
    pub async fn wait_for(&self, n: usize) -> Vec<Value> {
        for _ in 0..400 {
            let messages = self.messages();
            if messages.len() >= n {
                return messages;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("expected {n} messages, the sink has {}", self.messages().len());
    }

    /// The messages to one address.
    pub fn to(&self, address: &str) -> Vec<Value> {
        self.messages()
            .into_iter()
            .filter(|m| m["rcpt_tos"].as_array().unwrap().iter().any(|r| r == address))
            .collect()
    }
}

/// A message's header (the first of that name).
pub fn header<'a>(message: &'a Value, name: &str) -> Option<&'a str> {
    message["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h[0].as_str().unwrap().eq_ignore_ascii_case(name))
        .and_then(|h| h[1].as_str())
}

/// The link in a message's text that starts with `prefix`.
pub fn link(message: &Value, prefix: &str) -> String {
    message["text"]
        .as_str()
        .unwrap()
        .split_whitespace()
        .find(|w| w.starts_with(prefix))
        .unwrap_or_else(|| panic!("no link {prefix}… in {}", message["text"]))
        .to_owned()
}
