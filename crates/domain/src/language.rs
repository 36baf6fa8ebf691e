/// A language Roster writes its mail and member-facing pages in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Language {
    #[default]
    En,
    De,
    Nl,
    Fr,
}

impl Language {
    pub const ALL: [Language; 4] = [Self::En, Self::De, Self::Nl, Self::Fr];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::De => "de",
            Self::Nl => "nl",
            Self::Fr => "fr",
        }
    }

    /// The language's own name, for a choice in a form.
    pub fn label(self) -> &'static str {
        match self {
            Self::En => "English",
            Self::De => "Deutsch",
            Self::Nl => "Nederlands",
            Self::Fr => "Français",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, crate::InvalidInput> {
        let raw = raw.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|l| l.as_str() == raw)
            .ok_or_else(|| crate::InvalidInput::new("language", "invalid_language", "must be en, de, nl or fr"))
    }
}

text_value!(Language, as_str);

#[cfg(test)]
mod tests {
    use super::Language;

    #[test]
    fn languages_round_trip() {
        for l in Language::ALL {
            assert_eq!(Language::parse(l.as_str()).unwrap(), l);
        }
        assert_eq!(Language::parse(" DE ").unwrap(), Language::De);
        assert!(Language::parse("es").is_err());
    }
}
