#![allow(dead_code)]

pub mod contract;
mod db;
pub mod dns;
pub mod names;
pub mod oidc;
pub mod smtp;

// Not every test binary uses every helper.
#[allow(unused_imports)]
pub use db::{backend, random_suffix, TestDb};

use std::net::SocketAddr;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use roster_service::{Actor, NewOrg, NewToken, Service};
use serde_json::{json, Value};

pub const PASSWORD: &str = "correct horse battery staple";

/// The application on a real port, with typed helpers.
pub struct TestApp {
    pub base: String,
    /// The SMTP server mail goes to (`spawn_with_mail`).
    pub sink: Option<smtp::SmtpSink>,
    pub client: reqwest::Client,
    pub service: Service,
    pub db: TestDb,
    /// Keeps the background job worker running while the test runs.
    worker_stop: tokio::sync::watch::Sender<bool>,
}

/// An organization with an admin token.
#[derive(Debug, Clone)]
pub struct TestOrg {
    pub slug: String,
    pub token: String,
    pub owner_id: i64,
}

pub struct Response {
    pub status: StatusCode,
    pub body: Value,
}

impl Response {
    pub fn id(&self) -> i64 {
        self.body["id"]
            .as_i64()
            .unwrap_or_else(|| panic!("no id in {}", self.body))
    }

    pub fn error_code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }

    pub fn error_field(&self) -> &str {
        self.body["error"]["field"].as_str().unwrap_or("")
    }

    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(self.status.as_u16(), status, "unexpected answer: {}", self.body);
        self
    }
}

/// The upload sandbox as `roster serve` runs it, with this build's binary
/// as the reader (a test's own executable is the test harness).
pub fn sandbox() -> roster_service::SandboxConfig {
    roster_service::SandboxConfig {
        program: Some(env!("CARGO_BIN_EXE_roster").into()),
        ..Default::default()
    }
}

/// An answer as the tests read it, held to the API's document first.
async fn answer(method: &Method, path: &str, res: reqwest::Response) -> Response {
    let status = res.status();
    let content_type = res
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let text = res.text().await.unwrap_or_default();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    contract::check(method, path, status.as_u16(), content_type.as_deref(), &body);
    Response { status, body }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_at(None).await
}

/// Like [`spawn_app`], with the public URL Roster believes it is served at
/// (`https://…` switches the cookies to `Secure` and `__Host-`).
pub async fn spawn_app_at(base_url: Option<&str>) -> TestApp {
    spawn_custom(base_url, None).await
}

/// The application with a given base URL and password-hashing bound.
pub async fn spawn_custom(base_url: Option<&str>, hasher: Option<roster_service::PasswordHasher>) -> TestApp {
    spawn_configured(base_url, hasher, |_| {}).await
}

/// An application whose HTTP configuration `configure` changes.
pub async fn spawn_configured(
    base_url: Option<&str>,
    hasher: Option<roster_service::PasswordHasher>,
    configure: impl FnOnce(&mut roster_http::HttpConfig),
) -> TestApp {
    spawn_full(base_url, hasher, configure, sandbox(), None).await
}

/// An application whose mail goes to a real SMTP server (`app.sink`),
/// delivered by a mail worker as `roster serve` runs one.
pub async fn spawn_with_mail() -> TestApp {
    spawn_full(None, None, |_| {}, sandbox(), Some(10_000)).await
}

/// Like [`spawn_with_mail`], an organization sending at most `per_hour` messages an hour.
pub async fn spawn_with_mail_limit(per_hour: i64) -> TestApp {
    spawn_full(None, None, |_| {}, sandbox(), Some(per_hour)).await
}

/// An application that reads uploads under these limits.
pub async fn spawn_sandboxed(limits: roster_service::SandboxConfig) -> TestApp {
    spawn_full(None, None, |_| {}, limits, None).await
}

