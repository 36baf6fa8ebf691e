//! Roles from directory groups: a group may grant its members a role
//! ("Roster Admins" → admin; never owner). A member in several such groups
//! holds the strongest of their roles; leaving the last one gives back
//! the role they held before. The owner keeps the owner role.

use std::collections::HashMap;

use roster_domain::{PermissionSet, Role};
use roster_store::Conn;
use serde_json::json;

use crate::orgs::audit::record;
use crate::{Actor, Service, ServiceResult};

impl Service {
    /// Brings the roles of these members in line with their groups' grants,
    /// on the caller's transaction.
    pub(crate) async fn apply_group_roles(
        &self,
        conn: &mut Conn,
        actor: &Actor,
        member_ids: &[i64],
        now: i64,
    ) -> ServiceResult<()> {
        if member_ids.is_empty() {
            return Ok(());
        }
        let granted = roster_store::roles_granted_to(conn, actor.org_id, member_ids).await?;
        // Only members a grant reaches, or who hold a granted role, can change.
        let mut touched: Vec<i64> = granted.keys().copied().collect();
        touched.extend(roster_store::members_with_granted_roles(conn, actor.org_id, member_ids).await?);
        touched.sort_unstable();
        touched.dedup();
        let mut strengths: HashMap<String, PermissionSet> = HashMap::new();
        for id in touched {
            let roles = granted.get(&id).cloned().unwrap_or_default();
            let Some(dm) = roster_store::directory_member(conn, actor.org_id, id).await? else {
                continue;
            };
            if roles.is_empty() && dm.directory.role_before_groups.is_none() {
                continue;
            }
            let current = Role::parse(&dm.member.role)?;
            if current.is_owner() {
                continue;
            }
            let mut best: Option<(Role, PermissionSet)> = None;
            for raw in roles {
                let Ok(role) = Role::parse(&raw) else { continue };
                if role.is_owner() {
                    continue;
                }
                let perms = match strengths.get(&raw) {
                    Some(p) => p.clone(),
                    None => {
                        let p = self.permissions_of(conn, actor.org_id, &role).await?;
                        strengths.insert(raw.clone(), p.clone());
                        p
                    }
                };
                let stronger = match &best {
                    None => true,
                    Some((b, bp)) => bp.is_subset(&perms) && (*bp != perms || role.to_string() < b.to_string()),
                };
                if stronger {
                    best = Some((role, perms));
                }
            }
            let mut directory = dm.directory.clone();
            let target = match best {
                Some((role, _)) => {
                    if directory.role_before_groups.is_none() {
                        directory.role_before_groups = Some(current.to_string());
                    }
                    role
                }
                None => match directory.role_before_groups.take() {
                    Some(before) => Role::parse(&before).unwrap_or(Role::READER),
                    None => continue,
                },
            };
            if directory != dm.directory {
                let emails = other_email_keys(&dm);
                roster_store::set_directory_fields(conn, actor.org_id, id, &directory, &emails).await?;
            }
            if target != current {
                let mut fields = dm.member.fields();
                fields.role = target.to_string();
                roster_store::update_member(conn, actor.org_id, id, &fields, now.max(dm.member.updated_at + 1)).await?;
                if let Some(account) = dm.member.account_id {
                    roster_store::delete_sessions_of_account(conn, account).await?;
                }
                record(
                    conn,
                    actor,
                    "member.update",
                    "member",
                    id,
                    json!({"role": {"from": current.to_string(), "to": target.to_string()}, "by": "directory groups"}),
                )
                .await?;
            }
        }
        Ok(())
    }
}

/// The keys of a member's other e-mails, as stored (to write them back unchanged).
fn other_email_keys(dm: &roster_store::DirectoryMember) -> Vec<String> {
    let emails = dm
        .directory
        .attributes
        .get("emails")
        .and_then(serde_json::Value::as_array)
        .cloned()
        .unwrap_or_default();
    emails
        .iter()
        .filter_map(|e| e.get("value").and_then(serde_json::Value::as_str))
        .filter_map(|v| roster_domain::Email::parse(v).ok())
        .map(|e| e.normalized().to_owned())
        .filter(|k| *k != dm.member.email_normalized)
        .collect()
}
