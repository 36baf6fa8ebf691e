//! The OpenAPI 3.1 document, generated from the endpoint table that also
//! builds the router. The committed copy is `docs/openapi.json`; a test fails
//! when the two differ (`ROSTER_UPDATE_OPENAPI=1 cargo test` rewrites it).

use serde_json::{json, Map, Value};

use crate::api::ENDPOINTS;

fn string() -> Value {
    json!({"type": "string"})
}

fn nullable(t: &str) -> Value {
    json!({"type": [t, "null"]})
}

fn object(required: &[&str], props: &[(&str, Value)]) -> Value {
    let properties: Map<String, Value> = props.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    json!({"type": "object", "required": required, "properties": properties})
}

fn list_of(schema: &str) -> Value {
    object(
        &["items"],
        &[(
            "items",
            json!({"type": "array", "items": {"$ref": format!("#/components/schemas/{schema}")}}),
        )],
    )
}

fn schemas() -> Value {
    let member_fields = [
        ("first_name", string()),
        ("last_name", string()),
        ("email", json!({"type": "string", "format": "email"})),
        (
            "personal_id",
            json!({"type": "string", "description": "Defaults to the e-mail."}),
        ),
        (
            "comment",
            json!({"type": "string", "description": "A free label, usable as a filter."}),
        ),
        ("phone", string()),
        ("location", string()),
        ("skills", string()),
        ("department", string()),
        (
            "role",
            json!({"type": "string", "description": "owner, admin, division_admin, collaborator, reader or custom:<key>"}),
        ),
        (
            "seat_type",
            json!({"type": ["string", "null"], "enum": ["power", "casual", null]}),
        ),
        ("external", json!({"type": "boolean"})),
        (
            "custom_fields",
            json!({"type": "object", "additionalProperties": {"type": "string"}}),
        ),
    ];
    let mut member = member_fields.to_vec();
    member.extend([
        ("id", json!({"type": "integer"})),
        ("account_id", nullable("integer")),
        ("status", json!({"type": "string", "enum": ["added", "invited", "active", "invitation_expired", "reassign_pending", "removed"]})),
        ("created_at", json!({"type": "string", "format": "date-time"})),
        ("updated_at", json!({"type": "string", "format": "date-time"})),
        ("removed_at", json!({"type": ["string", "null"], "format": "date-time"})),
    ]);
    let generic = |description: &str| json!({"type": "object", "description": description});
    json!({
        "Error": object(&["error"], &[("error", object(&["code", "message"], &[
            ("code", json!({"type": "string", "description": "Stable machine code, e.g. invalid_email, already_exists, not_found, forbidden, seats_exhausted."})),
            ("message", string()),
            ("field", nullable("string")),
            ("error_id", json!({"type": "string", "description": "On 5xx only: quote it to the operator; it is in the server log."})),
        ]))]),
        "Member": object(&["id", "first_name", "last_name", "email", "personal_id", "role", "status"], &member),
        "MemberInput": object(&[], &member_fields),
        "MemberPage": object(&["items", "next_cursor"], &[
            ("items", json!({"type": "array", "items": {"$ref": "#/components/schemas/Member"}})),
            ("next_cursor", json!({"type": ["string", "null"], "description": "Pass as `cursor` for the next page; null on the last page."})),
        ]),
        "MemberDetail": generic("A Member plus account_name, teams, status_history and content_items."),
        "Organization": object(&["id", "slug", "name"], &[
            ("id", json!({"type": "integer"})), ("slug", string()), ("name", string()),
            ("description", json!({"type": "string", "maxLength": 250})), ("accent_color", string()), ("logo_url", string()),
            ("invitation_lifetime_days", json!({"type": "integer"})), ("export_retention_days", json!({"type": "integer"})),
            ("job_history_days", json!({"type": "integer"})), ("import_row_limit", json!({"type": "integer"})),
            ("managed_by_identity_provider", json!({"type": "boolean"})), ("signup_enabled", json!({"type": "boolean"})),
        ]),
        "OrgSettingsPatch": generic("Any subset of the writable Organization fields."),
        "OrgOverview": generic("organization, team_size, seats, members_by_status, members_by_role."),
        "Seat": object(&["seat_type", "purchased", "used", "available"], &[
            ("seat_type", string()), ("label", string()), ("purchased", json!({"type": "integer"})),
            ("used", json!({"type": "integer"})), ("available", json!({"type": "integer"})),
        ]),
        "SeatList": list_of("Seat"),
        "SeatInput": object(&["purchased"], &[("purchased", json!({"type": "integer", "minimum": 0})), ("label", string())]),
        "OwnershipInput": object(&["member_id"], &[("member_id", json!({"type": "integer"}))]),
        "Team": object(&["id", "name"], &[
            ("id", json!({"type": "integer"})), ("parent_id", nullable("integer")), ("name", string()), ("purpose", string()),
            ("external_key", nullable("string")), ("is_division", json!({"type": "boolean"})), ("member_count", json!({"type": "integer"})),
        ]),
        "TeamList": list_of("Team"),
        "TeamInput": generic("name, purpose, parent_id (null moves to the top level), external_key, is_division."),
        "TeamDetail": generic("A Team plus members (one page, by name), next_cursor, member_count and division_admins."),
        "TeamMemberInput": object(&["member_id"], &[
            ("member_id", json!({"type": "integer"})), ("team_role", json!({"type": "string", "enum": ["member", "lead"]})),
            ("core_member", json!({"type": "boolean"})),
        ]),
        "TeamMember": generic("member_id, first_name, last_name, team_role, core_member."),
        "DivisionAdminInput": object(&["member_id"], &[("member_id", json!({"type": "integer"}))]),
        "RoleList": generic("items: key, name, builtin, permissions."),
        "NewCustomRole": object(&["key", "name", "permissions"], &[
            ("key", string()), ("name", string()), ("permissions", json!({"type": "array", "items": {"type": "string"}})),
        ]),
        "CustomRole": generic("id, key, name, permissions (comma-separated)."),
        "CustomFieldList": list_of("CustomField"),
        "NewCustomField": object(&["key", "label", "kind"], &[
            ("key", string()), ("label", string()),
            ("kind", json!({"type": "string", "enum": ["text", "number", "date", "yes_no", "choice"]})),
            ("choices", json!({"type": "array", "items": {"type": "string"}})),
        ]),
        "CustomField": generic("id, key, label, kind, choices."),
        "TokenList": generic("items: id, name, role, member_id (the member it belongs to and acts for, at most with their rights; null for an organization token), created_by, created_at, last_used_at, revoked_at, expires_at."),
        "NewToken": object(&["name", "role"], &[("name", string()), ("role", string()), ("expires_in_days", nullable("integer")), ("organization", json!({"type": "boolean"}))]),
        "TokenCreated": generic("The token record plus `token`, the secret, shown only here."),
        "NewContentItem": object(&["owner_member_id", "kind", "external_ref", "title"], &[
            ("owner_member_id", json!({"type": "integer"})), ("kind", string()), ("external_ref", string()), ("title", string()),
        ]),
        "ContentItem": generic("id, owner_member_id, kind, external_ref, title, created_at."),
        "AuditPage": generic("items (id, at, actor, action, target_kind, target_id, outcome, ip, request_id, details) and next_before."),
        "ImportList": list_of("Import"),
        "SavedMappingName": object(&["name"], &[("name", string())]),
        "SavedMapping": generic("name and targets: [{header, target}]."),
        "SavedMappingList": generic("items: name, targets, created_by, created_at."),
        "Import": generic("id, status (uploaded, applying, applied, failed, undone), file_name, detected (format, encoding, delimiter; for a workbook sheet, the sheet read, and sheets, all of them), mapping (columns: column, header, target), options, summary (rows, created, updated, unchanged, error), job_id, created_by, created_at, applied_at, undone_at; progress (done, total: rows applied so far while the job runs, all rows once it is done) or null."),
        "ImportFile": json!({"type": "string", "format": "binary", "description": "The CSV/TSV file or Excel workbook (.xlsx) as the request body (UTF-8 with or without BOM, UTF-16 with BOM, or Windows-1252; comma, semicolon, tab or pipe)."}),
        "SheetInput": object(&["sheet"], &[("sheet", json!({"type": "string", "description": "The name of one of the workbook's sheets (detected.sheets)."}))]),
        "MappingInput": generic("columns: one entry per column {column, header, target}; target is first_name, last_name, email, personal_id, comment, phone, location, skills, department, role, seat_type, team_id, admin_of_division, external, {\"custom\": key} or skip."),
        "ImportOptions": object(&[], &[
            ("existing", json!({"type": "string", "enum": ["update", "skip"], "description": "What to do with members who exist already (default update)."})),
            ("all_or_nothing", json!({"type": "boolean", "description": "Apply nothing if any row has an error (default false: skip bad rows)."})),
        ]),
        "ImportPreview": generic("import_id, detected, mapping, unmapped (headers no field takes), totals (rows, create, update, unchanged, error), seat_shortfall, planned_at (when the file was checked against the organization; pages share it until anything changes), rows (line, action, member_id, email, errors: line, column, field, code, message) of this page, page (offset, limit, errors_only, matching, next_offset, previous_offset)."),
        "UndoReport": generic("import_id, removed, restored, kept (line, member_id, reason)."),
        "JobList": generic("items: id, kind, status, attempts, progress_done, progress_total, result, last_error, created_at, finished_at."),
    })
}

