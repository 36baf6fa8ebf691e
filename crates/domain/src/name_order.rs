//! The order people read a list of names in.
//!
//! Each member is stored with a sort key: the bytes of an ICU4X collation key
//! (Unicode Collation Algorithm with CLDR's root order), compared as bytes by
//! either database, so SQLite and PostgreSQL sort alike and neither depends on
//! the server's collation. The key holds the surname, then the given name:
//! `Müller` sorts beside `Muller` and `Mueller`, `Åberg` with the A's and
//! `Çelik` with the C's; accents decide only between names otherwise equal,
//! and case only after accents.
//!
//! Dutch surnames often start with particles (`van der Berg`, `de Vries`).
//! In the Netherlands they do not decide the position — `de Vries` is found
//! under V — and are written in lower case after a given name. In Belgium
//! they are capitalised (`Van den Bossche`) and do decide it. So where the
//! organization's language is Dutch, leading particles in lower case are set
//! after the given name; capitalised ones stay where they are. Other
//! languages sort a surname as it is written (a French `Le Pen` or `de
//! Gaulle`, a German `von Weizsäcker`): the person's own spelling is the one
//! convention that never guesses wrong about a name's origin.

use std::sync::LazyLock;

use icu_collator::options::{AlternateHandling, CollatorOptions, Strength};
use icu_collator::{Collator, CollatorBorrowed};

/// Changes whenever keys computed by this code would differ from stored ones
/// (a new ICU4X or CLDR version, a change of the rules here); stored keys of
/// another version are computed again in the background.
pub const SORT_KEY_VERSION: i64 = 1;

/// The two ways a member's name may sort: as written, and as a Dutch reader
/// in the Netherlands expects. The store keeps the one for the organization's
/// language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameSortKeys {
    pub as_written: Vec<u8>,
    pub dutch: Vec<u8>,
}

impl NameSortKeys {
    pub fn of(first_name: &str, last_name: &str) -> Self {
        let (surname, given) = match (last_name.trim(), first_name.trim()) {
            ("", given) => (given, ""),
            (surname, given) => (surname, given),
        };
        let as_written = key(surname, given, "");
        let dutch = match split_dutch_particles(surname) {
            Some((particles, core)) => key(core, given, particles),
            None => as_written.clone(),
        };
        Self { as_written, dutch }
    }

    pub fn for_language(&self, language: crate::Language) -> &[u8] {
        match language {
            crate::Language::Nl => &self.dutch,
            _ => &self.as_written,
        }
    }

    /// Whether an organization's members sort otherwise once its language
    /// changes from `from` to `to` (only Dutch orders names its own way).
    pub fn order_changes(from: crate::Language, to: crate::Language) -> bool {
        (from == crate::Language::Nl) != (to == crate::Language::Nl)
    }
}

/// Primary differences only (base letters), for the fields one by one.
static PRIMARY: LazyLock<CollatorBorrowed<'static>> = LazyLock::new(|| collator(Strength::Primary));
/// Accents, then case, to order names whose letters are the same.
static TERTIARY: LazyLock<CollatorBorrowed<'static>> = LazyLock::new(|| collator(Strength::Tertiary));

/// Spaces, hyphens and apostrophes are ignored ("shifted"), as in a
/// directory: `Le Pen` sorts as `Lepen`, `O'Connor` as `Oconnor`.
// The root collation's data is compiled into the binary: building a collator
// from it cannot fail at run time (a unit test builds both).
#[allow(clippy::expect_used)]
fn collator(strength: Strength) -> CollatorBorrowed<'static> {
    let mut options = CollatorOptions::default();
    options.strength = Some(strength);
    options.alternate_handling = Some(AlternateHandling::Shifted);
    Collator::try_new(Default::default(), options).expect("the root collation is compiled in")
}

/// The surname's base letters decide first, then the given name's, then the
/// particles'; a zero byte (which no key holds) ends each, so a surname that
/// is a prefix of another (`Berg`, `Bergen`) comes first whatever follows.
/// Only names equal in their letters are then ordered by accents and case.
fn key(surname: &str, given: &str, particles: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 * (surname.len() + given.len() + particles.len()) + 8);
    for part in [surname, given, particles] {
        let Ok(()) = PRIMARY.write_sort_key_to(part, &mut out);
        out.push(0);
    }
    let Ok(()) = TERTIARY.write_sort_key_to(&format!("{surname} {given} {particles}"), &mut out);
    out
}

/// Words that start a Dutch surname without being its core (the particles
/// of the Dutch civil registry's list of "voorvoegsels").
const PARTICLES: &[&str] = &[
    "'s", "'t", "aan", "bij", "d'", "da", "de", "dei", "del", "della", "den", "der", "des", "di", "do", "dos", "du",
    "el", "het", "in", "l'", "la", "las", "le", "les", "lo", "los", "onder", "op", "over", "te", "ten", "ter", "tot",
    "uit", "uijt", "van", "ver", "von", "vom", "voor", "zu", "zum", "zur",
];

