use crate::InvalidInput;

/// Characters refused in every single-line field: line breaks and NUL (header
/// injection), other C0/C1 controls, the Unicode line and paragraph
/// separators (U+2028, U+2029), bidirectional overrides that make a name
/// read differently from what it is (U+202E and friends), and zero-width
/// characters that make two names look the same while being different.
pub fn forbidden_char(c: char) -> bool {
    c.is_control() || line_separator(c) || invisible(c)
}

fn line_separator(c: char) -> bool {
    matches!(c, '\u{2028}' | '\u{2029}')
}

/// Bidirectional controls and zero-width characters.
fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}'
    )
}

fn describe(c: char) -> String {
    match c {
        '\n' | '\r' | '\u{2028}' | '\u{2029}' => {
            format!("must be one line: it holds a line break (U+{:04X})", c as u32)
        }
        c if c.is_control() => format!("must not contain the control character U+{:04X}", c as u32),
        c => format!("must not contain the invisible character U+{:04X}", c as u32),
    }
}

/// A trimmed single line of text of bounded length (names, comments, labels).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SingleLine(String);

impl SingleLine {
    /// `max_chars` counts Unicode scalar values, as people count characters,
    /// of the text as it was given (spaces around it too): the limit a
    /// client can check before sending, as the API's document states it.
    pub fn parse(field: &str, raw: &str, max_chars: usize) -> Result<Self, InvalidInput> {
        check_length(field, raw, max_chars)?;
        let value = raw.trim();
        if let Some(c) = value.chars().find(|c| forbidden_char(*c)) {
            return Err(InvalidInput::new(field, "forbidden_character", describe(c)));
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

fn check_length(field: &str, value: &str, max_chars: usize) -> Result<(), InvalidInput> {
    let count = value.chars().count();
    if count > max_chars {
        return Err(InvalidInput::new(
            field,
            "too_long",
            format!("is {count} characters long; at most {max_chars} are allowed"),
        ));
    }
    Ok(())
}

/// Free text that may span lines (a comment, skills, a location, a text
/// custom field): line breaks and tabs are kept — as Excel writes a cell
/// with Alt+Enter — with CR LF and lone CR made LF; other controls and
/// invisible characters are refused. Names and e-mail addresses are
/// [`SingleLine`]: they end up in mail headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreeText(String);

impl FreeText {
    pub fn parse(field: &str, raw: &str, max_chars: usize) -> Result<Self, InvalidInput> {
        // The length as given, like `SingleLine`'s.
        check_length(field, raw, max_chars)?;
        let value = raw.trim().replace("\r\n", "\n").replace('\r', "\n");
        if let Some(c) = value
            .chars()
            .find(|c| !matches!(c, '\n' | '\t') && (c.is_control() || invisible(*c)))
        {
            return Err(InvalidInput::new(field, "forbidden_character", describe(c)));
        }
        let value = value.replace(['\u{2028}', '\u{2029}'], "\n");
        Ok(Self(value))
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
        // The length as given, like `SingleLine`'s.
        let count = raw.chars().count();
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

    pub fn as_str(&self) -> &str {
        &self.0
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
    fn single_line_refuses_unicode_line_separators_and_zero_width_characters() {
        for bad in [
            "a\u{2028}b",
            "a\u{2029}b",
            "An\u{200B}na",
            "An\u{200D}na",
            "\u{FEFF}Anna",
            "A\u{2060}B",
        ] {
            let err = SingleLine::parse("first_name", bad, 100).unwrap_err();
            assert_eq!(err.code, "forbidden_character", "{bad:?}");
        }
        let err = SingleLine::parse("first_name", "a\nb", 100).unwrap_err();
        assert!(err.message.contains("one line"), "{}", err.message);
    }

    #[test]
    fn free_text_keeps_line_breaks_as_lf_and_refuses_other_controls() {
        let text = FreeText::parse("comment", "eins\r\nzwei\rdrei\u{2028}vier\tfünf", 500).unwrap();
        assert_eq!(text.as_str(), "eins\nzwei\ndrei\nvier\tfünf");
        for bad in ["a\0b", "a\u{202E}b", "a\u{200B}b", "a\u{7}b"] {
            assert_eq!(
                FreeText::parse("comment", bad, 500).unwrap_err().code,
                "forbidden_character",
                "{bad:?}"
            );
        }
        assert_eq!(
            FreeText::parse("comment", &"x".repeat(6), 5).unwrap_err().code,
            "too_long"
        );
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