fn error_response(description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
}

/// Builds the document from the endpoint table.
pub fn openapi_document() -> Value {
    let mut paths = Map::new();
    for endpoint in ENDPOINTS.iter().flat_map(|g| g.iter()) {
        let mut op = Map::new();
        op.insert("summary".into(), json!(endpoint.summary));
        op.insert(
            "description".into(),
            json!(format!("Requires: {}.", endpoint.permission)),
        );
        let mut parameters = Vec::new();
        for segment in endpoint.path.split('/').filter(|s| s.starts_with('{')) {
            let name = segment.trim_matches(|c| c == '{' || c == '}');
            let schema = if name.ends_with("id") {
                json!({"type": "integer"})
            } else {
                string()
            };
            parameters.push(json!({"name": name, "in": "path", "required": true, "schema": schema}));
        }
        op.insert("parameters".into(), Value::Array(parameters));
        if let Some(schema) = endpoint.request {
            op.insert(
                "requestBody".into(),
                json!({"required": true, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}}),
            );
        }
        let (status, body) = endpoint.response;
        let mut responses = Map::new();
        let ok = match body {
            Some(schema) => {
                json!({"description": "Success", "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}})
            }
            None => json!({"description": "Success"}),
        };
        responses.insert(status.to_string(), ok);
        responses.insert("401".into(), error_response("Missing, unknown or revoked token"));
        responses.insert("403".into(), error_response("The token's role lacks the permission"));
        responses.insert(
            "404".into(),
            error_response("Not found in this organization (also for other organizations' ids)"),
        );
        if endpoint.request.is_some() {
            responses.insert(
                "409".into(),
                error_response("Conflict: a taken value (field named), no seats left, a rule of roles"),
            );
            responses.insert("422".into(), error_response("Invalid input: the field and why"));
        }
        op.insert("responses".into(), Value::Object(responses));
        op.insert("security".into(), json!([{"bearer": []}]));
        let entry = paths.entry(endpoint.path.to_owned()).or_insert_with(|| json!({}));
        entry[endpoint.method] = Value::Object(op);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Roster API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Organizations, members, roles, seats and teams. Every request carries `Authorization: Bearer <API token>`; a token belongs to one organization and acts with its role. Errors are `{\"error\": {\"code\", \"message\", \"field\"}}`."
        },
        "paths": paths,
        "components": {
            "schemas": schemas(),
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
            let name: String = piece.chars().take_while(|c| c.is_alphanumeric()).collect();
            assert!(
                doc["components"]["schemas"].get(&name).is_some(),
                "schema {name} is referenced but not defined"
            );
        }
    }
}
