//! The simulated world behind the emulator: a GitHub organisation whose workflow jobs arrive on
//! a schedule, the runners registered with it, and the executions of one Container Apps job.
//!
//! The world moves only when told to ([`World::advance_to`]) and reads and sets the virtual
//! [`ManualClock`] it shares with the scaler, so a working day runs in seconds. Between two
//! steps the clock stands still and the scaler's calls act on the world at that instant.
//!
//! Where GitHub and a scaler could disagree, the world does what GitHub does: a runner takes
//! the oldest queued job its labels satisfy, not the one it was started for; a `waiting` job is
//! nobody's until approved; a run stays visible under its old status for a short while after a
//! change; queued jobs are cancelled after 24 hours.

mod actions;
mod agenda;
mod census;
pub mod labels;
pub mod model;
mod runs;
mod step;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::clock::{Clock, ManualClock};

use super::workload::{JobSpec, Workload};
pub use actions::{DEFAULT_GROUP_ID, DeleteRunnerError, JitError, JitGrant};
use agenda::{Agenda, Event};
pub use census::Census;
use model::{Execution, Job, Repo, Run, Runner};

/// How the simulated platforms behave.
#[derive(Debug, Clone)]
pub struct WorldConfig {
    /// Virtual instant the simulation starts at.
    pub start: DateTime<Utc>,
    /// Seeds everything random that can change what the summary says.
    pub seed: u64,
    /// Organisation login.
    pub org: String,
    /// Repositories besides those the workload names (quiet ones the scaler still polls).
    pub extra_repos: Vec<String>,
    /// Container Apps job name.
    pub job_name: String,
    /// The job's runner container.
    pub container_name: String,
    /// The runner container's image.
    pub image: String,
    /// The job's `replicaTimeout`: an execution still running after this long is stopped.
    pub replica_timeout: Duration,
    /// From start until the runner process reads its JIT config and registers.
    pub boot_time: Duration,
    /// From the runner process exiting until ARM reports the execution ended.
    pub exit_delay: Duration,
    /// Env var of the runner container that carries the JIT config (the scaler's
    /// `RUNNER_JITCONFIG_ENV`).
    pub jitconfig_env: String,
    /// Runners outside the pool (static hosts): name and labels. Always online, never leave.
    pub static_runners: Vec<(String, Vec<String>)>,
}

/// How long a run stays listed under its previous status after a change. GitHub's run listings
/// are served from an index that trails the runs themselves; a few tens of seconds is typical.
pub const LISTING_LAG: Duration = Duration::seconds(30);

/// GitHub cancels a job no runner took within this long.
pub const QUEUE_LIMIT: Duration = Duration::hours(24);

/// GitHub removes an ephemeral runner that has not connected for this long.
pub const OFFLINE_LIMIT: Duration = Duration::days(1);

/// The state of the simulated GitHub organisation and Container Apps job. `Debug` shows counts
/// only: the JIT grants and execution templates are credentials.
pub struct World {
    config: WorldConfig,
    clock: ManualClock,
    /// Execution names and other visible identifiers: seeded, so runs repeat.
    names: StdRng,
    workload: Vec<JobSpec>,
    agenda: Agenda,
    repos: Vec<Repo>,
    runs: BTreeMap<u64, Run>,
    jobs: BTreeMap<u64, Job>,
    runners: BTreeMap<u64, Runner>,
    executions: Vec<Execution>,
    execution_index: BTreeMap<String, usize>,
    grants: BTreeMap<String, JitGrant>,
    label_ids: BTreeMap<String, u64>,
    /// Workload run key → run id, for jobs that join a run already created.
    run_keys: BTreeMap<u64, u64>,
    run_numbers: BTreeMap<String, u64>,
    workflow_ids: BTreeMap<(String, String), u64>,
    next_id: Ids,
    max_active: usize,
    starts: u64,
}

impl std::fmt::Debug for World {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("World")
            .field("now", &self.now())
            .field("runs", &self.runs.len())
            .field("jobs", &self.jobs.len())
            .field("runners", &self.runners.len())
            .field("executions", &self.executions.len())
            .finish_non_exhaustive()
    }
}

