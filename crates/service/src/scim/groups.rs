//! SCIM Groups ↔ directory teams. A group is a team the directory made:
//! its `displayName` the team's name (unique among directory groups
//! without regard to case, as Entra ID matches groups by it), `externalId`
//! its external key, `members` its members. Teams made in Roster are not
//! groups and SCIM never sees or touches them. Memberships change a set at
//! a time, and a group's members are read only when the answer carries
//! them (Entra ID asks with `excludedAttributes=members`).

use std::collections::{BTreeSet, HashMap};

use roster_domain::{now_millis, SingleLine, UserName};
use roster_scim::canonical::canonicalize;
use roster_scim::patch::{self, OpKind, Place, Step};
use roster_scim::schema::GROUP;
use roster_scim::{Cond, Holder, Projection, ScimError};
use roster_store::{group, group_by_name, group_member_ids, groups_page, Conn, GroupFields, GroupRecord};
use serde_json::{json, Map, Value};

use super::list::{too_many, ListRequest, Shape, MAX_SCANNED, SCAN_BATCH};
use super::users::store_refusal;
use super::{check_if_match, version_of, ScimAnswer, ScimClient, Written};
use crate::orgs::audit::record;
use crate::{Service, ServiceError, ServiceResult};

/// Above this many members a PATCH answers 204 rather than the whole group
/// (unless its members were excluded): the answer would be megabytes that
/// no client reads (Entra ID asks for 204 outright).
pub const PATCH_ANSWER_MAX_MEMBERS: usize = 10_000;

const INDEXED: &str = "displayName, externalId, id, members.value, meta.created or meta.lastModified";

fn not_found(id: &str) -> ServiceError {
    ScimError::not_found(format!("no group {id:?} in this organization")).into()
}

async fn live_group(conn: &mut Conn, org_id: i64, id: &str) -> ServiceResult<GroupRecord> {
    let Some(n) = super::team_of_group_id(id) else {
        return Err(not_found(id));
    };
    group(conn, org_id, n).await?.ok_or_else(|| not_found(id))
}

/// A team as a Group; `members` when the answer carries them.
fn group_document(g: &GroupRecord, members: Option<&[i64]>, base: &str) -> Map<String, Value> {
    let mut doc = Map::new();
    doc.insert("schemas".into(), json!([GROUP]));
    doc.insert("id".into(), json!(super::group_id(g.id)));
    if let Some(key) = &g.external_key {
        doc.insert("externalId".into(), json!(key));
    }
    doc.insert("displayName".into(), json!(g.name));
    if let Some(members) = members.filter(|m| !m.is_empty()) {
        doc.insert(
            "members".into(),
            Value::Array(
                members
                    .iter()
                    .map(|id| json!({"value": id.to_string(), "$ref": format!("{base}/Users/{id}"), "type": "User"}))
                    .collect(),
            ),
        );
    }
    doc.insert(
        "meta".into(),
        json!({
            "resourceType": "Group",
            "created": roster_domain::format_rfc3339(g.created_at),
            "lastModified": roster_domain::format_rfc3339(g.updated_at),
            "location": format!("{base}/Groups/{}", super::group_id(g.id)),
            "version": version_of(g.updated_at),
        }),
    );
    doc
}

/// A group's members as JSON text, as `group_document` writes them.
fn members_json(members: &[i64], base: &str) -> String {
    // The base URL as a JSON string without its closing quote: ids follow.
    let users = json!(format!("{base}/Users/")).to_string();
    let users = users.strip_suffix('"').unwrap_or(&users);
    let mut out = String::with_capacity(members.len() * (users.len() + 48));
    out.push('[');
    for (i, id) in members.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&format!(
            "{{\"value\":\"{id}\",\"$ref\":{users}{id}\",\"type\":\"User\"}}"
        ));
    }
    out.push(']');
    out
}