/// `("van der", "Berg")` for `van der Berg`; None when the surname does not
/// start with a particle in lower case, or is nothing but particles.
fn split_dutch_particles(surname: &str) -> Option<(&str, &str)> {
    let first = surname.chars().next()?;
    if !first.is_lowercase() && first != '\'' {
        return None;
    }
    let mut end = 0;
    for word in surname.split_whitespace() {
        if !PARTICLES.contains(&word) {
            break;
        }
        end = surname[end..].find(word).map(|at| end + at + word.len())?;
    }
    let core = surname[end..].trim_start();
    (end > 0 && !core.is_empty()).then(|| (surname[..end].trim_end(), core))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Language;

    fn sorted(language: Language, names: &[(&str, &str)]) -> Vec<String> {
        let mut keyed: Vec<(Vec<u8>, String)> = names
            .iter()
            .map(|(first, last)| {
                let key = NameSortKeys::of(first, last).for_language(language).to_vec();
                (key, format!("{last}, {first}"))
            })
            .collect();
        keyed.sort();
        keyed.into_iter().map(|(_, name)| name).collect()
    }

    fn shuffled<'a>(names: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
        let mut out = names.to_vec();
        out.reverse();
        out.rotate_left(names.len() / 3);
        out
    }

    fn expect(language: Language, in_order: &[(&str, &str)]) {
        let want: Vec<String> = in_order.iter().map(|(f, l)| format!("{l}, {f}")).collect();
        assert_eq!(sorted(language, &shuffled(in_order)), want);
    }

    // The integration tests hold longer lists through the API and the
    // console (crates/cli/tests/common/names.rs); these are other names.
    #[test]
    fn a_german_reader_finds_umlauts_and_foreign_letters_with_their_base_letter() {
        expect(
            Language::De,
            &[
                ("Lea", "Ågren"),
                ("Uwe", "Oswald"),
                ("Ali", "Öztürk"),
                ("Paul", "Säuberlich"),
                ("Ida", "Sauer"),
                ("Ralf", "Schulz"),
                ("Eva", "Weise"),
                ("Tom", "Weiss"),
                ("Tom", "Weiß"),
                ("Ute", "Wolff"),
            ],
        );
    }

    #[test]
    fn a_dutch_reader_finds_particles_after_the_name() {
        expect(
            Language::Nl,
            &[
                ("Kees", "de Boer"),
                ("Mila", "Bos"),
                ("Lotte", "van Dijk"),
                ("Sem", "Dijkstra"),
                ("Lars", "ter Horst"),
                ("Jip", "Van Damme"),
                ("Tess", "in 't Veld"),
                ("Ruben", "Veldman"),
            ],
        );
    }

    #[test]
    fn a_french_reader_orders_accents_after_the_plain_letter_and_ignores_spaces() {
        expect(
            Language::Fr,
            &[
                ("Chloé", "Da Silva"),
                ("Inès", "Dasilva"),
                ("Éric", "Durand"),
                ("Emma", "Étienne"),
                ("Lucas", "Etienne-Roux"),
                ("Hugo", "Lafont"),
                ("Manon", "La Fontaine"),
            ],
        );
    }

    #[test]
    fn case_decides_only_between_otherwise_equal_names() {
        let lower = NameSortKeys::of("anna", "müller").as_written;
        let upper = NameSortKeys::of("Anna", "Müller").as_written;
        let plain = NameSortKeys::of("Anna", "Muller").as_written;
        let later = NameSortKeys::of("Bea", "muller").as_written;
        assert!(plain < lower && lower < upper && upper < later);
    }

    #[test]
    fn a_single_name_sorts_as_the_surname() {
        let owner = NameSortKeys::of("Owner", "").as_written;
        assert!(NameSortKeys::of("Zoë", "Neumann").as_written < owner);
        assert!(owner < NameSortKeys::of("Anna", "Pohl").as_written);
    }

    #[test]
    fn particles_alone_or_capitalised_are_the_surname() {
        assert_eq!(split_dutch_particles("van der Berg"), Some(("van der", "Berg")));
        assert_eq!(split_dutch_particles("'t Hart"), Some(("'t", "Hart")));
        assert_eq!(split_dutch_particles("Van den Bossche"), None);
        assert_eq!(split_dutch_particles("van"), None);
        assert_eq!(split_dutch_particles("de la"), None);
        assert_eq!(split_dutch_particles("vanderberg"), None);
    }

    #[test]
    fn keys_hold_no_zero_byte_and_are_short() {
        for part in ["Jürgen-Maximilian", "van den Berghe-Åström", "Œ ß ĳ ø 李 Ωμέγα"] {
            let mut key = Vec::new();
            let Ok(()) = PRIMARY.write_sort_key_to(part, &mut key);
            assert!(!key.is_empty() && !key.contains(&0), "{part}: {key:?}");
        }
        let keys = NameSortKeys::of("Jürgen-Maximilian", "van den Berghe-Åström");
        assert!(keys.as_written.len() < 120, "{}", keys.as_written.len());
    }
}