async fn spawn_full(
    base_url: Option<&str>,
    hasher: Option<roster_service::PasswordHasher>,
    configure: impl FnOnce(&mut roster_http::HttpConfig),
    limits: roster_service::SandboxConfig,
    // With mail to an SMTP sink: organizations' hourly limit.
    with_mail: Option<i64>,
) -> TestApp {
    let db = TestDb::new().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let public_url = base_url.map_or_else(|| format!("http://{addr}"), str::to_owned);
    let sink = if with_mail.is_some() {
        Some(smtp::SmtpSink::start().await)
    } else {
        None
    };
    let mail = roster_service::mail::MailConfig {
        base_url: public_url.clone(),
        delivery: match &sink {
            Some(sink) => {
                roster_service::mail::Delivery::Smtp(roster_service::mail::SmtpTarget::parse(&sink.url()).unwrap())
            }
            None => roster_service::mail::Delivery::Off,
        },
        per_org_per_hour: with_mail.unwrap_or(10_000),
        ..Default::default()
    };
    let mut service = Service::new(db.store().await)
        .with_upload_sandbox(limits)
        .with_mail(mail)
        // The tests' identity providers listen on loopback; a short deadline
        // for the one that drips.
        .with_outbound(roster_service::outbound::OutboundConfig {
            allow_private: true,
            deadline: Duration::from_secs(3),
            // Domain proofs are looked up at the tests' DNS server.
            dns_server: Some(dns::TestDns::shared().addr),
            ..Default::default()
        });
    if let Some(hasher) = hasher {
        service = service.with_password_hasher(hasher);
    }
    // As `roster serve` does: commands run beside it make their links here.
    service.record_served_base_url(&public_url).await.unwrap();
    let mut config = roster_http::HttpConfig::new(public_url);
    configure(&mut config);
    let app = roster_http::app(service.clone(), config).into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let base = format!("http://{addr}");
    let client = reqwest::Client::new();
    for _ in 0..100 {
        if client.get(format!("{base}/healthz")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // A job worker, as `roster serve` runs one.
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let mut worker = roster_service::jobs::Worker::new(service.clone()).with_poll_interval(Duration::from_millis(20));
    roster_service::imports::register_jobs(&mut worker, service.clone());
    roster_service::exports::register_jobs(&mut worker, service.clone());
    tokio::spawn(worker.run(stop_rx.clone()));
    if sink.is_some() {
        let mail = roster_service::mail::MailWorker::new(service.clone()).with_poll_interval(Duration::from_millis(20));
        tokio::spawn(mail.run(stop_rx));
    }
    TestApp {
        sink,
        base,
        client,
        service,
        db,
        worker_stop: stop,
    }
}

impl TestApp {
    /// Stops the application's job worker: jobs then wait until the test
    /// runs them itself.
    pub async fn stop_worker(&self) {
        self.worker_stop.send_replace(true);
        // A poll already under way ends first (it runs at most one job).
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    /// Creates an organization with its owner and an admin API token.
    pub async fn create_org(&self, slug: &str) -> TestOrg {
        self.service
            .create_org(
                NewOrg {
                    name: format!("{slug} GmbH"),
                    slug: slug.into(),
                    owner_email: format!("owner@{slug}.example"),
                    owner_first_name: "Olga".into(),
                    owner_last_name: "Owner".into(),
                    owner_password: PASSWORD.into(),
                },
                "test",
            )
            .await
            .expect("create org");
        let token = self.token(slug, "admin").await;
        let org = TestOrg {
            slug: slug.into(),
            token,
            owner_id: 0,
        };
        let owner = self.get(&org, "/members?role=owner").await.expect(200);
        TestOrg {
            owner_id: owner.body["items"][0]["id"].as_i64().unwrap(),
            ..org
        }
    }

    /// A new API token of `slug` with `role`.
    pub async fn token(&self, slug: &str, role: &str) -> String {
        let actor = self.system(slug).await;
        let can = self.service.authorize(&actor).await.unwrap();
        self.service
            .create_token(can, NewToken::new(format!("{role} token"), role))
            .await
            .expect("token")
            .token
    }

    /// A token that belongs to member `member_id` (made as the member makes
    /// one), with `role`: it acts with at most the member's rights.
    pub async fn member_token(&self, org: &TestOrg, member_id: i64, role: &str) -> String {
        let org_id = self.system(&org.slug).await.org_id;
        let member = self
            .service
            .current_actor(org_id, &roster_service::ActorRef::Member(member_id))
            .await
            .expect("the member acts");
        let can = self.service.authorize(&member).await.expect("the member makes tokens");
        self.service
            .create_token(can, NewToken::new(format!("{role} token of {member_id}"), role))
            .await
            .expect("token")
            .token
    }

    pub async fn system(&self, slug: &str) -> Actor {
        self.service.system_actor(slug).await.unwrap()
    }

    pub async fn call(&self, method: Method, path: &str, token: &str, body: Option<Value>) -> Response {
        let mut req = self
            .client
            .request(method.clone(), format!("{}{path}", self.base))
            .bearer_auth(token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.expect("request");
        let (method, path) = (method, path.to_owned());
        answer(&method, &path, res).await
    }

    /// `path` is relative to the organization: `/members` → `/api/v1/orgs/{slug}/members`.
    pub async fn get(&self, org: &TestOrg, path: &str) -> Response {
        self.call(
            Method::GET,
            &format!("/api/v1/orgs/{}{path}", org.slug),
            &org.token,
            None,
        )
        .await
    }

    /// A file from the organization's API (a report, an export), as the
    /// raw HTTP response: its headers and bytes rather than JSON.
    pub async fn download(&self, org: &TestOrg, path: &str) -> reqwest::Response {
        let path = format!("/api/v1/orgs/{}{path}", org.slug);
        let res = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(&org.token)
            .send()
            .await
            .expect("request");
        let content_type = res
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        // A file's status and media type against the document (its bytes
        // are the caller's to read).
        if content_type
            .as_deref()
            .is_some_and(|c| !c.starts_with("application/json"))
        {
            contract::check(
                &Method::GET,
                &path,
                res.status().as_u16(),
                content_type.as_deref(),
                &Value::Null,
            );
        }
        res
    }

    pub async fn post(&self, org: &TestOrg, path: &str, body: Value) -> Response {
        self.call(
            Method::POST,
            &format!("/api/v1/orgs/{}{path}", org.slug),
            &org.token,
            Some(body),
        )
        .await
    }

    pub async fn patch(&self, org: &TestOrg, path: &str, body: Value) -> Response {
        self.call(
            Method::PATCH,
            &format!("/api/v1/orgs/{}{path}", org.slug),
            &org.token,
            Some(body),
        )
        .await
    }

    pub async fn put(&self, org: &TestOrg, path: &str, body: Value) -> Response {
        self.call(
            Method::PUT,
            &format!("/api/v1/orgs/{}{path}", org.slug),
            &org.token,
            Some(body),
        )
        .await
    }

    pub async fn delete(&self, org: &TestOrg, path: &str) -> Response {
        self.call(
            Method::DELETE,
            &format!("/api/v1/orgs/{}{path}", org.slug),
            &org.token,
            None,
        )
        .await
    }

    pub async fn add_member(&self, org: &TestOrg, first: &str, last: &str, email: &str) -> i64 {
        self.post(
            org,
            "/members",
            json!({"first_name": first, "last_name": last, "email": email}),
        )
        .await
        .expect(201)
        .id()
    }

    /// Adds a custom field of kind number.
    pub async fn add_number_field(&self, org: &TestOrg, key: &str, label: &str) {
        self.post(
            org,
            "/custom-fields",
            json!({"key": key, "label": label, "kind": "number"}),
        )
        .await
        .expect(201);
    }

    /// Puts a member into a status directly: a fixture for states the
    /// invitation flow (a later issue) will reach through the API.
    pub async fn force_status(&self, member_id: i64, status: &str) {
        let mut conn = self.service.store().conn().await.unwrap();
        roster_store::sqlx::query("UPDATE members SET status = $1 WHERE id = $2")
            .bind(status)
            .bind(member_id)
            .execute(conn.raw())
            .await
            .unwrap();
    }

    /// The audit rows of an organization with this action.
    pub async fn audit(&self, org: &TestOrg, action: &str) -> Vec<Value> {
        // Refusals are written in the background: all of them, first.
        self.service.flush_deferred_writes().await;
        let res = self.get(org, &format!("/audit?action={action}")).await.expect(200);
        res.body["items"].as_array().cloned().unwrap_or_default()
    }
}

impl TestApp {
    /// A member of `org` with `role` who can sign in with [`PASSWORD`] (the
    /// invitation issue will create such accounts by acceptance).
    pub async fn member_with_login(&self, org: &TestOrg, first: &str, email: &str, role: &str) -> i64 {
        let id = self
            .post(
                org,
                "/members",
                json!({"first_name": first, "last_name": "Test", "email": email, "role": role}),
            )
            .await
            .expect(201)
            .id();
        self.force_status(id, "active").await;
        let hash = roster_service::hash_password(PASSWORD).unwrap();
        let normalized = email.to_lowercase();
        let mut tx = self.service.store().begin().await.unwrap();
        let account = roster_store::ensure_account(&mut tx, email, &normalized, first, "Test", 0)
            .await
            .unwrap();
        roster_store::set_password_hash(&mut tx, account, &hash).await.unwrap();
        let org_id = self.system(&org.slug).await.org_id;
        roster_store::link_account(&mut tx, org_id, id, account).await.unwrap();
        tx.commit().await.unwrap();
        id
    }
}

impl TestApp {
    /// Uploads a file to the import endpoint.
    pub async fn upload(&self, org: &TestOrg, name: &str, bytes: Vec<u8>) -> Response {
        self.upload_with(org, &format!("file_name={name}"), bytes).await
    }

    /// Uploads a file with the query given (`file_name=…&sheet=…`).
    pub async fn upload_with(&self, org: &TestOrg, query: &str, bytes: Vec<u8>) -> Response {
        let url = format!("{}/api/v1/orgs/{}/imports?{query}", self.base, org.slug);
        let res = self
            .client
            .post(url)
            .bearer_auth(&org.token)
            .body(bytes)
            .send()
            .await
            .expect("upload");
        answer(
            &Method::POST,
            &format!("/api/v1/orgs/{}/imports?{query}", org.slug),
            res,
        )
        .await
    }

    /// Uploads a file and previews it with the default options: the
    /// import's id and the preview.
    pub async fn upload_and_preview(&self, org: &TestOrg, name: &str, bytes: Vec<u8>) -> (i64, Value) {
        let id = self.upload(org, name, bytes).await.expect(201).id();
        let preview = self
            .post(org, &format!("/imports/{id}/preview"), json!({}))
            .await
            .expect(200);
        (id, preview.body)
    }

    /// Signs in to the console with the test password; returns the session cookie.
    pub async fn console_sign_in(&self, email: &str) -> String {
        let res = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .post(format!("{}/login", self.base))
            .form(&[("email", email), ("password", PASSWORD)])
            .send()
            .await
            .expect("sign in");
        session_cookie(&res)
    }

    /// A console page's HTML (`path` from the root), fetched with a session
    /// cookie from `console_sign_in`.
    pub async fn console_html(&self, cookie: &str, path: &str) -> String {
        let res = self
            .client
            .get(format!("{}{path}", self.base))
            .header("cookie", cookie)
            .send()
            .await
            .expect("console page");
        assert_eq!(res.status(), 200, "{path}");
        res.text().await.unwrap()
    }

    /// Posts a console form with the CSRF token of the page it is on.
    pub async fn console_post(
        &self,
        cookie: &str,
        page: &str,
        path: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let csrf = page
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("a form with a CSRF token on the page")
            .to_owned();
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend_from_slice(fields);
        self.client
            .post(format!("{}{path}", self.base))
            .header("cookie", cookie)
            .form(&form)
            .send()
            .await
            .expect("console post")
    }

    /// Starts an export and waits until its job has finished; returns the export.
    pub async fn export_and_wait(&self, org: &TestOrg, request: Value) -> Value {
        let started = self.post(org, "/exports", request).await.expect(202);
        let id = started.body["id"].as_str().unwrap().to_owned();
        for _ in 0..600 {
            let now = self.get(org, &format!("/exports/{id}")).await.expect(200);
            if ["ready", "failed", "expired"].contains(&now.body["status"].as_str().unwrap()) {
                return now.body;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("export {id} did not finish");
    }

    /// A ready export's file.
    pub async fn export_file(&self, org: &TestOrg, id: &str) -> Vec<u8> {
        let res = self.download(org, &format!("/exports/{id}/file")).await;
        assert_eq!(res.status().as_u16(), 200, "export {id}");
        res.bytes().await.unwrap().to_vec()
    }

    /// Applies an import and waits for its job to finish.
    pub async fn apply_import(&self, org: &TestOrg, id: i64, options: Value) -> Value {
        self.post(org, &format!("/imports/{id}/apply"), options)
            .await
            .expect(202);
        for _ in 0..500 {
            let import = self.get(org, &format!("/imports/{id}")).await.expect(200);
            if import.body["status"] != "applying" {
                return import.body;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("import {id} never finished");
    }
}

/// The session cookie ("name=value") that a console sign-in set.
pub fn session_cookie(res: &reqwest::Response) -> String {
    res.headers()
        .get("set-cookie")
        .expect("a session cookie")
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

/// Posts a form from outside the console (no session, no redirects
/// followed): the answer's status, body and the session cookie it set.
pub async fn post_public_form(base: &str, path: &str, fields: &[(&str, &str)]) -> (u16, String, Option<String>) {
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{base}{path}"))
        .form(fields)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let cookie = res
        .headers()
        .get("set-cookie")
        .map(|c| c.to_str().unwrap().split(';').next().unwrap().to_owned());
    (status, res.text().await.unwrap(), cookie)
}

/// A SCIM answer: status, headers and JSON body.
pub struct ScimResponse {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl ScimResponse {
    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(self.status, status, "unexpected SCIM answer: {}", self.body);
        self
    }

    /// The `scimType` of an error answer.
    pub fn scim_type(&self) -> &str {
        self.body["scimType"].as_str().unwrap_or("")
    }

    pub fn id(&self) -> String {
        self.body["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no id in {}", self.body))
            .to_owned()
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
    }

    /// The resources of a ListResponse.
    pub fn resources(&self) -> Vec<Value> {
        self.body["Resources"].as_array().cloned().unwrap_or_default()
    }
}

impl TestApp {
    /// A SCIM token of the organization, made as its owner makes one.
    pub async fn scim_token(&self, org: &TestOrg) -> String {
        let actor = self.system(&org.slug).await;
        self.service
            .create_scim_token(
                self.service.authorize(&actor).await.unwrap(),
                roster_service::scim::NewScimToken::default(),
            )
            .await
            .expect("SCIM token")
            .token
    }

    /// A SCIM request (`path` below `/scim/v2`), as Okta sends them: JSON in
    /// `application/scim+json`. Every answer with a body must be SCIM's
    /// media type and SCIM's JSON; an error must be SCIM's Error message.
    pub async fn scim(&self, method: Method, path: &str, token: &str, body: Option<Value>) -> ScimResponse {
        let mut req = self
            .client
            .request(method, format!("{}/scim/v2{path}", self.base))
            .bearer_auth(token);
        if let Some(body) = body {
            req = req
                .header("content-type", "application/scim+json")
                .body(body.to_string());
        }
        scim_answer(req.send().await.expect("SCIM request")).await
    }

    pub async fn scim_get(&self, path: &str, token: &str) -> ScimResponse {
        self.scim(Method::GET, path, token, None).await
    }

    pub async fn scim_post(&self, path: &str, token: &str, body: Value) -> ScimResponse {
        self.scim(Method::POST, path, token, Some(body)).await
    }

    pub async fn scim_patch(&self, path: &str, token: &str, operations: Value) -> ScimResponse {
        let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": operations});
        self.scim(Method::PATCH, path, token, Some(body)).await
    }

    /// Creates a user with a userName, names and a work e-mail; its id.
    pub async fn scim_user(&self, token: &str, user_name: &str, given: &str, family: &str, email: &str) -> String {
        self.scim_post(
            "/Users",
            token,
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": user_name,
                "name": {"givenName": given, "familyName": family},
                "emails": [{"value": email, "type": "work", "primary": true}],
                "active": true
            }),
        )
        .await
        .expect(201)
        .id()
    }
}

/// Reads a SCIM answer and holds it to RFC 7644's form.
pub async fn scim_answer(res: reqwest::Response) -> ScimResponse {
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let text = res.text().await.unwrap_or_default();
    let body = if text.is_empty() {
        Value::Null
    } else {
        let content_type = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(
            content_type.starts_with("application/scim+json"),
            "a SCIM answer in {content_type:?}: {text}"
        );
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("a SCIM answer that is not JSON ({e}): {text}"))
    };
    if status >= 400 {
        assert_eq!(
            body["schemas"],
            json!(["urn:ietf:params:scim:api:messages:2.0:Error"]),
            "a SCIM error in SCIM's format: {body}"
        );
        assert_eq!(body["status"], json!(status.to_string()), "status as a string: {body}");
    }
    ScimResponse { status, headers, body }
}
