//! The operator's commands. They act as the local operator ("cli" in the
//! audit log) through the same service functions as the API.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use roster_service::{
    MemberInput, MemberListQuery, MemberStatus, NewMember, NewOrg, NewToken, OrgSettingsPatch, RemoveMember, Role,
    SeatType, Service, TeamInput, TeamMemberInput,
};
use serde_json::json;

use crate::config::open_service;
use crate::output::{print_json, print_table};
use crate::settings::Settings;

#[derive(Args, Debug)]
pub struct OrgArg {
    /// The organization's slug.
    #[arg(long)]
    org: String,
}

#[derive(Subcommand)]
pub enum OrgCommand {
    /// Create an organization and its owner (password from ROSTER_OWNER_PASSWORD or --owner-password-file).
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        slug: String,
        #[arg(long)]
        owner_email: String,
        #[arg(long, default_value = "")]
        owner_first_name: String,
        #[arg(long, default_value = "")]
        owner_last_name: String,
        #[arg(long)]
        owner_password_file: Option<PathBuf>,
    },
    /// Change settings.
    Update {
        #[command(flatten)]
        org: OrgArg,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        slug: Option<String>,
        #[arg(long)]
        description: Option<String>,
        #[arg(long)]
        accent_color: Option<String>,
        #[arg(long)]
        logo_url: Option<String>,
        #[arg(long)]
        invitation_lifetime_days: Option<i64>,
        #[arg(long)]
        export_retention_days: Option<i64>,
        #[arg(long)]
        job_history_days: Option<i64>,
        #[arg(long)]
        import_row_limit: Option<i64>,
        #[arg(long)]
        managed_by_identity_provider: Option<bool>,
        #[arg(long)]
        signup_enabled: Option<bool>,
        /// The language of the organization's mail: en, de, nl or fr.
        #[arg(long)]
        language: Option<String>,
        /// The e-mail domains the sign-up page accepts, comma separated ("" for any).
        #[arg(long)]
        signup_domains: Option<String>,
    },
    /// List organizations.
    List,
    /// Settings, seats and member counts of one organization.
    Show {
        #[command(flatten)]
        org: OrgArg,
    },
    /// Set the purchased seats of a seat type.
    Seats {
        #[command(flatten)]
        org: OrgArg,
        #[arg(long)]
        seat_type: String,
        #[arg(long)]
        purchased: i64,
        #[arg(long)]
        label: Option<String>,
    },
    /// Hand the owner role to another member.
    TransferOwnership {
        #[command(flatten)]
        org: OrgArg,
        #[arg(long)]
        to_member: i64,
    },
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create an API token; the secret is printed once.
    Create {
        #[command(flatten)]
        org: OrgArg,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "admin")]
        role: String,
        /// How long it lives: `90d`, `12w`, `1y`, or `never` (the default:
        /// an organization token made here lives until it is revoked).
        #[arg(long, value_parser = parse_lifetime, default_value = "never")]
        expires_in: Lifetime,
    },
    List {
        #[command(flatten)]
        org: OrgArg,
    },
    Revoke {
        #[command(flatten)]
        org: OrgArg,
        id: i64,
    },
}

#[derive(Args, Debug, Default)]
pub struct MemberFieldArgs {
    #[arg(long)]
    first_name: Option<String>,
    #[arg(long)]
    last_name: Option<String>,
    #[arg(long)]
    email: Option<String>,
    #[arg(long)]
    personal_id: Option<String>,
    #[arg(long)]
    comment: Option<String>,
    #[arg(long)]
    phone: Option<String>,
    #[arg(long)]
    location: Option<String>,
    #[arg(long)]
    role: Option<String>,
    #[arg(long)]
    seat_type: Option<String>,
    #[arg(long)]
    external: Option<bool>,
    /// Only when adding: the team the new member joins.
    #[arg(long)]
    team: Option<i64>,
}

