//! Roster's mail as HTML and plain text: askama templates (`templates/mail/`)
//! with a shared header (the organization's name, logo and accent colour)
//! and footer, in the organization's language or the one an invitation asks for.

use askama::Template;
use roster_domain::{AccentColor, Language};
use roster_store::OrgRecord;

use super::words::{words, Words};
use crate::{ServiceError, ServiceResult};

/// A message ready for the outbox.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The organization's design, as its mail shows it.
#[derive(Debug, Clone)]
pub(crate) struct Design {
    pub org_name: String,
    pub accent: String,
    pub on_accent: &'static str,
    pub logo_url: Option<String>,
}

impl Design {
    /// Roster's own design, for mail that belongs to no one organization.
    pub fn roster() -> Self {
        Self {
            org_name: "Roster".into(),
            accent: "#1f6feb".into(),
            on_accent: "#ffffff",
            logo_url: None,
        }
    }

    pub fn of(org: &OrgRecord) -> Self {
        // A stored colour is valid; a damaged one gets Roster's own blue.
        let (accent, on_accent) = match AccentColor::parse(&org.accent_color) {
            Ok(color) => (color.as_str().to_owned(), color.ink()),
            Err(_) => ("#1f6feb".to_owned(), "#ffffff"),
        };
        Self {
            org_name: org.name.clone(),
            on_accent,
            accent,
            // Only an absolute https address works in a mail client.
            logo_url: Some(org.logo_url.clone()).filter(|u| u.starts_with("https://")),
        }
    }
}

/// What an invitation says.
pub(crate) struct InvitationText<'a> {
    pub first_name: &'a str,
    pub sender: &'a str,
    /// The admin's own subject; empty for the default.
    pub subject: &'a str,
    /// The admin's own message; may be empty.
    pub message: &'a str,
    pub link: &'a str,
    pub expires_at: i64,
    /// The organization signs its members in only through this identity
    /// provider: the button says so.
    pub sso_provider: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "mail/invitation.html")]
struct InvitationHtml<'a> {
    language: &'a str,
    subject: &'a str,
    design: &'a Design,
    footer: &'a str,
    hello: &'a str,
    invites_you: &'a str,
    message_intro: &'a str,
    message: &'a str,
    accept: &'a str,
    link: &'a str,
    expires: &'a str,
    link_fallback: &'a str,
    not_expected: &'a str,
}

#[derive(Template)]
#[template(path = "mail/invitation.txt")]
struct InvitationTxt<'a> {
    footer: &'a str,
    hello: &'a str,
    invites_you: &'a str,
    message_intro: &'a str,
    message: &'a str,
    accept: &'a str,
    link: &'a str,
    expires: &'a str,
    not_expected: &'a str,
}

#[derive(Template)]
#[template(path = "mail/notice.html")]
struct NoticeHtml<'a> {
    language: &'a str,
    subject: &'a str,
    design: &'a Design,
    footer: &'a str,
    paragraphs: &'a [String],
    link: Option<&'a str>,
    button: &'a str,
    link_fallback: &'a str,
    notes: &'a [String],
}

#[derive(Template)]
#[template(path = "mail/notice.txt")]
struct NoticeTxt<'a> {
    footer: &'a str,
    paragraphs: &'a [String],
    link: Option<&'a str>,
    button: &'a str,
    notes: &'a [String],
}

fn fill(text: &str, org: &str, sender: &str, name: &str, date: &str) -> String {
    text.replace("{org}", org)
        .replace("{sender}", sender)
        .replace("{name}", name)
        .replace("{date}", date)
}

/// `2026-12-26 16:00`.
fn date(millis: i64) -> String {
    let full = roster_domain::format_rfc3339(millis);
    full.get(..16).unwrap_or(&full).replace('T', " ")
}

fn render_error(e: askama::Error) -> ServiceError {
    ServiceError::Internal(Box::new(e))
}

pub(crate) fn invitation(design: &Design, language: Language, i: &InvitationText<'_>) -> ServiceResult<Rendered> {
    let w: &Words = words(language);
    let org = design.org_name.as_str();
    let expiry = date(i.expires_at);
    let f = |t: &str| fill(t, org, i.sender, i.first_name, &expiry);
    // The organization inviting in its own name says so once, not twice.
    let from_org = i.sender == org;
    let subject = if i.subject.trim().is_empty() {
        f(if from_org {
            w.invitation_subject_org
        } else {
            w.invitation_subject
        })
    } else {
        i.subject.trim().to_owned()
    };
    let hello = if i.first_name.trim().is_empty() {
        w.hello_nameless.to_owned()
    } else {
        f(w.hello)
    };
    let invites_you = f(if from_org { w.org_invites_you } else { w.invites_you });
    let (message_intro, expires, footer) = (f(w.personal_message), f(w.expires), f(w.footer));
    let accept = match i.sso_provider {
        Some(provider) => w.sign_in_with.replace("{provider}", provider),
        None => w.accept.to_owned(),
    };
    let html = InvitationHtml {
        language: language.as_str(),
        subject: &subject,
        design,
        footer: &footer,
        hello: &hello,
        invites_you: &invites_you,
        message_intro: &message_intro,
        message: i.message.trim(),
        accept: &accept,
        link: i.link,
        expires: &expires,
        link_fallback: w.link_fallback,
        not_expected: w.not_expected,
    }
    .render()
    .map_err(render_error)?;
    let text = InvitationTxt {
        footer: &footer,
        hello: &hello,
        invites_you: &invites_you,
        message_intro: &message_intro,
        message: i.message.trim(),
        accept: &accept,
        link: i.link,
        expires: &expires,
        not_expected: w.not_expected,
    }
    .render()
    .map_err(render_error)?;
    Ok(Rendered { subject, text, html })
}

