//! Acting on the plan: register a runner and start the execution that carries its
//! registration, one at a time, undoing the registration when the start fails.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use tokio::time::Instant;

use super::report::{StartFailure, StartedExecution};
use crate::azure::JobsClient;
use crate::azure::template::{RunnerEnv, execution_template};
use crate::azure::types::{Job, JobTemplate};
use crate::github::GithubClient;
use crate::github::runners::{self, Target};
use crate::settings::{PoolSettings, Registration, Secret};

/// What starting executions produced.
#[derive(Default)]
pub struct Outcome {
    pub started: Vec<StartedExecution>,
    pub failures: Vec<StartFailure>,
    pub warnings: Vec<String>,
}

/// Everything a start needs.
pub struct Starter<'a> {
    pub github: &'a GithubClient,
    pub jobs: &'a JobsClient,
    pub pool: &'a PoolSettings,
    pub registered_labels: &'a [String],
    pub container: Option<&'a str>,
    /// No start begins after this instant.
    pub deadline: Instant,
}

impl Starter<'_> {
    /// Starts one execution per entry of `starts`, named by `next_name`. Stops at the first
    /// failure: the cause (a throttled API, a broken template, a missing permission) would
    /// most likely fail the next start too, and the next tick tries again.
    pub async fn start_all(
        &self,
        starts: &[Target],
        mut next_name: impl FnMut() -> String,
        mut on_started: impl FnMut(&StartedExecution, DateTime<Utc>),
        now: DateTime<Utc>,
    ) -> Outcome {
        let mut outcome = Outcome::default();
        if starts.is_empty() {
            return outcome;
        }
        // The template is read when there is something to start: it may have changed since
        // the last tick (a new runner image), and an idle tick costs no ARM call for it.
        let template = match self.jobs.get_job().await {
            Ok(job) => {
                outcome.warnings.extend(job_warnings(&job));
                job.properties.template
            }
            Err(error) => {
                outcome.failures.push(StartFailure {
                    runner: "(none)".into(),
                    error: format!("reading the job's template: {error}"),
                    registration_removed: None,
                });
                return outcome;
            }
        };
        let Some(template) = template else {
            outcome.failures.push(StartFailure {
                runner: "(none)".into(),
                error: "the job has no template".into(),
                registration_removed: None,
            });
            return outcome;
        };

        // A template that cannot be built (a wrong ACA_CONTAINER_NAME) would fail every start
        // after its runner was registered: find out before registering anything.
        if let Err(problem) = execution_template(&template, self.container, &[]) {
            outcome.failures.push(StartFailure {
                runner: "(none)".into(),
                error: format!("building the execution template: {problem}"),
                registration_removed: None,
            });
            return outcome;
        }

        let mut registration_tokens: HashMap<Target, Secret> = HashMap::new();
        for (done, target) in starts.iter().enumerate() {
            if Instant::now() >= self.deadline {
                outcome.failures.push(StartFailure {
                    runner: "(none)".into(),
                    error: format!(
                        "out of time for this tick: {} of {} starts left for the next tick",
                        starts.len() - done,
                        starts.len()
                    ),
                    registration_removed: None,
                });
                break;
            }
            let runner = next_name();
            match self
                .start_one(&template, target, &runner, &mut registration_tokens)
                .await
            {
                Ok(execution) => {
                    let started = StartedExecution {
                        execution,
                        runner,
                        target: target.clone(),
                    };
                    tracing::info!(execution = started.execution.as_deref().unwrap_or("(not named yet)"), runner = %started.runner, target = %target, "execution started");
                    on_started(&started, now);
                    outcome.started.push(started);
                }
                Err(failure) => {
                    outcome.failures.push(failure);
                    break;
                }
            }
        }
        outcome
    }

    async fn start_one(
        &self,
        template: &JobTemplate,
        target: &Target,
        runner: &str,
        registration_tokens: &mut HashMap<Target, Secret>,
    ) -> Result<Option<String>, StartFailure> {
        let failure = |error: String, registration_removed| StartFailure {
            runner: runner.to_owned(),
            error,
            registration_removed,
        };

        let mut env = vec![RunnerEnv {
            name: "RUNNER_NAME".into(),
            value: Secret::new(runner),
        }];
        if let Target::Repo(repo) = target {
            env.push(RunnerEnv {
                name: "RUNNER_REPOSITORY".into(),
                value: Secret::new(repo.clone()),
            });
        }
        let mut jit_runner_id = None;
        match self.pool.registration {
            Registration::Jit => {
                let registration = runners::create_jit_config(
                    self.github,
                    target,
                    runner,
                    self.pool.group_id,
                    self.registered_labels,
                )
                .await
                .map_err(|e| failure(format!("registering the runner: {e}"), None))?;
                jit_runner_id = Some(registration.runner_id);
                env.push(RunnerEnv {
                    name: self.pool.jitconfig_env.clone(),
                    value: registration.config,
                });
            }
            Registration::Token => {
                let token = match registration_tokens.get(target) {
                    Some(token) => token.clone(),
                    None => {
                        let (token, _) = runners::create_registration_token(self.github, target)
                            .await
                            .map_err(|e| {
                                failure(format!("getting a registration token: {e}"), None)
                            })?;
                        registration_tokens.insert(target.clone(), token.clone());
                        token
                    }
                };
                env.push(RunnerEnv {
                    name: "RUNNER_TOKEN".into(),
                    value: token,
                });
            }
            Registration::None => {}
        }

        let started = match execution_template(template, self.container, &env) {
            Ok(body) => self
                .jobs
                .start(&body)
                .await
                .map_err(|e| scrub(e.to_string(), &env)),
            Err(problem) => Err(format!("building the execution template: {problem}")),
        };
        match (started, jit_runner_id) {
            (Ok(execution), _) => Ok(execution),
            (Err(error), None) => Err(failure(format!("starting the execution: {error}"), None)),
            (Err(error), Some(id)) => {
                // A registration without its execution would sit offline in the runner list;
                // remove it now.
                let removed = runners::delete_runner(self.github, target, id).await;
                if let Err(e) = &removed {
                    tracing::warn!(runner = %runner, error = %e, "could not delete the registration of a failed start");
                }
                Err(failure(
                    format!("starting the execution: {error}"),
                    Some(removed.is_ok()),
                ))
            }
        }
    }
}