/// Id counters. The ranges differ per kind so an id in a log line says what it is.
#[derive(Debug)]
struct Ids {
    run: u64,
    job: u64,
    runner: u64,
    label: u64,
}

impl World {
    /// A world at `config.start` with `workload` scheduled; sets `clock` to the start.
    pub fn new(config: WorldConfig, workload: &Workload, clock: ManualClock) -> Self {
        clock.set(config.start);
        let mut repo_names = workload.repos();
        repo_names.extend(config.extra_repos.iter().cloned());
        repo_names.sort();
        repo_names.dedup();
        let repos = repo_names
            .into_iter()
            .enumerate()
            .map(|(i, name)| Repo {
                id: 700_001 + i as u64,
                name,
            })
            .collect();

        let mut world = Self {
            names: StdRng::seed_from_u64(config.seed),
            workload: workload.jobs().to_vec(),
            agenda: Agenda::default(),
            repos,
            runs: BTreeMap::new(),
            jobs: BTreeMap::new(),
            runners: BTreeMap::new(),
            executions: Vec::new(),
            execution_index: BTreeMap::new(),
            grants: BTreeMap::new(),
            label_ids: BTreeMap::new(),
            run_keys: BTreeMap::new(),
            run_numbers: BTreeMap::new(),
            workflow_ids: BTreeMap::new(),
            next_id: Ids {
                run: 9_000_000_000,
                job: 30_000_000_000,
                runner: 0,
                label: 0,
            },
            max_active: 0,
            starts: 0,
            clock,
            config,
        };
        for (index, spec) in world.workload.iter().enumerate() {
            world
                .agenda
                .push(world.config.start + spec.at, Event::Arrive(index));
        }
        for (name, labels) in world.config.static_runners.clone() {
            world.add_static_runner(&name, &labels);
        }
        world
    }

    /// The current virtual instant.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The clock the world moves (share it with the scaler).
    pub fn clock(&self) -> &ManualClock {
        &self.clock
    }

    /// How the world was configured.
    pub fn config(&self) -> &WorldConfig {
        &self.config
    }

    /// Repositories, sorted by name.
    pub fn repos(&self) -> &[Repo] {
        &self.repos
    }

    /// A repository by name (case-insensitive, as GitHub resolves names).
    pub fn repo(&self, name: &str) -> Option<&Repo> {
        self.repos
            .iter()
            .find(|r| r.name.eq_ignore_ascii_case(name))
    }

    /// Every workflow run, by id.
    pub fn runs(&self) -> &BTreeMap<u64, Run> {
        &self.runs
    }

    /// Every job, by id.
    pub fn jobs(&self) -> &BTreeMap<u64, Job> {
        &self.jobs
    }

    /// Every runner registration, by id.
    pub fn runners(&self) -> &BTreeMap<u64, Runner> {
        &self.runners
    }

    /// Every execution ever started, oldest first (ARM itself shows only the recent ones).
    pub fn executions(&self) -> &[Execution] {
        &self.executions
    }

    /// An execution by name.
    pub fn execution(&self, name: &str) -> Option<&Execution> {
        self.execution_index
            .get(name)
            .map(|&index| &self.executions[index])
    }

    /// Executions currently running.
    pub fn active_executions(&self) -> usize {
        self.executions.iter().filter(|e| e.is_active()).count()
    }

    /// The most executions that were ever running at once.
    pub fn max_active_executions(&self) -> usize {
        self.max_active
    }

    /// How many executions were started so far.
    pub fn starts(&self) -> u64 {
        self.starts
    }

    /// When the next event is due, if any is.
    pub fn next_event_at(&self) -> Option<DateTime<Utc>> {
        self.agenda.next_at()
    }

    fn execution_mut(&mut self, name: &str) -> Option<&mut Execution> {
        let index = *self.execution_index.get(name)?;
        Some(&mut self.executions[index])
    }

    /// A stable id for `label` within the organisation.
    fn label_id(&mut self, label: &str) -> u64 {
        let key = label.trim().to_ascii_lowercase();
        if let Some(&id) = self.label_ids.get(&key) {
            return id;
        }
        self.next_id.label += 1;
        self.label_ids.insert(key, self.next_id.label);
        self.next_id.label
    }
}
