use roster_domain::now_millis;
use roster_store::{insert_audit, list_audit, AuditQuery, AuditRecord, Conn, NewAuditEvent};

use crate::deferred::{AuditRow, Deferred};
use serde_json::Value;

use crate::{Actor, Can, Perm, ReadAudit, Service, ServiceError, ServiceResult};

/// Writes an audit row on the caller's transaction, so the record exists
/// exactly when the change does.
pub(crate) async fn record(
    conn: &mut Conn,
    actor: &Actor,
    action: &str,
    target_kind: &str,
    target_id: impl ToString,
    details: Value,
) -> ServiceResult<()> {
    let target_id = target_id.to_string();
    let event = NewAuditEvent {
        org_id: Some(actor.org_id),
        actor: &actor.label,
        action,
        target_kind,
        target_id: &target_id,
        outcome: "success",
        ip: &actor.context.ip,
        request_id: &actor.context.request_id,
        details: &details,
    };
    insert_audit(conn, &event, now_millis()).await?;
    Ok(())
}

impl Service {
    /// Checks that `actor` holds `P`. A refusal is itself audited.
    pub async fn authorize<'a, P: Perm>(&self, actor: &'a Actor) -> ServiceResult<Can<'a, P>> {
        if actor.permissions.contains(P::PERMISSION) {
            return Ok(Can::new(actor));
        }
        self.audit_refusal(Some(actor.org_id), &actor.label, P::PERMISSION.as_str(), &actor.context)
            .await;
        Err(ServiceError::MissingPermission(format!(
            "this needs the permission {}",
            P::PERMISSION.as_str()
        )))
    }

    /// Records a refused access or failed authentication. Never fails the
    /// request it is about (a refusal stays a refusal even if the log is
    /// down) and never makes it wait: the row is written in the background
    /// (`deferred`), as soon as the database's writer is free.
    pub async fn audit_refusal(&self, org_id: Option<i64>, actor: &str, what: &str, context: &crate::RequestContext) {
        let row = AuditRow {
            org_id,
            actor: actor.to_owned(),
            action: "access.refused".into(),
            target_kind: "permission".into(),
            target_id: what.to_owned(),
            outcome: "refused".into(),
            ip: context.ip.clone(),
            request_id: context.request_id.clone(),
            details: serde_json::json!({}),
            at: now_millis(),
        };
        if let Err(err) = self.deferred.write(Deferred::Audit(Box::new(row))).await {
            tracing::error!(error = %err, "could not write the audit row of a refusal");
        }
    }

    #[tracing::instrument(skip_all, fields(org = can.actor().org_id))]
    pub async fn audit_log(&self, can: Can<'_, ReadAudit>, mut query: AuditQuery) -> ServiceResult<Vec<AuditRecord>> {
        query.org_id = can.actor().org_id;
        query.limit = query.limit.clamp(1, 500);
        let mut conn = self.store().conn().await?;
        Ok(list_audit(&mut conn, &query).await?)
    }
}
