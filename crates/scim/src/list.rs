//! Paging a list (RFC 7644 §3.4.2.4): 1-based `startIndex`, `count`
//! capped at what Roster answers at once, and the ListResponse message.

use serde_json::{json, Value};

use crate::error::{ScimError, ScimResult};
use crate::schema::LIST_RESPONSE;

/// The most resources one page holds; a larger `count` is this many, and
/// `itemsPerPage` says so.
pub const MAX_COUNT: usize = 1_000;
/// A page's size when the client names none.
pub const DEFAULT_COUNT: usize = 100;

/// Which page of a list: `start` is 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub start: usize,
    pub count: usize,
}

impl Page {
    /// Reads `startIndex` and `count` as the RFC says: a start below 1 is
    /// 1, a negative count is 0, a count above the maximum is the maximum.
    pub fn parse(start_index: Option<&str>, count: Option<&str>) -> ScimResult<Self> {
        let number = |name: &str, raw: Option<&str>| -> ScimResult<Option<i64>> {
            match raw.map(str::trim).filter(|r| !r.is_empty()) {
                None => Ok(None),
                Some(r) => r
                    .parse::<i64>()
                    .map(Some)
                    .map_err(|_| ScimError::invalid_value(format!("{name} must be an integer, not {r:?}"))),
            }
        };
        let start = number("startIndex", start_index)?.unwrap_or(1).max(1);
        let count = number("count", count)?.unwrap_or(DEFAULT_COUNT as i64).max(0);
        Ok(Self {
            start: usize::try_from(start).unwrap_or(usize::MAX),
            count: usize::try_from(count).unwrap_or(0).min(MAX_COUNT),
        })
    }

    /// The 0-based offset of the page's first resource.
    pub fn offset(&self) -> usize {
        self.start - 1
    }
}

/// A ListResponse with these resources of `total` matches.
pub fn list_response(total: usize, page: Page, resources: Vec<Value>) -> Value {
    json!({
        "schemas": [LIST_RESPONSE],
        "totalResults": total,
        "startIndex": page.start,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_range_values_are_brought_in_range() {
        assert_eq!(Page::parse(Some("0"), Some("-5")).unwrap(), Page { start: 1, count: 0 });
        assert_eq!(Page::parse(None, Some("99999999")).unwrap().count, MAX_COUNT);
        assert_eq!(
            Page::parse(None, None).unwrap(),
            Page {
                start: 1,
                count: DEFAULT_COUNT
            }
        );
        assert!(Page::parse(Some("two"), None).is_err());
    }
}