impl MemberFieldArgs {
    fn input(self) -> MemberInput {
        MemberInput {
            first_name: self.first_name,
            last_name: self.last_name,
            email: self.email,
            personal_id: self.personal_id,
            comment: self.comment,
            phone: self.phone,
            location: self.location,
            role: self.role,
            seat_type: self.seat_type,
            external: self.external,
            ..Default::default()
        }
    }

    fn new_member(self) -> NewMember {
        let team_id = self.team;
        NewMember {
            member: self.input(),
            team_id,
        }
    }
}

#[derive(Subcommand)]
pub enum MemberCommand {
    /// Add a member (status added).
    Add {
        #[command(flatten)]
        org: OrgArg,
        #[command(flatten)]
        fields: MemberFieldArgs,
    },
    /// List members (one page; --cursor for the next).
    List {
        #[command(flatten)]
        org: OrgArg,
        #[arg(long)]
        q: Option<String>,
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        role: Option<String>,
        #[arg(long)]
        seat_type: Option<String>,
        #[arg(long)]
        comment: Option<String>,
        #[arg(long)]
        sort: Option<String>,
        #[arg(long)]
        cursor: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    Show {
        #[command(flatten)]
        org: OrgArg,
        id: i64,
    },
    Update {
        #[command(flatten)]
        org: OrgArg,
        id: i64,
        #[command(flatten)]
        fields: MemberFieldArgs,
    },
    /// Remove a member; --transfer-to hands their content items over.
    Remove {
        #[command(flatten)]
        org: OrgArg,
        id: i64,
        #[arg(long)]
        transfer_to: Option<i64>,
    },
    /// Change many members at once: a role, a seat type, a team, or removal.
    Bulk(crate::member_bulk::BulkArgs),
}

#[derive(Subcommand)]
pub enum TeamCommand {
    Create {
        #[command(flatten)]
        org: OrgArg,
        #[arg(long)]
        name: String,
        #[arg(long)]
        parent: Option<i64>,
        #[arg(long)]
        purpose: Option<String>,
        #[arg(long)]
        key: Option<String>,
        #[arg(long)]
        division: bool,
    },
    List {
        #[command(flatten)]
        org: OrgArg,
    },
    AddMember {
        #[command(flatten)]
        org: OrgArg,
        team: i64,
        member: i64,
        #[arg(long)]
        lead: bool,
        #[arg(long)]
        core: bool,
    },
    RemoveMember {
        #[command(flatten)]
        org: OrgArg,
        team: i64,
        member: i64,
    },
    Delete {
        #[command(flatten)]
        org: OrgArg,
        team: i64,
    },
}

pub async fn migrate(settings: &Settings, json: bool) -> anyhow::Result<()> {
    let service = crate::config::connect(settings).await?;
    let applied = service.migrate().await?;
    if json {
        print_json(&json!({"applied": applied}))
    } else {
        println!("{applied} migrations applied; the schema is up to date");
        Ok(())
    }
}

fn owner_password(file: Option<PathBuf>) -> anyhow::Result<String> {
    if let Some(file) = file {
        let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
        return Ok(text.trim_end_matches(['\n', '\r']).to_owned());
    }
    std::env::var("ROSTER_OWNER_PASSWORD")
        .context("set ROSTER_OWNER_PASSWORD or pass --owner-password-file (the password is never a flag)")
}

pub async fn org(settings: &Settings, json: bool, cmd: OrgCommand) -> anyhow::Result<()> {
    let svc = open_service(settings).await?;
    match cmd {
        OrgCommand::Create {
            name,
            slug,
            owner_email,
            owner_first_name,
            owner_last_name,
            owner_password_file,
        } => {
            let new = NewOrg {
                name,
                slug,
                owner_email,
                owner_first_name,
                owner_last_name,
                owner_password: owner_password(owner_password_file)?,
            };
            let org = svc.create_org(new, "cli").await?;
            if json {
                return print_json(&org);
            }
            println!("created organization {} ({})", org.slug, org.name);
        }
        OrgCommand::Update {
            org,
            name,
            slug,
            description,
            accent_color,
            logo_url,
            invitation_lifetime_days,
            export_retention_days,
            job_history_days,
            import_row_limit,
            managed_by_identity_provider,
            signup_enabled,
            language,
            signup_domains,
        } => {
            let actor = svc.system_actor(&org.org).await?;
            let language = language.as_deref().map(roster_service::Language::parse).transpose()?;
            let signup_domains = signup_domains.map(|d| {
                d.split(',')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect()
            });
            let patch = OrgSettingsPatch {
                name,
                slug,
                description,
                accent_color,
                logo_url,
                invitation_lifetime_days,
                export_retention_days,
                job_history_days,
                import_row_limit,
                managed_by_identity_provider,
                signup_enabled,
                language,
                signup_domains,
            };
            let org = svc.update_settings(svc.authorize(&actor).await?, patch).await?;
            if json {
                return print_json(&org);
            }
            println!("updated {}", org.slug);
        }
        OrgCommand::List => {
            let orgs = svc.all_orgs().await?;
            if json {
                return print_json(&json!({"items": orgs}));
            }
            print_table(
                &["slug", "name", "created"],
                orgs.iter()
                    .map(|o| vec![o.slug.clone(), o.name.clone(), o.created_at.to_string()])
                    .collect(),
            );
        }
        OrgCommand::Show { org } => {
            let actor = svc.system_actor(&org.org).await?;
            let overview = svc.overview(svc.authorize(&actor).await?).await?;
            if json {
                return print_json(&overview);
            }
            println!(
                "{} ({}) — {} members",
                overview.organization.name, overview.organization.slug, overview.team_size
            );
            print_table(
                &["seat type", "purchased", "used", "available"],
                overview
                    .seats
                    .iter()
                    .map(|s| {
                        vec![
                            s.label.clone(),
                            s.purchased.to_string(),
                            s.used.to_string(),
                            s.available.to_string(),
                        ]
                    })
                    .collect(),
            );
        }
        OrgCommand::Seats {
            org,
            seat_type,
            purchased,
            label,
        } => {
            let actor = svc.system_actor(&org.org).await?;
            let seats = svc
                .set_seats(svc.authorize(&actor).await?, &seat_type, purchased, label)
                .await?;
            if json {
                return print_json(&json!({"items": seats}));
            }
            print_table(
                &["seat type", "purchased", "used", "available"],
                seats
                    .iter()
                    .map(|s| {
                        vec![
                            s.label.clone(),
                            s.purchased.to_string(),
                            s.used.to_string(),
                            s.available.to_string(),
                        ]
                    })
                    .collect(),
            );
        }
        OrgCommand::TransferOwnership { org, to_member } => {
            let actor = svc.system_actor(&org.org).await?;
            svc.transfer_ownership(&actor, to_member).await?;
            if json {
                return print_json(&json!({"owner_member_id": to_member}));
            }
            println!("member {to_member} now owns {}", org.org);
        }
    }
    Ok(())
}

pub async fn token(settings: &Settings, json: bool, cmd: TokenCommand) -> anyhow::Result<()> {
    let svc = open_service(settings).await?;
    match cmd {
        TokenCommand::Create {
            org,
            name,
            role,
            expires_in,
        } => {
            let actor = svc.system_actor(&org.org).await?;
            let new = NewToken {
                expires_in_days: expires_in.0,
                ..NewToken::new(name, role)
            };
            let created = svc.create_token(svc.authorize(&actor).await?, new).await?;
            if json {
                return print_json(&created);
            }
            println!("{}", created.token);
            let expiry = match created.record.expires_at {
                Some(at) => format!("expires {at}"),
                None => "does not expire".into(),
            };
            eprintln!(
                "(token {} \"{}\" with role {}, {expiry}; it is shown only now)",
                created.record.id, created.record.name, created.record.role
            );
        }
        TokenCommand::List { org } => {
            let actor = svc.system_actor(&org.org).await?;
            let tokens = svc.tokens(svc.authorize(&actor).await?).await?;
            if json {
                return print_json(&json!({"items": tokens}));
            }
            let time = |t: Option<roster_service::Timestamp>| t.map(|t| t.to_string()).unwrap_or_default();
            print_table(
                &[
                    "id",
                    "name",
                    "role",
                    "member",
                    "created",
                    "last used",
                    "expires",
                    "revoked",
                ],
                tokens
                    .iter()
                    .map(|t| {
                        vec![
                            t.id.to_string(),
                            t.name.clone(),
                            t.role.to_string(),
                            t.member_id.map_or_else(|| "(organization)".into(), |m| m.to_string()),
                            t.created_at.to_string(),
                            time(t.last_used_at),
                            time(t.expires_at),
                            time(t.revoked_at),
                        ]
                    })
                    .collect(),
            );
        }
        TokenCommand::Revoke { org, id } => {
            let actor = svc.system_actor(&org.org).await?;
            svc.revoke_token(svc.authorize(&actor).await?, id).await?;
            if json {
                return print_json(&json!({"revoked": id}));
            }
            println!("token {id} revoked");
        }
    }
    Ok(())
}

/// A token's lifetime in days, or none (`never`).
#[derive(Debug, Clone, Copy)]
pub struct Lifetime(Option<i64>);

fn parse_lifetime(raw: &str) -> Result<Lifetime, String> {
    if raw == "never" {
        return Ok(Lifetime(None));
    }
    let split = raw.len().saturating_sub(1);
    let (number, unit) = raw.split_at(split);
    let days_per = match unit {
        "d" => 1,
        "w" => 7,
        "y" => 365,
        _ => return Err("give days, weeks or years, like 90d, 12w or 1y, or never".into()),
    };
    let n: i64 = number
        .parse()
        .map_err(|_| format!("{number:?} is not a number of {unit}"))?;
    Ok(Lifetime(Some(n.saturating_mul(days_per))))
}

/// Members as the table shows them: roles, seats and statuses by the values
/// the commands take (`--role custom:auditor`), not by their labels.
fn member_rows(items: &[roster_service::MemberView]) -> Vec<Vec<String>> {
    items
        .iter()
        .map(|m| {
            vec![
                m.id.to_string(),
                m.name(),
                m.email.clone(),
                m.role.to_string(),
                m.seat_type.map(|s| s.as_str().to_owned()).unwrap_or_default(),
                m.status.as_str().to_owned(),
            ]
        })
        .collect()
}

const MEMBER_HEADERS: [&str; 6] = ["id", "name", "email", "role", "seat", "status"];

pub async fn member(settings: &Settings, json: bool, cmd: MemberCommand) -> anyhow::Result<u8> {
    let svc = open_service(settings).await?;
    match cmd {
        MemberCommand::Add { org, fields } => {
            let actor = svc.system_actor(&org.org).await?;
            let m = svc
                .create_member(svc.authorize(&actor).await?, fields.new_member())
                .await?;
            if json {
                return print_json(&m).map(|()| 0);
            }
            print_table(&MEMBER_HEADERS, member_rows(&[m]));
        }
        MemberCommand::List {
            org,
            q,
            status,
            role,
            seat_type,
            comment,
            sort,
            cursor,
            limit,
        } => {
            let actor = svc.system_actor(&org.org).await?;
            // A value that is no status, role or seat type is refused input.
            let refused = roster_service::ServiceError::from;
            let query = MemberListQuery {
                q,
                status: status
                    .as_deref()
                    .map(MemberStatus::parse)
                    .transpose()
                    .map_err(refused)?,
                role: role.as_deref().map(Role::parse).transpose().map_err(refused)?,
                seat_type: seat_type.as_deref().map(SeatType::parse).transpose().map_err(refused)?,
                comment,
                sort,
                cursor,
                limit: Some(limit),
                ..Default::default()
            };
            let page = svc.list_members(svc.authorize(&actor).await?, query).await?;
            if json {
                return print_json(&page).map(|()| 0);
            }
            print_table(&MEMBER_HEADERS, member_rows(&page.items));
            if let Some(next) = page.next_cursor {
                eprintln!("more: --cursor {next}");
            }
        }
        MemberCommand::Show { org, id } => {
            let actor = svc.system_actor(&org.org).await?;
            let detail = svc.member_detail(svc.authorize(&actor).await?, id).await?;
            print_json(&detail)?;
        }
        MemberCommand::Update { org, id, fields } => {
            let actor = svc.system_actor(&org.org).await?;
            let m = svc
                .update_member(svc.authorize(&actor).await?, id, fields.input())
                .await?;
            if json {
                return print_json(&m).map(|()| 0);
            }
            print_table(&MEMBER_HEADERS, member_rows(&[m]));
        }
        MemberCommand::Remove { org, id, transfer_to } => {
            let actor = svc.system_actor(&org.org).await?;
            let m = svc
                .remove_member(svc.authorize(&actor).await?, id, RemoveMember { transfer_to })
                .await?;
            if json {
                return print_json(&m).map(|()| 0);
            }
            println!("member {id} removed");
        }
        MemberCommand::Bulk(args) => return crate::member_bulk::run(&svc, json, args).await,
    }
    Ok(0)
}

pub async fn team(settings: &Settings, json: bool, cmd: TeamCommand) -> anyhow::Result<()> {
    let svc: Service = open_service(settings).await?;
    match cmd {
        TeamCommand::Create {
            org,
            name,
            parent,
            purpose,
            key,
            division,
        } => {
            let actor = svc.system_actor(&org.org).await?;
            let input = TeamInput {
                name: Some(name),
                purpose,
                parent_id: Some(parent),
                external_key: key,
                is_division: Some(division),
            };
            let team = svc.create_team(svc.authorize(&actor).await?, input).await?;
            if json {
                return print_json(&team);
            }
            println!("created team {} ({})", team.id, team.name);
        }
        TeamCommand::List { org } => {
            let actor = svc.system_actor(&org.org).await?;
            let teams = svc.teams(svc.authorize(&actor).await?).await?;
            if json {
                return print_json(&json!({"items": teams}));
            }
            print_table(
                &["id", "name", "parent", "division", "members"],
                teams
                    .iter()
                    .map(|t| {
                        vec![
                            t.id.to_string(),
                            t.name.clone(),
                            t.parent_id.map(|p| p.to_string()).unwrap_or_default(),
                            if t.is_division { "yes" } else { "" }.into(),
                            t.member_count.to_string(),
                        ]
                    })
                    .collect(),
            );
        }
        TeamCommand::AddMember {
            org,
            team,
            member,
            lead,
            core,
        } => {
            let actor = svc.system_actor(&org.org).await?;
            let input = TeamMemberInput {
                member_id: member,
                team_role: Some(if lead {
                    roster_service::TeamRole::Lead
                } else {
                    roster_service::TeamRole::Member
                }),
                core_member: Some(core),
            };
            let members = svc.add_team_member(svc.authorize(&actor).await?, team, input).await?;
            if json {
                return print_json(&json!({"items": members}));
            }
            println!("member {member} is in team {team}");
        }
        TeamCommand::RemoveMember { org, team, member } => {
            let actor = svc.system_actor(&org.org).await?;
            svc.remove_team_member(svc.authorize(&actor).await?, team, member)
                .await?;
            if json {
                return print_json(&json!({"removed": member}));
            }
            println!("member {member} left team {team}");
        }
        TeamCommand::Delete { org, team } => {
            let actor = svc.system_actor(&org.org).await?;
            svc.delete_team(svc.authorize(&actor).await?, team).await?;
            if json {
                return print_json(&json!({"deleted": team}));
            }
            println!("team {team} deleted");
        }
    }
    Ok(())
}
