//! The driver: the real scaler, unchanged, against the emulator.
//!
//! It generates the sandbox App's key, starts the emulator, builds the scaler's settings the
//! way an operator would (every URL pointed at the emulator), serves the real custom handler
//! on 127.0.0.1:0, and for each simulated minute steps the world to that minute and invokes
//! the handler's timer function exactly as the Functions host does, waiting for its answer.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::ops::ControlFlow;
use std::sync::Arc;

use anyhow::{Context, bail};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use super::emulator::calls::{Api, CallLog};
use super::emulator::{Emulator, EmulatorConfig};
use super::fingerprint::hex_id;
use super::keys::AppKeyPair;
use super::options::SandboxOptions;
use super::summary::{RunContext, Summary, TickLine};
use super::workload::{QUIET_REPOS, STATIC_RUNNER, default_day, read_trace};
use super::world::{World, WorldConfig};
use crate::clock::ManualClock;
use crate::host;
use crate::host::routes::{TIMER_BINDING, TIMER_FUNCTION};
use crate::reconcile::Scaler;
use crate::settings::Settings;

/// The organisation the sandbox plays.
pub const ORG: &str = "sandbox-org";
/// The Container Apps job.
pub const JOB_NAME: &str = "gh-runners";
/// Its runner container.
pub const CONTAINER: &str = "runner";
/// The env var carrying the JIT config (the scaler's default, set explicitly so both sides
/// agree by construction).
pub const JIT_ENV: &str = "ACTIONS_RUNNER_INPUT_JITCONFIG";
/// What the Functions host calls itself.
const HOST_AGENT: &str = "Azure-Functions-Host/4.1037.0";

/// Runs the simulation and calls `on_tick` after every tick; prints nothing. `on_tick` says
/// whether to go on: [`ControlFlow::Break`] ends the run after that tick, and the summary
/// then covers the ticks run.
pub async fn simulate(
    options: &SandboxOptions,
    mut on_tick: impl FnMut(&TickLine) -> ControlFlow<()>,
) -> anyhow::Result<Summary> {
    options.check().map_err(anyhow::Error::msg)?;
    let (workload, workload_name, default) = match &options.trace {
        Some(path) => (
            read_trace(path)?,
            format!("trace {}", path.display()),
            false,
        ),
        None => (
            default_day(options.seed, options.duration),
            "default day".to_owned(),
            true,
        ),
    };
    let clock = ManualClock::new(options.start);
    let world = World::new(world_config(options, default), &workload, clock.clone());

    let keys = AppKeyPair::generate()?;
    let emulator_config = EmulatorConfig::new(keys.public_der().to_vec());
    let emulator = Emulator::start(world, emulator_config.clone())
        .await
        .context("starting the sandbox emulator on 127.0.0.1")?;

    let vars = settings_vars(
        options,
        &emulator_config,
        emulator.url(),
        keys.private_pem(),
    );
    let loaded = Settings::from_vars(&vars).map_err(|e| {
        anyhow::anyhow!(
            "the scaler refused the settings made from the sandbox's options (--labels, \
             --warm-schedule, --max-executions, --max-starts-per-tick, --boot-grace):\n{e}"
        )
    })?;
    let boot_grace = loaded.settings.pool.boot_grace;
    let scaler = Arc::new(Scaler::new(
        loaded.settings,
        Arc::new(clock.clone()),
        Some(options.seed),
    )?);
    let handler = Handler::start(scaler.clone()).await?;

    let mut ticks = Vec::new();
    let mut problems = Vec::new();
    let labels = options.label_list();
    for minute in 0..options.duration.num_minutes() {
        let at = options.start + Duration::minutes(minute);
        emulator.advance_to(at);
        let before = emulator.with(|s| counters(&s.calls, s.world.starts()));

        let reply = handler.invoke_timer(at, options.seed, minute as u64).await;
        let ok = match reply {
            Ok(lines) => note_problems(&lines, &mut problems),
            Err(e) => {
                remember(&mut problems, format!("{}: {e:#}", at.format("%H:%MZ")));
                false
            }
        };

        let line = emulator.with(|s| {
            let after = counters(&s.calls, s.world.starts());
            TickLine {
                at,
                census: s.world.census(&labels),
                started: after.2 - before.2,
                github_calls: after.0 - before.0,
                not_modified: after.1 - before.1,
                ok,
            }
        });
        let flow = on_tick(&line);
        ticks.push(line);
        if flow.is_break() {
            break;
        }
    }

    let length = Duration::minutes(ticks.len() as i64);
    emulator.advance_to(options.start + length);
    let context = RunContext {
        seed: options.seed,
        workload: workload_name,
        length,
        boot_time: options.boot_time,
        boot_grace,
        replica_timeout: options.replica_timeout,
        labels,
        max_executions: options.max_executions,
        problems,
    };
    let summary = emulator.with(|s| Summary::compute(s, &ticks, &context));
    handler.stop().await;
    scaler.drain().await;
    emulator.stop().await;
    Ok(summary)
}

