//! A filter checked against a resource's schemas and compiled: every path
//! resolved to where its values live and what type they have, every value
//! of that type (a case-insensitive string lower-cased once). Compiling is
//! where a filter is refused (an unknown attribute, `gt` on a boolean,
//! anything on `password`); evaluating cannot fail. The store turns the
//! parts it has indexes for into SQL; `matches` decides the rest.

use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::error::{ScimError, ScimResult, ScimType};
use crate::filter::{AttrPath, CompareOp, Filter};
use crate::resolve::{resolve, Holder, Resolved};
use crate::schema::{Attr, Kind, Resource};

/// Where a compared value is: in the resource (an attribute, maybe its
/// sub-attribute), or in the value of a multi-valued attribute that a
/// value path (`emails[…]`) is looking at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loc {
    /// `None` inside a value path: the attribute is the value's sub-attribute.
    pub holder: Option<Holder>,
    /// The attribute's name as the schema spells it.
    pub attr: String,
    pub sub: Option<String>,
    pub kind: Kind,
    pub case_exact: bool,
}

impl Loc {
    /// Whether this is `attr` (and `sub`) of the core schema.
    pub fn is_core(&self, attr: &str, sub: Option<&str>) -> bool {
        self.holder == Some(Holder::Core) && self.attr == attr && self.sub.as_deref() == sub
    }

    /// Whether this is `attr` (and `sub`) of the extension `urn`.
    pub fn is_extension(&self, urn: &str, attr: &str, sub: Option<&str>) -> bool {
        matches!(&self.holder, Some(Holder::Extension(u)) if *u == urn)
            && self.attr == attr
            && self.sub.as_deref() == sub
    }
}

/// A comparison's value, of the attribute's type.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// Lower-cased when the attribute is not case-exact.
    Text(String),
    Number(f64),
    Bool(bool),
    /// UTC milliseconds.
    Time(i64),
    Null,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    Cmp(Loc, CompareOp, Operand),
    Present(Loc),
    And(Vec<Cond>),
    Or(Vec<Cond>),
    Not(Box<Cond>),
    /// Some value of the multi-valued attribute at `Loc` matches.
    Has(Loc, Box<Cond>),
}

/// RFC 3339 text as UTC milliseconds.
pub fn parse_time(text: &str) -> Option<i64> {
    OffsetDateTime::parse(text.trim(), &Rfc3339)
        .ok()
        .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
}

impl Cond {
    /// Checks `filter` against `resource` and compiles it.
    pub fn compile(resource: &Resource, filter: &Filter) -> ScimResult<Cond> {
        compile(resource, None, filter)
    }

    /// Compiles the filter of a PATCH value path (`emails[type eq "work"]`),
    /// whose names are sub-attributes of `attr`.
    pub fn compile_within(resource: &Resource, attr: &Attr, filter: &Filter) -> ScimResult<Cond> {
        compile(resource, Some(attr), filter)
    }

    /// Whether the resource (its canonical JSON) matches.
    pub fn matches(&self, doc: &Map<String, Value>) -> bool {
        self.eval(doc, None)
    }

    /// Whether one value of a multi-valued attribute matches a value
    /// path's condition (PATCH's `emails[type eq "work"]`).
    pub fn matches_value(&self, value: &Value) -> bool {
        match value {
            Value::Object(map) => self.eval(map, Some(map)),
            _ => false,
        }
    }

    fn eval(&self, doc: &Map<String, Value>, element: Option<&Map<String, Value>>) -> bool {
        match self {
            Cond::And(list) => list.iter().all(|c| c.eval(doc, element)),
            Cond::Or(list) => list.iter().any(|c| c.eval(doc, element)),
            Cond::Not(inner) => !inner.eval(doc, element),
            Cond::Present(loc) => values_at(doc, element, loc)
                .into_iter()
                .any(|v| !matches!(v, Value::Null) && v.as_str() != Some("")),
            Cond::Cmp(loc, op, operand) => {
                let values = values_at(doc, element, loc);
                match (op, operand) {
                    (CompareOp::Eq, Operand::Null) => values.is_empty(),
                    (CompareOp::Ne, Operand::Null) => !values.is_empty(),
                    // "ne": no value equals (an absent attribute equals nothing).
                    (CompareOp::Ne, _) => !values.iter().any(|v| compare(v, CompareOp::Eq, operand, loc)),
                    _ => values.iter().any(|v| compare(v, *op, operand, loc)),
                }
            }
            Cond::Has(loc, inner) => {
                let holder = match &loc.holder {
                    None => element,
                    Some(Holder::Core) => Some(doc),
                    Some(Holder::Extension(urn)) => doc.get(*urn).and_then(Value::as_object),
                };
                let Some(holder) = holder else { return false };
                match holder.get(&loc.attr) {
                    Some(Value::Array(list)) => list
                        .iter()
                        .filter_map(Value::as_object)
                        .any(|e| inner.eval(doc, Some(e))),
                    Some(Value::Object(one)) => inner.eval(doc, Some(one)),
                    _ => false,
                }
            }
        }
    }
}

