//! A member as a SCIM User: Roster's fields where Roster keeps them (names,
//! e-mail, phone, personal id, department, status, role, seat, custom
//! fields), the directory's other attributes as it sent them. Where an
//! admin changed a Roster field by hand, the member's value shows.

use roster_domain::{format_rfc3339, MemberStatus};
use roster_scim::schema::{ENTERPRISE_USER, ROSTER_USER, USER};
use roster_store::{CustomFieldRecord, DirectoryMember};
use serde_json::{json, Map, Value};

use super::version_of;

/// Kept among a member's directory attributes when the directory named
/// the member's role: then it is returned even when it is reader.
pub(crate) const ROLE_GIVEN: &str = "rosterRoleGiven";

/// Which value of `emails` or `phoneNumbers` is the member's own: the
/// primary one, else the work one, else the first.
pub(crate) fn main_index(list: &[Value]) -> Option<usize> {
    list.iter()
        .position(|v| v.get("primary") == Some(&Value::Bool(true)))
        .or_else(|| {
            list.iter().position(|v| {
                v.get("type")
                    .and_then(Value::as_str)
                    .is_some_and(|t| t.eq_ignore_ascii_case("work"))
            })
        })
        .or(if list.is_empty() { None } else { Some(0) })
}

/// The member as a User, complete (the door narrows it to what was asked).
/// `groups`: the directory groups the member is in, when they are wanted.
pub(crate) fn user_document(
    m: &DirectoryMember,
    groups: Option<&[(i64, String)]>,
    fields: &[CustomFieldRecord],
    base: &str,
) -> Map<String, Value> {
    let member = &m.member;
    let dir = &m.directory;
    let extra = dir.attributes.as_object().cloned().unwrap_or_default();
    let mut doc = Map::new();
    doc.insert("id".into(), json!(member.id.to_string()));
    if let Some(external) = &dir.external_id {
        doc.insert("externalId".into(), json!(external));
    }
    doc.insert(
        "userName".into(),
        json!(dir.user_name.clone().unwrap_or_else(|| member.email.clone())),
    );

    let mut name = extra
        .get("name")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    name.remove("givenName");
    name.remove("familyName");
    if !member.first_name.is_empty() {
        name.insert("givenName".into(), json!(member.first_name));
    }
    if !member.last_name.is_empty() {
        name.insert("familyName".into(), json!(member.last_name));
    }
    if !name.is_empty() {
        doc.insert("name".into(), Value::Object(name));
    }
    if !dir.display_name.is_empty() {
        doc.insert("displayName".into(), json!(dir.display_name));
    }
    for key in [
        "nickName",
        "profileUrl",
        "title",
        "userType",
        "preferredLanguage",
        "locale",
        "timezone",
    ] {
        if let Some(v) = extra.get(key) {
            doc.insert(key.into(), v.clone());
        }
    }
    let status = MemberStatus::parse(&member.status).unwrap_or(MemberStatus::Added);
    doc.insert("active".into(), json!(status != MemberStatus::Deactivated));

    // The member's e-mail is the main one of `emails`: an address changed
    // by hand shows there. A member the directory never described has one,
    // at work (Entra ID finds people by `emails[type eq "work"]`).
    let mut emails: Vec<Value> = list_of(&extra, "emails");
    match main_index(&emails) {
        Some(i) => set_value(&mut emails[i], &member.email),
        None => emails.push(json!({"value": member.email, "type": "work", "primary": true})),
    }
    doc.insert("emails".into(), Value::Array(emails));

    let mut phones: Vec<Value> = list_of(&extra, "phoneNumbers");
    match (main_index(&phones), member.phone.is_empty()) {
        (Some(i), false) => set_value(&mut phones[i], &member.phone),
        (Some(i), true) => {
            phones.remove(i);
        }
        (None, false) => phones.push(json!({"value": member.phone, "type": "work"})),
        (None, true) => {}
    }
    if !phones.is_empty() {
        doc.insert("phoneNumbers".into(), Value::Array(phones));
    }
    for key in ["ims", "photos", "addresses"] {
        if let Some(v) = extra.get(key) {
            doc.insert(key.into(), v.clone());
        }
    }
    if let Some(groups) = groups {
        let list: Vec<Value> = groups
            .iter()
            .map(|(id, name)| {
                json!({"value": super::group_id(*id), "$ref": format!("{base}/Groups/{}", super::group_id(*id)), "display": name, "type": "direct"})
            })
            .collect();
        if !list.is_empty() {
            doc.insert("groups".into(), Value::Array(list));
        }
    }

    let mut enterprise = extra
        .get(ENTERPRISE_USER)
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    // The personal id shows as the employee number when the directory set
    // one, or when it is not simply the e-mail (Roster's default).
    if enterprise.contains_key("employeeNumber") || member.personal_id != member.email {
        enterprise.insert("employeeNumber".into(), json!(member.personal_id));
    }
    enterprise.remove("department");
    if !member.department.is_empty() {
        enterprise.insert("department".into(), json!(member.department));
    }
    let mut roster = Map::new();
    // Reader is what an unassigned role means.
    let given = extra.get(ROLE_GIVEN) == Some(&Value::Bool(true));
    if given || member.role != roster_domain::Role::READER.to_string() {
        roster.insert("role".into(), json!(member.role));
    }
    if let Some(seat) = &member.seat_type {
        roster.insert("seatType".into(), json!(seat));
    }
    if let Some(values) = member.custom_fields.as_object() {
        for field in fields {
            let Some(Value::String(raw)) = values.get(&field.key) else {
                continue;
            };
            if field.key.eq_ignore_ascii_case("role") || field.key.eq_ignore_ascii_case("seatType") {
                continue;
            }
            let value = match field.kind.as_str() {
                "number" => serde_json::from_str::<serde_json::Number>(raw)
                    .map(Value::Number)
                    .unwrap_or_else(|_| json!(raw)),
                "yes_no" => json!(raw == "yes"),
                _ => json!(raw),
            };
            roster.insert(field.key.clone(), value);
        }
    }
    let mut schemas = vec![json!(USER)];
    if !enterprise.is_empty() {
        schemas.push(json!(ENTERPRISE_USER));
        doc.insert(ENTERPRISE_USER.into(), Value::Object(enterprise));
    }
    if !roster.is_empty() {
        schemas.push(json!(ROSTER_USER));
        doc.insert(ROSTER_USER.into(), Value::Object(roster));
    }
    doc.insert("schemas".into(), Value::Array(schemas));
    doc.insert(
        "meta".into(),
        json!({
            "resourceType": "User",
            "created": format_rfc3339(member.created_at),
            "lastModified": format_rfc3339(member.updated_at),
            "location": format!("{base}/Users/{}", member.id),
            "version": version_of(member.updated_at),
        }),
    );
    doc
}

fn list_of(extra: &Map<String, Value>, key: &str) -> Vec<Value> {
    extra.get(key).and_then(Value::as_array).cloned().unwrap_or_default()
}

fn set_value(slot: &mut Value, value: &str) {
    if let Value::Object(map) = slot {
        let same = map
            .get("value")
            .and_then(Value::as_str)
            .is_some_and(|v| v.trim().eq_ignore_ascii_case(value));
        if !same {
            map.insert("value".into(), json!(value));
        }
    }
}
