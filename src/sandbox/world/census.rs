//! A head count of the world at one instant: what the per-tick line shows.

use serde::Serialize;

use super::World;
use super::labels::satisfies;
use super::model::JobStatus;

/// Jobs and executions by state at one instant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Census {
    /// Queued jobs the pool's labels satisfy (its demand).
    pub queued: usize,
    /// Queued jobs the pool cannot serve (other labels).
    pub unservable: usize,
    /// Jobs awaiting an approval.
    pub waiting: usize,
    /// Executions whose runner runs a job.
    pub busy: usize,
    /// Executions whose runner is online and idle.
    pub idle: usize,
    /// Executions whose runner has not registered yet.
    pub booting: usize,
    /// Executions whose runner is gone (job done, registration deleted) but which still run.
    pub finishing: usize,
}

impl Census {
    /// Executions ARM reports running.
    pub fn active(&self) -> usize {
        self.busy + self.idle + self.booting + self.finishing
    }
}

impl World {
    /// Counts jobs (against the pool's `labels`) and active executions now.
    pub fn census(&self, labels: &[String]) -> Census {
        let mut census = Census::default();
        for job in self.jobs.values() {
            match job.status {
                JobStatus::Queued if satisfies(&job.labels, labels.iter().map(String::as_str)) => {
                    census.queued += 1
                }
                JobStatus::Queued => census.unservable += 1,
                JobStatus::Waiting => census.waiting += 1,
                JobStatus::InProgress | JobStatus::Completed => {}
            }
        }
        for execution in self.executions.iter().filter(|e| e.is_active()) {
            let runner = execution.runner_id.and_then(|id| self.runners.get(&id));
            match runner {
                _ if execution.registered_at.is_none() => census.booting += 1,
                Some(r) if r.job.is_some() => census.busy += 1,
                Some(r) if r.online => census.idle += 1,
                _ => census.finishing += 1,
            }
        }
        census
    }
}
