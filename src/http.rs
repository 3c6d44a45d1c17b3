//! The one HTTP client configuration shared by the GitHub and ARM clients.

use std::time::Duration;

/// `User-Agent` of every request: GitHub rejects requests without one.
pub const USER_AGENT: &str = concat!("aca-runner-scaler/", env!("CARGO_PKG_VERSION"));

/// How long one request may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// What went wrong with a request that got no answer, in words an operator can act on
/// (reqwest's own text is the same "error sending request" for a timeout and a refusal).
pub fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        format!(
            "no answer within {} s (timed out)",
            REQUEST_TIMEOUT.as_secs()
        )
    } else if error.is_connect() {
        let mut cause: &dyn std::error::Error = error;
        while let Some(next) = cause.source() {
            cause = next;
        }
        format!("could not connect ({cause})")
    } else {
        error.to_string()
    }
}

/// A client with the timeouts a tick can afford: a call that hangs must not hold the tick (and
/// the invocation) until the Functions timeout.
pub fn client() -> reqwest::Client {
    // reqwest is built without a TLS provider of its own (see Cargo.toml); install ring's once
    // per process. A second install fails harmlessly, which is why the result is ignored.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(Duration::from_secs(10))
        .timeout(REQUEST_TIMEOUT)
        // Redirects could carry the Authorization header to another host; neither API needs them.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("the HTTP client configuration is static and valid")
}
