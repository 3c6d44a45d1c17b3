//! Test harness: fakes of GitHub, ARM and the managed-identity endpoint on 127.0.0.1 (wiremock,
//! port 0), settings pointing at them, a manual clock, and the real scaler and handler.
#![allow(dead_code)] // each test binary uses a different part of the harness

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use aca_runner_scaler::clock::ManualClock;
use aca_runner_scaler::reconcile::Scaler;
use aca_runner_scaler::settings::Settings;
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use wiremock::matchers::{header, method, path, path_regex, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

pub const OWNER: &str = "octo-org";
pub const JOB_PATH: &str =
    "/subscriptions/sub-1/resourceGroups/rg/providers/Microsoft.App/jobs/runners";
pub const IDENTITY_HEADER: &str = "test-identity-header";
pub const INSTALLATION: u64 = 7;

/// Labels of a job the pool serves: `self-hosted` and the default `RUNNER_LABELS`.
pub const POOL: &[&str] = &["self-hosted", "linux", "x64"];

/// The instant every test starts at.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 0).unwrap()
}

/// One App key for the whole test binary (RSA generation is slow).
pub fn app_key() -> &'static str {
    static KEY: OnceLock<String> = OnceLock::new();
    KEY.get_or_init(|| aca_runner_scaler::github::keygen::generate_key_pair(&mut rand::rng()).0)
}

/// Fakes and a clock; the scaler is built from [`World::settings`].
pub struct World {
    pub github: MockServer,
    pub azure: MockServer,
    pub clock: ManualClock,
}

impl World {
    /// Fakes with the defaults mounted: identity, an installation token, no runs, no runners,
    /// no executions, a job with one runner container.
    pub async fn start() -> World {
        let world = World {
            github: MockServer::start().await,
            azure: MockServer::start().await,
            clock: ManualClock::new(t0()),
        };
        world.mount_identity().await;
        world
            .mount_installation_token("ghs_first", t0() + Duration::hours(1))
            .await;
        world.mount_defaults().await;
        world
    }

