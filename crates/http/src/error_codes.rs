//! Every code Roster answers with: in an error's body (`error.code`) and in
//! an import row's errors. Clients switch on these, so they are a contract:
//! the OpenAPI document lists them, and a test fails when the code uses one
//! that is not here.

use schemars::{json_schema, Schema, SchemaGenerator};

/// A code, the status it comes with, and what it means.
pub struct ErrorCode {
    pub code: &'static str,
    pub status: u16,
    pub meaning: &'static str,
}

const fn code(code: &'static str, status: u16, meaning: &'static str) -> ErrorCode {
    ErrorCode { code, status, meaning }
}

pub const ERROR_CODES: &[ErrorCode] = &[
    code(
        "unauthenticated",
        401,
        "no token, or an unknown, expired or revoked one",
    ),
    code("missing_permission", 403, "the token's role lacks the permission"),
    code(
        "forbidden",
        403,
        "a rule refuses it: the rank of the member, the owner's role, a permission you do not hold",
    ),
    code(
        "sso_required",
        403,
        "the organization signs its members in only through its identity provider",
    ),
    code("not_found", 404, "nothing with this id in this organization"),
    code("already_exists", 409, "the value (e-mail, key, name) is taken"),
    code(
        "looks_alike",
        409,
        "the e-mail looks like another member's (letters from other scripts)",
    ),
    code(
        "member_removed",
        409,
        "the member was removed; add them again to restore them",
    ),
    code(
        "managed_by_identity_provider",
        409,
        "members come from the identity provider (SCIM) here",
    ),
    code(
        "owner_cannot_leave",
        409,
        "the owner transfers ownership before leaving",
    ),
    code("role_in_use", 409, "members or tokens hold the role"),
    code(
        "directory_group",
        409,
        "the team is a group of the identity provider: it is renamed, deleted and filled there",
    ),
    code(
        "not_a_directory_group",
        409,
        "only a group of the identity provider grants its members a role",
    ),
    code(
        "invalid_scim_request",
        400,
        "(SCIM only) a SCIM request broke a rule of RFC 7644; SCIM answers carry its scimType",
    ),
    code("seats_in_use", 409, "more seats are used than that"),
    code("seats_exhausted", 409, "not enough free seats of that type"),
    code(
        "export_not_ready",
        409,
        "the export's file is not written yet; its status says how far it is",
    ),
    code(
        "export_failed",
        409,
        "the export failed (its error says why); no file was kept",
    ),
    code(
        "export_expired",
        410,
        "the export's retention ended and its file was deleted; make it again",
    ),
    code("team_has_subteams", 409, "move or delete the sub-teams first"),
    code("not_a_division", 409, "the team is not a division"),
    code("import_not_editable", 409, "the import was applied already"),
    code("import_not_applied", 409, "only an applied import can be undone"),
    code(
        "import_not_applying",
        409,
        "only an import being applied can be cancelled, once",
    ),
    code("invalid_transition", 409, "the member's status does not allow it"),
    code(
        "unknown_member",
        409,
        "no member of this organization has this id or e-mail",
    ),
    code("unknown_team", 409, "no team of this organization has this id"),
    code("unknown_role", 409, "the organization has no custom role with this key"),
    code(
        "unknown_field",
        409,
        "the organization has no custom field with this key",
    ),
    code("cycle", 409, "a team cannot be inside itself"),
    code("invalid_mapping", 409, "the mapping does not fit the file's columns"),
    code("unknown_sheet", 409, "the workbook has no sheet of that name"),
    code(
        "invalid_receiver",
        409,
        "the content cannot go to the member being removed",
    ),
    code("too_deep", 409, "teams nest at most so deep"),
    code(
        "not_invitable",
        409,
        "none of the members can be invited (active, removed, reassigning, or unknown)",
    ),
    code("not_invited", 409, "none of the members has an invitation to revoke"),
    code(
        "too_many_members",
        409,
        "more members than one invitation request takes; narrow the filter",
    ),
    code(
        "no_seat_to_reassign",
        409,
        "only an active member's seat can be reassigned",
    ),
    code("no_reassignment", 409, "the member's seat is not being reassigned"),
    code("signup_disabled", 409, "the organization's sign-up page is off"),
    code(
        "reset_link_invalid",
        409,
        "the password-reset link has expired or was used",
    ),
    code("division_not_top_level", 409, "a division is a top-level team"),
    code("file_too_large", 413, "the file is larger than the server takes"),
    code("required", 422, "the field is required"),
    code("too_long", 422, "the text is longer than allowed"),
    code("too_short", 422, "the text is shorter than allowed"),
    code("too_many", 422, "more items than one request takes"),
    code("out_of_range", 422, "the number is outside the allowed range"),
    code(
        "forbidden_character",
        422,
        "a control character, line break or invisible character",
    ),
    code(
        "mixed_scripts",
        422,
        "the e-mail mixes Latin, Greek or Cyrillic letters",
    ),
    code("invalid_email", 422, "not an e-mail address"),
    code("invalid_role", 422, "not a role"),
    code("invalid_seat_type", 422, "not a seat type"),
    code("invalid_status", 422, "not a member status"),
    code("invalid_team_role", 422, "not a team role"),
    code("invalid_permission", 422, "not a permission"),
    code(
        "invalid_key",
        422,
        "not a key (lower-case letters, digits, underscores)",
    ),
    code("invalid_kind", 422, "not a kind of custom field"),
    code("invalid_slug", 422, "not an organization slug"),
    code("invalid_color", 422, "not a colour like #1f6feb"),
    code("invalid_url", 422, "not an https:// URL"),
    code(
        "invalid_identity_provider",
        422,
        "the identity provider's settings, or what it answered, do not pass",
    ),
    code("invalid_value", 422, "the value does not fit the custom field's kind"),
    code(
        "invalid_cursor",
        404,
        "the cursor is not one this list gave: no such page",
    ),
    code("invalid_sort", 422, "not a sort order of this list"),
    code("invalid_language", 422, "not a language Roster writes (en, de, nl, fr)"),
    code("invalid_state", 422, "not an invitation state"),
    code("invalid_domain", 422, "not an e-mail domain like example.com"),
    code(
        "domain_not_proven",
        422,
        "the domain's TXT record _roster-challenge.DOMAIN does not hold the claim's value",
    ),
    code(
        "domain_not_allowed",
        422,
        "the organization's sign-up page does not take addresses at this domain",
    ),
    code("password_too_short", 422, "a password has at least 12 characters"),
    code("invalid_time", 422, "not an RFC 3339 time"),
    code("invalid_body", 422, "the body is not the JSON this endpoint takes"),
    code(
        "invalid_query",
        422,
        "a query parameter is not what this endpoint takes",
    ),
    code("invalid_path", 422, "the path is not one this endpoint takes"),
    code("reserved_key", 422, "the key is a built-in field's name"),
    code("only_when_adding", 422, "the field is taken only when adding"),
    code("not_a_workbook", 422, "a sheet was asked of a CSV file"),
    code(
        "workbook_only",
        409,
        "the whole organization is one workbook of several sheets: export it as xlsx",
    ),
    code("invalid_date", 422, "not a date as YYYY-MM-DD"),
    code("invalid_format", 422, "an export's format is csv or xlsx"),
    code(
        "invalid_number",
        422,
        "a form field that takes a number got something else",
    ),
    code(
        "invalid_period",
        409,
        "the period's first day is after its last, or it is too long",
    ),
    code(
        "file_refused",
        422,
        "the file is not a CSV or Excel workbook Roster reads",
    ),
    code(
        "file_over_limits",
        422,
        "the file is too large, too deep or too slow to read",
    ),
    code("unreadable_upload", 422, "the upload broke off"),
    code("rate_limited", 429, "too many attempts; wait a little"),
    code("internal", 500, "a fault on the server's side"),
    code(
        "busy",
        503,
        "the database's writer is busy; try again after Retry-After",
    ),
    code(
        "overloaded",
        503,
        "too many uploads at once; try again after Retry-After",
    ),
];

