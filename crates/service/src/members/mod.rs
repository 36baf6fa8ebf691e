pub(crate) mod bulk;
pub(crate) mod fields;
pub(crate) mod input;
pub(crate) mod reassign;
pub(crate) mod roles;
pub(crate) mod search_index;
pub(crate) mod sort_keys;

use roster_domain::{now_millis, MemberStatus, Role, SeatType, StatusTransition};
use roster_store::{
    content_items_of, custom_fields, insert_member, link_account, list_members, member_by_email, member_by_id,
    set_member_status, status_history, teams_of_member, transfer_content, Conn, MemberQuery, MemberRecord, MemberSort,
};
use serde::Deserialize;
use serde_json::json;

use crate::members::input::parse_member;
use crate::members::roles::Reach;
use crate::orgs::audit::record;
use crate::{
    Actor, Can, ManageMembers, ManageTeams, MemberDetail, MemberInput, MemberPage, MemberView, NewMember, ReadMembers,
    Service, ServiceError, ServiceResult, TeamMemberInput, Vocabulary,
};

/// Filters, sort and position of a member list, as a front door received them.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberListQuery {
    /// Words to find in names, e-mail, personal id and comment.
    pub q: Option<String>,
    pub status: Option<MemberStatus>,
    pub role: Option<Role>,
    pub seat_type: Option<SeatType>,
    /// Members of this team (by id).
    pub team: Option<i64>,
    /// Members whose comment is exactly this.
    pub comment: Option<String>,
    pub external: Option<bool>,
    /// `name` (default: surname, then given name, in the order a reader of
    /// the organization's language expects), `email`, `created` or `id` (the
    /// order members were added); a leading `-` sorts descending.
    #[schemars(regex(pattern = "^(-?(name|email|created|id))?$"))]
    pub sort: Option<String>,
    /// Where the page starts: a `next_cursor` this list returned.
    #[schemars(regex(pattern = crate::cursor::CURSOR_PATTERN), length(max = 4096))]
    pub cursor: Option<String>,
    /// At most this many (default 50; more than 500 are 500).
    pub limit: Option<i64>,
}

/// How to remove a member: who receives their content items, if anyone.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoveMember {
    pub transfer_to: Option<i64>,
}

impl Service {
    /// Loads a member the actor may see: in their organization and, for a
    /// division admin, in their divisions. Anything else is "not found".
    pub(crate) async fn visible_member(&self, conn: &mut Conn, actor: &Actor, id: i64) -> ServiceResult<MemberRecord> {
        let member = member_by_id(conn, actor.org_id, id)
            .await?
            .ok_or(ServiceError::NotFound("member"))?;
        if let Some(admin) = actor.division_scope() {
            if !roster_store::in_division_scope(conn, actor.org_id, admin, id).await? {
                return Err(ServiceError::NotFound("member"));
            }
        }
        Ok(member)
    }

    #[tracing::instrument(skip_all, fields(org = can.actor().org_id, request_id = %can.actor().context.request_id))]
    pub async fn list_members(&self, can: Can<'_, ReadMembers>, query: MemberListQuery) -> ServiceResult<MemberPage> {
        let actor = can.actor();
        let (sort, descending) = match query.sort.as_deref().filter(|s| !s.is_empty()).unwrap_or("name") {
            s if s.starts_with('-') => (&s[1..], true),
            s => (s, false),
        };
        let sort = match sort {
            "name" => MemberSort::Name,
            "email" => MemberSort::Email,
            "created" => MemberSort::Created,
            "id" => MemberSort::Id,
            _ => {
                return Err(roster_domain::InvalidInput::new(
                    "sort",
                    "invalid_sort",
                    "must be name, email, created or id, optionally with a leading -",
                )
                .into())
            }
        };
        let limit = query.limit.unwrap_or(50).clamp(1, 500);
        let store_query = MemberQuery {
            org_id: actor.org_id,
            q: query.q.clone(),
            status: query.status.map(|s| s.as_str().to_owned()),
            role: query.role.as_ref().map(ToString::to_string),
            seat_type: query.seat_type.map(|s| s.as_str().to_owned()),
            team_id: query.team,
            comment: query.comment.clone(),
            external: query.external,
            sort,
            descending,
            after: crate::cursor::given(query.cursor.as_deref())
                .map(crate::cursor::decode)
                .transpose()?,
            // One more than asked tells whether another page follows, without counting.
            limit: limit + 1,
            division_admin: actor.division_scope(),
        };
        let mut conn = self.store().conn().await?;
        let mut rows = list_members(&mut conn, &store_query).await.map_err(|e| match e {
            roster_store::StoreError::Corrupt(_) => ServiceError::UnknownCursor,
            other => ServiceError::from(other),
        })?;
        let next_cursor = if rows.len() as i64 > limit {
            rows.truncate(limit as usize);
            rows.last().map(|m| crate::cursor::encode(&m.cursor(sort)))
        } else {
            None
        };
        let words = Vocabulary::of(&mut conn, actor.org_id).await?;
        let mut items = rows
            .into_iter()
            .map(|m| MemberView::new(m, &words, actor))
            .collect::<ServiceResult<Vec<_>>>()?;
        add_invitation_expiry(&mut conn, actor.org_id, &mut items).await?;
        add_directory_links(&mut conn, actor.org_id, &mut items).await?;
        Ok(MemberPage { items, next_cursor })
    }