    /// Settings variables pointing at the fakes; `extra` overrides (an empty value removes).
    pub fn vars(&self, extra: &[(&str, &str)]) -> BTreeMap<String, String> {
        let mut vars: BTreeMap<String, String> = [
            ("GITHUB_OWNER", OWNER.to_owned()),
            ("GITHUB_REPOS", "api,web".to_owned()),
            ("GITHUB_APP_ID", "42".to_owned()),
            ("GITHUB_APP_PRIVATE_KEY", app_key().to_owned()),
            ("GITHUB_APP_INSTALLATION_ID", INSTALLATION.to_string()),
            ("GITHUB_API_URL", self.github.uri()),
            ("RUNNER_LABELS", "linux,x64".to_owned()),
            ("RUNNER_NAME_PREFIX", "pool".to_owned()),
            ("AZURE_SUBSCRIPTION_ID", "sub-1".to_owned()),
            ("AZURE_RESOURCE_GROUP", "rg".to_owned()),
            ("ACA_JOB_NAME", "runners".to_owned()),
            ("AZURE_RESOURCE_MANAGER_URL", self.azure.uri()),
            (
                "IDENTITY_ENDPOINT",
                format!("{}/msi/token", self.azure.uri()),
            ),
            ("IDENTITY_HEADER", IDENTITY_HEADER.to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        for (k, v) in extra {
            if v.is_empty() {
                vars.remove(*k);
            } else {
                vars.insert((*k).to_owned(), (*v).to_owned());
            }
        }
        vars
    }

    pub fn settings(&self, extra: &[(&str, &str)]) -> Settings {
        Settings::from_vars(&self.vars(extra))
            .expect("test settings are valid")
            .settings
    }

    /// The real scaler on the manual clock, with reproducible runner names.
    pub fn scaler(&self, extra: &[(&str, &str)]) -> Arc<Scaler> {
        Arc::new(self.unshared_scaler(extra))
    }

    /// The same, not yet shared (to adjust it first).
    pub fn unshared_scaler(&self, extra: &[(&str, &str)]) -> Scaler {
        Scaler::new(self.settings(extra), Arc::new(self.clock.clone()), Some(1)).unwrap()
    }

    async fn mount_identity(&self) {
        let expires_on = (t0() + Duration::days(1)).timestamp().to_string();
        Mock::given(method("GET"))
            .and(path("/msi/token"))
            .and(query_param("api-version", "2019-08-01"))
            .and(query_param("resource", "https://management.azure.com"))
            .and(header("x-identity-header", IDENTITY_HEADER))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "access_token": "arm-token", "expires_on": expires_on,
                "resource": "https://management.azure.com", "token_type": "Bearer"
            })))
            .mount(&self.azure)
            .await;
    }

    /// Token minting answers `token` (replacing nothing: mount a higher priority to change it).
    pub async fn mount_installation_token(&self, token: &str, expires_at: DateTime<Utc>) {
        Mock::given(method("POST"))
            .and(path(format!(
                "/app/installations/{INSTALLATION}/access_tokens"
            )))
            .respond_with(ResponseTemplate::new(201).set_body_json(
                json!({ "token": token, "expires_at": expires_at, "permissions": {} }),
            ))
            .with_priority(10)
            .mount(&self.github)
            .await;
    }

    async fn mount_defaults(&self) {
        Mock::given(method("GET"))
            .and(path_regex(r"^/repos/octo-org/[^/]+/actions/runs$"))
            .respond_with(ok(json!({ "total_count": 0, "workflow_runs": [] })))
            .with_priority(20)
            .mount(&self.github)
            .await;
        Mock::given(method("GET"))
            .and(path(format!("/orgs/{OWNER}/actions/runners")))
            .respond_with(ok(json!({ "total_count": 0, "runners": [] })))
            .with_priority(20)
            .mount(&self.github)
            .await;
        Mock::given(method("GET"))
            .and(path(format!("{JOB_PATH}/executions")))
            .respond_with(ok(json!({ "value": [], "nextLink": null })))
            .with_priority(20)
            .mount(&self.azure)
            .await;
        Mock::given(method("GET"))
            .and(path(JOB_PATH))
            .respond_with(ok(job_definition()))
            .with_priority(20)
            .mount(&self.azure)
            .await;
    }

    /// `repo` has runs `run_ids` listed under `status`.
    pub async fn mount_runs(&self, repo: &str, status: &str, run_ids: &[u64]) {
        let runs: Vec<Value> = run_ids
            .iter()
            .map(|id| json!({ "id": id, "status": status }))
            .collect();
        Mock::given(method("GET"))
            .and(path(format!("/repos/{OWNER}/{repo}/actions/runs")))
            .and(query_param("status", status))
            .respond_with(ok(
                json!({ "total_count": runs.len(), "workflow_runs": runs }),
            ))
            .mount(&self.github)
            .await;
    }

    /// `repo` has one queued run, `run_id`, whose jobs `job_ids` all wait for the pool.
    pub async fn mount_queued_jobs(
        &self,
        repo: &str,
        run_id: u64,
        job_ids: impl IntoIterator<Item = u64>,
    ) {
        self.mount_runs(repo, "queued", &[run_id]).await;
        let jobs = job_ids
            .into_iter()
            .map(|id| job(id, run_id, "queued", POOL, None))
            .collect();
        self.mount_jobs(repo, run_id, jobs).await;
    }

    /// The jobs of a run, on one page.
    pub async fn mount_jobs(&self, repo: &str, run_id: u64, jobs: Vec<Value>) {
        Mock::given(method("GET"))
            .and(path(format!(
                "/repos/{OWNER}/{repo}/actions/runs/{run_id}/jobs"
            )))
            .respond_with(ok(json!({ "total_count": jobs.len(), "jobs": jobs })))
            .mount(&self.github)
            .await;
    }

    /// The organization's runners.
    pub async fn mount_runners(&self, runners: Vec<Value>) {
        Mock::given(method("GET"))
            .and(path(format!("/orgs/{OWNER}/actions/runners")))
            .respond_with(ok(
                json!({ "total_count": runners.len(), "runners": runners }),
            ))
            .mount(&self.github)
            .await;
    }

    /// The job's executions.
    pub async fn mount_executions(&self, executions: Vec<Value>) {
        Mock::given(method("GET"))
            .and(path(format!("{JOB_PATH}/executions")))
            .respond_with(ok(json!({ "value": executions, "nextLink": null })))
            .mount(&self.azure)
            .await;
    }

    /// JIT registration answering runner ids from 1000 upwards, echoing the name.
    pub async fn mount_jit(&self) {
        let next = Arc::new(std::sync::atomic::AtomicU64::new(1000));
        Mock::given(method("POST"))
            .and(path(format!("/orgs/{OWNER}/actions/runners/generate-jitconfig")))
            .respond_with(move |request: &Request| {
                let body: Value = serde_json::from_slice(&request.body).unwrap();
                let id = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                ResponseTemplate::new(201).set_body_json(json!({
                    "runner": { "id": id, "name": body["name"], "os": "unknown", "status": "offline", "busy": false, "labels": [] },
                    "encoded_jit_config": format!("JITCONFIG-SECRET-{id}")
                }))
            })
            .mount(&self.github)
            .await;
    }

    /// Execution starts answering `runners-exec-N`.
    pub async fn mount_start(&self) {
        let next = Arc::new(std::sync::atomic::AtomicU64::new(1));
        Mock::given(method("POST"))
            .and(path(format!("{JOB_PATH}/start")))
            .and(query_param("api-version", "2025-07-01"))
            .respond_with(move |_: &Request| {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                ResponseTemplate::new(200).set_body_json(json!({
                    "name": format!("runners-exec-{n}"),
                    "id": format!("{JOB_PATH}/executions/runners-exec-{n}")
                }))
            })
            .mount(&self.azure)
            .await;
    }

    /// Requests the GitHub fake received on `path` with `method`.
    pub async fn github_requests(&self, verb: &str, path_prefix: &str) -> Vec<Request> {
        requests(&self.github, verb, path_prefix).await
    }

    /// Requests the ARM fake received on `path` with `method`.
    pub async fn azure_requests(&self, verb: &str, path_prefix: &str) -> Vec<Request> {
        requests(&self.azure, verb, path_prefix).await
    }

    /// The organisation's JIT runner registrations the GitHub fake received.
    pub async fn jit_requests(&self) -> Vec<Request> {
        let path = format!("/orgs/{OWNER}/actions/runners/generate-jitconfig");
        self.github_requests("POST", &path).await
    }

    /// The installation tokens the GitHub fake was asked to mint.
    pub async fn token_requests(&self) -> Vec<Request> {
        self.github_requests("POST", "/app/installations/").await
    }

    /// The execution starts the ARM fake received.
    pub async fn start_requests(&self) -> Vec<Request> {
        self.azure_requests("POST", &format!("{JOB_PATH}/start"))
            .await
    }
}

