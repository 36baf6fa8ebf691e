//! The durable job queue on the real database: leases, recovery after a
//! worker dies, fencing of a stale worker, retries and the failed state.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use roster_domain::JobStatus;
use roster_service::jobs::{JobContext, JobFuture, JobHandler, JobOutcome, Worker};
use roster_service::Service;
use roster_store::{job_by_id, JobRecord};

use crate::helpers::TestDb;

async fn service(db: &TestDb) -> Service {
    Service::new(db.store().await).with_upload_sandbox(crate::helpers::sandbox())
}

async fn enqueue(svc: &Service, kind: &str) -> i64 {
    let mut tx = svc.store().begin().await.unwrap();
    let id = svc
        .enqueue_job(&mut tx, None, kind, &serde_json::json!({}), "test")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

async fn job(svc: &Service, id: i64) -> JobRecord {
    let mut conn = svc.store().conn().await.unwrap();
    job_by_id(&mut conn, id).await.unwrap().unwrap()
}

fn handler<F, Fut>(f: F) -> JobHandler
where
    F: Fn(JobContext) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = JobOutcome> + Send + 'static,
{
    Arc::new(move |ctx| -> JobFuture { Box::pin(f(ctx)) })
}

async fn wait_for(svc: &Service, id: i64, status: JobStatus) -> JobRecord {
    for _ in 0..400 {
        let j = job(svc, id).await;
        if j.status == status {
            return j;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("job {id} never became {status}: {:?}", job(svc, id).await);
}

#[tokio::test]
async fn a_job_runs_once_and_records_its_progress_and_result() {
    let db = TestDb::new().await;
    let svc = service(&db).await;
    let id = enqueue(&svc, "count").await;
    let mut worker = Worker::new(svc.clone());
    worker.register(
        "count",
        handler(|ctx| async move {
            match ctx.progress(5, Some(10)).await {
                Ok(()) => JobOutcome::Done("counted".into()),
                Err(lost) => JobOutcome::failed(lost),
            }
        }),
    );
    assert!(worker.run_once().await.unwrap());
    assert!(!worker.run_once().await.unwrap(), "nothing left to run");
    let j = job(&svc, id).await;
    assert_eq!(
        (j.status, j.result.as_deref(), j.progress_done, j.progress_total),
        (JobStatus::Succeeded, Some("counted"), 5, Some(10))
    );
    assert_eq!(j.attempts, 1);
}

#[tokio::test]
async fn a_job_whose_worker_died_is_claimed_again_after_its_lease_expires() {
    let db = TestDb::new().await;
    let svc = service(&db).await;
    let id = enqueue(&svc, "slow").await;
    // Worker 1 runs in its own runtime, like another process: it takes the
    // job, hangs, and then "dies" — the runtime is dropped with every task
    // of the worker (its heartbeat too), as a killed process would be.
    let url = db.url.clone();
    let (claimed_tx, claimed_rx) = std::sync::mpsc::channel();
    let process = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let svc = Service::new(roster_store::Store::connect(&url).await.unwrap())
                .with_upload_sandbox(crate::helpers::sandbox());
            let mut dying = Worker::new(svc).with_lease(Duration::from_millis(1000));
            dying.register(
                "slow",
                handler(|_| async { std::future::pending::<JobOutcome>().await }),
            );
            let run = tokio::spawn(async move { dying.run_once().await });
            let _ = claimed_tx.send(());
            tokio::time::sleep(Duration::from_millis(300)).await;
            run.abort();
        });
        drop(rt);
    });
    claimed_rx.recv().unwrap();
    wait_for(&svc, id, JobStatus::Running).await;
    process.join().unwrap();
    // Worker 2 finds nothing while the lease holds, then recovers the job.
    let mut rescuer = Worker::new(svc.clone()).with_lease(Duration::from_millis(400));
    rescuer.register("slow", handler(|_| async { JobOutcome::Done("recovered".into()) }));
    assert!(!rescuer.run_once().await.unwrap(), "the lease still holds");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(rescuer.run_once().await.unwrap());
    let j = job(&svc, id).await;
    assert_eq!(
        (j.status, j.attempts, j.result.as_deref()),
        (JobStatus::Succeeded, 2, Some("recovered"))
    );
}

#[tokio::test]
async fn a_stale_worker_cannot_write_after_losing_its_lease() {
    let db = TestDb::new().await;
    let svc = service(&db).await;
    let id = enqueue(&svc, "x").await;
    let now = roster_domain::now_millis();
    let first = svc.store().claim_job("lease-one", 50, now).await.unwrap().unwrap();
    let second = svc
        .store()
        .claim_job("lease-two", 60_000, now + 100)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.job.id, second.job.id);
    let mut tx = svc.store().begin().await.unwrap();
    assert!(
        !roster_store::complete_job(&mut tx, id, "lease-one", "stale", now + 200)
            .await
            .unwrap()
    );
    assert!(
        !roster_store::heartbeat_job(&mut tx, id, "lease-one", now + 10_000, Some((1, None)), now + 200)
            .await
            .unwrap()
    );
    assert!(roster_store::complete_job(&mut tx, id, "lease-two", "fresh", now + 200)
        .await
        .unwrap());
    tx.commit().await.unwrap();
    assert_eq!(job(&svc, id).await.result.as_deref(), Some("fresh"));
}

