use unicode_normalization::UnicodeNormalization;

use crate::text::forbidden_char;
use crate::InvalidInput;

/// An e-mail address as a person typed it (trimmed, NFC) plus the form used
/// to compare it: NFC and lower case, so that `Jürgen@X.de` typed with a
/// combining diaeresis and `jürgen@x.de` are the same member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    display: String,
    normalized: String,
}

impl Email {
    pub const MAX_LEN: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        let invalid = |why: &str| InvalidInput::new("email", "invalid_email", why.to_owned());
        // NFC leaves ASCII as it is; most addresses are ASCII, and an import
        // normalizes a million of them.
        let trimmed = raw.trim();
        let display: String = if trimmed.is_ascii() {
            trimmed.to_owned()
        } else {
            trimmed.nfc().collect()
        };
        if display.is_empty() {
            return Err(InvalidInput::new("email", "required", "is required"));
        }
        if display.chars().any(forbidden_char) {
            return Err(InvalidInput::new(
                "email",
                "forbidden_character",
                "must not contain control characters or line breaks",
            ));
        }
        if display.len() > Self::MAX_LEN {
            return Err(invalid("is longer than 254 bytes"));
        }
        let Some((local, domain)) = display.rsplit_once('@') else {
            return Err(invalid("is not an e-mail address: the @ is missing"));
        };
        if local.is_empty() || local.len() > 64 {
            return Err(invalid("needs 1 to 64 characters before the @"));
        }
        if local.contains('@') || local.chars().any(|c| c.is_whitespace() || "\"(),:;<>[\\]".contains(c)) {
            return Err(invalid("has a character that is not allowed before the @"));
        }
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return Err(invalid("has a misplaced dot before the @"));
        }
        let labels: Vec<&str> = domain.split('.').collect();
        let label_ok = |l: &&str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        };
        if labels.len() < 2 || !labels.iter().all(label_ok) {
            return Err(invalid("has no valid domain after the @"));
        }
        if let Some(part) = std::iter::once(local)
            .chain(labels.iter().copied())
            .find(|p| mixes_scripts(p))
        {
            return Err(InvalidInput::new(
                "email",
                "mixed_scripts",
                format!("{part:?} mixes Latin, Greek or Cyrillic letters, as look-alike addresses do"),
            ));
        }
        let normalized = if display.is_ascii() {
            display.to_ascii_lowercase()
        } else {
            display.to_lowercase().nfc().collect()
        };
        Ok(Self { display, normalized })
    }

    /// The address as entered, for showing and for sending mail to.
    pub fn as_str(&self) -> &str {
        &self.display
    }

    /// The comparison key: unique per organization and per account.
    pub fn normalized(&self) -> &str {
        &self.normalized
    }
}

/// The look of a normalized address: its UTS #39 confusable skeleton
/// (`аррӏе.com` written in Cyrillic and `apple.com` share one). Stored per
/// member so that look-alikes are found with an index.
pub fn email_skeleton(normalized: &str) -> String {
    if !normalized.is_ascii() {
        return unicode_security::confusable_detection::skeleton(normalized).collect();
    }
    // An ASCII address's skeleton is the concatenation of its characters'
    // skeletons (no ASCII character's skeleton reorders with its neighbour's;
    // the test below checks every pair): a table look-up instead of two
    // normalizations per address.
    let table = ascii_skeletons();
    normalized.bytes().map(|b| table[b as usize].as_str()).collect()
}

fn ascii_skeletons() -> &'static [String; 128] {
    static TABLE: std::sync::OnceLock<[String; 128]> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        std::array::from_fn(|b| {
            unicode_security::confusable_detection::skeleton(&(b as u8 as char).to_string()).collect()
        })
    })
}

/// Whether two different normalized addresses look the same. Two plain
/// ASCII addresses never do: `rn` and `m` share a skeleton, but `mary@` and
/// `rnary@` are different mailboxes that people really have; the trick this
/// guards against needs a letter from another script.
pub fn looks_alike(a: &str, b: &str) -> bool {
    a != b && !(a.is_ascii() && b.is_ascii()) && email_skeleton(a) == email_skeleton(b)
}

#[derive(PartialEq, Clone, Copy)]
enum Script {
    Latin,
    Greek,
    Cyrillic,
}

fn script(c: char) -> Option<Script> {
    match c as u32 {
        0x41..=0x5A | 0x61..=0x7A | 0xC0..=0x24F | 0x1E00..=0x1EFF => Some(Script::Latin),
        0x370..=0x3FF | 0x1F00..=0x1FFF => Some(Script::Greek),
        0x400..=0x52F => Some(Script::Cyrillic),
        _ => None,
    }
}

