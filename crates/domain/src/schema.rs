//! JSON Schemas of the domain's values, for the API's OpenAPI document. Each
//! says what the value's parser accepts — no more, so that a client that
//! checks its requests against the document is not refused for their form.
//!
//! Patterns are written for both dialects that read them: ECMA-262 (the
//! document's own) and Python's `re` (the fuzzer that generates requests
//! from it): plain classes and escapes, no `\p{…}`.

use std::borrow::Cow;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};

use crate::{Language, MemberStatus, Permission, Role, SeatType, TeamRole, Timestamp};

/// Characters a one-line text never holds: controls, line separators,
/// bidirectional controls and zero-width characters (`forbidden_char`).
macro_rules! forbidden {
    () => {
        r"\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
    };
}

/// What `str::trim` takes off both ends (Unicode's White_Space), spelled
/// out: Python's `\s` also matches some controls that Rust keeps.
macro_rules! space {
    () => {
        r"\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
    };
}

/// One line of text (spaces around it are trimmed): no control or
/// invisible character.
pub const SINGLE_LINE: &str = concat!("^[", space!(), "]*[^", forbidden!(), "]*[", space!(), "]*$");

/// One line of text with at least one character that is not a space.
pub const REQUIRED_LINE: &str = concat!(
    "^[",
    space!(),
    "]*[^",
    forbidden!(),
    "]*[^",
    space!(),
    forbidden!(),
    "][^",
    forbidden!(),
    "]*[",
    space!(),
    "]*$"
);

/// Free text: lines (LF, CR, tabs) of text without other controls or
/// invisible characters.
pub const FREE_TEXT: &str = concat!(
    "^[",
    space!(),
    r"]*[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]*[",
    space!(),
    "]*$"
);

/// An organization's description: lines, no other control characters.
pub const DESCRIPTION: &str = concat!(
    "^[",
    space!(),
    r"]*[^\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]*[",
    space!(),
    "]*$"
);

/// A seat type as requests name it (any case), or nothing for no seat.
pub const SEAT_OR_NONE: &str = concat!(
    "^[",
    space!(),
    "]*([Pp][Oo][Ww][Ee][Rr]|[Cc][Aa][Ss][Uu][Aa][Ll])?[",
    space!(),
    "]*$"
);

/// An organization's slug: 2 to 63 of a-z, 0-9 and `-`, starting with a
/// letter, not ending with `-`.
pub const SLUG: &str = concat!("^[", space!(), "]*[a-z][a-z0-9-]{0,61}[a-z0-9][", space!(), "]*$");

/// A colour like `#1f6feb`.
pub const COLOR: &str = concat!("^[", space!(), "]*#[0-9A-Fa-f]{6}[", space!(), "]*$");

/// An https:// URL or a path on this server, or nothing.
pub const LOGO_URL: &str = concat!(
    "^[",
    space!(),
    "]*((https://|/)[^",
    forbidden!(),
    "]*)?[",
    space!(),
    "]*$"
);

/// An e-mail address as the document promises it: ASCII, one `@`, at most
/// three dot-separated words before it and two to four labels after it.
/// Roster takes more (longer local parts, internationalized addresses like
/// `jürgen@müller.de`, spaces around); what this allows it always takes.
pub const EMAIL: &str = concat!(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,20}(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,20}){0,2}",
    r"@[A-Za-z0-9]([A-Za-z0-9-]{0,20}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,20}[A-Za-z0-9])?){1,3}$"
);

/// A custom field's or custom role's key.
pub const KEY: &str = concat!("^[", space!(), "]*[a-z][a-z0-9_]{0,39}[", space!(), "]*$");

/// A role as requests name it: a built-in one or `custom:<key>`.
pub const ROLE: &str = concat!(
    "^[",
    space!(),
    "]*(owner|admin|division_admin|collaborator|reader|custom:[a-z][a-z0-9_]{0,39})[",
    space!(),
    "]*$"
);

fn strings(name: &'static str, values: &[&str], description: &str) -> (Cow<'static, str>, Schema) {
    (
        name.into(),
        json_schema!({"type": "string", "enum": values, "description": description}),
    )
}

macro_rules! schema_of {
    ($type:ty, $name:literal, |$generator:ident| $body:expr) => {
        impl JsonSchema for $type {
            fn schema_name() -> Cow<'static, str> {
                $name.into()
            }

            fn json_schema($generator: &mut SchemaGenerator) -> Schema {
                $body
            }
        }
    };
}

schema_of!(MemberStatus, "MemberStatus", |_g| {
    let names: Vec<&str> = MemberStatus::ALL.iter().map(|s| s.as_str()).collect();
    strings("MemberStatus", &names, "Where a member stands.").1
});

schema_of!(SeatType, "SeatType", |_g| {
    let names: Vec<&str> = SeatType::ALL.iter().map(|s| s.as_str()).collect();
    strings("SeatType", &names, "A kind of paid seat.").1
});

schema_of!(Language, "Language", |_g| {
    let names: Vec<&str> = Language::ALL.iter().map(|l| l.as_str()).collect();
    strings("Language", &names, "A language of Roster's mail and pages.").1
});

schema_of!(TeamRole, "TeamRole", |_g| {
    strings("TeamRole", &["member", "lead"], "A member's role inside one team.").1
});

schema_of!(Permission, "Permission", |_g| {
    let names: Vec<&str> = Permission::ALL.iter().map(|p| p.as_str()).collect();
    strings("Permission", &names, "One thing a role allows.").1
});

schema_of!(Role, "Role", |_g| json_schema!({
    "type": "string",
    "pattern": ROLE,
    "description": "owner, admin, division_admin, collaborator, reader, or custom:<key> for a custom role.",
}));

schema_of!(Timestamp, "Timestamp", |_g| json_schema!({
    "type": "string",
    "format": "date-time",
    "description": "RFC 3339, UTC.",
}));
