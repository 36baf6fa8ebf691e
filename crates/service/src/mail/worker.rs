//! Delivers the outbox. Each of `connections` senders claims a few due
//! messages under a lease, sends them over its own SMTP connection (kept
//! open while there is work) and hands each server answer to its marker
//! (`marks.rs`), which writes it while the next message goes: a crash
//! between the answer and the mark sends that message once more when its
//! lease runs out, never more.

use std::collections::HashMap;
use std::time::Duration;

use roster_domain::now_millis;
use roster_store::{defer_message, messages_sent_since, ClaimedMessage};
use tokio::sync::watch;

use super::compose::compose;
use super::marks::{Mark, Marker};
use super::smtp::{SendFailure, SmtpConnection, SmtpTarget};
use super::Delivery;
use crate::{new_secret, Service, ServiceResult};

/// Attempts before a message that keeps failing for a passing reason fails for good.
const MAX_ATTEMPTS: i64 = 8;
const HOUR: i64 = 3_600_000;

pub struct MailWorker {
    service: Service,
    lease: Duration,
    batch: i64,
    poll_interval: Duration,
}

impl MailWorker {
    pub fn new(service: Service) -> Self {
        Self {
            service,
            lease: Duration::from_secs(60),
            batch: 50,
            poll_interval: Duration::from_millis(250),
        }
    }

    pub fn with_poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// Runs the senders until `shutdown` turns true. Without delivery
    /// configured it does nothing: messages wait in the outbox.
    pub async fn run(self, shutdown: watch::Receiver<bool>) {
        let config = self.service.mail_config().clone();
        if matches!(config.delivery, Delivery::Off) {
            return;
        }
        let senders: Vec<_> = (0..config.connections.max(1))
            .map(|_| {
                let sender = Sender {
                    service: self.service.clone(),
                    lease: self.lease,
                    batch: self.batch,
                    poll_interval: self.poll_interval,
                    connection: None,
                    sent_this_hour: HashMap::new(),
                    marker: Marker::start(self.service.clone()),
                };
                tokio::spawn(sender.run(shutdown.clone()))
            })
            .collect();
        for sender in senders {
            let _ = sender.await;
        }
    }

    /// Delivers every due message once (tests, and `roster mail flush`):
    /// returns how many were claimed.
    pub async fn run_once(&self) -> ServiceResult<usize> {
        let mut sender = Sender {
            service: self.service.clone(),
            lease: self.lease,
            batch: self.batch,
            poll_interval: self.poll_interval,
            connection: None,
            sent_this_hour: HashMap::new(),
            marker: Marker::start(self.service.clone()),
        };
        let mut total = 0;
        loop {
            let n = sender.deliver_batch().await?;
            total += n;
            if n == 0 {
                break;
            }
        }
        if let Some(c) = sender.connection.take() {
            c.quit().await;
        }
        sender.marker.finish().await;
        Ok(total)
    }
}

struct Sender {
    service: Service,
    lease: Duration,
    batch: i64,
    poll_interval: Duration,
    connection: Option<SmtpConnection>,
    /// Per organization: (messages sent in the last hour, when counted).
    sent_this_hour: HashMap<i64, (i64, i64)>,
    /// Writes the marks of delivered messages beside the sending.
    marker: Marker,
}

