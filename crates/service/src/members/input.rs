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
    #[schemars(regex(pattern = roster_domain::schema::REQUIRED_LINE), length(max = 100))]
    pub first_name: Option<String>,
    #[schemars(regex(pattern = roster_domain::schema::REQUIRED_LINE), length(max = 100))]
    pub last_name: Option<String>,
    #[schemars(regex(pattern = roster_domain::schema::EMAIL), length(max = 254))]
    pub email: Option<String>,
    #[schemars(regex(pattern = roster_domain::schema::SINGLE_LINE), length(max = 200))]
    pub personal_id: Option<String>,
    #[schemars(regex(pattern = roster_domain::schema::FREE_TEXT), length(max = 500))]
    pub comment: Option<String>,
    #[schemars(regex(pattern = roster_domain::schema::SINGLE_LINE), length(max = 100))]
    pub phone: Option<String>,
    #[schemars(regex(pattern = roster_domain::schema::FREE_TEXT), length(max = 500))]
    pub location: Option<String>,
    #[schemars(regex(pattern = roster_domain::schema::FREE_TEXT), length(max = 500))]
    pub skills: Option<String>,
    #[schemars(regex(pattern = roster_domain::schema::SINGLE_LINE), length(max = 500))]
    pub department: Option<String>,
    #[schemars(regex(pattern = roster_domain::schema::ROLE))]
    pub role: Option<String>,
    /// `power`, `casual`, or an empty string for no seat.
    #[schemars(regex(pattern = roster_domain::schema::SEAT_OR_NONE))]
    pub seat_type: Option<String>,
    pub external: Option<bool>,
    pub custom_fields: Option<Map<String, Value>>,
}

/// A member to add: their fields (the names and the e-mail required), and
/// the team they join first.
#[derive(Debug, Clone, Default, schemars::JsonSchema)]
#[schemars(transform = names_and_email_required)]
pub struct NewMember {
    #[serde(flatten)]
    pub member: MemberInput,
    /// The team the new member joins, in the same transaction (needs
    /// `teams.manage` too).
    pub team_id: Option<i64>,
}

// By hand: serde's `flatten` would let unknown fields through, and a typo
// must be refused like everywhere else.
impl<'de> Deserialize<'de> for NewMember {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let mut fields = Map::<String, Value>::deserialize(d)?;
        let team_id = match fields.remove("team_id") {
            None | Some(Value::Null) => None,
            Some(v) => Some(i64::deserialize(v).map_err(D::Error::custom)?),
        };
        let member = MemberInput::deserialize(Value::Object(fields)).map_err(D::Error::custom)?;
        Ok(Self { member, team_id })
    }
}

impl From<MemberInput> for NewMember {
    fn from(member: MemberInput) -> Self {
        Self { member, team_id: None }
    }
}

fn names_and_email_required(schema: &mut schemars::Schema) {
    const REQUIRED: [&str; 3] = ["first_name", "last_name", "email"];
    schema.insert("required".into(), serde_json::json!(REQUIRED));
    schema.insert("additionalProperties".into(), false.into());
    // Required means present, and not null.
    if let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) {
        for name in REQUIRED {
            if let Some(property) = properties.get_mut(name) {
                property["type"] = "string".into();
            }
        }
    }
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
    let (old_first, old_last) = (f.first_name.clone(), f.last_name.clone());
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
    // Names are required; a member the identity provider sent without one
    // (SCIM allows it) stays changeable in everything else.
    for (field, value, old) in [
        ("first_name", &f.first_name, &old_first),
        ("last_name", &f.last_name, &old_last),
    ] {
        if value.is_empty() && (creating || value != old) {
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
