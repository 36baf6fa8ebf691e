//! Talking to the provider: its discovery document, its keys, its token
//! and userinfo endpoints — every call through [`Outbound`].

use openidconnect::core::{CoreJsonWebKeySet, CoreJwsSigningAlgorithm};
use serde::{Deserialize, Serialize};

use crate::outbound::{Outbound, OutboundError, Outgoing};

/// Why the provider could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    #[error(transparent)]
    Unreachable(#[from] OutboundError),
    #[error("{what} answered {status}: {detail}")]
    Status {
        what: &'static str,
        status: u16,
        detail: String,
    },
    #[error("{what} is not what OpenID Connect says it must be: {why}")]
    Invalid { what: &'static str, why: String },
}

/// The parts of the discovery document Roster uses (OpenID Connect
/// Discovery 1.0 §3), as fetched.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Discovery {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub userinfo_endpoint: Option<String>,
    pub jwks_uri: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_session_endpoint: Option<String>,
    #[serde(default)]
    pub id_token_signing_alg_values_supported: Vec<String>,
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Vec<String>,
    #[serde(default)]
    pub code_challenge_methods_supported: Vec<String>,
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
}

/// Asymmetric signature algorithms Roster verifies, strongest first.
const ASYMMETRIC: [CoreJwsSigningAlgorithm; 9] = [
    CoreJwsSigningAlgorithm::EdDsa,
    CoreJwsSigningAlgorithm::EcdsaP384Sha384,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha512,
    CoreJwsSigningAlgorithm::RsaSsaPssSha384,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
];

