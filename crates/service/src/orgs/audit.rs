use roster_domain::now_millis;
use roster_domain::Timestamp;
use roster_store::{insert_audit, list_audit, AuditQuery, Conn, NewAuditEvent};
use serde::Serialize;

use crate::jobs::deferred::AuditRow;
use serde_json::Value;

use crate::{Actor, AuditEventView, Can, Perm, ReadAudit, Service, ServiceError, ServiceResult};

/// Which events of the audit log to show (all filters optional).
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub actor: Option<String>,
    pub target_kind: Option<String>,
    pub target_id: Option<String>,
    pub outcome: Option<String>,
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    /// The page continues below this event id.
    pub before: Option<i64>,
    /// At most this many (default 100, at most 500).
    pub limit: Option<i64>,
}

/// A page of the audit log, and where the next one starts.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct AuditPage {
    pub items: Vec<AuditEventView>,
    pub next_before: Option<i64>,
}

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

    /// Whether `actor` holds `P`, for pages that show or hide a part: asking
    /// is not an attempt, so a "no" is not audited and nothing is written (a
    /// GET never writes).
    pub fn allows<'a, P: Perm>(&self, actor: &'a Actor) -> Option<Can<'a, P>> {
        actor.permissions.contains(P::PERMISSION).then(|| Can::new(actor))
    }

    /// Records a refused access or failed authentication. Never fails the
    /// request it is about (a refusal stays a refusal even if the log is
    /// down) and never makes it wait for SQLite's writer: the row is on disk
    /// before the answer, and in the database as soon as the writer is free
    /// (`deferred`).
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
        if let Err(err) = self.deferred.write_audit(row).await {
            tracing::error!(error = %err, "could not write the audit row of a refusal");
        }
    }

    /// A page of the audit log, newest first.
    #[tracing::instrument(skip_all, fields(org = can.actor().org_id))]
    pub async fn audit_log(&self, can: Can<'_, ReadAudit>, filter: AuditFilter) -> ServiceResult<AuditPage> {
        let limit = filter.limit.unwrap_or(100).clamp(1, 500);
        let query = AuditQuery {
            org_id: can.actor().org_id,
            action: filter.action,
            actor: filter.actor,
            target_kind: filter.target_kind,
            target_id: filter.target_id,
            outcome: filter.outcome,
            since: filter.since.map(Timestamp::millis),
            until: filter.until.map(Timestamp::millis),
            before_id: filter.before,
            limit,
        };
        let mut conn = self.store().conn().await?;
        let mut records = list_audit(&mut conn, &query).await?;
        hide_external_details(&mut conn, query.org_id, &mut records).await?;
        let items: Vec<AuditEventView> = records.into_iter().map(AuditEventView::from).collect();
        // A full page: there may be more below its last event.
        let next_before = (items.len() as i64 == limit)
            .then(|| items.last().map(|e| e.id))
            .flatten();
        Ok(AuditPage { items, next_before })
    }
}

/// Audit entries about members of another company (external) never show
/// their e-mail address or department: in the log and in its export.
pub(crate) async fn hide_external_details(
    conn: &mut Conn,
    org_id: i64,
    records: &mut [roster_store::AuditRecord],
) -> ServiceResult<()> {
    let about_members: Vec<i64> = records
        .iter()
        .filter(|r| r.target_kind == "member")
        .filter_map(|r| r.target_id.parse().ok())
        .collect();
    let external = roster_store::external_member_ids(conn, org_id, &about_members).await?;
    if external.is_empty() {
        return Ok(());
    }
    for r in records.iter_mut() {
        let hidden = r.target_kind == "member" && r.target_id.parse().is_ok_and(|id: i64| external.contains(&id));
        if let (true, Some(details)) = (hidden, r.details.as_object_mut()) {
            for key in ["email", "department"] {
                if details.contains_key(key) {
                    details.insert(key.to_owned(), serde_json::Value::String(String::new()));
                }
            }
        }
    }
    Ok(())
}
