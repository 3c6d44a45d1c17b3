//! What the simulated organisation asks of its runners: jobs arriving at virtual instants.
//!
//! A workload is either the built-in working day ([`default_day`]) or a trace file of JSON lines
//! ([`parse_trace`]). Either way it is a list of [`JobSpec`]s; jobs that share a `run` key are
//! queued together as one workflow run (a matrix, a pipeline's parallel jobs).

mod default_day;
mod trace;

use chrono::Duration;

pub use default_day::{QUIET_REPOS, STATIC_RUNNER, default_day};
pub use trace::{TraceError, parse_trace, read_trace};

/// Repository a job lands in when its trace line names none.
pub const DEFAULT_REPO: &str = "app";

/// One job the workload will queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobSpec {
    /// When it arrives, from the start of the simulation.
    pub at: Duration,
    /// Jobs with the same key belong to the same workflow run.
    pub run: u64,
    /// Repository name.
    pub repo: String,
    /// Workflow name (the run's `name`).
    pub workflow: String,
    /// Job name.
    pub name: String,
    /// `runs-on` labels.
    pub labels: Vec<String>,
    /// How long it runs once a runner has it.
    pub duration: Duration,
    /// An environment approval it waits for (status `waiting`) before it is queued.
    pub approval: Option<Duration>,
}

/// The jobs of a simulation, in arrival order.
#[derive(Debug, Clone, Default)]
pub struct Workload {
    jobs: Vec<JobSpec>,
}

impl Workload {
    /// A workload of `jobs`, sorted by arrival (stable: equal instants keep their order).
    pub fn new(mut jobs: Vec<JobSpec>) -> Self {
        jobs.sort_by_key(|j| j.at);
        Self { jobs }
    }

    /// The jobs, in arrival order.
    pub fn jobs(&self) -> &[JobSpec] {
        &self.jobs
    }

    /// Every repository the jobs name, sorted.
    pub fn repos(&self) -> Vec<String> {
        let mut repos: Vec<String> = self.jobs.iter().map(|j| j.repo.clone()).collect();
        repos.sort();
        repos.dedup();
        repos
    }
}
