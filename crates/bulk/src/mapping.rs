//! Which column feeds which member field: found from the header (English,
//! German, Dutch and French names, the seed products' headers, custom field
//! keys), and changeable by the admin, with "skip".

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    FirstName,
    LastName,
    /// One column with the whole name (SurveyMonkey's `Username`, `Name`,
    /// `Full name`): split into first and last name when no column holds them.
    FullName,
    Email,
    PersonalId,
    Comment,
    Phone,
    Location,
    Skills,
    Department,
    Role,
    SeatType,
    TeamId,
    /// The team id of a division this member administers (SurveyMonkey's
    /// `Division (Admin)`).
    AdminOfDivision,
    External,
    /// A custom field, by key.
    Custom(String),
    Skip,
}

/// One column's mapping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ColumnMapping {
    pub column: usize,
    pub header: String,
    pub target: Target,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Mapping {
    pub columns: Vec<ColumnMapping>,
}

impl Mapping {
    /// Columns no field takes: reported, never silently dropped.
    pub fn unmapped(&self) -> Vec<&str> {
        self.columns
            .iter()
            .filter(|c| c.target == Target::Skip)
            .map(|c| c.header.as_str())
            .collect()
    }

    pub fn column_of(&self, target: &Target) -> Option<usize> {
        self.columns.iter().find(|c| &c.target == target).map(|c| c.column)
    }
}

