//! The OpenAPI 3.1 document, generated from the endpoint table that also
//! builds the router, with the JSON Schemas of the Rust types the handlers
//! take and return (schemars: OpenAPI 3.1 speaks JSON Schema 2020-12, which
//! schemars writes, so the types need no second description). The committed
//! copy is `docs/openapi.json`; a test fails when the two differ
//! (`ROSTER_UPDATE_OPENAPI=1 cargo test -p roster-http openapi` rewrites it).

use schemars::generate::SchemaSettings;
use schemars::SchemaGenerator;
use serde_json::{json, Map, Value};

use crate::api::{Body, Endpoint, ENDPOINTS};
use crate::error::ErrorBody;

/// Every endpoint lives inside one organization: the document's server is
/// the organization (`{slug}` a server variable, as an API token belongs to
/// one), and its paths are relative to it.
pub const ORG_PREFIX: &str = "/api/v1/orgs/{slug}";

/// An endpoint's path in the document: `/members/{id}`, `/` for the
/// organization itself.
pub fn document_path(path: &str) -> &str {
    match path.strip_prefix(ORG_PREFIX) {
        Some("") => "/",
        Some(rest) => rest,
        None => path,
    }
}

/// The error answers an endpoint can give, with what they mean here.
fn errors_of(endpoint: &Endpoint) -> Vec<(u16, &'static str)> {
    let mut errors =
        vec![
        (401, "Missing, unknown, expired or revoked token"),
        (403, "The token's role (or its member's) lacks the permission, or a rule of ranks refuses it"),
        (
            404,
            "Not found in this organization (also for other organizations' ids, and for an id that is not a number)",
        ),
    ];
    let takes_input = endpoint.query.is_some() || !matches!(endpoint.request, Body::Empty);
    if endpoint.method != "get" {
        errors.push((
            409,
            "Well formed, but the organization's state refuses it: a taken value, no seats left, something it names that does not exist (now)",
        ));
    }
    if let Body::File { .. } = endpoint.request {
        errors.push((413, "The file is larger than the server takes"));
    }
    if takes_input {
        errors.push((422, "The request breaks a rule this document states: the field and why"));
    }
    errors.push((
        500,
        "A fault on the server's side: the answer carries an error id for the operator",
    ));
    errors.push((
        503,
        "Busy (the database's writer, or too many uploads at once): try again after Retry-After seconds",
    ));
    errors
}

fn settings() -> SchemaSettings {
    SchemaSettings::draft2020_12().with(|s| {
        s.definitions_path = "/components/schemas".into();
        s.meta_schema = None;
    })
}

fn content(body: &Body, generator: &mut SchemaGenerator) -> Option<Value> {
    match body {
        Body::Empty => None,
        Body::Json(t) => Some(json!({"application/json": {"schema": (t.schema)(generator)}})),
        Body::File { media_types, .. } => Some(Value::Object(
            media_types
                .iter()
                .map(|m| {
                    (
                        (*m).to_owned(),
                        json!({"schema": {"type": "string", "contentMediaType": m}}),
                    )
                })
                .collect(),
        )),
    }
}

/// The parameters of the path (`{slug}`, `{id}`, …) and of the query type.
fn parameters(endpoint: &Endpoint, generator: &mut SchemaGenerator) -> Vec<Value> {
    let mut parameters = Vec::new();
    for segment in document_path(endpoint.path).split('/').filter(|s| s.starts_with('{')) {
        let name = segment.trim_matches(|c| c == '{' || c == '}');
        let schema = match name {
            "seat_type" => generator.subschema_for::<roster_service::SeatType>().to_value(),
            // A custom role is named with its prefix or without.
            "key" if endpoint.path.contains("/roles/") => {
                json!({"type": "string", "pattern": "^(custom:)?[a-z][a-z0-9_]{0,39}$"})
            }
            "key" => json!({"type": "string", "pattern": "^[a-z][a-z0-9_]{0,39}$"}),
            _ => json!({"type": "integer", "format": "int64"}),
        };
        parameters.push(json!({"name": name, "in": "path", "required": true, "schema": schema}));
    }
    if let Some(query) = endpoint.query {
        // The query's own schema, not a reference: its fields are the parameters.
        let schema = (query.inline)(generator).to_value();
        let required: Vec<&str> = schema["required"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if let Some(properties) = schema["properties"].as_object() {
            for (name, property) in properties {
                let mut property = property.clone();
                let description = property.as_object_mut().and_then(|p| p.remove("description"));
                let mut parameter = json!({
                    "name": name,
                    "in": "query",
                    "required": required.contains(&name.as_str()),
                    "schema": property,
                });
                if let Some(description) = description {
                    parameter["description"] = description;
                }
                parameters.push(parameter);
            }
        }
    }
    parameters
}

/// A stable name of an operation: `get_members_by_id`.
fn operation_id(endpoint: &Endpoint) -> String {
    let mut id = endpoint.method.to_owned();
    for segment in document_path(endpoint.path).split('/').filter(|s| !s.is_empty()) {
        id.push('_');
        match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(name) => {
                id.push_str("by_");
                id.push_str(name);
            }
            None => id.extend(segment.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })),
        }
    }
    if id == endpoint.method {
        id.push_str("_organization");
    }
    id
}

