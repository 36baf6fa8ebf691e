//! Resolving an attribute path against a resource's schemas: which schema
//! holds the attribute (the core or an extension, whose values live under
//! the extension's URN in a resource's JSON), its definition, and the
//! sub-attribute's. Names match without regard to case (RFC 7643 §2.1).

use crate::error::{ScimError, ScimResult};
use crate::filter::AttrPath;
use crate::schema::{common_attr, Attr, Resource};

/// Where an attribute's values live in a resource's JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holder {
    /// At the top level: the core schema's attributes and `id`,
    /// `externalId`, `meta`.
    Core,
    /// Under the extension's URN (`"urn:…:enterprise:2.0:User": {…}`).
    Extension(&'static str),
}

/// A resolved attribute (and sub-attribute).
#[derive(Debug, Clone)]
pub struct Target {
    pub holder: Holder,
    pub attr: Attr,
    pub sub: Option<Attr>,
}

impl Target {
    /// The key of the attribute within its holder.
    pub fn key(&self) -> &str {
        &self.attr.name
    }

    /// `urn:…:name.sub` for messages.
    pub fn display(&self) -> String {
        let mut out = match &self.holder {
            Holder::Core => String::new(),
            Holder::Extension(urn) => format!("{urn}:"),
        };
        out.push_str(&self.attr.name);
        if let Some(sub) = &self.sub {
            out.push('.');
            out.push_str(&sub.name);
        }
        out
    }
}

/// What a path names: an attribute, a whole extension (a PATCH path may be
/// the extension's URN alone), or nothing Roster keeps.
// A handful per request: boxing the large variant would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Resolved {
    Attribute(Target),
    Extension(&'static str),
    Unknown,
}

/// Resolves `path` in `resource`. A known attribute with an unknown
/// sub-attribute is an error (`invalidPath`): that is a mistake, not an
/// attribute Roster does not keep. Extension attributes may be named
/// without their URN when the name is unambiguous (Entra ID filters on
/// `manager` that way).
pub fn resolve(resource: &Resource, path: &AttrPath) -> ScimResult<Resolved> {
    let (holder, attr) = match &path.urn {
        Some(urn) => {
            let whole = format!("{urn}:{}", path.name);
            if path.sub.is_none() {
                if let Some(ext) = resource.extension(&whole) {
                    return Ok(Resolved::Extension(ext.id));
                }
            }
            let Some(schema) = resource.schema(urn) else {
                return Ok(Resolved::Unknown);
            };
            let holder = if schema.id == resource.core.id {
                Holder::Core
            } else {
                Holder::Extension(schema.id)
            };
            let attr = match holder {
                Holder::Core => schema.attr(&path.name).cloned().or_else(|| common_attr(&path.name)),
                Holder::Extension(_) => schema.attr(&path.name).cloned(),
            };
            match attr {
                Some(attr) => (holder, attr),
                None => return Ok(Resolved::Unknown),
            }
        }
        None => {
            if let Some(attr) = resource
                .core
                .attr(&path.name)
                .cloned()
                .or_else(|| common_attr(&path.name))
            {
                (Holder::Core, attr)
            } else {
                let mut found = resource
                    .extensions
                    .iter()
                    .filter_map(|s| s.attr(&path.name).map(|a| (Holder::Extension(s.id), a.clone())));
                match (found.next(), found.next()) {
                    (Some(one), None) => one,
                    _ => return Ok(Resolved::Unknown),
                }
            }
        }
    };
    let sub = match &path.sub {
        None => None,
        Some(name) => match attr.sub_attr(name) {
            Some(sub) => Some(sub.clone()),
            None => {
                return Err(ScimError::invalid_path(format!(
                    "{} has no sub-attribute {name:?}",
                    attr.name
                )))
            }
        },
    };
    Ok(Resolved::Attribute(Target { holder, attr, sub }))
}

/// Like [`resolve`], for a path that must name an attribute Roster keeps.
pub fn resolve_attribute(resource: &Resource, path: &AttrPath) -> ScimResult<Target> {
    match resolve(resource, path)? {
        Resolved::Attribute(target) => Ok(target),
        Resolved::Extension(urn) => Err(ScimError::invalid_path(format!("{urn} is a schema, not an attribute"))),
        Resolved::Unknown => Err(ScimError::invalid_path(format!(
            "Roster keeps no attribute {:?} in {}",
            path.display(),
            resource.name
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{user_resource, ENTERPRISE_USER};

    fn user() -> Resource {
        user_resource(vec!["reader".into()], &[])
    }

    #[test]
    fn names_resolve_in_any_case_and_with_or_without_their_urn() {
        let r = user();
        let Resolved::Attribute(t) = resolve(&r, &AttrPath::parse("USERNAME").unwrap()).unwrap() else {
            panic!()
        };
        assert_eq!(t.attr.name, "userName");
        let Resolved::Attribute(t) = resolve(
            &r,
            &AttrPath::parse(&format!("{ENTERPRISE_USER}:employeeNumber")).unwrap(),
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(t.holder, Holder::Extension(ENTERPRISE_USER));
        let Resolved::Attribute(t) = resolve(&r, &AttrPath::parse("manager.value").unwrap()).unwrap() else {
            panic!()
        };
        assert_eq!(t.holder, Holder::Extension(ENTERPRISE_USER));
        assert_eq!(t.sub.unwrap().name, "value");
    }

    #[test]
    fn an_extension_urn_alone_names_the_extension() {
        let r = user();
        let lower = ENTERPRISE_USER.to_lowercase();
        assert!(matches!(
            resolve(&r, &AttrPath::parse(&lower).unwrap()).unwrap(),
            Resolved::Extension(ENTERPRISE_USER)
        ));
    }

    #[test]
    fn unknown_sub_attributes_are_errors_and_unknown_attributes_are_unknown() {
        let r = user();
        assert!(resolve(&r, &AttrPath::parse("name.nope").unwrap()).is_err());
        assert!(matches!(
            resolve(&r, &AttrPath::parse("shoeSize").unwrap()).unwrap(),
            Resolved::Unknown
        ));
    }
}
