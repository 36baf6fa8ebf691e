//! Runs jobs from the durable queue. Any number of workers, in any number of
//! `roster serve` processes, may run at once: the store hands each job to one
//! worker under a lease, the worker extends the lease while it works, and a
//! job whose worker died is claimed again once its lease has expired.

pub(crate) mod activity;
mod audit_journal;
pub(crate) mod deferred;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use roster_domain::now_millis;
use roster_store::{complete_job, enqueue_job, fail_job, heartbeat_job, ClaimedJob, Conn, JobRecord, NewJob};
use tokio::sync::watch;

use crate::{new_secret, Service, ServiceError, ServiceResult};

/// Sort keys computed between two looks at the job queue.
const SORT_KEYS_PER_TURN: usize = 10_000;
/// Members put into the search index per turn of the worker's loop (see
/// `members::search_index`).
const SEARCH_INDEX_PER_TURN: usize = 20_000;

pub type JobFuture = Pin<Box<dyn Future<Output = JobOutcome> + Send>>;
/// Does the work of one kind of job and says how it ended.
pub type JobHandler = Arc<dyn Fn(JobContext) -> JobFuture + Send + Sync>;

/// What a handler gets: the job, the service, and a way to report progress
/// that also tells it when its lease was lost (another worker has the job).
#[derive(Clone)]
pub struct JobContext {
    pub service: Service,
    pub job: JobRecord,
    lease_token: String,
    lease_millis: i64,
}

#[derive(Debug, thiserror::Error)]
#[error("the job's lease was lost; another worker has it")]
pub struct LeaseLost;

/// How one attempt at a job ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobOutcome {
    /// Done; the summary is kept with the job.
    Done(String),
    /// It will never succeed (the input, or the requester's rights, say no):
    /// the job fails for good, with this reason, and is not tried again.
    Refused(String),
    /// It might succeed later (the database was away, the process crashed,
    /// the lease was lost): tried again after a back-off while attempts remain.
    Failed(String),
}

impl JobOutcome {
    /// A failure worth another attempt, from any error.
    pub fn failed(error: impl std::fmt::Display) -> Self {
        Self::Failed(error.to_string())
    }
}

/// (done, total) of the jobs running in this process. A job that holds a
/// long write transaction (an import on SQLite) cannot write its progress to
/// the job row until it commits, so progress is also kept here, in memory.
#[derive(Clone, Default)]
pub(crate) struct LiveProgress(Arc<std::sync::Mutex<HashMap<i64, DoneOfTotal>>>);

/// Units done, and of how many when known.
pub type DoneOfTotal = (i64, Option<i64>);

impl LiveProgress {
    fn set(&self, job: i64, progress: (i64, Option<i64>)) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).insert(job, progress);
    }

    fn clear(&self, job: i64) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).remove(&job);
    }

    pub(crate) fn get(&self, job: i64) -> Option<(i64, Option<i64>)> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).get(&job).copied()
    }
}

impl JobContext {
    /// Records progress in this process's memory only (no database write).
    pub fn live_progress(&self, done: i64, total: Option<i64>) {
        self.service.live_progress.set(self.job.id, (done, total));
    }

    /// Records progress (done of total) and extends the lease.
    pub async fn progress(&self, done: i64, total: Option<i64>) -> Result<(), LeaseLost> {
        let now = now_millis();
        let result = async {
            let mut tx = self.service.store().begin().await?;
            let held = heartbeat_job(
                &mut tx,
                self.job.id,
                &self.lease_token,
                now + self.lease_millis,
                Some((done, total)),
                now,
            )
            .await?;
            tx.commit().await?;
            Ok::<_, ServiceError>(held)
        }
        .await;
        match result {
            Ok(true) => Ok(()),
            Ok(false) => Err(LeaseLost),
            // A passing database error is not a lost lease; the heartbeat retries.
            Err(err) => {
                tracing::warn!(job = self.job.id, error = %err, "could not record progress");
                Ok(())
            }
        }
    }

    /// Checks the lease inside the handler's own transaction, right before it
    /// commits: the work lands only if this worker still holds the job.
    pub async fn fence(&self, conn: &mut Conn) -> Result<(), LeaseLost> {
        self.fence_at(conn, None).await
    }

    /// [`Self::fence`], recording progress in the same transaction: work
    /// that commits in parts says how far it got with each part.
    pub async fn fence_with_progress(&self, conn: &mut Conn, done: i64, total: Option<i64>) -> Result<(), LeaseLost> {
        self.fence_at(conn, Some((done, total))).await
    }

    async fn fence_at(&self, conn: &mut Conn, progress: Option<(i64, Option<i64>)>) -> Result<(), LeaseLost> {
        let now = now_millis();
        match heartbeat_job(
            conn,
            self.job.id,
            &self.lease_token,
            now + self.lease_millis,
            progress,
            now,
        )
        .await
        {
            Ok(true) => Ok(()),
            _ => Err(LeaseLost),
        }
    }
}

