//! SCIM Users ↔ members: list, read, create, replace, patch, delete.

use roster_domain::{now_millis, MemberStatus, Role, StatusTransition};
use roster_scim::canonical::canonicalize;
use roster_scim::schema::{ENTERPRISE_USER, ROSTER_USER};
use roster_scim::{patch, Cond, Projection, ScimError};
use roster_store::{
    directory_member, directory_members_by_user_name, directory_members_page, Conn, CustomFieldRecord, DirectoryMember,
};
use serde_json::{json, Map, Value};

use super::list::{too_many, ListRequest, Shape, MAX_SCANNED, SCAN_BATCH};
use super::user_doc::user_document;
use super::user_ingest::{ingest, UserState};
use super::{check_if_match, version_of, ScimAnswer, ScimClient, UserSchema};
use crate::orgs::audit::record;
use crate::{RemoveMember, Service, ServiceError, ServiceResult};

const INDEXED: &str = "userName, externalId, id, emails.value, active, meta.created or meta.lastModified";

fn not_found(id: &str) -> ServiceError {
    ScimError::not_found(format!("no user {id:?} in this organization")).into()
}

/// A member id as SCIM names it; anything else names nobody.
fn member_id(id: &str) -> Option<i64> {
    id.parse::<i64>().ok().filter(|n| n.to_string() == id)
}

/// The member a SCIM id names (removed members are gone for SCIM).
async fn live_member(conn: &mut Conn, org_id: i64, id: &str) -> ServiceResult<DirectoryMember> {
    let Some(n) = member_id(id) else {
        return Err(not_found(id));
    };
    directory_member(conn, org_id, n)
        .await?
        .filter(|m| m.member.status != MemberStatus::Removed.as_str())
        .ok_or_else(|| not_found(id))
}

/// Whether a request body names an extension at all (as an object, or by
/// attributes qualified with its URN).
fn mentions(body: &Value, urn: &str) -> bool {
    body.as_object().is_some_and(|m| {
        m.keys()
            .any(|k| k.len() >= urn.len() && k[..urn.len()].eq_ignore_ascii_case(urn))
    })
}

impl Service {
    pub async fn scim_list_users(&self, client: &ScimClient, request: ListRequest) -> ServiceResult<Value> {
        let org_id = client.org_id();
        let mut conn = self.store().conn().await?;
        let schema = self.user_schema(&mut conn, org_id).await?;
        let (resource, defs) = (&schema.resource, &schema.fields);
        let projection = Projection::parse(
            resource,
            request.attributes.as_deref(),
            request.excluded_attributes.as_deref(),
        )?;
        let cond = request
            .filter
            .as_ref()
            .map(|f| Cond::compile(resource, f))
            .transpose()?;
        let page = request.page;
        let exact = cond.as_ref().is_none_or(roster_store::user_condition_is_exact);
        // A lookup (a filter's first page) is quick as it is; a long list
        // is paged from memory (`pages.rs`).
        let remembered = request.filter.is_none() || page.start > 1;
        let (total, members) = if exact && remembered {
            let mark = roster_store::org_change_mark(&mut conn, org_id).await?;
            let list = super::pages::ListKey::new(org_id, request.filter.as_ref(), mark);
            let total = match self.scim_pages.total(&list) {
                Some(total) => total,
                None => {
                    let total = roster_store::count_directory_members(&mut conn, org_id, cond.as_ref()).await? as usize;
                    self.scim_pages.remember_total(&list, total);
                    total
                }
            };
            let members = if page.count == 0 || page.offset() >= total {
                Vec::new()
            } else {
                // From where the page before ended, if one did; else by position.
                let (after, offset) = match self.scim_pages.position(&list, page.start) {
                    Some(at) => (Some(at), 0),
                    None => (None, page.offset() as i64),
                };
                directory_members_page(&mut conn, org_id, cond.as_ref(), after, offset, page.count as i64).await?
            };
            if let Some(last) = members.last() {
                self.scim_pages.remember_position(
                    &list,
                    page.start + members.len(),
                    (last.member.created_at, last.member.id),
                );
            }
            (total, members)
        } else if exact {
            // A lookup's first page: when it holds fewer than asked, it
            // holds them all, and nothing needs counting.
            let members = if page.count == 0 {
                Vec::new()
            } else {
                directory_members_page(&mut conn, org_id, cond.as_ref(), None, 0, page.count as i64).await?
            };
            let total = if members.len() < page.count {
                members.len()
            } else {
                roster_store::count_directory_members(&mut conn, org_id, cond.as_ref()).await? as usize
            };
            (total, members)
        } else {
            let cond = cond
                .as_ref()
                .ok_or_else(|| ServiceError::Internal("no condition".into()))?;
            let needs_groups = mentions_groups(cond);
            let (mut after, mut scanned, mut total, mut hits) = (None, 0usize, 0usize, Vec::new());
            loop {
                let batch = directory_members_page(&mut conn, org_id, Some(cond), after, 0, SCAN_BATCH).await?;
                let Some(last) = batch.last() else { break };
                after = Some((last.member.created_at, last.member.id));
                scanned += batch.len();
                if scanned > MAX_SCANNED {
                    return Err(too_many(INDEXED).into());
                }
                let groups = if needs_groups {
                    let ids: Vec<i64> = batch.iter().map(|m| m.member.id).collect();
                    Some(roster_store::directory_groups_of(&mut conn, org_id, &ids).await?)
                } else {
                    None
                };
                for m in batch {
                    let g = groups
                        .as_ref()
                        .map(|g| g.get(&m.member.id).cloned().unwrap_or_default());
                    let doc = user_document(&m, g.as_deref(), defs, client.base());
                    if cond.matches(&doc) {
                        total += 1;
                        if total > page.offset() && hits.len() < page.count {
                            hits.push(m);
                        }
                    }
                }
            }
            (total, hits)
        };
        let resources = self
            .user_documents(&mut conn, client, &members, defs, &projection)
            .await?;
        Ok(roster_scim::list::list_response(total, page, resources))
    }

