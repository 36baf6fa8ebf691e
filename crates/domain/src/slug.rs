use crate::InvalidInput;

/// The URL name of an organization: 2–63 of `a-z 0-9 -`, starting with a letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgSlug(String);

impl OrgSlug {
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        let value = raw.trim();
        let valid = (2..=63).contains(&value.len())
            && value.starts_with(|c: char| c.is_ascii_lowercase())
            && !value.ends_with('-')
            && value
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !valid {
            return Err(InvalidInput::new(
                "slug",
                "invalid_slug",
                "must be 2 to 63 lower-case letters, digits or hyphens, starting with a letter",
            ));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert!(OrgSlug::parse("acme-gmbh").is_ok());
        for bad in ["A", "a", "acme_gmbh", "-acme", "acme-", "1acme", "ac me", "äcme"] {
            assert!(OrgSlug::parse(bad).is_err(), "{bad:?}");
        }
    }
}