impl Service {
    /// Enqueues a job on the caller's transaction.
    pub async fn enqueue_job(
        &self,
        conn: &mut Conn,
        org_id: Option<i64>,
        kind: &str,
        payload: &serde_json::Value,
        created_by: &str,
    ) -> ServiceResult<i64> {
        self.enqueue_job_with_attempts(conn, org_id, kind, payload, created_by, 3)
            .await
    }

    /// Enqueues a job that gives up after `max_attempts`.
    pub(crate) async fn enqueue_job_with_attempts(
        &self,
        conn: &mut Conn,
        org_id: Option<i64>,
        kind: &str,
        payload: &serde_json::Value,
        created_by: &str,
        max_attempts: i64,
    ) -> ServiceResult<i64> {
        let job = NewJob {
            org_id,
            kind,
            payload: &payload.to_string(),
            max_attempts,
            created_by,
        };
        Ok(enqueue_job(conn, &job, now_millis()).await?)
    }
}

pub struct Worker {
    service: Service,
    handlers: HashMap<String, JobHandler>,
    lease_millis: i64,
    poll_interval: Duration,
    job_timeout: Duration,
}

impl Worker {
    pub fn new(service: Service) -> Self {
        Self {
            service,
            handlers: HashMap::new(),
            lease_millis: 30_000,
            poll_interval: Duration::from_millis(500),
            job_timeout: Duration::from_secs(3600),
        }
    }

    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease_millis = lease.as_millis() as i64;
        self
    }

    pub fn with_poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    pub fn register(&mut self, kind: &str, handler: JobHandler) {
        self.handlers.insert(kind.to_owned(), handler);
    }

    /// Claims and runs one due job. Returns whether there was one.
    pub async fn run_once(&self) -> ServiceResult<bool> {
        let lease_token = new_secret("lease_");
        let claimed = self
            .service
            .store()
            .claim_job(&lease_token, self.lease_millis, now_millis())
            .await?;
        let Some(ClaimedJob { job, lease_token }) = claimed else {
            return Ok(false);
        };
        let span = tracing::info_span!("job", id = job.id, kind = %job.kind, attempt = job.attempts);
        let _enter = span.enter();
        let Some(handler) = self.handlers.get(&job.kind).cloned() else {
            let outcome = JobOutcome::Refused(format!("no handler for jobs of kind {:?}", job.kind));
            self.finish(&job, &lease_token, outcome).await;
            return Ok(true);
        };
        let ctx = JobContext {
            service: self.service.clone(),
            job: job.clone(),
            lease_token: lease_token.clone(),
            lease_millis: self.lease_millis,
        };
        let heartbeat = tokio::spawn(keep_lease(ctx.clone()));
        let work = tokio::spawn(tokio::time::timeout(self.job_timeout, handler(ctx)));
        let outcome = match work.await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(_)) => JobOutcome::Failed(format!("timed out after {} s", self.job_timeout.as_secs())),
            Err(join) => JobOutcome::Failed(format!("the job crashed: {join}")),
        };
        heartbeat.abort();
        self.service.live_progress.clear(job.id);
        self.finish(&job, &lease_token, outcome).await;
        Ok(true)
    }

    async fn finish(&self, job: &JobRecord, lease_token: &str, outcome: JobOutcome) {
        let now = now_millis();
        let result = async {
            let mut tx = self.service.store().begin().await?;
            let held = match &outcome {
                JobOutcome::Done(summary) => complete_job(&mut tx, job.id, lease_token, summary, now).await?,
                JobOutcome::Refused(why) => fail_job(&mut tx, job.id, lease_token, why, None, now).await?,
                JobOutcome::Failed(error) => {
                    // 2 s, 4 s, 8 s … capped at an hour.
                    let backoff = 1000 * (1i64 << job.attempts.clamp(1, 11));
                    let retry_at = now + backoff.min(3_600_000);
                    fail_job(&mut tx, job.id, lease_token, error, Some(retry_at), now).await?
                }
            };
            tx.commit().await?;
            Ok::<_, ServiceError>(held)
        }
        .await;
        match (result, &outcome) {
            (Ok(true), JobOutcome::Done(_)) => tracing::info!("job succeeded"),
            (Ok(true), JobOutcome::Refused(why)) => tracing::warn!(%why, "job refused; not tried again"),
            (Ok(true), JobOutcome::Failed(error)) => tracing::warn!(%error, "job attempt failed"),
            (Ok(false), _) => {
                tracing::warn!("lease lost before the job finished; its result was discarded")
            }
            (Err(err), _) => {
                tracing::error!(error = %err, "could not record the job's outcome; the lease will expire and it runs again")
            }
        }
    }

    /// Runs until `shutdown` turns true; hourly it purges old job history,
    /// expired sessions and old sign-in failures.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut last_purge = 0;
        let mut last_expiry = 0;
        let mut last_export_purge = 0;
        let mut sort_keys = BatchesBetweenJobs::default();
        let mut search_index = BatchesBetweenJobs::default();
        loop {
            if *shutdown.borrow() {
                return;
            }
            let mut ran = match self.run_once().await {
                Ok(ran) => ran,
                Err(err) => {
                    tracing::error!(error = %err, "job queue unavailable; retrying");
                    false
                }
            };
            let mut now = now_millis();
            // Names sort by keys computed in Rust: stale ones (after an
            // upgrade or a change of language) are computed again in batches,
            // a few at a time between jobs, until none are left.
            if sort_keys.due(now) {
                let turn = self.service.refresh_sort_keys(SORT_KEYS_PER_TURN).await;
                ran |= sort_keys.after(turn, SORT_KEYS_PER_TURN, now, "compute members' sort keys");
                now = now_millis();
            }
            // The search index catches up after an import, between jobs
            // (so not while an import of this worker writes).
            if search_index.due(now) {
                let turn = self.service.catch_up_search(SEARCH_INDEX_PER_TURN).await;
                ran |= search_index.after(turn, SEARCH_INDEX_PER_TURN, now, "put members into the search index");
                now = now_millis();
            }
            // Invitations expire on time: looked at every few seconds.
            if now - last_expiry > 5_000 {
                last_expiry = now;
                if let Err(err) = self.service.expire_invitations().await {
                    tracing::warn!(error = %err, "could not expire invitations");
                }
            }
            // Exports past their retention are purged within a minute.
            if now - last_export_purge > 60_000 {
                last_export_purge = now;
                if let Err(err) = self.service.expire_exports().await {
                    tracing::warn!(error = %err, "could not purge expired exports");
                }
            }
            if now - last_purge > 3_600_000 {
                last_purge = now;
                if let Err(err) = self.purge().await {
                    tracing::warn!(error = %err, "could not purge old jobs");
                }
                if let Err(err) = self.service.record_daily_counts().await {
                    tracing::warn!(error = %err, "could not count members for the statistics");
                }
            }
            if !ran {
                tokio::select! {
                    _ = tokio::time::sleep(self.poll_interval) => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
    }

    async fn purge(&self) -> ServiceResult<()> {
        let mut tx = self.service.store().begin().await?;
        let now = now_millis();
        let purged = roster_store::purge_finished_jobs(&mut tx, now).await?;
        // Expired sessions, and sign-in failures older than any throttling window.
        roster_store::purge_sessions(&mut tx, now, now - 86_400_000).await?;
        // Single sign-ins that ended (or were abandoned) a day ago.
        roster_store::purge_sso_flows(&mut tx, now - 86_400_000).await?;
        tx.commit().await?;
        if purged > 0 {
            tracing::info!(purged, "purged finished jobs past their history");
        }
        Ok(())
    }
}

/// Extends the lease every third of its length while the handler runs.
async fn keep_lease(ctx: JobContext) {
    let every = Duration::from_millis((ctx.lease_millis / 3).max(10) as u64);
    loop {
        tokio::time::sleep(every).await;
        let now = now_millis();
        let held = async {
            let mut tx = ctx.service.store().begin().await?;
            let held = heartbeat_job(&mut tx, ctx.job.id, &ctx.lease_token, now + ctx.lease_millis, None, now).await?;
            tx.commit().await?;
            Ok::<_, ServiceError>(held)
        }
        .await;
        if let Ok(false) = held {
            return;
        }
    }
}

impl Service {
    /// A job's progress (done, total) if it is the organization's.
    pub async fn job_progress(
        &self,
        can: crate::Can<'_, crate::ReadOrg>,
        job_id: i64,
    ) -> ServiceResult<Option<(i64, Option<i64>)>> {
        self.progress_of(can.actor().org_id, job_id).await
    }

    /// A job's progress, if the job is the organization's.
    pub(crate) async fn progress_of(&self, org_id: i64, job_id: i64) -> ServiceResult<Option<(i64, Option<i64>)>> {
        let mut conn = self.store().conn().await?;
        let job = roster_store::job_by_id(&mut conn, job_id).await?;
        Ok(job.filter(|j| j.org_id == Some(org_id)).map(|j| {
            // Progress kept in memory is newer, when this process runs the job.
            self.live_progress
                .get(job_id)
                .unwrap_or((j.progress_done, j.progress_total))
        }))
    }
}

/// Work the worker keeps up with in batches between jobs (sort keys, the
/// search index): looked at once a second, and again at once while a turn
/// did its whole budget (more is left).
#[derive(Default)]
struct BatchesBetweenJobs {
    /// When a turn last found nothing more to do, or failed.
    idle_since: i64,
}

impl BatchesBetweenJobs {
    fn due(&self, now: i64) -> bool {
        now - self.idle_since > 1_000
    }

    /// Whether more is left after a turn that did `turn` of `budget`.
    fn after(&mut self, turn: ServiceResult<usize>, budget: usize, now: i64, what: &str) -> bool {
        match turn {
            Ok(done) if done >= budget => true,
            Ok(_) => {
                self.idle_since = now;
                false
            }
            Err(err) => {
                self.idle_since = now;
                tracing::warn!(error = %err, "could not {what}");
                false
            }
        }
    }
}