/// What a creation leads to: `POST /members` answers a member whose `id`
/// is the `{id}` of `/members/{id}`, `/members/{id}/…` (OpenAPI links, so a
/// client, or a fuzzer, can follow them).
fn links(endpoint: &Endpoint, answer: &Value) -> Map<String, Value> {
    let mut links = Map::new();
    if endpoint.method != "post" || endpoint.response.0 != 201 {
        return links;
    }
    let base = document_path(endpoint.path);
    for other in ENDPOINTS.iter().flat_map(|g| g.iter()) {
        let path = document_path(other.path);
        let Some(rest) = path.strip_prefix(base).and_then(|r| r.strip_prefix("/{")) else {
            continue;
        };
        let Some((name, _)) = rest.split_once('}') else {
            continue;
        };
        // The created thing's field that names it in paths.
        let field = if name == "key" { "key" } else { "id" };
        if answer.get(field).is_none() {
            continue;
        }
        links.insert(
            operation_id(other),
            json!({"operationId": operation_id(other), "parameters": {name: format!("$response.body#/{field}")}}),
        );
    }
    links
}

fn operation(endpoint: &Endpoint, generator: &mut SchemaGenerator, error: &Value) -> Value {
    let mut op = Map::new();
    op.insert("operationId".into(), json!(operation_id(endpoint)));
    op.insert("summary".into(), json!(endpoint.summary));
    op.insert(
        "description".into(),
        json!(format!("Requires: {}.", endpoint.permission)),
    );
    op.insert("parameters".into(), Value::Array(parameters(endpoint, generator)));
    if let Some(content) = content(&endpoint.request, generator) {
        op.insert("requestBody".into(), json!({"required": true, "content": content}));
    }
    let (status, body) = &endpoint.response;
    let mut ok = json!({"description": "Success"});
    if let Some(content) = content(body, generator) {
        ok["content"] = content;
    }
    if let Body::Json(t) = body {
        // The fields of the answer, to see which one names the created thing.
        let answer = (t.inline)(generator).to_value();
        let links = links(endpoint, &answer["properties"]);
        if !links.is_empty() {
            ok["links"] = Value::Object(links);
        }
    }
    let mut responses = Map::new();
    responses.insert(status.to_string(), ok);
    for (status, body) in endpoint.also {
        let mut answer = json!({"description": "Success"});
        if let Some(content) = content(body, generator) {
            answer["content"] = content;
        }
        responses.insert(status.to_string(), answer);
    }
    for (status, description) in errors_of(endpoint) {
        responses.insert(
            status.to_string(),
            json!({"description": description, "content": {"application/json": {"schema": error}}}),
        );
    }
    op.insert("responses".into(), Value::Object(responses));
    op.insert("security".into(), json!([{"bearer": []}]));
    Value::Object(op)
}

/// Builds the document from the endpoint table.
pub fn openapi_document() -> Value {
    let mut generator = SchemaGenerator::new(settings());
    let error = generator.subschema_for::<ErrorBody>().to_value();
    let mut paths = Map::new();
    for endpoint in ENDPOINTS.iter().flat_map(|g| g.iter()) {
        let op = operation(endpoint, &mut generator, &error);
        let entry = paths
            .entry(document_path(endpoint.path).to_owned())
            .or_insert_with(|| json!({}));
        entry[endpoint.method] = op;
    }
    let schemas = generator.take_definitions(true);
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Roster API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Organizations, members, roles, seats and teams. Every request carries `Authorization: Bearer <API token>`; a token belongs to one organization and acts with its role. Errors are `{\"error\": {\"code\", \"message\", \"field\"}}`: 422 when the request breaks a rule this document states, 409 when it is well formed but the organization's current state refuses it."
        },
        "servers": [{
            "url": ORG_PREFIX,
            "description": "Your organization: its slug is in the console's address (/o/<slug>)",
            "variables": {"slug": {"default": "demo", "description": "The organization's slug"}}
        }],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}
        }
    })
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    #[test]
    fn committed_openapi_document_matches_the_code() {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
        let generated = serde_json::to_string_pretty(&super::openapi_document()).unwrap() + "\n";
        if std::env::var_os("ROSTER_UPDATE_OPENAPI").is_some() {
            std::fs::write(&path, &generated).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == generated,
            "docs/openapi.json is out of date with the code; run `ROSTER_UPDATE_OPENAPI=1 cargo test -p roster-http openapi` and commit it"
        );
    }

    #[test]
    fn every_referenced_schema_exists() {
        let doc = super::openapi_document();
        let text = doc.to_string();
        for piece in text.split("#/components/schemas/").skip(1) {
            let name: String = piece.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            assert!(
                doc["components"]["schemas"].get(&name).is_some(),
                "schema {name} is referenced but not defined"
            );
        }
    }
}
