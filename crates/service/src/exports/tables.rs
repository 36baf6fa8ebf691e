//! The tables exports are made of, each read a page at a time and sent to
//! the writer as typed cells. Members of another company (external) never
//! show their e-mail address or department, in any table.

use std::collections::HashMap;

use roster_bulk::Value;
use roster_domain::{MemberStatus, Role, SeatType};
use roster_store::{Conn, MemberCursor, MemberPage, MemberQuery, MemberRecord, MemberSort, Store};

use super::sheet::{Out, Stop};
use super::{ExportParams, MemberFilter};
use crate::{Actor, Vocabulary};

/// Members read per page.
const PAGE: i64 = 1_000;

/// What a member row needs besides the member.
pub(super) struct Context<'a> {
    pub store: &'a Store,
    pub actor: &'a Actor,
    pub words: &'a Vocabulary,
    /// Custom field keys, one column each.
    pub fields: &'a [String],
}

/// E-mail and department as an export may show them.
fn private_or_blank(member: &MemberRecord) -> (&str, &str) {
    if member.external {
        ("", "")
    } else {
        (&member.email, &member.department)
    }
}

/// The personal id as an export may show it. An external member's that is
/// their e-mail (the default when none was given) is private: the export
/// shows a reference to the member instead, by which an import finds them
/// again (`roster_domain::member_reference`).
fn personal_id_shown(member: &MemberRecord) -> std::borrow::Cow<'_, str> {
    if member.external && member.personal_id.eq_ignore_ascii_case(&member.email) {
        roster_domain::member_reference(member.id).into()
    } else {
        member.personal_id.as_str().into()
    }
}

fn role_label(words: &Vocabulary, raw: &str) -> String {
    Role::parse(raw).map_or_else(|_| raw.to_owned(), |r| words.role_label(&r))
}

fn seat_label(words: &Vocabulary, raw: Option<&str>) -> String {
    raw.and_then(|s| SeatType::parse(s).ok())
        .map(|s| words.seat_label(s))
        .unwrap_or_default()
}

fn status_label(raw: &str) -> String {
    MemberStatus::parse(raw).map_or_else(|_| raw.to_owned(), |s| s.label().to_owned())
}

