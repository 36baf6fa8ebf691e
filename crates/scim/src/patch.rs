//! PATCH (RFC 7644 §3.5.2) on a resource's canonical JSON: the operations
//! as clients really send them — `op` in any case (Entra ID's `Replace`),
//! with a path or without one (Okta's `{"op": "replace", "value":
//! {"active": false}}`, Entra ID's dotted and URN-qualified keys), value
//! paths (`emails[type eq "work"].value`, `members[value eq "7"]`), a
//! `remove` with a list of values (Entra ID's group members). Applying
//! every operation to a copy and storing the result only if all succeed
//! makes a request all or nothing.

use serde_json::{Map, Value};

use crate::canonical::{canonical_value, expand, put};
use crate::cond::{Cond, Operand};
use crate::error::{ScimError, ScimResult};
use crate::filter::{CompareOp, PatchPath};
use crate::resolve::{resolve, Holder, Resolved, Target};
use crate::schema::{Kind, Resource, PATCH_OP};

/// The most operations in one PATCH request.
pub const MAX_OPERATIONS: usize = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    Add,
    Replace,
    Remove,
}

/// One operation as the client sent it.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    pub op: OpKind,
    pub path: Option<PatchPath>,
    pub value: Option<Value>,
}

/// Reads a PatchOp message (`{"schemas": [PatchOp], "Operations": [...]}`);
/// its keys, like every attribute name, are read without regard to case.
/// The values move into the operations (a group's hundred thousand
/// members are not copied).
pub fn parse_request(body: Value) -> ScimResult<Vec<Operation>> {
    let Value::Object(mut fields) = body else {
        return Err(ScimError::invalid_syntax("the body must be a PatchOp object"));
    };
    if let Some(schemas) = field(&fields, "schemas") {
        let named = schemas.as_array().is_some_and(|s| {
            s.iter()
                .any(|u| u.as_str().is_some_and(|u| u.eq_ignore_ascii_case(PATCH_OP)))
        });
        if !named {
            return Err(ScimError::invalid_syntax(format!("schemas must name {PATCH_OP}")));
        }
    }
    let Some(Value::Array(list)) = take(&mut fields, "Operations") else {
        return Err(ScimError::invalid_syntax("a PatchOp needs a list of Operations"));
    };
    if list.is_empty() {
        return Err(ScimError::invalid_syntax("a PatchOp needs at least one operation"));
    }
    if list.len() > MAX_OPERATIONS {
        return Err(ScimError::invalid_value(format!(
            "{} operations in one request; at most {MAX_OPERATIONS} are taken",
            list.len()
        )));
    }
    list.into_iter().enumerate().map(|(i, op)| operation(i, op)).collect()
}

fn field<'a>(fields: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    fields
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

/// Takes a field out, its name matched without regard to case.
fn take(fields: &mut Map<String, Value>, name: &str) -> Option<Value> {
    let key = fields.keys().find(|k| k.eq_ignore_ascii_case(name))?.clone();
    fields.remove(&key)
}

fn operation(i: usize, raw: Value) -> ScimResult<Operation> {
    let Value::Object(mut fields) = raw else {
        return Err(ScimError::invalid_syntax(format!("Operations[{i}] must be an object")));
    };
    let op = match field(&fields, "op")
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("add") => OpKind::Add,
        Some("replace") => OpKind::Replace,
        Some("remove") => OpKind::Remove,
        _ => {
            return Err(ScimError::invalid_syntax(format!(
                "Operations[{i}].op must be add, replace or remove"
            )))
        }
    };
    let path = match field(&fields, "path") {
        None | Some(Value::Null) => None,
        Some(Value::String(p)) if p.trim().is_empty() => None,
        Some(Value::String(p)) => Some(PatchPath::parse(p)?),
        Some(_) => {
            return Err(ScimError::invalid_path(format!(
                "Operations[{i}].path must be a string"
            )))
        }
    };
    let value = take(&mut fields, "value").filter(|v| !v.is_null());
    match (op, &path, &value) {
        (OpKind::Remove, None, _) => Err(ScimError::no_target(format!("Operations[{i}]: remove needs a path"))),
        (OpKind::Add | OpKind::Replace, _, None) => Err(ScimError::invalid_value(format!(
            "Operations[{i}]: {} needs a value",
            if op == OpKind::Add { "add" } else { "replace" }
        ))),
        (OpKind::Add | OpKind::Replace, None, Some(v)) if !v.is_object() => Err(ScimError::invalid_value(format!(
            "Operations[{i}]: without a path the value must be an object of attributes"
        ))),
        _ => Ok(Operation { op, path, value }),
    }
}