/// The user ids a list of members names (`value`, or the last segment of
/// `$ref`; sub-attribute names in any case). Anything that is not a user of
/// Roster is refused. Read straight from the request (no copy: a list may
/// hold a hundred thousand).
fn member_ids(value: Option<&Value>) -> ServiceResult<Vec<i64>> {
    let list: Vec<&Value> = match value {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(list)) => list.iter().collect(),
        Some(one) => vec![one],
    };
    let sub = |m: &Map<String, Value>, name: &str| -> Option<Value> {
        m.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let mut out = Vec::with_capacity(list.len());
    for (i, m) in list.into_iter().enumerate() {
        let raw = match m {
            Value::Object(m) => {
                if let Some(Value::String(kind)) = sub(m, "type") {
                    if !kind.eq_ignore_ascii_case("User") {
                        return Err(ScimError::invalid_value(format!(
                            "members[{i}]: Roster's groups hold users only, not {kind:?}"
                        ))
                        .into());
                    }
                }
                match (sub(m, "value"), sub(m, "$ref")) {
                    (Some(Value::String(v)), _) => v,
                    (Some(Value::Number(n)), _) => n.to_string(),
                    (_, Some(Value::String(r))) => r
                        .trim_end_matches('/')
                        .rsplit('/')
                        .next()
                        .unwrap_or_default()
                        .to_owned(),
                    _ => return Err(ScimError::invalid_value(format!("members[{i}] names no user")).into()),
                }
            }
            Value::String(v) => v.clone(),
            _ => return Err(ScimError::invalid_value(format!("members[{i}] must be an object")).into()),
        };
        let raw = raw.trim();
        let id = raw
            .parse::<i64>()
            .ok()
            .filter(|n| n.to_string() == raw)
            .ok_or_else(|| {
                ServiceError::from(ScimError::invalid_value(format!(
                    "members[{i}]: no user {raw:?} in this organization"
                )))
            })?;
        out.push(id);
    }
    Ok(out)
}

/// Takes `members` out of a request's body, its name in any case.
fn take_members(body: &mut Value) -> Option<Value> {
    let fields = body.as_object_mut()?;
    let key = fields.keys().find(|k| k.eq_ignore_ascii_case("members"))?.clone();
    fields.remove(&key)
}

/// A group's own fields from its canonical JSON.
fn group_fields(doc: &Map<String, Value>) -> ServiceResult<GroupFields> {
    let name = doc
        .get("displayName")
        .and_then(Value::as_str)
        .ok_or_else(|| ServiceError::from(ScimError::invalid_value("displayName is required")))?;
    let name = SingleLine::parse_required("displayName", name, 100)
        .map_err(|e| ServiceError::from(ScimError::invalid_value(format!("displayName: {}", e.message))))?
        .into_string();
    let external_key = match doc.get("externalId").and_then(Value::as_str) {
        Some(raw) => Some(
            SingleLine::parse("externalId", raw, 100)
                .map_err(|e| ServiceError::from(ScimError::invalid_value(format!("externalId: {}", e.message))))?
                .into_string(),
        )
        .filter(|k| !k.is_empty()),
        None => None,
    };
    Ok(GroupFields {
        name_key: UserName::key_of(&name),
        name,
        external_key,
    })
}

fn mentions_members(cond: &Cond) -> bool {
    match cond {
        Cond::Cmp(loc, _, _) | Cond::Present(loc) => loc.is_core("members", loc.sub.as_deref()),
        Cond::Has(loc, inner) => loc.is_core("members", None) || mentions_members(inner),
        Cond::And(list) | Cond::Or(list) => list.iter().any(mentions_members),
        Cond::Not(inner) => mentions_members(inner),
    }
}

