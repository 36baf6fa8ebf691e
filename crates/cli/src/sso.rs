//! `roster sso set|show|test|remove` and `roster sso domain
//! claim|verify|list|remove`: an organization's single sign-on with its OpenID
//! provider, from the command line.

use anyhow::Context;
use clap::{Args, Subcommand};
use roster_service::sso::{GroupGrant, SsoSettings};
use roster_service::ManageOrg;
use serde_json::json;

use crate::config::{link_base, open_service};
use crate::output::{print_json, print_table};
use crate::settings::Settings;

#[derive(Subcommand)]
pub enum SsoCommand {
    /// Connect the organization's OpenID provider (its discovery document
    /// and keys are fetched and checked first).
    Set(SetArgs),
    /// The connection: the provider's endpoints and algorithms, the
    /// redirect URI to register, the settings (the secret masked).
    Show {
        #[arg(long)]
        org: String,
    },
    /// Check that the provider answers, and print the address of a test
    /// sign-in to open in a browser (the whole flow, nothing changed).
    Test {
        #[arg(long)]
        org: String,
    },
    /// Disconnect the provider: members sign in with passwords again.
    Remove {
        #[arg(long)]
        org: String,
    },
    /// The e-mail domains the organization claims.
    #[command(subcommand)]
    Domain(DomainCommand),
    /// Which of the provider's groups give a role or a team's membership
    /// (decided again at each sign-in).
    #[command(subcommand)]
    Group(GroupCommand),
}

#[derive(Subcommand)]
pub enum GroupCommand {
    /// A group (its name, or its id as Entra ID sends it) gives a role
    /// (never owner) or fills a team.
    Add {
        #[arg(long)]
        org: String,
        #[arg(long)]
        group: String,
        #[arg(long, conflicts_with = "team", required_unless_present = "team")]
        role: Option<String>,
        /// The team's id.
        #[arg(long)]
        team: Option<i64>,
    },
    List {
        #[arg(long)]
        org: String,
    },
    /// Removes the group's rules (members keep what they have until their
    /// next sign-in).
    Remove {
        #[arg(long)]
        org: String,
        #[arg(long)]
        group: String,
    },
}

#[derive(Args)]
pub struct SetArgs {
    #[arg(long)]
    org: String,
    /// The provider's issuer URL (Entra ID: your tenant's, not /common).
    #[arg(long)]
    issuer: String,
    #[arg(long)]
    client_id: String,
    /// A file holding the client secret (or ROSTER_SSO_CLIENT_SECRET; kept
    /// when neither is given and one is stored).
    #[arg(long, value_name = "FILE")]
    client_secret_file: Option<std::path::PathBuf>,
    /// Scopes besides openid (default: email profile).
    #[arg(long, value_delimiter = ',')]
    scopes: Option<Vec<String>>,
    /// The claim with the e-mail address (default: email).
    #[arg(long)]
    email_claim: Option<String>,
    /// The claim with the first name (default: given_name).
    #[arg(long)]
    first_name_claim: Option<String>,
    /// The claim with the last name (default: family_name).
    #[arg(long)]
    last_name_claim: Option<String>,
    /// The claim with the person's groups (default: groups).
    #[arg(long)]
    groups_claim: Option<String>,
    /// Claim a domain for the organization as the operator (repeatable).
    #[arg(long = "domain")]
    domains: Vec<String>,
    /// Just-in-time membership: people the provider vouches for, with a
    /// verified address of a claimed domain, become members.
    #[arg(long)]
    jit: bool,
    /// Members sign in only through the provider: no password sign-in,
    /// reset or password invitation (the primary admin keeps a break-glass
    /// password; API tokens are unaffected).
    #[arg(long)]
    required: bool,
}

#[derive(Subcommand)]
pub enum DomainCommand {
    /// Claim a domain for the organization as the instance's operator:
    /// proven at once. With --dns, the organization proves it instead: the
    /// TXT record to publish is printed, and `verify` looks for it.
    Claim {
        #[arg(long)]
        org: String,
        #[arg(long)]
        domain: String,
        #[arg(long)]
        dns: bool,
    },
    /// Look for the claim's TXT record (_roster-challenge.DOMAIN) and mark
    /// the domain proven when it holds the claim's value.
    Verify {
        #[arg(long)]
        org: String,
        #[arg(long)]
        domain: String,
    },
    List {
        #[arg(long)]
        org: String,
    },
    Remove {
        #[arg(long)]
        org: String,
        #[arg(long)]
        domain: String,
    },
}