    pub async fn member_detail(&self, can: Can<'_, ReadMembers>, id: i64) -> ServiceResult<MemberDetail> {
        let actor = can.actor();
        let mut conn = self.store().conn().await?;
        let member = self.visible_member(&mut conn, actor, id).await?;
        detail_of(&mut conn, actor, member).await
    }

    /// Adds a member with the status `added` (nobody is invited here). Adding
    /// the e-mail of a removed member restores that membership, with its
    /// content items.
    #[tracing::instrument(skip_all, fields(org = can.actor().org_id, request_id = %can.actor().context.request_id))]
    pub async fn create_member(&self, can: Can<'_, ManageMembers>, new: NewMember) -> ServiceResult<MemberView> {
        let actor = can.actor();
        let NewMember { member: input, team_id } = new;
        // Placing the new member in a team is managing that team.
        let teams = match team_id {
            Some(team) => Some((team, self.authorize::<ManageTeams>(actor).await?)),
            None => None,
        };
        let mut tx = self.store().begin().await?;
        refuse_if_managed_by_idp(&mut tx, actor.org_id).await?;
        let defs = custom_fields(&mut tx, actor.org_id).await?;
        let (fields, role) = parse_member(None, &input, &defs)?;
        self.check_grant(&mut tx, actor, &role).await?;
        let now = now_millis();
        refuse_look_alike(&mut tx, actor.org_id, &fields.email_normalized).await?;
        let existing = member_by_email(&mut tx, actor.org_id, &fields.email_normalized).await?;
        let id = match existing {
            Some(old) if old.status == MemberStatus::Removed.as_str() => {
                let to = MemberStatus::Removed.apply(StatusTransition::Restore)?;
                roster_store::update_member(&mut tx, actor.org_id, old.id, &fields, now).await?;
                set_member_status(
                    &mut tx,
                    actor.org_id,
                    old.id,
                    Some(&old.status),
                    to.as_str(),
                    &actor.label,
                    now,
                )
                .await?;
                record(
                    &mut tx,
                    actor,
                    "member.restore",
                    "member",
                    old.id,
                    json!({"email": fields.email}),
                )
                .await?;
                old.id
            }
            Some(_) => {
                return Err(ServiceError::conflict(
                    "already_exists",
                    Some("email"),
                    "a member with this e-mail already exists",
                ))
            }
            None => {
                let status = MemberStatus::Added.as_str();
                let id = insert_member(&mut tx, actor.org_id, &fields, status, now).await?;
                roster_store::record_status(&mut tx, actor.org_id, id, None, status, &actor.label, now).await?;
                record(
                    &mut tx,
                    actor,
                    "member.create",
                    "member",
                    id,
                    json!({"email": fields.email, "role": fields.role}),
                )
                .await?;
                id
            }
        };
        if let Some((team_id, can_teams)) = teams {
            let placing = TeamMemberInput {
                member_id: id,
                team_role: None,
                core_member: None,
            };
            self.place_in_team(&mut tx, can_teams, team_id, &placing)
                .await
                .map_err(crate::teams::unknown_team("team_id"))?;
        }
        let member = view_of(&mut tx, actor, id).await?;
        tx.commit().await?;
        Ok(member)
    }