impl Service {
    pub async fn scim_list_groups(&self, client: &ScimClient, request: ListRequest) -> ServiceResult<Value> {
        let org_id = client.org_id();
        let resource = self.scim_group_resource();
        let projection = Projection::parse(
            &resource,
            request.attributes.as_deref(),
            request.excluded_attributes.as_deref(),
        )?;
        let cond = request
            .filter
            .as_ref()
            .map(|f| Cond::compile(&resource, f))
            .transpose()?;
        let page = request.page;
        let mut conn = self.store().conn().await?;
        let exact = cond.as_ref().is_none_or(roster_store::group_condition_is_exact);
        let (total, groups) = if exact {
            let total = roster_store::count_groups(&mut conn, org_id, cond.as_ref()).await? as usize;
            let groups = if page.count == 0 || page.offset() >= total {
                Vec::new()
            } else {
                groups_page(
                    &mut conn,
                    org_id,
                    cond.as_ref(),
                    0,
                    page.offset() as i64,
                    page.count as i64,
                )
                .await?
            };
            (total, groups)
        } else {
            let cond = cond
                .as_ref()
                .ok_or_else(|| ServiceError::Internal("no condition".into()))?;
            let with_members = mentions_members(cond);
            let (mut after, mut scanned, mut total, mut hits) = (0, 0usize, 0usize, Vec::new());
            loop {
                let batch = groups_page(&mut conn, org_id, Some(cond), after, 0, SCAN_BATCH).await?;
                let Some(last) = batch.last() else { break };
                after = last.id;
                scanned += batch.len();
                if scanned > MAX_SCANNED {
                    return Err(too_many(INDEXED).into());
                }
                let members = if with_members {
                    let ids: Vec<i64> = batch.iter().map(|g| g.id).collect();
                    roster_store::members_of_groups(&mut conn, org_id, &ids).await?
                } else {
                    HashMap::new()
                };
                for g in batch {
                    let m = members.get(&g.id).map(Vec::as_slice);
                    if cond.matches(&group_document(&g, m, client.base())) {
                        total += 1;
                        if total > page.offset() && hits.len() < page.count {
                            hits.push(g);
                        }
                    }
                }
            }
            (total, hits)
        };
        let members = if projection.wants(&Holder::Core, "members") && !groups.is_empty() {
            let ids: Vec<i64> = groups.iter().map(|g| g.id).collect();
            Some(roster_store::members_of_groups(&mut conn, org_id, &ids).await?)
        } else {
            None
        };
        let resources = groups
            .iter()
            .map(|g| {
                let m = members.as_ref().map(|m| m.get(&g.id).cloned().unwrap_or_default());
                let mut doc = group_document(g, m.as_deref(), client.base());
                projection.apply(&mut doc);
                Value::Object(doc)
            })
            .collect();
        Ok(roster_scim::list::list_response(total, page, resources))
    }

    async fn group_answer(
        &self,
        conn: &mut Conn,
        client: &ScimClient,
        id: i64,
        shape: &Shape,
        max_members: Option<usize>,
    ) -> ServiceResult<Written> {
        let resource = self.scim_group_resource();
        let projection = Projection::parse(
            &resource,
            shape.attributes.as_deref(),
            shape.excluded_attributes.as_deref(),
        )?;
        let g = live_group(conn, client.org_id(), &super::group_id(id)).await?;
        let mut spliced = None;
        let mut doc = if projection.wants(&Holder::Core, "members") {
            let members = group_member_ids(conn, client.org_id(), g.id).await?;
            if max_members.is_some_and(|max| members.len() > max) {
                return Ok(Written::NoContent);
            }
            if projection.narrows(&Holder::Core, "members") {
                group_document(&g, Some(&members), client.base())
            } else {
                // Written as text from the ids: a hundred thousand members
                // as a tree of values would take ten times the memory.
                if !members.is_empty() {
                    spliced = Some(("members", members_json(&members, client.base())));
                }
                group_document(&g, None, client.base())
            }
        } else {
            group_document(&g, None, client.base())
        };
        projection.apply(&mut doc);
        Ok(Written::Resource(ScimAnswer {
            body: Value::Object(doc),
            version: version_of(g.updated_at),
            notice: None,
            spliced,
        }))
    }

    async fn group_answer_whole(
        &self,
        conn: &mut Conn,
        client: &ScimClient,
        id: i64,
        shape: &Shape,
    ) -> ServiceResult<ScimAnswer> {
        match self.group_answer(conn, client, id, shape, None).await? {
            Written::Resource(answer) => Ok(answer),
            Written::NoContent => Err(ServiceError::Internal("a group answer without content".into())),
        }
    }

    pub async fn scim_get_group(&self, client: &ScimClient, id: &str, shape: &Shape) -> ServiceResult<ScimAnswer> {
        let mut conn = self.store().conn().await?;
        let g = live_group(&mut conn, client.org_id(), id).await?;
        self.group_answer_whole(&mut conn, client, g.id, shape).await
    }

