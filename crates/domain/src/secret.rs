//! Secrets in settings: a database URL with its password, an SMTP password,
//! an OIDC client secret. Printing one — `Debug`, `Display`, a log line, the
//! effective configuration — shows `***` (a URL keeps everything but its
//! password); only `expose` hands the value to what needs it.

use std::fmt;

#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value itself, for the one place that uses it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// For showing: `***`, or a URL with its password replaced by `***`.
    pub fn masked(&self) -> String {
        mask_url(&self.0).unwrap_or_else(|| "***".to_owned())
    }
}

/// `scheme://user:***@host/…` for a URL with a password; `scheme://…` as it
/// is for one without; None for anything else.
fn mask_url(value: &str) -> Option<String> {
    let scheme_end = value.find("://")?;
    let rest = &value[scheme_end + 3..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => {
            let user = rest[..at].split(':').next().unwrap_or("");
            Some(format!("{}{user}:***{}", &value[..scheme_end + 3], &rest[at..]))
        }
        None => Some(value.to_owned()),
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl serde::Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.masked())
    }
}

impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_never_prints_itself() {
        let password = Secret::new("hunter2 hunter2");
        assert_eq!(format!("{password:?} {password}"), "*** ***");
        assert_eq!(serde_json::to_string(&password).unwrap(), "\"***\"");
        assert_eq!(password.expose(), "hunter2 hunter2");
    }

    #[test]
    fn a_url_shows_everything_but_its_password() {
        let url = Secret::new("postgres://roster:s3cret@db.example:5432/roster?sslmode=require");
        assert_eq!(
            url.masked(),
            "postgres://roster:***@db.example:5432/roster?sslmode=require"
        );
        let plain = Secret::new("sqlite:///var/lib/roster/roster.db?mode=rwc");
        assert_eq!(plain.masked(), "sqlite:///var/lib/roster/roster.db?mode=rwc");
        assert_eq!(
            Secret::new("smtp://mail.example:587").masked(),
            "smtp://mail.example:587"
        );
    }
}