    /// The members as Users, narrowed to what was asked; their groups are
    /// read only when the answer carries them.
    async fn user_documents(
        &self,
        conn: &mut Conn,
        client: &ScimClient,
        members: &[DirectoryMember],
        defs: &[CustomFieldRecord],
        projection: &Projection,
    ) -> ServiceResult<Vec<Value>> {
        let groups = if projection.wants(&roster_scim::Holder::Core, "groups") && !members.is_empty() {
            let ids: Vec<i64> = members.iter().map(|m| m.member.id).collect();
            Some(roster_store::directory_groups_of(conn, client.org_id(), &ids).await?)
        } else {
            None
        };
        Ok(members
            .iter()
            .map(|m| {
                let g = groups
                    .as_ref()
                    .map(|g| g.get(&m.member.id).cloned().unwrap_or_default());
                let mut doc = user_document(m, g.as_deref(), defs, client.base());
                projection.apply(&mut doc);
                Value::Object(doc)
            })
            .collect())
    }

    /// A user's answer: read now, shaped as asked.
    async fn user_answer(
        &self,
        conn: &mut Conn,
        client: &ScimClient,
        schema: &UserSchema,
        id: i64,
        shape: &Shape,
        notice: Option<String>,
    ) -> ServiceResult<ScimAnswer> {
        let projection = Projection::parse(
            &schema.resource,
            shape.attributes.as_deref(),
            shape.excluded_attributes.as_deref(),
        )?;
        let member = live_member(conn, client.org_id(), &id.to_string()).await?;
        let version = version_of(member.member.updated_at);
        let body = self
            .user_documents(conn, client, std::slice::from_ref(&member), &schema.fields, &projection)
            .await?
            .remove(0);
        Ok(ScimAnswer {
            body,
            version,
            notice,
            spliced: None,
        })
    }

    /// The organization's User schema, read before a write's turn (on
    /// SQLite the one writer is then held for the checks and writes only).
    async fn user_schema_now(&self, org_id: i64) -> ServiceResult<std::sync::Arc<UserSchema>> {
        let mut conn = self.store().conn().await?;
        self.user_schema(&mut conn, org_id).await
    }

    /// A user's answer, read after its change committed.
    async fn user_answer_now(
        &self,
        client: &ScimClient,
        schema: &UserSchema,
        id: i64,
        shape: &Shape,
        notice: Option<String>,
    ) -> ServiceResult<ScimAnswer> {
        let mut conn = self.store().conn().await?;
        self.user_answer(&mut conn, client, schema, id, shape, notice).await
    }

    pub async fn scim_get_user(&self, client: &ScimClient, id: &str, shape: &Shape) -> ServiceResult<ScimAnswer> {
        let mut conn = self.store().conn().await?;
        let member = live_member(&mut conn, client.org_id(), id).await?;
        let schema = self.user_schema(&mut conn, client.org_id()).await?;
        self.user_answer(&mut conn, client, &schema, member.member.id, shape, None)
            .await
    }

