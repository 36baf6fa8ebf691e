use crate::InvalidInput;

/// Characters refused in every single-line field: line breaks and NUL (header
/// injection), other C0/C1 controls, and bidirectional overrides that make a
/// name read differently from what it is (U+202E and friends).
pub(crate) fn forbidden_char(c: char) -> bool {
    c.is_control() || matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A trimmed single line of text of bounded length (names, comments, labels).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SingleLine(String);

impl SingleLine {
    /// `max_chars` counts Unicode scalar values, as people count characters.
    pub fn parse(field: &str, raw: &str, max_chars: usize) -> Result<Self, InvalidInput> {
        let value = raw.trim();
        if let Some(c) = value.chars().find(|c| forbidden_char(*c)) {
            return Err(InvalidInput::new(
                field,
                "forbidden_character",
                format!("must not contain the control character U+{:04X}", c as u32),
            ));
        }
        let count = value.chars().count();
        if count > max_chars {
            return Err(InvalidInput::new(
                field,
                "too_long",
                format!("is {count} characters long; at most {max_chars} are allowed"),
            ));
        }
        Ok(Self(value.to_owned()))
    }

    /// Like [`SingleLine::parse`] but an empty value is an error.
    pub fn parse_required(field: &str, raw: &str, max_chars: usize) -> Result<Self, InvalidInput> {
        let value = Self::parse(field, raw, max_chars)?;
        if value.0.is_empty() {
            return Err(InvalidInput::new(field, "required", "is required"));
        }
        Ok(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// An organization's description: at most 250 characters, line breaks allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description(String);

impl Description {
    pub const MAX_CHARS: usize = 250;

    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        let value = raw.trim();
        if value.chars().any(|c| c != '\n' && c != '\r' && forbidden_char(c)) {
            return Err(InvalidInput::new(
                "description",
                "forbidden_character",
                "must not contain control characters",
            ));
        }
        let count = value.chars().count();
        if count > Self::MAX_CHARS {
            return Err(InvalidInput::new(
                "description",
                "too_long",
                format!("is {count} characters long; at most {} are allowed", Self::MAX_CHARS),
            ));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A CSS hex colour `#rrggbb`, stored lower-case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccentColor(String);

impl AccentColor {
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        let value = raw.trim();
        let hex = value.strip_prefix('#').unwrap_or("");
        if hex.len() != 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(InvalidInput::new(
                "accent_color",
                "invalid_color",
                "must be a colour like #1f6feb",
            ));
        }
        Ok(Self(value.to_ascii_lowercase()))
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_line_refuses_line_breaks_nul_and_bidi_overrides() {
        for bad in ["a\nb", "a\rb", "a\0b", "evil\u{202E}gpj.exe", "x\u{2066}y"] {
            let err = SingleLine::parse("first_name", bad, 100).unwrap_err();
            assert_eq!(err.code, "forbidden_character", "{bad:?}");
        }
    }

    #[test]
    fn single_line_counts_characters_not_bytes() {
        assert!(SingleLine::parse("x", "Ääää", 4).is_ok());
        assert_eq!(SingleLine::parse("x", "Äääää", 4).unwrap_err().code, "too_long");
    }

    #[test]
    fn required_single_line_refuses_blank() {
        assert_eq!(SingleLine::parse_required("x", "   ", 4).unwrap_err().code, "required");
    }

    #[test]
    fn description_allows_250_characters_and_line_breaks() {
        assert!(Description::parse(&"ü".repeat(250)).is_ok());
        assert!(Description::parse("one\ntwo").is_ok());
        assert_eq!(Description::parse(&"ü".repeat(251)).unwrap_err().code, "too_long");
    }

    #[test]
    fn accent_color_is_hex() {
        assert_eq!(AccentColor::parse("#1F6FEB").unwrap().into_string(), "#1f6feb");
        assert!(AccentColor::parse("red").is_err());
        assert!(AccentColor::parse("#12345").is_err());
    }
}
