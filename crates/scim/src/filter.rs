//! SCIM filters (RFC 7644 §3.4.2.2) and PATCH paths (§3.5.2), parsed into
//! a tree. The parser is a recursive descent with a hard bound on nesting
//! and on length: a client's filter can never exhaust the stack (a Rust
//! stack overflow aborts the whole process) or the memory. Evaluating the
//! tree is `eval.rs`; turning it into SQL is the store's.

use serde_json::Value;

use crate::error::{ScimError, ScimResult};

/// The longest filter accepted, in bytes (a real client's is a few dozen).
pub const MAX_FILTER_BYTES: usize = 16 * 1024;
/// How deeply parentheses, `not` and value paths may nest.
pub const MAX_DEPTH: usize = 32;

/// An attribute as a filter or path names it: an optional schema URN, the
/// attribute and an optional sub-attribute, as written (names are matched
/// without regard to case later, against the schema).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrPath {
    pub urn: Option<String>,
    pub name: String,
    pub sub: Option<String>,
}

impl AttrPath {
    pub fn simple(name: &str) -> Self {
        Self {
            urn: None,
            name: name.to_owned(),
            sub: None,
        }
    }

    /// Parses `name`, `name.sub`, `urn:…:name` or `urn:…:name.sub`. The URN
    /// is everything before the last colon (URNs hold dots, as in `2.0`).
    pub fn parse(raw: &str) -> ScimResult<Self> {
        let (urn, rest) = match raw.rfind(':') {
            Some(i) => (Some(raw[..i].to_owned()), &raw[i + 1..]),
            None => (None, raw),
        };
        let mut parts = rest.split('.');
        let name = parts.next().unwrap_or_default();
        let sub = parts.next();
        if parts.next().is_some() || !valid_name(name) || sub.is_some_and(|s| !valid_name(s)) {
            return Err(ScimError::invalid_path(format!("{raw:?} is not an attribute path")));
        }
        if urn.as_deref().is_some_and(|u| u.is_empty() || !u.contains(':')) {
            return Err(ScimError::invalid_path(format!("{raw:?} is not an attribute path")));
        }
        Ok(Self {
            urn,
            name: name.to_owned(),
            sub: sub.map(str::to_owned),
        })
    }

    /// As written: `urn:…:name.sub`.
    pub fn display(&self) -> String {
        let mut out = String::new();
        if let Some(urn) = &self.urn {
            out.push_str(urn);
            out.push(':');
        }
        out.push_str(&self.name);
        if let Some(sub) = &self.sub {
            out.push('.');
            out.push_str(sub);
        }
        out
    }
}

/// ATTRNAME = ALPHA *(nameChar); `$ref` is the one sub-attribute with a `$`.
fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some('$') => name == "$ref",
        Some(c) if c.is_ascii_alphabetic() => chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'),
        _ => false,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

impl CompareOp {
    fn parse(word: &str) -> Option<Self> {
        Some(match word.to_ascii_lowercase().as_str() {
            "eq" => Self::Eq,
            "ne" => Self::Ne,
            "co" => Self::Co,
            "sw" => Self::Sw,
            "ew" => Self::Ew,
            "gt" => Self::Gt,
            "ge" => Self::Ge,
            "lt" => Self::Lt,
            "le" => Self::Le,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Eq => "eq",
            Self::Ne => "ne",
            Self::Co => "co",
            Self::Sw => "sw",
            Self::Ew => "ew",
            Self::Gt => "gt",
            Self::Ge => "ge",
            Self::Lt => "lt",
            Self::Le => "le",
        }
    }

    /// Whether the operator orders values (`gt`, `ge`, `lt`, `le`).
    pub fn orders(self) -> bool {
        matches!(self, Self::Gt | Self::Ge | Self::Lt | Self::Le)
    }
}

/// A parsed filter. `and` and `or` chains are flat lists, so a long chain
/// is wide rather than deep.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// `attr op value`; the value is a JSON string, number, boolean or null.
    Compare(AttrPath, CompareOp, Value),
    /// `attr pr`
    Present(AttrPath),
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Not(Box<Filter>),
    /// `attr[filter]`: some value of the multi-valued `attr` matches
    /// `filter`, whose paths name that value's sub-attributes.
    Has(AttrPath, Box<Filter>),
}