    /// POST /Users: a new member (`added`; `deactivated` if the user is
    /// not active). The e-mail or userName of a removed member restores
    /// that membership, as adding by hand does.
    pub async fn scim_create_user(&self, client: &ScimClient, body: Value, shape: &Shape) -> ServiceResult<ScimAnswer> {
        let actor = client.actor();
        // What the organization's schema is, read before the write turn
        // (on SQLite the one writer is held for the checks and writes only).
        let schema = self.user_schema_now(actor.org_id).await?;
        let (resource, defs) = (&schema.resource, &schema.fields);
        let doc = canonicalize(resource, &body)?;
        let state = ingest(&doc, None, defs)?;
        let mut tx = self.store().begin().await?;
        if state.role.is_owner() {
            return Err(ScimError::mutability("the directory never grants the owner role").into());
        }
        self.check_grant(&mut tx, actor, &state.role)
            .await
            .map_err(scim_refusal)?;
        let user_name = state.directory.user_name_key.clone().unwrap_or_default();
        let mut restore = None;
        for other in directory_members_by_user_name(&mut tx, actor.org_id, &user_name).await? {
            if other.member.status == MemberStatus::Removed.as_str() {
                restore = Some(other);
            } else {
                return Err(taken_user_name(&other));
            }
        }
        if let Some(other) =
            roster_store::member_by_email(&mut tx, actor.org_id, &state.fields.email_normalized).await?
        {
            if other.status != MemberStatus::Removed.as_str() {
                return Err(ScimError::uniqueness(format!(
                    "the e-mail {} is already user {}'s",
                    state.fields.email, other.id
                ))
                .into());
            }
            match &restore {
                Some(r) if r.member.id != other.id => {
                    return Err(ScimError::uniqueness(
                        "the userName and the e-mail belong to two different removed users; restore one of them",
                    )
                    .into())
                }
                Some(_) => {}
                None => restore = directory_member(&mut tx, actor.org_id, other.id).await?,
            }
        }
        crate::members::refuse_look_alike(&mut tx, actor.org_id, &state.fields.email_normalized)
            .await
            .map_err(scim_refusal)?;
        let now = now_millis();
        let restored = restore.is_some();
        let id = match restore {
            Some(old) => {
                let stamp = now.max(old.member.updated_at + 1);
                let to = MemberStatus::Removed.apply(StatusTransition::Restore)?;
                roster_store::update_member(&mut tx, actor.org_id, old.member.id, &state.fields, stamp)
                    .await
                    .map_err(store_refusal)?;
                roster_store::set_member_status(
                    &mut tx,
                    actor.org_id,
                    old.member.id,
                    Some(&old.member.status),
                    to.as_str(),
                    &actor.label,
                    stamp,
                )
                .await?;
                record(
                    &mut tx,
                    actor,
                    "member.restore",
                    "member",
                    old.member.id,
                    json!({"email": state.fields.email, "user_name": state.directory.user_name}),
                )
                .await?;
                old.member.id
            }
            None => {
                let status = MemberStatus::Added.as_str();
                let id = roster_store::insert_directory_member(
                    &mut tx,
                    actor.org_id,
                    &state.fields,
                    &state.directory,
                    &state.other_email_keys,
                    status,
                    now,
                )
                .await
                .map_err(store_refusal)?;
                roster_store::record_status(&mut tx, actor.org_id, id, None, status, &actor.label, now).await?;
                record(
                    &mut tx,
                    actor,
                    "member.create",
                    "member",
                    id,
                    json!({"email": state.fields.email, "role": state.fields.role, "user_name": state.directory.user_name}),
                )
                .await?;
                id
            }
        };
        if restored {
            roster_store::set_directory_fields(&mut tx, actor.org_id, id, &state.directory, &state.other_email_keys)
                .await?;
        }
        if !state.active {
            let member = roster_store::member_by_id(&mut tx, actor.org_id, id)
                .await?
                .ok_or_else(|| not_found(&id.to_string()))?;
            self.deactivate_member(&mut tx, actor, &member, now).await?;
        }
        tx.commit().await?;
        self.user_answer_now(client, &schema, id, shape, None).await
    }

