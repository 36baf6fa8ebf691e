//! Opaque cursors of keyset pages: where the next page starts, as the
//! client hands it back. Hex of a small JSON value, refused when it is not
//! one this service wrote.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::ServiceResult;

pub(crate) fn encode<T: Serialize>(position: &T) -> String {
    // (A position of names and numbers always serializes.)
    let json = serde_json::to_vec(position).unwrap_or_default();
    json.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn decode<T: DeserializeOwned>(raw: &str) -> ServiceResult<T> {
    let bad = || roster_domain::InvalidInput::new("cursor", "invalid_cursor", "is not a cursor this list returned");
    if !raw.len().is_multiple_of(2) || raw.len() > 4096 {
        return Err(bad().into());
    }
    let bytes = (0..raw.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(raw.get(i..i + 2).unwrap_or("zz"), 16))
        .collect::<Result<Vec<u8>, _>>()
        .map_err(|_| bad())?;
    serde_json::from_slice(&bytes).map_err(|_| bad().into())
}