/// (GitHub calls, GitHub 304s, executions started) so far.
fn counters(calls: &CallLog, starts: u64) -> (u64, u64, u64) {
    (
        calls.total(Api::Github),
        calls.with_status(Api::Github, 304),
        starts,
    )
}

/// Keeps the handler's failure lines (failed reads and starts); returns whether the tick was
/// clean.
fn note_problems(lines: &[String], problems: &mut Vec<String>) -> bool {
    let mut ok = true;
    for line in lines {
        if line.starts_with("read failed") || line.starts_with("start failed") {
            ok &= !line.starts_with("read failed");
            remember(problems, line.clone());
        }
    }
    ok
}

fn remember(problems: &mut Vec<String>, problem: String) {
    if problems.len() < 10 && !problems.contains(&problem) {
        problems.push(problem);
    }
}

/// The world the options describe. The default day also brings quiet repositories and a
/// static Windows host outside the pool.
fn world_config(options: &SandboxOptions, default_day: bool) -> WorldConfig {
    WorldConfig {
        start: options.start,
        seed: options.seed,
        org: ORG.into(),
        extra_repos: if default_day {
            QUIET_REPOS.iter().map(|r| r.to_string()).collect()
        } else {
            Vec::new()
        },
        job_name: JOB_NAME.into(),
        container_name: CONTAINER.into(),
        image: "actions-runner:sandbox".into(),
        replica_timeout: options.replica_timeout,
        boot_time: options.boot_time,
        exit_delay: Duration::seconds(10),
        jitconfig_env: JIT_ENV.into(),
        static_runners: if default_day {
            let (name, labels) = STATIC_RUNNER;
            vec![(name.into(), labels.iter().map(|l| l.to_string()).collect())]
        } else {
            Vec::new()
        },
    }
}

