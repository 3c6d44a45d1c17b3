//! The emulator: one axum server on 127.0.0.1 (port 0, never another address) that plays
//! GitHub's REST API, the managed identity endpoint and Azure Resource Manager's Container Apps
//! job API, all in front of one [`World`].
//!
//! The scaler is pointed at it by URL only (`GITHUB_API_URL`, `AZURE_RESOURCE_MANAGER_URL`,
//! `IDENTITY_ENDPOINT`); it talks to it with its ordinary HTTP clients. Handlers lock the
//! shared state briefly and never across an await, so the driver can step the world between
//! ticks without racing the server.

pub mod azure;
pub mod calls;
pub mod faults;
pub mod github;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::extract::State as AxumState;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::world::World;
use azure::AzureState;
use calls::{CallKind, CallLog};
use faults::{Fault, Faults};
use github::auth::GithubAuth;
use github::rate::RateLimits;
use github::render::Site;

/// How the emulated platforms are set up. `Debug` hides the identity secret.
#[derive(Clone)]
pub struct EmulatorConfig {
    /// The GitHub App's id (accepted as the JWT `iss`).
    pub app_id: String,
    /// The GitHub App's client id (also accepted as `iss`).
    pub client_id: String,
    /// The App's one installation, on the organisation.
    pub installation_id: u64,
    /// The App's public key, PKCS#1 DER.
    pub app_public_key_der: Vec<u8>,
    /// Lifetime of installation tokens (GitHub: one hour).
    pub github_token_lifetime: Duration,
    /// Requests per hour per installation (GitHub: 5,000 at least).
    pub rate_limit: u32,
    /// Subscription of the Container Apps job.
    pub subscription_id: String,
    /// Resource group of the job.
    pub resource_group: String,
    /// The managed identity endpoint's shared secret (`IDENTITY_HEADER`).
    pub identity_header: String,
    /// Lifetime of ARM tokens. App Service hands out tokens valid for about a day.
    pub arm_token_lifetime: Duration,
    /// Executions per page of the executions list.
    pub executions_page_size: usize,
}

impl EmulatorConfig {
    /// The sandbox's usual setup for an App with public key `app_public_key_der`; the
    /// identity secret is random for each run.
    pub fn new(app_public_key_der: Vec<u8>) -> Self {
        use rand::RngExt;
        let secret: u128 = rand::rng().random();
        Self {
            app_id: "424242".into(),
            client_id: "Iv23liSandboxApp0001".into(),
            installation_id: 4_242_001,
            app_public_key_der,
            github_token_lifetime: Duration::hours(1),
            rate_limit: 5_000,
            subscription_id: "00000000-5a4d-b0c5-0000-00000000aca0".into(),
            resource_group: "rg-sandbox".into(),
            identity_header: format!("{secret:032x}"),
            arm_token_lifetime: Duration::hours(24),
            executions_page_size: 20,
        }
    }
}

impl std::fmt::Debug for EmulatorConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatorConfig")
            .field("app_id", &self.app_id)
            .field("installation_id", &self.installation_id)
            .field("rate_limit", &self.rate_limit)
            .field("subscription_id", &self.subscription_id)
            .field("resource_group", &self.resource_group)
            .field("identity_header", &"[redacted]")
            .finish_non_exhaustive()
    }
}

/// GitHub's own state: who may call and how much.
#[derive(Debug)]
pub struct GithubState {
    auth: GithubAuth,
    rate: RateLimits,
}

/// Everything behind the emulator, locked as one.
#[derive(Debug)]
pub struct State {
    /// The simulated world.
    pub world: World,
    /// Every call answered.
    pub calls: CallLog,
    github: GithubState,
    azure: AzureState,
    faults: Faults,
    base: String,
}