impl Filter {
    /// Parses a filter as a client sends it (`userName eq "bjensen"`).
    pub fn parse(raw: &str) -> ScimResult<Self> {
        if raw.len() > MAX_FILTER_BYTES {
            return Err(ScimError::invalid_filter(format!(
                "the filter is {} bytes long; at most {MAX_FILTER_BYTES} are accepted",
                raw.len()
            )));
        }
        let tokens = tokenize(raw)?;
        let mut parser = Parser {
            tokens,
            at: 0,
            depth: 0,
        };
        let filter = parser.or()?;
        if let Some(token) = parser.peek() {
            return Err(ScimError::invalid_filter(format!(
                "unexpected {} after the end of the filter",
                token.describe()
            )));
        }
        Ok(filter)
    }

    /// Every attribute path the filter names (value paths' inner paths
    /// are sub-attributes of their attribute), for checks before running it.
    pub fn paths(&self) -> Vec<AttrPath> {
        let mut out = Vec::new();
        self.collect_paths(None, &mut out);
        out
    }

    fn collect_paths(&self, parent: Option<&AttrPath>, out: &mut Vec<AttrPath>) {
        let qualify = |p: &AttrPath| match parent {
            Some(parent) => AttrPath {
                urn: parent.urn.clone(),
                name: parent.name.clone(),
                sub: Some(p.name.clone()),
            },
            None => p.clone(),
        };
        match self {
            Self::Compare(p, _, _) | Self::Present(p) => out.push(qualify(p)),
            Self::And(list) | Self::Or(list) => list.iter().for_each(|f| f.collect_paths(parent, out)),
            Self::Not(inner) => inner.collect_paths(parent, out),
            Self::Has(p, inner) => {
                out.push(p.clone());
                inner.collect_paths(Some(p), out);
            }
        }
    }
}

/// A PATCH operation's `path` (RFC 7644 §3.5.2): an attribute, optionally
/// narrowed to the values of a multi-valued attribute that match a filter,
/// and optionally to one sub-attribute of those values
/// (`emails[type eq "work"].value`, `members[value eq "12"]`).
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    pub attr: AttrPath,
    pub filter: Option<Filter>,
    /// The sub-attribute after a value filter (`.value`).
    pub sub: Option<String>,
}

impl PatchPath {
    pub fn parse(raw: &str) -> ScimResult<Self> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(ScimError::invalid_path("the path is empty"));
        }
        if raw.len() > MAX_FILTER_BYTES {
            return Err(ScimError::invalid_path("the path is too long"));
        }
        let Some(open) = raw.find('[') else {
            return Ok(Self {
                attr: AttrPath::parse(raw)?,
                filter: None,
                sub: None,
            });
        };
        let close = raw
            .rfind(']')
            .filter(|c| *c > open)
            .ok_or_else(|| ScimError::invalid_path(format!("{raw:?} opens a filter it does not close")))?;
        let attr = AttrPath::parse(&raw[..open])?;
        if attr.sub.is_some() {
            return Err(ScimError::invalid_path(format!(
                "{raw:?}: a value filter follows an attribute, not a sub-attribute"
            )));
        }
        let filter = Filter::parse(&raw[open + 1..close])
            .map_err(|e| ScimError::invalid_path(format!("{raw:?}: {}", e.detail)))?;
        let rest = &raw[close + 1..];
        let sub = match rest.strip_prefix('.') {
            Some(sub) if valid_name(sub) => Some(sub.to_owned()),
            None if rest.is_empty() => None,
            _ => return Err(ScimError::invalid_path(format!("{raw:?} is not a path"))),
        };
        Ok(Self {
            attr,
            filter: Some(filter),
            sub,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    OpenBracket,
    CloseBracket,
    /// `.sub` right after a `]`.
    Dot,
    Word(String),
    Str(String),
}

impl Token {
    fn describe(&self) -> String {
        match self {
            Self::Open => "\"(\"".into(),
            Self::Close => "\")\"".into(),
            Self::OpenBracket => "\"[\"".into(),
            Self::CloseBracket => "\"]\"".into(),
            Self::Dot => "\".\"".into(),
            Self::Word(w) => format!("{w:?}"),
            Self::Str(s) => format!("the string {s:?}"),
        }
    }
}

fn word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ':' | '.' | '$' | '+')
}