    /// PUT /Users/{id}: the user as a whole. An extension the body does
    /// not name at all (Roster's, the enterprise one) stays as it was: a
    /// client that does not know Roster's roles cannot reset them.
    pub async fn scim_replace_user(
        &self,
        client: &ScimClient,
        id: &str,
        body: Value,
        if_match: Option<&str>,
        shape: &Shape,
    ) -> ServiceResult<ScimAnswer> {
        let actor = client.actor();
        let schema = self.user_schema_now(actor.org_id).await?;
        let (resource, defs) = (&schema.resource, &schema.fields);
        let mut doc = canonicalize(resource, &body)?;
        let mut tx = self.store().begin().await?;
        let old = live_member(&mut tx, actor.org_id, id).await?;
        check_if_match(if_match, &version_of(old.member.updated_at))?;
        let current = user_document(&old, None, defs, client.base());
        for urn in [ROSTER_USER, ENTERPRISE_USER] {
            if !mentions(&body, urn) {
                if let Some(kept) = current.get(urn) {
                    doc.insert(urn.to_owned(), kept.clone());
                }
            }
        }
        let state = ingest(&doc, Some(&old), defs)?;
        let notice = self.apply_user_state(&mut tx, client, &old, state).await?;
        tx.commit().await?;
        self.user_answer_now(client, &schema, old.member.id, shape, notice)
            .await
    }

    /// PATCH /Users/{id}: the operations applied to the user as it is, all
    /// or none, then stored as a replacement.
    pub async fn scim_patch_user(
        &self,
        client: &ScimClient,
        id: &str,
        body: Value,
        if_match: Option<&str>,
        shape: &Shape,
    ) -> ServiceResult<ScimAnswer> {
        let actor = client.actor();
        let operations = patch::parse_request(body)?;
        let schema = self.user_schema_now(actor.org_id).await?;
        let (resource, defs) = (&schema.resource, &schema.fields);
        let steps = patch::steps(resource, operations)?;
        let mut tx = self.store().begin().await?;
        let old = live_member(&mut tx, actor.org_id, id).await?;
        check_if_match(if_match, &version_of(old.member.updated_at))?;
        let mut doc = user_document(&old, None, defs, client.base());
        for step in &steps {
            patch::apply(resource, &mut doc, step)?;
        }
        let state = ingest(&doc, Some(&old), defs)?;
        let notice = self.apply_user_state(&mut tx, client, &old, state).await?;
        tx.commit().await?;
        self.user_answer_now(client, &schema, old.member.id, shape, notice)
            .await
    }

