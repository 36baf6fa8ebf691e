//! Org A's token against org B: every route, B's slug or B's ids — always
//! 404, and B is unchanged afterwards.

use reqwest::Method;

use crate::helpers::spawn_app;
use crate::permissions::{concrete_path, example_body, fixtures, method};

#[tokio::test]
async fn org_a_never_reaches_org_b_through_any_route() {
    let app = spawn_app().await;
    let a = app.create_org("alpha").await;
    let b = app.create_org("bravo").await;
    let fa = fixtures(&app, &a).await;
    let fb = fixtures(&app, &b).await;
    let before = app.get(&b, &format!("/members/{}", fb.member)).await.expect(200).body;
    for (n, endpoint) in roster_http::endpoints().into_iter().enumerate() {
        // B's slug with A's token: B does not exist for A.
        let path = concrete_path(endpoint.path, "bravo", &fb);
        let body = endpoint.request.as_deref().map(|s| example_body(s, &fb, n));
        let res = app.call(method(endpoint.method), &path, &a.token, body).await;
        assert_eq!(res.status.as_u16(), 404, "{} {path}: {}", endpoint.method, res.body);
        // A's slug with B's ids in the path.
        if endpoint.path.contains("{id}") || endpoint.path.contains("{member_id}") {
            let path = concrete_path(endpoint.path, "alpha", &fb);
            let body = endpoint.request.as_deref().map(|s| example_body(s, &fb, n));
            let res = app.call(method(endpoint.method), &path, &a.token, body).await;
            let status = res.status.as_u16();
            assert!(
                status == 404 || status == 403,
                "{} {path} with B's ids: {status} {}",
                endpoint.method,
                res.body
            );
        }
    }
    // Bodies naming B's member: refused as unknown in A.
    for (path, body) in [
        (
            format!("/teams/{}/members", fa.team),
            serde_json::json!({"member_id": fb.member}),
        ),
        (
            "/content-items".to_string(),
            serde_json::json!({"owner_member_id": fb.member, "kind": "k", "external_ref": "x", "title": "t"}),
        ),
        (
            format!("/teams/{}/admins", fa.team),
            serde_json::json!({"member_id": fb.member}),
        ),
    ] {
        let res = app.post(&a, &path, body).await;
        assert_eq!(res.status.as_u16(), 409, "{path}: {}", res.body);
        assert_eq!(res.error_code(), "unknown_member", "{path}: {}", res.body);
    }
    let res = app
        .delete(&a, &format!("/members/{}?transfer_to={}", fa.member, fb.member))
        .await
        .expect(409);
    assert_eq!(res.error_field(), "transfer_to");
    // Lists leak nothing.
    let listed = app.get(&a, "/members?limit=500").await.expect(200).body.to_string();
    assert!(!listed.contains("bravo"), "A's member list shows B's members");
    let audit = app.get(&a, "/audit?limit=500").await.expect(200).body.to_string();
    assert!(!audit.contains("bravo"));
    let after = app.get(&b, &format!("/members/{}", fb.member)).await.expect(200).body;
    assert_eq!(before, after, "B's member is unchanged");
    app.call(Method::GET, "/api/v1/orgs/bravo", &a.token, None)
        .await
        .expect(404);
}
