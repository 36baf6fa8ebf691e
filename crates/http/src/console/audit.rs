//! The audit log, filterable, newest first.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use roster_service::{AuditEventView, AuditFilter};

use super::session::Member;
use super::{render, ConsoleError, Layout};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/o/{slug}/audit", get(list))
}

#[derive(Default)]
struct Filters {
    action: String,
    actor: String,
    target_kind: String,
    target_id: String,
    outcome: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    layout: Layout,
    filters: Filters,
    events: Vec<AuditEventView>,
    older: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    member: Member,
    RawQuery(raw): RawQuery,
) -> Result<Response, ConsoleError> {
    let mut f = Filters::default();
    let mut before = None;
    for (k, v) in form_urlencoded::parse(raw.as_deref().unwrap_or("").as_bytes()) {
        let v = v.trim().to_owned();
        match k.as_ref() {
            "action" => f.action = v,
            "actor" => f.actor = v,
            "target_kind" => f.target_kind = v,
            "target_id" => f.target_id = v,
            "outcome" => f.outcome = v,
            "before" => before = v.parse().ok(),
            _ => {}
        }
    }
    let some = |s: &String| (!s.is_empty()).then(|| s.clone());
    let filter = AuditFilter {
        action: some(&f.action),
        actor: some(&f.actor),
        target_kind: some(&f.target_kind),
        target_id: some(&f.target_id),
        outcome: some(&f.outcome),
        before,
        ..AuditFilter::default()
    };
    let svc = &state.service;
    let page = svc.audit_log(svc.authorize(&member.actor).await?, filter).await?;
    let older = page.next_before.map(|before| {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("action", &f.action),
            ("actor", &f.actor),
            ("target_kind", &f.target_kind),
            ("target_id", &f.target_id),
            ("outcome", &f.outcome),
        ] {
            if !v.is_empty() {
                s.append_pair(k, v);
            }
        }
        s.append_pair("before", &before.to_string());
        s.finish()
    });
    render(&AuditPage {
        layout: Layout::new(&state, &member, "audit").await?,
        filters: f,
        events: page.items,
        older,
    })
}
