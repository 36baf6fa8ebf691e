//! A SCIM User (canonical JSON) as the member it describes: Roster's
//! fields checked by the same rules as every other door (an e-mail is an
//! e-mail, a name is one line of at most 100 characters), the directory's
//! other attributes kept as sent.

use roster_domain::{CustomFieldKind, Email, InvalidInput, Role, SeatType, SingleLine, UserName};
use roster_scim::schema::{ENTERPRISE_USER, ROSTER_USER};
use roster_scim::ScimError;
use roster_store::{CustomFieldRecord, DirectoryFields, DirectoryMember, MemberFields};
use serde_json::{Map, Value};

use super::user_doc::main_index;
use crate::{ServiceError, ServiceResult};

/// What a User says a member is.
#[derive(Debug, Clone)]
pub(crate) struct UserState {
    pub fields: MemberFields,
    pub role: Role,
    pub directory: DirectoryFields,
    /// The keys of the user's e-mail addresses other than the member's.
    pub other_email_keys: Vec<String>,
    pub active: bool,
}

/// An input problem in SCIM's terms: `invalidValue`, naming the attribute.
fn invalid(at: &str, e: InvalidInput) -> ServiceError {
    ScimError::invalid_value(format!("{at}: {}", e.message)).into()
}

fn text<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    map.get(key).and_then(Value::as_str)
}

fn line(at: &str, raw: Option<&str>, max: usize) -> ServiceResult<String> {
    match raw {
        None => Ok(String::new()),
        Some(raw) => Ok(SingleLine::parse(at, raw, max)
            .map_err(|e| invalid(at, e))?
            .into_string()),
    }
}

