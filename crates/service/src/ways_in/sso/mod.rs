//! Single sign-on with the organization's OpenID provider: the
//! authorization code flow with PKCE (S256), `state` bound to the browser
//! by a cookie and used once, `nonce` checked. `provider.rs` talks to the
//! provider (discovery, keys, token and userinfo endpoints, through
//! `outbound`), `verify.rs` checks ID tokens, `link.rs` decides who the
//! person is in the organization. The identity core — (issuer, subject)
//! linked to a member, domains proven by the organization — knows nothing
//! of OpenID Connect, so that SAML can join it.

mod domains;
mod groups;
mod link;
mod provider;
mod required;
mod verify;

use roster_domain::now_millis;
use roster_store::{SsoConnectionRecord, SsoFlowRecord};
use serde::Serialize;
use serde_json::json;

pub use domains::{challenge_name, normalize_domain, SsoDomainView};
pub use groups::{GroupGrant, SsoGroupRuleView};
pub use provider::{Discovery, ProviderError};
pub use required::provider_name;
pub use verify::TokenDefect;

use crate::orgs::audit::record as audit;
use crate::{new_secret, sha256_hex, Can, ManageOrg, RequestContext, Service, ServiceError, ServiceResult, SignedIn};

/// How long a sign-in may take at the provider.
const FLOW_LIFETIME_MS: i64 = 10 * 60_000;

/// What an admin sets (the console's form, `roster sso set`).
#[derive(Debug, Clone)]
pub struct SsoSettings {
    pub issuer: String,
    pub client_id: String,
    /// `None` keeps the secret already stored.
    pub client_secret: Option<String>,
    pub scopes: Vec<String>,
    pub email_claim: String,
    pub first_name_claim: String,
    pub last_name_claim: String,
    pub groups_claim: String,
    pub jit: bool,
    pub required: bool,
}

impl SsoSettings {
    /// The usual claims and scopes, for the issuer and client given.
    pub fn new(issuer: &str, client_id: &str, client_secret: Option<String>) -> Self {
        Self {
            issuer: issuer.trim().trim_end_matches('/').to_owned(),
            client_id: client_id.trim().to_owned(),
            client_secret,
            scopes: vec!["openid".into(), "email".into(), "profile".into()],
            email_claim: "email".into(),
            first_name_claim: "given_name".into(),
            last_name_claim: "family_name".into(),
            groups_claim: "groups".into(),
            jit: false,
            required: false,
        }
    }
}

/// The provider as its discovery document describes it.
#[derive(Debug, Clone, Serialize)]
pub struct ProviderView {
    /// As people know it: "Microsoft Entra ID", "Okta", "Keycloak", or the
    /// issuer's host.
    pub name: String,
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub userinfo_endpoint: Option<String>,
    pub end_session_endpoint: Option<String>,
    /// The signature algorithms accepted for ID tokens (pinned).
    pub algorithms: Vec<String>,
    /// `client_secret_basic` or `client_secret_post`.
    pub client_authentication: String,
}

/// An organization's connection, as shown (the secret masked).
#[derive(Debug, Clone, Serialize)]
pub struct SsoConnectionView {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    pub scopes: Vec<String>,
    pub email_claim: String,
    pub first_name_claim: String,
    pub last_name_claim: String,
    pub groups_claim: String,
    pub jit: bool,
    pub required: bool,
    /// What to register at the provider.
    pub redirect_uri: String,
    /// The post-logout redirect URI to register (when the provider offers
    /// logout).
    pub post_logout_redirect_uri: String,
    pub provider: ProviderView,
    pub tested_at: Option<crate::Timestamp>,
}

/// A provider's documents as fetched: parsed, and raw to keep.
struct FetchedProvider {
    discovery: Discovery,
    discovery_raw: String,
    /// How many signing keys it publishes.
    keys: usize,
    jwks_raw: String,
}

/// A provider that answered.
#[derive(Debug, Clone, Serialize)]
pub struct ProviderCheck {
    pub issuer: String,
    /// How many signing keys it publishes.
    pub keys: usize,
}

