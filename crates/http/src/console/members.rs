//! Members: the searchable list with bulk actions, a member's page, the add
//! and edit forms, and removal with content hand-over.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use roster_service::{
    BulkChange, BulkRequest, Choice, CustomFieldView, FieldKind, MemberActions, MemberDetail, MemberInput,
    MemberListQuery, MemberStatus, MemberView, NewMember, ReadTeams, RemoveMember, Role, SeatType, ServiceError,
    TeamView, Vocabulary,
};

use super::session::{FormData, Member, MemberPost};
use super::{render, ConsoleError, Layout};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/o/{slug}/members", get(list))
        .route("/o/{slug}/members/bulk", post(bulk))
        .route("/o/{slug}/members/new", get(new_form).post(create))
        .route("/o/{slug}/members/{id}", get(show))
        .route("/o/{slug}/members/{id}/edit", get(edit_form).post(update))
        .route("/o/{slug}/members/{id}/remove", get(remove_form).post(remove))
}

/// The list's filters as the form sent them (blank means "any").
#[derive(Default, Clone)]
pub(super) struct Filters {
    q: String,
    status: String,
    role: String,
    seat_type: String,
    team: String,
    comment: String,
    external: String,
    sort: String,
    cursor: String,
}

impl Filters {
    pub(super) fn parse(raw: Option<&str>) -> Filters {
        let mut f = Filters::default();
        for (k, v) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            let v = v.into_owned();
            match k.as_ref() {
                "q" => f.q = v,
                "status" => f.status = v,
                "role" => f.role = v,
                "seat_type" => f.seat_type = v,
                "team" => f.team = v,
                "comment" => f.comment = v,
                "external" => f.external = v,
                "sort" => f.sort = v,
                "cursor" => f.cursor = v,
                _ => {}
            }
        }
        f
    }

    /// The service's query; a hand-made URL with a value no select offers
    /// is refused, naming the filter.
    pub(super) fn query(&self) -> Result<MemberListQuery, roster_domain::InvalidInput> {
        let some = |s: &String| (!s.trim().is_empty()).then(|| s.trim().to_owned());
        Ok(MemberListQuery {
            q: some(&self.q),
            status: some(&self.status).as_deref().map(MemberStatus::parse).transpose()?,
            role: some(&self.role).as_deref().map(Role::parse).transpose()?,
            seat_type: some(&self.seat_type).as_deref().map(SeatType::parse).transpose()?,
            team: self.team.parse().ok(),
            comment: some(&self.comment),
            external: match self.external.as_str() {
                "yes" => Some(true),
                "no" => Some(false),
                _ => None,
            },
            sort: some(&self.sort),
            cursor: some(&self.cursor),
            limit: Some(50),
        })
    }

    /// These filters as a query string (no cursor).
    fn filter_query(&self) -> String {
        let next = self.next_page("");
        next.strip_suffix("cursor=")
            .unwrap_or(&next)
            .trim_end_matches('&')
            .to_owned()
    }

    /// The query string of the next page: these filters and a cursor.
    fn next_page(&self, cursor: &str) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("q", &self.q),
            ("status", &self.status),
            ("role", &self.role),
            ("seat_type", &self.seat_type),
            ("team", &self.team),
            ("comment", &self.comment),
            ("external", &self.external),
            ("sort", &self.sort),
        ] {
            if !v.is_empty() {
                s.append_pair(k, v);
            }
        }
        s.append_pair("cursor", cursor);
        s.finish()
    }
}

#[derive(Template)]
#[template(path = "members.html")]
struct ListPage {
    layout: Layout,
    /// The filters as a query string, for "Invite everyone matching".
    filter_query: String,
    /// For the rows, which are also served alone (search as you type).
    slug: String,
    can_manage: bool,
    filters: Filters,
    members: Vec<MemberView>,
    next: Option<String>,
    /// Every role, for the filter; the roles the viewer may grant, for the
    /// bulk action.
    roles: Vec<Choice>,
    grantable: Vec<Choice>,
    teams: Vec<TeamView>,
    statuses: Vec<Choice>,
    seats: Vec<Choice>,
    notice: Option<String>,
}

#[derive(Template)]
#[template(path = "members_rows.html")]
struct Rows {
    slug: String,
    members: Vec<MemberView>,
    next: Option<String>,
    can_manage: bool,
}

async fn vocabulary(state: &AppState, member: &Member) -> Result<Vocabulary, ConsoleError> {
    let svc = &state.service;
    Ok(svc.vocabulary(svc.authorize(&member.actor).await?).await?)
}