/// Reads a User. `old` is the member it replaces (PUT, PATCH), whose
/// Roster-only fields (comment, location, skills) stay.
pub(crate) fn ingest(
    doc: &Map<String, Value>,
    old: Option<&DirectoryMember>,
    defs: &[CustomFieldRecord],
) -> ServiceResult<UserState> {
    let user_name = match text(doc, "userName") {
        Some(raw) => UserName::parse(raw).map_err(|e| invalid("userName", e))?,
        None => return Err(ScimError::invalid_value("userName is required").into()),
    };
    let mut fields = match old {
        Some(old) => old.member.fields(),
        None => MemberFields::blank(&Role::READER.to_string()),
    };
    let mut extra = Map::new();

    // E-mail: the main value of `emails`, else a userName that is an address.
    let emails: Vec<Value> = doc.get("emails").and_then(Value::as_array).cloned().unwrap_or_default();
    let main = main_index(&emails);
    let email = match main {
        Some(i) => {
            let raw = emails[i].get("value").and_then(Value::as_str).unwrap_or_default();
            Email::parse(raw).map_err(|e| invalid(&format!("emails[{i}].value"), e))?
        }
        None => Email::parse(user_name.as_str()).map_err(|_| {
            ServiceError::from(ScimError::invalid_value(
                "emails: a user needs an e-mail address (in emails, or as a userName that is one)",
            ))
        })?,
    };
    let mut other_email_keys = Vec::new();
    for (i, e) in emails.iter().enumerate() {
        if Some(i) == main {
            continue;
        }
        let raw = e.get("value").and_then(Value::as_str).unwrap_or_default();
        let parsed = Email::parse(raw).map_err(|err| invalid(&format!("emails[{i}].value"), err))?;
        if parsed.normalized() != email.normalized() {
            other_email_keys.push(parsed.normalized().to_owned());
        }
    }
    if !emails.is_empty() {
        extra.insert("emails".into(), Value::Array(emails));
    }
    fields.email = email.as_str().to_owned();
    fields.email_normalized = email.normalized().to_owned();

    let name = doc.get("name").and_then(Value::as_object).cloned().unwrap_or_default();
    fields.first_name = line("name.givenName", text(&name, "givenName"), 100)?;
    fields.last_name = line("name.familyName", text(&name, "familyName"), 100)?;
    let rest: Map<String, Value> = name
        .into_iter()
        .filter(|(k, _)| k != "givenName" && k != "familyName")
        .collect();
    if !rest.is_empty() {
        extra.insert("name".into(), Value::Object(rest));
    }
    let display_name = line("displayName", text(doc, "displayName"), 256)?;
    for key in [
        "nickName",
        "profileUrl",
        "title",
        "userType",
        "preferredLanguage",
        "locale",
        "timezone",
        "ims",
        "photos",
        "addresses",
    ] {
        if let Some(v) = doc.get(key) {
            extra.insert(key.into(), v.clone());
        }
    }
    let phones: Vec<Value> = doc
        .get("phoneNumbers")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    fields.phone = match main_index(&phones) {
        Some(i) => line(
            &format!("phoneNumbers[{i}].value"),
            phones[i].get("value").and_then(Value::as_str),
            100,
        )?,
        None => String::new(),
    };
    if !phones.is_empty() {
        extra.insert("phoneNumbers".into(), Value::Array(phones));
    }

    let enterprise = doc
        .get(ENTERPRISE_USER)
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    fields.personal_id = match text(&enterprise, "employeeNumber") {
        Some(raw) => {
            let id = line("employeeNumber", Some(raw), 200)?;
            if id.is_empty() {
                fields.email.clone()
            } else {
                id
            }
        }
        None => fields.email.clone(),
    };
    fields.department = line("department", text(&enterprise, "department"), 500)?;
    let kept: Map<String, Value> = enterprise.into_iter().filter(|(k, _)| k != "department").collect();
    if !kept.is_empty() {
        extra.insert(ENTERPRISE_USER.into(), Value::Object(kept));
    }

    let active = match doc.get("active") {
        Some(Value::Bool(b)) => *b,
        _ => old.is_none_or(|o| o.member.status != roster_domain::MemberStatus::Deactivated.as_str()),
    };

    let roster = doc
        .get(ROSTER_USER)
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    // Unassigned is reader (a PUT that does not name Roster's extension
    // keeps it as it was: the caller puts the current one in).
    let role = match text(&roster, "role") {
        Some(raw) => Role::parse(raw).map_err(|e| invalid("role", e))?,
        None => Role::READER,
    };
    // A role the directory named (even reader) is returned as named; one it
    // left unassigned is reader, and not returned.
    if roster.contains_key("role") {
        extra.insert(super::user_doc::ROLE_GIVEN.into(), Value::Bool(true));
    }
    fields.role = role.to_string();
    fields.seat_type = match text(&roster, "seatType") {
        Some(raw) => Some(
            SeatType::parse(raw)
                .map_err(|e| invalid("seatType", e))?
                .as_str()
                .to_owned(),
        ),
        None => None,
    };
    let mut custom = Map::new();
    for def in defs {
        if def.key.eq_ignore_ascii_case("role") || def.key.eq_ignore_ascii_case("seatType") {
            // Not in the schema: an admin's value stays.
            if let Some(v) = fields.custom_fields.get(&def.key) {
                custom.insert(def.key.clone(), v.clone());
            }
            continue;
        }
        let raw = match roster.get(&def.key) {
            None | Some(Value::Null) => continue,
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::Bool(b)) => if *b { "yes" } else { "no" }.to_owned(),
            Some(_) => return Err(ScimError::invalid_value(format!("{}: must be a single value", def.key)).into()),
        };
        let kind = CustomFieldKind::parse(&def.kind, &def.choices)?;
        let checked = kind.check(&def.key, &raw).map_err(|e| invalid(&def.key, e))?;
        if !checked.is_empty() {
            custom.insert(def.key.clone(), Value::String(checked));
        }
    }
    fields.custom_fields = Value::Object(custom);

    let external_id = match text(doc, "externalId") {
        Some(raw) => Some(line("externalId", Some(raw), 256)?).filter(|s| !s.is_empty()),
        None => None,
    };
    let directory = DirectoryFields {
        directory: true,
        user_name_key: Some(user_name.key().to_owned()),
        user_name: Some(user_name.as_str().to_owned()),
        external_id,
        display_name,
        attributes: Value::Object(extra),
        role_before_groups: old.and_then(|o| o.directory.role_before_groups.clone()),
    };
    Ok(UserState {
        fields,
        role,
        directory,
        other_email_keys,
        active,
    })
}