fn tokenize(raw: &str) -> ScimResult<Vec<Token>> {
    let mut tokens = Vec::new();
    let mut chars = raw.char_indices().peekable();
    while let Some(&(i, c)) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' | ')' | '[' => {
                chars.next();
                tokens.push(match c {
                    '(' => Token::Open,
                    ')' => Token::Close,
                    _ => Token::OpenBracket,
                });
            }
            ']' => {
                chars.next();
                tokens.push(Token::CloseBracket);
                if chars.peek().is_some_and(|&(_, c)| c == '.') {
                    chars.next();
                    tokens.push(Token::Dot);
                }
            }
            '"' => {
                // A JSON string, escapes and all: serde_json reads it.
                let start = i;
                chars.next();
                let mut escaped = false;
                let mut end = None;
                for (j, c) in chars.by_ref() {
                    if escaped {
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                    } else if c == '"' {
                        end = Some(j);
                        break;
                    }
                }
                let end = end.ok_or_else(|| ScimError::invalid_filter("a string is not closed"))?;
                let text: String = serde_json::from_str(&raw[start..=end])
                    .map_err(|e| ScimError::invalid_filter(format!("a string is not valid JSON: {e}")))?;
                tokens.push(Token::Str(text));
            }
            c if word_char(c) => {
                let start = i;
                let mut end = raw.len();
                while let Some(&(j, c)) = chars.peek() {
                    if !word_char(c) {
                        end = j;
                        break;
                    }
                    chars.next();
                }
                tokens.push(Token::Word(raw[start..end].to_owned()));
            }
            other => {
                return Err(ScimError::invalid_filter(format!(
                    "unexpected character {other:?} at byte {i}"
                )))
            }
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
    }

    fn deeper(&mut self) -> ScimResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ScimError::invalid_filter(format!(
                "the filter nests deeper than {MAX_DEPTH} levels"
            )));
        }
        Ok(())
    }

    fn or(&mut self) -> ScimResult<Filter> {
        let mut terms = vec![self.and()?];
        while self.keyword("or") {
            self.next();
            terms.push(self.and()?);
        }
        Ok(if terms.len() == 1 {
            terms.remove(0)
        } else {
            Filter::Or(terms)
        })
    }

    fn and(&mut self) -> ScimResult<Filter> {
        let mut terms = vec![self.unary()?];
        while self.keyword("and") {
            self.next();
            terms.push(self.unary()?);
        }
        Ok(if terms.len() == 1 {
            terms.remove(0)
        } else {
            Filter::And(terms)
        })
    }

    fn unary(&mut self) -> ScimResult<Filter> {
        match self.peek() {
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("not") => {
                self.next();
                self.deeper()?;
                let inner = self.unary()?;
                self.depth -= 1;
                Ok(Filter::Not(Box::new(inner)))
            }
            Some(Token::Open) => {
                self.next();
                self.deeper()?;
                let inner = self.or()?;
                match self.next() {
                    Some(Token::Close) => {}
                    Some(other) => {
                        return Err(ScimError::invalid_filter(format!(
                            "expected \")\" but found {}",
                            other.describe()
                        )))
                    }
                    None => return Err(ScimError::invalid_filter("a \"(\" is not closed")),
                }
                self.depth -= 1;
                Ok(inner)
            }
            _ => self.attribute_expression(),
        }
    }

    fn attribute_expression(&mut self) -> ScimResult<Filter> {
        let path = match self.next() {
            Some(Token::Word(w)) => AttrPath::parse(&w).map_err(|e| ScimError::invalid_filter(e.detail))?,
            Some(other) => {
                return Err(ScimError::invalid_filter(format!(
                    "expected an attribute but found {}",
                    other.describe()
                )))
            }
            None => {
                return Err(ScimError::invalid_filter(
                    "the filter ends where an attribute was expected",
                ))
            }
        };
        if self.peek() == Some(&Token::OpenBracket) {
            self.next();
            if path.sub.is_some() {
                return Err(ScimError::invalid_filter(format!(
                    "{}: a value filter follows an attribute, not a sub-attribute",
                    path.display()
                )));
            }
            self.deeper()?;
            let inner = self.or()?;
            if self.next() != Some(Token::CloseBracket) {
                return Err(ScimError::invalid_filter("a \"[\" is not closed"));
            }
            self.depth -= 1;
            // `emails[type eq "work"].value eq "x"` (Entra's form): the
            // comparison applies to the same value as the bracket.
            if self.peek() == Some(&Token::Dot) {
                self.next();
                let sub = match self.next() {
                    Some(Token::Word(w)) if valid_name(&w) => w,
                    _ => return Err(ScimError::invalid_filter("expected a sub-attribute after \"].\"")),
                };
                let tail = self.comparison(AttrPath::simple(&sub))?;
                return Ok(Filter::Has(path, Box::new(Filter::And(vec![inner, tail]))));
            }
            return Ok(Filter::Has(path, Box::new(inner)));
        }
        self.comparison(path)
    }

    fn comparison(&mut self, path: AttrPath) -> ScimResult<Filter> {
        let op = match self.next() {
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("pr") => return Ok(Filter::Present(path)),
            Some(Token::Word(w)) => CompareOp::parse(&w).ok_or_else(|| {
                ScimError::invalid_filter(format!(
                    "{w:?} is not an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr)"
                ))
            })?,
            _ => {
                return Err(ScimError::invalid_filter(format!(
                    "expected an operator after {}",
                    path.display()
                )))
            }
        };
        let value = match self.next() {
            Some(Token::Str(s)) => Value::String(s),
            Some(Token::Word(w)) => word_value(&w),
            _ => {
                return Err(ScimError::invalid_filter(format!(
                    "expected a value after {} {}",
                    path.display(),
                    op.as_str()
                )))
            }
        };
        Ok(Filter::Compare(path, op, value))
    }
}

