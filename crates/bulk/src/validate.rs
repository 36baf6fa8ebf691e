//! One row of an import file → a member, or every reason it is not one.

use roster_domain::{CustomFieldKind, Email, FreeText, InvalidInput, Role, SeatType, SingleLine};
use serde::Serialize;

use crate::mapping::{Mapping, Target};

/// A custom field the organization has.
#[derive(Debug, Clone)]
pub struct FieldDef {
    pub key: String,
    pub kind: CustomFieldKind,
}

/// A row that passed the checks the file alone allows.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedMember {
    pub line: u64,
    pub first_name: String,
    pub last_name: String,
    /// The names came from one full-name column, split (shown in the preview).
    pub name_split: bool,
    /// The full-name cell was one word, kept as the first name: why it
    /// cannot be split, for the organization to judge — a member Roster
    /// holds with that name and no last name is unchanged by it, a new
    /// member needs two names.
    pub one_word_name: Option<String>,
    pub email: String,
    pub email_normalized: String,
    pub personal_id: Option<String>,
    pub comment: Option<String>,
    pub phone: Option<String>,
    pub location: Option<String>,
    pub skills: Option<String>,
    pub department: Option<String>,
    pub role: Option<Role>,
    pub seat_type: Option<SeatType>,
    pub team_key: Option<String>,
    /// The team id of a division the member is to administer.
    pub admin_of: Option<String>,
    pub external: Option<bool>,
    pub custom: Vec<(String, String)>,
}

/// Why a row cannot be imported: which column, which field, why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct RowError {
    pub line: u64,
    pub column: String,
    pub field: String,
    pub code: String,
    pub message: String,
}

/// Role terms of the products admins export from: Roster's own names,
/// SurveyMonkey's (`account_owner`, `Administrator`, `normal` = a power seat,
/// `casual` = a casual seat) and German, Dutch and French words.
pub fn role_term(raw: &str) -> Result<(Option<Role>, Option<SeatType>), InvalidInput> {
    let squashed: String = raw
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ':')
        .collect();
    let builtin = |s: &str| Role::parse(s).map(Some);
    let role = match squashed.as_str() {
        "" => Ok(None),
        "owner" | "accountowner" | "primaryadmin" | "inhaber" | "eigenaar" | "propriétaire" => builtin("owner"),
        "admin" | "administrator" | "administrateur" | "beheerder" => builtin("admin"),
        "divisionadmin" | "bereichsadmin" | "afdelingsbeheerder" => builtin("division_admin"),
        "collaborator" | "mitarbeiter" | "medewerker" | "collaborateur" => builtin("collaborator"),
        "reader" | "leser" | "lezer" | "lecteur" | "member" => builtin("reader"),
        "normal" => return Ok((None, Some(SeatType::Power))),
        "casual" => return Ok((None, Some(SeatType::Casual))),
        other if other.starts_with("custom:") => builtin(other),
        _ => Err(InvalidInput::new(
            "role",
            "invalid_role",
            format!("{:?} is not a role", raw.trim()),
        )),
    }?;
    Ok((role, None))
}

