//! SCIM 2.0's protocol as clients meet it: discovery true to what works,
//! tokens (hashed, revocable, never in a URL, one organization's), media
//! types, errors in SCIM's format, paging and hostile filters.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{scim_answer, spawn_app};

#[tokio::test]
async fn discovery_says_what_is_implemented_and_refuses_writes() {
    let app = spawn_app().await;
    let org = app.create_org("disco").await;
    app.add_number_field(&org, "badge", "Badge").await;
    let token = app.scim_token(&org).await;

    let spc = app.scim_get("/ServiceProviderConfig", &token).await.expect(200).body;
    assert_eq!(spc["patch"]["supported"], true);
    assert_eq!(spc["bulk"]["supported"], false);
    assert_eq!(spc["filter"]["supported"], true);
    assert_eq!(spc["filter"]["maxResults"], 1000);
    assert_eq!(spc["sort"]["supported"], false);
    assert_eq!(spc["etag"]["supported"], true);
    assert_eq!(spc["authenticationSchemes"][0]["type"], "oauthbearertoken");

    let types = app.scim_get("/ResourceTypes", &token).await.expect(200).body;
    assert_eq!(types["totalResults"], 2);
    let user_type = app.scim_get("/ResourceTypes/User", &token).await.expect(200).body;
    assert_eq!(user_type["endpoint"], "/Users");
    let extensions: Vec<&str> = user_type["schemaExtensions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["schema"].as_str().unwrap())
        .collect();
    assert!(extensions.contains(&"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"));
    assert!(extensions.contains(&"urn:ietf:params:scim:schemas:extension:roster:2.0:User"));

    let schemas = app.scim_get("/Schemas", &token).await.expect(200).body;
    let names: Vec<&str> = schemas["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    for needed in [
        "User",
        "Group",
        "EnterpriseUser",
        "RosterUser",
        "ServiceProviderConfig",
        "ResourceType",
        "Schema",
    ] {
        assert!(names.contains(&needed), "{needed} in {names:?}");
    }
    // Each custom field is an attribute of Roster's extension, typed.
    let roster = app
        .scim_get(
            "/Schemas/urn:ietf:params:scim:schemas:extension:roster:2.0:User",
            &token,
        )
        .await
        .expect(200)
        .body;
    let badge = roster["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "badge")
        .expect("the custom field");
    assert_eq!(badge["type"], "decimal");
    let role = roster["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "role")
        .unwrap();
    assert!(!role["canonicalValues"].as_array().unwrap().contains(&json!("owner")));
    // A user's userName is unique without regard to case.
    let user = app
        .scim_get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:User", &token)
        .await
        .expect(200)
        .body;
    let user_name = &user["attributes"][0];
    assert_eq!(
        (user_name["name"].as_str(), user_name["uniqueness"].as_str()),
        (Some("userName"), Some("server"))
    );
    assert_eq!(user_name["caseExact"], false);

    app.scim_get("/Schemas/urn:nope", &token).await.expect(404);
    app.scim_get("/ResourceTypes/Nope", &token).await.expect(404);
    for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
        for path in ["/ServiceProviderConfig", "/ResourceTypes", "/Schemas"] {
            let res = app
                .scim(method.clone(), path, &token, Some(json!({})))
                .await
                .expect(405);
            assert_eq!(res.header("allow").as_deref(), Some("GET"));
        }
    }
    app.scim_post("/Bulk", &token, json!({})).await.expect(501);
    app.scim_get("/Me", &token).await.expect(501);
    app.scim_get("/NoSuchThing", &token).await.expect(404);
}

#[tokio::test]
async fn tokens_that_are_missing_revoked_expired_in_a_url_or_not_scim_tokens_are_401() {
    let app = spawn_app().await;
    let org = app.create_org("tokens").await;
    let token = app.scim_token(&org).await;
    app.scim_get("/Users", &token).await.expect(200);

    let missing = scim_answer(
        app.client
            .get(format!("{}/scim/v2/Users", app.base))
            .send()
            .await
            .unwrap(),
    )
    .await
    .expect(401);
    assert!(missing.header("www-authenticate").unwrap().starts_with("Bearer"));
    app.scim_get("/Users", "rsc_0000").await.expect(401);
    // An API token is not a SCIM token.
    app.scim_get("/Users", &org.token).await.expect(401);
    // A token in the query string is refused, even with a good header.
    let in_url = scim_answer(
        app.client
            .get(format!("{}/scim/v2/Users?access_token={token}", app.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    in_url.expect(401);

    // Revoked: 401 from then on; its record says when.
    let actor = app.system("tokens").await;
    let tokens = app
        .service
        .scim_tokens(app.service.authorize(&actor).await.unwrap())
        .await
        .unwrap();
    app.service
        .revoke_scim_token(app.service.authorize(&actor).await.unwrap(), tokens[0].id)
        .await
        .unwrap();
    app.scim_get("/Users", &token).await.expect(401);

    // Expired.
    let expiring = app
        .service
        .create_scim_token(
            app.service.authorize(&actor).await.unwrap(),
            roster_service::scim::NewScimToken {
                name: Some("short".into()),
                expires_in_days: Some(1),
            },
        )
        .await
        .unwrap();
    app.scim_get("/Users", &expiring.token).await.expect(200);
    let mut conn = app.service.store().conn().await.unwrap();
    roster_store::sqlx::query("UPDATE scim_tokens SET expires_at = 1 WHERE id = $1")
        .bind(expiring.record.id)
        .execute(conn.raw())
        .await
        .unwrap();
    drop(conn);
    app.scim_get("/Users", &expiring.token).await.expect(401);

    // Hashed at rest: the secret is nowhere in the table.
    let mut conn = app.service.store().conn().await.unwrap();
    let hashes: Vec<String> = roster_store::sqlx::query_scalar("SELECT token_hash FROM scim_tokens")
        .fetch_all(conn.raw())
        .await
        .unwrap();
    assert!(hashes
        .iter()
        .all(|h| !h.contains(&expiring.token[4..]) && h.len() == 64));
    drop(conn);

    // Refusals are audited.
    let refusals = app.audit(&org, "access.refused").await;
    assert!(
        refusals.iter().any(|r| r["target_id"] == "scim_token.revoked"),
        "{refusals:?}"
    );
    assert!(
        refusals.iter().any(|r| r["target_id"] == "scim_token.expired"),
        "{refusals:?}"
    );
}

#[tokio::test]
async fn one_organizations_token_sees_nothing_of_another() {
    let app = spawn_app().await;
    let a = app.create_org("orga").await;
    let b = app.create_org("orgb").await;
    let ta = app.scim_token(&a).await;
    let tb = app.scim_token(&b).await;
    let anna = app
        .scim_user(&ta, "anna@a.example", "Anna", "A", "anna@a.example")
        .await;
    let group = app
        .scim_post(
            "/Groups",
            &ta,
            json!({"displayName": "A team", "members": [{"value": anna}]}),
        )
        .await
        .expect(201)
        .id();

    app.scim_get(&format!("/Users/{anna}"), &tb).await.expect(404);
    app.scim_get(&format!("/Groups/{group}"), &tb).await.expect(404);
    app.scim(Method::DELETE, &format!("/Users/{anna}"), &tb, None)
        .await
        .expect(404);
    app.scim_patch(
        &format!("/Users/{anna}"),
        &tb,
        json!([{"op": "replace", "path": "active", "value": false}]),
    )
    .await
    .expect(404);
    app.scim_patch(
        &format!("/Groups/{group}"),
        &tb,
        json!([{"op": "add", "path": "members", "value": [{"value": anna}]}]),
    )
    .await
    .expect(404);
    // B's group cannot take A's user either.
    app.scim_post(
        "/Groups",
        &tb,
        json!({"displayName": "B team", "members": [{"value": anna}]}),
    )
    .await
    .expect(400);
    let users = app
        .scim_get("/Users?filter=userName%20eq%20%22anna@a.example%22", &tb)
        .await
        .expect(200);
    assert_eq!(users.body["totalResults"], 0);
    let all = app.scim_get("/Users", &tb).await.expect(200);
    assert!(all.resources().iter().all(|u| u["userName"] != "anna@a.example"));
    assert_eq!(app.scim_get("/Groups", &tb).await.expect(200).body["totalResults"], 0);
}

#[tokio::test]
async fn bodies_come_as_scim_or_plain_json_and_anything_else_is_refused() {
    let app = spawn_app().await;
    let org = app.create_org("media").await;
    let token = app.scim_token(&org).await;
    let user = |name: &str| {
        json!({"userName": name, "emails": [{"value": format!("{name}@media.example"), "type": "work"}]}).to_string()
    };
    for (i, kind) in [
        "application/scim+json; charset=utf-8",
        "application/json",
        "APPLICATION/SCIM+JSON",
    ]
    .into_iter()
    .enumerate()
    {
        let res = app
            .client
            .post(format!("{}/scim/v2/Users", app.base))
            .bearer_auth(&token)
            .header("content-type", kind)
            .body(user(&format!("u{i}")))
            .send()
            .await
            .unwrap();
        let res = scim_answer(res).await.expect(201);
        assert!(res
            .header("location")
            .unwrap()
            .ends_with(&format!("/scim/v2/Users/{}", res.id())));
        assert!(res.header("etag").unwrap().starts_with("W/\""));
    }
    let refused = app
        .client
        .post(format!("{}/scim/v2/Users", app.base))
        .bearer_auth(&token)
        .header("content-type", "text/plain")
        .body(user("u9"))
        .send()
        .await
        .unwrap();
    scim_answer(refused).await.expect(415);
    let broken = app
        .client
        .post(format!("{}/scim/v2/Users", app.base))
        .bearer_auth(&token)
        .header("content-type", "application/scim+json")
        .body("{\"userName\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(scim_answer(broken).await.expect(400).scim_type(), "invalidSyntax");
    // A body larger than 8 MiB: 413, in SCIM's format.
    let huge = format!(
        "{{\"userName\": \"x\", \"displayName\": \"{}\"}}",
        "a".repeat(9 * 1024 * 1024)
    );
    let res = app
        .client
        .post(format!("{}/scim/v2/Users", app.base))
        .bearer_auth(&token)
        .header("content-type", "application/scim+json")
        .body(huge)
        .send()
        .await
        .unwrap();
    scim_answer(res).await.expect(413);
    // No Accept header at all (Entra ID's test connection): SCIM JSON back.
    let res = app
        .client
        .get(format!(
            "{}/scim/v2/Users?filter=userName+eq+%22e7c1b0a1-4c5b%22",
            app.base
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let res = scim_answer(res).await.expect(200);
    assert_eq!(res.body["totalResults"], 0);
    assert_eq!(res.body["Resources"], json!([]));
}

#[tokio::test]
async fn pages_start_at_one_stay_in_order_and_cap_their_size() {
    let app = spawn_app().await;
    let org = app.create_org("pages").await;
    let token = app.scim_token(&org).await;
    let mut ids = Vec::new();
    for i in 0..7 {
        let name = format!("user{i}@pages.example");
        ids.push(app.scim_user(&token, &name, "P", &format!("{i}"), &name).await);
    }
    // The owner is a member too: 8 users, in id order.
    let all = app.scim_get("/Users", &token).await.expect(200);
    assert_eq!(all.body["totalResults"], 8);
    let order: Vec<i64> = all
        .resources()
        .iter()
        .map(|u| u["id"].as_str().unwrap().parse().unwrap())
        .collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted);

    // Okta's test: the first two.
    let two = app.scim_get("/Users?startIndex=1&count=2", &token).await.expect(200);
    assert_eq!(
        (two.body["startIndex"].as_i64(), two.body["itemsPerPage"].as_i64()),
        (Some(1), Some(2))
    );
    assert_eq!(two.body["totalResults"], 8);
    // Okta pages by startIndex + count: every user once.
    let mut seen = Vec::new();
    let mut start = 1;
    loop {
        let page = app
            .scim_get(&format!("/Users?startIndex={start}&count=3"), &token)
            .await
            .expect(200);
        let items = page.resources();
        if items.is_empty() {
            break;
        }
        seen.extend(items.iter().map(|u| u["id"].as_str().unwrap().to_owned()));
        start += 3;
    }
    assert_eq!(seen.len(), 8);
    for id in &ids {
        assert!(seen.contains(id));
    }
    // Beyond the end: an empty page, the true total.
    let beyond = app.scim_get("/Users?startIndex=100&count=10", &token).await.expect(200);
    assert_eq!(
        (
            beyond.body["totalResults"].as_i64(),
            beyond.body["itemsPerPage"].as_i64()
        ),
        (Some(8), Some(0))
    );
    // count=0: only the total.
    let none = app.scim_get("/Users?count=0", &token).await.expect(200);
    assert_eq!(
        (none.body["totalResults"].as_i64(), none.resources().len()),
        (Some(8), 0)
    );
    // A huge count is capped; itemsPerPage tells how many came.
    let huge = app.scim_get("/Users?count=1000000000", &token).await.expect(200);
    assert_eq!(huge.body["itemsPerPage"], 8);
    // startIndex below 1 is 1; a word is refused.
    assert_eq!(
        app.scim_get("/Users?startIndex=-3&count=1", &token)
            .await
            .expect(200)
            .body["startIndex"],
        1
    );
    assert_eq!(
        app.scim_get("/Users?startIndex=two", &token)
            .await
            .expect(400)
            .scim_type(),
        "invalidValue"
    );
}

#[tokio::test]
async fn hostile_filters_are_refused_without_harm() {
    let app = spawn_app().await;
    let org = app.create_org("hostile").await;
    let token = app.scim_token(&org).await;
    app.scim_user(&token, "victim@hostile.example", "V", "V", "victim@hostile.example")
        .await;

    let filter = |f: &str| {
        let q = form_urlencoded::Serializer::new(String::new())
            .append_pair("filter", f)
            .finish();
        format!("/Users?{q}")
    };
    // 10,000 nested parentheses: 400, and the server lives on.
    let deep = format!("{}userName eq \"x\"{}", "(".repeat(10_000), ")".repeat(10_000));
    let res = app
        .scim_post(
            "/Users/.search",
            &token,
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": deep}),
        )
        .await
        .expect(400);
    assert_eq!(res.scim_type(), "invalidFilter");
    // A 1 MB filter.
    let huge = format!("userName eq \"{}\"", "a".repeat(1024 * 1024));
    let res = app
        .scim_post("/Users/.search", &token, json!({"filter": huge}))
        .await
        .expect(400);
    assert_eq!(res.scim_type(), "invalidFilter");
    // Injection: values are parameters.
    for attack in [
        "userName eq \"x' OR '1'='1\"",
        "userName eq \"x\\\" or 1=1 --\"",
        "userName sw \"%\"",
        "userName co \"_\"",
        "externalId eq \"'; DROP TABLE members; --\"",
    ] {
        let res = app.scim_get(&filter(attack), &token).await.expect(200);
        assert_eq!(res.body["totalResults"], 0, "{attack}");
    }
    app.scim_get("/Users", &token).await.expect(200);
    // Secrets never travel in a URL: a filter on password is refused (403 sensitive).
    let res = app.scim_get(&filter("password eq \"x\""), &token).await.expect(403);
    assert_eq!(res.scim_type(), "sensitive");
    // Malformed and unknown filters: 400 invalidFilter.
    for bad in [
        "userName",
        "userName xx \"a\"",
        "(userName eq \"a\"",
        "shoeSize eq 44",
        "active gt true",
    ] {
        let res = app.scim_get(&filter(bad), &token).await.expect(400);
        assert_eq!(res.scim_type(), "invalidFilter", "{bad}");
    }
    // Everything SCIM refused is still there.
    let res = app
        .scim_get(&filter("userName eq \"VICTIM@hostile.example\""), &token)
        .await
        .expect(200);
    assert_eq!(res.body["totalResults"], 1);
}

#[tokio::test]
async fn filters_take_every_operator_value_paths_and_any_case() {
    let app = spawn_app().await;
    let org = app.create_org("filters").await;
    let token = app.scim_token(&org).await;
    let body = |user: &str, given: &str, ext: &str, dept: &str| {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
            "userName": user, "externalId": ext,
            "name": {"givenName": given, "familyName": "Filter"},
            "title": format!("{given} title"),
            "emails": [{"value": format!("{user}"), "type": "work", "primary": true}, {"value": format!("home.{user}"), "type": "home"}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": dept, "manager": {"value": "42"}}
        })
    };
    let ann = app
        .scim_post("/Users", &token, body("ann@f.example", "Ann", "E-1", "Sales"))
        .await
        .expect(201)
        .id();
    let bob = app
        .scim_post("/Users", &token, body("bob@f.example", "Bob", "E-2", "R&D"))
        .await
        .expect(201)
        .id();
    let cid = app
        .scim_post("/Users", &token, body("cid@other.example", "Cid", "E-3", "R&D"))
        .await
        .expect(201)
        .id();

    let run = |f: &str| {
        let app = &app;
        let token = &token;
        let q = form_urlencoded::Serializer::new(String::new())
            .append_pair("filter", f)
            .finish();
        async move {
            let res = app.scim_get(&format!("/Users?{q}"), token).await.expect(200);
            let mut ids: Vec<String> = res
                .resources()
                .iter()
                .map(|u| u["id"].as_str().unwrap().to_owned())
                .collect();
            ids.sort();
            ids
        }
    };
    let set = |v: &[&String]| {
        let mut v: Vec<String> = v.iter().map(|s| (*s).clone()).collect();
        v.sort();
        v
    };
    assert_eq!(run("userName eq \"ANN@F.EXAMPLE\"").await, set(&[&ann]));
    assert_eq!(run("USERNAME Eq \"bob@f.example\"").await, set(&[&bob]));
    assert_eq!(
        run("userName ne \"ann@f.example\" and name.familyName eq \"filter\"").await,
        set(&[&bob, &cid])
    );
    assert_eq!(run("userName co \"@f.\"").await, set(&[&ann, &bob]));
    assert_eq!(run("userName sw \"ci\"").await, set(&[&cid]));
    assert_eq!(run("userName ew \"other.example\"").await, set(&[&cid]));
    assert_eq!(run("externalId eq \"E-2\"").await, set(&[&bob]));
    assert_eq!(
        run("externalId eq \"e-2\"").await,
        Vec::<String>::new(),
        "externalId is case-exact"
    );
    assert_eq!(run("title pr and externalId pr").await, set(&[&ann, &bob, &cid]));
    assert_eq!(run("not (externalId pr)").await.len(), 1, "the owner has none");
    assert_eq!(
        run("emails[type eq \"work\" and value eq \"bob@f.example\"]").await,
        set(&[&bob])
    );
    assert_eq!(
        run("emails[type eq \"work\"].value eq \"bob@f.example\"").await,
        set(&[&bob])
    );
    assert_eq!(run("emails.value eq \"home.ann@f.example\"").await, set(&[&ann]));
    assert_eq!(run("emails co \"home.cid\"").await, set(&[&cid]));
    assert_eq!(
        run("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq \"r&d\"").await,
        set(&[&bob, &cid])
    );
    assert_eq!(
        run("department eq \"sales\" or (name.givenName eq \"Cid\")").await,
        set(&[&ann, &cid])
    );
    assert_eq!(run("manager eq \"42\" and name.givenName sw \"A\"").await, set(&[&ann]));
    assert_eq!(run(&format!("id eq \"{bob}\"")).await, set(&[&bob]));
    assert_eq!(
        run("meta.lastModified gt \"2000-01-01T00:00:00Z\" and userName ew \"f.example\"").await,
        set(&[&ann, &bob])
    );
    assert_eq!(
        run("meta.created lt \"2000-01-01T00:00:00Z\"").await,
        Vec::<String>::new()
    );
    assert_eq!(run("active eq true and userName co \"@\"").await.len(), 4);
}

#[tokio::test]
async fn searches_by_post_read_like_lists() {
    let app = spawn_app().await;
    let org = app.create_org("search").await;
    let token = app.scim_token(&org).await;
    let ann = app
        .scim_user(&token, "ann@s.example", "Ann", "S", "ann@s.example")
        .await;
    let group = app
        .scim_post(
            "/Groups",
            &token,
            json!({"displayName": "Searchers", "externalId": "g-1", "members": [{"value": ann}]}),
        )
        .await
        .expect(201)
        .id();
    let res = app
        .scim_post(
            "/Users/.search",
            &token,
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": "userName eq \"ann@s.example\"", "attributes": ["userName"]}),
        )
        .await
        .expect(200);
    assert_eq!(res.body["totalResults"], 1);
    let user = &res.resources()[0];
    assert_eq!(user["userName"], "ann@s.example");
    assert!(user.get("emails").is_none(), "only what was asked: {user}");
    // /.search: users first, then groups, one page across both; ids are
    // unique across them.
    let everything = app
        .scim_post(
            "/.search",
            &token,
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "count": 10}),
        )
        .await
        .expect(200);
    assert_eq!(everything.body["totalResults"], 3);
    let ids: Vec<Value> = everything.resources().iter().map(|r| r["id"].clone()).collect();
    assert_eq!(ids.last(), Some(&json!(group)));
    let second = app
        .scim_post("/.search", &token, json!({"startIndex": 3, "count": 1}))
        .await
        .expect(200);
    assert_eq!(second.resources()[0]["id"], json!(group));
}
