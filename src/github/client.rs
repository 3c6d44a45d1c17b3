//! The GitHub REST client: authentication, pagination, conditional requests, rate limits and
//! call accounting, in one place so every read and write follows the same rules.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use reqwest::header::{ACCEPT, ETAG, HeaderMap, IF_NONE_MATCH, LINK};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::OnceCell;

use super::auth::{self, InstallationToken, TokenCache};
use super::conditional::{ConditionalCache, Remembered};
use super::error::GithubError;
use super::rate::{self, RateLimit};
use super::types::{AccessToken, ErrorBody, Installation};
use crate::clock::Clock;
use crate::settings::{AppKey, GithubAuth, GithubSettings, Secret};

/// At most this many pages are followed for one listing (10,000 items at 100 a page): a cycle
/// or a runaway listing must not hold a tick forever.
const MAX_PAGES: usize = 100;

/// Pause before the one retry of a read that failed in transit or with a 5xx.
const RETRY_PAUSE: StdDuration = StdDuration::from_millis(250);

/// Counters of the calls made, for the tick report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CallCounts {
    /// Requests sent (token mints included).
    pub calls: u64,
    /// Of those, answered `304 Not Modified` (free against the primary limit).
    pub not_modified: u64,
}

/// How a request authenticates.
#[derive(Clone, Copy, PartialEq, Eq)]
enum As {
    /// With the installation token (or the configured token).
    Installation,
    /// With an App JWT (installation discovery and token minting).
    App,
}

/// What the client does with a non-success answer it may retry.
struct Answer {
    body: Bytes,
    next: Option<String>,
}

/// Credentials and their caches.
enum Credentials {
    Token(Secret),
    App {
        app_id: String,
        key: AppKey,
        installation_id: OnceCell<u64>,
        tokens: TokenCache,
    },
}

/// A GitHub API client for one owner.
pub struct GithubClient {
    http: reqwest::Client,
    api: String,
    owner: String,
    credentials: Credentials,
    clock: Arc<dyn Clock>,
    conditional: Mutex<ConditionalCache>,
    rate_limit: Mutex<RateLimit>,
    blocked: Mutex<Option<(DateTime<Utc>, String)>>,
    calls: AtomicU64,
    not_modified: AtomicU64,
}

impl GithubClient {
    /// A client for the settings' owner and API URL.
    pub fn new(settings: &GithubSettings, http: reqwest::Client, clock: Arc<dyn Clock>) -> Self {
        let credentials = match &settings.auth {
            GithubAuth::Token(token) => Credentials::Token(token.clone()),
            GithubAuth::App {
                app_id,
                key,
                installation_id,
            } => Credentials::App {
                app_id: app_id.clone(),
                key: key.clone(),
                installation_id: match installation_id {
                    Some(id) => OnceCell::new_with(Some(*id)),
                    None => OnceCell::new(),
                },
                tokens: TokenCache::default(),
            },
        };
        Self {
            http,
            api: settings.api_url.as_str().trim_end_matches('/').to_owned(),
            owner: settings.owner.clone(),
            credentials,
            clock,
            conditional: Mutex::new(ConditionalCache::default()),
            rate_limit: Mutex::new(RateLimit::default()),
            blocked: Mutex::new(None),
            calls: AtomicU64::new(0),
            not_modified: AtomicU64::new(0),
        }
    }

    /// The organization this client works for.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// Whether the client authenticates as a GitHub App.
    pub fn is_app(&self) -> bool {
        matches!(self.credentials, Credentials::App { .. })
    }

    /// Calls made since start.
    pub fn counts(&self) -> CallCounts {
        CallCounts {
            calls: self.calls.load(Ordering::Relaxed),
            not_modified: self.not_modified.load(Ordering::Relaxed),
        }
    }

    /// The rate-limit figures of the latest answer.
    pub fn rate_limit(&self) -> RateLimit {
        lock(&self.rate_limit).clone()
    }

    /// How many installation tokens were minted since start.
    pub fn tokens_minted(&self) -> u64 {
        match &self.credentials {
            Credentials::App { tokens, .. } => tokens.minted(),
            Credentials::Token(_) => 0,
        }
    }

