//! Roles, custom fields, API tokens, content items, audit log and jobs.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::Json;
use roster_service::{
    AuditFilter, AuditPage, ContentItemView, CustomFieldView, CustomRoleView, NewContentItem, NewCustomField,
    NewCustomRole, NewToken, ReadAudit, Timestamp, TokenCreated, TokenView,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{json, schematic, ApiJson, ApiQuery, Authed, Body, Endpoint, Ids, Items};
use crate::{ApiError, AppState};

pub const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: "get",
        path: "/api/v1/orgs/{slug}/roles",
        summary: "Built-in and custom roles with their permissions",
        permission: "org.read",
        query: None,
        request: Body::Empty,
        response: (200, json::<Items<RoleView>>()),
        also: &[],
        handler: || get(roles).post(create_role),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/orgs/{slug}/roles",
        summary: "Create a custom role (a named set of permissions you hold)",
        permission: "roles.manage",
        query: None,
        request: json::<NewCustomRole>(),
        response: (201, json::<CustomRoleView>()),
        also: &[],
        handler: || get(roles).post(create_role),
    },
    Endpoint {
        method: "delete",
        path: "/api/v1/orgs/{slug}/roles/{key}",
        summary: "Delete a custom role nobody holds",
        permission: "roles.manage",
        query: None,
        request: Body::Empty,
        response: (204, Body::Empty),
        also: &[],
        handler: || delete(delete_role),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/orgs/{slug}/custom-fields",
        summary: "The organization's custom member fields",
        permission: "org.read",
        query: None,
        request: Body::Empty,
        response: (200, json::<Items<CustomFieldView>>()),
        also: &[],
        handler: || get(fields).post(create_field),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/orgs/{slug}/custom-fields",
        summary: "Create a custom field (text, number, date, yes_no, choice)",
        permission: "fields.manage",
        query: None,
        request: json::<NewCustomField>(),
        response: (201, json::<CustomFieldView>()),
        also: &[],
        handler: || get(fields).post(create_field),
    },
    Endpoint {
        method: "delete",
        path: "/api/v1/orgs/{slug}/custom-fields/{key}",
        summary: "Delete a custom field",
        permission: "fields.manage",
        query: None,
        request: Body::Empty,
        response: (204, Body::Empty),
        also: &[],
        handler: || delete(delete_field),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/orgs/{slug}/tokens",
        summary: "API tokens (never their secrets)",
        permission: "tokens.manage",
        query: None,
        request: Body::Empty,
        response: (200, json::<Items<TokenView>>()),
        also: &[],
        handler: || get(tokens).post(create_token),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/orgs/{slug}/tokens",
        summary: "Create an API token; the secret is in this response only",
        permission: "tokens.manage",
        query: None,
        request: json::<NewToken>(),
        response: (201, json::<TokenCreated>()),
        also: &[],
        handler: || get(tokens).post(create_token),
    },
    Endpoint {
        method: "delete",
        path: "/api/v1/orgs/{slug}/tokens/{id}",
        summary: "Revoke an API token",
        permission: "tokens.manage",
        query: None,
        request: Body::Empty,
        response: (204, Body::Empty),
        also: &[],
        handler: || delete(revoke_token),
    },
    Endpoint {
        method: "post",
        path: "/api/v1/orgs/{slug}/content-items",
        summary: "Register an item a member owns, so it is handed over when they leave",
        permission: "content.manage",
        query: None,
        request: json::<NewContentItem>(),
        response: (201, json::<ContentItemView>()),
        also: &[],
        handler: || post(register_content),
    },
    Endpoint {
        method: "get",
        path: "/api/v1/orgs/{slug}/audit",
        summary: "Audit log, newest first; filters action, actor, target_kind, target_id, outcome, since, until; page with before",
        permission: "audit.read",
        query: Some(schematic::<AuditParams>()),
        request: Body::Empty,
        response: (200, json::<AuditPage>()),
        also: &[],
        handler: || get(audit),
    },
];

/// A role: built-in or custom, with what it allows.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "RoleDefinition")]
struct RoleView {
    key: String,
    name: String,
    builtin: bool,
    permissions: Vec<String>,
}

async fn roles(State(s): State<AppState>, Authed(actor): Authed) -> Result<Json<Items<RoleView>>, ApiError> {
    let custom = s.service.custom_roles(s.service.authorize(&actor).await?).await?;
    let builtin = roster_domain::BuiltinRole::ALL.into_iter().map(|b| RoleView {
        key: b.as_str().into(),
        name: b.as_str().into(),
        builtin: true,
        permissions: b.permissions().iter().map(|p| p.as_str().to_owned()).collect(),
    });
    let custom = custom.into_iter().map(|r| RoleView {
        key: format!("custom:{}", r.key),
        name: r.name,
        builtin: false,
        permissions: r.permissions,
    });
    Ok(Json(Items {
        items: builtin.chain(custom).collect(),
    }))
}