#[tokio::test]
async fn a_failing_job_is_retried_then_marked_failed_and_the_queue_still_flows() {
    let db = TestDb::new().await;
    let svc = service(&db).await;
    let poison = enqueue(&svc, "poison").await;
    let fine = enqueue(&svc, "fine").await;
    let mut worker = Worker::new(svc.clone());
    worker.register("poison", handler(|_| async { JobOutcome::Failed("flaky".into()) }));
    worker.register("fine", handler(|_| async { JobOutcome::Done("ok".into()) }));
    for attempt in 1..=3 {
        // Make the retry due now instead of after its backoff.
        let mut conn = svc.store().conn().await.unwrap();
        roster_store::sqlx::query("UPDATE jobs SET run_after = 0 WHERE id = $1")
            .bind(poison)
            .execute(conn.raw())
            .await
            .unwrap();
        drop(conn);
        while worker.run_once().await.unwrap() {}
        assert_eq!(job(&svc, poison).await.attempts, attempt);
    }
    let j = job(&svc, poison).await;
    assert_eq!((j.status, j.last_error.as_deref()), (JobStatus::Failed, Some("flaky")));
    assert_eq!(job(&svc, fine).await.status, JobStatus::Succeeded);
}

#[tokio::test]
async fn a_refused_job_fails_at_once_without_another_attempt() {
    let db = TestDb::new().await;
    let svc = service(&db).await;
    let id = enqueue(&svc, "refused").await;
    let mut worker = Worker::new(svc.clone());
    worker.register(
        "refused",
        handler(|_| async { JobOutcome::Refused("the requester may no longer export".into()) }),
    );
    assert!(worker.run_once().await.unwrap());
    let mut conn = svc.store().conn().await.unwrap();
    roster_store::sqlx::query("UPDATE jobs SET run_after = 0 WHERE id = $1")
        .bind(id)
        .execute(conn.raw())
        .await
        .unwrap();
    drop(conn);
    assert!(!worker.run_once().await.unwrap(), "a refused job is not tried again");
    let j = job(&svc, id).await;
    assert_eq!(
        (j.status, j.attempts, j.max_attempts, j.last_error.as_deref()),
        (JobStatus::Failed, 1, 3, Some("the requester may no longer export"))
    );
    assert!(j.finished_at.is_some());
}

#[tokio::test]
async fn a_job_of_an_unknown_kind_fails_instead_of_blocking_the_queue() {
    let db = TestDb::new().await;
    let svc = service(&db).await;
    let id = enqueue(&svc, "mystery").await;
    let worker = Worker::new(svc.clone());
    assert!(worker.run_once().await.unwrap());
    let j = job(&svc, id).await;
    assert_eq!((j.status, j.attempts), (JobStatus::Failed, 1), "refused at once: {j:?}");
    assert!(j.last_error.unwrap().contains("no handler"));
}

#[tokio::test]
async fn concurrent_workers_never_run_the_same_job_at_once() {
    let db = TestDb::new().await;
    let running: Arc<Mutex<HashSet<i64>>> = Arc::default();
    let done: Arc<Mutex<Vec<i64>>> = Arc::default();
    let svc = service(&db).await;
    let mut ids = Vec::new();
    for _ in 0..30 {
        ids.push(enqueue(&svc, "exclusive").await);
    }
    let mut workers = Vec::new();
    for _ in 0..4 {
        // Each worker has its own pool, like a separate `roster serve` process.
        let svc = service(&db).await;
        let (running, done) = (running.clone(), done.clone());
        let mut worker = Worker::new(svc).with_lease(Duration::from_secs(30));
        worker.register(
            "exclusive",
            handler(move |ctx| {
                let (running, done) = (running.clone(), done.clone());
                async move {
                    assert!(
                        running.lock().unwrap().insert(ctx.job.id),
                        "job {} runs twice at once",
                        ctx.job.id
                    );
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    running.lock().unwrap().remove(&ctx.job.id);
                    done.lock().unwrap().push(ctx.job.id);
                    JobOutcome::Done("ok".into())
                }
            }),
        );
        workers.push(tokio::spawn(async move { while worker.run_once().await.unwrap() {} }));
    }
    for w in workers {
        w.await.unwrap();
    }
    let mut done = done.lock().unwrap().clone();
    done.sort();
    assert_eq!(done, ids, "every job ran exactly once");
}