/// Checks one row against the mapping and the organization's custom fields.
pub fn validate_row(
    mapping: &Mapping,
    line: u64,
    cells: &[String],
    fields: &[FieldDef],
) -> Result<ImportedMember, Vec<RowError>> {
    let mut errors = Vec::new();
    let mut m = ImportedMember {
        line,
        first_name: String::new(),
        last_name: String::new(),
        name_split: false,
        one_word_name: None,
        email: String::new(),
        email_normalized: String::new(),
        personal_id: None,
        comment: None,
        phone: None,
        location: None,
        skills: None,
        department: None,
        role: None,
        seat_type: None,
        team_key: None,
        admin_of: None,
        external: None,
        custom: Vec::new(),
    };
    // A full name stands in for first and last name only where no column holds them.
    let split_names = mapping.column_of(&Target::FirstName).is_none() && mapping.column_of(&Target::LastName).is_none();
    for col in &mapping.columns {
        let raw = cells.get(col.column).map(String::as_str).unwrap_or("");
        let mut fail = |e: InvalidInput| {
            errors.push(RowError {
                line,
                column: col.header.clone(),
                field: e.field.clone(),
                code: e.code.to_owned(),
                message: e.message,
            })
        };
        let line_of = |field: &str, max: usize| SingleLine::parse(field, raw, max).map(SingleLine::into_string);
        let optional = |field: &str, max: usize| line_of(field, max).map(|v| (!v.is_empty()).then_some(v));
        // Free text keeps its line breaks (a cell written with Alt+Enter).
        let text = |field: &str, max: usize| {
            FreeText::parse(field, raw, max).map(|v| Some(v.into_string()).filter(|v| !v.is_empty()))
        };
        match &col.target {
            Target::Skip => {}
            // An empty name is checked against the organization when the
            // row is planned: a member stored without one (a first owner
            // named only by e-mail, a SCIM user with only a displayName)
            // imports back unchanged; a new member needs both.
            Target::FirstName => match line_of("first_name", 100) {
                Ok(v) => m.first_name = v,
                Err(e) => fail(e),
            },
            Target::LastName => match line_of("last_name", 100) {
                Ok(v) => m.last_name = v,
                Err(e) => fail(e),
            },
            Target::FullName if !split_names => {}
            Target::FullName => match split_full_name(raw) {
                Ok((first, last)) => {
                    m.first_name = first;
                    m.last_name = last;
                    m.name_split = true;
                }
                Err(e) if is_one_word(raw) => match line_of("first_name", 100) {
                    Ok(word) => {
                        m.first_name = word;
                        m.one_word_name = Some(e.message);
                    }
                    Err(e) => fail(e),
                },
                Err(e) => fail(e),
            },
            // An empty address is the organization's to judge too: a
            // member of another company is exported without one and is
            // found by their personal id.
            Target::Email if raw.trim().is_empty() => {}
            Target::Email => match Email::parse(raw) {
                Ok(e) => {
                    m.email = e.as_str().to_owned();
                    m.email_normalized = e.normalized().to_owned();
                }
                Err(e) => fail(e),
            },
            Target::PersonalId => match optional("personal_id", 200) {
                Ok(v) => m.personal_id = v,
                Err(e) => fail(e),
            },
            Target::Comment => match text("comment", 500) {
                Ok(v) => m.comment = v,
                Err(e) => fail(e),
            },
            Target::Phone => match optional("phone", 100) {
                Ok(v) => m.phone = v,
                Err(e) => fail(e),
            },
            Target::Location => match text("location", 500) {
                Ok(v) => m.location = v,
                Err(e) => fail(e),
            },
            Target::Skills => match text("skills", 500) {
                Ok(v) => m.skills = v,
                Err(e) => fail(e),
            },
            Target::Department => match optional("department", 500) {
                Ok(v) => m.department = v,
                Err(e) => fail(e),
            },
            Target::TeamId => match optional("team_id", 100) {
                Ok(v) => m.team_key = v,
                Err(e) => fail(e),
            },
            Target::AdminOfDivision => match optional("admin_of_division", 100) {
                Ok(v) => m.admin_of = v,
                Err(e) => fail(e),
            },
            Target::Role => match role_term(raw) {
                Ok((role, seat)) => {
                    m.role = role.or(m.role.take());
                    m.seat_type = seat.or(m.seat_type);
                }
                Err(e) => fail(e),
            },
            Target::SeatType if raw.trim().is_empty() => {}
            Target::SeatType => match role_term(raw)
                .ok()
                .and_then(|(_, seat)| seat)
                .map(Ok)
                .unwrap_or_else(|| SeatType::parse(raw))
            {
                Ok(seat) => m.seat_type = Some(seat),
                Err(e) => fail(e),
            },
            Target::External => match raw.trim().to_lowercase().as_str() {
                "" => {}
                "yes" | "y" | "true" | "1" | "ja" | "oui" | "x" => m.external = Some(true),
                "no" | "n" | "false" | "0" | "nein" | "nee" | "non" => m.external = Some(false),
                other => fail(InvalidInput::new(
                    "external",
                    "invalid_value",
                    format!("{other:?} is not yes or no"),
                )),
            },
            Target::Custom(key) => match fields.iter().find(|f| &f.key == key) {
                Some(def) => match def.kind.check(key, raw) {
                    Ok(v) if v.is_empty() => {}
                    Ok(v) => m.custom.push((key.clone(), v)),
                    Err(e) => fail(e),
                },
                None => fail(InvalidInput::new(
                    key.clone(),
                    "unknown_field",
                    "is not a custom field of this organization",
                )),
            },
        }
    }
    let has_full_name = split_names && mapping.column_of(&Target::FullName).is_some();
    for (target, field, value) in [
        (Target::FirstName, "first_name", &m.first_name),
        (Target::LastName, "last_name", &m.last_name),
        (Target::Email, "email", &m.email),
    ] {
        let named = target != Target::Email && has_full_name;
        if mapping.column_of(&target).is_none() && !named && value.is_empty() {
            errors.push(RowError {
                line,
                column: String::new(),
                field: field.into(),
                code: "required".into(),
                message: format!("no column is mapped to {field}"),
            });
        }
    }
    if errors.is_empty() {
        Ok(m)
    } else {
        Err(errors)
    }
}

