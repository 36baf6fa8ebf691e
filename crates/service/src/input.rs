//! Member input as it arrives from any front door, and its parsing into
//! stored fields. Unknown keys are refused by the API layer; here every
//! value is checked and the first problem is reported with its field.

use roster_domain::{CustomFieldKind, Email, FreeText, InvalidInput, Role, SeatType, SingleLine};
use roster_store::{CustomFieldRecord, MemberFields};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::ServiceError;

/// A new member, or the changes to one (absent fields stay as they are).
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberInput {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub personal_id: Option<String>,
    pub comment: Option<String>,
    pub phone: Option<String>,
    pub location: Option<String>,
    pub skills: Option<String>,
    pub department: Option<String>,
    pub role: Option<String>,
    /// `power`, `casual`, or an empty string for no seat.
    pub seat_type: Option<String>,
    pub external: Option<bool>,
    pub custom_fields: Option<Map<String, Value>>,
    /// Only when adding: the team the new member joins, in the same
    /// transaction (needs `teams.manage` too). Changes of teams go through
    /// the team's members.
    pub team_id: Option<i64>,
}

const NAME_MAX: usize = 100;
const TEXT_MAX: usize = 500;

/// Applies `input` over `base` (empty for a new member) and checks the result.
pub(crate) fn parse_member(
    base: Option<MemberFields>,
    input: &MemberInput,
    fields: &[CustomFieldRecord],
) -> Result<(MemberFields, Role), ServiceError> {
    let creating = base.is_none();
    let mut f = base.unwrap_or_else(|| MemberFields::blank(&Role::READER.to_string()));
    let line = |field: &str, v: &Option<String>, max: usize, target: &mut String| -> Result<(), InvalidInput> {
        if let Some(v) = v {
            *target = SingleLine::parse(field, v, max)?.into_string();
        }
        Ok(())
    };
    // Free text keeps its line breaks; names and the like are one line.
    let text = |field: &str, v: &Option<String>, target: &mut String| -> Result<(), InvalidInput> {
        if let Some(v) = v {
            *target = FreeText::parse(field, v, TEXT_MAX)?.into_string();
        }
        Ok(())
    };
    line("first_name", &input.first_name, NAME_MAX, &mut f.first_name)?;
    line("last_name", &input.last_name, NAME_MAX, &mut f.last_name)?;
    text("comment", &input.comment, &mut f.comment)?;
    line("phone", &input.phone, NAME_MAX, &mut f.phone)?;
    text("location", &input.location, &mut f.location)?;
    text("skills", &input.skills, &mut f.skills)?;
    line("department", &input.department, TEXT_MAX, &mut f.department)?;
    for (field, value) in [("first_name", &f.first_name), ("last_name", &f.last_name)] {
        if value.is_empty() {
            return Err(InvalidInput::new(field, "required", "is required").into());
        }
    }
    let old_email = f.email.clone();
    if let Some(raw) = &input.email {
        let email = Email::parse(raw)?;
        f.email = email.as_str().to_owned();
        f.email_normalized = email.normalized().to_owned();
    } else if creating {
        return Err(InvalidInput::new("email", "required", "is required").into());
    }
    match &input.personal_id {
        Some(raw) => f.personal_id = SingleLine::parse("personal_id", raw, 200)?.into_string(),
        // The personal id defaults to the e-mail, and follows it while it
        // was never set to anything else.
        None if creating || f.personal_id == old_email => f.personal_id = f.email.clone(),
        None => {}
    }
    if f.personal_id.is_empty() {
        f.personal_id = f.email.clone();
    }
    let role = match &input.role {
        Some(raw) => Role::parse(raw)?,
        None => Role::parse(&f.role)?,
    };
    f.role = role.to_string();
    if let Some(raw) = &input.seat_type {
        f.seat_type = if raw.trim().is_empty() {
            None
        } else {
            Some(SeatType::parse(raw)?.as_str().to_owned())
        };
    }
    if let Some(external) = input.external {
        f.external = external;
    }
    if let Some(values) = &input.custom_fields {
        // (Stored custom fields are an object: the store checks at read.)
        let mut merged = f.custom_fields.as_object().cloned().unwrap_or_default();
        for (key, value) in values {
            // Which fields exist is the organization's state, not a rule of the request.
            let def = fields.iter().find(|d| &d.key == key).ok_or_else(|| {
                ServiceError::conflict(
                    "unknown_field",
                    Some(&format!("custom_fields.{key}")),
                    "is not a custom field of this organization",
                )
            })?;
            let kind = CustomFieldKind::parse(&def.kind, &def.choices)
                .map_err(|e| e.for_field(format!("custom_fields.{key}")))?;
            let raw = match value {
                Value::Null => String::new(),
                Value::String(s) => s.clone(),
                Value::Bool(b) => if *b { "yes" } else { "no" }.to_owned(),
                Value::Number(n) => n.to_string(),
                _ => {
                    return Err(InvalidInput::new(
                        format!("custom_fields.{key}"),
                        "invalid_value",
                        "must be a string, number or boolean",
                    )
                    .into())
                }
            };
            let checked = kind.check(&format!("custom_fields.{key}"), &raw)?;
            if checked.is_empty() {
                merged.remove(key);
            } else {
                merged.insert(key.clone(), Value::String(checked));
            }
        }
        f.custom_fields = Value::Object(merged);
    }
    Ok((f, role))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(first: &str, last: &str, email: &str) -> MemberInput {
        MemberInput {
            first_name: Some(first.into()),
            last_name: Some(last.into()),
            email: Some(email.into()),
            ..Default::default()
        }
    }

    #[test]
    fn personal_id_defaults_to_the_email() {
        let (f, role) = parse_member(None, &input("Anna", "Müller", "Anna@x.de"), &[]).unwrap();
        assert_eq!(f.personal_id, "Anna@x.de");
        assert_eq!(f.email_normalized, "anna@x.de");
        assert_eq!(role, Role::READER);
    }

    #[test]
    fn missing_names_are_reported_by_field() {
        let err = parse_member(None, &input("", "Müller", "a@x.de"), &[]).unwrap_err();
        assert_eq!((err.field(), err.code()), (Some("first_name"), "required"));
        let err = parse_member(None, &input("Anna", "Müller", "nope"), &[]).unwrap_err();
        assert_eq!(err.field(), Some("email"));
    }

    #[test]
    fn custom_fields_are_checked_against_their_definition() {
        let defs = vec![CustomFieldRecord {
            id: 1,
            key: "start".into(),
            label: "Start".into(),
            kind: "date".into(),
            choices: vec![],
        }];
        let mut i = input("Anna", "Müller", "a@x.de");
        i.custom_fields = Some(serde_json::from_str(r#"{"start": "2026-13-01"}"#).unwrap());
        assert_eq!(
            parse_member(None, &i, &defs).unwrap_err().field(),
            Some("custom_fields.start")
        );
        i.custom_fields = Some(serde_json::from_str(r#"{"nope": "x"}"#).unwrap());
        assert_eq!(parse_member(None, &i, &defs).unwrap_err().code(), "unknown_field");
    }
}