    /// POST /Groups: a new directory team, with the members it names.
    pub async fn scim_create_group(
        &self,
        client: &ScimClient,
        mut body: Value,
        shape: &Shape,
    ) -> ServiceResult<ScimAnswer> {
        let actor = client.actor();
        let resource = self.scim_group_resource();
        let members = member_ids(take_members(&mut body).as_ref())?;
        let doc = canonicalize(&resource, &body)?;
        let fields = group_fields(&doc)?;
        let mut tx = self.store().begin().await?;
        refuse_taken_name(&mut tx, actor.org_id, &fields, None).await?;
        let now = now_millis();
        let id = roster_store::insert_group(&mut tx, actor.org_id, &fields, now)
            .await
            .map_err(group_conflict)?;
        record(
            &mut tx,
            actor,
            "team.create",
            "team",
            id,
            json!({"name": fields.name, "external_key": fields.external_key, "directory": true}),
        )
        .await?;
        self.set_group_members(&mut tx, client, id, &members, None, now).await?;
        tx.commit().await?;
        let mut conn = self.store().conn().await?;
        self.group_answer_whole(&mut conn, client, id, shape).await
    }

    /// PUT /Groups/{id}: the name and external id as given; the members as
    /// given when the body names `members` (an empty list empties the
    /// group), and as they are when it does not — a rename must not empty
    /// a group of a hundred thousand.
    pub async fn scim_replace_group(
        &self,
        client: &ScimClient,
        id: &str,
        mut body: Value,
        if_match: Option<&str>,
        shape: &Shape,
    ) -> ServiceResult<ScimAnswer> {
        let actor = client.actor();
        let resource = self.scim_group_resource();
        let members = take_members(&mut body).map(|m| member_ids(Some(&m))).transpose()?;
        let doc = canonicalize(&resource, &body)?;
        let fields = group_fields(&doc)?;
        let mut tx = self.store().begin().await?;
        let old = live_group(&mut tx, actor.org_id, id).await?;
        check_if_match(if_match, &version_of(old.updated_at))?;
        let now = now_millis();
        self.rename_group(&mut tx, client, &old, &fields, now).await?;
        if let Some(members) = members {
            self.set_group_members(&mut tx, client, old.id, &members, Some(&old), now)
                .await?;
        }
        tx.commit().await?;
        let mut conn = self.store().conn().await?;
        self.group_answer_whole(&mut conn, client, old.id, shape).await
    }

    /// PATCH /Groups/{id}: name and external id like any attribute;
    /// `members` as set operations on the team (add what is not there,
    /// remove what is — neither is an error otherwise).
    pub async fn scim_patch_group(
        &self,
        client: &ScimClient,
        id: &str,
        body: Value,
        if_match: Option<&str>,
        shape: &Shape,
    ) -> ServiceResult<Written> {
        let actor = client.actor();
        let resource = self.scim_group_resource();
        let operations = patch::parse_request(body)?;
        let steps = patch::steps(&resource, operations)?;
        let mut tx = self.store().begin().await?;
        let old = live_group(&mut tx, actor.org_id, id).await?;
        check_if_match(if_match, &version_of(old.updated_at))?;
        let now = now_millis();
        let mut doc = group_document(&old, None, client.base());
        for step in &steps {
            if step.place.is_attribute("members") {
                self.patch_members(&mut tx, client, &old, step, now).await?;
            } else {
                patch::apply(&resource, &mut doc, step)?;
            }
        }
        let fields = group_fields(&doc)?;
        self.rename_group(&mut tx, client, &old, &fields, now).await?;
        tx.commit().await?;
        let mut conn = self.store().conn().await?;
        self.group_answer(&mut conn, client, old.id, shape, Some(PATCH_ANSWER_MAX_MEMBERS))
            .await
    }

