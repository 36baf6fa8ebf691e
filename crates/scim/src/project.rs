//! `attributes` and `excludedAttributes` (RFC 7644 §3.4.2.5): which
//! attributes an answer carries. `id` and `schemas` always come; `meta`
//! and the rest by default. The service asks [`Projection::wants`] before
//! loading what is costly (a group's members, a user's groups).

use serde_json::{Map, Value};

use crate::error::{ScimError, ScimResult};
use crate::filter::AttrPath;
use crate::resolve::{resolve, Holder, Resolved};
use crate::schema::Resource;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Selector {
    Extension(&'static str),
    Attribute {
        holder: Holder,
        attr: String,
        sub: Option<String>,
    },
}

#[derive(Debug, Clone, Default)]
pub struct Projection {
    include: Option<Vec<Selector>>,
    exclude: Vec<Selector>,
}

fn selectors(resource: &Resource, list: &str) -> Vec<Selector> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .filter_map(|s| AttrPath::parse(s).ok())
        .filter_map(|p| match resolve(resource, &p).ok()? {
            Resolved::Extension(urn) => Some(Selector::Extension(urn)),
            Resolved::Attribute(t) => Some(Selector::Attribute {
                holder: t.holder,
                attr: t.attr.name.to_string(),
                sub: t.sub.map(|s| s.name.to_string()),
            }),
            // An attribute Roster does not keep is simply never returned.
            Resolved::Unknown => None,
        })
        .collect()
}

impl Projection {
    /// Everything returned by default.
    pub fn all() -> Self {
        Self::default()
    }

    pub fn parse(resource: &Resource, attributes: Option<&str>, excluded: Option<&str>) -> ScimResult<Self> {
        let attributes = attributes.filter(|a| !a.trim().is_empty());
        let excluded = excluded.filter(|a| !a.trim().is_empty());
        if attributes.is_some() && excluded.is_some() {
            return Err(ScimError::invalid_syntax(
                "attributes and excludedAttributes exclude each other: give one",
            ));
        }
        Ok(Self {
            include: attributes.map(|a| selectors(resource, a)),
            exclude: excluded.map(|e| selectors(resource, e)).unwrap_or_default(),
        })
    }

    /// Whether the answer carries the attribute (or a part of it).
    pub fn wants(&self, holder: &Holder, attr: &str) -> bool {
        if attr == "id" {
            return true;
        }
        let named = |s: &Selector| match s {
            Selector::Extension(urn) => *holder == Holder::Extension(urn),
            Selector::Attribute { holder: h, attr: a, .. } => h == holder && a == attr,
        };
        if self
            .exclude
            .iter()
            .any(|s| named(s) && !matches!(s, Selector::Attribute { sub: Some(_), .. }))
        {
            return false;
        }
        match &self.include {
            None => true,
            Some(list) => list.iter().any(named),
        }
    }

    /// Whether the answer carries only some sub-attributes of the attribute
    /// (`members.value`), or leaves some out.
    pub fn narrows(&self, holder: &Holder, attr: &str) -> bool {
        let partial = |s: &Selector| matches!(s, Selector::Attribute { holder: h, attr: a, sub: Some(_) } if h == holder && a == attr);
        self.exclude.iter().any(partial) || self.include.as_ref().is_some_and(|l| l.iter().any(partial))
    }

    /// Narrows a resource's JSON to what was asked for.
    pub fn apply(&self, doc: &mut Map<String, Value>) {
        if self.include.is_none() && self.exclude.is_empty() {
            return;
        }
        let keys: Vec<String> = doc.keys().cloned().collect();
        for key in keys {
            if key == "schemas" || key == "id" {
                continue;
            }
            if key.starts_with("urn:") {
                let urn = key.clone();
                let Some(Value::Object(inner)) = doc.get_mut(&key) else {
                    continue;
                };
                let whole_in = self.include.as_ref().is_none_or(|l| {
                    l.iter()
                        .any(|s| matches!(s, Selector::Extension(u) if u.eq_ignore_ascii_case(&urn)))
                });
                let whole_out = self
                    .exclude
                    .iter()
                    .any(|s| matches!(s, Selector::Extension(u) if u.eq_ignore_ascii_case(&urn)));
                if whole_out {
                    doc.remove(&key);
                    continue;
                }
                let holder = |s: &Selector| matches!(s, Selector::Attribute { holder: Holder::Extension(u), .. } if u.eq_ignore_ascii_case(&urn));
                narrow(inner, self, &holder, whole_in);
                if inner.is_empty() {
                    doc.remove(&key);
                }
                continue;
            }
            let holder = |s: &Selector| {
                matches!(
                    s,
                    Selector::Attribute {
                        holder: Holder::Core,
                        ..
                    }
                )
            };
            let mut one = Map::new();
            if let Some(v) = doc.remove(&key) {
                one.insert(key.clone(), v);
            }
            narrow(&mut one, self, &holder, false);
            if let Some(v) = one.remove(&key) {
                doc.insert(key, v);
            }
        }
    }
}

