//! Invitations and the messages sent for them, as the service shows them.

use roster_domain::{Language, Role, SeatType, Timestamp};
use roster_store::{InvitationRecord, MessageRecord};
use serde::Serialize;

use crate::ServiceResult;

/// One invitation (one link) of a member.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(rename = "Invitation")]
pub struct InvitationView {
    pub id: i64,
    pub member_id: i64,
    /// pending, accepted, revoked, replaced or expired.
    pub state: String,
    pub state_label: String,
    pub role: Role,
    pub seat_type: Option<SeatType>,
    pub language: Language,
    /// Who sent it, as the audit log names them.
    pub created_by: String,
    pub sender_name: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub ended_at: Option<Timestamp>,
    /// A seat reassignment: the member whose seat it takes.
    pub reassign_from: Option<i64>,
    /// The messages sent for it, newest first.
    pub messages: Vec<MessageView>,
}

impl InvitationView {
    pub(crate) fn new(r: InvitationRecord, messages: Vec<MessageView>) -> ServiceResult<Self> {
        Ok(Self {
            id: r.id,
            member_id: r.member_id,
            state_label: invitation_state_label(&r.state).to_owned(),
            state: r.state,
            role: Role::parse(&r.role)?,
            seat_type: r.seat_type.as_deref().map(SeatType::parse).transpose()?,
            language: Language::parse(&r.language).unwrap_or_default(),
            created_by: r.created_by,
            sender_name: r.sender_name,
            created_at: Timestamp::from_millis(r.created_at),
            expires_at: Timestamp::from_millis(r.expires_at),
            ended_at: r.ended_at.map(Timestamp::from_millis),
            reassign_from: r.reassign_from,
            messages,
        })
    }
}

fn invitation_state_label(state: &str) -> &'static str {
    match state {
        "pending" => "Pending",
        "accepted" => "Accepted",
        "revoked" => "Revoked",
        "replaced" => "Replaced by a newer invitation",
        "expired" => "Expired",
        _ => "Unknown",
    }
}

/// One message in the outbox, and how its delivery stands.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(rename = "Message")]
pub struct MessageView {
    pub id: i64,
    /// invitation, password_reset, test, …
    pub kind: String,
    /// held, queued, sending, sent or failed.
    pub state: String,
    pub state_label: String,
    pub to: String,
    pub subject: String,
    pub attempts: i64,
    pub created_at: Timestamp,
    pub sent_at: Option<Timestamp>,
    /// When it is tried again (queued after a passing failure).
    pub next_attempt_at: Option<Timestamp>,
    /// The mail server's reply to the last attempt that failed, or why it could not be reached.
    pub last_error: Option<String>,
}

impl From<MessageRecord> for MessageView {
    fn from(r: MessageRecord) -> Self {
        let state_label = match r.state.as_str() {
            "held" => "Held until the invitation",
            "queued" if r.attempts > 0 => "Queued for another attempt",
            "queued" => "Queued",
            "sending" => "Sending",
            "sent" => "Sent",
            "failed" => "Failed",
            _ => "Unknown",
        };
        Self {
            id: r.id,
            kind: r.kind,
            state_label: state_label.to_owned(),
            next_attempt_at: (r.state == "queued" && r.attempts > 0).then(|| Timestamp::from_millis(r.next_attempt_at)),
            state: r.state,
            to: r.to_address,
            subject: r.subject,
            attempts: r.attempts,
            created_at: Timestamp::from_millis(r.created_at),
            sent_at: r.sent_at.map(Timestamp::from_millis),
            last_error: r.last_error,
        }
    }
}

/// A page of the organization's invitations.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct InvitationPage {
    pub items: Vec<InvitationView>,
    /// Pass as `before` for the next page.
    pub next_before: Option<i64>,
}