fn secret(args: &SetArgs) -> anyhow::Result<Option<String>> {
    if let Some(path) = &args.client_secret_file {
        let raw = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        return Ok(Some(raw.trim().to_owned()));
    }
    Ok(std::env::var("ROSTER_SSO_CLIENT_SECRET")
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty()))
}

pub async fn run(settings: &Settings, json: bool, cmd: SsoCommand) -> anyhow::Result<()> {
    let svc = open_service(settings).await?;
    match cmd {
        SsoCommand::Set(args) => {
            // The redirect URI to register is derived from the base URL.
            link_base(settings, &svc).await?;
            let actor = svc.system_actor(&args.org).await?;
            let mut wanted = SsoSettings::new(&args.issuer, &args.client_id, secret(&args)?);
            if let Some(scopes) = &args.scopes {
                wanted.scopes = scopes.clone();
            }
            // What is not given keeps the service's defaults.
            for (field, value) in [
                (&mut wanted.email_claim, &args.email_claim),
                (&mut wanted.first_name_claim, &args.first_name_claim),
                (&mut wanted.last_name_claim, &args.last_name_claim),
                (&mut wanted.groups_claim, &args.groups_claim),
            ] {
                if let Some(value) = value {
                    field.clone_from(value);
                }
            }
            wanted.jit = args.jit;
            wanted.required = args.required;
            let connection = svc.set_sso(svc.authorize::<ManageOrg>(&actor).await?, wanted).await?;
            for domain in &args.domains {
                svc.claim_sso_domain_as_operator(svc.authorize(&actor).await?, domain)
                    .await?;
            }
            show(json, &connection)?;
        }
        SsoCommand::Show { org } => {
            let actor = svc.system_actor(&org).await?;
            match svc.sso_connection(svc.authorize(&actor).await?).await? {
                Some(connection) => show(json, &connection)?,
                None => anyhow::bail!("{org} has no identity provider connected (roster sso set)"),
            }
        }
        SsoCommand::Test { org } => {
            let base = link_base(settings, &svc).await?;
            let actor = svc.system_actor(&org).await?;
            let checked = svc.check_sso(svc.authorize(&actor).await?).await?;
            let url = format!("{base}/sso/{org}?test=1");
            if json {
                return print_json(&json!({"provider": checked, "test_sign_in": url}));
            }
            println!("The provider answers: {} (keys: {})", checked.issuer, checked.keys);
            println!("Open this in a browser to test the whole sign-in: {url}");
        }
        SsoCommand::Remove { org } => {
            let actor = svc.system_actor(&org).await?;
            let removed = svc.remove_sso(svc.authorize(&actor).await?).await?;
            if json {
                return print_json(&json!({"removed": removed}));
            }
            println!(
                "{}",
                if removed {
                    "the identity provider is disconnected"
                } else {
                    "no identity provider was connected"
                }
            );
        }
        SsoCommand::Domain(cmd) => domain(&svc, json, cmd).await?,
        SsoCommand::Group(cmd) => group(&svc, json, cmd).await?,
    }
    Ok(())
}

async fn group(svc: &roster_service::Service, json: bool, cmd: GroupCommand) -> anyhow::Result<()> {
    match cmd {
        GroupCommand::Add { org, group, role, team } => {
            let actor = svc.system_actor(&org).await?;
            let grant = match (role, team) {
                (Some(role), _) => GroupGrant::Role(role),
                (None, Some(team)) => GroupGrant::Team(team),
                (None, None) => anyhow::bail!("give --role or --team"),
            };
            let rule = svc
                .add_sso_group_rule(svc.authorize(&actor).await?, &group, grant)
                .await?;
            if json {
                return print_json(&rule);
            }
            println!("{} gives {}", rule.group, describe(&rule));
        }
        GroupCommand::List { org } => {
            let actor = svc.system_actor(&org).await?;
            let rules = svc.sso_group_rules(svc.authorize(&actor).await?).await?;
            if json {
                return print_json(&json!({"items": rules}));
            }
            print_table(
                &["group", "gives"],
                rules.iter().map(|r| vec![r.group.clone(), describe(r)]).collect(),
            );
        }
        GroupCommand::Remove { org, group } => {
            let actor = svc.system_actor(&org).await?;
            let removed = svc.remove_sso_group_rules(svc.authorize(&actor).await?, &group).await?;
            if json {
                return print_json(&json!({"removed": removed}));
            }
            println!("{removed} rule(s) removed");
        }
    }
    Ok(())
}

