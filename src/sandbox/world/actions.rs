//! What the APIs do to the world: JIT registrations and runner deletion on the GitHub side,
//! execution start and stop on the Container Apps side, and the runner process reading its JIT
//! config when its execution has booted.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngExt;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::agenda::Event;
use super::labels::is_default;
use super::model::{EndReason, Execution, ExecutionStatus, Label, Runner, Scope};
use super::{OFFLINE_LIMIT, World};

/// The runner group every runner here belongs to (GitHub's `Default` group has id 1).
pub const DEFAULT_GROUP_ID: u64 = 1;

/// A JIT registration handed out, waiting for its runner process.
#[derive(Debug, Clone)]
pub struct JitGrant {
    /// The runner registration it belongs to.
    pub runner_id: u64,
    /// Whether a runner process already registered with it (JIT configs are single-use).
    pub used: bool,
}

/// What an encoded JIT config holds. Only the emulator reads it; to the scaler it is opaque.
#[derive(Serialize, Deserialize)]
struct JitPayload {
    runner_id: u64,
    nonce: String,
}

/// Why a JIT registration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JitError {
    /// Names are unique within the organisation (compared case-insensitively).
    #[error("Already exists - A runner with the name {0} already exists.")]
    NameTaken(String),
}

/// Why a runner could not be deleted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeleteRunnerError {
    /// No such runner in that scope.
    #[error("Not Found")]
    NotFound,
    /// GitHub refuses to delete a runner in the middle of a job.
    #[error("Bad request - Runner \"{0}\" is still running a job\"")]
    Busy(String),
}

impl World {
    /// Registers a runner that has not connected yet and returns it with its single-use
    /// encoded JIT config.
    pub fn register_jit_runner(
        &mut self,
        name: &str,
        labels: &[String],
        group_id: u64,
        scope: Scope,
    ) -> Result<(Runner, String), JitError> {
        if self
            .runners
            .values()
            .any(|r| r.name.eq_ignore_ascii_case(name))
        {
            return Err(JitError::NameTaken(name.to_owned()));
        }
        let now = self.now();
        self.next_id.runner += 1;
        let id = self.next_id.runner;
        let runner = Runner {
            id,
            name: name.to_owned(),
            labels: self.make_labels(labels),
            scope,
            group_id,
            online: false,
            job: None,
            ephemeral: true,
            os: "unknown".to_owned(),
            execution: None,
            idle_since: None,
            last_seen: now,
        };
        self.runners.insert(id, runner.clone());
        self.agenda.push(now + OFFLINE_LIMIT, Event::Forget(id));

        // The nonce makes the config unguessable; it comes from the OS, not the seed, because
        // it plays the part of a credential.
        let nonce: u128 = rand::rng().random();
        let nonce = format!("{nonce:032x}");
        self.grants.insert(
            nonce.clone(),
            JitGrant {
                runner_id: id,
                used: false,
            },
        );
        let payload = serde_json::to_vec(&JitPayload {
            runner_id: id,
            nonce,
        })
        .unwrap_or_default();
        Ok((runner, STANDARD.encode(payload)))
    }

    /// Deletes runner `id` registered in `scope`. A runner that is online and idle loses its
    /// registration and its process exits; its execution ends (Failed) after the exit delay.
    pub fn delete_runner(&mut self, id: u64, scope: &Scope) -> Result<(), DeleteRunnerError> {
        let runner = self
            .runners
            .get(&id)
            .filter(|r| &r.scope == scope)
            .ok_or(DeleteRunnerError::NotFound)?;
        if runner.job.is_some() {
            return Err(DeleteRunnerError::Busy(runner.name.clone()));
        }
        let process = runner.execution.clone().filter(|_| runner.online);
        self.runners.remove(&id);
        if let Some(execution) = process {
            let at = self.now() + self.config.exit_delay;
            self.agenda.push(at, Event::Exit(execution));
        }
        Ok(())
    }

    /// Starts an execution with `template` (already checked to be a bare
    /// `JobExecutionTemplate`) and returns its name.
    pub fn start_execution(&mut self, template: Value) -> String {
        let now = self.now();
        let name = loop {
            let suffix: String = (0..7)
                .map(|_| {
                    let n = self.names.random_range(0..36u32);
                    char::from_digit(n, 36).unwrap_or('0')
                })
                .collect();
            let name = format!("{}-{suffix}", self.config.job_name);
            if !self.execution_index.contains_key(&name) {
                break name;
            }
        };
        self.execution_index
            .insert(name.clone(), self.executions.len());
        self.executions.push(Execution {
            name: name.clone(),
            started_at: now,
            ended_at: None,
            status: ExecutionStatus::Running,
            template,
            runner_id: None,
            registered_at: None,
            job: None,
            end_reason: None,
        });
        self.starts += 1;
        self.max_active = self.max_active.max(self.active_executions());
        self.agenda
            .push(now + self.config.boot_time, Event::Boot(name.clone()));
        self.agenda.push(
            now + self.config.replica_timeout,
            Event::Timeout(name.clone()),
        );
        name
    }

