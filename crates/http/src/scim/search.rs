//! Searching with POST (RFC 7644 §3.4.3): `/Users/.search`,
//! `/Groups/.search`, and `/.search` over both — users first, then groups,
//! one page across the two.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use roster_scim::list::list_response;
use roster_scim::schema::SEARCH_REQUEST;
use roster_scim::{Filter, Page};
use roster_service::scim::ListRequest;
use serde_json::Value;

use super::error::invalid_syntax;
use super::{json_body, scim_json, ScimAuth, ScimFailure};
use crate::AppState;

/// A SearchRequest message as a list request. Its keys, like every
/// attribute name, are read without regard to case.
pub fn search_request(body: &Value) -> Result<ListRequest, ScimFailure> {
    let Value::Object(fields) = body else {
        return Err(invalid_syntax("the body must be a SearchRequest object"));
    };
    let get = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    };
    if let Some(schemas) = get("schemas") {
        let named = schemas.as_array().is_some_and(|s| {
            s.iter()
                .any(|u| u.as_str().is_some_and(|u| u.eq_ignore_ascii_case(SEARCH_REQUEST)))
        });
        if !named {
            return Err(invalid_syntax(format!("schemas must name {SEARCH_REQUEST}")));
        }
    }
    let text = |name: &str| -> Result<Option<String>, ScimFailure> {
        match get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Array(list)) => Ok(Some(
                list.iter()
                    .map(|v| {
                        v.as_str()
                            .map(str::to_owned)
                            .ok_or_else(|| invalid_syntax(format!("{name} must list strings")))
                    })
                    .collect::<Result<Vec<_>, _>>()?
                    .join(","),
            )),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(_) => Err(invalid_syntax(format!("{name} must be a string"))),
        }
    };
    let filter = match text("filter")? {
        Some(f) if !f.trim().is_empty() => Some(Filter::parse(&f)?),
        _ => None,
    };
    Ok(ListRequest {
        filter,
        page: Page::parse(text("startIndex")?.as_deref(), text("count")?.as_deref())?,
        attributes: text("attributes")?,
        excluded_attributes: text("excludedAttributes")?,
    })
}

/// `/.search`: users and groups as one list. A filter on an attribute one
/// of them does not have is refused, as it would be on that one alone.
pub async fn search_everything(
    State(state): State<AppState>,
    auth: ScimAuth,
    request: Request,
) -> Result<axum::response::Response, ScimFailure> {
    let (_, body) = json_body(request).await?;
    let request = search_request(&body)?;
    let page = request.page;
    // Totals first (a page of nothing), then the slices of the page.
    let count_only = |r: &ListRequest| ListRequest {
        page: Page { start: 1, count: 0 },
        ..r.clone()
    };
    let users_total = total(&state.service.scim_list_users(&auth.0, count_only(&request)).await?);
    let groups_total = total(&state.service.scim_list_groups(&auth.0, count_only(&request)).await?);
    let mut resources = Vec::new();
    let offset = page.offset();
    if offset < users_total && page.count > 0 {
        let users = state
            .service
            .scim_list_users(
                &auth.0,
                ListRequest {
                    page,
                    ..request.clone()
                },
            )
            .await?;
        resources.extend(items(users));
    }
    let still = page.count.saturating_sub(resources.len());
    if still > 0 {
        let start = offset.saturating_sub(users_total) + 1;
        let groups = state
            .service
            .scim_list_groups(
                &auth.0,
                ListRequest {
                    page: Page { start, count: still },
                    ..request.clone()
                },
            )
            .await?;
        resources.extend(items(groups));
    }
    Ok(scim_json(
        StatusCode::OK,
        &list_response(users_total + groups_total, page, resources),
    ))
}

fn total(list: &Value) -> usize {
    list.get("totalResults").and_then(Value::as_u64).unwrap_or(0) as usize
}

fn items(list: Value) -> Vec<Value> {
    match list {
        Value::Object(mut m) => match m.remove("Resources") {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}
