//! The API's answers held to its document: every JSON answer a test gets
//! from `/api/v1/orgs/…` is checked against `openapi_document()` — its status
//! must be one the operation lists, its body must match that status's schema
//! — so a field renamed in a view, or an undocumented status, fails the test
//! that met it. Which operations were answered is kept, for the test that
//! wants every one.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, LazyLock, Mutex};

use reqwest::Method;
use serde_json::{json, Value};

/// The document once per test binary.
static DOCUMENT: LazyLock<Value> = LazyLock::new(roster_http::openapi_document);

/// Validators by schema (compiling one takes a while; tests share them).
static VALIDATORS: LazyLock<Mutex<HashMap<String, Arc<jsonschema::Validator>>>> = LazyLock::new(Default::default);

/// Operations answered in this test binary: `get /members/{id}`.
static ANSWERED: LazyLock<Mutex<BTreeSet<String>>> = LazyLock::new(Default::default);

/// The document's server: every path below is relative to it.
const SERVER: &str = "/api/v1/orgs/";

/// The document's path for a request path (`/api/v1/orgs/acme/members/12?x`
/// is `/members/{id}`): literal segments before templates.
fn document_path(path: &str) -> Option<String> {
    let rest = path.strip_prefix(SERVER)?;
    let rest = rest.split('?').next().unwrap_or_default();
    let relative = match rest.split_once('/') {
        Some((_slug, tail)) if !tail.is_empty() => format!("/{tail}"),
        _ => "/".to_owned(),
    };
    let wanted: Vec<&str> = relative.split('/').collect();
    let paths = DOCUMENT["paths"].as_object()?;
    paths
        .keys()
        .filter(|candidate| {
            let parts: Vec<&str> = candidate.split('/').collect();
            parts.len() == wanted.len()
                && parts
                    .iter()
                    .zip(&wanted)
                    .all(|(p, w)| p == w || (p.starts_with('{') && !w.is_empty()))
        })
        // The most literal segments wins: `/members/bulk` over `/members/{id}`.
        .max_by_key(|candidate| candidate.split('/').filter(|p| !p.starts_with('{')).count())
        .cloned()
}

fn validator(schema: &Value) -> Arc<jsonschema::Validator> {
    let key = schema.to_string();
    let mut cache = VALIDATORS.lock().unwrap();
    cache
        .entry(key)
        .or_insert_with(|| {
            let root = json!({"allOf": [schema], "components": DOCUMENT["components"]});
            Arc::new(
                jsonschema::draft202012::options()
                    .should_validate_formats(true)
                    .build(&root)
                    .unwrap_or_else(|e| panic!("the document's schema {schema} does not compile: {e}")),
            )
        })
        .clone()
}

/// Checks one answer; panics, naming the operation, when it is not as
/// documented. `content_type` is the answer's; `body` its JSON (or null).
#[track_caller]
pub fn check(method: &Method, path: &str, status: u16, content_type: Option<&str>, body: &Value) {
    let Some(document_path) = document_path(path) else {
        return;
    };
    let verb = method.as_str().to_lowercase();
    let label = format!("{verb} {document_path}");
    let operation = &DOCUMENT["paths"][&document_path][&verb];
    assert!(operation.is_object(), "{label} is not in the document");
    let answer = &operation["responses"][status.to_string()];
    assert!(
        answer.is_object(),
        "{label} answered {status}, which the document does not list: {body}"
    );
    ANSWERED.lock().unwrap().insert(label.clone());
    let media_type = content_type.and_then(|c| c.split(';').next()).map(str::trim);
    if let (Some(content), Some(media_type)) = (answer["content"].as_object(), media_type) {
        assert!(
            content.contains_key(media_type),
            "{label} {status} answered {media_type}, which the document does not list"
        );
    }
    if media_type.is_some_and(|m| m != "application/json") {
        // A file: its bytes are the report's or the export's tests' business.
        return;
    }
    let Some(schema) = answer.pointer("/content/application~1json/schema") else {
        assert!(
            body.is_null() || body.as_str() == Some(""),
            "{label} {status} answered a body the document does not describe: {body}"
        );
        return;
    };
    let validator = validator(schema);
    let errors: Vec<String> = validator
        .iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{label} {status} does not match its schema:\n  {}\n{body}",
        errors.join("\n  ")
    );
}

/// The operations answered so far in this test binary.
pub fn answered() -> BTreeSet<String> {
    ANSWERED.lock().unwrap().clone()
}

/// Every operation of the document (`get /members/{id}`).
pub fn operations() -> BTreeSet<String> {
    let mut all = BTreeSet::new();
    for (path, item) in DOCUMENT["paths"].as_object().into_iter().flatten() {
        for verb in item.as_object().into_iter().flatten().map(|(v, _)| v) {
            all.insert(format!("{verb} {path}"));
        }
    }
    all
}
