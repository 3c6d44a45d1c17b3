//! ARM access tokens from the Functions managed identity or a service principal, cached and
//! refreshed before they expire, one refresh at a time.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde::Deserialize;
use tokio::sync::Mutex;

use super::error::AzureError;
use crate::clock::Clock;
use crate::refresh::refresh_instant;
use crate::settings::{AzureCredential, Secret};

/// A token claiming a longer life is taken to live this long: an absurd value must not
/// overflow the clock or pin a token forever.
const MAX_LIFETIME: Duration = Duration::days(1);

/// The managed identity protocol version of App Service and Functions.
const MSI_API_VERSION: &str = "2019-08-01";

#[derive(Clone)]
struct ArmToken {
    token: Secret,
    expires_at: DateTime<Utc>,
}

/// A cached token and the instant to replace it.
struct Cached {
    token: Secret,
    refresh_at: DateTime<Utc>,
}

/// The identity endpoint's answer. `expires_on` is epoch seconds *as a string* there; numbers
/// are accepted too.
#[derive(Deserialize)]
struct MsiToken {
    access_token: String,
    expires_on: NumberOrString,
}

/// Entra ID's client-credentials answer; `expires_in` is a duration in seconds.
#[derive(Deserialize)]
struct EntraToken {
    access_token: String,
    expires_in: NumberOrString,
}

#[derive(Deserialize)]
struct EntraError {
    error: Option<String>,
    error_description: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum NumberOrString {
    Number(i64),
    String(String),
}

impl NumberOrString {
    fn value(&self) -> Option<i64> {
        match self {
            NumberOrString::Number(n) => Some(*n),
            NumberOrString::String(s) => s.trim().parse().ok(),
        }
    }
}

/// A source of ARM tokens.
pub struct ArmCredential {
    http: reqwest::Client,
    kind: AzureCredential,
    audience: String,
    clock: Arc<dyn Clock>,
    cache: Mutex<Option<Cached>>,
    calls: AtomicU64,
}

impl ArmCredential {
    /// A credential for `audience` (the ARM resource id, e.g. `https://management.azure.com`).
    pub fn new(
        kind: AzureCredential,
        audience: String,
        http: reqwest::Client,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            http,
            kind,
            audience,
            clock,
            cache: Mutex::new(None),
            calls: AtomicU64::new(0),
        }
    }

    /// Token requests made since start.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// A cached token, or a new one when the cached one is due for refresh.
    pub async fn token(&self) -> Result<Secret, AzureError> {
        let mut cache = self.cache.lock().await;
        let now = self.clock.now();
        if let Some(cached) = cache.as_ref().filter(|c| now < c.refresh_at) {
            return Ok(cached.token.clone());
        }
        let token = self.fetch(now).await?;
        *cache = Some(Cached {
            token: token.token.clone(),
            refresh_at: refresh_instant(now, token.expires_at),
        });
        Ok(token.token)
    }

    /// Forgets `rejected` if it is still cached, so the next call fetches a new token.
    pub async fn invalidate(&self, rejected: &Secret) {
        let mut cache = self.cache.lock().await;
        if cache.as_ref().is_some_and(|t| &t.token == rejected) {
            *cache = None;
        }
    }

