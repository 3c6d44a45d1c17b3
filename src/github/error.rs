//! What can go wrong talking to GitHub, in the kinds callers branch on.

use chrono::{DateTime, Utc};

/// A failed GitHub call. `call` names the request (`GET /repos/o/r/actions/runs`) so an error in
/// the report says which read failed; no variant carries a token or a response body.
#[derive(Debug, thiserror::Error)]
pub enum GithubError {
    /// GitHub answered with an error status.
    #[error("{call}: GitHub answered {status}{}", message.as_deref().map(|m| format!(" ({m})")).unwrap_or_default())]
    Status {
        call: String,
        status: u16,
        message: Option<String>,
    },
    /// The primary or secondary rate limit is exhausted; nothing is sent before `until`.
    #[error("{call}: rate limited until {until} ({reason})")]
    RateLimited {
        call: String,
        until: DateTime<Utc>,
        reason: String,
    },
    /// Credentials were rejected, or could not be obtained.
    #[error("{call}: {detail}")]
    Auth { call: String, detail: String },
    /// The request did not complete (connection, timeout).
    #[error("{call}: {}", crate::http::describe(source))]
    Transport {
        call: String,
        #[source]
        source: reqwest::Error,
    },
    /// The answer was not what the API describes.
    #[error("{call}: unexpected response: {detail}")]
    Decode { call: String, detail: String },
}

impl GithubError {
    /// The HTTP status GitHub answered, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            GithubError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether this is a rate-limit refusal.
    pub fn is_rate_limited(&self) -> bool {
        matches!(self, GithubError::RateLimited { .. })
    }
}