/// The teams, for a select; none for a viewer who may not see teams (asked
/// without a refusal: the page shows less, nobody was refused anything).
async fn team_list(state: &AppState, member: &Member) -> Result<Vec<TeamView>, ConsoleError> {
    match state.service.allows::<ReadTeams>(&member.actor) {
        Some(can) => Ok(state.service.teams(can).await?),
        None => Ok(Vec::new()),
    }
}

async fn list(
    State(state): State<AppState>,
    member: Member,
    RawQuery(raw): RawQuery,
) -> Result<Response, ConsoleError> {
    let filters = Filters::parse(raw.as_deref());
    let partial = raw.as_deref().is_some_and(|q| q.split('&').any(|kv| kv == "partial=1"));
    let svc = &state.service;
    let page = match svc
        .list_members(
            svc.authorize(&member.actor).await?,
            filters.query().map_err(ServiceError::from)?,
        )
        .await
    {
        Ok(page) => page,
        Err(ServiceError::Invalid(e)) => return Err(ConsoleError::Service(ServiceError::Invalid(e))),
        Err(e) => return Err(e.into()),
    };
    let next = page.next_cursor.as_deref().map(|c| filters.next_page(c));
    if partial {
        let can_manage = member
            .actor
            .permissions
            .contains(roster_domain::Permission::ManageMembers);
        return render(&Rows {
            slug: member.actor.org_slug.clone(),
            members: page.items,
            next,
            can_manage,
        });
    }
    let notice = raw.as_deref().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "notice")
            .map(|(_, v)| v.into_owned())
    });
    let words = vocabulary(&state, &member).await?;
    let list = ListPage {
        slug: member.actor.org_slug.clone(),
        can_manage: member
            .actor
            .permissions
            .contains(roster_domain::Permission::ManageMembers),
        roles: words.roles(),
        grantable: words.grantable_roles(&member.actor),
        teams: team_list(&state, &member).await?,
        layout: Layout::new(&state, &member, "members").await?,
        filter_query: filters.filter_query(),
        filters,
        members: page.items,
        next,
        statuses: words.statuses(),
        seats: words.seats(),
        notice,
    };
    render(&list)
}

#[derive(Template)]
#[template(path = "members_confirm.html")]
struct ConfirmBulkRemove {
    layout: Layout,
    members: Vec<MemberView>,
}

/// Applies an action to the selected members (the service changes each in
/// its own transaction); says how many succeeded and why the others did not.
async fn bulk(State(state): State<AppState>, post: MemberPost) -> Result<Response, ConsoleError> {
    let MemberPost { member, form } = post;
    let svc = &state.service;
    let ids: Vec<i64> = form.all("ids").iter().filter_map(|v| v.parse().ok()).collect();
    if ids.is_empty() {
        return Ok(redirect_notice(&member, "Select at least one member first."));
    }
    let change = match form.get("action").unwrap_or("") {
        "role" => BulkChange::SetRole {
            role: form.text("role").unwrap_or_default(),
        },
        "seat" => BulkChange::SetSeat {
            seat_type: form.text("seat_type").unwrap_or_default(),
        },
        "team" => match form.get("team").and_then(|t| t.parse().ok()) {
            Some(team_id) => BulkChange::AddToTeam { team_id },
            None => return Ok(redirect_notice(&member, "Choose a team.")),
        },
        "remove" => BulkChange::Remove,
        "invite" => {
            let q = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(ids.iter().map(|id| ("member", id.to_string())))
                .finish();
            return Ok(Redirect::to(&format!("/o/{}/invite?{q}", member.actor.org_slug)).into_response());
        }
        "revoke" => {
            let notice = match svc
                .revoke_invitations(svc.authorize(&member.actor).await?, roster_service::Invitees::Ids(ids))
                .await
            {
                Ok(revoked) => format!("Revoked {} invitations; their links no longer work.", revoked.len()),
                Err(e @ ServiceError::Conflict { .. }) => e.to_string(),
                Err(e) => return Err(e.into()),
            };
            return Ok(redirect_notice(&member, &notice));
        }
        _ => return Ok(redirect_notice(&member, "Choose an action.")),
    };
    if change == BulkChange::Remove && !form.checked("confirmed") {
        let mut members = Vec::new();
        for id in &ids {
            members.push(
                svc.member_detail(svc.authorize(&member.actor).await?, *id)
                    .await?
                    .member,
            );
        }
        let page = ConfirmBulkRemove {
            layout: Layout::new(&state, &member, "members").await?,
            members,
        };
        return render(&page);
    }
    let request = BulkRequest {
        member_ids: ids,
        change,
    };
    let outcome = match svc.bulk_change_members(&member.actor, request).await {
        Ok(outcome) => outcome,
        Err(ServiceError::Invalid(e)) => return Ok(redirect_notice(&member, &e.message)),
        Err(e) => return Err(e.into()),
    };
    let mut notice = outcome.summary();
    if !outcome.refused.is_empty() {
        let why: Vec<String> = outcome
            .refused
            .iter()
            .map(|r| format!("member {}: {}", r.member_id, r.message))
            .collect();
        notice.push_str(&format!(" Not changed: {}", why.join("; ")));
    }
    if let Some(stopped) = &outcome.stopped {
        notice.push_str(&format!(
            " Stopped before {} members: {stopped}",
            outcome.not_attempted.len()
        ));
    }
    Ok(redirect_notice(&member, &notice))
}

