//! Verifying an ID token completely (OpenID Connect Core §3.1.3.7), with
//! the `openidconnect` crate's verifier and what its defaults leave out:
//! only the algorithms pinned for the connection (asymmetric ones the
//! provider advertises — never `none`, never HMAC, so neither the client
//! secret nor a public key can sign a token), `iat` within the clock skew,
//! `at_hash` when present.

use std::collections::BTreeMap;

use openidconnect::core::{CoreGenderClaim, CoreJsonWebKeySet, CoreJwsSigningAlgorithm};
use openidconnect::{
    AccessToken, AccessTokenHash, AdditionalClaims, ClaimsVerificationError, ClientId, IdToken, IdTokenVerifier,
    IssuerUrl, Nonce, SignatureVerificationError,
};
use serde::{Deserialize, Serialize};

/// How far a provider's clock may be from ours.
pub(crate) const CLOCK_SKEW_SECONDS: i64 = 300;

/// Every claim of the token beyond the standard ones, by name (Entra's
/// `upn`, `groups`, a custom e-mail claim …).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct OtherClaims(BTreeMap<String, serde_json::Value>);

impl AdditionalClaims for OtherClaims {}

type RosterIdToken = IdToken<
    OtherClaims,
    CoreGenderClaim,
    openidconnect::core::CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;

/// What the token must match.
pub(crate) struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub keys: &'a CoreJsonWebKeySet,
    pub algorithms: &'a [CoreJwsSigningAlgorithm],
    pub nonce: &'a str,
    pub access_token: Option<&'a str>,
    /// Now, in seconds since the epoch.
    pub now: i64,
}

/// A verified token's claims, all of them, as one JSON object.
#[derive(Debug, Clone)]
pub(crate) struct VerifiedClaims {
    pub subject: String,
    pub claims: serde_json::Map<String, serde_json::Value>,
}

/// Why a token was refused. `UnknownKey` is worth fetching the provider's
/// keys again for (it may have rotated them), once.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenDefect {
    #[error("the ID token is not a signed JWT: {0}")]
    Malformed(String),
    #[error("the ID token is signed with a key the provider does not publish")]
    UnknownKey,
    #[error("the ID token is signed with {0}, which this connection does not accept")]
    Algorithm(String),
    #[error("the ID token's signature does not verify")]
    Signature,
    #[error("the ID token's issuer is wrong: {0}")]
    Issuer(String),
    #[error("the ID token is for another audience: {0}")]
    Audience(String),
    #[error("the ID token has expired")]
    Expired,
    #[error("the ID token's issue time is wrong: {0}")]
    IssueTime(String),
    #[error("the ID token's nonce does not match the sign-in")]
    Nonce,
    #[error("the ID token's at_hash does not match the access token")]
    AccessTokenHash,
    #[error("the ID token could not be verified: {0}")]
    Other(String),
}

pub(crate) fn verify(raw: &str, expected: &Expected<'_>) -> Result<VerifiedClaims, TokenDefect> {
    let token: RosterIdToken = raw
        .trim()
        .parse()
        .map_err(|e: serde_json::Error| TokenDefect::Malformed(e.to_string()))?;
    let issuer = IssuerUrl::new(expected.issuer.to_owned()).map_err(|e| TokenDefect::Issuer(e.to_string()))?;
    let now = expected.now;
    let verifier: IdTokenVerifier<'_, openidconnect::core::CoreJsonWebKey> = IdTokenVerifier::new_public_client(
        ClientId::new(expected.client_id.to_owned()),
        issuer,
        expected.keys.clone(),
    )
    .set_allowed_algs(expected.algorithms.iter().cloned())
    .set_issue_time_verifier_fn(move |iat| {
        let iat = iat.timestamp();
        if iat > now + CLOCK_SKEW_SECONDS {
            Err(format!("issued in the future ({iat}, now {now})"))
        } else if iat < now - CLOCK_SKEW_SECONDS {
            // The token was made for this sign-in, moments ago.
            Err(format!("issued too long ago ({iat}, now {now})"))
        } else {
            Ok(())
        }
    })
    .set_time_fn(move || chrono::DateTime::from_timestamp(now - CLOCK_SKEW_SECONDS, 0).unwrap_or_default());
    let nonce = Nonce::new(expected.nonce.to_owned());
    let claims = token.claims(&verifier, &nonce).map_err(defect)?;
    if let (Some(hash), Some(access_token)) = (claims.access_token_hash(), expected.access_token) {
        let alg = token.signing_alg().map_err(|e| TokenDefect::Other(e.to_string()))?;
        let key = token
            .signing_key(&verifier)
            .map_err(|e| TokenDefect::Other(e.to_string()))?;
        let computed = AccessTokenHash::from_token(&AccessToken::new(access_token.to_owned()), alg, key)
            .map_err(|e| TokenDefect::Other(e.to_string()))?;
        if computed != *hash {
            return Err(TokenDefect::AccessTokenHash);
        }
    }
    let subject = claims.subject().as_str().to_owned();
    let claims = match serde_json::to_value(claims) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => return Err(TokenDefect::Other("the claims are not an object".into())),
    };
    Ok(VerifiedClaims { subject, claims })
}

fn defect(error: ClaimsVerificationError) -> TokenDefect {
    match error {
        // The crate reports the issue-time check (ours, above) as Expired.
        ClaimsVerificationError::Expired(why) if why.starts_with("issued") => TokenDefect::IssueTime(why),
        ClaimsVerificationError::Expired(_) => TokenDefect::Expired,
        ClaimsVerificationError::InvalidAudience(why) => TokenDefect::Audience(why),
        ClaimsVerificationError::InvalidIssuer(why) => TokenDefect::Issuer(why),
        ClaimsVerificationError::InvalidNonce(_) => TokenDefect::Nonce,
        ClaimsVerificationError::SignatureVerification(e) => match e {
            SignatureVerificationError::NoMatchingKey => TokenDefect::UnknownKey,
            SignatureVerificationError::DisallowedAlg(alg) | SignatureVerificationError::UnsupportedAlg(alg) => {
                TokenDefect::Algorithm(alg)
            }
            SignatureVerificationError::NoSignature => TokenDefect::Algorithm("none".into()),
            SignatureVerificationError::CryptoError(_) => TokenDefect::Signature,
            other => TokenDefect::Other(other.to_string()),
        },
        other => TokenDefect::Other(other.to_string()),
    }
}
