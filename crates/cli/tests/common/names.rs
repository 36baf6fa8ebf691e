//! Names in the order a German, a Dutch and a French reader expect them,
//! and an organization holding them (the API's and the console's tests of
//! name order).

use serde_json::json;

use super::{random_suffix, TestApp, TestOrg};

/// The names (given, surname) in the order a German reader expects.
pub const GERMAN: &[(&str, &str)] = &[
    ("Anna", "Åberg"),
    ("Jörg", "Bäcker"),
    ("Jörg", "Becker"),
    ("Emre", "Çelik"),
    ("Anna", "de Vries"),
    ("Jan", "Mueller"),
    ("Jan", "Muller"),
    ("Jan", "Müller"),
    ("Karl", "Müller"),
    ("Hans", "Ørsted"),
    ("Käthe", "Schröder"),
    ("Otto", "von Weizsäcker"),
    ("Anna", "Zander"),
];

/// The names in the order a Dutch reader in the Netherlands expects: the
/// particles of `van den Berg` and `de Vries` do not decide the position;
/// the capitalised Belgian `Van den Bossche` sorts as written.
pub const DUTCH: &[(&str, &str)] = &[
    ("Sanne", "Bakker"),
    ("Daan", "van den Berg"),
    ("Eva", "Berg"),
    ("Pieter", "van der Berg"),
    ("Thijs", "Bergen"),
    ("Anouk", "Dekker"),
    ("Noor", "'t Hart"),
    ("Mirjam", "Jansen"),
    ("Hugo", "de Jong"),
    ("Lieve", "Van den Bossche"),
    ("Fleur", "Visser"),
    ("Bram", "de Vries"),
];

/// The names in the order a French reader expects: accents after the plain
/// letter, spaces ignored (`Le Pen` after `Lefèvre`).
pub const FRENCH: &[(&str, &str)] = &[
    ("Benoît", "Bérénger"),
    ("Emre", "Çelik"),
    ("Jean", "de Gaulle"),
    ("Gaël", "Dubois"),
    ("Léa", "Lefebvre"),
    ("Léa", "Lefèvre"),
    ("Noémie", "Lefèvre"),
    ("Hélène", "Le Pen"),
    ("Raphaël", "Moreau"),
    ("Zoë", "Œuvray"),
];

pub fn label((first, last): &(&str, &str)) -> String {
    format!("{last}, {first}")
}

/// An organization in `language` holding `names`, added in another order
/// than the expected one. Returns the organization and the member ids.
pub async fn org_with_names(app: &TestApp, language: &str, names: &[(&str, &str)]) -> (TestOrg, Vec<i64>) {
    let org = app
        .create_org(&format!("names-{language}-{}", random_suffix().replace('_', "-")))
        .await;
    app.patch(&org, "", json!({"language": language})).await.expect(200);
    let mut shuffled: Vec<(usize, &(&str, &str))> = names.iter().enumerate().collect();
    shuffled.reverse();
    shuffled.rotate_left(names.len() / 3);
    let mut ids = vec![0; names.len()];
    for (i, (first, last)) in shuffled {
        ids[i] = app.add_member(&org, first, last, &format!("m{i}@names.example")).await;
    }
    (org, ids)
}
