use roster_domain::{now_millis, MemberStatus, SingleLine, TeamRole};
use roster_store::{
    add_division_admin, child_team_count, delete_team, division_admins, insert_team, list_teams, remove_division_admin,
    remove_team_member, team_by_id, team_in_division_scope, team_member, team_member_count, team_members, update_team,
    upsert_team_member, Conn, TeamFields, TeamMemberCursor, TeamRecord,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::orgs::audit::record;
use crate::{Actor, Can, ManageRoles, ManageTeams, ReadTeams, Service, ServiceError, ServiceResult};
use crate::{TeamMemberView, TeamView};

/// A new team, or changes to one. `parent_id: null` in a change moves the
/// team to the top level; leaving it out keeps the parent.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamInput {
    #[schemars(regex(pattern = roster_domain::schema::REQUIRED_LINE), length(max = 100))]
    pub name: Option<String>,
    #[schemars(regex(pattern = roster_domain::schema::SINGLE_LINE), length(max = 500))]
    pub purpose: Option<String>,
    #[serde(default, deserialize_with = "double_option::deserialize")]
    #[schemars(with = "Option<i64>")]
    pub parent_id: Option<Option<i64>>,
    #[schemars(regex(pattern = roster_domain::schema::SINGLE_LINE), length(max = 100))]
    pub external_key: Option<String>,
    pub is_division: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamMemberInput {
    pub member_id: i64,
    /// `member` (default) or `lead`.
    pub team_role: Option<TeamRole>,
    pub core_member: Option<bool>,
}

/// A team named in a request that does not exist (for this actor): the
/// organization's state refuses the request, under the field that named it.
pub(crate) fn unknown_team(field: &'static str) -> impl FnOnce(ServiceError) -> ServiceError {
    move |e| match e {
        ServiceError::NotFound(_) => {
            ServiceError::conflict("unknown_team", Some(field), "no team of this organization has this id")
        }
        other => other,
    }
}

mod double_option {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
        Option::<i64>::deserialize(d).map(Some)
    }
}

/// Which page of a team's members to show: a team may have a million.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamMembersPage {
    /// Where the page starts: a `next_cursor` this team returned.
    #[schemars(regex(pattern = crate::cursor::CURSOR_PATTERN), length(max = 4096))]
    pub cursor: Option<String>,
    /// At most this many (default 100, at most 500).
    #[schemars(range(min = 1, max = 500))]
    pub limit: Option<i64>,
}

impl TeamMembersPage {
    pub const DEFAULT_LIMIT: i64 = 100;
    pub const MAX_LIMIT: i64 = 500;
}

/// A team, a page of its members, and its division admins.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct TeamDetail {
    #[serde(flatten)]
    pub team: TeamView,
    /// The page of members asked for, by name.
    pub members: Vec<TeamMemberView>,
    /// Where the next page of members starts, if one follows.
    pub next_cursor: Option<String>,
    /// Members in all.
    pub member_count: i64,
    pub division_admins: Vec<i64>,
}

impl Service {
    /// 409 for a change by hand to what the identity provider owns of a
    /// directory group: its name, its existence, its members.
    fn refuse_directory_group(team: &TeamRecord, what: &str) -> ServiceResult<()> {
        if team.directory {
            return Err(ServiceError::conflict(
                "directory_group",
                None,
                format!("{:?} is a group of the identity provider: {what} there", team.name),
            ));
        }
        Ok(())
    }

    pub(crate) async fn visible_team(&self, conn: &mut Conn, actor: &Actor, id: i64) -> ServiceResult<TeamRecord> {
        let team = team_by_id(conn, actor.org_id, id)
            .await?
            .ok_or(ServiceError::NotFound("team"))?;
        if let Some(admin) = actor.division_scope() {
            if !team_in_division_scope(conn, actor.org_id, admin, id).await? {
                return Err(ServiceError::NotFound("team"));
            }
        }
        Ok(team)
    }

    pub async fn teams(&self, can: Can<'_, ReadTeams>) -> ServiceResult<Vec<TeamView>> {
        let actor = can.actor();
        let mut conn = self.store().conn().await?;
        let mut teams = list_teams(&mut conn, actor.org_id).await?;
        if let Some(admin) = actor.division_scope() {
            let mut visible = Vec::new();
            for team in teams {
                if team_in_division_scope(&mut conn, actor.org_id, admin, team.id).await? {
                    visible.push(team);
                }
            }
            teams = visible;
        }
        Ok(teams.into_iter().map(TeamView::from).collect())
    }

