//! Inviting from the console: the compose page (whom, subject, message,
//! language, a preview and a test to oneself), and the member page's
//! revoke and seat-reassignment buttons.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::header::CONTENT_SECURITY_POLICY;
use axum::http::HeaderValue;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use roster_domain::Language;
use roster_service::{InvitationRequest, Invitees, ReassignSeat, SendWhen, ServiceError};

use super::members::Filters;
use super::session::{Member, MemberPost};
use super::{render, ConsoleError, Layout};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/o/{slug}/invite", get(compose).post(send))
        .route("/o/{slug}/invite/preview", get(preview))
        .route("/o/{slug}/members/{id}/invitation/revoke", post(revoke))
        .route("/o/{slug}/members/{id}/reassign", post(reassign))
        .route("/o/{slug}/members/{id}/reassign/cancel", post(cancel_reassign))
}

/// Whom the compose page invites, as its query string (and hidden fields) say.
#[derive(Clone)]
struct Whom {
    ids: Vec<i64>,
    import: Option<i64>,
    /// The members list's filter, as its query string.
    filter: String,
}

impl Whom {
    fn parse(pairs: &[(String, String)]) -> Self {
        fn get<'a>(pairs: &'a [(String, String)], k: &'a str) -> impl Iterator<Item = &'a str> {
            pairs.iter().filter(move |(key, _)| key == k).map(|(_, v)| v.as_str())
        }
        Self {
            ids: get(pairs, "member").filter_map(|v| v.parse().ok()).collect(),
            import: get(pairs, "import").next().and_then(|v| v.parse().ok()),
            filter: get(pairs, "filter").next().unwrap_or("").to_owned(),
        }
    }

    fn invitees(&self) -> Result<Invitees, ServiceError> {
        Ok(if let Some(import) = self.import {
            Invitees::Import(import)
        } else if !self.ids.is_empty() {
            Invitees::Ids(self.ids.clone())
        } else {
            Invitees::Filter(Filters::parse(Some(&self.filter)).query()?)
        })
    }

    fn describe(&self) -> String {
        if let Some(import) = self.import {
            format!("every member import #{import} added")
        } else if self.ids.len() == 1 {
            "the selected member".into()
        } else if !self.ids.is_empty() {
            format!("the {} selected members", self.ids.len())
        } else if self.filter.trim().is_empty() {
            "every member who is added, invited or whose invitation expired".into()
        } else {
            format!("every member matching the filter ({})", self.filter.replace('&', ", "))
        }
    }
}

#[derive(Template)]
#[template(path = "invite.html")]
struct ComposePage {
    layout: Layout,
    whom: Whom,
    description: String,
    subject: String,
    message: String,
    language: String,
    languages: Vec<(&'static str, &'static str)>,
    preview_text: Option<String>,
    preview_query: String,
    notice: Option<String>,
    error: Option<String>,
    mail_configured: bool,
}