fn describe(rule: &roster_service::sso::SsoGroupRuleView) -> String {
    match (&rule.role, &rule.team_name) {
        (Some(role), _) => format!("role {role}"),
        (None, Some(team)) => format!("team {team}"),
        (None, None) => "nothing (its team is gone)".into(),
    }
}

async fn domain(svc: &roster_service::Service, json: bool, cmd: DomainCommand) -> anyhow::Result<()> {
    match cmd {
        DomainCommand::Claim { org, domain, dns } => {
            let actor = svc.system_actor(&org).await?;
            let claimed = if dns {
                svc.claim_sso_domain(svc.authorize(&actor).await?, &domain).await?
            } else {
                svc.claim_sso_domain_as_operator(svc.authorize(&actor).await?, &domain)
                    .await?
            };
            if json {
                return print_json(&claimed);
            }
            if claimed.verified_at.is_some() {
                println!("{} is claimed and proven for {org}", claimed.domain);
            } else {
                println!(
                    "{} is claimed for {org}. To prove it, publish this TXT record:",
                    claimed.domain
                );
                println!("  {}  TXT  {}", claimed.record_name, claimed.proof);
                println!(
                    "then run: roster sso domain verify --org {org} --domain {}",
                    claimed.domain
                );
            }
        }
        DomainCommand::Verify { org, domain } => {
            let actor = svc.system_actor(&org).await?;
            let proven = svc.verify_sso_domain(svc.authorize(&actor).await?, &domain).await?;
            if json {
                return print_json(&proven);
            }
            println!("{} is proven for {org}", proven.domain);
        }
        DomainCommand::List { org } => {
            let actor = svc.system_actor(&org).await?;
            let domains = svc.sso_domains(svc.authorize(&actor).await?).await?;
            if json {
                return print_json(&json!({"items": domains}));
            }
            print_table(
                &["domain", "proven", "by"],
                domains
                    .iter()
                    .map(|d| {
                        vec![
                            d.domain.clone(),
                            d.verified_at.map(|t| t.to_string()).unwrap_or_else(|| "no".into()),
                            d.verified_by.clone().unwrap_or_default(),
                        ]
                    })
                    .collect(),
            );
        }
        DomainCommand::Remove { org, domain } => {
            let actor = svc.system_actor(&org).await?;
            let removed = svc.remove_sso_domain(svc.authorize(&actor).await?, &domain).await?;
            if json {
                return print_json(&json!({"removed": removed}));
            }
            println!("{}", if removed { "removed" } else { "not claimed" });
        }
    }
    Ok(())
}

fn show(json: bool, c: &roster_service::sso::SsoConnectionView) -> anyhow::Result<()> {
    if json {
        return print_json(c);
    }
    println!("Provider:         {}", c.provider.name);
    println!("Issuer:           {}", c.issuer);
    println!("Client id:        {}", c.client_id);
    println!("Client secret:    {}", c.client_secret);
    println!("Scopes:           {}", c.scopes.join(" "));
    println!(
        "Claims:           e-mail {}, first name {}, last name {}",
        c.email_claim, c.first_name_claim, c.last_name_claim
    );
    println!("Groups claim:     {}", c.groups_claim);
    println!("Just-in-time:     {}", if c.jit { "on" } else { "off" });
    println!(
        "Required:         {}",
        if c.required {
            "yes (members sign in only through the provider)"
        } else {
            "no"
        }
    );
    println!("Redirect URI:     {}   (register this at the provider)", c.redirect_uri);
    println!("Authorization:    {}", c.provider.authorization_endpoint);
    println!(
        "Token endpoint:   {} ({})",
        c.provider.token_endpoint, c.provider.client_authentication
    );
    println!("Algorithms:       {}", c.provider.algorithms.join(", "));
    println!(
        "Tested:           {}",
        c.tested_at.map(|t| t.to_string()).unwrap_or_else(|| "never".into())
    );
    Ok(())
}
