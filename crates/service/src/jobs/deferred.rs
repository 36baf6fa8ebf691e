//! Writes a request must not wait for: the audit row of a refused access
//! and a token's "last used" time. On SQLite a large import holds the one
//! writer for a minute; a read that had to write its refusal row first
//! would wait as long. So these rows go to a queue that one task writes to
//! the database in batches, at once when it is free and as soon as it is
//! free again after an import — no audit row is dropped: a write that fails
//! is tried again, and when the queue is full (100,000 rows waiting, some
//! 30 MB) the request writes its row itself. A token's use is queued at most
//! once a minute per token, and skipped when the queue is full (it is a
//! hint). Rows still queued when the process is killed are lost; `roster
//! serve` flushes the queue when it stops.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use roster_store::{insert_audit, touch_scim_token, touch_token, NewAuditEvent, Store};
use tokio::sync::{mpsc, oneshot};

use crate::{ServiceError, ServiceResult};

/// An audit row, owned, for the queue.
#[derive(Debug, Clone)]
pub(crate) struct AuditRow {
    pub org_id: Option<i64>,
    pub actor: String,
    pub action: String,
    pub target_kind: String,
    pub target_id: String,
    pub outcome: String,
    pub ip: String,
    pub request_id: String,
    pub details: serde_json::Value,
    pub at: i64,
}

impl AuditRow {
    fn event(&self) -> NewAuditEvent<'_> {
        NewAuditEvent {
            org_id: self.org_id,
            actor: &self.actor,
            action: &self.action,
            target_kind: &self.target_kind,
            target_id: &self.target_id,
            outcome: &self.outcome,
            ip: &self.ip,
            request_id: &self.request_id,
            details: &self.details,
        }
    }
}

#[derive(Debug)]
pub(crate) enum Deferred {
    Audit(Box<AuditRow>),
    TokenUsed { token_id: i64, at: i64 },
    ScimTokenUsed { token_id: i64, at: i64 },
}

/// Which kind of token was used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum TokenKind {
    Api,
    Scim,
}

enum Message {
    Write(Deferred),
    /// Answered once everything sent before it is written.
    Flush(oneshot::Sender<()>),
}

const QUEUE: usize = 100_000;
/// A token's use is recorded at most this often.
const TOKEN_USE_EVERY_MS: i64 = 60_000;
const BATCH: usize = 500;

#[derive(Clone)]
pub(crate) struct DeferredWrites {
    store: Store,
    /// None without a runtime to run the writer on: every write is then
    /// made where it is asked for.
    queue: Option<mpsc::Sender<Message>>,
    /// When each token's use was last queued (the database may not have it
    /// yet while the writer waits).
    token_uses: Arc<Mutex<HashMap<(TokenKind, i64), i64>>>,
}

impl DeferredWrites {
    pub(crate) fn start(store: Store) -> Self {
        let queue = tokio::runtime::Handle::try_current().ok().map(|runtime| {
            let (sender, receiver) = mpsc::channel(QUEUE);
            runtime.spawn(write_forever(store.clone(), receiver));
            sender
        });
        Self {
            store,
            queue,
            token_uses: Arc::default(),
        }
    }

    /// Records a token's use, at most once a minute per token.
    pub(crate) async fn token_used(&self, token_id: i64, at: i64) -> ServiceResult<()> {
        self.used(TokenKind::Api, token_id, at).await
    }

    /// Records a SCIM token's use, at most once a minute per token.
    pub(crate) async fn scim_token_used(&self, token_id: i64, at: i64) -> ServiceResult<()> {
        self.used(TokenKind::Scim, token_id, at).await
    }

    async fn used(&self, kind: TokenKind, token_id: i64, at: i64) -> ServiceResult<()> {
        {
            let mut uses = self.token_uses.lock().unwrap_or_else(|e| e.into_inner());
            if uses
                .get(&(kind, token_id))
                .is_some_and(|last| at - last < TOKEN_USE_EVERY_MS)
            {
                return Ok(());
            }
            uses.insert((kind, token_id), at);
        }
        let what = match kind {
            TokenKind::Api => Deferred::TokenUsed { token_id, at },
            TokenKind::Scim => Deferred::ScimTokenUsed { token_id, at },
        };
        let Some(queue) = &self.queue else {
            return write_batch(&self.store, &[what]).await;
        };
        if queue.try_send(Message::Write(what)).is_err() {
            tracing::warn!(
                token_id,
                "the deferred-write queue is full; a token's last use is not recorded"
            );
        }
        Ok(())
    }

    /// Queues a write; writes it here and now when the queue is full.
    pub(crate) async fn write(&self, what: Deferred) -> ServiceResult<()> {
        let what = match &self.queue {
            Some(queue) => match queue.try_send(Message::Write(what)) {
                Ok(()) => return Ok(()),
                // Full (or the writer is gone): written here instead.
                Err(refused) => match refused.into_inner() {
                    Message::Write(what) => what,
                    Message::Flush(_) => return Ok(()),
                },
            },
            None => what,
        };
        write_batch(&self.store, std::slice::from_ref(&what)).await
    }

    /// Waits until every write queued so far is in the database.
    pub async fn flush(&self) {
        let Some(queue) = &self.queue else { return };
        let (done, written) = oneshot::channel();
        if queue.send(Message::Flush(done)).await.is_ok() {
            // (A writer that stopped has nothing more to write.)
            let _ = written.await;
        }
    }
}

async fn write_forever(store: Store, mut receiver: mpsc::Receiver<Message>) {
    let mut batch = Vec::with_capacity(BATCH);
    let mut flushes = Vec::new();
    while let Some(first) = receiver.recv().await {
        let mut next = Some(first);
        while let Some(message) = next.take() {
            match message {
                Message::Write(what) => batch.push(what),
                Message::Flush(done) => flushes.push(done),
            }
            if batch.len() < BATCH {
                next = receiver.try_recv().ok();
            }
        }
        let mut wait = Duration::from_millis(100);
        while !batch.is_empty() {
            match write_batch(&store, &batch).await {
                Ok(()) => batch.clear(),
                Err(err) => {
                    tracing::warn!(error = %err, rows = batch.len(), "could not write deferred rows yet; trying again");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(10));
                }
            }
        }
        for done in flushes.drain(..) {
            // (Whoever asked may have stopped waiting.)
            let _ = done.send(());
        }
    }
}

async fn write_batch(store: &Store, batch: &[Deferred]) -> ServiceResult<()> {
    let mut tx = store.begin().await?;
    for what in batch {
        match what {
            Deferred::Audit(row) => insert_audit(&mut tx, &row.event(), row.at).await?,
            Deferred::TokenUsed { token_id, at } => touch_token(&mut tx, *token_id, *at).await?,
            Deferred::ScimTokenUsed { token_id, at } => touch_scim_token(&mut tx, *token_id, *at).await?,
        }
    }
    tx.commit().await.map_err(ServiceError::from)
}