/// A message with a few paragraphs, perhaps a button, and notes.
pub(crate) struct Notice<'a> {
    pub subject: String,
    pub paragraphs: Vec<String>,
    pub link: Option<&'a str>,
    pub button: &'a str,
    pub notes: Vec<String>,
}

pub(crate) fn notice(design: &Design, language: Language, n: &Notice<'_>) -> ServiceResult<Rendered> {
    let w = words(language);
    let footer = fill(w.footer, &design.org_name, "", "", "");
    let html = NoticeHtml {
        language: language.as_str(),
        subject: &n.subject,
        design,
        footer: &footer,
        paragraphs: &n.paragraphs,
        link: n.link,
        button: n.button,
        link_fallback: w.link_fallback,
        notes: &n.notes,
    }
    .render()
    .map_err(render_error)?;
    let text = NoticeTxt {
        footer: &footer,
        paragraphs: &n.paragraphs,
        link: n.link,
        button: n.button,
        notes: &n.notes,
    }
    .render()
    .map_err(render_error)?;
    Ok(Rendered {
        subject: n.subject.clone(),
        text,
        html,
    })
}

/// The password-reset message.
pub(crate) fn password_reset(design: &Design, language: Language, link: &str) -> ServiceResult<Rendered> {
    let w = words(language);
    notice(
        design,
        language,
        &Notice {
            subject: w.reset_subject.to_owned(),
            paragraphs: vec![w.reset_intro.to_owned()],
            link: Some(link),
            button: w.reset_button,
            notes: vec![w.reset_expires.to_owned(), w.reset_not_you.to_owned()],
        },
    )
}

/// "Your export is ready": a link to it (a sign-in is needed to download).
pub(crate) fn export_ready(
    design: &Design,
    language: Language,
    file_name: &str,
    link: &str,
    until: &str,
) -> ServiceResult<Rendered> {
    let w = words(language);
    notice(
        design,
        language,
        &Notice {
            subject: fill(w.export_subject, &design.org_name, "", file_name, ""),
            paragraphs: vec![fill(w.export_intro, &design.org_name, "", file_name, "")],
            link: Some(link),
            button: w.export_button,
            notes: vec![fill(w.export_until, &design.org_name, "", "", until)],
        },
    )
}

/// `roster mail test` and the console's "Send a test".
pub(crate) fn test_message(design: &Design, language: Language) -> ServiceResult<Rendered> {
    let w = words(language);
    notice(
        design,
        language,
        &Notice {
            subject: w.test_subject.to_owned(),
            paragraphs: vec![w.test_body.to_owned()],
            link: None,
            button: "",
            notes: Vec::new(),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn design() -> Design {
        Design {
            org_name: "Acme <Labs>".into(),
            accent: "#1f6feb".into(),
            on_accent: "#ffffff",
            logo_url: None,
        }
    }

    #[test]
    fn an_invitation_has_both_parts_in_the_language_asked_for() {
        let text = InvitationText {
            first_name: "Jürgen",
            sender: "Ada",
            subject: "",
            message: "Welcome <b>aboard</b>",
            link: "https://roster.example/invite/abc",
            expires_at: 0,
            sso_provider: None,
        };
        let r = invitation(&design(), Language::De, &text).unwrap();
        assert_eq!(r.subject, "Ada lädt Sie zu Acme <Labs> ein");
        assert!(r.text.contains("Hallo Jürgen,"));
        assert!(r.text.contains("Welcome <b>aboard</b>"), "plain text is not escaped");
        assert!(r.text.contains("https://roster.example/invite/abc"));
        assert!(r.html.contains("Welcome &#60;b&#62;aboard&#60;/b&#62;") || r.html.contains("Welcome &lt;b&gt;aboard"));
        assert!(r.html.contains("Acme &#60;Labs&#62;") || r.html.contains("Acme &lt;Labs&gt;"));
        assert!(r.html.contains("Einladung annehmen"));
        assert!(r.text.contains("1970-01-01 00:00"));
    }

    #[test]
    fn the_organization_inviting_in_its_own_name_is_named_once() {
        let text = InvitationText {
            first_name: "",
            sender: "Acme <Labs>",
            subject: "",
            message: "",
            link: "https://roster.example/invite/abc",
            expires_at: 0,
            sso_provider: None,
        };
        let r = invitation(&design(), Language::En, &text).unwrap();
        assert_eq!(r.subject, "You are invited to Acme <Labs>");
        assert!(
            r.text
                .starts_with("Hello,\n\nYou are invited to join Acme <Labs> on Roster."),
            "{}",
            r.text
        );
    }

    #[test]
    fn every_language_has_its_own_words() {
        let subjects: std::collections::HashSet<_> =
            Language::ALL.iter().map(|l| words(*l).invitation_subject).collect();
        assert_eq!(subjects.len(), Language::ALL.len());
    }
}
