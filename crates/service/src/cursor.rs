//! Opaque cursors of keyset pages: where the next page starts, as the
//! client hands it back. Hex of a small JSON value, refused when it is not
//! one this service wrote (a 404: the page it names does not exist).

/// What a cursor looks like (the document says so; what it says is ours).
pub const CURSOR_PATTERN: &str = "^([0-9a-f]{2})*$";

/// An empty cursor is no cursor: the first page.
pub(crate) fn given(cursor: Option<&str>) -> Option<&str> {
    cursor.filter(|c| !c.is_empty())
}

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::{ServiceError, ServiceResult};

pub(crate) fn encode<T: Serialize>(position: &T) -> String {
    // (A position of names and numbers always serializes.)
    let json = serde_json::to_vec(position).unwrap_or_default();
    json.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn decode<T: DeserializeOwned>(raw: &str) -> ServiceResult<T> {
    let bad = || ServiceError::UnknownCursor;
    if !raw.len().is_multiple_of(2) || raw.len() > 4096 {
        return Err(bad());
    }
    let bytes = (0..raw.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(raw.get(i..i + 2).unwrap_or("zz"), 16))
        .collect::<Result<Vec<u8>, _>>()
        .map_err(|_| bad())?;
    serde_json::from_slice(&bytes).map_err(|_| bad())
}