    #[tracing::instrument(skip_all, fields(org = can.actor().org_id, request_id = %can.actor().context.request_id))]
    pub async fn update_member(
        &self,
        can: Can<'_, ManageMembers>,
        id: i64,
        input: MemberInput,
    ) -> ServiceResult<MemberView> {
        let actor = can.actor();
        let mut tx = self.store().begin().await?;
        let old = self.visible_member(&mut tx, actor, id).await?;
        if old.status == MemberStatus::Removed.as_str() {
            return Err(ServiceError::conflict(
                "member_removed",
                None,
                "a removed member cannot be changed; add them again to restore them",
            ));
        }
        let defs = custom_fields(&mut tx, actor.org_id).await?;
        let (fields, role) = parse_member(Some(old.fields()), &input, &defs)?;
        let old_fields = old.fields();
        for (name, changed) in [
            ("first_name", fields.first_name != old_fields.first_name),
            ("last_name", fields.last_name != old_fields.last_name),
            ("email", fields.email != old_fields.email),
            ("personal_id", fields.personal_id != old_fields.personal_id),
            ("phone", fields.phone != old_fields.phone),
            ("department", fields.department != old_fields.department),
        ] {
            if changed {
                refuse_directory_owned(&mut tx, actor, id, Some(name)).await?;
            }
        }
        let old_role = Role::parse(&old.role)?;
        let reach = if role != old_role || fields.seat_type != old.seat_type {
            Reach::RoleOrSeat
        } else {
            Reach::Profile
        };
        if fields != old.fields() {
            self.check_rank(&mut tx, actor, &old, reach).await?;
        }
        if role != old_role {
            self.check_grant(&mut tx, actor, &role).await?;
        }
        let status = MemberStatus::parse(&old.status)?;
        if fields.seat_type != old.seat_type && status.uses_seat() {
            if let Some(seat) = &fields.seat_type {
                self.ensure_seats(&mut tx, actor.org_id, seat, 1).await?;
            }
        }
        if fields.email_normalized != old.email_normalized {
            refuse_look_alike(&mut tx, actor.org_id, &fields.email_normalized).await?;
        }
        let now = now_millis();
        roster_store::update_member(&mut tx, actor.org_id, id, &fields, now).await?;
        if role != old_role {
            // Sessions carry no role, but a changed role must not ride on a
            // session opened before the change: the member signs in again.
            if let Some(account) = old.account_id {
                roster_store::delete_sessions_of_account(&mut tx, account).await?;
            }
        }
        record(&mut tx, actor, "member.update", "member", id, changes(&old, &fields)).await?;
        let member = view_of(&mut tx, actor, id).await?;
        tx.commit().await?;
        Ok(member)
    }

    /// Removes a member. Their content items go to `transfer_to` if given,
    /// otherwise they stay with the removed membership (and come back when
    /// the same e-mail is added again). Nothing leaves the organization.
    #[tracing::instrument(skip_all, fields(org = can.actor().org_id, request_id = %can.actor().context.request_id))]
    pub async fn remove_member(
        &self,
        can: Can<'_, ManageMembers>,
        id: i64,
        how: RemoveMember,
    ) -> ServiceResult<MemberView> {
        let actor = can.actor();
        let mut tx = self.store().begin().await?;
        let member = self.visible_member(&mut tx, actor, id).await?;
        self.remove_in_tx(&mut tx, actor, member, how, "member.remove").await?;
        let member = view_of(&mut tx, actor, id).await?;
        tx.commit().await?;
        Ok(member)
    }