async fn requests(server: &MockServer, verb: &str, path_prefix: &str) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.method.as_str() == verb && r.url.path().starts_with(path_prefix))
        .collect()
}

pub fn ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_json(body)
        .insert_header("x-ratelimit-limit", "5000")
        .insert_header("x-ratelimit-remaining", "4990")
        .insert_header(
            "x-ratelimit-reset",
            (t0() + Duration::hours(1)).timestamp().to_string(),
        )
}

/// A workflow job as GitHub lists it.
pub fn job(id: u64, run_id: u64, status: &str, labels: &[&str], runner: Option<&str>) -> Value {
    json!({
        "id": id, "run_id": run_id, "status": status, "conclusion": null,
        "created_at": t0() - Duration::minutes(2), "started_at": t0() - Duration::minutes(2),
        "name": format!("job {id}"), "labels": labels,
        "runner_id": null, "runner_name": runner, "runner_group_id": null, "runner_group_name": null
    })
}

/// A self-hosted runner as GitHub lists it.
pub fn runner(id: u64, name: &str, online: bool, busy: bool) -> Value {
    json!({
        "id": id, "name": name, "os": "linux", "status": if online { "online" } else { "offline" },
        "busy": busy, "ephemeral": true,
        "labels": [{ "id": 1, "name": "self-hosted", "type": "read-only" }]
    })
}

/// A running execution of `runner`, started `age` ago (see [`execution`]).
pub fn running(name: &str, age: Duration, runner: &str) -> Value {
    execution(name, "Running", age, Some(runner))
}