/// The values a location holds: several for a multi-valued attribute.
fn values_at<'a>(doc: &'a Map<String, Value>, element: Option<&'a Map<String, Value>>, loc: &Loc) -> Vec<&'a Value> {
    let holder = match &loc.holder {
        None => element,
        Some(Holder::Core) => Some(doc),
        Some(Holder::Extension(urn)) => doc.get(*urn).and_then(Value::as_object),
    };
    let Some(value) = holder.and_then(|h| h.get(&loc.attr)) else {
        return Vec::new();
    };
    let items: Vec<&Value> = match value {
        Value::Array(list) => list.iter().collect(),
        one => vec![one],
    };
    match &loc.sub {
        None => items,
        Some(sub) => items.into_iter().filter_map(|i| i.get(sub)).collect(),
    }
}

fn compare(value: &Value, op: CompareOp, operand: &Operand, loc: &Loc) -> bool {
    use std::cmp::Ordering;
    let ordering: Option<Ordering> = match operand {
        Operand::Null => return false,
        Operand::Bool(b) => {
            return value.as_bool() == Some(*b) && op == CompareOp::Eq;
        }
        Operand::Number(n) => value
            .as_f64()
            .or_else(|| value.as_str().and_then(|s| s.parse().ok()))
            .and_then(|v| v.partial_cmp(n)),
        Operand::Time(t) => value.as_str().and_then(parse_time).map(|v| v.cmp(t)),
        Operand::Text(needle) => {
            let Some(text) = value.as_str() else { return false };
            let text = if loc.case_exact {
                std::borrow::Cow::Borrowed(text)
            } else {
                std::borrow::Cow::Owned(text.to_lowercase())
            };
            match op {
                CompareOp::Co => return text.contains(needle.as_str()),
                CompareOp::Sw => return text.starts_with(needle.as_str()),
                CompareOp::Ew => return text.ends_with(needle.as_str()),
                _ => Some(text.as_ref().cmp(needle.as_str())),
            }
        }
    };
    let Some(ordering) = ordering else { return false };
    match op {
        CompareOp::Eq => ordering == Ordering::Equal,
        CompareOp::Ne => ordering != Ordering::Equal,
        CompareOp::Gt => ordering == Ordering::Greater,
        CompareOp::Ge => ordering != Ordering::Less,
        CompareOp::Lt => ordering == Ordering::Less,
        CompareOp::Le => ordering != Ordering::Greater,
        // Substring operators on numbers, times: refused when compiling.
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}

fn refuse_password(path: &AttrPath) -> ScimResult<()> {
    let named = |n: &str| n.eq_ignore_ascii_case("password");
    if named(&path.name) || path.sub.as_deref().is_some_and(named) {
        return Err(ScimError::new(
            ScimType::Sensitive,
            "filtering on password is refused: secrets never travel in a URL, and Roster keeps no SCIM passwords",
        ));
    }
    Ok(())
}

/// Compiles `filter`; `within` is the multi-valued attribute a value path
/// looks at (its sub-attributes are the names inside the brackets).
fn compile(resource: &Resource, within: Option<&Attr>, filter: &Filter) -> ScimResult<Cond> {
    Ok(match filter {
        Filter::And(list) => Cond::And(
            list.iter()
                .map(|f| compile(resource, within, f))
                .collect::<ScimResult<_>>()?,
        ),
        Filter::Or(list) => Cond::Or(
            list.iter()
                .map(|f| compile(resource, within, f))
                .collect::<ScimResult<_>>()?,
        ),
        Filter::Not(inner) => Cond::Not(Box::new(compile(resource, within, inner)?)),
        Filter::Present(path) => {
            refuse_password(path)?;
            let (loc, _) = locate(resource, within, path)?;
            Cond::Present(loc)
        }
        Filter::Compare(path, op, value) => {
            refuse_password(path)?;
            let (loc, attr) = locate(resource, within, path)?;
            let operand = operand(&attr, &loc, *op, value, path)?;
            Cond::Cmp(loc, *op, operand)
        }
        Filter::Has(path, inner) => {
            refuse_password(path)?;
            if within.is_some() {
                return Err(ScimError::invalid_filter("value filters do not nest"));
            }
            let target = match resolve(resource, path)? {
                Resolved::Attribute(t) if t.sub.is_none() && t.attr.kind == Kind::Complex => t,
                Resolved::Attribute(t) => {
                    return Err(ScimError::invalid_filter(format!(
                        "{} holds no values to filter with [ ]",
                        t.display()
                    )))
                }
                _ => return Err(unknown(resource, path)),
            };
            let cond = compile(resource, Some(&target.attr), inner)?;
            Cond::Has(
                Loc {
                    holder: Some(target.holder.clone()),
                    attr: target.attr.name.to_string(),
                    sub: None,
                    kind: Kind::Complex,
                    case_exact: false,
                },
                Box::new(cond),
            )
        }
    })
}

fn unknown(resource: &Resource, path: &AttrPath) -> ScimError {
    ScimError::invalid_filter(format!(
        "Roster keeps no attribute {:?} in {} to filter on",
        path.display(),
        resource.name
    ))
}

/// Where `path` is, and the definition of what is compared there.
fn locate(resource: &Resource, within: Option<&Attr>, path: &AttrPath) -> ScimResult<(Loc, Attr)> {
    if let Some(parent) = within {
        if path.urn.is_some() || path.sub.is_some() {
            return Err(ScimError::invalid_filter(format!(
                "inside {}[…] name its sub-attributes only",
                parent.name
            )));
        }
        let sub = parent.sub_attr(&path.name).ok_or_else(|| {
            ScimError::invalid_filter(format!("{} has no sub-attribute {:?}", parent.name, path.name))
        })?;
        return Ok((
            Loc {
                holder: None,
                attr: sub.name.to_string(),
                sub: None,
                kind: sub.kind,
                case_exact: sub.case_exact,
            },
            sub.clone(),
        ));
    }
    let target = match resolve(resource, path).map_err(|e| ScimError::invalid_filter(e.detail))? {
        Resolved::Attribute(t) => t,
        _ => return Err(unknown(resource, path)),
    };
    let (sub, compared) = match (&target.sub, target.attr.kind) {
        (Some(sub), _) => (Some(sub.name.to_string()), sub.clone()),
        // A complex attribute compares its `value` (RFC 7644 §3.4.2.2:
        // `emails co "@example.com"`; Entra ID's `manager eq "42"`).
        (None, Kind::Complex) => match target.attr.sub_attr("value") {
            Some(value) => (Some(value.name.to_string()), value.clone()),
            _ => {
                return Err(ScimError::invalid_filter(format!(
                    "{} is complex: compare one of its sub-attributes",
                    target.display()
                )))
            }
        },
        (None, _) => (None, target.attr.clone()),
    };
    Ok((
        Loc {
            holder: Some(target.holder.clone()),
            attr: target.attr.name.to_string(),
            sub,
            kind: compared.kind,
            case_exact: compared.case_exact,
        },
        compared,
    ))
}

fn operand(attr: &Attr, loc: &Loc, op: CompareOp, value: &Value, path: &AttrPath) -> ScimResult<Operand> {
    let refuse = |why: &str| {
        Err(ScimError::invalid_filter(format!(
            "{} {} {value}: {why}",
            path.display(),
            op.as_str()
        )))
    };
    if value.is_null() {
        return match op {
            CompareOp::Eq | CompareOp::Ne => Ok(Operand::Null),
            _ => refuse("null compares only with eq and ne"),
        };
    }
    let substring = matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew);
    match attr.kind {
        Kind::Boolean => {
            if !matches!(op, CompareOp::Eq | CompareOp::Ne) {
                return refuse("a boolean compares only with eq and ne");
            }
            match value {
                Value::Bool(b) => Ok(Operand::Bool(*b)),
                Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(Operand::Bool(true)),
                Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(Operand::Bool(false)),
                _ => refuse("the value must be true or false"),
            }
        }
        Kind::Decimal | Kind::Integer => {
            if substring {
                return refuse("a number compares with eq, ne, gt, ge, lt and le");
            }
            match value
                .as_f64()
                .or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()))
            {
                Some(n) => Ok(Operand::Number(n)),
                None => refuse("the value must be a number"),
            }
        }
        Kind::DateTime => {
            if substring {
                return refuse("a date and time compares with eq, ne, gt, ge, lt and le");
            }
            match value.as_str().and_then(parse_time) {
                Some(t) => Ok(Operand::Time(t)),
                None => refuse("the value must be a date and time (RFC 3339)"),
            }
        }
        Kind::Complex => refuse("compare one of its sub-attributes"),
        Kind::String | Kind::Reference(_) => {
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => return refuse("the value must be a string"),
            };
            Ok(Operand::Text(if loc.case_exact { text } else { text.to_lowercase() }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{group_resource, user_resource};
    use serde_json::json;

    fn user() -> Resource {
        user_resource(vec!["reader".into()], &[])
    }

    fn check(filter: &str, doc: Value) -> bool {
        let cond = Cond::compile(&user(), &Filter::parse(filter).unwrap()).unwrap();
        cond.matches(doc.as_object().unwrap())
    }

    #[test]
    fn user_names_match_without_case_and_external_ids_with_it() {
        let doc = json!({"userName": "Anna.Meier@Example.COM", "externalId": "AbC"});
        assert!(check("userName eq \"anna.meier@example.com\"", doc.clone()));
        assert!(check("USERNAME sw \"ANNA\"", doc.clone()));
        assert!(!check("externalId eq \"abc\"", doc.clone()));
        assert!(check("externalId eq \"AbC\"", doc));
    }

    #[test]
    fn multi_valued_attributes_match_when_any_value_does() {
        let doc = json!({"emails": [
            {"value": "a@home.example", "type": "home"},
            {"value": "a@work.example", "type": "work", "primary": true}
        ]});
        assert!(check("emails co \"work.example\"", doc.clone()));
        assert!(check("emails[type eq \"work\" and primary eq true]", doc.clone()));
        assert!(check(
            "emails[type eq \"work\"].value eq \"a@work.example\"",
            doc.clone()
        ));
        assert!(!check(
            "emails[type eq \"home\"].value eq \"a@work.example\"",
            doc.clone()
        ));
        assert!(check("emails.type pr", doc.clone()));
        assert!(check("not (emails ne \"a@home.example\")", doc));
    }

    #[test]
    fn times_compare_as_instants() {
        let doc = json!({"meta": {"lastModified": "2026-12-01T10:00:00Z"}});
        assert!(check("meta.lastModified gt \"2026-12-01T09:59:59+00:00\"", doc.clone()));
        assert!(check("meta.lastModified le \"2026-12-01T11:00:00+01:00\"", doc.clone()));
        assert!(!check("meta.lastModified lt \"2026-12-01T10:00:00Z\"", doc));
    }

    #[test]
    fn extension_attributes_match_with_and_without_their_urn() {
        let doc = json!({crate::schema::ENTERPRISE_USER: {"manager": {"value": "42"}, "department": "R&D"}});
        assert!(check("manager eq \"42\"", doc.clone()));
        assert!(check("manager.value eq \"42\"", doc.clone()));
        assert!(check(
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq \"r&d\"",
            doc
        ));
    }

    #[test]
    fn refusals_name_the_rule() {
        let r = user();
        let refuse = |f: &str| Cond::compile(&r, &Filter::parse(f).unwrap()).unwrap_err();
        assert_eq!(refuse("password eq \"x\"").scim_type, Some(ScimType::Sensitive));
        assert_eq!(refuse("password eq \"x\"").status, 403);
        assert_eq!(refuse("active gt true").scim_type, Some(ScimType::InvalidFilter));
        assert_eq!(refuse("shoeSize eq 44").scim_type, Some(ScimType::InvalidFilter));
        assert_eq!(refuse("name eq \"x\"").scim_type, Some(ScimType::InvalidFilter));
        assert_eq!(
            refuse("meta.created co \"2026\"").scim_type,
            Some(ScimType::InvalidFilter)
        );
    }

    #[test]
    fn group_members_are_found_by_value() {
        let g = group_resource();
        let cond = Cond::compile(&g, &Filter::parse("members[value eq \"7\"]").unwrap()).unwrap();
        assert!(cond.matches(json!({"members": [{"value": "7"}]}).as_object().unwrap()));
        let cond = Cond::compile(&g, &Filter::parse("members eq \"7\"").unwrap()).unwrap();
        assert!(!cond.matches(json!({"members": [{"value": "8"}]}).as_object().unwrap()));
    }
}