/// What one step of a PATCH changes.
// A handful per request: boxing the large variant would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Place {
    /// A whole extension (its URN as the path).
    Extension(&'static str),
    Attribute {
        target: Target,
        /// A value path's condition on the values of a multi-valued attribute.
        filter: Option<Cond>,
        /// The sub-attribute after a value path (`emails[…].value`).
        sub: Option<crate::schema::Attr>,
    },
}

impl Place {
    /// Whether this is the core attribute `name` (a group's `members`).
    pub fn is_attribute(&self, name: &str) -> bool {
        matches!(self, Place::Attribute { target, .. } if target.holder == Holder::Core && target.attr.name == name)
    }
}

/// One step: an operation on one place.
#[derive(Debug, Clone)]
pub struct Step {
    pub op: OpKind,
    pub place: Place,
    pub value: Option<Value>,
}

/// The operations as steps, each on one place. A path-less add or replace
/// becomes a step per attribute it names; there, attributes Roster does
/// not keep and read-only ones are passed over as in a PUT. A path must
/// name an attribute Roster keeps (`invalidPath`) that may change
/// (`mutability`).
pub fn steps(resource: &Resource, operations: Vec<Operation>) -> ScimResult<Vec<Step>> {
    let mut out = Vec::new();
    for operation in operations {
        let Some(path) = &operation.path else {
            let Some(Value::Object(fields)) = operation.value else {
                continue;
            };
            for (key, value) in fields {
                if key.eq_ignore_ascii_case("schemas") {
                    continue;
                }
                for (target, value) in expand(resource, &key, value)? {
                    if !target.attr.writable() || target.sub.as_ref().is_some_and(|s| !s.writable()) {
                        continue;
                    }
                    out.push(Step {
                        op: operation.op,
                        place: Place::Attribute {
                            target,
                            filter: None,
                            sub: None,
                        },
                        value: Some(value),
                    });
                }
            }
            continue;
        };
        let place = match resolve(resource, &path.attr)? {
            Resolved::Extension(urn) if path.filter.is_none() => Place::Extension(urn),
            Resolved::Attribute(target) => {
                if !target.attr.writable() || target.sub.as_ref().is_some_and(|s| !s.writable()) {
                    return Err(ScimError::mutability(format!("{} is read-only", target.display())));
                }
                let filter = match &path.filter {
                    None => None,
                    Some(f) if target.attr.multi && target.attr.kind == Kind::Complex => Some(
                        Cond::compile_within(resource, &target.attr, f)
                            .map_err(|e| ScimError::invalid_path(format!("{}: {}", path.attr.display(), e.detail)))?,
                    ),
                    Some(_) => {
                        return Err(ScimError::invalid_path(format!(
                            "{} holds no values to select with [ ]",
                            target.display()
                        )))
                    }
                };
                let sub = match &path.sub {
                    None => None,
                    Some(name) => Some(
                        target
                            .attr
                            .sub_attr(name)
                            .filter(|s| s.writable())
                            .cloned()
                            .ok_or_else(|| {
                                ScimError::invalid_path(format!(
                                    "{} has no sub-attribute {name:?} to change",
                                    target.display()
                                ))
                            })?,
                    ),
                };
                Place::Attribute { target, filter, sub }
            }
            _ => {
                return Err(ScimError::invalid_path(format!(
                    "Roster keeps no attribute {:?} in {}",
                    path.attr.display(),
                    resource.name
                )))
            }
        };
        out.push(Step {
            op: operation.op,
            place,
            value: operation.value,
        });
    }
    Ok(out)
}

/// Applies one step to a resource's canonical JSON.
pub fn apply(resource: &Resource, doc: &mut Map<String, Value>, step: &Step) -> ScimResult<()> {
    match &step.place {
        Place::Extension(urn) => {
            if step.op == OpKind::Remove {
                doc.remove(*urn);
                return Ok(());
            }
            let value = step.value.clone().unwrap_or(Value::Null);
            for (target, v) in expand(resource, urn, value)? {
                if target.attr.writable() {
                    whole(doc, &target, step.op, &v)?;
                }
            }
            Ok(())
        }
        Place::Attribute {
            target,
            filter: None,
            sub: None,
        } => whole(doc, target, step.op, step.value.as_ref().unwrap_or(&Value::Null)),
        Place::Attribute { target, filter, sub } => selected(doc, target, filter.as_ref(), sub.as_ref(), step),
    }
}