    /// DELETE /Groups/{id}: the team goes; its members stay in the
    /// organization (and lose a role the group granted them).
    pub async fn scim_delete_group(&self, client: &ScimClient, id: &str, if_match: Option<&str>) -> ServiceResult<()> {
        let actor = client.actor();
        let mut tx = self.store().begin().await?;
        let old = live_group(&mut tx, actor.org_id, id).await?;
        check_if_match(if_match, &version_of(old.updated_at))?;
        let members = if old.grants_role.is_some() {
            group_member_ids(&mut tx, actor.org_id, old.id).await?
        } else {
            Vec::new()
        };
        roster_store::delete_team(&mut tx, actor.org_id, old.id).await?;
        record(
            &mut tx,
            actor,
            "team.delete",
            "team",
            old.id,
            json!({"name": old.name, "directory": true}),
        )
        .await?;
        self.apply_group_roles(&mut tx, actor, &members, now_millis()).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn rename_group(
        &self,
        tx: &mut Conn,
        client: &ScimClient,
        old: &GroupRecord,
        fields: &GroupFields,
        now: i64,
    ) -> ServiceResult<()> {
        if fields.name == old.name && fields.external_key == old.external_key {
            return Ok(());
        }
        refuse_taken_name(tx, client.org_id(), fields, Some(old.id)).await?;
        roster_store::update_group(tx, client.org_id(), old.id, fields, now)
            .await
            .map_err(group_conflict)?;
        record(
            tx,
            client.actor(),
            "team.update",
            "team",
            old.id,
            json!({"name": {"from": old.name, "to": fields.name}, "external_key": {"from": old.external_key, "to": fields.external_key}}),
        )
        .await
    }

    /// One PATCH step on `members`, as a set operation.
    async fn patch_members(
        &self,
        tx: &mut Conn,
        client: &ScimClient,
        group: &GroupRecord,
        step: &Step,
        now: i64,
    ) -> ServiceResult<()> {
        let Place::Attribute { filter, sub, .. } = &step.place else {
            return Ok(());
        };
        if sub.is_some() {
            return Err(
                ScimError::invalid_path("change members as a whole: members, or members[value eq \"…\"]").into(),
            );
        }
        let org_id = client.org_id();
        match (step.op, filter) {
            (OpKind::Add, None) => {
                let ids = member_ids(step.value.as_ref())?;
                self.add_group_members(tx, client, group, &ids, now).await
            }
            (OpKind::Replace, None) => {
                let ids = member_ids(step.value.as_ref())?;
                self.set_group_members(tx, client, group.id, &ids, Some(group), now)
                    .await
            }
            (OpKind::Remove, None) => {
                let ids = match &step.value {
                    // Entra ID without its compliance flag: the members to
                    // remove as the value.
                    Some(v) => member_ids(Some(v))?,
                    None => group_member_ids(tx, org_id, group.id).await?,
                };
                self.remove_group_members(tx, client, group, &ids, now).await
            }
            (OpKind::Remove, Some(cond)) => {
                let ids = match named_members(cond) {
                    Some(ids) => ids,
                    None => group_member_ids(tx, org_id, group.id)
                        .await?
                        .into_iter()
                        .filter(|id| {
                            cond.matches_value(&json!({"value": id.to_string(), "$ref": format!("{}/Users/{id}", client.base()), "type": "User"}))
                        })
                        .collect(),
                };
                self.remove_group_members(tx, client, group, &ids, now).await
            }
            (_, Some(_)) => Err(ScimError::invalid_path(
                "members[…] selects members to remove; add or replace members with a list of them",
            )
            .into()),
        }
    }

    /// Makes the team's members exactly `ids`.
    async fn set_group_members(
        &self,
        tx: &mut Conn,
        client: &ScimClient,
        team_id: i64,
        ids: &[i64],
        old: Option<&GroupRecord>,
        now: i64,
    ) -> ServiceResult<()> {
        let group = match old {
            Some(g) => g.clone(),
            None => live_group(tx, client.org_id(), &super::group_id(team_id)).await?,
        };
        let wanted: BTreeSet<i64> = ids.iter().copied().collect();
        let current: BTreeSet<i64> = if old.is_some() {
            group_member_ids(tx, client.org_id(), team_id)
                .await?
                .into_iter()
                .collect()
        } else {
            BTreeSet::new()
        };
        let gone: Vec<i64> = current.difference(&wanted).copied().collect();
        let new: Vec<i64> = wanted.difference(&current).copied().collect();
        self.remove_group_members(tx, client, &group, &gone, now).await?;
        self.add_group_members(tx, client, &group, &new, now).await
    }

    async fn add_group_members(
        &self,
        tx: &mut Conn,
        client: &ScimClient,
        group: &GroupRecord,
        ids: &[i64],
        now: i64,
    ) -> ServiceResult<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let org_id = client.org_id();
        let wanted: BTreeSet<i64> = ids.iter().copied().collect();
        let wanted: Vec<i64> = wanted.into_iter().collect();
        let existing: BTreeSet<i64> = roster_store::existing_members(tx, org_id, &wanted)
            .await?
            .into_iter()
            .collect();
        let unknown: Vec<String> = wanted
            .iter()
            .filter(|id| !existing.contains(id))
            .take(10)
            .map(ToString::to_string)
            .collect();
        if !unknown.is_empty() {
            return Err(ScimError::invalid_value(format!(
                "members: no user {} in this organization",
                unknown.join(", ")
            ))
            .into());
        }
        let already: BTreeSet<i64> = roster_store::team_members_among(tx, org_id, group.id, &wanted)
            .await?
            .into_iter()
            .collect();
        let new: Vec<i64> = wanted.into_iter().filter(|id| !already.contains(id)).collect();
        if new.is_empty() {
            return Ok(());
        }
        roster_store::insert_team_members(tx, org_id, group.id, &new).await?;
        roster_store::touch_group(tx, org_id, group.id, now).await?;
        record(
            tx,
            client.actor(),
            "team.add_members",
            "team",
            group.id,
            json!({"count": new.len(), "member_ids": new.iter().take(1_000).collect::<Vec<_>>()}),
        )
        .await?;
        if group.grants_role.is_some() {
            self.apply_group_roles(tx, client.actor(), &new, now).await?;
        }
        Ok(())
    }