fn custom_text(member: &MemberRecord, key: &str) -> String {
    match member.custom_fields.get(key) {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// Whether a search matches an external member without looking at their
/// e-mail or department: a filter by e-mail must not find them.
fn matches_without_private(member: &MemberRecord, q: &str) -> bool {
    let q = q.trim().to_lowercase();
    [
        member.first_name.as_str(),
        member.last_name.as_str(),
        &personal_id_shown(member),
        member.comment.as_str(),
    ]
    .iter()
    .any(|v| v.to_lowercase().contains(&q))
        || format!("{} {}", member.first_name, member.last_name)
            .to_lowercase()
            .contains(&q)
}

/// Pages of the members a filter selects, in the order they were added,
/// within the actor's reach (a division admin: their divisions).
pub(super) struct MemberPages {
    query: MemberQuery,
    filter: MemberFilter,
    done: bool,
}

impl MemberPages {
    pub fn new(actor: &Actor, filter: &MemberFilter) -> Self {
        Self {
            query: MemberQuery {
                org_id: actor.org_id,
                q: filter.q.clone().filter(|q| !q.trim().is_empty()),
                status: filter.status.map(|s| s.as_str().to_owned()),
                role: filter.role.as_ref().map(ToString::to_string),
                seat_type: filter.seat_type.map(|s| s.as_str().to_owned()),
                team_id: filter.team,
                comment: filter.comment.clone(),
                external: filter.external,
                sort: MemberSort::Id,
                descending: false,
                after: None,
                limit: PAGE,
                division_admin: actor.division_scope(),
            },
            filter: filter.clone(),
            done: false,
        }
    }

    pub async fn next(&mut self, conn: &mut Conn) -> Result<Option<Vec<MemberRecord>>, Stop> {
        if self.done {
            return Ok(None);
        }
        let rows = roster_store::list_members(conn, &self.query)
            .await
            .map_err(crate::ServiceError::from)?;
        if (rows.len() as i64) < PAGE {
            self.done = true;
        }
        if let Some(last) = rows.last() {
            self.query.after = Some(MemberCursor {
                key: vec![],
                id: last.id,
            });
        } else {
            return Ok(None);
        }
        let removed_asked = self.filter.status == Some(MemberStatus::Removed);
        Ok(Some(
            rows.into_iter()
                .filter(|m| removed_asked || m.status != MemberStatus::Removed.as_str())
                .filter(|m| match (&self.query.q, m.external) {
                    (Some(q), true) => matches_without_private(m, q),
                    _ => true,
                })
                .collect(),
        ))
    }
}

pub(super) fn member_headers(fields: &[String]) -> Vec<String> {
    let mut headers: Vec<String> = [
        "first_name",
        "last_name",
        "email",
        "phone",
        "personal_id",
        "comment",
        "role",
        "seat_type",
        "status",
        "invitation_state",
        "invitation_expires_at",
        "created_at",
        "last_sign_in_at",
        "location",
        "skills",
        "department",
        "external",
    ]
    .iter()
    .map(|h| (*h).to_owned())
    .collect();
    headers.extend(fields.iter().cloned());
    headers.push("teams".into());
    headers
}

/// The members sheet: one row per member, with teams as
/// `Team (lead, core); Other team`.
pub(super) async fn members(
    conn: &mut Conn,
    cx: &Context<'_>,
    filter: &MemberFilter,
    out: &mut Out<'_>,
) -> Result<(), Stop> {
    let org = cx.actor.org_id;
    if of_everyone(cx, filter) {
        let total: i64 = roster_store::member_counts_by(conn, org, "status")
            .await
            .map_err(crate::ServiceError::from)?
            .iter()
            .map(|(_, n)| n)
            .sum();
        out.expect(Some(total));
    }
    out.sheet("Members", member_headers(cx.fields)).await?;
    let mut pages = Pages::new(cx, filter);
    while let Some(page) = pages.next(conn, org).await? {
        write_members(cx, page, out).await?;
    }
    Ok(())
}

/// Whether the export is of all the organization's members: unfiltered,
/// by someone whose reading no division limits.
fn of_everyone(cx: &Context<'_>, filter: &MemberFilter) -> bool {
    filter.is_empty() && cx.actor.division_scope().is_none()
}

/// Pages of members with what an export shows beside them: for everyone
/// (unfiltered, no division scope) from the store's bulk read path, one
/// snapshot read by the database's own driver (`roster_store::bulk_read`);
/// otherwise pages through sqlx and their look-ups.
enum Pages {
    Bulk(tokio::sync::mpsc::Receiver<roster_store::StoreResult<MemberPage>>),
    Paged(Box<MemberPages>),
}

impl Pages {
    fn new(cx: &Context<'_>, filter: &MemberFilter) -> Self {
        match of_everyone(cx, filter)
            .then(|| cx.store.member_pages_for_export(cx.actor.org_id, PAGE as usize))
            .flatten()
        {
            Some(pages) => Self::Bulk(pages),
            None => Self::Paged(Box::new(MemberPages::new(cx.actor, filter))),
        }
    }

    async fn next(&mut self, conn: &mut Conn, org: i64) -> Result<Option<MemberPage>, Stop> {
        let members = match self {
            Self::Bulk(pages) => return Ok(pages.recv().await.transpose().map_err(crate::ServiceError::from)?),
            Self::Paged(pages) => match pages.next(conn).await? {
                Some(members) => members,
                None => return Ok(None),
            },
        };
        let ids: Vec<i64> = members.iter().map(|m| m.id).collect();
        let err = |e| Stop::from(crate::ServiceError::from(e));
        Ok(Some(MemberPage {
            assignments: roster_store::assignments_of(conn, org, &ids).await.map_err(err)?,
            sign_ins: roster_store::last_sign_ins(conn, org, &ids).await.map_err(err)?,
            invitations: roster_store::newest_invitations_of(conn, org, &ids)
                .await
                .map_err(err)?,
            members,
        }))
    }
}

/// The rows of a page of members.
async fn write_members(cx: &Context<'_>, page: MemberPage, out: &mut Out<'_>) -> Result<(), Stop> {
    let mut teams_of: HashMap<i64, Vec<String>> = HashMap::new();
    for a in page.assignments {
        let mut notes = Vec::new();
        if a.team_role == "lead" {
            notes.push("lead");
        }
        if a.core_member {
            notes.push("core");
        }
        let name = if notes.is_empty() {
            a.team_name
        } else {
            format!("{} ({})", a.team_name, notes.join(", "))
        };
        teams_of.entry(a.member_id).or_default().push(name);
    }
    let sign_ins: HashMap<i64, i64> = page.sign_ins.into_iter().collect();
    let invitations: HashMap<i64, (String, i64)> = page
        .invitations
        .into_iter()
        .map(|(m, state, expires)| (m, (state, expires)))
        .collect();
    for m in page.members {
        // The record is consumed: its strings move into the cells.
        let custom: Vec<Value> = cx.fields.iter().map(|k| Value::text(custom_text(&m, k))).collect();
        let role = role_label(cx.words, &m.role);
        let seat = seat_label(cx.words, m.seat_type.as_deref());
        let status = status_label(&m.status);
        let invitation = invitations.get(&m.id);
        let personal_id = personal_id_shown(&m).into_owned();
        let (email, department) = if m.external {
            (String::new(), String::new())
        } else {
            (m.email, m.department)
        };
        let mut row = vec![
            Value::Text(m.first_name),
            Value::Text(m.last_name),
            Value::Text(email),
            Value::Text(m.phone),
            Value::Text(personal_id),
            Value::Text(m.comment),
            Value::Text(role),
            Value::Text(seat),
            Value::Text(status),
            invitation.map_or(Value::Empty, |(state, _)| Value::text(state)),
            match invitation {
                Some((state, expires)) if state == "pending" => Value::Time(*expires),
                _ => Value::Empty,
            },
            Value::Time(m.created_at),
            Value::time(sign_ins.get(&m.id).copied()),
            Value::Text(m.location),
            Value::Text(m.skills),
            Value::Text(department),
            Value::Flag(m.external),
        ];
        row.extend(custom);
        row.push(Value::text(teams_of.remove(&m.id).unwrap_or_default().join("; ")));
        out.row(row).await?;
    }
    Ok(())
}

/// The team assignments sheet of the workbook: one row per member and team.
pub(super) async fn assignments(conn: &mut Conn, cx: &Context<'_>, out: &mut Out<'_>) -> Result<(), Stop> {
    let org = cx.actor.org_id;
    out.sheet(
        "Team assignments",
        [
            "first_name",
            "last_name",
            "email",
            "personal_id",
            "team",
            "team_id",
            "team_role",
            "core_member",
        ]
        .map(str::to_owned)
        .to_vec(),
    )
    .await?;
    let mut pages = Pages::new(cx, &MemberFilter::default());
    while let Some(page) = pages.next(conn, org).await? {
        let by_id: HashMap<i64, &MemberRecord> = page.members.iter().map(|m| (m.id, m)).collect();
        for a in page.assignments {
            let Some(m) = by_id.get(&a.member_id) else { continue };
            let (email, _) = private_or_blank(m);
            out.row(vec![
                Value::text(&m.first_name),
                Value::text(&m.last_name),
                Value::text(email),
                Value::text(personal_id_shown(m).as_ref()),
                Value::text(a.team_name),
                Value::Int(a.team_id),
                Value::text(a.team_role),
                Value::Flag(a.core_member),
            ])
            .await?;
        }
    }
    Ok(())
}

/// The members of one team.
pub(super) async fn team_members(conn: &mut Conn, cx: &Context<'_>, team: i64, out: &mut Out<'_>) -> Result<(), Stop> {
    let org = cx.actor.org_id;
    out.sheet(
        "Team members",
        [
            "first_name",
            "last_name",
            "email",
            "personal_id",
            "team_role",
            "core_member",
            "role",
            "seat_type",
            "status",
            "department",
            "external",
        ]
        .map(str::to_owned)
        .to_vec(),
    )
    .await?;
    let filter = MemberFilter {
        team: Some(team),
        ..MemberFilter::default()
    };
    let mut pages = MemberPages::new(cx.actor, &filter);
    while let Some(page) = pages.next(conn).await? {
        let ids: Vec<i64> = page.iter().map(|m| m.id).collect();
        let places: HashMap<i64, (String, bool)> = roster_store::assignments_of(conn, org, &ids)
            .await
            .map_err(crate::ServiceError::from)?
            .into_iter()
            .filter(|a| a.team_id == team)
            .map(|a| (a.member_id, (a.team_role, a.core_member)))
            .collect();
        for m in &page {
            let (email, department) = private_or_blank(m);
            let (team_role, core) = places.get(&m.id).cloned().unwrap_or_default();
            out.row(vec![
                Value::text(&m.first_name),
                Value::text(&m.last_name),
                Value::text(email),
                Value::text(personal_id_shown(m).as_ref()),
                Value::text(team_role),
                Value::Flag(core),
                Value::text(role_label(cx.words, &m.role)),
                Value::text(seat_label(cx.words, m.seat_type.as_deref())),
                Value::text(status_label(&m.status)),
                Value::text(department),
                Value::Flag(m.external),
            ])
            .await?;
        }
    }
    Ok(())
}

/// The team tree, parents before their children.
pub(super) async fn teams(conn: &mut Conn, cx: &Context<'_>, out: &mut Out<'_>) -> Result<(), Stop> {
    let org = cx.actor.org_id;
    let err = crate::ServiceError::from;
    let teams = roster_store::list_teams(conn, org).await.map_err(err)?;
    let counts: HashMap<i64, (i64, i64, i64)> = roster_store::team_counts(conn, org)
        .await
        .map_err(err)?
        .into_iter()
        .map(|(t, m, l, c)| (t, (m, l, c)))
        .collect();
    let mut admins: HashMap<i64, Vec<String>> = HashMap::new();
    for (team, member) in roster_store::all_division_admins(conn, org).await.map_err(err)? {
        if let Some(m) = roster_store::member_by_id(conn, org, member).await.map_err(err)? {
            admins
                .entry(team)
                .or_default()
                .push(format!("{} {}", m.first_name, m.last_name).trim().to_owned());
        }
    }
    let by_id: HashMap<i64, &roster_store::TeamRecord> = teams.iter().map(|t| (t.id, t)).collect();
    let mut children: HashMap<Option<i64>, Vec<&roster_store::TeamRecord>> = HashMap::new();
    for t in &teams {
        // A parent that is gone makes a root.
        let parent = t.parent_id.filter(|p| by_id.contains_key(p));
        children.entry(parent).or_default().push(t);
    }
    for list in children.values_mut() {
        list.sort_by(|a, b| a.name.to_lowercase().cmp(&b.name.to_lowercase()).then(a.id.cmp(&b.id)));
    }
    out.expect(Some(teams.len() as i64));
    out.sheet(
        "Teams",
        [
            "team_id",
            "name",
            "path",
            "parent_id",
            "purpose",
            "external_key",
            "division",
            "division_admins",
            "members",
            "leads",
            "core_members",
            "sub_teams",
        ]
        .map(str::to_owned)
        .to_vec(),
    )
    .await?;
    // Depth first, with each team's path; a visited set stops a damaged cycle.
    let mut stack: Vec<(&roster_store::TeamRecord, String)> = children
        .get(&None)
        .map(|roots| roots.iter().rev().map(|t| (*t, t.name.clone())).collect())
        .unwrap_or_default();
    let mut seen = std::collections::HashSet::new();
    while let Some((t, path)) = stack.pop() {
        if !seen.insert(t.id) {
            continue;
        }
        let subs = children.get(&Some(t.id)).map(Vec::as_slice).unwrap_or(&[]);
        let (members, leads, core) = counts.get(&t.id).copied().unwrap_or_default();
        out.row(vec![
            Value::Int(t.id),
            Value::text(&t.name),
            Value::text(&path),
            t.parent_id.map_or(Value::Empty, Value::Int),
            Value::text(&t.purpose),
            Value::text(t.external_key.clone().unwrap_or_default()),
            Value::Flag(t.is_division),
            Value::text(admins.remove(&t.id).unwrap_or_default().join("; ")),
            Value::Int(members),
            Value::Int(leads),
            Value::Int(core),
            Value::Int(subs.len() as i64),
        ])
        .await?;
        for sub in subs.iter().rev() {
            stack.push((sub, format!("{path} / {}", sub.name)));
        }
    }
    Ok(())
}

/// Invitations, newest first, with their delivery.
pub(super) async fn invitations(conn: &mut Conn, cx: &Context<'_>, out: &mut Out<'_>) -> Result<(), Stop> {
    let org = cx.actor.org_id;
    let err = crate::ServiceError::from;
    out.sheet(
        "Invitations",
        [
            "first_name",
            "last_name",
            "email",
            "personal_id",
            "state",
            "role",
            "seat_type",
            "sender",
            "language",
            "created_at",
            "expires_at",
            "ended_at",
            "delivery",
            "delivery_error",
        ]
        .map(str::to_owned)
        .to_vec(),
    )
    .await?;
    let mut before = None;
    loop {
        let page = roster_store::list_invitations(conn, org, None, before, PAGE)
            .await
            .map_err(err)?;
        let Some(last) = page.last() else { break };
        before = Some(last.id);
        let member_ids: Vec<i64> = page.iter().map(|i| i.member_id).collect();
        let mut members: HashMap<i64, MemberRecord> = HashMap::new();
        for id in member_ids {
            if members.contains_key(&id) {
                continue;
            }
            if let Some(m) = roster_store::member_by_id(conn, org, id).await.map_err(err)? {
                members.insert(id, m);
            }
        }
        let ids: Vec<i64> = page.iter().map(|i| i.id).collect();
        let delivery: HashMap<i64, (String, String)> = roster_store::delivery_of_invitations(conn, org, &ids)
            .await
            .map_err(err)?
            .into_iter()
            .map(|(id, state, error)| (id, (state, error)))
            .collect();
        for i in &page {
            if let Some(admin) = cx.actor.division_scope() {
                if !roster_store::in_division_scope(conn, org, admin, i.member_id)
                    .await
                    .map_err(err)?
                {
                    continue;
                }
            }
            let blank = MemberRecord::default();
            let m = members.get(&i.member_id).unwrap_or(&blank);
            let (email, _) = private_or_blank(m);
            let (state, error) = delivery.get(&i.id).cloned().unwrap_or_default();
            out.row(vec![
                Value::text(&m.first_name),
                Value::text(&m.last_name),
                Value::text(email),
                Value::text(personal_id_shown(m).as_ref()),
                Value::text(&i.state),
                Value::text(role_label(cx.words, &i.role)),
                Value::text(seat_label(cx.words, i.seat_type.as_deref())),
                Value::text(&i.sender_name),
                Value::text(&i.language),
                Value::Time(i.created_at),
                Value::Time(i.expires_at),
                Value::time(i.ended_at),
                Value::text(state),
                Value::text(error),
            ])
            .await?;
        }
        if (page.len() as i64) < PAGE {
            break;
        }
    }
    Ok(())
}

/// The audit log of a period, newest first.
pub(super) async fn audit(
    conn: &mut Conn,
    cx: &Context<'_>,
    params: &ExportParams,
    out: &mut Out<'_>,
) -> Result<(), Stop> {
    out.sheet(
        "Audit log",
        [
            "at",
            "actor",
            "action",
            "target_kind",
            "target_id",
            "outcome",
            "ip",
            "request_id",
            "details",
        ]
        .map(str::to_owned)
        .to_vec(),
    )
    .await?;
    let mut query = roster_store::AuditQuery {
        org_id: cx.actor.org_id,
        since: params.first_day.map(|d| d * 86_400_000),
        until: params.last_day.map(|d| (d + 1) * 86_400_000),
        limit: PAGE,
        ..Default::default()
    };
    loop {
        let mut page = roster_store::list_audit(conn, &query)
            .await
            .map_err(crate::ServiceError::from)?;
        crate::orgs::audit::hide_external_details(conn, cx.actor.org_id, &mut page).await?;
        let Some(last) = page.last() else { break };
        query.before_id = Some(last.id);
        for e in &page {
            out.row(vec![
                Value::Time(e.at),
                Value::text(&e.actor),
                Value::text(&e.action),
                Value::text(&e.target_kind),
                Value::text(&e.target_id),
                Value::text(&e.outcome),
                Value::text(&e.ip),
                Value::text(&e.request_id),
                Value::text(e.details.to_string()),
            ])
            .await?;
        }
        if (page.len() as i64) < PAGE {
            break;
        }
    }
    Ok(())
}

/// Content items apps registered, with their owners.
pub(super) async fn content(
    conn: &mut Conn,
    cx: &Context<'_>,
    app: Option<&str>,
    out: &mut Out<'_>,
) -> Result<(), Stop> {
    out.sheet(
        "Content items",
        ["app", "external_ref", "title", "created_at", "owner", "owner_email"]
            .map(str::to_owned)
            .to_vec(),
    )
    .await?;
    let items = roster_store::content_items_for_export(conn, cx.actor.org_id, app)
        .await
        .map_err(crate::ServiceError::from)?;
    for (item, owner, email, external) in items {
        out.row(vec![
            Value::text(item.kind),
            Value::text(item.external_ref),
            Value::text(item.title),
            Value::Time(item.created_at),
            Value::text(owner),
            Value::text(if external { String::new() } else { email }),
        ])
        .await?;
    }
    Ok(())
}
