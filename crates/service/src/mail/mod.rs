//! Mail: templates, the outbox and its delivery over SMTP.
//!
//! A change that sends mail writes the message to the outbox in its own
//! transaction ([`queue_message`]); the [`MailWorker`] delivers it. Without
//! an SMTP server configured, messages wait in the outbox (or, for
//! `roster serve --demo`, go to the log with their links).

mod compose;
mod marks;
pub(crate) use compose::compose;
pub mod smtp;
pub(crate) mod templates;
mod words;
mod worker;

use lettre::message::Mailbox;
use roster_domain::now_millis;
use roster_store::{insert_message, Conn, NewMessageRow};

pub use smtp::{SendFailure, SmtpConnection, SmtpTarget, TlsMode};
pub use templates::Rendered;
pub use worker::MailWorker;

use crate::{Service, ServiceResult};

/// Where messages go.
#[derive(Debug, Clone)]
pub enum Delivery {
    /// To this SMTP server.
    Smtp(SmtpTarget),
    /// To the log, one line per message with its link (`serve --demo`
    /// without SMTP): the message counts as sent.
    Log,
    /// Nowhere yet: messages wait in the outbox until a server is configured.
    Off,
}

/// How Roster sends mail.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// The URL people reach Roster at: every link in a message starts with
    /// it (never with a request's Host header).
    pub base_url: String,
    /// Roster's sender address; a message from a person shows their name beside it.
    pub from: Mailbox,
    pub delivery: Delivery,
    /// SMTP connections used at once.
    pub connections: usize,
    /// Messages an organization may send per hour; more wait for the next hour.
    pub per_org_per_hour: i64,
}

impl Default for MailConfig {
    fn default() -> Self {
        Self {
            base_url: "http://127.0.0.1:8080".into(),
            from: default_from(),
            delivery: Delivery::Off,
            connections: 1,
            per_org_per_hour: 10_000,
        }
    }
}

fn default_from() -> Mailbox {
    Mailbox::new(
        Some("Roster".into()),
        lettre::Address::new("roster", "localhost").unwrap_or_else(|_| unreachable!("a valid address")),
    )
}

/// Parses `Roster <roster@example.com>` or a bare address.
pub fn parse_from(raw: &str) -> Result<Mailbox, String> {
    raw.trim()
        .parse::<Mailbox>()
        .map_err(|e| format!("{raw:?} is not a sender address like \"Roster <roster@example.com>\": {e}"))
}

impl MailConfig {
    /// An absolute link: the base URL and a path.
    pub fn link(&self, path: &str) -> String {
        format!("{}{}", self.base_url.trim_end_matches('/'), path)
    }

    pub fn is_configured(&self) -> bool {
        !matches!(self.delivery, Delivery::Off)
    }
}

impl Service {
    /// The same service, sending mail this way.
    pub fn with_mail(mut self, config: MailConfig) -> Self {
        self.mail = std::sync::Arc::new(config);
        self
    }

    pub fn mail_config(&self) -> &MailConfig {
        &self.mail
    }

    /// Tells this process's mail senders that messages were committed, so
    /// that they need not wait for their next look at the outbox.
    pub(crate) fn wake_mail(&self) {
        self.mail_wake.notify_waiters();
    }
}

/// A message for the outbox.
pub(crate) struct Outgoing<'a> {
    pub org_id: Option<i64>,
    pub member_id: Option<i64>,
    pub invitation_id: Option<i64>,
    pub kind: &'a str,
    pub to: &'a str,
    pub from_name: &'a str,
    pub reply_to: &'a str,
    /// Held until the member is invited, whatever the member's status
    /// (`queue_message` holds any message but an invitation to an `added`
    /// member by itself).
    pub hold: bool,
    pub rendered: &'a Rendered,
}

/// Writes a message to the outbox on the caller's transaction.
pub(crate) async fn queue_message(conn: &mut Conn, config: &MailConfig, m: &Outgoing<'_>) -> ServiceResult<i64> {
    let host = url::Url::parse(&config.base_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "roster.localhost".into());
    let message_id = format!("<{}@{host}>", crate::new_secret("m").get(..33).unwrap_or("m"));
    // Nothing reaches a member before their invitation: any other message to
    // an `added` member waits until it is sent (`release_held_messages`).
    let mut hold = m.hold;
    if let (Some(org), Some(member), false) = (m.org_id, m.member_id, m.kind == "invitation") {
        let status = roster_store::member_by_id(conn, org, member).await?.map(|r| r.status);
        hold |= status.as_deref() == Some(roster_domain::MemberStatus::Added.as_str());
    }
    let row = NewMessageRow {
        org_id: m.org_id,
        member_id: m.member_id,
        invitation_id: m.invitation_id,
        kind: m.kind,
        state: if hold { "held" } else { "queued" },
        to_address: m.to,
        from_name: m.from_name,
        reply_to: m.reply_to,
        subject: &m.rendered.subject,
        body_text: &m.rendered.text,
        body_html: &m.rendered.html,
        message_id: &message_id,
    };
    Ok(insert_message(conn, &row, now_millis()).await?)
}
