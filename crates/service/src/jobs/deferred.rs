//! Writes a request must not wait for: the audit row of a refused access
//! and a token's "last used" time. On SQLite a large import holds the one
//! writer for a minute; a read that had to write its refusal row first
//! would wait as long. So these rows go to a queue that one task writes to
//! the database in batches, at once when it is free and as soon as it is
//! free again after an import — no audit row is dropped: a write that fails
//! is tried again, and when the queue is full (100,000 rows waiting, some
//! 30 MB) the request writes its row itself. A token's use is queued at most
//! once a minute per token, and skipped when the queue is full (it is a
//! hint).
//!
//! An audit row is durable before the request is answered: on SQLite it is
//! first appended to this process's journal on disk (`audit_journal`), and
//! a process killed with rows still queued leaves them there for the next
//! one; on PostgreSQL, which has no single writer to wait for, it is
//! written in the request. `roster serve` flushes the queue when it stops.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use roster_store::{insert_audit, insert_audit_once, touch_scim_token, touch_token, Backend, NewAuditEvent, Store};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

use super::audit_journal::{self, Journal, Orphan};
use crate::{ServiceError, ServiceResult};

/// An audit row, owned, for the queue and the journal.
#[derive(Debug, Clone, Serialize, Deserialize)]
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

/// How an audit row is made durable before the request is answered.
#[derive(Clone)]
enum Durability {
    /// Appended to the journal, then queued.
    Journal(Arc<Journal>),
    /// Written in the request (PostgreSQL, an in-memory SQLite, or a
    /// journal that could not be opened).
    InRequest,
}

#[derive(Clone)]
pub(crate) struct DeferredWrites {
    store: Store,
    durability: Durability,
    /// None without a runtime to run the writer on: every write is then
    /// made where it is asked for.
    queue: Option<mpsc::Sender<Message>>,
    /// When each token's use was last queued (the database may not have it
    /// yet while the writer waits).
    token_uses: Arc<Mutex<HashMap<(TokenKind, i64), i64>>>,
}

impl DeferredWrites {
    pub(crate) fn start(store: Store) -> Self {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return Self {
                store,
                durability: Durability::InRequest,
                queue: None,
                token_uses: Arc::default(),
            };
        };
        let (durability, orphans) = match (store.backend(), store.sqlite_file()) {
            (Backend::Sqlite, Some(database)) => match Journal::open(&audit_journal::dir_beside(database)) {
                Ok((journal, orphans)) => (Durability::Journal(Arc::new(journal)), orphans),
                Err(err) => {
                    tracing::warn!(error = %err, "could not open the refusals' journal; refusals are written in the request");
                    (Durability::InRequest, Vec::new())
                }
            },
            _ => (Durability::InRequest, Vec::new()),
        };
        let (sender, receiver) = mpsc::channel(QUEUE);
        let journal = match &durability {
            Durability::Journal(journal) => Some(journal.clone()),
            Durability::InRequest => None,
        };
        runtime.spawn(write_forever(store.clone(), receiver, journal, orphans));
        Self {
            store,
            durability,
            queue: Some(sender),
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

    /// Makes an audit row durable (journal or database) and queues it;
    /// writes it here and now when the queue is full.
    pub(crate) async fn write_audit(&self, row: AuditRow) -> ServiceResult<()> {
        let (Durability::Journal(journal), Some(queue)) = (&self.durability, &self.queue) else {
            return write_batch(&self.store, &[Deferred::Audit(Box::new(row))]).await;
        };
        let (journal, queue) = (journal.clone(), queue.clone());
        // The file is written and synced off the runtime's threads.
        let (queued, row) = tokio::task::spawn_blocking(move || {
            let queued = journal.append(&row, || {
                queue
                    .try_send(Message::Write(Deferred::Audit(Box::new(row.clone()))))
                    .is_ok()
            });
            (queued, row)
        })
        .await
        .map_err(|e| ServiceError::Internal(Box::new(e)))?;
        match queued {
            Ok(true) => return Ok(()),
            // The queue is full: written here (the journal has it too, and
            // its replay would skip it as written).
            Ok(false) => {}
            Err(err) => {
                tracing::warn!(error = %err, "could not append to the refusals' journal; writing the row in the request");
            }
        }
        write_batch(&self.store, &[Deferred::Audit(Box::new(row))]).await
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

async fn write_forever(
    store: Store,
    mut receiver: mpsc::Receiver<Message>,
    journal: Option<Arc<Journal>>,
    orphans: Vec<Orphan>,
) {
    for orphan in orphans {
        replay(&store, orphan).await;
    }
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
        // Every row journaled so far is written when none waits in the
        // queue (a row is queued while its writer holds the journal).
        if let Some(journal) = &journal {
            journal.clear_if(|| receiver.is_empty());
        }
        for done in flushes.drain(..) {
            // (Whoever asked may have stopped waiting.)
            let _ = done.send(());
        }
    }
}

/// Writes the rows a process that died had journaled and not written (those
/// it had written are skipped), then removes its journal.
async fn replay(store: &Store, orphan: Orphan) {
    let mut wait = Duration::from_millis(100);
    loop {
        let result = async {
            let mut tx = store.begin().await?;
            let mut written = 0;
            for row in &orphan.rows {
                written += insert_audit_once(&mut tx, &row.event(), row.at).await? as usize;
            }
            tx.commit().await?;
            Ok::<_, ServiceError>(written)
        }
        .await;
        match result {
            Ok(written) => {
                tracing::info!(
                    written,
                    journaled = orphan.rows.len(),
                    "wrote the refusals a stopped process had journaled"
                );
                orphan.remove();
                return;
            }
            Err(err) => {
                tracing::warn!(error = %err, "could not replay a refusals' journal yet; trying again");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(10));
            }
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
