//! The console's member list in the order a German, a Dutch and a French
//! reader expects, whole and searched, in Chromium.

use serde_json::json;

use crate::helpers::names::{label, org_with_names, DUTCH, FRENCH, GERMAN};
use crate::helpers::spawn_app;
use crate::sign_in;
use crate::webdriver::Browser;

/// The names of the list's rows, as shown ("Surname, Given name").
async fn shown_names(browser: &Browser) -> Vec<String> {
    let names = browser
        .execute(
            "return [...document.querySelectorAll('#results tbody td a')].map(a => a.textContent.trim())",
            json!([]),
        )
        .await;
    names
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_members_list_shows_names_in_the_order_of_the_organizations_language() {
    let app = spawn_app().await;
    let browser = Browser::start().await;
    for (language, names, term) in [("de", GERMAN, "ller"), ("nl", DUTCH, "ber"), ("fr", FRENCH, "lef")] {
        let (org, _) = org_with_names(&app, language, names).await;
        sign_in(&app, &browser, &format!("owner@{}.example", org.slug)).await;
        let want: Vec<String> = names.iter().map(label).collect();
        browser
            .goto(&format!("{}/o/{}/members?role=reader", app.base, org.slug))
            .await;
        assert_eq!(shown_names(&browser).await, want, "{language}");
        browser
            .goto(&format!("{}/o/{}/members?role=reader&q={term}", app.base, org.slug))
            .await;
        let few: Vec<String> = want
            .iter()
            .filter(|n| n.to_lowercase().contains(term))
            .cloned()
            .collect();
        assert_eq!(shown_names(&browser).await, few, "{language}, search");
        if language == "nl" {
            browser.screenshot("members-dutch-name-order").await;
        }
        crate::sign_out(&browser).await;
    }
}