    /// DELETE /Users/{id}: the member is removed as removal by hand does
    /// (their content stays in the organization).
    pub async fn scim_delete_user(&self, client: &ScimClient, id: &str, if_match: Option<&str>) -> ServiceResult<()> {
        let actor = client.actor();
        let mut tx = self.store().begin().await?;
        let old = live_member(&mut tx, actor.org_id, id).await?;
        check_if_match(if_match, &version_of(old.member.updated_at))?;
        if Role::parse(&old.member.role)?.is_owner() {
            return Err(ScimError::mutability(
                "this user is the organization's primary admin (owner): the directory never deletes them; transfer ownership first",
            )
            .into());
        }
        self.remove_in_tx(&mut tx, actor, old.member, RemoveMember::default(), "member.remove")
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Stores what a PUT or PATCH says the member now is.
    async fn apply_user_state(
        &self,
        tx: &mut Conn,
        client: &ScimClient,
        old: &DirectoryMember,
        state: UserState,
    ) -> ServiceResult<Option<String>> {
        let actor = client.actor();
        let now = now_millis().max(old.member.updated_at + 1);
        let old_role = Role::parse(&old.member.role)?;
        let status = MemberStatus::parse(&old.member.status)?;
        if old_role.is_owner() {
            if !state.role.is_owner() {
                return Err(ScimError::mutability(
                    "this user is the primary admin (owner): their role changes only by transferring ownership",
                )
                .into());
            }
            if !state.active {
                return Err(ScimError::mutability(
                    "this user is the organization's primary admin (owner): the directory never deactivates them; transfer ownership first",
                )
                .into());
            }
        } else if state.role.is_owner() {
            return Err(ScimError::mutability("the directory never grants the owner role").into());
        }
        if state.role != old_role {
            self.check_grant(tx, actor, &state.role).await.map_err(scim_refusal)?;
        }
        if state.directory.user_name_key != old.directory.user_name_key {
            let key = state.directory.user_name_key.clone().unwrap_or_default();
            for other in directory_members_by_user_name(tx, actor.org_id, &key).await? {
                if other.member.id != old.member.id && other.member.status != MemberStatus::Removed.as_str() {
                    return Err(taken_user_name(&other));
                }
            }
        }
        if state.fields.email_normalized != old.member.email_normalized {
            if let Some(other) = roster_store::member_by_email(tx, actor.org_id, &state.fields.email_normalized).await?
            {
                return Err(ScimError::uniqueness(format!(
                    "the e-mail {} is already user {}'s",
                    state.fields.email, other.id
                ))
                .into());
            }
            crate::members::refuse_look_alike(tx, actor.org_id, &state.fields.email_normalized)
                .await
                .map_err(scim_refusal)?;
        }
        if state.fields.seat_type != old.member.seat_type && status.uses_seat() && state.active {
            if let Some(seat) = &state.fields.seat_type {
                self.ensure_seats(tx, actor.org_id, seat, 1).await?;
            }
        }
        let changes = changes(&old.member.fields(), &state.fields);
        if state.fields != old.member.fields() {
            roster_store::update_member(tx, actor.org_id, old.member.id, &state.fields, now)
                .await
                .map_err(store_refusal)?;
            if state.role != old_role {
                if let Some(account) = old.member.account_id {
                    roster_store::delete_sessions_of_account(tx, account).await?;
                }
            }
        } else {
            roster_store::touch_member(tx, actor.org_id, old.member.id, now).await?;
        }
        roster_store::set_directory_fields(
            tx,
            actor.org_id,
            old.member.id,
            &state.directory,
            &state.other_email_keys,
        )
        .await?;
        if !changes.as_object().is_some_and(Map::is_empty) || state.directory != old.directory {
            record(tx, actor, "member.update", "member", old.member.id, changes).await?;
        }
        let member = roster_store::member_by_id(tx, actor.org_id, old.member.id)
            .await?
            .ok_or_else(|| not_found(&old.member.id.to_string()))?;
        let notice = match (status == MemberStatus::Deactivated, state.active) {
            (false, false) => {
                self.deactivate_member(tx, actor, &member, now).await?;
                None
            }
            (true, true) => self.reactivate_member(tx, actor, &member, now).await?,
            _ => None,
        };
        if state.role != old_role {
            self.apply_group_roles(tx, actor, &[old.member.id], now).await?;
        }
        Ok(notice)
    }
}

fn taken_user_name(other: &DirectoryMember) -> ServiceError {
    ScimError::uniqueness(format!(
        "the userName {} is already user {}'s",
        other
            .directory
            .user_name
            .clone()
            .unwrap_or_else(|| other.member.email.clone()),
        other.member.id
    ))
    .into()
}

/// A refusal of the service's rules in SCIM's terms.
pub(crate) fn scim_refusal(e: ServiceError) -> ServiceError {
    match e {
        ServiceError::Conflict { code, message, .. } if code == "looks_alike" || code == "already_exists" => {
            ScimError::uniqueness(message).into()
        }
        ServiceError::Conflict { message, .. } => ScimError::invalid_value(message).into(),
        ServiceError::Forbidden(message) => ScimError::mutability(message).into(),
        ServiceError::Invalid(i) => ScimError::invalid_value(format!("{}: {}", i.field, i.message)).into(),
        other => other,
    }
}

/// A unique index's refusal in SCIM's terms (a personal id taken).
pub(crate) fn store_refusal(e: roster_store::StoreError) -> ServiceError {
    match e {
        roster_store::StoreError::Conflict { field } => {
            let attribute = match field.as_str() {
                "personal_id" => "employeeNumber (the personal id)",
                "email" => "the e-mail",
                "userName" => "userName",
                other => other,
            };
            ScimError::uniqueness(format!("{attribute} is already another user's")).into()
        }
        other => other.into(),
    }
}

/// What changed, for the audit log.
fn changes(old: &roster_store::MemberFields, new: &roster_store::MemberFields) -> Value {
    let mut out = Map::new();
    for (name, a, b) in [
        ("first_name", &old.first_name, &new.first_name),
        ("last_name", &old.last_name, &new.last_name),
        ("email", &old.email, &new.email),
        ("personal_id", &old.personal_id, &new.personal_id),
        ("phone", &old.phone, &new.phone),
        ("department", &old.department, &new.department),
        ("role", &old.role, &new.role),
    ] {
        if a != b {
            out.insert(name.into(), json!({"from": a, "to": b}));
        }
    }
    if old.seat_type != new.seat_type {
        out.insert("seat_type".into(), json!({"from": old.seat_type, "to": new.seat_type}));
    }
    if old.custom_fields != new.custom_fields {
        out.insert(
            "custom_fields".into(),
            json!({"from": old.custom_fields, "to": new.custom_fields}),
        );
    }
    Value::Object(out)
}

/// Whether a condition looks at a user's groups (read only then).
fn mentions_groups(cond: &Cond) -> bool {
    match cond {
        Cond::Cmp(loc, _, _) | Cond::Present(loc) | Cond::Has(loc, _) if loc.is_core("groups", loc.sub.as_deref()) => {
            true
        }
        Cond::And(list) | Cond::Or(list) => list.iter().any(mentions_groups),
        Cond::Not(inner) | Cond::Has(_, inner) => mentions_groups(inner),
        _ => false,
    }
}
