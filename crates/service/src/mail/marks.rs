//! Marking delivered messages, beside the sending: a sender hands each
//! server answer to its marker and goes on with the next message; the
//! marker writes the marks in order, those that arrived together in one
//! transaction. A message stays marked `sending` under its lease until its
//! mark is written, so a crash in between sends it once more (never twice
//! more) — the same bound as marking inline, for the few milliseconds a
//! mark waits here.

use roster_store::{mark_message_failed, mark_message_sent};
use tokio::sync::mpsc;

use crate::Service;

/// How one message went.
pub(super) struct Mark {
    pub id: i64,
    pub lease_token: String,
    pub at: i64,
    /// Sent; or failed with the reason, to be tried again at the time given.
    pub outcome: Result<(), (String, Option<i64>)>,
}

/// Marks written in the background, in order.
pub(super) struct Marker {
    queue: mpsc::UnboundedSender<Mark>,
    task: tokio::task::JoinHandle<()>,
}

/// Marks at most this many in one transaction.
const GROUP: usize = 200;

impl Marker {
    pub fn start(service: Service) -> Self {
        let (queue, mut received) = mpsc::unbounded_channel::<Mark>();
        let task = tokio::spawn(async move {
            let mut group = Vec::with_capacity(GROUP);
            while received.recv_many(&mut group, GROUP).await > 0 {
                if let Err(err) = write(&service, &group).await {
                    // The messages stay `sending`; when their lease runs out
                    // they are sent once more.
                    tracing::error!(error = %err, count = group.len(), "could not mark delivered messages");
                }
                group.clear();
            }
        });
        Self { queue, task }
    }

    pub fn mark(&self, mark: Mark) {
        // The task ends only when this queue closes.
        let _ = self.queue.send(mark);
    }

    /// Writes every mark handed over so far, then stops.
    pub async fn finish(self) {
        drop(self.queue);
        let _ = self.task.await;
    }
}

async fn write(service: &Service, group: &[Mark]) -> crate::ServiceResult<()> {
    let mut tx = service.store().begin().await?;
    for mark in group {
        let held = match &mark.outcome {
            Ok(()) => mark_message_sent(&mut tx, mark.id, &mark.lease_token, mark.at).await?,
            Err((reason, retry_at)) => {
                mark_message_failed(&mut tx, mark.id, &mark.lease_token, reason, *retry_at).await?
            }
        };
        match (&mark.outcome, held) {
            (_, false) => tracing::warn!(message = mark.id, "lease lost before the message was marked"),
            (Ok(()), true) => tracing::debug!(message = mark.id, "message sent"),
            (Err((reason, retry_at)), true) => {
                tracing::warn!(message = mark.id, retry = retry_at.is_some(), %reason, "message not sent")
            }
        }
    }
    tx.commit().await?;
    Ok(())
}
