//! Acting on the scale-down plan: remove a runner's registration, and only once GitHub has
//! removed it, stop its execution. Deleting first is what makes a drain safe: GitHub refuses
//! (422) to delete a runner that is running a job, so a runner that took a job a moment ago is
//! kept instead of killed.

use serde::Serialize;
use tokio::time::Instant;

use crate::azure::JobsClient;
use crate::github::GithubClient;
use crate::github::runners::{self, Target};
use crate::scaling::drain::{Stop, StopReason};

const OUT_OF_TIME: &str = "out of time for this tick; reconsidered next tick";

/// What happened to one planned stop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StopOutcome {
    pub execution: String,
    pub runner: Option<String>,
    pub reason: StopReason,
    pub result: StopResult,
}

/// The result of a planned stop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "result", content = "detail")]
pub enum StopResult {
    /// The registration (if any) was removed and the execution stopped.
    Stopped,
    /// GitHub refused to remove the registration because the runner just took a job: kept.
    KeptBusy,
    /// Something failed; the execution is left as it is and reconsidered next tick.
    Failed(String),
}

/// An orphan registration's fate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrphanOutcome {
    pub runner: String,
    pub result: StopResult,
}

/// Carries out `stops` in order. Stops not begun by `deadline` are reported as failed and
/// reconsidered next tick.
pub async fn stop_all(
    github: &GithubClient,
    jobs: &JobsClient,
    stops: &[Stop],
    deadline: Instant,
) -> Vec<StopOutcome> {
    let mut outcomes = Vec::with_capacity(stops.len());
    for stop in stops {
        let result = if Instant::now() >= deadline {
            StopResult::Failed(OUT_OF_TIME.into())
        } else {
            stop_one(github, jobs, stop).await
        };
        match &result {
            StopResult::Stopped => {
                tracing::info!(execution = %stop.execution, runner = stop.runner_name.as_deref().unwrap_or("-"), reason = ?stop.reason, "execution stopped")
            }
            StopResult::KeptBusy => {
                tracing::info!(execution = %stop.execution, runner = stop.runner_name.as_deref().unwrap_or("-"), "runner took a job while being drained; kept")
            }
            StopResult::Failed(error) => {
                tracing::warn!(execution = %stop.execution, error = %error, "stop failed")
            }
        }
        outcomes.push(StopOutcome {
            execution: stop.execution.clone(),
            runner: stop.runner_name.clone(),
            reason: stop.reason,
            result,
        });
    }
    outcomes
}

async fn stop_one(github: &GithubClient, jobs: &JobsClient, stop: &Stop) -> StopResult {
    if let Some(id) = stop.runner_id {
        let target = stop.target.clone().unwrap_or(Target::Org);
        match remove_registration(github, &target, id).await {
            StopResult::Stopped => {}
            other => return other,
        }
    }
    match jobs.stop(&stop.execution).await {
        Ok(()) => StopResult::Stopped,
        Err(e) => StopResult::Failed(format!("stopping the execution: {e}")),
    }
}

/// Deletes a registration. 404 counts as removed (it is gone either way).
async fn remove_registration(github: &GithubClient, target: &Target, id: u64) -> StopResult {
    match runners::delete_runner(github, target, id).await {
        Ok(()) => StopResult::Stopped,
        Err(e) if e.status() == Some(404) => StopResult::Stopped,
        Err(e) if e.status() == Some(422) => StopResult::KeptBusy,
        Err(e) => StopResult::Failed(format!("removing the runner registration: {e}")),
    }
}

/// Deletes orphan registrations.
pub async fn remove_orphans(
    github: &GithubClient,
    orphans: &[(u64, String, Target)],
    deadline: Instant,
) -> Vec<OrphanOutcome> {
    let mut outcomes = Vec::with_capacity(orphans.len());
    for (id, name, target) in orphans {
        let result = if Instant::now() >= deadline {
            StopResult::Failed(OUT_OF_TIME.into())
        } else {
            remove_registration(github, target, *id).await
        };
        tracing::info!(runner = %name, result = ?result, "orphan registration");
        outcomes.push(OrphanOutcome {
            runner: name.clone(),
            result,
        });
    }
    outcomes
}
