//! GitHub App authentication as GitHub does it: RS256 JWTs checked against the App's public
//! key and the virtual clock, installation tokens that expire after an hour of virtual time.

use std::collections::{BTreeMap, HashSet};

use axum::http::HeaderMap;
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use rand::RngExt;
use rand::distr::Alphanumeric;
use serde_json::Value;

/// Who a request authenticated as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Principal {
    /// The App itself (a JWT).
    App,
    /// An installation (an installation token).
    Installation(u64),
    /// Nobody: a request without credentials (GitHub's unauthenticated limit applies).
    Anonymous,
}

/// GitHub refuses JWTs that live longer than this.
const MAX_JWT_LIFETIME: i64 = 600;

/// Tolerance for an `iat` slightly in the future (clock drift between App and GitHub).
const IAT_LEEWAY: i64 = 60;

/// The App's identity and the tokens issued to its installation.
pub struct GithubAuth {
    app_id: String,
    client_id: String,
    installation_id: u64,
    key: DecodingKey,
    token_lifetime: Duration,
    /// Issued installation tokens and when each expires.
    tokens: BTreeMap<String, DateTime<Utc>>,
}

impl std::fmt::Debug for GithubAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GithubAuth")
            .field("app_id", &self.app_id)
            .field("installation_id", &self.installation_id)
            .field("tokens", &self.tokens.len())
            .finish()
    }
}

impl GithubAuth {
    /// The App `app_id` / `client_id` with public key `public_der` (PKCS#1 DER), installed
    /// once as `installation_id`; its tokens live `token_lifetime`.
    pub fn new(
        app_id: &str,
        client_id: &str,
        installation_id: u64,
        public_der: &[u8],
        token_lifetime: Duration,
    ) -> Self {
        Self {
            app_id: app_id.to_owned(),
            client_id: client_id.to_owned(),
            installation_id,
            key: DecodingKey::from_rsa_der(public_der),
            token_lifetime,
            tokens: BTreeMap::new(),
        }
    }

    /// The installation's id.
    pub fn installation_id(&self) -> u64 {
        self.installation_id
    }

    /// The App's id.
    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    /// The App's client id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// How many installation tokens were issued.
    pub fn tokens_issued(&self) -> usize {
        self.tokens.len()
    }

    /// Checks an App JWT: RS256 signature by the App's key, `iat` not in the future,
    /// `exp` in the future and at most 10 minutes after `iat`, `iss` the App's id or client id.
    /// The error is the message GitHub answers with.
    pub fn verify_jwt(&self, jwt: &str, now: DateTime<Utc>) -> Result<(), &'static str> {
        let mut validation = Validation::new(Algorithm::RS256);
        // Time is checked below against the virtual clock, not the machine's.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.required_spec_claims = HashSet::new();
        let claims = jsonwebtoken::decode::<Value>(jwt, &self.key, &validation)
            .map_err(|_| "A JSON web token could not be decoded")?
            .claims;

        let now = now.timestamp();
        let iat = claims
            .get("iat")
            .and_then(Value::as_i64)
            .ok_or(IAT_MESSAGE)?;
        let exp = claims
            .get("exp")
            .and_then(Value::as_i64)
            .ok_or(EXP_MESSAGE)?;
        if iat > now + IAT_LEEWAY {
            return Err(IAT_MESSAGE);
        }
        if exp <= now {
            return Err(EXP_MESSAGE);
        }
        if exp - iat > MAX_JWT_LIFETIME {
            return Err("'Expiration time' claim ('exp') is too far in the future");
        }
        let iss = match claims.get("iss") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => return Err("'Issuer' claim ('iss') must be the App's id or client id"),
        };
        if iss != self.app_id && iss != self.client_id {
            return Err("'Issuer' claim ('iss') must be the App's id or client id");
        }
        Ok(())
    }

    /// Issues an installation token valid from `now`; returns it and its expiry.
    pub fn issue_token(&mut self, now: DateTime<Utc>) -> (String, DateTime<Utc>) {
        // From the OS, not the seed: it plays the part of a credential.
        let body: String = rand::rng()
            .sample_iter(Alphanumeric)
            .take(36)
            .map(char::from)
            .collect();
        let token = format!("ghs_{body}");
        let expires_at = now + self.token_lifetime;
        self.tokens.insert(token.clone(), expires_at);
        (token, expires_at)
    }

    /// The installation an installation token belongs to, if it is known and unexpired.
    pub fn installation_of(&self, token: &str, now: DateTime<Utc>) -> Option<u64> {
        self.tokens
            .get(token)
            .filter(|expires_at| **expires_at > now)
            .map(|_| self.installation_id)
    }
}

const IAT_MESSAGE: &str = "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued";
const EXP_MESSAGE: &str = "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires";

/// The credential in `Authorization`: `Bearer x` or the older `token x`.
pub fn credential(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get("authorization")?.to_str().ok()?.trim();
    let (scheme, credential) = value.split_once(' ')?;
    let known = scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token");
    known.then_some(credential.trim())
}

/// Whether a credential looks like a JWT (three base64url parts) rather than a token.
pub fn looks_like_jwt(credential: &str) -> bool {
    credential.split('.').count() == 3 && credential.starts_with("ey")
}