/// Codes an import row's errors carry besides those of [`ERROR_CODES`].
pub const ROW_CODES: &[ErrorCode] = &[
    code(
        "duplicate_in_file",
        422,
        "another row of the file names the same member",
    ),
    code("role_not_allowed", 422, "the importer may not grant this role"),
    code(
        "unsplittable_name",
        422,
        "the full name does not split into first and last name",
    ),
    code(
        "rank",
        422,
        "the member outranks the importer, or the row would put them above the importer",
    ),
    code("invalid_division", 422, "the team named as a division is not one"),
    code(
        "unreadable_row",
        422,
        "the row's bytes are not valid in the file's encoding, or a quote is not closed",
    ),
];

/// `error.code` in the document: one of the codes above, each explained.
pub fn code_schema(_: &mut SchemaGenerator) -> Schema {
    let codes: Vec<&str> = ERROR_CODES.iter().map(|c| c.code).collect();
    let explain = |list: &[ErrorCode]| {
        list.iter()
            .map(|c| format!("- `{}` ({}): {}", c.code, c.status, c.meaning))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let description = format!(
        "A stable machine code:\n{}\n\nAn import row's errors carry these codes too, and also:\n{}",
        explain(ERROR_CODES),
        explain(ROW_CODES)
    );
    json_schema!({
        "type": "string",
        "enum": codes,
        "description": description,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::*;

    /// The codes the source writes: in `InvalidInput::new(field, "code"`,
    /// `conflict("code"`, `bad_request(field, "code"`, `row_error(…, "code"`,
    /// `"code": "code"` and `ServiceError::code`.
    fn codes_in_source() -> BTreeSet<String> {
        let patterns = [
            ("InvalidInput::new(", 1),
            ("conflict(", 0),
            ("bad_request(", 1),
            ("row_error(", 3),
            ("\"code\": ", 0),
        ];
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut found = BTreeSet::new();
        for krate in ["domain", "bulk", "service", "http"] {
            for file in rust_files(&root.join(krate).join("src")) {
                let text = std::fs::read_to_string(&file).unwrap_or_default();
                // Tests use whatever codes they like.
                let text = text.split("#[cfg(test)]").next().unwrap_or_default();
                // An error type's `fn code(&self)`: its arms' literals.
                for body in text.split("fn code(&self)").skip(1) {
                    let body = body.split("\n    }\n").next().unwrap_or_default();
                    for arm in body.split("=> ").skip(1) {
                        if let Some(code) = literal(arm.split([',', '\n']).next().unwrap_or_default()) {
                            found.insert(code);
                        }
                    }
                }
                for (opening, skip) in patterns {
                    for piece in text.split(opening).skip(1) {
                        if let Some(code) = nth_argument(piece, skip) {
                            found.insert(code);
                        }
                    }
                }
            }
        }
        found
    }

    /// The `n`th argument after an opening, when it is a plain string literal.
    fn nth_argument(call: &str, n: usize) -> Option<String> {
        let mut depth = 0;
        let mut argument = 0;
        let mut start = 0;
        for (i, c) in call.char_indices() {
            match c {
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' if depth == 0 => return literal(&call[start..i]).filter(|_| argument == n),
                ')' | ']' | '}' => depth -= 1,
                ',' if depth == 0 => {
                    if argument == n {
                        return literal(&call[start..i]);
                    }
                    argument += 1;
                    start = i + 1;
                }
                _ => {}
            }
        }
        None
    }

    fn literal(argument: &str) -> Option<String> {
        let text = argument.trim();
        let inner = text.strip_prefix('"')?.strip_suffix('"')?;
        inner
            .chars()
            .all(|c| c.is_ascii_lowercase() || c == '_')
            .then(|| inner.to_owned())
    }

    fn rust_files(dir: &Path) -> Vec<std::path::PathBuf> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(rust_files(&path));
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
        out
    }

    #[test]
    fn every_code_the_source_answers_with_is_listed() {
        let listed: BTreeSet<&str> = ERROR_CODES.iter().chain(ROW_CODES).map(|c| c.code).collect();
        let missing: Vec<String> = codes_in_source()
            .into_iter()
            .filter(|c| !listed.contains(c.as_str()))
            .collect();
        assert!(
            missing.is_empty(),
            "codes missing from ERROR_CODES or ROW_CODES: {missing:?}"
        );
    }

    #[test]
    fn every_code_is_listed_once() {
        let mut seen = BTreeSet::new();
        for c in ERROR_CODES.iter().chain(ROW_CODES) {
            assert!(seen.insert(c.code), "{} is listed twice", c.code);
        }
    }

    #[test]
    fn the_service_errors_codes_are_listed_with_their_status() {
        use roster_service::ServiceError;
        let errors = [
            ServiceError::NotFound("x"),
            ServiceError::UnknownCursor,
            ServiceError::MissingPermission(String::new()),
            ServiceError::Forbidden(String::new()),
            ServiceError::Unauthenticated,
            ServiceError::RateLimited,
            ServiceError::Busy,
            ServiceError::Overloaded(String::new()),
            ServiceError::Internal("x".into()),
        ];
        for error in errors {
            let listed = ERROR_CODES.iter().find(|c| c.code == error.code());
            assert_eq!(
                listed.map(|c| c.status),
                Some(crate::error::status_of(&error).as_u16()),
                "{}",
                error.code()
            );
        }
    }
}