impl State {
    /// Root URL, no trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    fn site(&self) -> Site<'_> {
        Site {
            base: &self.base,
            org: &self.world.config().org,
        }
    }

    /// Whether `login` is the simulated organisation (logins are case-insensitive).
    pub fn is_org(&self, login: &str) -> bool {
        login.eq_ignore_ascii_case(&self.world.config().org)
    }

    /// The GitHub rate limits, for the summary.
    pub fn rate_limits(&self) -> &RateLimits {
        &self.github.rate
    }

    /// Installation tokens issued so far.
    pub fn github_tokens_issued(&self) -> usize {
        self.github.auth.tokens_issued()
    }

    /// ARM tokens issued so far.
    pub fn arm_tokens_issued(&self) -> usize {
        self.azure.tokens_issued()
    }

    /// Makes upcoming calls fail (see [`Fault`]).
    pub fn inject(&mut self, fault: Fault) {
        self.faults.inject(fault);
    }
}

/// The state as the handlers share it.
pub type Shared = Arc<Mutex<State>>;

/// Locks the state. A poisoned lock means a handler panicked mid-change; the sandbox keeps
/// going with what is there rather than failing every later call.
pub fn lock(shared: &Shared) -> MutexGuard<'_, State> {
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

/// The emulator's routes over `shared`, without a socket (tests can call it directly).
pub fn router(shared: Shared) -> Router {
    github::routes()
        .merge(azure::routes())
        .fallback(unknown)
        .with_state(shared)
}

/// Anything else: 404 in the style of the API the path belongs to (for GitHub through its
/// pipeline, so even a wrong path gets GitHub's headers).
async fn unknown(AxumState(shared): AxumState<Shared>, request: github::GithubRequest) -> Response {
    let path = request.uri().path();
    if !path.starts_with("/subscriptions/") {
        return request.respond(CallKind::GithubOther, github::Need::Nothing, |_, _| {
            Err(github::GhError::not_found())
        });
    }
    let message = format!("No route for {path}.");
    let error = json!({"error": {"code": "NotFound", "message": message}});
    lock(&shared).calls.record(CallKind::ArmOther, 404);
    (StatusCode::NOT_FOUND, axum::Json(error)).into_response()
}

/// A running emulator. Dropping it stops the server.
#[derive(Debug)]
pub struct Emulator {
    base: String,
    shared: Shared,
    shutdown: Option<oneshot::Sender<()>>,
    server: JoinHandle<()>,
}

impl Emulator {
    /// Binds 127.0.0.1 on a free port and serves `world` there.
    pub async fn start(world: World, config: EmulatorConfig) -> std::io::Result<Self> {
        let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await?;
        let base = format!("http://{}", listener.local_addr()?);
        let github = GithubState {
            auth: GithubAuth::new(
                &config.app_id,
                &config.client_id,
                config.installation_id,
                &config.app_public_key_der,
                config.github_token_lifetime,
            ),
            rate: RateLimits::new(config.rate_limit),
        };
        let azure = AzureState::new(
            &config.subscription_id,
            &config.resource_group,
            &config.identity_header,
            config.arm_token_lifetime,
            config.executions_page_size,
        );
        let shared = Arc::new(Mutex::new(State {
            world,
            calls: CallLog::default(),
            github,
            azure,
            faults: Faults::default(),
            base: base.clone(),
        }));

        let (shutdown, stopped) = oneshot::channel::<()>();
        let app = router(shared.clone());
        let server = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(error) = serve.await {
                tracing::warn!(%error, "sandbox emulator stopped");
            }
        });
        Ok(Self {
            base,
            shared,
            shutdown: Some(shutdown),
            server,
        })
    }

    /// Root URL (`http://127.0.0.1:PORT`, no trailing slash).
    pub fn url(&self) -> &str {
        &self.base
    }

    /// The shared state (for handlers mounted elsewhere, and tests).
    pub fn shared(&self) -> &Shared {
        &self.shared
    }

    /// Runs `f` on the locked state.
    pub fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        f(&mut lock(&self.shared))
    }

    /// Steps the world to `target`.
    pub fn advance_to(&self, target: DateTime<Utc>) {
        self.with(|state| state.world.advance_to(target));
    }

    /// Stops the server and waits for it.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        let _ = (&mut self.server).await;
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}