/// An unquoted value: `true`, `false`, `null`, a number, or (leniently: a
/// published Entra ID example sends `externalId eq jyoung`) a bare word
/// read as a string.
fn word_value(word: &str) -> Value {
    match word.to_ascii_lowercase().as_str() {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        "null" => Value::Null,
        _ => match serde_json::from_str::<serde_json::Number>(word) {
            Ok(n) => Value::Number(n),
            Err(_) => Value::String(word.to_owned()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(name: &str, op: CompareOp, value: Value) -> Filter {
        Filter::Compare(AttrPath::parse(name).unwrap(), op, value)
    }

    #[test]
    fn operators_and_names_are_read_in_any_case() {
        assert_eq!(
            Filter::parse("USERNAME Eq \"x\"").unwrap(),
            cmp("USERNAME", CompareOp::Eq, "x".into())
        );
        assert_eq!(
            Filter::parse("title PR").unwrap(),
            Filter::Present(AttrPath::simple("title"))
        );
    }

    #[test]
    fn not_binds_before_and_before_or() {
        let f = Filter::parse("a eq 1 or b eq 2 and not (c eq 3)").unwrap();
        assert_eq!(
            f,
            Filter::Or(vec![
                cmp("a", CompareOp::Eq, 1.into()),
                Filter::And(vec![
                    cmp("b", CompareOp::Eq, 2.into()),
                    Filter::Not(Box::new(cmp("c", CompareOp::Eq, 3.into())))
                ])
            ])
        );
    }

    #[test]
    fn urn_paths_keep_the_dots_of_their_version() {
        let p = AttrPath::parse("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value").unwrap();
        assert_eq!(
            p.urn.as_deref(),
            Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
        );
        assert_eq!((p.name.as_str(), p.sub.as_deref()), ("manager", Some("value")));
    }

    #[test]
    fn value_paths_with_a_trailing_comparison_fold_into_the_bracket() {
        let f = Filter::parse("emails[type eq \"work\" and primary eq true].value eq \"a@b.c\"").unwrap();
        let Filter::Has(path, inner) = f else { panic!() };
        assert_eq!(path.name, "emails");
        assert!(matches!(*inner, Filter::And(ref v) if v.len() == 2));
    }

    #[test]
    fn strings_take_json_escapes() {
        assert_eq!(
            Filter::parse(r#"displayName eq "a \"b\" \u00e4""#).unwrap(),
            cmp("displayName", CompareOp::Eq, "a \"b\" ä".into())
        );
    }

    #[test]
    fn a_bare_word_is_read_as_a_string() {
        assert_eq!(
            Filter::parse("externalId eq jyoung").unwrap(),
            cmp("externalId", CompareOp::Eq, "jyoung".into())
        );
    }

    #[test]
    fn deep_nesting_and_huge_filters_are_refused_without_recursing() {
        let deep = format!("{}a eq 1{}", "(".repeat(10_000), ")".repeat(10_000));
        let err = Filter::parse(&deep).unwrap_err();
        assert_eq!(err.scim_type, Some(crate::ScimType::InvalidFilter));
        let nots = "not (".repeat(5_000);
        assert!(Filter::parse(&nots).is_err());
        let huge = "a eq 1 or ".repeat(200_000);
        assert_eq!(
            Filter::parse(&huge).unwrap_err().scim_type,
            Some(crate::ScimType::InvalidFilter)
        );
    }

    #[test]
    fn long_flat_chains_stay_flat() {
        let chain = vec!["a eq 1"; 1_000].join(" or ");
        let Filter::Or(terms) = Filter::parse(&chain).unwrap() else {
            panic!()
        };
        assert_eq!(terms.len(), 1_000);
    }

    #[test]
    fn malformed_filters_say_what_is_wrong() {
        for bad in [
            "userName",
            "userName eq",
            "userName xx \"a\"",
            "(userName eq \"a\"",
            "userName eq \"a",
            "emails[type eq \"work\"",
            "eq \"a\"",
            "userName eq \"a\" )",
            "a.b.c eq 1",
            "",
        ] {
            let err = Filter::parse(bad).unwrap_err();
            assert_eq!(err.scim_type, Some(crate::ScimType::InvalidFilter), "{bad}");
        }
    }

    #[test]
    fn patch_paths_take_filters_and_sub_attributes() {
        let p = PatchPath::parse("emails[type eq \"work\"].value").unwrap();
        assert_eq!(p.attr.name, "emails");
        assert_eq!(p.sub.as_deref(), Some("value"));
        assert!(p.filter.is_some());
        let p = PatchPath::parse("members[value eq \"2819c223\"]").unwrap();
        assert_eq!(p.sub, None);
        let p = PatchPath::parse("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber").unwrap();
        assert_eq!(p.attr.name, "employeeNumber");
        assert!(PatchPath::parse("emails[type eq \"work\"].").is_err());
        assert!(PatchPath::parse("name.givenName[x eq 1]").is_err());
    }
}
