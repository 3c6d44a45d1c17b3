//! What the simulated organisation and Container Apps job are made of: repositories, workflow
//! runs, jobs, runners and executions, with the states GitHub and ARM report for them.

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

/// A repository of the simulated organisation.
#[derive(Debug, Clone)]
pub struct Repo {
    /// GitHub's numeric id.
    pub id: u64,
    /// Short name (`web`, not `org/web`).
    pub name: String,
}

/// Status of a workflow run, derived from its jobs the way GitHub derives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RunStatus {
    /// Every job is still queued.
    Queued,
    /// A job runs, or some are done while others still wait for a runner.
    InProgress,
    /// A job awaits an environment approval and nothing runs.
    Waiting,
    /// Every job is done.
    Completed,
}

impl RunStatus {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::InProgress => "in_progress",
            Self::Waiting => "waiting",
            Self::Completed => "completed",
        }
    }
}

/// How a job or run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conclusion {
    /// The job ran to its end.
    Success,
    /// The runner died under the job (execution stopped or timed out).
    Failure,
    /// Nobody took the job within 24 hours.
    Cancelled,
}

impl Conclusion {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
            Self::Cancelled => "cancelled",
        }
    }
}

/// A workflow run: a group of jobs queued together.
#[derive(Debug, Clone)]
pub struct Run {
    /// GitHub's numeric id.
    pub id: u64,
    /// Repository name.
    pub repo: String,
    /// The workflow's `name:`.
    pub workflow_name: String,
    /// Stable id of the workflow file.
    pub workflow_id: u64,
    /// Per-repository sequence number.
    pub run_number: u64,
    /// Commit the run is for.
    pub head_sha: String,
    /// When the run was created.
    pub created_at: DateTime<Utc>,
    /// When anything about the run last changed.
    pub updated_at: DateTime<Utc>,
    /// Current status.
    pub status: RunStatus,
    /// Set once completed.
    pub conclusion: Option<Conclusion>,
    /// The status before the last change and when it changed: GitHub's run listings lag behind
    /// the runs, so for a short while a run is still found under its old status as well.
    pub previous: Option<(RunStatus, DateTime<Utc>)>,
    /// Its jobs, in creation order.
    pub jobs: Vec<u64>,
}

/// Status of a workflow job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    /// Awaiting an environment approval; no runner may take it yet.
    Waiting,
    /// Waiting for a runner.
    Queued,
    /// A runner has it.
    InProgress,
    /// Done, with a conclusion.
    Completed,
}

impl JobStatus {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Waiting => "waiting",
            Self::Queued => "queued",
            Self::InProgress => "in_progress",
            Self::Completed => "completed",
        }
    }
}

/// The runner a job was assigned to, as the job keeps naming it after the runner is gone.
#[derive(Debug, Clone)]
pub struct Assignment {
    /// Runner id.
    pub runner_id: u64,
    /// Runner name.
    pub runner_name: String,
    /// Runner group id.
    pub group_id: u64,
    /// Whether the runner belonged to an execution (the pool) rather than a static host.
    pub pooled: bool,
}

/// A workflow job.
#[derive(Debug, Clone)]
pub struct Job {
    /// GitHub's numeric id.
    pub id: u64,
    /// The run it belongs to.
    pub run_id: u64,
    /// Repository name.
    pub repo: String,
    /// The job's display name.
    pub name: String,
    /// `runs-on` labels, as written in the workflow.
    pub labels: Vec<String>,
    /// How long it runs once a runner has it.
    pub duration: Duration,
    /// When the job was created.
    pub created_at: DateTime<Utc>,
    /// When it became assignable (after an approval, if any).
    pub queued_at: Option<DateTime<Utc>>,
    /// When a runner took it.
    pub started_at: Option<DateTime<Utc>>,
    /// When it completed.
    pub completed_at: Option<DateTime<Utc>>,
    /// Current status.
    pub status: JobStatus,
    /// Set once completed.
    pub conclusion: Option<Conclusion>,
    /// The runner that took it.
    pub runner: Option<Assignment>,
}

/// One label of a runner, as GitHub lists it.
#[derive(Debug, Clone)]
pub struct Label {
    /// Label id (stable per name within the organisation).
    pub id: u64,
    /// Label text as registered.
    pub name: String,
    /// Default labels GitHub adds itself (`self-hosted`, OS, architecture) are read-only.
    pub read_only: bool,
}

/// Where a runner is registered: which repositories' jobs it may take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The organisation: any repository.
    Org,
    /// One repository.
    Repo(String),
}

/// A self-hosted runner registration.
#[derive(Debug, Clone)]
pub struct Runner {
    /// GitHub's numeric id.
    pub id: u64,
    /// Unique name.
    pub name: String,
    /// Labels it serves.
    pub labels: Vec<Label>,
    /// Where it is registered.
    pub scope: Scope,
    /// Runner group.
    pub group_id: u64,
    /// Whether its process is connected.
    pub online: bool,
    /// The job it runs.
    pub job: Option<u64>,
    /// Removed after one job.
    pub ephemeral: bool,
    /// `unknown` until the process first connects.
    pub os: String,
    /// The execution it lives in; `None` for a static host outside the pool.
    pub execution: Option<String>,
    /// Since when it has been online and idle (orders runners competing for a job).
    pub idle_since: Option<DateTime<Utc>>,
    /// Last instant it was connected, or its creation if never.
    pub last_seen: DateTime<Utc>,
}

/// Status of an execution, in ARM's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecutionStatus {
    /// Its replica runs.
    Running,
    /// Its container exited 0.
    Succeeded,
    /// Its container failed or exceeded the replica timeout.
    Failed,
    /// Stopped through the API.
    Stopped,
}

impl ExecutionStatus {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "Running",
            Self::Succeeded => "Succeeded",
            Self::Failed => "Failed",
            Self::Stopped => "Stopped",
        }
    }
}

/// Why an execution ended; kept for the summary and for tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    /// The runner finished its job and exited.
    JobDone,
    /// The runner found no usable JIT config and exited at boot.
    BadJitConfig,
    /// Its runner registration was deleted and the runner process exited.
    RunnerDeleted,
    /// The replica timeout killed it.
    TimedOut,
    /// Someone called stop.
    Stopped,
}

/// One execution of the Container Apps job. `Debug` leaves the template out: it carries the
/// runner's JIT config.
#[derive(Clone)]
pub struct Execution {
    /// `jobname-suffix`.
    pub name: String,
    /// When it was started.
    pub started_at: DateTime<Utc>,
    /// When it ended.
    pub ended_at: Option<DateTime<Utc>>,
    /// ARM status.
    pub status: ExecutionStatus,
    /// The template it was started with (the start request body, or the job's own).
    pub template: Value,
    /// The runner that registered from it.
    pub runner_id: Option<u64>,
    /// When its runner came online.
    pub registered_at: Option<DateTime<Utc>>,
    /// The job its runner took.
    pub job: Option<u64>,
    /// Why it ended.
    pub end_reason: Option<EndReason>,
}

impl std::fmt::Debug for Execution {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Execution")
            .field("name", &self.name)
            .field("started_at", &self.started_at)
            .field("ended_at", &self.ended_at)
            .field("status", &self.status)
            .field("template", &"[redacted]")
            .field("runner_id", &self.runner_id)
            .field("registered_at", &self.registered_at)
            .field("job", &self.job)
            .field("end_reason", &self.end_reason)
            .finish()
    }
}

impl Execution {
    /// Whether ARM still reports it as running (what is being paid for).
    pub fn is_active(&self) -> bool {
        self.status == ExecutionStatus::Running
    }
}