/// An operation on an attribute (or a sub-attribute of a single complex
/// one) as a whole.
fn whole(doc: &mut Map<String, Value>, target: &Target, op: OpKind, value: &Value) -> ScimResult<()> {
    let at = target.display();
    let current = current(doc, target).cloned();
    if op == OpKind::Remove {
        // Entra ID (without its compliance flag) removes group members with
        // `"path": "members"` and the members as the value.
        if let (true, None, Some(Value::Array(values)), false) =
            (target.attr.multi, &target.sub, current.as_ref(), value.is_null())
        {
            let gone = canonical_value(&target.attr, None, value, &at)?;
            let gone: Vec<Value> = match gone {
                Some(Value::Array(list)) => list,
                _ => Vec::new(),
            };
            let kept: Vec<Value> = values
                .iter()
                .filter(|v| !gone.iter().any(|g| same_value(g, v)))
                .cloned()
                .collect();
            put(doc, target, (!kept.is_empty()).then_some(Value::Array(kept)));
            return Ok(());
        }
        put(doc, target, None);
        return Ok(());
    }
    let new = canonical_value(&target.attr, target.sub.as_ref(), value, &at)?;
    let merged = match (op, target.attr.multi && target.sub.is_none(), current, new) {
        // add appends to a multi-valued attribute; a value already there is
        // not added twice (RFC 7644 §3.5.2.1).
        (OpKind::Add, true, Some(Value::Array(mut old)), Some(Value::Array(new))) => {
            let fresh_primary = new.iter().any(is_primary);
            if fresh_primary {
                old.iter_mut().for_each(clear_primary);
            }
            for v in new {
                match old.iter().position(|o| same_entry(o, &v)) {
                    Some(i) => match (&mut old[i], v) {
                        (Value::Object(o), Value::Object(v)) => o.extend(v),
                        (slot, v) => *slot = v,
                    },
                    None => old.push(v),
                }
            }
            Some(Value::Array(old))
        }
        // A single complex attribute: the sub-attributes given replace
        // theirs, the others stay (RFC 7644 §3.5.2.3).
        (_, false, Some(Value::Object(mut old)), Some(Value::Object(new)))
            if target.sub.is_none() && target.attr.kind == Kind::Complex =>
        {
            old.extend(new);
            Some(Value::Object(old))
        }
        (_, _, _, new) => new,
    };
    put(doc, target, merged.map(one_primary));
    Ok(())
}

/// An operation on the values of a multi-valued attribute that a value
/// path selects, or on one sub-attribute of them.
fn selected(
    doc: &mut Map<String, Value>,
    target: &Target,
    filter: Option<&Cond>,
    sub: Option<&crate::schema::Attr>,
    step: &Step,
) -> ScimResult<()> {
    let at = target.display();
    let mut values: Vec<Value> = match current(doc, target) {
        Some(Value::Array(list)) => list.clone(),
        Some(one) => vec![one.clone()],
        None => Vec::new(),
    };
    // A sub-attribute without a filter (`emails.type`) means every value.
    let hits: Vec<usize> = (0..values.len())
        .filter(|i| filter.is_none_or(|f| f.matches_value(&values[*i])))
        .collect();
    match step.op {
        OpKind::Remove => match sub {
            Some(sub) => {
                for i in &hits {
                    if let Value::Object(map) = &mut values[*i] {
                        map.remove(sub.name.as_ref());
                    }
                }
            }
            None => {
                let mut i = 0;
                values.retain(|_| {
                    i += 1;
                    !hits.contains(&(i - 1))
                });
            }
        },
        OpKind::Add | OpKind::Replace => {
            let value = step.value.as_ref().unwrap_or(&Value::Null);
            let new_part = match sub {
                Some(sub) => canonical_value(&target.attr, Some(sub), value, &format!("{at}.{}", sub.name))?
                    .map(|v| Map::from_iter([(sub.name.to_string(), v)])),
                None => match canonical_value(&target.attr, None, &Value::Array(vec![value.clone()]), &at)? {
                    Some(Value::Array(mut list)) if !list.is_empty() => list.remove(0).as_object().cloned(),
                    _ => None,
                },
            };
            let Some(new_part) = new_part else {
                return Err(ScimError::invalid_value(format!("{at}: the value is empty")));
            };
            let primary = new_part.get("primary") == Some(&Value::Bool(true));
            if primary {
                values.iter_mut().for_each(clear_primary);
            }
            if hits.is_empty() {
                // Nothing matches: Entra ID and Okta expect the value to be
                // created (`emails[type eq "work"].value` of a user without
                // a work address), taking what the filter states with `eq`.
                let mut created = match filter {
                    None => Map::new(),
                    Some(f) => equalities(f).ok_or_else(|| {
                        ScimError::no_target(format!(
                            "{at}: no value matches the filter, and it does not say what a new one would be"
                        ))
                    })?,
                };
                created.extend(new_part);
                values.push(Value::Object(created));
            } else {
                for i in &hits {
                    match (&mut values[*i], step.op, sub) {
                        // replace without a sub-attribute replaces the values
                        // selected (RFC 7644 §3.5.2.3).
                        (slot, OpKind::Replace, None) => *slot = Value::Object(new_part.clone()),
                        (Value::Object(map), _, _) => map.extend(new_part.clone()),
                        (slot, _, _) => *slot = Value::Object(new_part.clone()),
                    }
                }
            }
        }
    }
    values.retain(|v| v.as_object().is_some_and(|m| !m.is_empty()));
    let result = (!values.is_empty()).then_some(Value::Array(values)).map(one_primary);
    put(
        doc,
        &Target {
            sub: None,
            ..target.clone()
        },
        result,
    );
    Ok(())
}