/// Why a flow is started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SsoPurpose {
    SignIn,
    /// An admin's test of the connection: the whole flow, nothing changed
    /// but the connection's "tested" time.
    Test,
}

impl SsoPurpose {
    fn as_str(self) -> &'static str {
        match self {
            SsoPurpose::SignIn => "sign_in",
            SsoPurpose::Test => "test",
        }
    }
}

/// A flow started: where to send the browser, and the value of the cookie
/// that binds the flow to it.
#[derive(Debug)]
pub struct SsoStart {
    pub redirect_to: String,
    pub browser_token: String,
}

/// What the provider sent back to `/sso/callback`.
#[derive(Debug, Default, Clone)]
pub struct SsoCallback {
    pub state: Option<String>,
    pub code: Option<String>,
    /// RFC 9207's `iss`.
    pub iss: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// How a flow ended well.
#[derive(Debug)]
pub enum SsoFinished {
    SignedIn {
        session: SignedIn,
        org_slug: String,
    },
    /// The admin's test went through: who the provider said they are.
    Tested {
        org_slug: String,
        subject: String,
        email: Option<String>,
    },
}

/// Why a sign-in through the provider was refused: each has a page and an
/// audit row.
#[derive(Debug, thiserror::Error)]
pub enum SsoRefusal {
    #[error("this sign-in is unknown, was used already or took too long; start again")]
    UnknownFlow,
    #[error("this sign-in was started in another browser; start again here")]
    WrongBrowser,
    #[error("the organization has no identity provider connected")]
    NotConnected,
    #[error("the identity provider refused: {0}")]
    ProviderSaidNo(String),
    #[error("the answer names another identity provider ({0}) than this organization's")]
    IssuerMismatch(String),
    #[error("the identity provider could not be used: {0}")]
    Provider(#[from] ProviderError),
    #[error("{0}")]
    Token(#[from] TokenDefect),
    #[error("the identity provider's userinfo names another person than its ID token")]
    SubjectMismatch,
    #[error("{0}")]
    NotLinked(link::NotLinked),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

// Failures of the store and the domain on the way are the service's.
macro_rules! through_service_error {
    ($($from:ty),*) => {$(
        impl From<$from> for SsoRefusal {
            fn from(error: $from) -> Self {
                SsoRefusal::Service(error.into())
            }
        }
    )*};
}
through_service_error!(
    roster_store::StoreError,
    roster_domain::InvalidInput,
    roster_domain::TransitionError
);

impl SsoRefusal {
    /// The reason in the audit row.
    pub fn reason(&self) -> String {
        match self {
            SsoRefusal::UnknownFlow => "state".into(),
            SsoRefusal::WrongBrowser => "browser".into(),
            SsoRefusal::NotConnected => "not_connected".into(),
            SsoRefusal::ProviderSaidNo(_) => "provider_error".into(),
            SsoRefusal::IssuerMismatch(_) => "iss".into(),
            SsoRefusal::Provider(_) => "provider".into(),
            SsoRefusal::Token(defect) => format!("id_token: {defect}"),
            SsoRefusal::SubjectMismatch => "userinfo_sub".into(),
            SsoRefusal::NotLinked(why) => why.reason().into(),
            SsoRefusal::Service(_) => "error".into(),
        }
    }
}

fn view(record: &SsoConnectionRecord, discovery: &Discovery, base_url: &str) -> SsoConnectionView {
    SsoConnectionView {
        issuer: record.issuer.clone(),
        client_id: record.client_id.clone(),
        client_secret: roster_domain::Secret::new(record.client_secret.clone()).masked(),
        scopes: record.scopes.split(' ').map(str::to_owned).collect(),
        email_claim: record.email_claim.clone(),
        first_name_claim: record.first_name_claim.clone(),
        last_name_claim: record.last_name_claim.clone(),
        groups_claim: record.groups_claim.clone(),
        jit: record.jit,
        required: record.required,
        redirect_uri: redirect_uri(base_url),
        post_logout_redirect_uri: post_logout_redirect_uri(base_url),
        provider: ProviderView {
            name: provider_name(&discovery.issuer),
            issuer: discovery.issuer.clone(),
            authorization_endpoint: discovery.authorization_endpoint.clone(),
            token_endpoint: discovery.token_endpoint.clone(),
            userinfo_endpoint: discovery.userinfo_endpoint.clone(),
            end_session_endpoint: discovery.end_session_endpoint.clone(),
            algorithms: discovery
                .pinned_algorithms()
                .iter()
                .filter_map(|a| serde_json::to_value(a).ok()?.as_str().map(str::to_owned))
                .collect(),
            client_authentication: if discovery.secret_in_header() {
                "client_secret_basic".into()
            } else {
                "client_secret_post".into()
            },
        },
        tested_at: record.tested_at.map(crate::Timestamp::from_millis),
    }
}

/// `/sso/{slug}?login_hint=…`: where a person with this address starts
/// signing in through the organization's provider.
pub fn start_path(slug: &str, login_hint: &str) -> String {
    let start = format!("/sso/{slug}?");
    url::form_urlencoded::Serializer::for_suffix(start.clone(), start.len())
        .append_pair("login_hint", login_hint.trim())
        .finish()
}

/// `{base_url}/login`: where the provider sends the person after its
/// logout (register it at the provider as the post-logout redirect URI).
pub fn post_logout_redirect_uri(base_url: &str) -> String {
    format!("{}/login", base_url.trim_end_matches('/'))
}

/// `{base_url}/sso/callback`: the one redirect URI to register.
pub fn redirect_uri(base_url: &str) -> String {
    format!("{}/sso/callback", base_url.trim_end_matches('/'))
}

fn stored_discovery(record: &SsoConnectionRecord) -> ServiceResult<Discovery> {
    serde_json::from_str(&record.discovery)
        .map_err(|e| ServiceError::Internal(format!("the stored discovery document does not read: {e}").into()))
}

/// A refused setting: a domain's own code, the provider's for the rest.
fn invalid(field: &str, message: impl Into<String>) -> ServiceError {
    let code = if field == "domain" {
        "invalid_domain"
    } else {
        "invalid_identity_provider"
    };
    ServiceError::Invalid(roster_domain::InvalidInput::new(field, code, message.into()))
}

impl Service {
    /// The base URL every link starts with (the mail configuration's).
    fn links_base(&self) -> &str {
        &self.mail_config().base_url
    }

    /// Connects (or reconnects) the organization's identity provider: its
    /// discovery document and keys are fetched and checked first; nothing
    /// is stored if they do not pass.
    pub async fn set_sso(&self, can: Can<'_, ManageOrg>, settings: SsoSettings) -> ServiceResult<SsoConnectionView> {
        let actor = can.actor();
        let issuer = settings.issuer.trim().trim_end_matches('/').to_owned();
        let issuer_url = url::Url::parse(&issuer).map_err(|e| invalid("issuer", format!("not a URL: {e}")))?;
        if issuer_url.query().is_some() || issuer_url.fragment().is_some() {
            return Err(invalid("issuer", "an issuer URL has no query or fragment"));
        }
        let microsoft = issuer_url.host_str().is_some_and(|h| {
            h.ends_with("microsoftonline.com") || h.ends_with("microsoftonline.us") || h.ends_with("windows.net")
        });
        let tenant = issuer_url
            .path_segments()
            .and_then(|mut s| s.next())
            .unwrap_or_default();
        if microsoft && matches!(tenant, "common" | "organizations" | "consumers") {
            return Err(invalid(
                "issuer",
                "Entra ID's multi-tenant issuers (/common, /organizations, /consumers) are not one issuer: use your tenant's, https://login.microsoftonline.com/TENANT-ID/v2.0",
            ));
        }
        if settings.client_id.trim().is_empty() {
            return Err(invalid("client_id", "is required"));
        }
        for (field, value) in [
            ("email_claim", &settings.email_claim),
            ("first_name_claim", &settings.first_name_claim),
            ("last_name_claim", &settings.last_name_claim),
            ("groups_claim", &settings.groups_claim),
        ] {
            if value.trim().is_empty() || value.len() > 100 {
                return Err(invalid(field, "a claim's name, at most 100 characters"));
            }
        }
        let mut conn = self.store().conn().await?;
        let existing = roster_store::sso_connection(&mut conn, actor.org_id).await?;
        drop(conn);
        let secret = match (settings.client_secret.filter(|s| !s.is_empty()), &existing) {
            (Some(secret), _) => secret,
            (None, Some(existing)) => existing.client_secret.clone(),
            (None, None) => return Err(invalid("client_secret", "is required")),
        };
        let fetched = self.fetch_provider(&issuer).await?;
        let (discovery, discovery_raw, jwks_raw) = (fetched.discovery, fetched.discovery_raw, fetched.jwks_raw);
        let mut scopes: Vec<String> = vec!["openid".into()];
        for scope in settings.scopes.iter().flat_map(|s| s.split([' ', ','])) {
            let scope = scope.trim();
            if !scope.is_empty() && !scopes.iter().any(|s| s == scope) {
                if !scope.chars().all(|c| c.is_ascii_graphic() && c != '"' && c != '\\') {
                    return Err(invalid("scopes", format!("{scope:?} is not a scope")));
                }
                scopes.push(scope.to_owned());
            }
        }
        let now = now_millis();
        let record = SsoConnectionRecord {
            org_id: actor.org_id,
            issuer: issuer.clone(),
            client_id: settings.client_id.trim().to_owned(),
            client_secret: secret,
            scopes: scopes.join(" "),
            email_claim: settings.email_claim.trim().to_owned(),
            first_name_claim: settings.first_name_claim.trim().to_owned(),
            last_name_claim: settings.last_name_claim.trim().to_owned(),
            groups_claim: settings.groups_claim.trim().to_owned(),
            jit: settings.jit,
            required: settings.required,
            discovery: discovery_raw,
            jwks: jwks_raw,
            jwks_fetched_at: now,
            // A changed issuer or client is not the connection that was tested.
            tested_at: existing
                .as_ref()
                .filter(|e| e.issuer == issuer && e.client_id == settings.client_id.trim())
                .and_then(|e| e.tested_at),
            created_at: existing.as_ref().map_or(now, |e| e.created_at),
            updated_at: now,
        };
        let mut tx = self.store().begin().await?;
        roster_store::put_sso_connection(&mut tx, &record).await?;
        audit(
            &mut tx,
            actor,
            "sso.connect",
            "organization",
            actor.org_id,
            json!({"issuer": issuer, "client_id": record.client_id, "jit": record.jit, "required": record.required}),
        )
        .await?;
        tx.commit().await?;
        Ok(view(&record, &discovery, self.links_base()))
    }

    /// The organization's connection, if any.
    pub async fn sso_connection(&self, can: Can<'_, ManageOrg>) -> ServiceResult<Option<SsoConnectionView>> {
        let mut conn = self.store().conn().await?;
        let Some(record) = roster_store::sso_connection(&mut conn, can.actor().org_id).await? else {
            return Ok(None);
        };
        let discovery = stored_discovery(&record)?;
        Ok(Some(view(&record, &discovery, self.links_base())))
    }

    /// Checks that the connected provider answers: its discovery document
    /// and keys are fetched again (and kept).
    pub async fn check_sso(&self, can: Can<'_, ManageOrg>) -> ServiceResult<ProviderCheck> {
        let mut conn = self.store().conn().await?;
        let record = roster_store::sso_connection(&mut conn, can.actor().org_id)
            .await?
            .ok_or(ServiceError::NotFound("identity provider"))?;
        drop(conn);
        let fetched = self.fetch_provider(&record.issuer).await?;
        let mut tx = self.store().begin().await?;
        roster_store::set_sso_jwks(&mut tx, record.org_id, &fetched.jwks_raw, now_millis()).await?;
        tx.commit().await?;
        Ok(ProviderCheck {
            issuer: fetched.discovery.issuer,
            keys: fetched.keys,
        })
    }

    /// The provider's discovery document and keys, fetched and checked;
    /// what is wrong with them is the issuer field's complaint.
    async fn fetch_provider(&self, issuer: &str) -> ServiceResult<FetchedProvider> {
        let complaint = |e: ProviderError| invalid("issuer", e.to_string());
        let (discovery, discovery_raw) = provider::discover(self.outbound(), issuer).await.map_err(complaint)?;
        let (keys, jwks_raw) = provider::fetch_keys(self.outbound(), &discovery)
            .await
            .map_err(complaint)?;
        Ok(FetchedProvider {
            discovery,
            discovery_raw,
            keys: keys.keys().len(),
            jwks_raw,
        })
    }

    /// Disconnects the provider. Linked identities stay (connecting the same
    /// provider again finds them); members sign in with passwords again.
    pub async fn remove_sso(&self, can: Can<'_, ManageOrg>) -> ServiceResult<bool> {
        let actor = can.actor();
        let mut tx = self.store().begin().await?;
        let removed = roster_store::delete_sso_connection(&mut tx, actor.org_id).await?;
        if removed {
            audit(
                &mut tx,
                actor,
                "sso.disconnect",
                "organization",
                actor.org_id,
                json!({}),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(removed)
    }

    /// Starts a flow for the organization `slug`: a state, a nonce and a
    /// PKCE verifier kept for the callback, and the provider's address to
    /// send the browser to.
    pub async fn start_sso(
        &self,
        slug: &str,
        purpose: SsoPurpose,
        login_hint: Option<&str>,
    ) -> Result<SsoStart, SsoRefusal> {
        let mut conn = self.store().conn().await.map_err(ServiceError::from)?;
        let org = roster_store::org_by_slug(&mut conn, slug)
            .await
            .map_err(ServiceError::from)?
            .ok_or(SsoRefusal::NotConnected)?;
        let record = roster_store::sso_connection(&mut conn, org.id)
            .await
            .map_err(ServiceError::from)?
            .ok_or(SsoRefusal::NotConnected)?;
        drop(conn);
        let discovery = stored_discovery(&record)?;
        let state = new_secret("");
        let nonce = new_secret("");
        let verifier = new_secret("");
        let browser_token = new_secret("");
        let challenge = {
            use sha2::Digest;
            let digest = sha2::Sha256::digest(verifier.as_bytes());
            base64_url(&digest)
        };
        let now = now_millis();
        let mut tx = self.store().begin().await?;
        roster_store::insert_sso_flow(
            &mut tx,
            &SsoFlowRecord {
                state_hash: sha256_hex(&state),
                org_id: org.id,
                browser_hash: sha256_hex(&browser_token),
                nonce: nonce.clone(),
                pkce_verifier: verifier,
                purpose: purpose.as_str().into(),
                created_at: now,
                expires_at: now + FLOW_LIFETIME_MS,
                used_at: None,
            },
        )
        .await?;
        tx.commit().await?;
        let mut url = url::Url::parse(&discovery.authorization_endpoint).map_err(|e| ProviderError::Invalid {
            what: "authorization_endpoint",
            why: e.to_string(),
        })?;
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &record.client_id)
            .append_pair("redirect_uri", &redirect_uri(self.links_base()))
            .append_pair("scope", &record.scopes)
            .append_pair("state", &state)
            .append_pair("nonce", &nonce)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256");
        if let Some(hint) = login_hint.map(str::trim).filter(|h| !h.is_empty() && h.len() <= 320) {
            // The address typed at Roster's sign-in, so it is not asked twice.
            url.query_pairs_mut().append_pair("login_hint", hint);
        }
        if purpose == SsoPurpose::Test {
            // The admin proves the whole flow, not a session they still have.
            url.query_pairs_mut().append_pair("prompt", "login");
        }
        Ok(SsoStart {
            redirect_to: url.into(),
            browser_token,
        })
    }

    /// Ends a flow at `/sso/callback`. Every refusal is audited with its
    /// reason and the client address; nothing is created on a refusal.
    pub async fn finish_sso(
        &self,
        callback: SsoCallback,
        browser_token: Option<&str>,
        context: &RequestContext,
    ) -> Result<SsoFinished, SsoRefusal> {
        let mut org_id = None;
        let result = self
            .finish_sso_inner(callback, browser_token, context, &mut org_id)
            .await;
        if let Err(refusal) = &result {
            self.audit_sso_refusal(org_id, refusal, context).await;
        }
        result
    }

    async fn finish_sso_inner(
        &self,
        callback: SsoCallback,
        browser_token: Option<&str>,
        context: &RequestContext,
        org_id: &mut Option<i64>,
    ) -> Result<SsoFinished, SsoRefusal> {
        let now = now_millis();
        let state = callback.state.as_deref().ok_or(SsoRefusal::UnknownFlow)?;
        let mut tx = self.store().begin().await?;
        let flow = roster_store::take_sso_flow(&mut tx, &sha256_hex(state), now).await?;
        tx.commit().await?;
        let flow = flow.ok_or(SsoRefusal::UnknownFlow)?;
        *org_id = Some(flow.org_id);
        if flow.used_at.is_some() || flow.expires_at <= now {
            return Err(SsoRefusal::UnknownFlow);
        }
        let bound = browser_token.is_some_and(|t| sha256_hex(t) == flow.browser_hash);
        if !bound {
            return Err(SsoRefusal::WrongBrowser);
        }
        let mut conn = self.store().conn().await?;
        let record = roster_store::sso_connection(&mut conn, flow.org_id)
            .await?
            .ok_or(SsoRefusal::NotConnected)?;
        let org = roster_store::org_by_id(&mut conn, flow.org_id)
            .await?
            .ok_or(SsoRefusal::NotConnected)?;
        drop(conn);
        let discovery = stored_discovery(&record)?;
        // RFC 9207: a provider that says it sends `iss` must send its own.
        match callback.iss.as_deref() {
            Some(iss) if iss != record.issuer => {
                return Err(SsoRefusal::IssuerMismatch(iss.chars().take(200).collect()))
            }
            None if discovery.authorization_response_iss_parameter_supported => {
                return Err(SsoRefusal::IssuerMismatch("none".into()))
            }
            _ => {}
        }
        if let Some(error) = callback.error {
            let description = callback.error_description.unwrap_or_default();
            return Err(SsoRefusal::ProviderSaidNo(
                format!("{error} {description}").trim().chars().take(300).collect(),
            ));
        }
        let code = callback.code.as_deref().ok_or(SsoRefusal::UnknownFlow)?;
        let tokens = provider::exchange_code(
            self.outbound(),
            &discovery,
            &record.client_id,
            &record.client_secret,
            code,
            &redirect_uri(self.links_base()),
            &flow.pkce_verifier,
        )
        .await?;
        let id_token = tokens.id_token.as_deref().ok_or(ProviderError::Invalid {
            what: "the token endpoint",
            why: "it sent no id_token".into(),
        })?;
        let verified = self
            .verify_id_token(&record, &discovery, id_token, &flow.nonce, &tokens.access_token)
            .await?;
        let mut claims = verified.claims;
        if let Some(endpoint) = &discovery.userinfo_endpoint {
            let info = provider::userinfo(self.outbound(), endpoint, &tokens.access_token).await?;
            if info.get("sub").and_then(|s| s.as_str()) != Some(verified.subject.as_str()) {
                return Err(SsoRefusal::SubjectMismatch);
            }
            // The ID token's claims win where both say something.
            for (name, value) in info {
                claims.entry(name).or_insert(value);
            }
        }
        let person = link::Person::from_claims(&record, &verified.subject, &claims);
        if flow.purpose == SsoPurpose::Test.as_str() {
            let mut tx = self.store().begin().await?;
            roster_store::set_sso_tested(&mut tx, record.org_id, now).await?;
            let actor = crate::Actor {
                label: "sso:test".into(),
                context: context.clone(),
                ..crate::Actor::system(org.id, &org.slug)
            };
            audit(
                &mut tx,
                &actor,
                "sso.test",
                "organization",
                org.id,
                json!({"issuer": record.issuer, "subject": person.subject, "email": person.email}),
            )
            .await?;
            tx.commit().await?;
            return Ok(SsoFinished::Tested {
                org_slug: org.slug,
                subject: person.subject,
                email: person.email,
            });
        }
        let session = self.sign_in_person(&org, &record, &person, id_token, context).await?;
        Ok(SsoFinished::SignedIn {
            session,
            org_slug: org.slug,
        })
    }

    /// Verifies an ID token against the stored keys; a token naming a key
    /// they lack gets the provider's keys fetched again, once (rotation
    /// works without a restart).
    async fn verify_id_token(
        &self,
        record: &SsoConnectionRecord,
        discovery: &Discovery,
        id_token: &str,
        nonce: &str,
        access_token: &str,
    ) -> Result<verify::VerifiedClaims, SsoRefusal> {
        let algorithms = discovery.pinned_algorithms();
        let keys: openidconnect::core::CoreJsonWebKeySet = serde_json::from_str(&record.jwks)
            .map_err(|e| ServiceError::Internal(format!("the stored keys do not read: {e}").into()))?;
        let check = |keys: &openidconnect::core::CoreJsonWebKeySet| {
            verify::verify(
                id_token,
                &verify::Expected {
                    issuer: &record.issuer,
                    client_id: &record.client_id,
                    keys,
                    algorithms: &algorithms,
                    nonce,
                    access_token: Some(access_token),
                    now: now_millis() / 1000,
                },
            )
        };
        match check(&keys) {
            Err(TokenDefect::UnknownKey) => {
                let (fresh, raw) = provider::fetch_keys(self.outbound(), discovery).await?;
                let mut tx = self.store().begin().await?;
                roster_store::set_sso_jwks(&mut tx, record.org_id, &raw, now_millis()).await?;
                tx.commit().await?;
                Ok(check(&fresh)?)
            }
            other => Ok(other?),
        }
    }

    /// Where to send the browser after Roster's session ended, to end the
    /// provider's too (OpenID Connect RP-Initiated Logout): for a session
    /// opened through a provider that offers an `end_session_endpoint`.
    /// The provider sends the person back to Roster's sign-in page.
    pub(crate) async fn provider_logout(
        &self,
        conn: &mut roster_store::Conn,
        session: &crate::ConsoleSession,
    ) -> ServiceResult<Option<String>> {
        let Some(org_id) = session.sso_org_id else {
            return Ok(None);
        };
        let Some(record) = roster_store::sso_connection(conn, org_id).await? else {
            return Ok(None);
        };
        let discovery = stored_discovery(&record)?;
        let Some(endpoint) = discovery.end_session_endpoint.as_deref() else {
            return Ok(None);
        };
        let Ok(mut url) = url::Url::parse(endpoint) else {
            return Ok(None);
        };
        let id_token = roster_store::session_id_token(conn, &session.id_hash).await?;
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("client_id", &record.client_id)
                .append_pair("post_logout_redirect_uri", &post_logout_redirect_uri(self.links_base()));
            if let Some(hint) = id_token.as_deref() {
                query.append_pair("id_token_hint", hint);
            }
        }
        Ok(Some(url.into()))
    }

    async fn audit_sso_refusal(&self, org_id: Option<i64>, refusal: &SsoRefusal, context: &RequestContext) {
        let row = crate::jobs::deferred::AuditRow {
            org_id,
            actor: "sso".into(),
            action: "sso.sign_in".into(),
            target_kind: "organization".into(),
            target_id: org_id.map(|id| id.to_string()).unwrap_or_default(),
            outcome: "refused".into(),
            ip: context.ip.clone(),
            request_id: context.request_id.clone(),
            details: json!({"reason": refusal.reason(), "message": refusal.to_string()}),
            at: now_millis(),
        };
        if let Err(err) = self.deferred.write_audit(row).await {
            tracing::error!(error = %err, "could not write the audit row of a refused sign-in");
        }
    }
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
