use crate::InvalidInput;

/// The key of a custom field as it appears in import and export headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldKey(String);

impl FieldKey {
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        let value = raw.trim();
        let valid = (1..=40).contains(&value.len())
            && value.starts_with(|c: char| c.is_ascii_lowercase())
            && value
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !valid {
            return Err(InvalidInput::new(
                "key",
                "invalid_key",
                "must be 1 to 40 lower-case letters, digits or underscores, starting with a letter",
            ));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a custom field holds, and how a raw value is checked against it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomFieldKind {
    Text,
    Number,
    Date,
    YesNo,
    Choice(Vec<String>),
}

impl CustomFieldKind {
    pub fn parse(kind: &str, choices: &[String]) -> Result<Self, InvalidInput> {
        match kind {
            "text" => Ok(Self::Text),
            "number" => Ok(Self::Number),
            "date" => Ok(Self::Date),
            "yes_no" => Ok(Self::YesNo),
            "choice" if !choices.is_empty() => Ok(Self::Choice(choices.to_vec())),
            "choice" => Err(InvalidInput::new(
                "choices",
                "required",
                "a choice field needs at least one choice",
            )),
            _ => Err(InvalidInput::new(
                "kind",
                "invalid_kind",
                "must be text, number, date, yes_no or choice",
            )),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Number => "number",
            Self::Date => "date",
            Self::YesNo => "yes_no",
            Self::Choice(_) => "choice",
        }
    }

    /// Checks a raw value and returns its canonical form
    /// (dates as YYYY-MM-DD, yes/no as "yes"/"no").
    pub fn check(&self, field: &str, raw: &str) -> Result<String, InvalidInput> {
        // Text may span lines, like a comment; every other kind is one value.
        if *self == Self::Text {
            return Ok(crate::FreeText::parse(field, raw, 500)?.into_string());
        }
        let value = crate::SingleLine::parse(field, raw, 500)?.into_string();
        if value.is_empty() {
            return Ok(value);
        }
        let bad = |why: String| InvalidInput::new(field, "invalid_value", why);
        match self {
            Self::Text => Ok(value),
            Self::Number => value
                .replace(',', ".")
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
                .map(|_| value.replace(',', "."))
                .ok_or_else(|| bad(format!("{value:?} is not a number"))),
            Self::Date => {
                let format = ::time::macros::format_description!("[year]-[month]-[day]");
                ::time::Date::parse(&value, &format)
                    .map(|_| value.clone())
                    .map_err(|_| bad(format!("{value:?} is not a date like 2026-11-21")))
            }
            Self::YesNo => match value.to_lowercase().as_str() {
                "yes" | "y" | "true" | "1" | "ja" | "oui" => Ok("yes".into()),
                "no" | "n" | "false" | "0" | "nein" | "nee" | "non" => Ok("no".into()),
                _ => Err(bad(format!("{value:?} is not yes or no"))),
            },
            Self::Choice(choices) => choices
                .iter()
                .find(|c| c.eq_ignore_ascii_case(&value))
                .cloned()
                .ok_or_else(|| bad(format!("{value:?} is not one of: {}", choices.join(", ")))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_checked_against_their_kind() {
        assert_eq!(CustomFieldKind::Number.check("n", "3,5").unwrap(), "3.5");
        assert!(CustomFieldKind::Number.check("n", "drei").is_err());
        assert!(CustomFieldKind::Number.check("n", "NaN").is_err());
        assert!(CustomFieldKind::Date.check("d", "2026-02-30").is_err());
        assert_eq!(CustomFieldKind::Date.check("d", "2026-02-28").unwrap(), "2026-02-28");
        assert_eq!(CustomFieldKind::YesNo.check("y", "Ja").unwrap(), "yes");
        let choice = CustomFieldKind::Choice(vec!["Berlin".into(), "Köln".into()]);
        assert_eq!(choice.check("c", "berlin").unwrap(), "Berlin");
        assert!(choice.check("c", "Hamburg").is_err());
        assert_eq!(CustomFieldKind::Text.check("t", "").unwrap(), "");
    }
}