    /// Ends a tick: forgets remembered listings the tick did not use.
    pub fn end_tick(&self) {
        lock(&self.conditional).sweep();
    }

    /// `GET path` decoded as `T`.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, GithubError> {
        let url = self.url(path);
        let answer = self.send(Method::GET, &url, None, As::Installation).await?;
        decode(&self.call_name(&Method::GET, &url), &answer.body)
    }

    /// Every page of `GET path` (`per_page=100`, following `Link: rel="next"`), each page
    /// decoded as `T` and flattened by `items`. Fails as a whole if any page fails: a listing
    /// is never silently partial.
    pub async fn get_all<T, I>(
        &self,
        path: &str,
        items: impl Fn(T) -> Vec<I>,
    ) -> Result<Vec<I>, GithubError>
    where
        T: DeserializeOwned,
    {
        let separator = if path.contains('?') { '&' } else { '?' };
        let mut url = self.url(&format!("{path}{separator}per_page=100"));
        let mut visited = std::collections::HashSet::new();
        let mut all = Vec::new();
        for _ in 0..MAX_PAGES {
            visited.insert(url.clone());
            let answer = self.send(Method::GET, &url, None, As::Installation).await?;
            let call = self.call_name(&Method::GET, &url);
            all.extend(items(decode(&call, &answer.body)?));
            let Some(next) = answer.next else {
                return Ok(all);
            };
            // Following a link elsewhere would hand our token to another host.
            if !crate::same_origin::is_under(&self.api, &next) {
                return Err(GithubError::Decode {
                    call,
                    detail: "a pagination link points outside GITHUB_API_URL".into(),
                });
            }
            if visited.contains(&next) {
                return Err(GithubError::Decode {
                    call,
                    detail: "pagination links loop back to a page already read".into(),
                });
            }
            url = next;
        }
        Err(GithubError::Decode {
            call: self.call_name(&Method::GET, &url),
            detail: format!("more than {MAX_PAGES} pages"),
        })
    }

    /// `POST path` with a JSON body, decoded as `T`.
    pub async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, GithubError> {
        let url = self.url(path);
        let body = serde_json::to_value(body).map_err(|e| GithubError::Decode {
            call: self.call_name(&Method::POST, &url),
            detail: format!("request body: {e}"),
        })?;
        let answer = self
            .send(Method::POST, &url, Some(&body), As::Installation)
            .await?;
        decode(&self.call_name(&Method::POST, &url), &answer.body)
    }

    /// `DELETE path`; success is any 2xx.
    pub async fn delete(&self, path: &str) -> Result<(), GithubError> {
        let url = self.url(path);
        self.send(Method::DELETE, &url, None, As::Installation)
            .await
            .map(|_| ())
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.api, path)
    }

    /// `GET /repos/o/r/...`: the request as it appears in errors and logs (no host, no token).
    fn call_name(&self, method: &Method, url: &str) -> String {
        format!("{method} {}", url.strip_prefix(&self.api).unwrap_or(url))
    }

    async fn send(
        &self,
        method: Method,
        url: &str,
        body: Option<&serde_json::Value>,
        auth: As,
    ) -> Result<Answer, GithubError> {
        let call = self.call_name(&method, url);
        let idempotent = method == Method::GET || method == Method::DELETE;
        let mut auth_retried = false;
        let mut transient_retried = false;
        loop {
            self.check_blocked(&call)?;
            let bearer = self.bearer(&call, auth).await?;
            let remembered = (method == Method::GET)
                .then(|| lock(&self.conditional).lookup(url))
                .flatten();

            let mut request = self
                .http
                .request(method.clone(), url)
                .header(ACCEPT, "application/vnd.github+json")
                .header("X-GitHub-Api-Version", "2022-11-28")
                .bearer_auth(bearer.expose());
            if let Some(remembered) = &remembered {
                request = request.header(IF_NONE_MATCH, &remembered.etag);
            }
            if let Some(body) = body {
                request = request.json(body);
            }

            self.calls.fetch_add(1, Ordering::Relaxed);
            let response = match request.send().await {
                Ok(response) => response,
                // A timeout is not retried: the tick's time budget would be spent twice.
                Err(source) if idempotent && !transient_retried && !source.is_timeout() => {
                    tracing::debug!(call = %call, error = %source, "github call failed, retrying once");
                    transient_retried = true;
                    tokio::time::sleep(RETRY_PAUSE).await;
                    continue;
                }
                Err(source) => return Err(GithubError::Transport { call, source }),
            };
            let status = response.status();
            let headers = response.headers().clone();
            if let Some(limit) = RateLimit::from_headers(&headers) {
                *lock(&self.rate_limit) = limit;
            }
            tracing::debug!(call = %call, status = status.as_u16(), "github call");

            if status == StatusCode::NOT_MODIFIED {
                self.not_modified.fetch_add(1, Ordering::Relaxed);
                return match remembered {
                    Some(remembered) => Ok(Answer {
                        body: remembered.body,
                        next: remembered.next,
                    }),
                    None => Err(GithubError::Decode {
                        call,
                        detail: "304 Not Modified to a request that was not conditional".into(),
                    }),
                };
            }
            let bytes = response
                .bytes()
                .await
                .map_err(|source| GithubError::Transport {
                    call: call.clone(),
                    source,
                })?;
            if status.is_success() {
                let next = next_link(&headers);
                if let (true, Some(etag)) = (method == Method::GET, header(&headers, ETAG)) {
                    let remembered = Remembered {
                        etag,
                        body: bytes.clone(),
                        next: next.clone(),
                    };
                    lock(&self.conditional).remember(url, remembered);
                }
                return Ok(Answer { body: bytes, next });
            }

            let message = error_message(&bytes);
            let now = self.clock.now();
            if let Some((until, reason)) = rate::refusal(status, &headers, message.as_deref(), now)
            {
                *lock(&self.blocked) = Some((until, reason.clone()));
                tracing::warn!(call = %call, until = %until, reason = %reason, "github rate limit hit");
                return Err(GithubError::RateLimited {
                    call,
                    until,
                    reason,
                });
            }
            if status == StatusCode::UNAUTHORIZED && auth == As::Installation {
                if let (Credentials::App { tokens, .. }, false) = (&self.credentials, auth_retried)
                {
                    // The token was revoked or expired early: mint a new one and retry once.
                    tracing::info!(call = %call, "installation token rejected, refreshing it");
                    tokens.invalidate(&bearer).await;
                    auth_retried = true;
                    continue;
                }
                return Err(GithubError::Auth {
                    call,
                    detail: match self.credentials {
                        Credentials::Token(_) => "GitHub rejected GITHUB_TOKEN (401)".into(),
                        Credentials::App { .. } => {
                            "GitHub rejected a freshly minted installation token (401)".into()
                        }
                    },
                });
            }
            if status.is_server_error() && idempotent && !transient_retried {
                transient_retried = true;
                tokio::time::sleep(RETRY_PAUSE).await;
                continue;
            }
            return Err(GithubError::Status {
                call,
                status: status.as_u16(),
                message,
            });
        }
    }

    fn check_blocked(&self, call: &str) -> Result<(), GithubError> {
        let now = self.clock.now();
        let mut blocked = lock(&self.blocked);
        match blocked.as_ref() {
            Some((until, reason)) if *until > now => Err(GithubError::RateLimited {
                call: call.to_owned(),
                until: *until,
                reason: reason.clone(),
            }),
            Some(_) => {
                *blocked = None;
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// The bearer token for a request.
    async fn bearer(&self, call: &str, auth: As) -> Result<Secret, GithubError> {
        match (&self.credentials, auth) {
            (Credentials::Token(token), _) => Ok(token.clone()),
            (Credentials::App { app_id, key, .. }, As::App) => {
                auth::app_jwt(app_id, key, self.clock.now()).map_err(|detail| GithubError::Auth {
                    call: call.to_owned(),
                    detail,
                })
            }
            (Credentials::App { tokens, .. }, As::Installation) => {
                let now = self.clock.now();
                tokens
                    .get_or_mint(now, || self.mint_installation_token())
                    .await
            }
        }
    }

    /// Mints an installation token with an App JWT (boxed: it recurses into `send`).
    fn mint_installation_token(
        &self,
    ) -> std::pin::Pin<Box<dyn Future<Output = Result<InstallationToken, GithubError>> + Send + '_>>
    {
        Box::pin(async move {
            let id = self.installation_id().await?;
            let url = self.url(&format!("/app/installations/{id}/access_tokens"));
            let answer = self
                .send(Method::POST, &url, None, As::App)
                .await
                .map_err(explain_app_rejection)?;
            let token: AccessToken = decode(&self.call_name(&Method::POST, &url), &answer.body)?;
            tracing::info!(installation = id, expires_at = %token.expires_at, "installation token minted");
            Ok(InstallationToken {
                token: Secret::new(token.token),
                expires_at: token.expires_at,
            })
        })
    }

    /// The installation id: configured, or discovered once from the owner.
    async fn installation_id(&self) -> Result<u64, GithubError> {
        let Credentials::App {
            installation_id, ..
        } = &self.credentials
        else {
            unreachable!("installation ids exist only with App credentials");
        };
        installation_id
            .get_or_try_init(|| async {
                let url = self.url(&format!("/orgs/{}/installation", self.owner));
                let answer = self
                    .send(Method::GET, &url, None, As::App)
                    .await
                    .map_err(|e| match e.status() {
                        Some(404) => GithubError::Auth {
                            call: self.call_name(&Method::GET, &url),
                            detail: format!(
                                "the GitHub App is not installed on `{}`; install it on the \
                                 organization or set GITHUB_APP_INSTALLATION_ID",
                                self.owner
                            ),
                        },
                        _ => explain_app_rejection(e),
                    })?;
                let installation: Installation =
                    decode(&self.call_name(&Method::GET, &url), &answer.body)?;
                tracing::info!(installation = installation.id, owner = %self.owner, "installation discovered");
                Ok(installation.id)
            })
            .await
            .copied()
    }
}

/// A 401 to a JWT means the App id, the key or the clock is wrong: say which to check.
fn explain_app_rejection(error: GithubError) -> GithubError {
    match error {
        GithubError::Status {
            call,
            status: 401,
            message,
        } => GithubError::Auth {
            call,
            detail: format!(
                "GitHub rejected the App JWT (401{}): check GITHUB_APP_ID and \
                 GITHUB_APP_PRIVATE_KEY belong to the same App, and that this machine's clock is right",
                message.map(|m| format!(": {m}")).unwrap_or_default()
            ),
        },
        other => other,
    }
}

fn decode<T: DeserializeOwned>(call: &str, body: &[u8]) -> Result<T, GithubError> {
    serde_json::from_slice(body).map_err(|e| GithubError::Decode {
        call: call.to_owned(),
        // serde_json's message names the field and position, never the content.
        detail: e.to_string(),
    })
}

/// GitHub's `message`, shortened; bodies are never reported whole.
fn error_message(body: &[u8]) -> Option<String> {
    let parsed: ErrorBody = serde_json::from_slice(body).ok()?;
    parsed.message.map(|m| m.chars().take(200).collect())
}

fn header(headers: &HeaderMap, name: reqwest::header::HeaderName) -> Option<String> {
    headers.get(name)?.to_str().ok().map(str::to_owned)
}

/// The `rel="next"` target of a `Link` header.
fn next_link(headers: &HeaderMap) -> Option<String> {
    let link = header(headers, LINK)?;
    link.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        let is_next = params
            .split(';')
            .any(|p| p.trim().replace(' ', "") == "rel=\"next\"");
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        is_next.then(|| target.to_owned())
    })
}

/// Locks a std mutex; a panic while holding one of these leaves plain data that is still valid.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_link_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            LINK,
            "<https://api.github.com/x?page=1>; rel=\"prev\", <https://api.github.com/x?page=3>; rel=\"next\", <https://api.github.com/x?page=9>; rel=\"last\""
                .parse()
                .unwrap(),
        );
        assert_eq!(
            next_link(&headers).as_deref(),
            Some("https://api.github.com/x?page=3")
        );
        headers.insert(
            LINK,
            "<https://api.github.com/x?page=1>; rel=\"first\""
                .parse()
                .unwrap(),
        );
        assert_eq!(next_link(&headers), None);
    }
}