fn current<'a>(doc: &'a Map<String, Value>, target: &Target) -> Option<&'a Value> {
    let holder = match &target.holder {
        Holder::Core => Some(doc),
        Holder::Extension(urn) => doc.get(*urn).and_then(Value::as_object),
    }?;
    let value = holder.get(target.key())?;
    match &target.sub {
        None => Some(value),
        Some(sub) => value.get(sub.name.as_ref()),
    }
}

/// What a filter of `eq` comparisons joined by `and` states about a value.
fn equalities(cond: &Cond) -> Option<Map<String, Value>> {
    let mut out = Map::new();
    let mut add = |c: &Cond| -> Option<()> {
        match c {
            Cond::Cmp(loc, CompareOp::Eq, operand) if loc.holder.is_none() => {
                let v = match operand {
                    Operand::Text(t) => Value::String(t.clone()),
                    Operand::Bool(b) => Value::Bool(*b),
                    Operand::Number(n) => serde_json::Number::from_f64(*n).map(Value::Number)?,
                    _ => return None,
                };
                out.insert(loc.attr.clone(), v);
                Some(())
            }
            _ => None,
        }
    };
    match cond {
        Cond::And(list) => {
            for c in list {
                add(c)?;
            }
        }
        one => add(one)?,
    }
    Some(out)
}

fn is_primary(v: &Value) -> bool {
    v.get("primary") == Some(&Value::Bool(true))
}

fn clear_primary(v: &mut Value) {
    if let Value::Object(map) = v {
        if map.get("primary") == Some(&Value::Bool(true)) {
            map.insert("primary".into(), Value::Bool(false));
        }
    }
}

/// At most one value is primary (RFC 7643 §2.4): the last one marked so.
fn one_primary(value: Value) -> Value {
    let Value::Array(mut list) = value else { return value };
    if let Some(last) = list.iter().rposition(is_primary) {
        for (i, v) in list.iter_mut().enumerate() {
            if i != last {
                clear_primary(v);
            }
        }
    }
    Value::Array(list)
}

/// Whether two values of a multi-valued attribute are the same entry: the
/// same `value` and `type` (a repeated add changes nothing else).
fn same_entry(a: &Value, b: &Value) -> bool {
    match (a.get("value"), b.get("value")) {
        (Some(x), Some(y)) => x == y && a.get("type") == b.get("type"),
        _ => a == b,
    }
}

