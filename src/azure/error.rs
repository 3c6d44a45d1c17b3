//! What can go wrong talking to ARM or the token endpoints.

use chrono::{DateTime, Utc};

/// A failed Azure call. `call` names the request without host or token; no variant carries a
/// response body (execution listings hold runner JIT configs in their environment).
#[derive(Debug, thiserror::Error)]
pub enum AzureError {
    /// ARM answered with an error status.
    #[error("{call}: ARM answered {status}{}", detail.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Status {
        call: String,
        status: u16,
        detail: Option<String>,
    },
    /// ARM is throttling this identity; nothing is sent before `until`.
    #[error("{call}: throttled by ARM until {until}")]
    Throttled { call: String, until: DateTime<Utc> },
    /// No token could be obtained, or ARM rejected it.
    #[error("{call}: {detail}")]
    Credential { call: String, detail: String },
    /// The request did not complete.
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
