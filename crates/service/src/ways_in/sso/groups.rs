//! Groups to roles and teams: a value of the provider's groups claim (a
//! group's name, as Okta and Keycloak send it, or its id, as Entra ID
//! does) gives a role (never owner) or a team's membership, decided again
//! at each sign-in. Roles follow the rule of directory groups (SCIM): the
//! strongest role granted wins, the owner keeps the owner role, and when
//! no group grants one any more the member gets back the role held before.
//! A team named by a rule is the provider's to fill: a sign-in adds the
//! member when a group says so and takes them out when none does.

use roster_domain::{now_millis, Role};
use roster_store::{Conn, SsoGroupRuleRecord};
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::orgs::audit::record;
use crate::{Actor, Can, ManageOrg, Service, ServiceError, ServiceResult};

/// What a group value gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupGrant {
    Role(String),
    Team(i64),
}

/// A rule, as shown.
#[derive(Debug, Clone, Serialize)]
pub struct SsoGroupRuleView {
    pub group: String,
    pub role: Option<String>,
    pub team_id: Option<i64>,
    pub team_name: Option<String>,
}

/// The groups a token names: `None` when it says nothing about them (the
/// claim is missing, or Entra ID sent a link instead because the person is
/// in too many groups) — then nothing changes.
pub(crate) fn groups_of(claims: &Map<String, Value>, claim: &str) -> Option<Vec<String>> {
    let overage = claims.get("_claim_names").and_then(|names| names.get(claim)).is_some();
    if overage {
        return None;
    }
    let values = match claims.get(claim)? {
        Value::Array(items) => items
            .iter()
            .filter_map(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect(),
        Value::String(one) => vec![one.clone()],
        _ => return None,
    };
    Some(
        values
            .into_iter()
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty() && v.len() <= 256)
            .take(2_000)
            .collect(),
    )
}

fn matches(rule: &SsoGroupRuleRecord, groups: &[String]) -> bool {
    // Ids are compared as they are; names people type in any case.
    groups.iter().any(|g| g.eq_ignore_ascii_case(&rule.group_value))
}

impl Service {
    /// Adds a rule: `group` gives a role or a team's membership.
    pub async fn add_sso_group_rule(
        &self,
        can: Can<'_, ManageOrg>,
        group: &str,
        grant: GroupGrant,
    ) -> ServiceResult<SsoGroupRuleView> {
        let actor = can.actor();
        let group = group.trim();
        if group.is_empty() || group.len() > 256 {
            return Err(roster_domain::InvalidInput::new(
                "group",
                "required",
                "a group's name or id, at most 256 characters",
            )
            .into());
        }
        let mut tx = self.store().begin().await?;
        let (role, team_id) = match &grant {
            GroupGrant::Role(raw) => {
                let role = Role::parse(raw.trim())?;
                self.check_grant(&mut tx, actor, &role).await?;
                (Some(role.to_string()), None)
            }
            GroupGrant::Team(id) => {
                roster_store::team_by_id(&mut tx, actor.org_id, *id)
                    .await?
                    .ok_or(ServiceError::NotFound("team"))?;
                (None, Some(*id))
            }
        };
        let rule = SsoGroupRuleRecord {
            org_id: actor.org_id,
            group_value: group.to_owned(),
            role,
            team_id,
            created_at: now_millis(),
        };
        if roster_store::add_sso_group_rule(&mut tx, &rule).await? {
            record(
                &mut tx,
                actor,
                "sso.group_rule.add",
                "organization",
                actor.org_id,
                json!({"group": rule.group_value, "role": rule.role, "team": rule.team_id}),
            )
            .await?;
        }
        let view = self.group_rule_view(&mut tx, rule).await?;
        tx.commit().await?;
        Ok(view)
    }

    pub async fn sso_group_rules(&self, can: Can<'_, ManageOrg>) -> ServiceResult<Vec<SsoGroupRuleView>> {
        let mut conn = self.store().conn().await?;
        let mut views = Vec::new();
        for rule in roster_store::sso_group_rules(&mut conn, can.actor().org_id).await? {
            views.push(self.group_rule_view(&mut conn, rule).await?);
        }
        Ok(views)
    }

