//! Times are stored as UTC milliseconds since the Unix epoch (one integer type
//! that both databases index well), carried as [`Timestamp`] above the store
//! and shown as RFC 3339.

use std::fmt;

use ::time::format_description::well_known::Rfc3339;
use ::time::OffsetDateTime;

pub fn now_millis() -> i64 {
    let now = OffsetDateTime::now_utc();
    (now.unix_timestamp_nanos() / 1_000_000) as i64
}

pub fn format_rfc3339(millis: i64) -> String {
    Timestamp::from_millis(millis).to_string()
}

/// A moment in UTC, to the millisecond: what the service hands its doors.
/// Shows and serializes as RFC 3339 (`2026-11-26T14:07:17.5Z`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    pub fn from_millis(millis: i64) -> Self {
        Self(
            OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
                .unwrap_or(OffsetDateTime::UNIX_EPOCH),
        )
    }

    pub fn now() -> Self {
        Self::from_millis(now_millis())
    }

    /// Reads an RFC 3339 time (`2026-11-26T14:07:17Z`, any offset), as the
    /// RFC allows it: `t` and `z` in lower case, a leap second (read as the
    /// second before it).
    pub fn parse_rfc3339(text: &str) -> Option<Self> {
        let upper = text.to_ascii_uppercase();
        let time = OffsetDateTime::parse(&upper, &Rfc3339)
            .or_else(|_| OffsetDateTime::parse(&upper.replacen(":60", ":59", 1), &Rfc3339))
            .ok()?;
        Some(Self::from_millis((time.unix_timestamp_nanos() / 1_000_000) as i64))
    }

    pub fn millis(self) -> i64 {
        (self.0.unix_timestamp_nanos() / 1_000_000) as i64
    }

    pub fn time(self) -> OffsetDateTime {
        self.0
    }

    /// The day, `2026-11-26`, for pages that show dates.
    pub fn date(self) -> String {
        let d = self.0.date();
        format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
    }

    /// The day and minute, `2026-11-26 14:07`, for pages that list events.
    pub fn minute(self) -> String {
        format!("{} {:02}:{:02}", self.date(), self.0.hour(), self.0.minute())
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.format(&Rfc3339) {
            Ok(text) => f.write_str(&text),
            Err(_) => write!(f, "{}", self.0.unix_timestamp()),
        }
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc() {
        assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_rfc3339(1_500), "1970-01-01T00:00:01.5Z");
        assert_eq!(Timestamp::from_millis(1_764_166_037_500).date(), "2025-11-26");
        assert_eq!(Timestamp::from_millis(1_500).millis(), 1_500);
    }
}
