//! Shared harness for the sandbox's integration tests: a world, an emulator on 127.0.0.1:0,
//! and a client that speaks to it the way the scaler does.

#![allow(dead_code)] // Each test binary uses a different part of the harness.

use std::sync::OnceLock;

use aca_runner_scaler::clock::ManualClock;
use aca_runner_scaler::sandbox::emulator::{Emulator, EmulatorConfig};
use aca_runner_scaler::sandbox::keys::AppKeyPair;
use aca_runner_scaler::sandbox::workload::{JobSpec, Workload};
use aca_runner_scaler::sandbox::world::{World, WorldConfig};
use chrono::{DateTime, Duration, TimeZone, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::{Method, RequestBuilder, Response};
use serde_json::{Value, json};

pub const ORG: &str = "sandbox-org";
pub const JIT_ENV: &str = "ACTIONS_RUNNER_INPUT_JITCONFIG";
pub const API: &str = "api-version=2025-07-01";

/// One key pair per test binary: RSA key generation is the slowest thing here.
pub fn keys() -> &'static AppKeyPair {
    static KEYS: OnceLock<AppKeyPair> = OnceLock::new();
    KEYS.get_or_init(|| AppKeyPair::generate().expect("key generation"))
}

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 0).unwrap()
}

pub fn world_config() -> WorldConfig {
    WorldConfig {
        start: t0(),
        seed: 1,
        org: ORG.into(),
        extra_repos: vec!["web".into()],
        job_name: "runner-job".into(),
        container_name: "runner".into(),
        image: "runner:latest".into(),
        replica_timeout: Duration::minutes(30),
        boot_time: Duration::seconds(60),
        exit_delay: Duration::seconds(10),
        jitconfig_env: JIT_ENV.into(),
        static_runners: vec![],
    }
}

pub fn job(at_secs: i64, run: u64, labels: &[&str], minutes: i64) -> JobSpec {
    JobSpec {
        at: Duration::seconds(at_secs),
        run,
        repo: "web".into(),
        workflow: "CI".into(),
        name: format!("job-{run}"),
        labels: labels.iter().map(|l| l.to_string()).collect(),
        duration: Duration::minutes(minutes),
        approval: None,
    }
}

pub struct Harness {
    pub emulator: Emulator,
    pub config: EmulatorConfig,
    pub http: reqwest::Client,
}

pub async fn start(jobs: Vec<JobSpec>) -> Harness {
    start_with(jobs, |_| {}).await
}

pub async fn start_with(jobs: Vec<JobSpec>, tweak: impl FnOnce(&mut EmulatorConfig)) -> Harness {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let world = World::new(world_config(), &Workload::new(jobs), ManualClock::new(t0()));
    let mut config = EmulatorConfig::new(keys().public_der().to_vec());
    tweak(&mut config);
    let emulator = Emulator::start(world, config.clone())
        .await
        .expect("emulator starts");
    let http = reqwest::Client::builder()
        .user_agent("sandbox-tests/1")
        .build()
        .unwrap();
    Harness {
        emulator,
        config,
        http,
    }
}

impl Harness {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.emulator.url())
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.emulator.with(|s| s.world.now())
    }

    /// Moves virtual time on by `seconds`.
    pub fn advance(&self, seconds: i64) {
        let target = self.now() + Duration::seconds(seconds);
        self.emulator.advance_to(target);
    }

    /// An App JWT with `iat`/`exp` relative to virtual now, signed with the App's key.
    pub fn jwt_with(&self, iat: i64, exp: i64, iss: &str) -> String {
        let now = self.now().timestamp();
        let claims = json!({"iat": now + iat, "exp": now + exp, "iss": iss});
        let key = EncodingKey::from_rsa_pem(keys().private_pem().as_bytes()).unwrap();
        jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &key).unwrap()
    }

    pub fn jwt(&self) -> String {
        self.jwt_with(-60, 540, &self.config.app_id)
    }

    pub async fn installation_token(&self) -> String {
        let url = self.url(&format!(
            "/app/installations/{}/access_tokens",
            self.config.installation_id
        ));
        let response = self
            .http
            .post(url)
            .bearer_auth(self.jwt())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let body: Value = response.json().await.unwrap();
        body["token"].as_str().unwrap().to_owned()
    }

    pub fn github(&self, method: Method, path: &str, token: &str) -> RequestBuilder {
        self.http.request(method, self.url(path)).bearer_auth(token)
    }

    /// GETs `path` from the emulated GitHub with `token`; the JSON it answers.
    pub async fn github_json(&self, path: &str, token: &str) -> Value {
        json_of(self.github(Method::GET, path, token).send().await.unwrap()).await
    }

    pub async fn arm_token(&self) -> String {
        let url =
            self.url("/msi/token?api-version=2019-08-01&resource=https://management.azure.com");
        let response = self
            .http
            .get(url)
            .header("X-IDENTITY-HEADER", &self.config.identity_header)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }

    pub fn job_path(&self) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.App/jobs/runner-job",
            self.config.subscription_id, self.config.resource_group
        )
    }

    pub fn arm(&self, method: Method, suffix: &str, token: &str) -> RequestBuilder {
        let separator = if suffix.contains('?') { '&' } else { '?' };
        let url = self.url(&format!("{}{suffix}{separator}{API}", self.job_path()));
        self.http.request(method, url).bearer_auth(token)
    }

    /// GETs `suffix` of the job's path from ARM with `token`; the JSON it answers.
    pub async fn arm_json(&self, suffix: &str, token: &str) -> Value {
        json_of(self.arm(Method::GET, suffix, token).send().await.unwrap()).await
    }

    /// Registers a pool runner over the API and returns (runner id, encoded JIT config).
    pub async fn jit(&self, token: &str, name: &str) -> (u64, String) {
        let body = json!({"name": name, "runner_group_id": 1, "labels": ["self-hosted", "linux", "x64"], "work_folder": "_work"});
        let response = self
            .github(
                Method::POST,
                &format!("/orgs/{ORG}/actions/runners/generate-jitconfig"),
                token,
            )
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let body: Value = response.json().await.unwrap();
        (
            body["runner"]["id"].as_u64().unwrap(),
            body["encoded_jit_config"].as_str().unwrap().to_owned(),
        )
    }

    /// Starts an execution carrying `jit` and returns its name.
    pub async fn start_execution(&self, arm_token: &str, jit: &str) -> String {
        let template = json!({"containers": [{"name": "runner", "image": "runner:latest",
            "env": [{"name": JIT_ENV, "value": jit}, {"name": "RUNNER_NAME", "value": "ignored"}],
            "resources": {"cpu": 1.0, "memory": "2Gi"}}]});
        let response = self
            .arm(Method::POST, "/start", arm_token)
            .json(&template)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        body["name"].as_str().unwrap().to_owned()
    }
}

pub async fn json_of(response: Response) -> Value {
    response.json().await.unwrap()
}

/// The `x-ratelimit-remaining` GitHub answered with.
pub fn rate_remaining(response: &Response) -> u32 {
    response.headers()["x-ratelimit-remaining"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// Sends `request` and returns the status it is answered with.
pub async fn status_of(request: RequestBuilder) -> u16 {
    request.send().await.unwrap().status().as_u16()
}
