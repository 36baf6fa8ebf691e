//! `roster member bulk`: one change for many members, as the member list's
//! bulk actions and the API's `members/bulk` make it (the service changes
//! each member in a transaction of its own and says what happened to each).

use std::io::Read;
use std::path::PathBuf;

use anyhow::Context;
use clap::{ArgGroup, Args};
use roster_service::{BulkChange, BulkOutcome, BulkRequest, Service};

use crate::output::{print_json, print_table};

#[derive(Args)]
#[command(group(ArgGroup::new("change").required(true).args(["set_role", "set_seat", "add_to_team", "remove"])))]
pub struct BulkArgs {
    /// The organization's slug.
    #[arg(long)]
    org: String,
    /// Member ids; with `--ids-from`, more are read from a file (`-` for
    /// standard input), separated by commas, spaces or lines.
    ids: Vec<i64>,
    #[arg(long, value_name = "FILE")]
    ids_from: Option<PathBuf>,
    /// Give them this role (`reader`, `custom:auditor`, …).
    #[arg(long, value_name = "ROLE")]
    set_role: Option<String>,
    /// Give them this seat type; an empty value takes their seats away.
    #[arg(long, value_name = "SEAT")]
    set_seat: Option<String>,
    /// Add them to this team.
    #[arg(long, value_name = "TEAM_ID")]
    add_to_team: Option<i64>,
    /// Remove them (their content stays with their removed memberships).
    #[arg(long)]
    remove: bool,
}

impl BulkArgs {
    fn change(&self) -> BulkChange {
        if let Some(role) = &self.set_role {
            BulkChange::SetRole { role: role.clone() }
        } else if let Some(seat_type) = &self.set_seat {
            BulkChange::SetSeat {
                seat_type: seat_type.clone(),
            }
        } else if let Some(team_id) = self.add_to_team {
            BulkChange::AddToTeam { team_id }
        } else {
            BulkChange::Remove
        }
    }

    fn ids(&self) -> anyhow::Result<Vec<i64>> {
        let mut ids = self.ids.clone();
        if let Some(path) = &self.ids_from {
            let mut text = String::new();
            if path.as_os_str() == "-" {
                std::io::stdin()
                    .read_to_string(&mut text)
                    .context("cannot read ids from standard input")?;
            } else {
                text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
            }
            for word in text
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|w| !w.is_empty())
            {
                ids.push(word.parse().with_context(|| format!("{word:?} is not a member id"))?);
            }
        }
        Ok(ids)
    }
}

/// Exit code 0 when every member was changed, 3 when some were refused (as
/// an import with failed rows), 1 when the service stopped part-way.
pub async fn run(svc: &Service, json: bool, args: BulkArgs) -> anyhow::Result<u8> {
    let actor = svc.system_actor(&args.org).await?;
    let request = BulkRequest {
        member_ids: args.ids()?,
        change: args.change(),
    };
    let outcome = svc.bulk_change_members(&actor, request).await?;
    if json {
        print_json(&outcome)?;
    } else {
        print_outcome(&outcome);
    }
    Ok(if outcome.stopped.is_some() {
        1
    } else if !outcome.refused.is_empty() {
        3
    } else {
        0
    })
}

fn print_outcome(outcome: &BulkOutcome) {
    println!("{}", outcome.summary());
    if !outcome.refused.is_empty() {
        print_table(
            &["member", "code", "why"],
            outcome
                .refused
                .iter()
                .map(|r| vec![r.member_id.to_string(), r.code.clone(), r.message.clone()])
                .collect(),
        );
    }
    if let Some(why) = &outcome.stopped {
        let rest: Vec<String> = outcome.not_attempted.iter().map(i64::to_string).collect();
        eprintln!("stopped: {why}; not tried: {}", rest.join(" "));
    }
}
