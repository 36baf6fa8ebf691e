//! The export job: resolve the requester's rights as they are now, write
//! the file to an unnamed temporary file, and only then, in one
//! transaction, store it, mark it ready and mail the requester. A file that
//! could not be written whole (a full disk, a crash, a lost lease) is never
//! stored, and the export says why it failed.

use std::io::Read;

use roster_domain::{now_millis, Language, Permission};
use roster_store::ExportRecord;
use serde_json::json;

use super::sheet::{self, Stop};
use super::tables::{self, Context};
use super::{statistics, workbook, ExportFormat, ExportKind, ExportParams, ExportStatus, EXPORT_JOB};
use crate::jobs::{JobContext, JobFuture, JobOutcome, Worker};
use crate::mail::templates::{self, Design};
use crate::mail::{queue_message, Outgoing};
use crate::{Actor, ActorRef, Service, ServiceError, Vocabulary};

/// Parts the file is stored in.
const PART_BYTES: usize = 1024 * 1024;

pub fn register_jobs(worker: &mut Worker, service: Service) {
    worker.register(
        EXPORT_JOB,
        std::sync::Arc::new(move |ctx: JobContext| -> JobFuture {
            let service = service.clone();
            Box::pin(async move { service.run_export_job(&ctx).await })
        }),
    );
}

impl Service {
    async fn run_export_job(&self, ctx: &JobContext) -> JobOutcome {
        let Some(id) = serde_json::from_str::<serde_json::Value>(&ctx.job.payload)
            .ok()
            .and_then(|payload| payload["export"].as_str().map(str::to_owned))
        else {
            return JobOutcome::Refused("the job names no export".into());
        };
        let export = async {
            let mut conn = self.store().conn().await?;
            roster_store::export_for_job(&mut conn, &id).await
        }
        .await;
        let export = match export {
            Ok(Some(export)) => export,
            Ok(None) => return JobOutcome::Refused("the export is gone".into()),
            Err(e) => return JobOutcome::failed(e),
        };
        match export.status {
            ExportStatus::Ready | ExportStatus::Expired => return JobOutcome::Done("already written".into()),
            ExportStatus::Failed => {
                return JobOutcome::Refused(export.error.unwrap_or_else(|| "failed".into()));
            }
            ExportStatus::Queued | ExportStatus::Running => {}
        }
        let last_attempt = ctx.job.attempts >= ctx.job.max_attempts;
        match self.write_and_store(ctx, &export).await {
            Ok(rows) => JobOutcome::Done(format!("{rows} rows")),
            Err(Stop::LeaseLost) => JobOutcome::Failed("the job's lease was lost".into()),
            Err(Stop::Refused(why)) => {
                self.fail_export(&id, &format!("refused: {why}")).await;
                JobOutcome::Refused(why)
            }
            Err(Stop::Failed(why)) => {
                // Tried once more; the export fails with the last attempt.
                if last_attempt {
                    self.fail_export(&id, &why).await;
                }
                JobOutcome::Failed(why)
            }
        }
    }

    async fn fail_export(&self, id: &str, why: &str) {
        let result = async {
            let mut tx = self.store().begin().await?;
            roster_store::export_failed(&mut tx, id, why, now_millis()).await?;
            tx.commit().await?;
            Ok::<_, ServiceError>(())
        }
        .await;
        if let Err(e) = result {
            tracing::error!(export = id, error = %e, "could not mark the export failed");
        }
    }

    /// The requester as they are now; one who may no longer export (or
    /// read what the export shows) stops it.
    async fn requester(&self, export: &ExportRecord, kind: ExportKind) -> Result<Actor, Stop> {
        let who = ActorRef::from_label(&export.requested_by)
            .ok_or_else(|| Stop::Refused("who asked for it cannot be told".into()))?;
        let actor = match self.current_actor(export.org_id, &who).await {
            Ok(actor) => actor,
            Err(ServiceError::Forbidden(why)) => return Err(Stop::Refused(why)),
            Err(e) => return Err(e.into()),
        };
        let needs = match kind {
            ExportKind::Audit => Permission::ReadAudit,
            ExportKind::Teams | ExportKind::TeamMembers => Permission::ReadTeams,
            _ => Permission::ReadMembers,
        };
        for p in [Permission::Export, needs] {
            if !actor.permissions.contains(p) {
                return Err(Stop::Refused(format!(
                    "the requester may no longer do this ({} is missing)",
                    p.as_str()
                )));
            }
        }
        Ok(actor)
    }

