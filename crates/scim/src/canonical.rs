//! A client's resource JSON in canonical form: attribute names as the
//! schema spells them, extension attributes under their extension's URN
//! (whether the client nested them there, qualified them with the URN or
//! dotted them), values of the attribute's type (Entra ID's `"False"` is
//! `false`), null and empty arrays as absent. Attributes Roster does not
//! keep (Okta's `password`, anything unknown) and read-only ones (`id`,
//! `meta`, `groups`) are dropped, as RFC 7644 §3.3 and §3.5.1 allow.

use serde_json::{Map, Value};

use crate::error::{ScimError, ScimResult};
use crate::filter::AttrPath;
use crate::resolve::{resolve, Holder, Resolved, Target};
use crate::schema::{Attr, Kind, Mutability, Resource};

/// The most characters in one string value.
pub const MAX_STRING_CHARS: usize = 2048;
/// The most values of one multi-valued attribute, group members aside.
pub const MAX_VALUES: usize = 100;

/// A client's resource (POST or PUT body) in canonical form.
pub fn canonicalize(resource: &Resource, input: &Value) -> ScimResult<Map<String, Value>> {
    let Value::Object(fields) = input else {
        return Err(ScimError::invalid_syntax("the body must be a JSON object"));
    };
    let mut out = Map::new();
    for (key, value) in fields {
        if key.eq_ignore_ascii_case("schemas") {
            continue;
        }
        for (target, value) in expand(resource, key, value.clone())? {
            if !target.attr.writable() {
                // Read-only values in a request are ignored (RFC 7644 §3.5.1):
                // Okta's rename PUT carries the group's id, its create a
                // `groups: []`.
                continue;
            }
            let value = canonical_value(&target.attr, target.sub.as_ref(), &value, &target.display())?;
            put(&mut out, &target, value);
        }
    }
    Ok(out)
}

/// What one key of a request's object names: a whole extension object
/// expands to its attributes; `urn:…:attr`, `name.givenName` and plain
/// names name one attribute. Unknown keys expand to nothing.
pub fn expand(resource: &Resource, key: &str, value: Value) -> ScimResult<Vec<(Target, Value)>> {
    if let Some(ext) = resource.extension(key) {
        let Value::Object(inner) = value else {
            if value.is_null() {
                return Ok(Vec::new());
            }
            return Err(ScimError::invalid_value(format!("{} must be an object", ext.id)));
        };
        let mut out = Vec::new();
        for (name, v) in inner {
            let Some(attr) = ext.attr(&name) else { continue };
            out.push((
                Target {
                    holder: Holder::Extension(ext.id),
                    attr: attr.clone(),
                    sub: None,
                },
                v,
            ));
        }
        return Ok(out);
    }
    let Ok(path) = AttrPath::parse(key) else {
        return Ok(Vec::new());
    };
    match resolve(resource, &path) {
        Ok(Resolved::Attribute(target)) => Ok(vec![(target, value)]),
        Ok(Resolved::Extension(urn)) => expand(resource, urn, value),
        Ok(Resolved::Unknown) | Err(_) => Ok(Vec::new()),
    }
}