fn redirect_notice(member: &Member, notice: &str) -> Response {
    let q = form_urlencoded::Serializer::new(String::new())
        .append_pair("notice", notice)
        .finish();
    Redirect::to(&format!("/o/{}/members?{q}", member.actor.org_slug)).into_response()
}

#[derive(Template)]
#[template(path = "member.html")]
struct ShowPage {
    layout: Layout,
    detail: MemberDetail,
    fields: Vec<FieldValue>,
    /// The account's own name is not the profile's name.
    account_name_differs: bool,
    notice: Option<String>,
}

struct FieldValue {
    label: String,
    value: String,
}

async fn show(
    State(state): State<AppState>,
    member: Member,
    Path((_, id)): Path<(String, i64)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ConsoleError> {
    let notice = form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "notice")
        .map(|(_, v)| v.into_owned());
    let svc = &state.service;
    let detail = svc.member_detail(svc.authorize(&member.actor).await?, id).await?;
    let defs = svc.custom_fields(svc.authorize(&member.actor).await?).await?;
    let fields = defs
        .iter()
        .map(|d| FieldValue {
            label: d.label.clone(),
            value: detail.member.custom_field(&d.key),
        })
        .collect();
    let profile_name = detail.member.name();
    let account_name_differs = detail.account_name.as_ref().is_some_and(|n| n.trim() != profile_name);
    render(&ShowPage {
        layout: Layout::new(&state, &member, "members").await?,
        detail,
        fields,
        account_name_differs,
        notice,
    })
}

/// One custom field in a form.
struct FieldInput {
    key: String,
    label: String,
    kind: FieldKind,
    choices: Vec<String>,
    value: String,
}

#[derive(Template)]
#[template(path = "member_form.html")]
struct FormPage {
    layout: Layout,
    editing: Option<i64>,
    values: FormValues,
    fields: Vec<FieldInput>,
    /// The roles the viewer may grant, and the member's own when it is not
    /// one of them (shown, not offered).
    roles: Vec<Choice>,
    seats: Vec<Choice>,
    /// What the viewer may change of this member (all, for a new one).
    may: MemberActions,
    teams: Vec<TeamView>,
    /// Fields the identity provider owns (shown, not changed here).
    owned: Vec<String>,
    error_field: String,
    error: Option<String>,
}

impl FormPage {
    fn owns(&self, field: &str) -> bool {
        self.owned.iter().any(|f| f == field)
    }
}

#[derive(Default)]
struct FormValues {
    first_name: String,
    last_name: String,
    email: String,
    personal_id: String,
    comment: String,
    phone: String,
    location: String,
    role: String,
    seat_type: String,
    team: String,
}

fn field_inputs(defs: &[CustomFieldView], value: impl Fn(&str) -> String) -> Vec<FieldInput> {
    defs.iter()
        .map(|d| FieldInput {
            key: d.key.clone(),
            label: d.label.clone(),
            kind: d.kind,
            choices: d.choices.clone(),
            value: value(&d.key),
        })
        .collect()
}

/// The member being edited: their id, what the viewer may change of them,
/// and their role as a choice (so the form shows it even when the viewer
/// may not grant it).
struct Editing {
    id: i64,
    may: MemberActions,
    role: Choice,
    /// What of the member the identity provider owns.
    owned: Vec<String>,
}