    /// A team with a page of its members (by name) and its division admins.
    pub async fn team(&self, can: Can<'_, ReadTeams>, id: i64, page: TeamMembersPage) -> ServiceResult<TeamDetail> {
        let actor = can.actor();
        let limit = page.limit.unwrap_or(TeamMembersPage::DEFAULT_LIMIT);
        if !(1..=TeamMembersPage::MAX_LIMIT).contains(&limit) {
            return Err(roster_domain::InvalidInput::new(
                "limit",
                "out_of_range",
                format!("must be between 1 and {}", TeamMembersPage::MAX_LIMIT),
            )
            .into());
        }
        let after: Option<TeamMemberCursor> = crate::cursor::given(page.cursor.as_deref())
            .map(crate::cursor::decode)
            .transpose()?;
        let mut conn = self.store().conn().await?;
        let team = self.visible_team(&mut conn, actor, id).await?;
        // One more than asked tells whether another page follows.
        let mut members = team_members(&mut conn, actor.org_id, id, after.as_ref(), limit + 1).await?;
        let next_cursor = if members.len() as i64 > limit {
            members.truncate(limit as usize);
            members.last().map(|m| crate::cursor::encode(&m.cursor()))
        } else {
            None
        };
        Ok(TeamDetail {
            member_count: team_member_count(&mut conn, actor.org_id, id).await?,
            division_admins: division_admins(&mut conn, actor.org_id, id).await?,
            team: team.into(),
            members: members
                .into_iter()
                .map(TeamMemberView::new)
                .collect::<ServiceResult<_>>()?,
            next_cursor,
        })
    }

    /// Checks a team's place in the tree: the parent exists, no cycle, and a
    /// division sits at the top level.
    async fn check_placement(
        &self,
        conn: &mut Conn,
        actor: &Actor,
        id: Option<i64>,
        f: &TeamFields,
    ) -> ServiceResult<()> {
        let Some(parent) = f.parent_id else {
            if actor.division_scope().is_some() {
                return Err(ServiceError::forbidden(
                    "a division admin creates teams inside their divisions",
                ));
            }
            return Ok(());
        };
        if f.is_division {
            return Err(ServiceError::conflict(
                "division_not_top_level",
                Some("is_division"),
                "only a top-level team can be a division",
            ));
        }
        let mut cursor = Some(parent);
        let mut depth = 0;
        while let Some(current) = cursor {
            if Some(current) == id {
                return Err(ServiceError::conflict(
                    "cycle",
                    Some("parent_id"),
                    "a team cannot be moved below itself",
                ));
            }
            let team = self
                .visible_team(conn, actor, current)
                .await
                .map_err(unknown_team("parent_id"))?;
            cursor = team.parent_id;
            depth += 1;
            if depth > 64 {
                return Err(ServiceError::conflict(
                    "too_deep",
                    Some("parent_id"),
                    "teams nest at most 64 levels",
                ));
            }
        }
        Ok(())
    }

    fn team_fields(base: Option<&TeamRecord>, input: &TeamInput) -> ServiceResult<TeamFields> {
        let mut f = match base {
            Some(t) => TeamFields {
                parent_id: t.parent_id,
                name: t.name.clone(),
                purpose: t.purpose.clone(),
                external_key: t.external_key.clone(),
                is_division: t.is_division,
            },
            None => TeamFields {
                parent_id: None,
                name: String::new(),
                purpose: String::new(),
                external_key: None,
                is_division: false,
            },
        };
        if let Some(name) = &input.name {
            f.name = SingleLine::parse_required("name", name, 100)?.into_string();
        } else if base.is_none() {
            return Err(roster_domain::InvalidInput::new("name", "required", "is required").into());
        }
        if let Some(purpose) = &input.purpose {
            f.purpose = SingleLine::parse("purpose", purpose, 500)?.into_string();
        }
        if let Some(parent) = input.parent_id {
            f.parent_id = parent;
        }
        if let Some(key) = &input.external_key {
            let key = SingleLine::parse("external_key", key, 100)?.into_string();
            f.external_key = (!key.is_empty()).then_some(key);
        }
        if let Some(d) = input.is_division {
            f.is_division = d;
        }
        Ok(f)
    }

