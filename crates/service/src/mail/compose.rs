//! An outbox row as the bytes that go over SMTP: lettre's builder writes
//! the headers (encoded, so no value can start a header of its own) and the
//! two parts, plain text first.

use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::{Address, Message};
use roster_store::MessageRecord;

use super::smtp::SendFailure;

fn refused(what: &str, e: impl std::fmt::Display) -> SendFailure {
    SendFailure {
        permanent: true,
        reason: format!("{what}: {e}"),
    }
}

/// The message's envelope recipient and its bytes.
pub fn compose(message: &MessageRecord, from: &Mailbox) -> Result<(Address, Vec<u8>), SendFailure> {
    let to: Address = message
        .to_address
        .parse()
        .map_err(|e| refused("the recipient's address", e))?;
    // The sender's name, beside Roster's own address (which is what servers check).
    let name = match (message.from_name.trim(), from.name.as_deref()) {
        ("", name) => name.map(str::to_owned),
        (sender, Some(service)) => Some(format!("{sender} via {service}")),
        (sender, None) => Some(format!("{sender} via Roster")),
    };
    let mut builder = Message::builder()
        .from(Mailbox::new(name, from.email.clone()))
        .to(Mailbox::new(None, to.clone()))
        .subject(message.subject.as_str())
        .message_id(Some(message.message_id.clone()))
        .date_now();
    if !message.reply_to.is_empty() {
        let reply_to: Address = message
            .reply_to
            .parse()
            .map_err(|e| refused("the reply-to address", e))?;
        builder = builder.reply_to(Mailbox::new(
            Some(message.from_name.clone()).filter(|n| !n.is_empty()),
            reply_to,
        ));
    }
    let body = MultiPart::alternative()
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_PLAIN)
                .body(message.body_text.clone()),
        )
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_HTML)
                .body(message.body_html.clone()),
        );
    let built = builder.multipart(body).map_err(|e| refused("the message", e))?;
    Ok((to, built.formatted()))
}
