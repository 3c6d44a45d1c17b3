//! GitHub credentials: App JWTs and installation tokens that refresh themselves.
//!
//! Installation tokens live one hour. The cache refreshes a token at least five minutes before
//! `expires_at`, lets one refresh run at a time (concurrent repository reads wait for it and
//! share the result), and drops a token GitHub rejected so the next call mints a fresh one.

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, Header};
use serde::Serialize;
use tokio::sync::Mutex;

use crate::refresh::refresh_instant;
use crate::settings::{AppKey, Secret};

/// Claims of a GitHub App JWT.
#[derive(Serialize)]
struct Claims<'a> {
    iat: i64,
    exp: i64,
    iss: &'a str,
    jti: String,
}

/// Signs a GitHub App JWT valid from 60 s ago (clock drift between us and GitHub) for 9
/// minutes (GitHub refuses more than 10).
pub fn app_jwt(app_id: &str, key: &AppKey, now: DateTime<Utc>) -> Result<Secret, String> {
    static SEQUENCE: AtomicU64 = AtomicU64::new(0);
    let claims = Claims {
        iat: (now - Duration::seconds(60)).timestamp(),
        exp: (now + Duration::minutes(9)).timestamp(),
        iss: app_id,
        // Unique per JWT: two JWTs signed within the same second stay distinguishable.
        jti: format!(
            "{}-{}-{}",
            now.timestamp_micros(),
            std::process::id(),
            SEQUENCE.fetch_add(1, Ordering::Relaxed)
        ),
    };
    jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, key.encoding_key())
        .map(Secret::new)
        .map_err(|e| format!("could not sign the GitHub App JWT: {e}"))
}

/// A minted installation token.
#[derive(Clone)]
pub struct InstallationToken {
    pub token: Secret,
    pub expires_at: DateTime<Utc>,
}

/// A cached token and the instant to replace it.
struct Cached {
    token: Secret,
    refresh_at: DateTime<Utc>,
}

/// The installation token cache. The mutex is held across a refresh: that is what makes one
/// refresh at a time.
#[derive(Default)]
pub struct TokenCache {
    slot: Mutex<Option<Cached>>,
    minted: AtomicU64,
}

impl TokenCache {
    /// The cached token if fresh, else the result of `mint` (cached on success).
    pub async fn get_or_mint<F, Fut, E>(&self, now: DateTime<Utc>, mint: F) -> Result<Secret, E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<InstallationToken, E>>,
    {
        let mut slot = self.slot.lock().await;
        if let Some(cached) = slot.as_ref().filter(|c| now < c.refresh_at) {
            return Ok(cached.token.clone());
        }
        let token = mint().await?;
        self.minted.fetch_add(1, Ordering::Relaxed);
        *slot = Some(Cached {
            token: token.token.clone(),
            refresh_at: refresh_instant(now, token.expires_at),
        });
        Ok(token.token)
    }

    /// Forgets `rejected` if it is still the cached token. Comparing first means that when
    /// several calls fail with the same token at once, only the first drop triggers a refresh.
    pub async fn invalidate(&self, rejected: &Secret) {
        let mut slot = self.slot.lock().await;
        if slot.as_ref().is_some_and(|c| &c.token == rejected) {
            *slot = None;
        }
    }

    /// How many tokens were minted since start.
    pub fn minted(&self) -> u64 {
        self.minted.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use std::sync::Arc;

    fn token(value: &str, expires_at: DateTime<Utc>) -> InstallationToken {
        InstallationToken {
            token: Secret::new(value),
            expires_at,
        }
    }

    #[tokio::test]
    async fn a_token_is_reused_until_five_minutes_before_it_expires() {
        let t0 = Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 0).unwrap();
        let cache = TokenCache::default();
        let expires = t0 + Duration::hours(1);
        let first = cache
            .get_or_mint(t0, || async { Ok::<_, ()>(token("one", expires)) })
            .await
            .unwrap();
        let later = t0 + Duration::minutes(54);
        let second = cache
            .get_or_mint(later, || async { Ok::<_, ()>(token("two", expires)) })
            .await
            .unwrap();
        let near_expiry = t0 + Duration::minutes(55);
        let third = cache
            .get_or_mint(near_expiry, || async {
                Ok::<_, ()>(token("three", near_expiry + Duration::hours(1)))
            })
            .await
            .unwrap();
        assert_eq!(
            [first.expose(), second.expose(), third.expose()],
            ["one", "one", "three"]
        );
        assert_eq!(cache.minted(), 2);
    }

    #[tokio::test]
    async fn concurrent_callers_share_one_refresh() {
        let t0 = Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 0).unwrap();
        let cache = Arc::new(TokenCache::default());
        let calls = Arc::new(AtomicU64::new(0));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let cache = cache.clone();
            let calls = calls.clone();
            tasks.push(tokio::spawn(async move {
                cache
                    .get_or_mint(t0, || async move {
                        calls.fetch_add(1, Ordering::SeqCst);
                        tokio::task::yield_now().await;
                        Ok::<_, ()>(token("shared", t0 + Duration::hours(1)))
                    })
                    .await
                    .unwrap()
            }));
        }
        for task in tasks {
            assert_eq!(task.await.unwrap().expose(), "shared");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn invalidating_a_stale_copy_keeps_the_newer_token() {
        let t0 = Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 0).unwrap();
        let cache = TokenCache::default();
        let new = cache
            .get_or_mint(t0, || async {
                Ok::<_, ()>(token("new", t0 + Duration::hours(1)))
            })
            .await
            .unwrap();
        cache.invalidate(&Secret::new("old")).await;
        let again = cache
            .get_or_mint(t0, || async {
                Ok::<_, ()>(token("newer", t0 + Duration::hours(1)))
            })
            .await
            .unwrap();
        assert_eq!(again, new);
        cache.invalidate(&new).await;
        let after = cache
            .get_or_mint(t0, || async {
                Ok::<_, ()>(token("newer", t0 + Duration::hours(1)))
            })
            .await
            .unwrap();
        assert_eq!(after.expose(), "newer");
    }
}