    async fn remove_group_members(
        &self,
        tx: &mut Conn,
        client: &ScimClient,
        group: &GroupRecord,
        ids: &[i64],
        now: i64,
    ) -> ServiceResult<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let org_id = client.org_id();
        let present = roster_store::team_members_among(tx, org_id, group.id, ids).await?;
        if present.is_empty() {
            return Ok(());
        }
        roster_store::delete_team_members(tx, org_id, group.id, &present).await?;
        roster_store::touch_group(tx, org_id, group.id, now).await?;
        record(
            tx,
            client.actor(),
            "team.remove_members",
            "team",
            group.id,
            json!({"count": present.len(), "member_ids": present.iter().take(1_000).collect::<Vec<_>>()}),
        )
        .await?;
        if group.grants_role.is_some() {
            self.apply_group_roles(tx, client.actor(), &present, now).await?;
        }
        Ok(())
    }
}

/// The member ids a value filter names by `value eq` (or several joined by
/// `or`); `None` when it says more than that.
fn named_members(cond: &Cond) -> Option<Vec<i64>> {
    let one = |c: &Cond| match c {
        Cond::Cmp(loc, roster_scim::CompareOp::Eq, roster_scim::Operand::Text(v))
            if loc.holder.is_none() && loc.attr == "value" =>
        {
            // A value that is no id names nobody.
            Some(v.parse::<i64>().ok().filter(|n| n.to_string() == *v))
        }
        _ => None,
    };
    match cond {
        Cond::Or(list) => list
            .iter()
            .map(one)
            .collect::<Option<Vec<_>>>()
            .map(|v| v.into_iter().flatten().collect()),
        c => one(c).map(|v| v.into_iter().collect()),
    }
}

async fn refuse_taken_name(conn: &mut Conn, org_id: i64, fields: &GroupFields, own: Option<i64>) -> ServiceResult<()> {
    if let Some(other) = group_by_name(conn, org_id, &fields.name_key).await? {
        if Some(other.id) != own {
            return Err(ScimError::uniqueness(format!(
                "a directory group named {:?} exists already (id {})",
                other.name, other.id
            ))
            .into());
        }
    }
    Ok(())
}

fn group_conflict(e: roster_store::StoreError) -> ServiceError {
    match e {
        roster_store::StoreError::Conflict { field } if field == "external_key" => {
            ScimError::uniqueness("externalId is already the external key of another team").into()
        }
        other => store_refusal(other),
    }
}