/// The scaler's settings, as an operator would write them for this organisation and job,
/// with every URL on the emulator.
pub fn settings_vars(
    options: &SandboxOptions,
    emulator: &EmulatorConfig,
    base: &str,
    private_pem: &str,
) -> BTreeMap<String, String> {
    let mut vars: BTreeMap<String, String> = [
        ("GITHUB_OWNER", ORG.to_owned()),
        ("GITHUB_APP_ID", emulator.app_id.clone()),
        ("GITHUB_APP_PRIVATE_KEY", private_pem.to_owned()),
        ("GITHUB_API_URL", base.to_owned()),
        ("RUNNER_LABELS", options.label_list().join(",")),
        ("RUNNER_JITCONFIG_ENV", JIT_ENV.to_owned()),
        ("MAX_EXECUTIONS", options.max_executions.to_string()),
        (
            "RUNNER_BOOT_GRACE",
            options.boot_grace().num_seconds().to_string(),
        ),
        ("AZURE_SUBSCRIPTION_ID", emulator.subscription_id.clone()),
        ("AZURE_RESOURCE_GROUP", emulator.resource_group.clone()),
        ("ACA_JOB_NAME", JOB_NAME.to_owned()),
        ("AZURE_RESOURCE_MANAGER_URL", base.to_owned()),
        ("IDENTITY_ENDPOINT", format!("{base}/msi/token")),
        ("IDENTITY_HEADER", emulator.identity_header.clone()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    if let Some(n) = options.max_starts_per_tick {
        vars.insert("MAX_STARTS_PER_TICK".into(), n.to_string());
    }
    if let Some(schedule) = &options.warm_schedule {
        vars.insert("WARM_SCHEDULE".into(), schedule.clone());
    }
    vars
}

/// The real custom handler, served on 127.0.0.1:0.
struct Handler {
    url: String,
    http: reqwest::Client,
    shutdown: oneshot::Sender<()>,
    server: tokio::task::JoinHandle<()>,
}

impl Handler {
    async fn start(scaler: Arc<Scaler>) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .await
            .context("binding the handler to 127.0.0.1")?;
        let url = format!("http://{}", listener.local_addr()?);
        let (shutdown, stopped) = oneshot::channel::<()>();
        let app = host::app(scaler);
        let server = tokio::spawn(async move {
            let served = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(error) = served.await {
                tracing::warn!(%error, "sandbox handler stopped");
            }
        });
        // reqwest is built without a TLS provider of its own; the handler is plain http, but
        // building a client still wants one installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .user_agent(HOST_AGENT)
            .timeout(std::time::Duration::from_secs(120))
            .build()
            .context("building the host's HTTP client")?;
        Ok(Self {
            url,
            http,
            shutdown,
            server,
        })
    }

    /// `POST /reconcile-timer` with the timer payload, as the Functions host sends it; returns
    /// the invocation's log lines.
    async fn invoke_timer(
        &self,
        at: DateTime<Utc>,
        seed: u64,
        tick: u64,
    ) -> anyhow::Result<Vec<String>> {
        let stamp = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Micros, false);
        let last = at - Duration::minutes(1);
        let body = json!({
            "Data": {TIMER_BINDING: {
                "Schedule": {"AdjustForDST": true},
                "ScheduleStatus": {"Last": stamp(last), "Next": stamp(at + Duration::minutes(1)), "LastUpdated": stamp(last)},
                "IsPastDue": false,
            }},
            "Metadata": {"sys": {"MethodName": TIMER_FUNCTION, "UtcNow": stamp(at), "RandGuid": guid(seed, tick + 1_000_000)}},
        });
        let response = self
            .http
            .post(format!("{}/{TIMER_FUNCTION}", self.url))
            .header("X-Azure-Functions-InvocationId", guid(seed, tick))
            .header("X-Azure-Functions-HostVersion", "4.1037.0")
            .json(&body)
            .send()
            .await
            .context("invoking the timer function")?;
        let status = response.status();
        let reply: Value = response
            .json()
            .await
            .context("the handler's reply is not JSON")?;
        if !status.is_success() {
            bail!("the handler answered {status}: {}", reply["Logs"]);
        }
        Ok(reply["Logs"]
            .as_array()
            .map(|lines| {
                lines
                    .iter()
                    .filter_map(|l| l.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default())
    }

    async fn stop(self) {
        let _ = self.shutdown.send(());
        let _ = self.server.await;
    }
}

/// A GUID-shaped id, deterministic for the seed and tick.
fn guid(seed: u64, n: u64) -> String {
    let hex = hex_id(seed, n, 32);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::options::SCALER_BOOT_GRACE;

    #[test]
    fn the_sandbox_knows_the_scalers_default_boot_grace() {
        let keys = AppKeyPair::generate().unwrap();
        let config = EmulatorConfig::new(keys.public_der().to_vec());
        let mut vars = settings_vars(
            &SandboxOptions::default(),
            &config,
            "http://127.0.0.1:9",
            keys.private_pem(),
        );
        assert_eq!(vars["RUNNER_BOOT_GRACE"], "300", "set explicitly");

        vars.remove("RUNNER_BOOT_GRACE");
        let loaded = Settings::from_vars(&vars).unwrap();
        assert_eq!(loaded.settings.pool.boot_grace, SCALER_BOOT_GRACE);
    }
}