/// Lower case without spaces, dashes, dots, underscores or brackets.
fn squash(header: &str) -> String {
    header
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

const ALIASES: &[(&str, Target)] = &[
    ("firstname", Target::FirstName),
    ("givenname", Target::FirstName),
    ("vorname", Target::FirstName),
    ("voornaam", Target::FirstName),
    ("prénom", Target::FirstName),
    ("prenom", Target::FirstName),
    ("lastname", Target::LastName),
    ("surname", Target::LastName),
    ("familyname", Target::LastName),
    ("nachname", Target::LastName),
    ("familienname", Target::LastName),
    ("achternaam", Target::LastName),
    ("nom", Target::LastName),
    ("nomdefamille", Target::LastName),
    ("name", Target::FullName),
    ("fullname", Target::FullName),
    ("displayname", Target::FullName),
    ("username", Target::FullName),
    ("benutzername", Target::FullName),
    ("benutzernameusername", Target::FullName),
    ("usernamebenutzername", Target::FullName),
    ("vollständigername", Target::FullName),
    ("anzeigename", Target::FullName),
    ("naam", Target::FullName),
    ("volledigenaam", Target::FullName),
    ("weergavenaam", Target::FullName),
    ("gebruikersnaam", Target::FullName),
    ("nomcomplet", Target::FullName),
    ("nomdutilisateur", Target::FullName),
    ("email", Target::Email),
    ("emailaddress", Target::Email),
    ("emailadresse", Target::Email),
    ("emailadres", Target::Email),
    ("mail", Target::Email),
    ("courriel", Target::Email),
    ("adresseemail", Target::Email),
    ("personalid", Target::PersonalId),
    ("personalnummer", Target::PersonalId),
    ("personeelsnummer", Target::PersonalId),
    ("employeeid", Target::PersonalId),
    ("matricule", Target::PersonalId),
    ("comment", Target::Comment),
    ("kommentar", Target::Comment),
    ("bemerkung", Target::Comment),
    ("opmerking", Target::Comment),
    ("commentaar", Target::Comment),
    ("commentaire", Target::Comment),
    ("phone", Target::Phone),
    ("telefon", Target::Phone),
    ("telefoon", Target::Phone),
    ("téléphone", Target::Phone),
    ("telephone", Target::Phone),
    ("location", Target::Location),
    ("standort", Target::Location),
    ("ort", Target::Location),
    ("locatie", Target::Location),
    ("lieu", Target::Location),
    ("skills", Target::Skills),
    ("fähigkeiten", Target::Skills),
    ("vaardigheden", Target::Skills),
    ("compétences", Target::Skills),
    ("department", Target::Department),
    ("abteilung", Target::Department),
    ("afdeling", Target::Department),
    ("département", Target::Department),
    ("role", Target::Role),
    ("rolle", Target::Role),
    ("rol", Target::Role),
    ("rôle", Target::Role),
    ("seat", Target::SeatType),
    ("seattype", Target::SeatType),
    ("lizenz", Target::SeatType),
    ("licentie", Target::SeatType),
    ("licence", Target::SeatType),
    ("teamid", Target::TeamId),
    ("team", Target::TeamId),
    ("divisionuser", Target::TeamId),
    ("bereichbenutzer", Target::TeamId),
    ("afdelinggebruiker", Target::TeamId),
    ("divisionadmin", Target::AdminOfDivision),
    ("divisionadministrator", Target::AdminOfDivision),
    ("bereichadministrator", Target::AdminOfDivision),
    ("bereichadmin", Target::AdminOfDivision),
    ("afdelingbeheerder", Target::AdminOfDivision),
    ("external", Target::External),
    ("extern", Target::External),
    ("externe", Target::External),
];

/// Maps each header to a field by name; custom field keys match too; a
/// second column for the same field, or an unknown header, is skipped.
pub fn auto_map(headers: &[String], custom_keys: &[String]) -> Mapping {
    let mut taken: Vec<Target> = Vec::new();
    let columns = headers
        .iter()
        .enumerate()
        .map(|(column, header)| {
            let key = squash(header);
            let target = ALIASES
                .iter()
                .find(|(alias, _)| *alias == key)
                .map(|(_, t)| t.clone())
                .or_else(|| {
                    custom_keys
                        .iter()
                        .find(|k| squash(k) == key)
                        .map(|k| Target::Custom(k.clone()))
                })
                .filter(|t| !taken.contains(t))
                .unwrap_or(Target::Skip);
            if target != Target::Skip {
                taken.push(target.clone());
            }
            ColumnMapping {
                column,
                header: header.clone(),
                target,
            }
        })
        .collect();
    Mapping { columns }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets(headers: &[&str]) -> Vec<Target> {
        let headers: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
        auto_map(&headers, &["cost_center".into()])
            .columns
            .into_iter()
            .map(|c| c.target)
            .collect()
    }

    #[test]
    fn headers_in_four_languages_and_the_seed_products_map_to_fields() {
        use Target::*;
        assert_eq!(
            targets(&["firstname", "lastname", "email", "personalid", "comment", "teamid"]),
            vec![FirstName, LastName, Email, PersonalId, Comment, TeamId]
        );
        assert_eq!(
            targets(&["Vorname", "Nachname", "E-Mail"]),
            vec![FirstName, LastName, Email]
        );
        assert_eq!(
            targets(&["Voornaam", "Achternaam", "E-mailadres"]),
            vec![FirstName, LastName, Email]
        );
        assert_eq!(
            targets(&["Prénom", "Nom", "Courriel"]),
            vec![FirstName, LastName, Email]
        );
        assert_eq!(
            targets(&["First name", "Last Name", "E-mail address"]),
            vec![FirstName, LastName, Email]
        );
        assert_eq!(
            targets(&["Email", "Role", "Division (User)", "Division (Admin)"]),
            vec![Email, Role, TeamId, AdminOfDivision]
        );
        assert_eq!(
            targets(&[
                "Benutzername/Username",
                "E-Mail",
                "Rolle",
                "Bereich (Benutzer)",
                "Bereich (Administrator)"
            ]),
            vec![FullName, Email, Role, TeamId, AdminOfDivision],
            "SurveyMonkey's German template"
        );
        for single in [
            "Name",
            "Full name",
            "Display name",
            "Vollständiger Name",
            "Naam",
            "Nom complet",
        ] {
            assert_eq!(targets(&[single]), vec![FullName], "{single}");
        }
        assert_eq!(
            targets(&["Cost Center", "Shoe size"]),
            vec![Custom("cost_center".into()), Skip]
        );
    }

    #[test]
    fn a_field_is_taken_once_and_unmapped_columns_are_reported() {
        let m = auto_map(&["email".into(), "E-Mail".into(), "notes2".into()], &[]);
        assert_eq!(m.unmapped(), vec!["E-Mail", "notes2"]);
    }
}
