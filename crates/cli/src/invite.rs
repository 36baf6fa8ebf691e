//! `roster invite`: send invitations (to members by e-mail or id, every
//! member in a status, or every member an import added), resend and revoke
//! them; `roster mail test|deliver`: check the SMTP settings, deliver the
//! outbox now.

use std::time::Duration;

use anyhow::bail;
use clap::{Args, Subcommand};
use roster_service::mail::MailWorker;
use roster_service::{
    InvitationOutcome, InvitationRequest, Invitees, Language, MemberListQuery, MemberStatus, Role, SeatType, SendWhen,
    Service,
};

use crate::config::link_base;
use crate::output::{print_json, print_table};
use crate::settings::Settings;

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct InviteArgs {
    #[command(subcommand)]
    command: Option<InviteCommand>,
    #[command(flatten)]
    send: SendArgs,
}

#[derive(Subcommand)]
enum InviteCommand {
    /// Resend invitations: a fresh link and lifetime, the old link dies
    /// (default: every member whose invitation expired).
    Resend(WhomArgs),
    /// Revoke invitations: the links die, the members return to added.
    Revoke(WhomArgs),
}

/// Whom: members by e-mail or id, every member in a status, or an import's.
#[derive(Args, Default)]
struct WhomArgs {
    /// The organization's slug (required).
    #[arg(long)]
    org: Option<String>,
    /// A member's e-mail (repeat for more).
    #[arg(long = "email", value_name = "EMAIL")]
    emails: Vec<String>,
    /// A member's id (repeat for more).
    #[arg(long = "id", value_name = "ID")]
    ids: Vec<i64>,
    /// Every member in this status (added, invitation_expired, invited).
    #[arg(long)]
    status: Option<String>,
    /// Every member this import added.
    #[arg(long, value_name = "IMPORT_ID")]
    import: Option<i64>,
}

impl WhomArgs {
    fn org(&self) -> anyhow::Result<&str> {
        self.org
            .as_deref()
            .ok_or_else(|| anyhow::anyhow!("--org SLUG is required"))
    }

    fn invitees(&self, default_status: Option<MemberStatus>) -> anyhow::Result<Invitees> {
        let given = [
            !self.emails.is_empty(),
            !self.ids.is_empty(),
            self.status.is_some(),
            self.import.is_some(),
        ]
        .iter()
        .filter(|g| **g)
        .count();
        if given > 1 {
            bail!("name the members one way: --email, --id, --status or --import");
        }
        Ok(if !self.emails.is_empty() {
            Invitees::Emails(self.emails.clone())
        } else if !self.ids.is_empty() {
            Invitees::Ids(self.ids.clone())
        } else if let Some(import) = self.import {
            Invitees::Import(import)
        } else {
            let status = match (&self.status, default_status) {
                (Some(s), _) => MemberStatus::parse(s)?,
                (None, Some(s)) => s,
                (None, None) => bail!("name the members: --email, --id, --status or --import"),
            };
            Invitees::Filter(MemberListQuery {
                status: Some(status),
                ..Default::default()
            })
        })
    }
}

#[derive(Args, Default)]
struct SendArgs {
    #[command(flatten)]
    whom: WhomArgs,
    /// Keep them added, to invite later (nothing is sent).
    #[arg(long)]
    later: bool,
    /// The role they get.
    #[arg(long)]
    role: Option<String>,
    /// The seat type they get (power, casual).
    #[arg(long)]
    seat_type: Option<String>,
    /// The mail's subject (default: "<organization> invites you").
    #[arg(long)]
    subject: Option<String>,
    /// A message of your own in the invitation.
    #[arg(long)]
    message: Option<String>,
    /// The mail's language: en, de, nl or fr (default: the organization's).
    #[arg(long)]
    language: Option<String>,
    /// Wait until the server has delivered the messages (a progress bar on a terminal).
    #[arg(long)]
    wait: bool,
}

/// 0: done; 3: some members were left out (as an import with failed rows).
pub async fn run(settings: &Settings, svc: &Service, json: bool, args: InviteArgs) -> anyhow::Result<u8> {
    if !matches!(args.command, Some(InviteCommand::Revoke(_))) {
        // Invitations carry links: refused before anything is written
        // when nobody knows where they should point.
        link_base(settings, svc).await?;
    }
    match args.command {
        Some(InviteCommand::Resend(whom)) => {
            let actor = svc.system_actor(whom.org()?).await?;
            let invitees = whom.invitees(Some(MemberStatus::InvitationExpired))?;
            let outcome = svc.resend_invitations(svc.authorize(&actor).await?, invitees).await?;
            report(json, &outcome)
        }
        Some(InviteCommand::Revoke(whom)) => {
            let actor = svc.system_actor(whom.org()?).await?;
            let revoked = svc
                .revoke_invitations(svc.authorize(&actor).await?, whom.invitees(None)?)
                .await?;
            if json {
                print_json(&serde_json::json!({ "revoked": revoked }))?;
            } else {
                println!("revoked {} invitations; their links no longer work", revoked.len());
            }
            Ok(0)
        }
        None => send(svc, json, args.send).await,
    }
}