/// Narrows the attributes of one holder (the top level or an extension).
fn narrow(map: &mut Map<String, Value>, p: &Projection, in_holder: &dyn Fn(&Selector) -> bool, whole_in: bool) {
    let keys: Vec<String> = map.keys().cloned().collect();
    for key in keys {
        let about = |s: &Selector| in_holder(s) && matches!(s, Selector::Attribute { attr, .. } if *attr == key);
        // Excluded: the attribute, or some of its sub-attributes.
        for s in p.exclude.iter().filter(|s| about(s)) {
            match s {
                Selector::Attribute { sub: None, .. } => {
                    map.remove(&key);
                }
                Selector::Attribute { sub: Some(sub), .. } => strip_sub(map.get_mut(&key), sub, false),
                Selector::Extension(_) => {}
            }
        }
        let Some(include) = &p.include else { continue };
        if whole_in {
            continue;
        }
        let asked: Vec<&Selector> = include.iter().filter(|s| about(s)).collect();
        if asked.is_empty() {
            map.remove(&key);
        } else if asked
            .iter()
            .all(|s| matches!(s, Selector::Attribute { sub: Some(_), .. }))
        {
            let subs: Vec<&str> = asked
                .iter()
                .filter_map(|s| match s {
                    Selector::Attribute { sub: Some(sub), .. } => Some(sub.as_str()),
                    _ => None,
                })
                .collect();
            keep_subs(map.get_mut(&key), &subs);
        }
    }
}

fn strip_sub(value: Option<&mut Value>, sub: &str, _: bool) {
    match value {
        Some(Value::Object(m)) => {
            m.remove(sub);
        }
        Some(Value::Array(list)) => list.iter_mut().for_each(|v| {
            if let Value::Object(m) = v {
                m.remove(sub);
            }
        }),
        _ => {}
    }
}

fn keep_subs(value: Option<&mut Value>, subs: &[&str]) {
    let keep = |m: &mut Map<String, Value>| m.retain(|k, _| subs.contains(&k.as_str()));
    match value {
        Some(Value::Object(m)) => keep(m),
        Some(Value::Array(list)) => list.iter_mut().for_each(|v| {
            if let Value::Object(m) = v {
                keep(m)
            }
        }),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{group_resource, user_resource, ENTERPRISE_USER};
    use serde_json::json;

    fn project(attributes: Option<&str>, excluded: Option<&str>, doc: Value) -> Value {
        let r = user_resource(vec![], &[]);
        let p = Projection::parse(&r, attributes, excluded).unwrap();
        let mut doc = doc.as_object().unwrap().clone();
        p.apply(&mut doc);
        Value::Object(doc)
    }

    fn sample() -> Value {
        json!({
            "schemas": ["s"], "id": "1", "userName": "u", "name": {"givenName": "A", "familyName": "B"},
            "emails": [{"value": "a@x.de", "type": "work"}],
            ENTERPRISE_USER: {"department": "R&D", "employeeNumber": "7"},
            "meta": {"resourceType": "User"}
        })
    }

    #[test]
    fn attributes_keep_what_was_asked_and_what_is_always_returned() {
        let out = project(
            Some("userName,name.givenName,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"),
            None,
            sample(),
        );
        assert_eq!(
            out,
            json!({"schemas": ["s"], "id": "1", "userName": "u", "name": {"givenName": "A"}, ENTERPRISE_USER: {"department": "R&D"}})
        );
    }

    #[test]
    fn excluded_attributes_drop_what_was_named() {
        let out = project(None, Some("emails,name.familyName,meta"), sample());
        assert!(out.get("emails").is_none() && out.get("meta").is_none());
        assert_eq!(out["name"], json!({"givenName": "A"}));
        let out = project(None, Some(ENTERPRISE_USER), sample());
        assert!(out.get(ENTERPRISE_USER).is_none());
        assert_eq!(out["id"], "1");
    }

    #[test]
    fn the_service_can_ask_before_loading_members() {
        let g = group_resource();
        let p = Projection::parse(&g, None, Some("members")).unwrap();
        assert!(!p.wants(&Holder::Core, "members"));
        assert!(p.wants(&Holder::Core, "displayName"));
        let p = Projection::parse(&g, Some("displayName"), None).unwrap();
        assert!(!p.wants(&Holder::Core, "members"));
        assert!(Projection::parse(&g, Some("a"), Some("b")).is_err());
    }
}