impl Editing {
    fn of(m: &MemberView) -> Self {
        Self {
            id: m.id,
            may: m.may,
            owned: m
                .directory
                .as_ref()
                .map(|d| d.managed_fields.clone())
                .unwrap_or_default(),
            role: Choice {
                value: m.role.to_string(),
                label: m.role_label.clone(),
            },
        }
    }
}

async fn form_page(
    state: &AppState,
    member: &Member,
    editing: Option<Editing>,
    values: FormValues,
    field_value: impl Fn(&str) -> String,
    error: Option<(String, String)>,
) -> Result<FormPage, ConsoleError> {
    let defs = state
        .service
        .custom_fields(state.service.authorize(&member.actor).await?)
        .await?;
    let (error_field, error) = match error {
        Some((f, m)) => (f, Some(m)),
        None => (String::new(), None),
    };
    let words = vocabulary(state, member).await?;
    let mut roles = words.grantable_roles(&member.actor);
    let owned = editing.as_ref().map(|e| e.owned.clone()).unwrap_or_default();
    let may = match &editing {
        Some(e) => {
            if !roles.contains(&e.role) {
                roles.insert(0, e.role.clone());
            }
            e.may
        }
        None => MemberActions {
            edit: true,
            change_role: true,
            change_seat: true,
            ..MemberActions::default()
        },
    };
    Ok(FormPage {
        layout: Layout::new(state, member, "members").await?,
        editing: editing.map(|e| e.id),
        values,
        fields: field_inputs(&defs, field_value),
        roles,
        seats: words.seats(),
        may,
        teams: team_list(state, member).await?,
        owned,
        error_field,
        error,
    })
}

async fn new_form(State(state): State<AppState>, member: Member) -> Result<Response, ConsoleError> {
    state
        .service
        .authorize::<roster_service::ManageMembers>(&member.actor)
        .await?;
    let values = FormValues {
        role: "reader".into(),
        ..Default::default()
    };
    render(&form_page(&state, &member, None, values, |_| String::new(), None).await?)
}

fn input_from(form: &FormData, defs_keys: &[String]) -> MemberInput {
    let custom: serde_json::Map<String, serde_json::Value> = defs_keys
        .iter()
        .filter_map(|k| {
            form.get(&format!("cf_{k}"))
                .map(|v| (k.clone(), serde_json::Value::String(v.to_owned())))
        })
        .collect();
    MemberInput {
        first_name: form.text("first_name"),
        last_name: form.text("last_name"),
        email: form.text("email"),
        personal_id: form.text("personal_id").filter(|p| !p.trim().is_empty()),
        comment: form.text("comment"),
        phone: form.text("phone"),
        location: form.text("location"),
        role: form.text("role"),
        seat_type: form.text("seat_type"),
        custom_fields: Some(custom),
        ..Default::default()
    }
}

fn values_from(form: &FormData) -> FormValues {
    let t = |k: &str| form.get(k).unwrap_or("").to_owned();
    FormValues {
        first_name: t("first_name"),
        last_name: t("last_name"),
        email: t("email"),
        personal_id: t("personal_id"),
        comment: t("comment"),
        phone: t("phone"),
        location: t("location"),
        role: t("role"),
        seat_type: t("seat_type"),
        team: t("team"),
    }
}

/// Re-shows a form with the service's complaint next to its field.
fn field_error(err: ServiceError) -> Result<(String, String), ConsoleError> {
    match err {
        ServiceError::Invalid(e) => Ok((e.field.trim_start_matches("custom_fields.").to_owned(), e.message)),
        ServiceError::Conflict { field, message, .. } => Ok((field.unwrap_or_default(), message)),
        ServiceError::SeatShortfall { .. } => Ok(("seat_type".into(), err.to_string())),
        ServiceError::MissingPermission(m) if m.contains("teams.manage") => Ok(("team_id".into(), m)),
        ServiceError::Forbidden(m) | ServiceError::MissingPermission(m) => Ok(("role".into(), m)),
        other => Err(other.into()),
    }
}