    /// The signed-in member leaves the organization.
    pub async fn leave(&self, actor: &Actor, how: RemoveMember) -> ServiceResult<()> {
        let member_id = actor
            .member_id
            .ok_or_else(|| ServiceError::forbidden("only a member can leave"))?;
        let mut tx = self.store().begin().await?;
        let member = member_by_id(&mut tx, actor.org_id, member_id)
            .await?
            .ok_or(ServiceError::NotFound("member"))?;
        self.remove_in_tx(&mut tx, actor, member, how, "member.leave").await?;
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn remove_in_tx(
        &self,
        conn: &mut Conn,
        actor: &Actor,
        member: MemberRecord,
        how: RemoveMember,
        action: &str,
    ) -> ServiceResult<()> {
        if Role::parse(&member.role)?.is_owner() {
            return Err(ServiceError::conflict(
                "owner_cannot_leave",
                None,
                "the owner cannot be removed; transfer ownership first",
            ));
        }
        if action != "member.leave" {
            self.check_rank(conn, actor, &member, Reach::Removal).await?;
        }
        refuse_directory_owned(conn, actor, member.id, None).await?;
        let to = MemberStatus::parse(&member.status)?.apply(StatusTransition::Remove)?;
        let mut moved = 0;
        if let Some(receiver) = how.transfer_to {
            let receiver = self.visible_member(conn, actor, receiver).await.map_err(|e| match e {
                // Only "not found" is an unknown member; a database error stays one.
                ServiceError::NotFound(_) => ServiceError::conflict(
                    "unknown_member",
                    Some("transfer_to"),
                    "is not a member of this organization",
                ),
                other => other,
            })?;
            if receiver.id == member.id || receiver.status == MemberStatus::Removed.as_str() {
                return Err(ServiceError::conflict(
                    "invalid_receiver",
                    Some("transfer_to"),
                    "must be another member who is not removed",
                ));
            }
            moved = transfer_content(conn, actor.org_id, member.id, receiver.id).await?;
        }
        let now = now_millis();
        set_member_status(
            conn,
            actor.org_id,
            member.id,
            Some(&member.status),
            to.as_str(),
            &actor.label,
            now,
        )
        .await?;
        roster_store::remove_member_from_all_teams(conn, actor.org_id, member.id).await?;
        // Removed by an admin: the person's sessions end at once. Leaving by
        // choice keeps them signed in to their other organizations (every
        // request checks the membership, so this one is closed either way).
        if action != "member.leave" {
            if let Some(account) = member.account_id {
                roster_store::delete_sessions_of_account(conn, account).await?;
            }
        }
        record(
            conn,
            actor,
            action,
            "member",
            member.id,
            json!({"transfer_to": how.transfer_to, "content_items_moved": moved}),
        )
        .await?;
        Ok(())
    }

    /// Hands the owner role to another member; the old owner becomes admin.
    pub async fn transfer_ownership(&self, actor: &Actor, to_member: i64) -> ServiceResult<()> {
        if !actor.is_owner() {
            return Err(ServiceError::forbidden("only the owner can transfer ownership"));
        }
        let mut tx = self.store().begin().await?;
        let target = member_by_id(&mut tx, actor.org_id, to_member)
            .await?
            .ok_or(ServiceError::NotFound("member"))?;
        if target.status == MemberStatus::Removed.as_str() {
            return Err(ServiceError::conflict(
                "member_removed",
                Some("member_id"),
                "ownership cannot go to a removed member",
            ));
        }
        let now = now_millis();
        let owners = roster_store::list_members(
            &mut tx,
            &MemberQuery {
                org_id: actor.org_id,
                role: Some("owner".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .await?;
        for owner in owners {
            let mut f = owner.fields();
            f.role = "admin".into();
            roster_store::update_member(&mut tx, actor.org_id, owner.id, &f, now).await?;
        }
        let mut f = target.fields();
        f.role = Role::OWNER.to_string();
        roster_store::update_member(&mut tx, actor.org_id, target.id, &f, now).await?;
        record(&mut tx, actor, "org.transfer_ownership", "member", target.id, json!({})).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Links a membership to an account (done by accepting an invitation; the
    /// CLI and demo use it to create signed-in members directly).
    pub(crate) async fn connect_account(
        &self,
        conn: &mut Conn,
        org_id: i64,
        member_id: i64,
        account_id: i64,
    ) -> ServiceResult<()> {
        link_account(conn, org_id, member_id, account_id).await?;
        Ok(())
    }
}

/// What an update changed, for the audit log: old and new value per field.
fn changes(old: &MemberRecord, new: &roster_store::MemberFields) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    let pairs = [
        ("first_name", &old.first_name, &new.first_name),
        ("last_name", &old.last_name, &new.last_name),
        ("email", &old.email, &new.email),
        ("personal_id", &old.personal_id, &new.personal_id),
        ("comment", &old.comment, &new.comment),
        ("role", &old.role, &new.role),
    ];
    for (name, a, b) in pairs {
        if a != b {
            out.insert(name.into(), json!({"from": a, "to": b}));
        }
    }
    if old.seat_type != new.seat_type {
        out.insert("seat_type".into(), json!({"from": old.seat_type, "to": new.seat_type}));
    }
    serde_json::Value::Object(out)
}

impl Service {
    /// Moves a member along one status transition (checked by the domain's
    /// state machine) and records it in the status history and audit log.
    pub(crate) async fn transition_member(
        &self,
        conn: &mut Conn,
        actor: &Actor,
        member_id: i64,
        transition: StatusTransition,
    ) -> ServiceResult<MemberStatus> {
        let member = member_by_id(conn, actor.org_id, member_id)
            .await?
            .ok_or(ServiceError::NotFound("member"))?;
        let from = MemberStatus::parse(&member.status)?;
        let to = from.apply(transition)?;
        if to.uses_seat() && !from.uses_seat() {
            if let Some(seat) = &member.seat_type {
                self.ensure_seats(conn, actor.org_id, seat, 1).await?;
            }
        }
        set_member_status(
            conn,
            actor.org_id,
            member_id,
            Some(from.as_str()),
            to.as_str(),
            &actor.label,
            now_millis(),
        )
        .await?;
        record(
            conn,
            actor,
            "member.status",
            "member",
            member_id,
            json!({"from": from.as_str(), "to": to.as_str()}),
        )
        .await?;
        Ok(to)
    }
}

impl Service {
    /// A member's own profile: everyone may see their own.
    pub async fn own_profile(&self, actor: &Actor) -> ServiceResult<MemberDetail> {
        let id = actor.member_id.ok_or(ServiceError::NotFound("member"))?;
        let mut conn = self.store().conn().await?;
        let member = member_by_id(&mut conn, actor.org_id, id)
            .await?
            .ok_or(ServiceError::NotFound("member"))?;
        detail_of(&mut conn, actor, member).await
    }

    /// The member of this organization with an e-mail (the console names
    /// people by e-mail where a list of a million would not fit).
    pub async fn member_by_email(&self, can: Can<'_, ReadMembers>, email: &str) -> ServiceResult<MemberView> {
        let actor = can.actor();
        let email = roster_domain::Email::parse(email)?;
        let mut conn = self.store().conn().await?;
        let member = member_by_email(&mut conn, actor.org_id, email.normalized())
            .await?
            .ok_or(ServiceError::NotFound("member"))?;
        let member = self.visible_member(&mut conn, actor, member.id).await?;
        let words = Vocabulary::of(&mut conn, actor.org_id).await?;
        MemberView::new(member, &words, actor)
    }
}

/// A member with their account's name, teams, status history and content.
async fn detail_of(conn: &mut Conn, actor: &Actor, member: MemberRecord) -> ServiceResult<MemberDetail> {
    let (org_id, id) = (actor.org_id, member.id);
    let account_name = match member.account_id {
        Some(account) => roster_store::account_name(conn, account).await?,
        None => None,
    };
    let words = Vocabulary::of(conn, org_id).await?;
    let mut view = MemberView::new(member, &words, actor)?;
    add_invitation_expiry(conn, org_id, std::slice::from_mut(&mut view)).await?;
    add_directory_links(conn, org_id, std::slice::from_mut(&mut view)).await?;
    let mut detail = MemberDetail::new(
        view,
        account_name,
        teams_of_member(conn, org_id, id).await?,
        status_history(conn, org_id, id).await?,
        content_items_of(conn, org_id, id).await?,
    )?;
    let mut messages = roster_store::messages_of_member(conn, org_id, id).await?;
    for invitation in roster_store::invitations_of_member(conn, org_id, id).await? {
        let (own, rest) = messages
            .into_iter()
            .partition(|m| m.invitation_id == Some(invitation.id));
        messages = rest;
        let own: Vec<roster_store::MessageRecord> = own;
        detail.invitations.push(crate::InvitationView::new(
            invitation,
            own.into_iter().map(crate::MessageView::from).collect(),
        )?);
    }
    Ok(detail)
}

/// Fills in when each invited member's pending invitation expires.
pub(crate) async fn add_invitation_expiry(
    conn: &mut Conn,
    org_id: i64,
    members: &mut [MemberView],
) -> ServiceResult<()> {
    let invited: Vec<i64> = members
        .iter()
        .filter(|m| matches!(m.status, MemberStatus::Invited | MemberStatus::ReassignPending))
        .map(|m| m.id)
        .collect();
    if invited.is_empty() {
        return Ok(());
    }
    let pending = roster_store::pending_invitations_of(conn, org_id, &invited).await?;
    for member in members.iter_mut() {
        if let Some(i) = pending.iter().find(|i| i.member_id == member.id) {
            member.invitation_expires_at = Some(roster_domain::Timestamp::from_millis(i.expires_at));
        }
    }
    Ok(())
}

/// The member `id` as the actor sees them.
pub(crate) async fn view_of(conn: &mut Conn, actor: &Actor, id: i64) -> ServiceResult<MemberView> {
    let member = member_by_id(conn, actor.org_id, id)
        .await?
        .ok_or(ServiceError::NotFound("member"))?;
    let words = Vocabulary::of(conn, actor.org_id).await?;
    let mut view = MemberView::new(member, &words, actor)?;
    add_invitation_expiry(conn, actor.org_id, std::slice::from_mut(&mut view)).await?;
    add_directory_links(conn, actor.org_id, std::slice::from_mut(&mut view)).await?;
    Ok(view)
}

/// Fills in how the identity provider knows the members it provisioned,
/// and what of them it owns: while the organization is managed by it,
/// nobody removes such a member by hand.
pub(crate) async fn add_directory_links(conn: &mut Conn, org_id: i64, members: &mut [MemberView]) -> ServiceResult<()> {
    if members.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = members.iter().map(|m| m.id).collect();
    let links = roster_store::directory_links(conn, org_id, &ids).await?;
    if links.is_empty() {
        return Ok(());
    }
    let managed = roster_store::org_by_id(conn, org_id)
        .await?
        .is_some_and(|o| o.managed_by_identity_provider);
    for (id, user_name, external_id) in links {
        if let Some(member) = members.iter_mut().find(|m| m.id == id) {
            member.directory = Some(crate::DirectoryLink {
                user_name: user_name.unwrap_or_else(|| member.email.clone()),
                external_id,
                managed_fields: if managed {
                    crate::DIRECTORY_FIELDS.iter().map(|f| (*f).to_owned()).collect()
                } else {
                    Vec::new()
                },
            });
            if managed {
                member.may.remove = false;
            }
        }
    }
    Ok(())
}

/// 409 when the identity provider owns a member (the organization is
/// managed by it and the member came from it) and a change by hand would
/// touch what it owns: the fields of [`crate::DIRECTORY_FIELDS`], or the
/// membership itself (`field` None).
pub(crate) async fn refuse_directory_owned(
    conn: &mut Conn,
    actor: &Actor,
    member_id: i64,
    field: Option<&str>,
) -> ServiceResult<()> {
    if actor.directory || !roster_store::is_directory_member(conn, actor.org_id, member_id).await? {
        return Ok(());
    }
    let managed = roster_store::org_by_id(conn, actor.org_id)
        .await?
        .is_some_and(|o| o.managed_by_identity_provider);
    if !managed {
        return Ok(());
    }
    Err(match field {
        Some(field) => ServiceError::conflict(
            "managed_by_identity_provider",
            Some(field),
            "comes from the identity provider: change it there",
        ),
        None => ServiceError::conflict(
            "managed_by_identity_provider",
            None,
            "this member comes from the identity provider: remove or deactivate them there",
        ),
    })
}

/// 409 when the organization's members come from its identity provider:
/// nobody adds one by hand (nor by import, which refuses such rows).
async fn refuse_if_managed_by_idp(conn: &mut Conn, org_id: i64) -> ServiceResult<()> {
    let org = roster_store::org_by_id(conn, org_id)
        .await?
        .ok_or(ServiceError::NotFound("organization"))?;
    if org.managed_by_identity_provider {
        return Err(ServiceError::conflict(
            "managed_by_identity_provider",
            None,
            "members of this organization come from its identity provider: add them there",
        ));
    }
    Ok(())
}

/// 409 when another member's e-mail looks the same as this one (letters of
/// another script that render alike: HOSTILE 8).
pub(crate) async fn refuse_look_alike(conn: &mut Conn, org_id: i64, email_normalized: &str) -> ServiceResult<()> {
    match roster_store::bulk::look_alike_member(conn, org_id, email_normalized).await? {
        None => Ok(()),
        Some((_, other)) => Err(ServiceError::conflict(
            "looks_alike",
            Some("email"),
            format!("looks the same as the e-mail of another member ({other}) but is a different address"),
        )),
    }
}