/// An algorithm's name as JOSE writes it ("RS256").
pub(crate) fn alg_name(alg: &CoreJwsSigningAlgorithm) -> String {
    serde_json::to_value(alg)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

impl Discovery {
    /// The algorithms pinned for the connection: the asymmetric ones the
    /// provider advertises (RS256 when it says nothing, as the spec makes
    /// it the default). HMAC and `none` never, even when advertised.
    pub fn pinned_algorithms(&self) -> Vec<CoreJwsSigningAlgorithm> {
        if self.id_token_signing_alg_values_supported.is_empty() {
            return vec![CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256];
        }
        ASYMMETRIC
            .iter()
            .filter(|alg| {
                let name = alg_name(alg);
                self.id_token_signing_alg_values_supported.contains(&name)
            })
            .cloned()
            .collect()
    }

    /// Whether the token endpoint takes the client secret in a Basic
    /// header (the default when it says nothing) or else in the form.
    pub fn secret_in_header(&self) -> bool {
        let methods = &self.token_endpoint_auth_methods_supported;
        methods.is_empty() || methods.iter().any(|m| m == "client_secret_basic")
    }

    fn check(&self, issuer: &str) -> Result<(), ProviderError> {
        let invalid = |why: String| ProviderError::Invalid {
            what: "the discovery document",
            why,
        };
        if self.issuer != issuer {
            return Err(invalid(format!(
                "its issuer is {:?}, not the {issuer:?} it was fetched for",
                self.issuer
            )));
        }
        for (name, url) in [
            ("authorization_endpoint", &self.authorization_endpoint),
            ("token_endpoint", &self.token_endpoint),
            ("jwks_uri", &self.jwks_uri),
        ] {
            url::Url::parse(url).map_err(|e| invalid(format!("{name} {url:?}: {e}")))?;
        }
        if self.pinned_algorithms().is_empty() {
            return Err(invalid(format!(
                "it signs ID tokens only with {:?}; Roster accepts RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384 and EdDSA",
                self.id_token_signing_alg_values_supported
            )));
        }
        let methods = &self.token_endpoint_auth_methods_supported;
        if !methods.is_empty()
            && !methods
                .iter()
                .any(|m| m == "client_secret_basic" || m == "client_secret_post")
        {
            return Err(invalid(format!(
                "its token endpoint takes neither client_secret_basic nor client_secret_post ({methods:?})"
            )));
        }
        if !self.code_challenge_methods_supported.is_empty()
            && !self.code_challenge_methods_supported.iter().any(|m| m == "S256")
        {
            return Err(invalid("it does not take PKCE with S256".into()));
        }
        Ok(())
    }
}

fn json_of<T: serde::de::DeserializeOwned>(
    what: &'static str,
    fetched: &crate::outbound::Fetched,
) -> Result<T, ProviderError> {
    if fetched.status != 200 {
        return Err(ProviderError::Status {
            what,
            status: fetched.status,
            detail: String::from_utf8_lossy(&fetched.body).chars().take(200).collect(),
        });
    }
    serde_json::from_slice(&fetched.body).map_err(|e| ProviderError::Invalid {
        what,
        why: e.to_string(),
    })
}

fn parse(what: &'static str, raw: &str) -> Result<url::Url, ProviderError> {
    url::Url::parse(raw).map_err(|e| ProviderError::Invalid {
        what,
        why: format!("{raw:?}: {e}"),
    })
}

/// Fetches and checks `{issuer}/.well-known/openid-configuration`.
pub async fn discover(outbound: &Outbound, issuer: &str) -> Result<(Discovery, String), ProviderError> {
    let url = parse(
        "the issuer URL",
        &format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/')),
    )?;
    let fetched = outbound
        .send(Outgoing::get(url).header("accept", "application/json"))
        .await?;
    let discovery: Discovery = json_of("the discovery document", &fetched)?;
    discovery.check(issuer)?;
    Ok((discovery, String::from_utf8_lossy(&fetched.body).into_owned()))
}

/// Fetches the provider's keys; the raw JSON is what is kept.
pub async fn fetch_keys(
    outbound: &Outbound,
    discovery: &Discovery,
) -> Result<(CoreJsonWebKeySet, String), ProviderError> {
    let url = parse("jwks_uri", &discovery.jwks_uri)?;
    let fetched = outbound
        .send(Outgoing::get(url).header("accept", "application/json"))
        .await?;
    let keys: CoreJsonWebKeySet = json_of("the key set", &fetched)?;
    Ok((keys, String::from_utf8_lossy(&fetched.body).into_owned()))
}

/// The token endpoint's answer (RFC 6749 §5.1, OpenID Connect Core §3.1.3.3).
#[derive(Debug, Clone, Deserialize)]
pub struct Tokens {
    pub id_token: Option<String>,
    pub access_token: String,
    pub token_type: String,
}

/// Exchanges the code (with the PKCE verifier) for tokens.
pub async fn exchange_code(
    outbound: &Outbound,
    discovery: &Discovery,
    client_id: &str,
    client_secret: &str,
    code: &str,
    redirect_uri: &str,
    verifier: &str,
) -> Result<Tokens, ProviderError> {
    let url = parse("token_endpoint", &discovery.token_endpoint)?;
    let mut fields = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri),
        ("code_verifier", verifier),
    ];
    let request = if discovery.secret_in_header() {
        // RFC 6749 §2.3.1: both parts form-encoded before Basic.
        let encode = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let basic = base64_encode(&format!("{}:{}", encode(client_id), encode(client_secret)));
        Outgoing::form(url, &fields).header("authorization", &format!("Basic {basic}"))
    } else {
        fields.push(("client_id", client_id));
        fields.push(("client_secret", client_secret));
        Outgoing::form(url, &fields)
    };
    let fetched = outbound.send(request.header("accept", "application/json")).await?;
    let tokens: Tokens = json_of("the token endpoint", &fetched)?;
    if !tokens.token_type.eq_ignore_ascii_case("bearer") {
        return Err(ProviderError::Invalid {
            what: "the token endpoint",
            why: format!("token_type {:?} is not Bearer", tokens.token_type),
        });
    }
    Ok(tokens)
}

/// The userinfo endpoint's claims (JSON; a signed answer is refused).
pub async fn userinfo(
    outbound: &Outbound,
    endpoint: &str,
    access_token: &str,
) -> Result<serde_json::Map<String, serde_json::Value>, ProviderError> {
    let url = parse("userinfo_endpoint", endpoint)?;
    let fetched = outbound
        .send(
            Outgoing::get(url)
                .header("authorization", &format!("Bearer {access_token}"))
                .header("accept", "application/json"),
        )
        .await?;
    json_of("the userinfo endpoint", &fetched)
}

fn base64_encode(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}