/// Whether `given` (a value of a remove's list) names `stored`: the same
/// `value`, or the same whole value when it has none.
fn same_value(given: &Value, stored: &Value) -> bool {
    match given.get("value") {
        Some(v) => stored.get("value") == Some(v),
        None => given == stored,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{user_resource, ENTERPRISE_USER};
    use serde_json::json;

    fn run(doc: Value, body: Value) -> ScimResult<Value> {
        let r = user_resource(vec!["reader".into()], &[]);
        let ops = parse_request(body)?;
        let mut doc = doc.as_object().unwrap().clone();
        for step in steps(&r, ops)? {
            apply(&r, &mut doc, &step)?;
        }
        Ok(Value::Object(doc))
    }

    fn patch(ops: Value) -> Value {
        json!({"schemas": [PATCH_OP], "Operations": ops})
    }

    #[test]
    fn entra_replaces_a_work_address_and_a_name_part() {
        let doc = json!({"userName": "u", "emails": [{"value": "old@x.de", "type": "work", "primary": true}], "name": {"givenName": "A", "familyName": "B"}});
        let out = run(
            doc,
            patch(json!([
                {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "new@x.de"},
                {"op": "Replace", "path": "name.familyName", "value": "C"}
            ])),
        )
        .unwrap();
        assert_eq!(
            out["emails"],
            json!([{"value": "new@x.de", "type": "work", "primary": true}])
        );
        assert_eq!(out["name"], json!({"givenName": "A", "familyName": "C"}));
    }

    #[test]
    fn a_value_path_that_matches_nothing_creates_the_value() {
        let out = run(
            json!({"userName": "u"}),
            patch(json!([
                {"op": "add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "0171"}
            ])),
        )
        .unwrap();
        assert_eq!(out["phoneNumbers"], json!([{"type": "mobile", "value": "0171"}]));
    }

    #[test]
    fn okta_and_entra_replace_without_a_path() {
        let out = run(
            json!({"userName": "u", "active": true}),
            patch(json!([
                {"op": "replace", "value": {"active": "False", "name.givenName": "Kkom",
                  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "Aklq",
                  "password": "never kept"}}
            ])),
        )
        .unwrap();
        assert_eq!(out["active"], false);
        assert_eq!(out["name"]["givenName"], "Kkom");
        assert_eq!(out[ENTERPRISE_USER]["employeeNumber"], "Aklq");
        assert!(out.get("password").is_none());
    }

    #[test]
    fn entra_sets_the_manager_as_a_plain_id() {
        let out = run(json!({"userName": "u"}), patch(json!([
            {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "42"}
        ])))
        .unwrap();
        assert_eq!(out[ENTERPRISE_USER]["manager"], json!({"value": "42"}));
    }

    #[test]
    fn add_appends_without_duplicates_and_keeps_one_primary() {
        let doc = json!({"emails": [{"value": "a@x.de", "primary": true}]});
        let out = run(doc, patch(json!([
            {"op": "add", "path": "emails", "value": [{"value": "a@x.de", "primary": true}, {"value": "b@x.de", "primary": true}]}
        ])))
        .unwrap();
        assert_eq!(
            out["emails"],
            json!([{"value": "a@x.de", "primary": false}, {"value": "b@x.de", "primary": true}])
        );
    }

    #[test]
    fn remove_takes_filters_and_value_lists_and_missing_values_are_no_error() {
        let doc = json!({"emails": [{"value": "a@x.de", "type": "work"}, {"value": "b@x.de", "type": "home"}]});
        let out = run(
            doc.clone(),
            patch(json!([{"op": "remove", "path": "emails[type eq \"home\"]"}])),
        )
        .unwrap();
        assert_eq!(out["emails"], json!([{"value": "a@x.de", "type": "work"}]));
        let out = run(
            doc.clone(),
            patch(json!([{"op": "Remove", "path": "emails", "value": [{"value": "a@x.de"}]}])),
        )
        .unwrap();
        assert_eq!(out["emails"], json!([{"value": "b@x.de", "type": "home"}]));
        let out = run(
            doc,
            patch(json!([{"op": "remove", "path": "emails[value eq \"zzz\"]"}])),
        )
        .unwrap();
        assert_eq!(out["emails"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn refusals_say_which_rule() {
        let doc = json!({"userName": "u"});
        let kind = |ops: Value| run(doc.clone(), patch(ops)).unwrap_err().scim_type;
        assert_eq!(kind(json!([{"op": "remove"}])), Some(crate::ScimType::NoTarget));
        assert_eq!(
            kind(json!([{"op": "replace", "path": "id", "value": "7"}])),
            Some(crate::ScimType::Mutability)
        );
        assert_eq!(
            kind(json!([{"op": "replace", "path": "shoeSize", "value": 1}])),
            Some(crate::ScimType::InvalidPath)
        );
        assert_eq!(
            kind(json!([{"op": "move", "path": "title", "value": "x"}])),
            Some(crate::ScimType::InvalidSyntax)
        );
        assert_eq!(
            kind(json!([{"op": "replace", "path": "emails[type eq", "value": "x"}])),
            Some(crate::ScimType::InvalidPath)
        );
        assert!(parse_request(json!({"Operations": []})).is_err());
    }

    #[test]
    fn an_extension_urn_as_the_path_patches_the_extension() {
        let out = run(
            json!({"userName": "u"}),
            patch(json!([
                {"op": "add", "path": ENTERPRISE_USER, "value": {"department": "R&D"}}
            ])),
        )
        .unwrap();
        assert_eq!(out[ENTERPRISE_USER]["department"], "R&D");
        let out = run(out, patch(json!([{"op": "remove", "path": ENTERPRISE_USER}]))).unwrap();
        assert!(out.get(ENTERPRISE_USER).is_none());
    }
}
