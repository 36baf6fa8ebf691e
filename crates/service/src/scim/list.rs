//! Listing users and groups: a filter compiled against the schema, run in
//! SQL as far as indexes decide it, the rest checked row by row; a page by
//! 1-based `startIndex` and `count` in a stable order (by id), as Okta's
//! paging by `startIndex + 100` needs.

use roster_scim::{Filter, Page};

/// A list request as the door read it.
#[derive(Debug, Clone)]
pub struct ListRequest {
    pub filter: Option<Filter>,
    pub page: Page,
    pub attributes: Option<String>,
    pub excluded_attributes: Option<String>,
}

/// A filter that SQL cannot decide is checked against at most this many
/// rows; beyond, the client is asked to narrow it with an indexed attribute.
pub(crate) const MAX_SCANNED: usize = 250_000;

/// Rows read at a time when a filter is checked row by row.
pub(crate) const SCAN_BATCH: i64 = 1_000;

pub(crate) fn too_many(indexed: &str) -> roster_scim::ScimError {
    roster_scim::ScimError::new(
        roster_scim::ScimType::TooMany,
        format!("the filter needs more than {MAX_SCANNED} resources checked one by one; narrow it with {indexed}"),
    )
}

/// What the door wants of a resource: `attributes` or `excludedAttributes`.
#[derive(Debug, Clone, Default)]
pub struct Shape {
    pub attributes: Option<String>,
    pub excluded_attributes: Option<String>,
}