    async fn write_and_store(&self, ctx: &JobContext, export: &ExportRecord) -> Result<i64, Stop> {
        let kind = ExportKind::parse(&export.kind)?;
        let format = ExportFormat::parse(&export.format)?;
        let params: ExportParams = serde_json::from_value(export.params.clone())
            .map_err(|e| Stop::Refused(format!("the export's parameters are unreadable: {e}")))?;
        let actor = self.requester(export, kind).await?;
        {
            let mut tx = self.store().begin().await?;
            roster_store::start_export(&mut tx, &export.id).await?;
            tx.commit().await?;
        }
        let now = now_millis();
        let started = std::time::Instant::now();
        let mut conn = self.store().conn().await?;
        let words = Vocabulary::of(&mut conn, actor.org_id).await?;
        let fields: Vec<String> = roster_store::custom_fields(&mut conn, actor.org_id)
            .await
            .map_err(ServiceError::from)?
            .into_iter()
            .map(|f| f.key)
            .collect();
        let cx = Context {
            store: self.store(),
            actor: &actor,
            words: &words,
            fields: &fields,
        };
        let dir = self.export_dir();
        let (mut out, writer) = sheet::start(format, params.csv_dialect, &dir, Some(ctx))?;
        let produced = match kind {
            ExportKind::Members => tables::members(&mut conn, &cx, &params.filter, &mut out).await,
            ExportKind::Teams => tables::teams(&mut conn, &cx, &mut out).await,
            ExportKind::TeamMembers => tables::team_members(&mut conn, &cx, params.team.unwrap_or(-1), &mut out).await,
            ExportKind::Invitations => tables::invitations(&mut conn, &cx, &mut out).await,
            ExportKind::Audit => tables::audit(&mut conn, &cx, &params, &mut out).await,
            ExportKind::Content => tables::content(&mut conn, &cx, params.app.as_deref(), &mut out).await,
            ExportKind::Organization => workbook::organization(&mut conn, &cx, now, &mut out).await,
            ExportKind::Statistics => {
                let last = params.last_day.unwrap_or(now / 86_400_000);
                let first = params.first_day.unwrap_or(last - 29);
                statistics::sheet(&mut conn, actor.org_id, &words, first, last, &mut out).await
            }
        };
        drop(conn);
        let (file, rows) = writer.finish(out, produced).await?;
        let written = started.elapsed();
        self.store_export(ctx, export, &actor, file, rows).await?;
        tracing::info!(
            export = %export.id,
            rows,
            write_ms = written.as_millis() as u64,
            store_ms = (started.elapsed() - written).as_millis() as u64,
            "export ready"
        );
        Ok(rows)
    }

    /// Stores the finished file and marks it ready, in one transaction that
    /// commits only if this worker still holds the job.
    async fn store_export(
        &self,
        ctx: &JobContext,
        export: &ExportRecord,
        actor: &Actor,
        file: std::fs::File,
        rows: i64,
    ) -> Result<(), Stop> {
        let now = now_millis();
        let mut tx = self.store().begin().await?;
        let org = roster_store::org_by_id(&mut tx, export.org_id)
            .await
            .map_err(ServiceError::from)?
            .ok_or_else(|| Stop::Refused("the organization is gone".into()))?;
        let expires_at = now + org.export_retention_days.max(0) * 86_400_000;
        // The file goes in in parts, read from a blocking thread a part at a time.
        let (sender, mut parts) = tokio::sync::mpsc::channel::<std::io::Result<Vec<u8>>>(2);
        let reader = tokio::task::spawn_blocking(move || {
            let mut file = file;
            loop {
                let mut part = Vec::with_capacity(PART_BYTES);
                match (&mut file).take(PART_BYTES as u64).read_to_end(&mut part) {
                    Ok(0) => return,
                    Ok(_) => {
                        if sender.blocking_send(Ok(part)).is_err() {
                            return;
                        }
                    }
                    Err(e) => {
                        let _ = sender.blocking_send(Err(e));
                        return;
                    }
                }
            }
        });
        let mut size = 0i64;
        let mut index = 0i64;
        while let Some(part) = parts.recv().await {
            let part = part.map_err(|e| Stop::Failed(format!("reading the written file failed: {e}")))?;
            size += part.len() as i64;
            roster_store::insert_export_part(&mut tx, &export.id, index, &part)
                .await
                .map_err(ServiceError::from)?;
            index += 1;
        }
        let _ = reader.await;
        roster_store::export_ready(&mut tx, &export.id, rows, size, now, expires_at)
            .await
            .map_err(ServiceError::from)?;
        self.mail_export_ready(&mut tx, export, actor, &org, expires_at).await?;
        crate::orgs::audit::record(
            &mut tx,
            actor,
            "export.ready",
            "export",
            &export.id,
            json!({"kind": export.kind, "rows": rows, "bytes": size}),
        )
        .await?;
        ctx.fence(&mut tx).await.map_err(|_| Stop::LeaseLost)?;
        tx.commit().await?;
        self.wake_mail();
        Ok(())
    }

    /// "Your export is ready", with a link that needs a sign-in, to the
    /// member who asked (a token's member; the command line gets none).
    async fn mail_export_ready(
        &self,
        tx: &mut roster_store::Conn,
        export: &ExportRecord,
        actor: &Actor,
        org: &roster_store::OrgRecord,
        expires_at: i64,
    ) -> Result<(), Stop> {
        let Some(member_id) = actor.member_id else {
            return Ok(());
        };
        let Some(member) = roster_store::member_by_id(tx, org.id, member_id)
            .await
            .map_err(ServiceError::from)?
        else {
            return Ok(());
        };
        let language = Language::parse(&org.language).unwrap_or_default();
        let link = self
            .mail_config()
            .link(&format!("/o/{}/exports/{}", org.slug, export.id));
        let rendered = templates::export_ready(
            &Design::of(org),
            language,
            &export.file_name,
            &link,
            &roster_bulk::iso_time(expires_at)[..16].replace('T', " "),
        )?;
        queue_message(
            tx,
            self.mail_config(),
            &Outgoing {
                org_id: Some(org.id),
                member_id: Some(member.id),
                invitation_id: None,
                kind: "export_ready",
                to: &member.email,
                from_name: "",
                reply_to: "",
                hold: false,
                rendered: &rendered,
            },
        )
        .await?;
        Ok(())
    }
}