async fn create_role(
    State(s): State<AppState>,
    Authed(actor): Authed,
    ApiJson(new): ApiJson<NewCustomRole>,
) -> Result<(StatusCode, Json<CustomRoleView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(
            s.service
                .create_custom_role(s.service.authorize(&actor).await?, new)
                .await?,
        ),
    ))
}

async fn delete_role(
    State(s): State<AppState>,
    Authed(actor): Authed,
    Path((_slug, key)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let key = key.strip_prefix("custom:").unwrap_or(&key);
    s.service
        .delete_custom_role(s.service.authorize(&actor).await?, key)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn fields(State(s): State<AppState>, Authed(actor): Authed) -> Result<Json<Items<CustomFieldView>>, ApiError> {
    Ok(Json(Items {
        items: s.service.custom_fields(s.service.authorize(&actor).await?).await?,
    }))
}

async fn create_field(
    State(s): State<AppState>,
    Authed(actor): Authed,
    ApiJson(new): ApiJson<NewCustomField>,
) -> Result<(StatusCode, Json<CustomFieldView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(
            s.service
                .create_custom_field(s.service.authorize(&actor).await?, new)
                .await?,
        ),
    ))
}

async fn delete_field(
    State(s): State<AppState>,
    Authed(actor): Authed,
    Path((_slug, key)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    s.service
        .delete_custom_field(s.service.authorize(&actor).await?, &key)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn tokens(State(s): State<AppState>, Authed(actor): Authed) -> Result<Json<Items<TokenView>>, ApiError> {
    Ok(Json(Items {
        items: s.service.tokens(s.service.authorize(&actor).await?).await?,
    }))
}

async fn create_token(
    State(s): State<AppState>,
    Authed(actor): Authed,
    ApiJson(new): ApiJson<NewToken>,
) -> Result<(StatusCode, Json<TokenCreated>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(s.service.create_token(s.service.authorize(&actor).await?, new).await?),
    ))
}

async fn revoke_token(
    State(s): State<AppState>,
    Authed(actor): Authed,
    Ids([id]): Ids<1>,
) -> Result<StatusCode, ApiError> {
    s.service.revoke_token(s.service.authorize(&actor).await?, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn register_content(
    State(s): State<AppState>,
    Authed(actor): Authed,
    ApiJson(new): ApiJson<NewContentItem>,
) -> Result<(StatusCode, Json<ContentItemView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(
            s.service
                .register_content(s.service.authorize(&actor).await?, new)
                .await?,
        ),
    ))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct AuditParams {
    /// Events of this action (`member.update`).
    action: Option<String>,
    /// Events by this actor (`member:12`, `token:3`).
    actor: Option<String>,
    target_kind: Option<String>,
    target_id: Option<String>,
    /// `success` or `refused`.
    outcome: Option<String>,
    /// Events at or after this time (RFC 3339).
    #[schemars(extend("format" = "date-time"))]
    since: Option<String>,
    /// Events before this time (RFC 3339).
    #[schemars(extend("format" = "date-time"))]
    until: Option<String>,
    /// The page continues below this event id (`next_before`).
    before: Option<i64>,
    /// At most this many (default 100; more than 500 are 500).
    limit: Option<i64>,
}

fn parse_time(field: &str, raw: Option<&str>) -> Result<Option<Timestamp>, ApiError> {
    raw.map(|r| {
        Timestamp::parse_rfc3339(r)
            .ok_or_else(|| crate::error::bad_request(field, "invalid_time", format!("{r:?} is not an RFC 3339 time")))
    })
    .transpose()
}

async fn audit(
    State(s): State<AppState>,
    Authed(actor): Authed,
    ApiQuery(p): ApiQuery<AuditParams>,
) -> Result<Json<AuditPage>, ApiError> {
    let filter = AuditFilter {
        action: p.action,
        actor: p.actor,
        target_kind: p.target_kind,
        target_id: p.target_id,
        outcome: p.outcome,
        since: parse_time("since", p.since.as_deref())?,
        until: parse_time("until", p.until.as_deref())?,
        before: p.before,
        limit: p.limit,
    };
    let can = s.service.authorize::<ReadAudit>(&actor).await?;
    Ok(Json(s.service.audit_log(can, filter).await?))
}