    /// Removes the rules of a group value. Members keep what they have
    /// until their next sign-in.
    pub async fn remove_sso_group_rules(&self, can: Can<'_, ManageOrg>, group: &str) -> ServiceResult<u64> {
        let actor = can.actor();
        let mut tx = self.store().begin().await?;
        let removed = roster_store::remove_sso_group_rules(&mut tx, actor.org_id, group.trim()).await?;
        if removed > 0 {
            record(
                &mut tx,
                actor,
                "sso.group_rule.remove",
                "organization",
                actor.org_id,
                json!({"group": group.trim()}),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(removed)
    }

    async fn group_rule_view(&self, conn: &mut Conn, rule: SsoGroupRuleRecord) -> ServiceResult<SsoGroupRuleView> {
        let team_name = match rule.team_id {
            Some(id) => roster_store::team_by_id(conn, rule.org_id, id).await?.map(|t| t.name),
            None => None,
        };
        Ok(SsoGroupRuleView {
            group: rule.group_value,
            role: rule.role,
            team_id: rule.team_id,
            team_name,
        })
    }

    /// At a sign-in: the member's roles and teams as the token's groups
    /// say, on the sign-in's transaction. A token that names no groups
    /// changes nothing.
    pub(crate) async fn apply_sso_groups(
        &self,
        conn: &mut Conn,
        actor: &Actor,
        member_id: i64,
        groups: Option<&[String]>,
    ) -> ServiceResult<()> {
        let Some(groups) = groups else {
            return Ok(());
        };
        let rules = roster_store::sso_group_rules(conn, actor.org_id).await?;
        if rules.is_empty() {
            return Ok(());
        }
        let now = now_millis();
        let mut roles: Vec<String> = rules
            .iter()
            .filter(|r| matches(r, groups))
            .filter_map(|r| r.role.clone())
            .filter(|r| Role::parse(r).is_ok_and(|role| !role.is_owner()))
            .collect();
        roles.sort();
        roles.dedup();
        roster_store::set_sso_role_grants(conn, actor.org_id, member_id, &roles).await?;
        let mut joined = Vec::new();
        let mut left = Vec::new();
        let mut teams: Vec<i64> = rules.iter().filter_map(|r| r.team_id).collect();
        teams.sort_unstable();
        teams.dedup();
        for team in teams {
            let wanted = rules.iter().any(|r| r.team_id == Some(team) && matches(r, groups));
            let inside = !roster_store::team_members_among(conn, actor.org_id, team, &[member_id])
                .await?
                .is_empty();
            if wanted && !inside {
                roster_store::insert_team_members(conn, actor.org_id, team, &[member_id]).await?;
                joined.push(team);
            } else if !wanted && inside {
                roster_store::delete_team_members(conn, actor.org_id, team, &[member_id]).await?;
                left.push(team);
            }
        }
        if !joined.is_empty() || !left.is_empty() {
            record(
                conn,
                actor,
                "member.teams",
                "member",
                member_id,
                json!({"joined": joined, "left": left, "by": "identity provider groups"}),
            )
            .await?;
        }
        self.apply_group_roles(conn, actor, &[member_id], now).await
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::groups_of;

    #[test]
    fn groups_are_read_as_providers_send_them() {
        let claims = |v: serde_json::Value| v.as_object().cloned().unwrap();
        assert_eq!(
            groups_of(&claims(json!({"groups": ["Admins", " eng ", ""]})), "groups"),
            Some(vec!["Admins".to_owned(), "eng".to_owned()])
        );
        assert_eq!(
            groups_of(&claims(json!({"groups": "Admins"})), "groups"),
            Some(vec!["Admins".to_owned()])
        );
        assert_eq!(groups_of(&claims(json!({"groups": []})), "groups"), Some(vec![]));
        // No claim, or Entra ID's "too many groups" link: nothing is known.
        assert_eq!(groups_of(&claims(json!({})), "groups"), None);
        assert_eq!(
            groups_of(
                &claims(json!({"_claim_names": {"groups": "src1"}, "_claim_sources": {"src1": {}}})),
                "groups"
            ),
            None
        );
    }
}