/// ARM error messages may quote the request; the secrets this start sent (JIT config,
/// registration token) must not reach the report or the log through them.
fn scrub(mut message: String, env: &[RunnerEnv]) -> String {
    for variable in env {
        let value = variable.value.expose();
        let public = variable.name == "RUNNER_NAME" || variable.name == "RUNNER_REPOSITORY";
        if !public && value.len() >= 8 {
            message = message.replace(value, "[redacted]");
        }
    }
    message
}

/// Job settings that defeat the one-runner-per-execution model.
fn job_warnings(job: &Job) -> Vec<String> {
    let mut warnings = Vec::new();
    let Some(configuration) = &job.properties.configuration else {
        return warnings;
    };
    match configuration.trigger_type.as_deref() {
        Some(kind) if !kind.eq_ignore_ascii_case("manual") => warnings.push(format!(
            "the job's trigger type is {kind}: set it to Manual, or another scaler (KEDA) starts executions too"
        )),
        _ => {}
    }
    let parallelism = [
        &configuration.manual_trigger_config,
        &configuration.event_trigger_config,
    ]
    .into_iter()
    .flatten()
    .filter_map(|c| c.parallelism)
    .max();
    if let Some(parallelism) = parallelism.filter(|p| *p > 1) {
        warnings.push(format!(
            "the job's parallelism is {parallelism}: each execution then runs several replicas but carries one runner registration; set parallelism and replicaCompletionCount to 1"
        ));
    }
    warnings
}
