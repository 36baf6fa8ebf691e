//! OpenID providers for the single sign-on tests: the real one (panva's
//! oidc-provider, run with node) and one written here that misbehaves on
//! purpose — keys the tests control, tokens with each defect.

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use serde_json::{json, Value};
use sha2::Digest;

pub const CLIENT_ID: &str = "roster-test";
pub const CLIENT_SECRET: &str = "a-client-secret-of-the-tests-0123456789";
/// A second client of the real provider: another organization's.
pub const SECOND_CLIENT_ID: &str = "roster-test-second";
pub const SECOND_CLIENT_SECRET: &str = "the-second-client-secret-of-the-tests-987";

/// The real provider, on a free port of loopback, with one client whose
/// redirect URI is `redirect_uri`.
pub struct RealProvider {
    child: Child,
    pub issuer: String,
    /// The groups each account is in (`set_groups`), read at each sign-in.
    groups: tempfile::NamedTempFile,
}

impl RealProvider {
    pub async fn start(redirect_uri: &str) -> RealProvider {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
        let out = Command::new(format!("{root}/scripts/ensure-oidc-provider"))
            .output()
            .expect("scripts/ensure-oidc-provider runs");
        assert!(
            out.status.success(),
            "oidc-provider could not be installed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let modules = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        // ES modules resolve packages from where the script is: it goes
        // beside the installed node_modules.
        let script = std::path::Path::new(&modules).join("../roster-test-provider.mjs");
        std::fs::write(&script, include_str!("../oidc/provider.mjs")).unwrap();
        let port = free_port();
        let issuer = format!("http://127.0.0.1:{port}");
        let clients = json!([{
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "redirect_uris": [redirect_uri],
            // Roster's sign-in page, where the provider's logout sends back.
            "post_logout_redirect_uris": [redirect_uri.replace("/sso/callback", "/login")],
        }, {
            "client_id": SECOND_CLIENT_ID,
            "client_secret": SECOND_CLIENT_SECRET,
            "redirect_uris": [redirect_uri],
        }]);
        let groups = tempfile::NamedTempFile::new().unwrap();
        let mut child = Command::new("node")
            .arg(&script)
            .env("OIDC_GROUPS_FILE", groups.path())
            .env("OIDC_PORT", port.to_string())
            .env("OIDC_ISSUER", &issuer)
            .env("OIDC_CLIENTS", clients.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("node runs the provider");
        let client = reqwest::Client::new();
        for _ in 0..200 {
            if client
                .get(format!("{issuer}/.well-known/openid-configuration"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return RealProvider { child, issuer, groups };
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("oidc-provider did not come up at {issuer}");
    }
}

impl RealProvider {
    /// The groups the provider says `email` is in from now on.
    pub fn set_groups(&self, email: &str, groups: &[&str]) {
        let mut all: serde_json::Map<String, Value> =
            serde_json::from_str(&std::fs::read_to_string(self.groups.path()).unwrap_or_default()).unwrap_or_default();
        all.insert(email.to_owned(), json!(groups));
        std::fs::write(self.groups.path(), Value::Object(all).to_string()).unwrap();
    }
}

impl Drop for RealProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A browser without a browser: follows redirects by hand and keeps each
/// host's cookies.
#[derive(Default)]
pub struct Browser {
    cookies: HashMap<String, HashMap<String, String>>,
}

impl Browser {
    fn host_of(url: &str) -> String {
        let parsed = url::Url::parse(url).unwrap();
        format!(
            "{}:{}",
            parsed.host_str().unwrap(),
            parsed.port_or_known_default().unwrap()
        )
    }

    fn remember(&mut self, url: &str, res: &reqwest::Response) {
        let jar = self.cookies.entry(Self::host_of(url)).or_default();
        for value in res.headers().get_all("set-cookie") {
            let raw = value.to_str().unwrap();
            let pair = raw.split(';').next().unwrap();
            if let Some((name, value)) = pair.split_once('=') {
                if value.is_empty()
                    || raw.contains("Max-Age=0")
                    || raw.to_lowercase().contains("expires=thu, 01 jan 1970")
                {
                    jar.remove(name);
                } else {
                    jar.insert(name.to_owned(), value.to_owned());
                }
            }
        }
    }

    fn cookie_header(&self, url: &str) -> String {
        self.cookies
            .get(&Self::host_of(url))
            .map(|jar| {
                jar.iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default()
    }

    pub fn cookie(&self, url: &str, name: &str) -> Option<String> {
        self.cookies.get(&Self::host_of(url))?.get(name).cloned()
    }

    fn client() -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    pub async fn get(&mut self, url: &str) -> reqwest::Response {
        let res = Self::client()
            .get(url)
            .header("cookie", self.cookie_header(url))
            .send()
            .await
            .unwrap();
        self.remember(url, &res);
        res
    }

    pub async fn post_form(&mut self, url: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let res = Self::client()
            .post(url)
            .header("cookie", self.cookie_header(url))
            .form(form)
            .send()
            .await
            .unwrap();
        self.remember(url, &res);
        res
    }

    /// Follows redirects from `url` until an answer that is not one, or
    /// until the next hop starts with `stop_at` (returned unvisited).
    pub async fn follow(&mut self, url: &str, stop_at: Option<&str>) -> (String, reqwest::Response) {
        let mut url = url.to_owned();
        for _ in 0..20 {
            let res = self.get(&url).await;
            if !res.status().is_redirection() {
                return (url, res);
            }
            let location = res.headers()["location"].to_str().unwrap().to_owned();
            let next = url::Url::parse(&url).unwrap().join(&location).unwrap().to_string();
            if stop_at.is_some_and(|p| next.starts_with(p)) {
                return (next, res);
            }
            url = next;
        }
        panic!("too many redirects from {url}");
    }

    /// Signs in at the real provider's login form as `login` and follows
    /// on to Roster's callback (visited): its answer.
    pub async fn sign_in_at_provider(&mut self, start: &str, login: &str, callback_prefix: &str) -> reqwest::Response {
        let (form_url, page) = self.follow(start, None).await;
        assert_eq!(page.status(), 200, "the provider's login form at {form_url}");
        let res = self
            .post_form(&form_url, &[("prompt", "login"), ("login", login), ("password", "any")])
            .await;
        assert!(
            res.status().is_redirection(),
            "the login form answered {}",
            res.status()
        );
        let next = url::Url::parse(&form_url)
            .unwrap()
            .join(res.headers()["location"].to_str().unwrap())
            .unwrap()
            .to_string();
        let (callback, _) = self.follow(&next, Some(callback_prefix)).await;
        self.get(&callback).await
    }
}

/// What the misbehaving provider does wrong (one thing at a time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Defect {
    Nothing,
    AlgNone,
    HmacWithClientSecret,
    HmacWithPublicKey,
    SignedWithUnpublishedKey,
    WrongIssuer,
    WrongAudience,
    UntrustedSecondAudience,
    Expired,
    IssuedInTheFuture,
    IssuedLongAgo,
    WrongNonce,
    NoNonce,
    WrongAtHash,
    UserinfoNamesAnotherSubject,
    /// The redirect back names another issuer (RFC 9207 mix-up).
    WrongIssInRedirect,
    NoIssInRedirect,
    /// The keys rotate: tokens are signed with a new key that the key set
    /// publishes only from now on.
    RotatedKey,
    TokenEndpointRedirects,
    TokenEndpointDrips,
    TokenEndpointHuge,
    TokenEndpointNonsense,
}

#[derive(Debug, Clone)]
pub struct Person {
    pub subject: String,
    pub email: String,
    pub email_verified: Option<bool>,
}

#[derive(Clone)]
struct Hostile {
    issuer: String,
    defect: Arc<Mutex<Defect>>,
    person: Arc<Mutex<Person>>,
    /// code → (nonce, code_challenge)
    codes: Arc<Mutex<HashMap<String, Authorization>>>,
    rotated: Arc<Mutex<bool>>,
    advertised_algs: Vec<&'static str>,
}

/// What an authorization request asked for: its nonce and PKCE challenge.
type Authorization = (Option<String>, String);

/// The misbehaving provider.
pub struct HostileProvider {
    pub issuer: String,
    state: Hostile,
}

fn key(n: u8) -> rsa::RsaPrivateKey {
    let pem = match n {
        1 => include_str!("../fixtures/oidc-key-1.pem"),
        _ => include_str!("../fixtures/oidc-key-2.pem"),
    };
    rsa::RsaPrivateKey::from_pkcs1_pem(pem).unwrap()
}

fn jwk(n: u8) -> Value {
    let public = key(n).to_public_key();
    json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": format!("key-{n}"),
           "n": B64.encode(public.n().to_bytes_be()), "e": B64.encode(public.e().to_bytes_be())})
}

fn sign_rs256(n: u8, kid: &str, claims: &Value) -> String {
    let header = B64.encode(json!({"alg": "RS256", "typ": "JWT", "kid": kid}).to_string());
    let payload = B64.encode(claims.to_string());
    let input = format!("{header}.{payload}");
    let signing = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(key(n));
    use rsa::signature::{SignatureEncoding, Signer};
    let signature = signing.sign(input.as_bytes());
    format!("{input}.{}", B64.encode(signature.to_bytes()))
}

fn sign_hs256(secret: &[u8], claims: &Value) -> String {
    use hmac::Mac;
    let header = B64.encode(json!({"alg": "HS256", "typ": "JWT", "kid": "key-1"}).to_string());
    let payload = B64.encode(claims.to_string());
    let input = format!("{header}.{payload}");
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret).unwrap();
    mac.update(input.as_bytes());
    format!("{input}.{}", B64.encode(mac.finalize().into_bytes()))
}

fn at_hash(access_token: &str) -> String {
    let digest = sha2::Sha256::digest(access_token.as_bytes());
    B64.encode(&digest[..16])
}

impl HostileProvider {
    /// Starts it; it advertises RS256 and also HS256, as some do.
    pub async fn start() -> HostileProvider {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        let state = Hostile {
            issuer: issuer.clone(),
            defect: Arc::new(Mutex::new(Defect::Nothing)),
            person: Arc::new(Mutex::new(Person {
                subject: "sub-ann".into(),
                email: "ann@acme.example".into(),
                email_verified: Some(true),
            })),
            codes: Arc::default(),
            rotated: Arc::default(),
            advertised_algs: vec!["RS256", "HS256", "none"],
        };
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .route("/userinfo", get(userinfo))
            .with_state(state.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        HostileProvider { issuer, state }
    }

    pub fn misbehave(&self, defect: Defect) {
        *self.state.defect.lock().unwrap() = defect;
    }

    pub fn vouch_for(&self, person: Person) {
        *self.state.person.lock().unwrap() = person;
    }
}

async fn discovery(State(s): State<Hostile>) -> Json<Value> {
    let i = &s.issuer;
    Json(json!({
        "issuer": i,
        "authorization_endpoint": format!("{i}/authorize"),
        "token_endpoint": format!("{i}/token"),
        "userinfo_endpoint": format!("{i}/userinfo"),
        "jwks_uri": format!("{i}/jwks"),
        "id_token_signing_alg_values_supported": s.advertised_algs,
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "authorization_response_iss_parameter_supported": true,
    }))
}

async fn jwks(State(s): State<Hostile>) -> Json<Value> {
    let rotated = *s.rotated.lock().unwrap();
    Json(json!({"keys": if rotated { vec![jwk(2)] } else { vec![jwk(1)] }}))
}

async fn authorize(State(s): State<Hostile>, Query(q): Query<HashMap<String, String>>) -> Response {
    let code = format!("code-{}", rand_hex());
    s.codes.lock().unwrap().insert(
        code.clone(),
        (
            q.get("nonce").cloned(),
            q.get("code_challenge").cloned().unwrap_or_default(),
        ),
    );
    let defect = *s.defect.lock().unwrap();
    if defect == Defect::RotatedKey {
        *s.rotated.lock().unwrap() = true;
    }
    let mut back = url::Url::parse(&q["redirect_uri"]).unwrap();
    back.query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", q.get("state").map_or("", String::as_str));
    match defect {
        Defect::WrongIssInRedirect => {
            back.query_pairs_mut().append_pair("iss", "https://evil.example");
        }
        Defect::NoIssInRedirect => {}
        _ => {
            back.query_pairs_mut().append_pair("iss", &s.issuer);
        }
    }
    Redirect::to(back.as_str()).into_response()
}

fn rand_hex() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 12];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn token(State(s): State<Hostile>, headers: HeaderMap, body: String) -> Response {
    let form: HashMap<String, String> = url::form_urlencoded::parse(body.as_bytes()).into_owned().collect();
    let expected_basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
    );
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected_basic.as_str()) {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": "invalid_client"}))).into_response();
    }
    let Some((nonce, challenge)) = form.get("code").and_then(|c| s.codes.lock().unwrap().remove(c)) else {
        return (StatusCode::BAD_REQUEST, Json(json!({"error": "invalid_grant"}))).into_response();
    };
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    if B64.encode(sha2::Sha256::digest(verifier.as_bytes())) != challenge {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_grant", "error_description": "PKCE"})),
        )
            .into_response();
    }
    let defect = *s.defect.lock().unwrap();
    match defect {
        Defect::TokenEndpointRedirects => return Redirect::temporary("http://127.0.0.1:9/elsewhere").into_response(),
        Defect::TokenEndpointHuge => return (StatusCode::OK, "x".repeat(3 << 20)).into_response(),
        Defect::TokenEndpointNonsense => return (StatusCode::OK, "<html>not json</html>").into_response(),
        Defect::TokenEndpointDrips => {
            let stream = async_stream_drip();
            return Response::builder()
                .header("content-type", "application/json")
                .body(axum::body::Body::from_stream(stream))
                .unwrap();
        }
        _ => {}
    }
    let person = s.person.lock().unwrap().clone();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let access_token = format!("at-{}", rand_hex());
    let mut claims = json!({
        "iss": s.issuer, "sub": person.subject, "aud": CLIENT_ID,
        "exp": now + 300, "iat": now, "nonce": nonce,
        "email": person.email, "given_name": "Ann", "family_name": "Acme",
        "at_hash": at_hash(&access_token),
    });
    if let Some(verified) = person.email_verified {
        claims["email_verified"] = json!(verified);
    }
    match defect {
        Defect::WrongIssuer => claims["iss"] = json!("https://evil.example"),
        Defect::WrongAudience => claims["aud"] = json!("another-client"),
        Defect::UntrustedSecondAudience => claims["aud"] = json!([CLIENT_ID, "another-client"]),
        Defect::Expired => claims["exp"] = json!(now - 3600),
        Defect::IssuedInTheFuture => {
            claims["iat"] = json!(now + 3600);
            claims["exp"] = json!(now + 3900);
        }
        Defect::IssuedLongAgo => claims["iat"] = json!(now - 7200),
        Defect::WrongNonce => claims["nonce"] = json!("not-the-nonce"),
        Defect::NoNonce => {
            claims.as_object_mut().unwrap().remove("nonce");
        }
        Defect::WrongAtHash => claims["at_hash"] = json!(at_hash("another token")),
        _ => {}
    }
    let id_token = match defect {
        Defect::AlgNone => format!(
            "{}.{}.",
            B64.encode(json!({"alg": "none"}).to_string()),
            B64.encode(claims.to_string())
        ),
        Defect::HmacWithClientSecret => sign_hs256(CLIENT_SECRET.as_bytes(), &claims),
        Defect::HmacWithPublicKey => sign_hs256(jwk(1).to_string().as_bytes(), &claims),
        Defect::SignedWithUnpublishedKey => sign_rs256(2, "key-1", &claims),
        Defect::RotatedKey => sign_rs256(2, "key-2", &claims),
        _ => sign_rs256(1, "key-1", &claims),
    };
    Json(json!({"access_token": access_token, "token_type": "Bearer", "expires_in": 300, "id_token": id_token}))
        .into_response()
}

/// A body that comes a byte every half second.
fn async_stream_drip() -> impl futures_util::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    futures_util::stream::unfold(0u32, |n| async move {
        if n > 200 {
            return None;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        Some((Ok(b" ".to_vec()), n + 1))
    })
}

async fn userinfo(State(s): State<Hostile>) -> Json<Value> {
    let person = s.person.lock().unwrap().clone();
    let subject = if *s.defect.lock().unwrap() == Defect::UserinfoNamesAnotherSubject {
        "somebody-else".to_owned()
    } else {
        person.subject
    };
    Json(json!({"sub": subject, "email": person.email}))
}