fn pairs(raw: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

async fn compose(
    State(state): State<AppState>,
    member: Member,
    RawQuery(raw): RawQuery,
) -> Result<Response, ConsoleError> {
    let pairs = pairs(raw.as_deref());
    let mut whom = Whom::parse(&pairs);
    // From the members list: its filter, unless members or an import are named.
    if whom.ids.is_empty() && whom.import.is_none() && whom.filter.is_empty() {
        let filter: Vec<(String, String)> = pairs
            .iter()
            .filter(|(k, v)| !v.is_empty() && !["member", "import", "filter", "cursor"].contains(&k.as_str()))
            .cloned()
            .collect();
        whom.filter = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(filter)
            .finish();
    }
    page(&state, &member, whom, Draft::default(), None, None).await
}

#[derive(Default)]
struct Draft {
    subject: String,
    message: String,
    language: String,
}

async fn page(
    state: &AppState,
    member: &Member,
    whom: Whom,
    draft: Draft,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, ConsoleError> {
    let svc = &state.service;
    let can = svc.authorize(&member.actor).await?;
    let language = Language::parse(&draft.language).ok();
    let preview = svc
        .preview_invitation(can, &draft.subject, &draft.message, language)
        .await;
    let (preview_text, error) = match preview {
        Ok(p) => (Some(format!("Subject: {}\n\n{}", p.subject, p.text)), error),
        Err(ServiceError::Invalid(e)) => (None, error.or(Some(format!("{}: {}", e.field, e.message)))),
        Err(e) => return Err(e.into()),
    };
    let preview_query = form_urlencoded::Serializer::new(String::new())
        .append_pair("subject", &draft.subject)
        .append_pair("message", &draft.message)
        .append_pair("language", &draft.language)
        .finish();
    render(&ComposePage {
        layout: Layout::new(state, member, "members").await?,
        description: whom.describe(),
        whom,
        subject: draft.subject,
        message: draft.message,
        language: draft.language,
        languages: Language::ALL.iter().map(|l| (l.as_str(), l.label())).collect(),
        preview_text,
        preview_query,
        notice,
        error,
        mail_configured: svc.mail_config().is_configured(),
    })
}

async fn send(State(state): State<AppState>, post: MemberPost) -> Result<Response, ConsoleError> {
    let MemberPost { member, form } = post;
    let svc = &state.service;
    let pairs: Vec<(String, String)> = ["member", "import", "filter"]
        .iter()
        .flat_map(|k| form.all(k).into_iter().map(|v| (k.to_string(), v.to_owned())))
        .collect();
    let whom = Whom::parse(&pairs);
    let draft = Draft {
        subject: form.get("subject").unwrap_or_default().to_owned(),
        message: form.get("message").unwrap_or_default().to_owned(),
        language: form.get("language").unwrap_or_default().to_owned(),
    };
    let language = Language::parse(&draft.language).ok();
    let action = form.get("action").unwrap_or("send");
    if action == "preview" {
        return page(&state, &member, whom, draft, None, None).await;
    }
    if action == "test" {
        let result = svc
            .send_test_invitation(
                svc.authorize(&member.actor).await?,
                &draft.subject,
                &draft.message,
                language,
            )
            .await;
        return match result {
            Ok(to) => {
                page(
                    &state,
                    &member,
                    whom,
                    draft,
                    Some(format!("A test is on its way to {to}.")),
                    None,
                )
                .await
            }
            Err(e @ (ServiceError::Invalid(_) | ServiceError::Forbidden(_))) => {
                page(&state, &member, whom, draft, None, Some(e.to_string())).await
            }
            Err(e) => Err(e.into()),
        };
    }
    let invitees = match whom.invitees() {
        Ok(i) => i,
        Err(e) => return page(&state, &member, whom, draft, None, Some(e.to_string())).await,
    };
    let request = InvitationRequest {
        send: if action == "later" {
            SendWhen::Later
        } else {
            SendWhen::Now
        },
        subject: Some(draft.subject.clone()),
        message: Some(draft.message.clone()),
        language,
        ..InvitationRequest::new(invitees)
    };
    match svc.invite(svc.authorize(&member.actor).await?, request).await {
        Ok(outcome) => {
            let mut notice = if outcome.kept.is_empty() {
                format!("Invited {} members.", outcome.invited.len())
            } else {
                format!("Kept {} members added, to invite later.", outcome.kept.len())
            };
            if !outcome.skipped.is_empty() {
                let why: Vec<String> = outcome
                    .skipped
                    .iter()
                    .take(20)
                    .map(|s| format!("{} {}", s.email, s.reason))
                    .collect();
                notice.push_str(&format!(" Left out {}: {}", outcome.skipped.len(), why.join("; ")));
            }
            let q = form_urlencoded::Serializer::new(String::new())
                .append_pair("notice", &notice)
                .finish();
            Ok(Redirect::to(&format!("/o/{}/members?{q}", member.actor.org_slug)).into_response())
        }
        Err(e @ (ServiceError::Invalid(_) | ServiceError::Conflict { .. } | ServiceError::SeatShortfall { .. })) => {
            page(&state, &member, whom, draft, None, Some(e.to_string())).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The invitation's HTML as the mail client shows it, on a page of its
/// own: mail uses inline styles, which this page alone allows (no script,
/// nothing else).
async fn preview(
    State(state): State<AppState>,
    member: Member,
    RawQuery(raw): RawQuery,
) -> Result<Response, ConsoleError> {
    let pairs = pairs(raw.as_deref());
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let svc = &state.service;
    let rendered = svc
        .preview_invitation(
            svc.authorize(&member.actor).await?,
            get("subject"),
            get("message"),
            Language::parse(get("language")).ok(),
        )
        .await?;
    let mut res = Html(rendered.html).into_response();
    res.headers_mut().insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"),
    );
    Ok(res)
}

fn back_to_member(member: &Member, id: i64, notice: &str) -> Response {
    let q = form_urlencoded::Serializer::new(String::new())
        .append_pair("notice", notice)
        .finish();
    Redirect::to(&format!("/o/{}/members/{id}?{q}", member.actor.org_slug)).into_response()
}

fn refused(member: &Member, id: i64, e: ServiceError) -> Result<Response, ConsoleError> {
    match e {
        ServiceError::Invalid(_)
        | ServiceError::Conflict { .. }
        | ServiceError::SeatShortfall { .. }
        | ServiceError::Forbidden(_) => Ok(back_to_member(member, id, &e.to_string())),
        other => Err(other.into()),
    }
}

async fn revoke(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, i64)>,
    post: MemberPost,
) -> Result<Response, ConsoleError> {
    let svc = &state.service;
    let member = post.member;
    match svc
        .revoke_invitations(svc.authorize(&member.actor).await?, Invitees::Ids(vec![id]))
        .await
    {
        Ok(_) => Ok(back_to_member(
            &member,
            id,
            "The invitation was revoked; its link no longer works.",
        )),
        Err(e) => refused(&member, id, e),
    }
}

async fn reassign(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, i64)>,
    post: MemberPost,
) -> Result<Response, ConsoleError> {
    let svc = &state.service;
    let MemberPost { member, form } = post;
    let email = form.text("to_email").unwrap_or_default();
    let to = match svc.member_by_email(svc.authorize(&member.actor).await?, &email).await {
        Ok(m) => m,
        Err(ServiceError::NotFound(_)) => {
            return Ok(back_to_member(
                &member,
                id,
                "No member has that e-mail: add the person first.",
            ))
        }
        Err(e) => return refused(&member, id, e),
    };
    let result = svc
        .reassign_seat(
            svc.authorize(&member.actor).await?,
            svc.authorize(&member.actor).await?,
            id,
            ReassignSeat { to_member_id: to.id },
        )
        .await;
    match result {
        Ok(_) => Ok(back_to_member(
            &member,
            id,
            &format!(
                "{} is invited to take this seat; both are reassign pending until they accept.",
                to.email
            ),
        )),
        Err(e) => refused(&member, id, e),
    }
}

async fn cancel_reassign(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, i64)>,
    post: MemberPost,
) -> Result<Response, ConsoleError> {
    let svc = &state.service;
    let member = post.member;
    match svc.cancel_reassignment(svc.authorize(&member.actor).await?, id).await {
        Ok(()) => Ok(back_to_member(
            &member,
            id,
            "The reassignment was cancelled; the seat stays.",
        )),
        Err(e) => refused(&member, id, e),
    }
}