/// An execution as ARM lists it, started `age` ago, with `RUNNER_NAME` in its environment.
pub fn execution(name: &str, status: &str, age: Duration, runner: Option<&str>) -> Value {
    let env: Vec<Value> = runner
        .map(|r| vec![json!({ "name": "RUNNER_NAME", "value": r }), json!({ "name": "ACTIONS_RUNNER_INPUT_JITCONFIG", "value": "JITCONFIG-SECRET-OLD" })])
        .unwrap_or_default();
    json!({
        "name": name,
        "id": format!("{JOB_PATH}/executions/{name}"),
        "type": "Microsoft.App/jobs/executions",
        "properties": {
            "status": status,
            "startTime": t0() - age,
            "template": { "containers": [{ "name": "runner", "image": "runner:1", "env": env }] }
        }
    })
}

/// The job definition: manual trigger, one runner container.
pub fn job_definition() -> Value {
    json!({
        "id": JOB_PATH, "name": "runners", "type": "Microsoft.App/jobs",
        "properties": {
            "provisioningState": "Succeeded",
            "configuration": {
                "triggerType": "Manual", "replicaTimeout": 3600, "replicaRetryLimit": 0,
                "manualTriggerConfig": { "replicaCompletionCount": 1, "parallelism": 1 }
            },
            "template": {
                "containers": [{
                    "name": "runner", "image": "ghcr.io/actions/actions-runner:latest",
                    "command": ["/home/runner/run.sh"],
                    "resources": { "cpu": 1.0, "memory": "2Gi" },
                    "env": [{ "name": "RUNNER_ALLOW_RUNASROOT", "value": "1" }]
                }]
            }
        }
    })
}

/// Serves the real handler on 127.0.0.1:0; returns its address and a trigger that shuts it
/// down (the stand-in for SIGTERM), and the serve task.
pub async fn serve(
    scaler: Arc<Scaler>,
) -> (
    SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(aca_runner_scaler::host::serve(
        listener,
        scaler,
        async move {
            let _ = stopped.await;
        },
    ));
    (address, stop, task)
}

/// A timer invocation body as the Functions host sends it.
pub fn timer_payload() -> Value {
    json!({
        "Data": { "timer": {
            "Schedule": { "AdjustForDST": true },
            "ScheduleStatus": { "Last": "2026-12-04T11:59:00+00:00", "Next": "2026-12-04T12:01:00+00:00", "LastUpdated": "2026-12-04T11:59:00+00:00" },
            "IsPastDue": false
        }},
        "Metadata": { "sys": { "MethodName": "reconcile-timer", "UtcNow": "2026-12-04T12:00:00.0123Z", "RandGuid": "0f4c2a9e-8c47-4d83-b0a2-0c8e7f1b3a11" } }
    })
}

/// An HTTP invocation body as the Functions host sends it (header arrays, Query object, no
/// Body since the caller sent no content).
pub fn http_payload(query: Value) -> Value {
    // The Url carries the same query the Query object does, as on the host.
    let pairs: Vec<String> = query
        .as_object()
        .map(|map| {
            map.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default();
    let url = match pairs.is_empty() {
        true => "https://scaler.azurewebsites.net/api/reconcile".to_owned(),
        false => format!(
            "https://scaler.azurewebsites.net/api/reconcile?{}",
            pairs.join("&")
        ),
    };
    json!({
        "Data": { "req": {
            "Url": url,
            "Method": "POST",
            "Query": query,
            "Headers": { "Host": ["scaler.azurewebsites.net"], "User-Agent": ["curl/8.5.0"], "x-functions-key": ["redacted"] },
            "Params": {},
            "Identities": [{ "AuthenticationType": "WebJobsAuthLevel", "IsAuthenticated": true }]
        }},
        "Metadata": { "Query": query, "Headers": { "Host": "scaler.azurewebsites.net" }, "sys": { "MethodName": "reconcile" } }
    })
}

/// POSTs an invocation to the handler as the host does.
pub async fn invoke(address: SocketAddr, function: &str, body: &Value) -> (u16, Value) {
    let response = aca_runner_scaler::http::client()
        .post(format!("http://{address}/{function}"))
        .header(
            "X-Azure-Functions-InvocationId",
            "6f0b5c5e-1111-2222-3333-444455556666",
        )
        .header("X-Azure-Functions-HostVersion", "4.1037.0.0")
        .header("User-Agent", "Azure-Functions-Host/4.1037.0.0")
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("reply is not JSON ({e}): {text:?}"));
    (status, value)
}