async fn create(State(state): State<AppState>, post: MemberPost) -> Result<Response, ConsoleError> {
    let MemberPost { member, form } = post;
    let svc = &state.service;
    let defs = svc.custom_fields(svc.authorize(&member.actor).await?).await?;
    let keys: Vec<String> = defs.iter().map(|d| d.key.clone()).collect();
    let result = svc
        .create_member(
            svc.authorize(&member.actor).await?,
            NewMember {
                member: input_from(&form, &keys),
                team_id: form.get("team").and_then(|t| t.parse().ok()),
            },
        )
        .await;
    match result {
        Ok(created) => {
            Ok(Redirect::to(&format!("/o/{}/members/{}", member.actor.org_slug, created.id)).into_response())
        }
        Err(err) => {
            let error = field_error(err)?;
            let page = form_page(
                &state,
                &member,
                None,
                values_from(&form),
                |k| form.get(&format!("cf_{k}")).unwrap_or("").to_owned(),
                Some(error),
            )
            .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
    }
}

async fn edit_form(
    State(state): State<AppState>,
    member: Member,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, ConsoleError> {
    let svc = &state.service;
    svc.authorize::<roster_service::ManageMembers>(&member.actor).await?;
    let m = svc.member_detail(svc.authorize(&member.actor).await?, id).await?.member;
    let values = FormValues {
        first_name: m.first_name.clone(),
        last_name: m.last_name.clone(),
        email: m.email.clone(),
        personal_id: m.personal_id.clone(),
        comment: m.comment.clone(),
        phone: m.phone.clone(),
        location: m.location.clone(),
        role: m.role.to_string(),
        seat_type: m.seat_type.map(|s| s.as_str().to_owned()).unwrap_or_default(),
        team: String::new(),
    };
    let page = form_page(
        &state,
        &member,
        Some(Editing::of(&m)),
        values,
        |k| m.custom_field(k),
        None,
    )
    .await?;
    render(&page)
}

async fn update(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, i64)>,
    post: MemberPost,
) -> Result<Response, ConsoleError> {
    let MemberPost { member, form } = post;
    let svc = &state.service;
    let defs = svc.custom_fields(svc.authorize(&member.actor).await?).await?;
    let keys: Vec<String> = defs.iter().map(|d| d.key.clone()).collect();
    match svc
        .update_member(svc.authorize(&member.actor).await?, id, input_from(&form, &keys))
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/o/{}/members/{id}", member.actor.org_slug)).into_response()),
        Err(err) => {
            let error = field_error(err)?;
            let editing = svc.member_detail(svc.authorize(&member.actor).await?, id).await?.member;
            let page = form_page(
                &state,
                &member,
                Some(Editing::of(&editing)),
                values_from(&form),
                |k| form.get(&format!("cf_{k}")).unwrap_or("").to_owned(),
                Some(error),
            )
            .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "member_remove.html")]
struct RemovePage {
    layout: Layout,
    member: MemberView,
    content_count: usize,
    receiver: String,
    error: Option<String>,
}

async fn remove_form(
    State(state): State<AppState>,
    member: Member,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, ConsoleError> {
    let svc = &state.service;
    svc.authorize::<roster_service::ManageMembers>(&member.actor).await?;
    let detail = svc.member_detail(svc.authorize(&member.actor).await?, id).await?;
    let page = RemovePage {
        layout: Layout::new(&state, &member, "members").await?,
        content_count: detail.content_items.len(),
        member: detail.member,
        receiver: String::new(),
        error: None,
    };
    render(&page)
}

async fn remove(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, i64)>,
    post: MemberPost,
) -> Result<Response, ConsoleError> {
    let MemberPost { member, form } = post;
    let svc = &state.service;
    let receiver = form.text("receiver").unwrap_or_default();
    let transfer_to = if receiver.trim().is_empty() {
        Ok(None)
    } else {
        svc.member_by_email(svc.authorize(&member.actor).await?, &receiver)
            .await
            .map(|m| Some(m.id))
    };
    let result = match transfer_to {
        Ok(transfer_to) => svc
            .remove_member(svc.authorize(&member.actor).await?, id, RemoveMember { transfer_to })
            .await
            .map(|_| ()),
        // Not found, or not an e-mail at all: no such member. Anything
        // else (the database) stays what it is.
        Err(ServiceError::NotFound(_) | ServiceError::Invalid(_)) => {
            Err(ServiceError::Invalid(roster_domain::InvalidInput::new(
                "receiver",
                "unknown_member",
                "no member of this organization has this e-mail",
            )))
        }
        Err(other) => Err(other),
    };
    match result {
        Ok(()) => Ok(redirect_notice(&member, "The member was removed.")),
        Err(err) => {
            let (_, message) = field_error(err)?;
            let detail = svc.member_detail(svc.authorize(&member.actor).await?, id).await?;
            let page = RemovePage {
                layout: Layout::new(&state, &member, "members").await?,
                content_count: detail.content_items.len(),
                member: detail.member,
                receiver,
                error: Some(message),
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
    }
}