/// Puts a canonical value where `target` says (removing it when `None`).
pub fn put(doc: &mut Map<String, Value>, target: &Target, value: Option<Value>) {
    let holder = match &target.holder {
        Holder::Core => &mut *doc,
        Holder::Extension(urn) => {
            let slot = doc
                .entry((*urn).to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            match slot {
                Value::Object(map) => map,
                _ => return,
            }
        }
    };
    match (&target.sub, value) {
        (None, Some(v)) => {
            // A dotted key (`name.givenName`) and the object (`name`) may
            // both come: objects merge.
            match (holder.get_mut(target.key()), v) {
                (Some(Value::Object(old)), Value::Object(new)) if !target.attr.multi => old.extend(new),
                (_, v) => {
                    holder.insert(target.key().to_owned(), v);
                }
            }
        }
        (None, None) => {
            holder.remove(target.key());
        }
        (Some(sub), value) => {
            let slot = holder
                .entry(target.key().to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(map) = slot {
                match value {
                    Some(v) => {
                        map.insert(sub.name.to_string(), v);
                    }
                    None => {
                        map.remove(sub.name.as_ref());
                    }
                }
                if map.is_empty() {
                    holder.remove(target.key());
                }
            }
        }
    }
    if let Holder::Extension(urn) = &target.holder {
        if doc.get(*urn).and_then(Value::as_object).is_some_and(Map::is_empty) {
            doc.remove(*urn);
        }
    }
}

/// The value of `attr` (or of its sub-attribute `sub`) in canonical form;
/// `None` when it is null, empty or an empty array (unassigned, RFC 7643 §2.5).
pub fn canonical_value(attr: &Attr, sub: Option<&Attr>, value: &Value, at: &str) -> ScimResult<Option<Value>> {
    match sub {
        Some(sub) => single(sub, value, at),
        None if attr.multi => {
            let values: Vec<&Value> = match value {
                Value::Null => return Ok(None),
                Value::Array(list) => list.iter().collect(),
                one => vec![one],
            };
            if attr.name != "members" && values.len() > MAX_VALUES {
                return Err(ScimError::invalid_value(format!(
                    "{at} holds {} values; at most {MAX_VALUES} are kept",
                    values.len()
                )));
            }
            let mut out = Vec::with_capacity(values.len());
            for (i, v) in values.into_iter().enumerate() {
                if let Some(v) = single(attr, v, &format!("{at}[{i}]"))? {
                    out.push(v);
                }
            }
            Ok((!out.is_empty()).then_some(Value::Array(out)))
        }
        None => single(attr, value, at),
    }
}

/// One value (of a single-valued attribute, or one of a multi-valued one).
fn single(attr: &Attr, value: &Value, at: &str) -> ScimResult<Option<Value>> {
    if value.is_null() {
        return Ok(None);
    }
    match attr.kind {
        Kind::Complex => {
            // A plain value for a complex attribute with a `value`
            // sub-attribute is that value: Entra ID sends the enterprise
            // `manager` as the manager's id.
            let wrapped;
            let value = match value {
                Value::String(_) | Value::Number(_) if attr.sub_attr("value").is_some() => {
                    wrapped = Value::Object(Map::from_iter([("value".to_owned(), value.clone())]));
                    &wrapped
                }
                other => other,
            };
            let Value::Object(fields) = value else {
                return Err(ScimError::invalid_value(format!("{at} must be an object")));
            };
            let mut out = Map::new();
            for (name, v) in fields {
                let Some(sub) = attr.sub_attr(name) else { continue };
                if let Some(v) = single(sub, v, &format!("{at}.{}", sub.name))? {
                    out.insert(sub.name.to_string(), v);
                }
            }
            Ok((!out.is_empty()).then_some(Value::Object(out)))
        }
        Kind::Boolean => match value {
            Value::Bool(b) => Ok(Some(Value::Bool(*b))),
            // Entra ID, without its compliance flag, sends "True" and "False".
            Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(Some(Value::Bool(true))),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(Some(Value::Bool(false))),
            _ => Err(ScimError::invalid_value(format!("{at} must be true or false"))),
        },
        Kind::Decimal | Kind::Integer => match value {
            Value::Number(n) => Ok(Some(Value::Number(n.clone()))),
            Value::String(s) if s.trim().is_empty() => Ok(None),
            Value::String(s) => serde_json::from_str::<serde_json::Number>(s.trim())
                .map(|n| Some(Value::Number(n)))
                .map_err(|_| ScimError::invalid_value(format!("{at} must be a number"))),
            _ => Err(ScimError::invalid_value(format!("{at} must be a number"))),
        },
        Kind::String | Kind::Reference(_) | Kind::DateTime => {
            let text = match value {
                Value::String(s) => s.clone(),
                // A number or a flag where text is expected (an employee
                // number sent as a number) is kept as its text.
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => return Err(ScimError::invalid_value(format!("{at} must be a string"))),
            };
            check_text(&text, at, attr.lines)?;
            if text.is_empty() {
                return Ok(None);
            }
            if attr.kind == Kind::DateTime && crate::cond::parse_time(&text).is_none() {
                return Err(ScimError::invalid_value(format!(
                    "{at} must be a date and time (RFC 3339)"
                )));
            }
            Ok(Some(Value::String(text)))
        }
    }
}

fn check_text(text: &str, at: &str, lines_allowed: bool) -> ScimResult<()> {
    let chars = text.chars().count();
    if chars > MAX_STRING_CHARS {
        return Err(ScimError::invalid_value(format!(
            "{at} is {chars} characters long; at most {MAX_STRING_CHARS} are kept"
        )));
    }
    let bad = text
        .chars()
        .find(|c| roster_domain::forbidden_char(*c) && !(lines_allowed && matches!(c, '\n' | '\r')));
    if let Some(c) = bad {
        return Err(ScimError::invalid_value(format!(
            "{at} contains the character U+{:04X}, which Roster does not keep (a line break, control or invisible character)",
            c as u32
        )));
    }
    Ok(())
}

/// Whether an attribute may be changed by a client at all.
pub fn changeable(attr: &Attr) -> bool {
    matches!(attr.mutability, Mutability::ReadWrite | Mutability::WriteOnly)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{user_resource, ENTERPRISE_USER, ROSTER_USER};
    use serde_json::json;

    fn user() -> Resource {
        user_resource(vec!["reader".into(), "admin".into()], &[])
    }

    #[test]
    fn names_take_the_schemas_spelling_and_extensions_their_urn() {
        let doc = canonicalize(
            &user(),
            &json!({
                "UserName": "a@b.c",
                "NAME": {"GivenName": "Ann"},
                "name.familyName": "Lee",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "R&D",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user": {"EmployeeNumber": "0815"},
                "active": "False",
                "password": "secret",
                "groups": [],
                "id": "99",
                "shoeSize": 44
            }),
        )
        .unwrap();
        assert_eq!(
            Value::Object(doc),
            json!({
                "userName": "a@b.c",
                "name": {"givenName": "Ann", "familyName": "Lee"},
                ENTERPRISE_USER: {"department": "R&D", "employeeNumber": "0815"},
                "active": false
            })
        );
    }

    #[test]
    fn nulls_and_empty_lists_are_unassigned() {
        let doc = canonicalize(&user(), &json!({"userName": "x", "emails": [], "title": null})).unwrap();
        assert_eq!(Value::Object(doc), json!({"userName": "x"}));
    }

    #[test]
    fn values_of_the_wrong_type_and_hidden_characters_are_refused() {
        let r = user();
        for body in [
            json!({"active": "maybe"}),
            json!({"name": "Ann"}),
            json!({"emails": [["a@b.c"]]}),
            json!({"displayName": "Ann\u{202E}"}),
            json!({"displayName": "Ann\nLee"}),
            json!({"emails": [{"value": {"x": 1}}]}),
        ] {
            assert_eq!(
                canonicalize(&r, &body).unwrap_err().scim_type,
                Some(crate::ScimType::InvalidValue),
                "{body}"
            );
        }
        let ok = canonicalize(&r, &json!({"addresses": [{"formatted": "Hauptstr. 1\n10115 Berlin"}]}));
        assert!(ok.is_ok());
        let role = canonicalize(&r, &json!({ROSTER_USER: {"role": "admin"}})).unwrap();
        assert_eq!(role[ROSTER_USER]["role"], "admin");
    }
}