    /// Stops execution `name`; returns whether it exists. Stopping an ended one changes nothing.
    pub fn stop_execution(&mut self, name: &str) -> bool {
        if self.execution(name).is_none() {
            return false;
        }
        self.end_execution(name, EndReason::Stopped);
        true
    }

    /// The container has booted: the runner process reads its JIT config from the configured
    /// env var and connects as the runner the config was issued for. It never looks at
    /// `RUNNER_NAME`. A missing, unreadable, reused or revoked config makes it exit at once.
    pub(super) fn boot(&mut self, name: &str) {
        let Some(execution) = self.execution(name).filter(|e| e.is_active()) else {
            return;
        };
        let payload = jit_config_in(
            &execution.template,
            &self.config.container_name,
            &self.config.jitconfig_env,
        )
        .and_then(|encoded| STANDARD.decode(encoded.trim()).ok())
        .and_then(|bytes| serde_json::from_slice::<JitPayload>(&bytes).ok());
        let runner_id = payload.and_then(|p| {
            let grant = self.grants.get_mut(&p.nonce)?;
            let usable = grant.runner_id == p.runner_id
                && !grant.used
                && self.runners.contains_key(&p.runner_id);
            grant.used = true;
            usable.then_some(p.runner_id)
        });
        let Some(runner_id) = runner_id else {
            self.end_execution(name, EndReason::BadJitConfig);
            return;
        };

        let now = self.now();
        if let Some(runner) = self.runners.get_mut(&runner_id) {
            runner.online = true;
            runner.os = "linux".to_owned();
            runner.execution = Some(name.to_owned());
            runner.idle_since = Some(now);
            runner.last_seen = now;
        }
        if let Some(execution) = self.execution_mut(name) {
            execution.runner_id = Some(runner_id);
            execution.registered_at = Some(now);
        }
    }

    /// A runner process exited on its own (its job done, or its registration deleted).
    pub(super) fn runner_exited(&mut self, name: &str) {
        let ran_a_job = self.execution(name).is_some_and(|e| e.job.is_some());
        let reason = if ran_a_job {
            EndReason::JobDone
        } else {
            EndReason::RunnerDeleted
        };
        self.end_execution(name, reason);
    }

    /// Adds a static host outside the pool: always online, never leaves.
    pub(super) fn add_static_runner(&mut self, name: &str, labels: &[String]) {
        self.next_id.runner += 1;
        let id = self.next_id.runner;
        let now = self.now();
        let labels = self.make_labels(labels);
        self.runners.insert(
            id,
            Runner {
                id,
                name: name.to_owned(),
                labels,
                scope: Scope::Org,
                group_id: DEFAULT_GROUP_ID,
                online: true,
                job: None,
                ephemeral: false,
                os: "linux".to_owned(),
                execution: None,
                idle_since: Some(now),
                last_seen: now,
            },
        );
    }

    /// Runner labels as GitHub keeps them: `self-hosted` first (GitHub adds it), then the
    /// requested ones, without case-insensitive duplicates.
    fn make_labels(&mut self, requested: &[String]) -> Vec<Label> {
        let mut names: Vec<String> = vec!["self-hosted".to_owned()];
        for label in requested {
            let label = label.trim();
            if !label.is_empty() && !names.iter().any(|n| n.eq_ignore_ascii_case(label)) {
                names.push(label.to_owned());
            }
        }
        names
            .into_iter()
            .map(|name| Label {
                id: self.label_id(&name),
                read_only: is_default(&name),
                name,
            })
            .collect()
    }
}

/// The JIT config in a started template: the env var `env` of the runner container (the one
/// named `container`, else the first that carries the variable).
fn jit_config_in<'a>(template: &'a Value, container: &str, env: &str) -> Option<&'a str> {
    let containers = template.get("containers")?.as_array()?;
    let value_in = |c: &'a Value| -> Option<&'a str> {
        c.get("env")?
            .as_array()?
            .iter()
            .find(|e| e.get("name").and_then(Value::as_str) == Some(env))?
            .get("value")?
            .as_str()
    };
    let named = containers
        .iter()
        .find(|c| c.get("name").and_then(Value::as_str) == Some(container));
    named
        .and_then(value_in)
        .or_else(|| containers.iter().find_map(value_in))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_jit_config_is_read_from_the_runner_container_first() {
        let template = json!({"containers": [
            {"name": "sidecar", "env": [{"name": "JIT", "value": "other"}]},
            {"name": "runner", "env": [{"name": "RUNNER_NAME", "value": "x"}, {"name": "JIT", "value": "mine"}]},
        ]});
        assert_eq!(jit_config_in(&template, "runner", "JIT"), Some("mine"));
        assert_eq!(jit_config_in(&template, "absent", "JIT"), Some("other"));
        assert_eq!(jit_config_in(&template, "runner", "MISSING"), None);
        assert_eq!(jit_config_in(&json!({}), "runner", "JIT"), None);
    }
}
