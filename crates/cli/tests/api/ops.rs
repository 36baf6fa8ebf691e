use crate::helpers::spawn_app;

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    let app = spawn_app().await;
    let health = app.client.get(format!("{}/healthz", app.base)).send().await.unwrap();
    assert_eq!(health.status().as_u16(), 200);
    assert!(health.headers().contains_key("x-request-id"));
    let ready = app.client.get(format!("{}/readyz", app.base)).send().await.unwrap();
    assert_eq!(ready.status().as_u16(), 200);
    let metrics = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("roster_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"}"),
        "{metrics}"
    );
    assert!(metrics.contains("roster_http_request_duration_seconds_bucket"));
}

#[tokio::test]
async fn readiness_fails_when_the_database_is_gone() {
    let app = spawn_app().await;
    app.service.store().close().await;
    let ready = app.client.get(format!("{}/readyz", app.base)).send().await.unwrap();
    assert_eq!(ready.status().as_u16(), 503);
}

#[tokio::test]
async fn the_served_openapi_document_is_the_committed_one() {
    let app = spawn_app().await;
    let served: serde_json::Value = app
        .client
        .get(format!("{}/api/v1/openapi.json", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let committed: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(served, committed);
    assert_eq!(served["openapi"], "3.1.0");
    for endpoint in roster_http::endpoints() {
        assert!(
            served["paths"][roster_http::document_path(endpoint.path)][endpoint.method].is_object(),
            "{} {} undocumented",
            endpoint.method,
            endpoint.path
        );
    }
}

#[tokio::test]
async fn an_unknown_route_is_a_404() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(format!("{}/api/v1/nothing", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 404);
}

#[tokio::test]
async fn a_server_error_shows_only_an_opaque_id_never_the_database_message() {
    let app = spawn_app().await;
    let org = app.create_org("acme").await;
    app.service.store().close().await;
    let res = app.get(&org, "/members").await.expect(500);
    let id = res.body["error"]["error_id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 16);
    let message = res.body["error"]["message"].as_str().unwrap();
    assert!(message.contains(&id), "{message}");
    assert!(
        !message.to_lowercase().contains("pool") && !message.to_lowercase().contains("sql"),
        "{message}"
    );
}