/// One word, not an address: perhaps the whole name of a person with one.
fn is_one_word(raw: &str) -> bool {
    let t = raw.trim();
    !t.is_empty() && !t.contains(['@', ',']) && t.split_whitespace().count() == 1
}

/// Words that begin a family name: "Ludwig van Beethoven", "Jean de la
/// Fontaine", "Ursula von der Leyen".
const NAME_PARTICLES: &[&str] = &[
    "van", "von", "de", "der", "den", "del", "della", "di", "da", "du", "des", "la", "le", "ten", "ter", "te", "zu",
    "zum", "zur", "vom", "dos", "das", "do", "af", "av", "bin", "ibn", "al", "el", "mac", "st.",
];

/// Splits a whole name into first and last name: "Müller, Anna" (family
/// name first, as lists write it), "Anna Maria Müller" (the last word is
/// the family name), "Ludwig van Beethoven" (a particle begins it). One
/// word, or an e-mail address, is not a name that can be split.
pub fn split_full_name(raw: &str) -> Result<(String, String), InvalidInput> {
    let name = SingleLine::parse_required("name", raw, 201)?.into_string();
    let cannot = |why: String| InvalidInput::new("name", "unsplittable_name", why);
    if name.contains('@') {
        return Err(cannot(format!(
            "{name:?} is an e-mail address, not a name: give the first and the last name"
        )));
    }
    let checked = |first: &str, last: &str| -> Result<(String, String), InvalidInput> {
        let first = SingleLine::parse_required("first_name", first, 100)?.into_string();
        let last = SingleLine::parse_required("last_name", last, 100)?.into_string();
        Ok((first, last))
    };
    if let Some((last, first)) = name.split_once(',') {
        if first.contains(',') || first.trim().is_empty() || last.trim().is_empty() {
            return Err(cannot(format!(
                "{name:?} cannot be split into first and last name: write it as \"Anna Müller\" or \"Müller, Anna\""
            )));
        }
        return checked(first, last);
    }
    let words: Vec<&str> = name.split_whitespace().collect();
    if words.len() < 2 {
        return Err(cannot(format!(
            "{name:?} is one word: a first and a last name are needed (\"Anna Müller\"), or map columns for first and last name"
        )));
    }
    let family_from = (1..words.len() - 1)
        .find(|i| NAME_PARTICLES.contains(&words[*i].to_lowercase().as_str()))
        .unwrap_or(words.len() - 1);
    checked(&words[..family_from].join(" "), &words[family_from..].join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auto_map;

    fn mapping(headers: &[&str]) -> Mapping {
        auto_map(
            &headers.iter().map(|h| h.to_string()).collect::<Vec<_>>(),
            &["start".into()],
        )
    }

    fn cells(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_good_row_becomes_a_member_with_its_custom_fields() {
        let m = mapping(&["firstname", "lastname", "email", "role", "start"]);
        let defs = vec![FieldDef {
            key: "start".into(),
            kind: CustomFieldKind::Date,
        }];
        let row = validate_row(
            &m,
            2,
            &cells(&["Anna", "Müller", "Anna@X.de", "Administrator", "2026-01-02"]),
            &defs,
        )
        .unwrap();
        assert_eq!(row.email_normalized, "anna@x.de");
        assert_eq!(row.role, Some(Role::parse("admin").unwrap()));
        assert_eq!(row.custom, vec![("start".into(), "2026-01-02".into())]);
    }

    #[test]
    fn every_problem_of_a_row_is_reported_with_its_column() {
        let m = mapping(&["Vorname", "Nachname", "E-Mail", "Rolle"]);
        // (An empty first name is the organization's to judge: a member
        // stored without one imports back unchanged.)
        let errs = validate_row(&m, 7, &cells(&["", "Mü\nller", "kaputt", "boss"]), &[]).unwrap_err();
        let got: Vec<(&str, &str)> = errs.iter().map(|e| (e.column.as_str(), e.code.as_str())).collect();
        assert_eq!(
            got,
            vec![
                ("Nachname", "forbidden_character"),
                ("E-Mail", "invalid_email"),
                ("Rolle", "invalid_role")
            ]
        );
        assert!(errs.iter().all(|e| e.line == 7));
    }

    #[test]
    fn survey_monkey_role_terms_carry_seats() {
        assert_eq!(role_term("normal").unwrap(), (None, Some(SeatType::Power)));
        assert_eq!(role_term("Casual").unwrap(), (None, Some(SeatType::Casual)));
        assert_eq!(role_term("account_owner").unwrap().0, Some(Role::OWNER));
        assert_eq!(
            role_term("Division Admin").unwrap().0,
            Some(Role::parse("division_admin").unwrap())
        );
    }

    #[test]
    fn a_whole_name_is_split_into_first_and_last_name() {
        let split = |raw| split_full_name(raw).map_err(|e| e.code);
        assert_eq!(split("Anna Müller"), Ok(("Anna".into(), "Müller".into())));
        assert_eq!(split("Anna Maria  Müller"), Ok(("Anna Maria".into(), "Müller".into())));
        assert_eq!(split("Müller, Anna"), Ok(("Anna".into(), "Müller".into())));
        assert_eq!(
            split("Ludwig van Beethoven"),
            Ok(("Ludwig".into(), "van Beethoven".into()))
        );
        assert_eq!(
            split("Jean de la Fontaine"),
            Ok(("Jean".into(), "de la Fontaine".into()))
        );
        assert_eq!(split("Van Morrison"), Ok(("Van".into(), "Morrison".into())));
        assert_eq!(split("jdoe"), Err("unsplittable_name"));
        assert_eq!(split("jdoe@x.de"), Err("unsplittable_name"));
        assert_eq!(split("a, b, c"), Err("unsplittable_name"));
        assert_eq!(split(""), Err("required"));
    }

    #[test]
    fn survey_monkeys_template_imports_with_its_username_column() {
        let m = mapping(&[
            "Benutzername/Username",
            "E-Mail",
            "Rolle",
            "Bereich (Benutzer)",
            "Bereich (Administrator)",
        ]);
        let row = validate_row(&m, 2, &cells(&["Anna Müller", "anna@x.de", "Casual", "sales", ""]), &[]).unwrap();
        assert_eq!((row.first_name.as_str(), row.last_name.as_str()), ("Anna", "Müller"));
        assert!(row.name_split);
        assert_eq!(row.seat_type, Some(SeatType::Casual));
        assert_eq!(row.team_key.as_deref(), Some("sales"));
        // One word is kept as the first name, with why it cannot be split:
        // the organization judges it (a new member needs two names).
        let row = validate_row(&m, 3, &cells(&["anna", "anna@x.de", "", "", ""]), &[]).unwrap();
        assert_eq!((row.first_name.as_str(), row.last_name.as_str()), ("anna", ""));
        assert!(row.one_word_name.as_deref().is_some_and(|why| why.contains("one word")));
        let errs = validate_row(&m, 4, &cells(&["anna@x.de", "anna@x.de", "", "", ""]), &[]).unwrap_err();
        assert_eq!(
            (errs[0].column.as_str(), errs[0].code.as_str()),
            ("Benutzername/Username", "unsplittable_name")
        );
    }

    #[test]
    fn free_text_keeps_line_breaks_and_names_refuse_them() {
        let m = mapping(&["firstname", "lastname", "email", "comment", "skills"]);
        let row = validate_row(&m, 2, &cells(&["A", "B", "a@x.de", "eins\r\nzwei", "Rust\nSQL"]), &[]).unwrap();
        assert_eq!(row.comment.as_deref(), Some("eins\nzwei"));
        assert_eq!(row.skills.as_deref(), Some("Rust\nSQL"));
        let errs = validate_row(&m, 2, &cells(&["A\u{2028}x", "B\u{200B}", "a@x.de", "", ""]), &[]).unwrap_err();
        assert_eq!(errs.len(), 2, "{errs:?}");
    }

    #[test]
    fn a_file_without_an_email_column_says_so() {
        let m = mapping(&["firstname", "lastname"]);
        let errs = validate_row(&m, 2, &cells(&["A", "B"]), &[]).unwrap_err();
        assert_eq!(errs[0].field, "email");
    }
}
