//! Times are stored as UTC milliseconds since the Unix epoch (one integer type
//! that both databases index well) and shown as RFC 3339.

use ::time::format_description::well_known::Rfc3339;
use ::time::OffsetDateTime;

pub fn now_millis() -> i64 {
    let now = OffsetDateTime::now_utc();
    (now.unix_timestamp_nanos() / 1_000_000) as i64
}

pub fn format_rfc3339(millis: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(millis as i128 * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_utc() {
        assert_eq!(super::format_rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::format_rfc3339(1_500), "1970-01-01T00:00:01.5Z");
    }
}