    pub async fn create_team(&self, can: Can<'_, ManageTeams>, input: TeamInput) -> ServiceResult<TeamView> {
        let actor = can.actor();
        let f = Self::team_fields(None, &input)?;
        let mut tx = self.store().begin().await?;
        self.check_placement(&mut tx, actor, None, &f).await?;
        let id = insert_team(&mut tx, actor.org_id, &f, now_millis()).await?;
        record(
            &mut tx,
            actor,
            "team.create",
            "team",
            id,
            json!({"name": f.name, "parent_id": f.parent_id}),
        )
        .await?;
        let team = team_by_id(&mut tx, actor.org_id, id)
            .await?
            .ok_or(ServiceError::NotFound("team"))?;
        tx.commit().await?;
        Ok(team.into())
    }

    /// Renames, moves or otherwise changes a team.
    pub async fn update_team(&self, can: Can<'_, ManageTeams>, id: i64, input: TeamInput) -> ServiceResult<TeamView> {
        let actor = can.actor();
        let mut tx = self.store().begin().await?;
        let old = self.visible_team(&mut tx, actor, id).await?;
        let f = Self::team_fields(Some(&old), &input)?;
        if f.name != old.name || f.external_key != old.external_key {
            Self::refuse_directory_group(&old, "rename it")?;
        }
        if f.parent_id != old.parent_id || f.is_division != old.is_division {
            self.check_placement(&mut tx, actor, Some(id), &f).await?;
        }
        update_team(&mut tx, actor.org_id, id, &f, now_millis()).await?;
        record(
            &mut tx,
            actor,
            "team.update",
            "team",
            id,
            json!({"name": f.name, "parent_id": f.parent_id, "is_division": f.is_division}),
        )
        .await?;
        let team = team_by_id(&mut tx, actor.org_id, id)
            .await?
            .ok_or(ServiceError::NotFound("team"))?;
        tx.commit().await?;
        Ok(team.into())
    }