impl Sender {
    async fn run(mut self, mut shutdown: watch::Receiver<bool>) {
        loop {
            if *shutdown.borrow() {
                break;
            }
            let claimed = match self.deliver_batch().await {
                Ok(n) => n,
                Err(err) => {
                    tracing::error!(error = %err, "the outbox is unavailable; retrying");
                    0
                }
            };
            if claimed == 0 {
                // Idle: let the server go, and look again shortly.
                if let Some(c) = self.connection.take() {
                    c.quit().await;
                }
                let wake = self.service.mail_wake.clone();
                tokio::select! {
                    _ = tokio::time::sleep(self.poll_interval) => {}
                    _ = wake.notified() => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
        if let Some(c) = self.connection.take() {
            c.quit().await;
        }
        self.marker.finish().await;
    }

    /// Claims and delivers one batch; returns how many were claimed.
    async fn deliver_batch(&mut self) -> ServiceResult<usize> {
        let lease_token = new_secret("mail_");
        let claimed = self
            .service
            .store()
            .claim_messages(&lease_token, self.lease.as_millis() as i64, self.batch, now_millis())
            .await?;
        let n = claimed.len();
        for message in claimed {
            self.deliver(message).await?;
        }
        Ok(n)
    }

    async fn deliver(&mut self, claimed: ClaimedMessage) -> ServiceResult<()> {
        let ClaimedMessage { message, lease_token } = claimed;
        let now = now_millis();
        if let Some(org) = message.org_id {
            if self.over_hourly_limit(org, now).await? {
                let mut tx = self.service.store().begin().await?;
                defer_message(&mut tx, message.id, &lease_token, now + 60_000).await?;
                tx.commit().await?;
                return Ok(());
            }
        }
        let outcome = match self.service.mail_config().delivery.clone() {
            Delivery::Smtp(target) => self.send_smtp(&target, &message).await,
            Delivery::Log => {
                log_message(&message);
                Ok(())
            }
            Delivery::Off => return Ok(()),
        };
        let now = now_millis();
        let outcome = match outcome {
            Ok(()) => {
                if let Some(org) = message.org_id {
                    if let Some((count, _)) = self.sent_this_hour.get_mut(&org) {
                        *count += 1;
                    }
                }
                Ok(())
            }
            Err(failure) => {
                let retry_at = (!failure.permanent && message.attempts < MAX_ATTEMPTS).then(|| {
                    // 30 s, 1 min, 2 min … capped at an hour.
                    now + (15_000 * (1i64 << message.attempts.clamp(1, 8))).min(HOUR)
                });
                Err((failure.reason, retry_at))
            }
        };
        self.marker.mark(Mark {
            id: message.id,
            lease_token,
            at: now,
            outcome,
        });
        Ok(())
    }

    async fn send_smtp(
        &mut self,
        target: &SmtpTarget,
        message: &roster_store::MessageRecord,
    ) -> Result<(), SendFailure> {
        let from = self.service.mail_config().from.clone();
        let (to, bytes) = compose(message, &from)?;
        if self.connection.as_ref().is_none_or(SmtpConnection::is_broken) {
            self.connection = Some(SmtpConnection::open(target).await?);
        }
        let Some(connection) = self.connection.as_mut() else {
            unreachable!("opened above")
        };
        let result = connection.send(&from.email, &to, &bytes).await;
        if result.as_ref().is_err_and(|f| !f.permanent) || connection.is_broken() {
            // A passing failure may have left the session anywhere: start afresh.
            if let Some(c) = self.connection.take() {
                c.quit().await;
            }
        }
        result
    }

    async fn over_hourly_limit(&mut self, org: i64, now: i64) -> ServiceResult<bool> {
        let limit = self.service.mail_config().per_org_per_hour;
        let fresh = self
            .sent_this_hour
            .get(&org)
            .is_some_and(|(_, counted_at)| now - counted_at < 10_000);
        if !fresh {
            let mut conn = self.service.store().conn().await?;
            let count = messages_sent_since(&mut conn, org, now - HOUR).await?;
            self.sent_this_hour.insert(org, (count, now));
        }
        Ok(self.sent_this_hour.get(&org).is_some_and(|(count, _)| *count >= limit))
    }
}

/// `serve --demo` without SMTP: the message's recipient, subject and link.
fn log_message(message: &roster_store::MessageRecord) {
    let link = message
        .body_text
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("http://") || l.starts_with("https://"))
        .unwrap_or("");
    tracing::info!(to = %message.to_address, subject = %message.subject, %link, "mail (no SMTP server configured: written to the log, not sent)");
    eprintln!("mail to {}: {} {link}", message.to_address, message.subject);
}