/// Whether one part of an address mixes the scripts whose letters look
/// alike (`аnna` with a Cyrillic а): the homoglyph trick. A part written
/// wholly in one script — an IDN in Cyrillic, say — is fine.
fn mixes_scripts(part: &str) -> bool {
    let mut seen = None;
    for s in part.chars().filter_map(script) {
        match seen {
            None => seen = Some(s),
            Some(first) if first != s => return true,
            Some(_) => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_trimmed_and_compared_without_case() {
        let e = Email::parse("  Anna.Müller@Example.DE ").unwrap();
        assert_eq!(e.as_str(), "Anna.Müller@Example.DE");
        assert_eq!(e.normalized(), "anna.müller@example.de");
    }

    #[test]
    fn nfc_and_nfd_forms_are_the_same_address() {
        let composed = Email::parse("j\u{00FC}rgen@example.de").unwrap();
        let decomposed = Email::parse("ju\u{0308}rgen@example.de").unwrap();
        assert_eq!(composed.normalized(), decomposed.normalized());
    }

    #[test]
    fn whole_script_look_alikes_are_recognized_but_plain_ascii_is_not() {
        let latin = Email::parse("admin@apple.com").unwrap();
        let cyrillic = Email::parse("admin@\u{0430}\u{0440}\u{0440}\u{04CF}\u{0435}.com").unwrap();
        assert!(looks_alike(latin.normalized(), cyrillic.normalized()));
        assert!(
            !looks_alike(latin.normalized(), latin.normalized()),
            "the same address is no look-alike"
        );
        assert!(
            !looks_alike("mary@x.de", "rnary@x.de"),
            "two ASCII addresses are never look-alikes"
        );
        assert!(!looks_alike("jürgen@x.de", "juergen@x.de"));
    }

    #[test]
    fn the_ascii_skeleton_table_agrees_with_the_full_algorithm() {
        let library = |s: &str| unicode_security::confusable_detection::skeleton(s).collect::<String>();
        for b in 0u8..128 {
            let s = (b as char).to_string();
            assert_eq!(email_skeleton(&s), library(&s), "{s:?}");
        }
        for s in [
            "mary@x.de",
            "rnary@x.de",
            "l0l1|i@x.de",
            "o.o_o-o+o@a-b.c0m",
            "user1000@bench.example",
        ] {
            assert_eq!(email_skeleton(s), library(s), "{s:?}");
        }
        let ascii_pairs = (32u8..127).flat_map(|a| (32u8..127).map(move |b| format!("{}{}", a as char, b as char)));
        for s in ascii_pairs {
            assert_eq!(email_skeleton(&s), library(&s), "{s:?}");
        }
    }

    #[test]
    fn header_injection_is_refused() {
        for bad in ["a@b.de\r\nBcc: x@y.de", "a@b.de\0", "a\u{202E}@b.de"] {
            assert_eq!(Email::parse(bad).unwrap_err().code, "forbidden_character", "{bad:?}");
        }
    }

    #[test]
    fn malformed_addresses_are_refused() {
        for bad in [
            "",
            "plain",
            "@x.de",
            "a@",
            "a@localhost",
            "a@-x.de",
            "a..b@x.de",
            "a b@x.de",
            "a@x..de",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
        }
        assert_eq!(Email::parse("").unwrap_err().code, "required");
    }

    #[test]
    fn look_alike_addresses_mixing_scripts_are_refused() {
        // "аnna" with a Cyrillic а, "pаypal" in the domain, a Greek ο.
        for bad in ["\u{0430}nna@x.de", "anna@p\u{0430}ypal.com", "j\u{03BF}hn@x.de"] {
            assert_eq!(Email::parse(bad).unwrap_err().code, "mixed_scripts", "{bad:?}");
        }
        assert!(Email::parse("иван@пример.рф").is_ok(), "wholly Cyrillic is fine");
        assert!(
            Email::parse("ivan@пример.рф").is_ok(),
            "each part may use its own script"
        );
    }

    #[test]
    fn plausible_addresses_are_accepted() {
        for good in [
            "a@x.de",
            "first.last+tag@sub.example.co.uk",
            "élodie@exemple.fr",
            "o'brien@x.ie",
        ] {
            assert!(Email::parse(good).is_ok(), "{good:?} should be accepted");
        }
    }
}