    /// Deletes a team without sub-teams; its members stay in the organization.
    pub async fn delete_team(&self, can: Can<'_, ManageTeams>, id: i64) -> ServiceResult<()> {
        let actor = can.actor();
        let mut tx = self.store().begin().await?;
        let team = self.visible_team(&mut tx, actor, id).await?;
        Self::refuse_directory_group(&team, "delete it")?;
        let children = child_team_count(&mut tx, actor.org_id, id).await?;
        if children > 0 {
            return Err(ServiceError::conflict(
                "team_has_subteams",
                None,
                format!("the team has {children} sub-teams; move or delete them first"),
            ));
        }
        delete_team(&mut tx, actor.org_id, id).await?;
        record(&mut tx, actor, "team.delete", "team", id, json!({})).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn add_team_member(
        &self,
        can: Can<'_, ManageTeams>,
        team_id: i64,
        input: TeamMemberInput,
    ) -> ServiceResult<TeamMemberView> {
        let mut tx = self.store().begin().await?;
        let placed = self.place_in_team(&mut tx, can, team_id, &input).await?;
        tx.commit().await?;
        Ok(placed)
    }

    /// Puts a member in a team (or changes their place in it) on the
    /// caller's transaction: a new member joins their first team in the
    /// same transaction that adds them.
    pub(crate) async fn place_in_team(
        &self,
        tx: &mut Conn,
        can: Can<'_, ManageTeams>,
        team_id: i64,
        input: &TeamMemberInput,
    ) -> ServiceResult<TeamMemberView> {
        let actor = can.actor();
        let team_role = input.team_role.unwrap_or(TeamRole::Member);
        let team = self.visible_team(tx, actor, team_id).await?;
        Self::refuse_directory_group(&team, "change its members")?;
        let member = roster_store::member_by_id(tx, actor.org_id, input.member_id)
            .await?
            .filter(|m| m.status != MemberStatus::Removed.as_str())
            .ok_or_else(|| {
                ServiceError::conflict(
                    "unknown_member",
                    Some("member_id"),
                    "is not a member of this organization",
                )
            })?;
        upsert_team_member(
            tx,
            actor.org_id,
            team_id,
            member.id,
            team_role.as_str(),
            input.core_member.unwrap_or(false),
        )
        .await?;
        record(
            tx,
            actor,
            "team.add_member",
            "team",
            team_id,
            json!({"member_id": member.id, "team_role": team_role.as_str()}),
        )
        .await?;
        let placed = team_member(tx, actor.org_id, team_id, member.id)
            .await?
            .ok_or(ServiceError::NotFound("team member"))?;
        TeamMemberView::new(placed)
    }

    pub async fn remove_team_member(
        &self,
        can: Can<'_, ManageTeams>,
        team_id: i64,
        member_id: i64,
    ) -> ServiceResult<()> {
        let actor = can.actor();
        let mut tx = self.store().begin().await?;
        let team = self.visible_team(&mut tx, actor, team_id).await?;
        Self::refuse_directory_group(&team, "change its members")?;
        if !remove_team_member(&mut tx, actor.org_id, team_id, member_id).await? {
            return Err(ServiceError::NotFound("team member"));
        }
        record(
            &mut tx,
            actor,
            "team.remove_member",
            "team",
            team_id,
            json!({"member_id": member_id}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Makes a member an admin of a division. Needs roles.manage as well as
    /// teams.manage, since it widens what that member may do.
    pub async fn add_division_admin(
        &self,
        can: Can<'_, ManageTeams>,
        _roles: Can<'_, ManageRoles>,
        team_id: i64,
        member_id: i64,
    ) -> ServiceResult<()> {
        let actor = can.actor();
        let mut tx = self.store().begin().await?;
        let team = self.visible_team(&mut tx, actor, team_id).await?;
        if !team.is_division {
            return Err(ServiceError::conflict(
                "not_a_division",
                None,
                "the team is not a division",
            ));
        }
        let member = roster_store::member_by_id(&mut tx, actor.org_id, member_id)
            .await?
            .filter(|m| m.status != MemberStatus::Removed.as_str())
            .ok_or_else(|| {
                ServiceError::conflict(
                    "unknown_member",
                    Some("member_id"),
                    "is not a member of this organization",
                )
            })?;
        add_division_admin(&mut tx, actor.org_id, team_id, member.id).await?;
        record(
            &mut tx,
            actor,
            "division.add_admin",
            "team",
            team_id,
            json!({"member_id": member.id}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn remove_division_admin(
        &self,
        can: Can<'_, ManageTeams>,
        _roles: Can<'_, ManageRoles>,
        team_id: i64,
        member_id: i64,
    ) -> ServiceResult<()> {
        let actor = can.actor();
        let mut tx = self.store().begin().await?;
        self.visible_team(&mut tx, actor, team_id).await?;
        if !remove_division_admin(&mut tx, actor.org_id, team_id, member_id).await? {
            return Err(ServiceError::NotFound("division admin"));
        }
        record(
            &mut tx,
            actor,
            "division.remove_admin",
            "team",
            team_id,
            json!({"member_id": member_id}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The role a directory group grants its members.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupRoleGrant {
    /// `admin`, `division_admin`, `collaborator`, `reader`, `custom:<key>`;
    /// null: the group grants none (its members go back to the role they
    /// held before). Never `owner`.
    #[schemars(regex(pattern = roster_domain::schema::ROLE))]
    pub role: Option<String>,
}

impl Service {
    /// Makes a directory group grant its members a role (or none). Needs
    /// roles.manage besides teams.manage; nobody grants above their own
    /// role, and nobody grants owner.
    pub async fn set_group_role(
        &self,
        can: Can<'_, ManageTeams>,
        _roles: Can<'_, ManageRoles>,
        team_id: i64,
        grant: GroupRoleGrant,
    ) -> ServiceResult<TeamView> {
        let actor = can.actor();
        let role = grant
            .role
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(roster_domain::Role::parse)
            .transpose()?;
        let mut tx = self.store().begin().await?;
        let team = self.visible_team(&mut tx, actor, team_id).await?;
        if !team.directory {
            return Err(ServiceError::conflict(
                "not_a_directory_group",
                None,
                "only a group of the identity provider grants its members a role; give members of this team their role one by one",
            ));
        }
        if let Some(role) = &role {
            self.check_grant(&mut tx, actor, role).await?;
        }
        let stored = role.as_ref().map(ToString::to_string);
        roster_store::set_group_grants_role(&mut tx, actor.org_id, team_id, stored.as_deref()).await?;
        record(
            &mut tx,
            actor,
            "team.grants_role",
            "team",
            team_id,
            json!({"from": team.grants_role, "to": stored}),
        )
        .await?;
        let members = roster_store::group_member_ids(&mut tx, actor.org_id, team_id).await?;
        self.apply_group_roles(&mut tx, actor, &members, now_millis()).await?;
        let team = team_by_id(&mut tx, actor.org_id, team_id)
            .await?
            .ok_or(ServiceError::NotFound("team"))?;
        tx.commit().await?;
        Ok(team.into())
    }
}
