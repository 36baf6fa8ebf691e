use unicode_normalization::UnicodeNormalization;

use crate::text::forbidden_char;
use crate::InvalidInput;

/// A user's name at the identity provider (SCIM's `userName`; Entra ID
/// sends the userPrincipalName, which looks like an e-mail address but
/// need not be one). Unique per organization without regard to case: the
/// key is NFC and lower case, as an e-mail's is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserName {
    display: String,
    key: String,
}

impl UserName {
    pub const MAX_CHARS: usize = 256;

    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        let display: String = raw.trim().nfc().collect();
        if display.is_empty() {
            return Err(InvalidInput::new("userName", "required", "is required"));
        }
        if display.chars().count() > Self::MAX_CHARS {
            return Err(InvalidInput::new(
                "userName",
                "too_long",
                format!("is longer than {} characters", Self::MAX_CHARS),
            ));
        }
        if display.chars().any(forbidden_char) {
            return Err(InvalidInput::new(
                "userName",
                "forbidden_character",
                "must not contain control characters, line breaks or invisible characters",
            ));
        }
        Ok(Self {
            key: Self::key_of(&display),
            display,
        })
    }

    /// The comparison form of any text, as a user name's key is made.
    pub fn key_of(raw: &str) -> String {
        raw.trim().nfc().collect::<String>().to_lowercase()
    }

    pub fn as_str(&self) -> &str {
        &self.display
    }

    pub fn key(&self) -> &str {
        &self.key
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names_compare_without_case_or_unicode_form() {
        let a = UserName::parse(" Jürgen.Meier@Contoso.onmicrosoft.com ").unwrap();
        let b = UserName::parse("ju\u{0308}rgen.meier@contoso.onmicrosoft.com").unwrap();
        assert_eq!(a.key(), b.key());
        assert_eq!(a.as_str(), "Jürgen.Meier@Contoso.onmicrosoft.com");
        assert!(UserName::parse("  ").is_err());
        assert!(UserName::parse("a\r\nb").is_err());
        assert!(UserName::parse(&"x".repeat(257)).is_err());
    }
}