async fn send(svc: &Service, json: bool, args: SendArgs) -> anyhow::Result<u8> {
    let actor = svc.system_actor(args.whom.org()?).await?;
    let request = InvitationRequest {
        send: if args.later { SendWhen::Later } else { SendWhen::Now },
        role: args.role.as_deref().map(Role::parse).transpose()?,
        seat_type: args.seat_type.as_deref().map(SeatType::parse).transpose()?,
        subject: args.subject.clone(),
        message: args.message.clone(),
        language: args.language.as_deref().map(Language::parse).transpose()?,
        ..InvitationRequest::new(args.whom.invitees(None)?)
    };
    let outcome = svc.invite(svc.authorize(&actor).await?, request).await?;
    if args.wait {
        if let Some(first) = outcome.first_message_id {
            wait_for_delivery(svc, &actor, first, outcome.invited.len() as u64, json).await?;
        }
    }
    report(json, &outcome)
}

/// Follows the messages until none waits; a bar on a terminal.
async fn wait_for_delivery(
    svc: &Service,
    actor: &roster_service::Actor,
    first: i64,
    total: u64,
    json: bool,
) -> anyhow::Result<()> {
    let bar = (!json && std::io::IsTerminal::is_terminal(&std::io::stderr())).then(|| {
        let style = indicatif::ProgressStyle::with_template("delivering [{bar:30}] {pos}/{len} messages, {elapsed}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> ");
        indicatif::ProgressBar::new(total).with_style(style)
    });
    if !svc.mail_config().is_configured() {
        eprintln!("note: no SMTP server is configured here; `roster serve` (or `roster mail deliver`) delivers them");
    }
    loop {
        let p = svc.delivery_progress(svc.authorize(actor).await?, first).await?;
        if let Some(bar) = &bar {
            bar.set_position((p.sent + p.failed) as u64);
        }
        if p.waiting == 0 {
            if let Some(bar) = bar {
                bar.finish_and_clear();
            }
            if p.failed > 0 {
                eprintln!(
                    "{} messages could not be delivered (see the members' pages or GET …/invitations)",
                    p.failed
                );
            }
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn report(json: bool, outcome: &InvitationOutcome) -> anyhow::Result<u8> {
    if json {
        print_json(outcome)?;
    } else {
        if outcome.kept.is_empty() {
            println!("invited {} members", outcome.invited.len());
        } else {
            println!("kept {} members added, to invite later", outcome.kept.len());
        }
        if !outcome.skipped.is_empty() {
            print_table(
                &["member", "e-mail", "left out because"],
                outcome
                    .skipped
                    .iter()
                    .map(|s| {
                        vec![
                            s.member_id.map(|i| i.to_string()).unwrap_or_default(),
                            s.email.clone(),
                            s.reason.clone(),
                        ]
                    })
                    .collect(),
            );
        }
    }
    Ok(if outcome.skipped.is_empty() { 0 } else { 3 })
}

#[derive(Subcommand)]
pub enum MailCommand {
    /// Send a test message straight to ADDRESS with the SMTP settings, and
    /// say how the server answered.
    Test {
        #[arg(long)]
        to: String,
    },
    /// Deliver every message due in the outbox now, then exit (what the
    /// server's worker does continuously).
    Deliver,
}

pub async fn mail(svc: &Service, json: bool, command: MailCommand) -> anyhow::Result<u8> {
    match command {
        MailCommand::Test { to } => match svc.mail_test(&to).await {
            Ok(how) => {
                if json {
                    print_json(&serde_json::json!({ "sent": true, "detail": how }))?;
                } else {
                    println!("{how}");
                }
                Ok(0)
            }
            Err(why) => bail!("the test message was not sent: {why}"),
        },
        MailCommand::Deliver => {
            if !svc.mail_config().is_configured() {
                bail!("no SMTP server is configured ([smtp] url in roster.toml, or ROSTER_SMTP_URL)");
            }
            let n = MailWorker::new(svc.clone()).run_once().await?;
            if json {
                print_json(&serde_json::json!({ "claimed": n }))?;
            } else {
                println!("{n} messages handled");
            }
            Ok(0)
        }
    }
}