    async fn fetch(&self, now: DateTime<Utc>) -> Result<ArmToken, AzureError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        match &self.kind {
            AzureCredential::ManagedIdentity {
                endpoint,
                header,
                client_id,
            } => {
                self.managed_identity(endpoint, header, client_id.as_deref(), now)
                    .await
            }
            AzureCredential::ClientSecret {
                authority,
                tenant_id,
                client_id,
                secret,
            } => {
                self.client_secret(authority, tenant_id, client_id, secret, now)
                    .await
            }
        }
    }

    /// A token from the App Service / Functions identity endpoint.
    async fn managed_identity(
        &self,
        endpoint: &url::Url,
        header: &Secret,
        client_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<ArmToken, AzureError> {
        let call = "GET managed identity token";
        let mut query = vec![
            ("api-version", MSI_API_VERSION.to_owned()),
            ("resource", self.audience.clone()),
        ];
        if let Some(client_id) = client_id {
            query.push(("client_id", client_id.to_owned()));
        }
        let request = self
            .http
            .get(endpoint.as_str())
            .query(&query)
            .header("X-IDENTITY-HEADER", header.expose());
        let (status, bytes) = send(call, request).await?;
        if !status.is_success() {
            let detail = match status.as_u16() {
                400 => "the identity endpoint answered 400: the managed identity is not \
                        assigned to this app, or AZURE_CLIENT_ID names an identity it does not have"
                    .to_owned(),
                code => format!("the identity endpoint answered {code}"),
            };
            return Err(AzureError::Credential {
                call: call.to_owned(),
                detail,
            });
        }
        let body: MsiToken = decode(call, &bytes)?;
        let expires_at = body
            .expires_on
            .value()
            .and_then(|secs| Utc.timestamp_opt(secs, 0).single())
            .ok_or_else(|| AzureError::Decode {
                call: call.to_owned(),
                detail: "`expires_on` is not epoch seconds".into(),
            })?;
        Ok(ArmToken {
            token: Secret::new(body.access_token),
            expires_at: expires_at.min(now + MAX_LIFETIME),
        })
    }

    /// A token for a service principal from Entra ID's client-credentials flow.
    async fn client_secret(
        &self,
        authority: &url::Url,
        tenant_id: &str,
        client_id: &str,
        secret: &Secret,
        now: DateTime<Utc>,
    ) -> Result<ArmToken, AzureError> {
        let call = "POST Entra ID token";
        let url = format!(
            "{}/{tenant_id}/oauth2/v2.0/token",
            authority.as_str().trim_end_matches('/')
        );
        let scope = format!("{}/.default", self.audience.trim_end_matches('/'));
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", secret.expose()),
            ("scope", scope.as_str()),
        ];
        let (status, bytes) = send(call, self.http.post(url).form(&form)).await?;
        if !status.is_success() {
            let reason = serde_json::from_slice::<EntraError>(&bytes)
                .ok()
                .map(|e| {
                    let description = e.error_description.unwrap_or_default();
                    let first_line = description.lines().next().unwrap_or_default();
                    format!("{}: {first_line}", e.error.unwrap_or_default())
                })
                .unwrap_or_default();
            return Err(AzureError::Credential {
                call: call.to_owned(),
                detail: format!(
                    "Entra ID refused the service principal ({status}) {reason}; check \
                     AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET"
                ),
            });
        }
        let body: EntraToken = decode(call, &bytes)?;
        let lifetime = body.expires_in.value().ok_or_else(|| AzureError::Decode {
            call: call.to_owned(),
            detail: "`expires_in` is not a number of seconds".into(),
        })?;
        let lifetime = Duration::seconds(lifetime.clamp(0, MAX_LIFETIME.num_seconds()));
        Ok(ArmToken {
            token: Secret::new(body.access_token),
            expires_at: now + lifetime,
        })
    }
}

/// Sends a token request and reads the whole answer.
async fn send(
    call: &str,
    request: reqwest::RequestBuilder,
) -> Result<(reqwest::StatusCode, bytes::Bytes), AzureError> {
    let transport = |source| AzureError::Transport {
        call: call.to_owned(),
        source,
    };
    let response = request.send().await.map_err(transport)?;
    let status = response.status();
    let bytes = response.bytes().await.map_err(transport)?;
    Ok((status, bytes))
}

fn decode<T: serde::de::DeserializeOwned>(call: &str, bytes: &[u8]) -> Result<T, AzureError> {
    serde_json::from_slice(bytes).map_err(|e| AzureError::Decode {
        call: call.to_owned(),
        detail: e.to_string(),
    })
}
