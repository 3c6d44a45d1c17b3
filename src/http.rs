//! The one HTTP client configuration shared by the GitHub and ARM clients.

use std::time::Duration;

/// `User-Agent` of every request: GitHub rejects requests without one.
pub const USER_AGENT: &str = concat!("aca-runner-scaler/", env!("CARGO_PKG_VERSION"));

/// A client with the timeouts a tick can afford: a call that hangs must not hold the tick (and
/// the invocation) until the Functions timeout.
pub fn client() -> reqwest::Client {
    // reqwest is built without a TLS provider of its own (see Cargo.toml); install ring's once
    // per process. A second install fails harmlessly, which is why the result is ignored.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        // Redirects could carry the Authorization header to another host; neither API needs them.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("the HTTP client configuration is static and valid")
}
