//! `roster scim token create|list|revoke`: the organization's SCIM tokens,
//! and the base URL to paste beside one into Entra ID or Okta.

use clap::Subcommand;
use roster_service::scim::NewScimToken;
use serde_json::json;

use crate::config::{link_base, open_service};
use crate::output::{print_json, print_table};
use crate::settings::Settings;

#[derive(Subcommand)]
pub enum ScimCommand {
    /// SCIM tokens: create (printed once, with the base URL), list, revoke.
    #[command(subcommand)]
    Token(ScimTokenCommand),
}

#[derive(Subcommand)]
pub enum ScimTokenCommand {
    /// Make a SCIM token for the organization's identity provider.
    Create {
        /// The organization's slug.
        #[arg(long)]
        org: String,
        /// What it is for, e.g. "Entra ID".
        #[arg(long)]
        name: Option<String>,
        /// Days until it stops working (default: until revoked).
        #[arg(long, value_name = "DAYS")]
        expires_in: Option<i64>,
    },
    /// The organization's SCIM tokens (never their secrets).
    List {
        #[arg(long)]
        org: String,
    },
    /// Revoke a SCIM token: the identity provider can no longer provision.
    Revoke {
        #[arg(long)]
        org: String,
        id: i64,
    },
}

/// Where SCIM lives for this instance (see `config::link_base`).
async fn scim_base(settings: &Settings, svc: &roster_service::Service) -> anyhow::Result<String> {
    Ok(format!(
        "{}/scim/v2",
        link_base(settings, svc).await?.trim_end_matches('/')
    ))
}

pub async fn run(settings: &Settings, json: bool, cmd: ScimCommand) -> anyhow::Result<()> {
    let svc = open_service(settings).await?;
    let ScimCommand::Token(cmd) = cmd;
    match cmd {
        ScimTokenCommand::Create { org, name, expires_in } => {
            // Before the token is made: without a URL to paste it is of no use.
            let base = scim_base(settings, &svc).await?;
            let actor = svc.system_actor(&org).await?;
            let created = svc
                .create_scim_token(
                    svc.authorize(&actor).await?,
                    NewScimToken {
                        name,
                        expires_in_days: expires_in,
                    },
                )
                .await?;
            if json {
                return print_json(&json!({"token": created.token, "base_url": base, "record": created.record}));
            }
            println!("SCIM base URL: {base}");
            println!("Token:         {}", created.token);
            let expiry = match created.record.expires_at {
                Some(at) => format!("expires {at}"),
                None => "works until revoked".into(),
            };
            eprintln!(
                "(SCIM token {} \"{}\", {expiry}; the token is shown only now: paste both into the identity provider's provisioning page)",
                created.record.id, created.record.name
            );
        }
        ScimTokenCommand::List { org } => {
            let actor = svc.system_actor(&org).await?;
            let tokens = svc.scim_tokens(svc.authorize(&actor).await?).await?;
            let base = scim_base(settings, &svc).await?;
            if json {
                return print_json(&json!({"base_url": base, "items": tokens}));
            }
            println!("SCIM base URL: {base}");
            let time = |t: Option<roster_service::Timestamp>| t.map(|t| t.to_string()).unwrap_or_default();
            print_table(
                &["id", "name", "created", "last used", "expires", "revoked"],
                tokens
                    .iter()
                    .map(|t| {
                        vec![
                            t.id.to_string(),
                            t.name.clone(),
                            t.created_at.to_string(),
                            time(t.last_used_at),
                            time(t.expires_at),
                            time(t.revoked_at),
                        ]
                    })
                    .collect(),
            );
        }
        ScimTokenCommand::Revoke { org, id } => {
            let actor = svc.system_actor(&org).await?;
            svc.revoke_scim_token(svc.authorize(&actor).await?, id).await?;
            if json {
                return print_json(&json!({"revoked": id}));
            }
            println!("SCIM token {id} revoked");
        }
    }
    Ok(())
}
