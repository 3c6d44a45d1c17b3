//! How well the queue was served: the summary at the end of a sandbox run, and the one-line
//! picture of each tick.
//!
//! Everything here is computed from the world and the emulator's counters, never from the
//! scaler's own report: the sandbox judges the scaler by what happened, not by what it says.

mod attention;
mod text;

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use self::attention::{Unstarted, attention};
use super::emulator::State;
use super::emulator::calls::{Api, CallKind};
use super::world::Census;
use super::world::labels::satisfies;
use super::world::model::{Conclusion, EndReason, JobStatus};

/// What the driver saw at one tick, after the handler answered.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TickLine {
    /// The tick's virtual instant.
    pub at: DateTime<Utc>,
    /// Jobs and executions by state after the tick.
    pub census: Census,
    /// Executions the tick started.
    pub started: u64,
    /// GitHub calls during the tick.
    pub github_calls: u64,
    /// Of those, answered 304.
    pub not_modified: u64,
    /// Whether the handler answered 2xx and reported no failed read.
    pub ok: bool,
}

impl fmt::Display for TickLine {
    /// The time is UTC whatever offset `--start` was given with, and says so (`08:00Z`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.census;
        write!(
            f,
            "{}Z queued {:>3} busy {:>3} idle {:>3} booting {:>3} started {:>2} github {:>3} (304: {:>3}){}",
            self.at.format("%H:%M"),
            c.queued,
            c.busy,
            c.idle,
            c.booting,
            self.started,
            self.github_calls,
            self.not_modified,
            if self.ok { "" } else { "  tick failed" }
        )
    }
}

/// What the run was, for the summary's header.
#[derive(Debug, Clone)]
pub struct RunContext {
    /// Seed of the run.
    pub seed: u64,
    /// `default day` or the trace file.
    pub workload: String,
    /// Simulated time.
    pub length: Duration,
    /// From an execution's start to its runner's registration.
    pub boot_time: Duration,
    /// The scaler's RUNNER_BOOT_GRACE, as it read it.
    pub boot_grace: Duration,
    /// The job's replica timeout.
    pub replica_timeout: Duration,
    /// The pool's labels.
    pub labels: Vec<String>,
    /// MAX_EXECUTIONS.
    pub max_executions: u32,
    /// Distinct problems the handler reported (failed reads and starts), in order seen.
    pub problems: Vec<String>,
}

/// The end-of-run summary.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Seed of the run.
    pub seed: u64,
    /// `default day` or the trace file.
    pub workload: String,
    /// Simulated minutes.
    pub simulated_minutes: i64,
    /// Timer ticks sent.
    pub ticks: usize,
    /// Ticks the handler failed or reported a failed read in.
    pub ticks_failed: usize,
    /// Seconds from an execution's start to its runner's registration (`--boot-time`).
    pub boot_seconds: i64,
    /// The scaler's RUNNER_BOOT_GRACE in seconds: how long it lets a runner take to register.
    pub boot_grace_seconds: i64,
    /// The job's replica timeout in seconds.
    pub replica_timeout_seconds: i64,
    /// Jobs by outcome.
    pub jobs: JobCounts,
    /// Seconds from queued to started for the pool's jobs that started.
    pub wait_seconds: Wait,
    /// Executions and what they cost.
    pub executions: ExecutionCounts,
    /// GitHub API use.
    pub github: GithubUse,
    /// Azure API use.
    pub azure: AzureUse,
    /// Distinct problems the handler reported (at most 10).
    pub problems: Vec<String>,
    /// What went wrong for the queue, whatever the handler reported: pool jobs that failed or
    /// never started, executions the replica timeout ended. Empty when none did.
    pub attention: Vec<String>,
}

/// Jobs by outcome.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct JobCounts {
    /// Jobs that arrived during the run.
    pub arrived: usize,
    /// Of those, jobs the pool's labels satisfy.
    pub for_pool: usize,
    /// Pool jobs completed successfully.
    pub completed: usize,
    /// Pool jobs a runner outside the pool took (GitHub gives a job to any runner that fits).
    pub for_pool_taken_elsewhere: usize,
    /// Pool jobs that failed (their runner was stopped or timed out).
    pub failed: usize,
    /// Pool jobs still running at the end.
    pub running_at_end: usize,
    /// Pool jobs still queued at the end.
    pub queued_at_end: usize,
    /// Pool jobs still awaiting approval at the end.
    pub waiting_at_end: usize,
    /// Pool jobs GitHub cancelled after 24 hours queued.
    pub cancelled: usize,
    /// Jobs the pool cannot serve (their labels ask for more than it has).
    pub not_for_pool: usize,
    /// Of those, jobs another runner (a static host) took.
    pub not_for_pool_served_elsewhere: usize,
}

/// Wait percentiles, in seconds (nearest rank).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Wait {
    /// Jobs measured.
    pub jobs: usize,
    /// Median.
    pub p50: i64,
    /// 95th percentile.
    pub p95: i64,
    /// Longest.
    pub max: i64,
}

/// Executions and their cost.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ExecutionCounts {
    /// Executions started.
    pub started: usize,
    /// Most running at once.
    pub max_concurrent: usize,
    /// MAX_EXECUTIONS.
    pub cap: u32,
    /// Minutes executions ran (what is paid for).
    pub execution_minutes: f64,
    /// Of those, minutes a runner ran a job.
    pub busy_minutes: f64,
    /// The rest: booting, idle, shutting down.
    pub idle_minutes: f64,
    /// Executions that ended without running a job.
    pub never_ran_a_job: usize,
    /// Executions still running at the end.
    pub running_at_end: usize,
    /// How executions ended.
    pub ended: BTreeMap<String, usize>,
}

/// GitHub API use.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct GithubUse {
    /// Calls, any status.
    pub calls: u64,
    /// Mean calls per tick.
    pub calls_per_tick: f64,
    /// Most calls in one tick.
    pub max_calls_in_a_tick: u64,
    /// Calls answered 304 (free).
    pub not_modified: u64,
    /// Calls answered 4xx/5xx.
    pub errors: u64,
    /// Requests counted against the rate limit.
    pub rate_limit_spent: u64,
    /// Most spent within one hour by one principal.
    pub rate_limit_peak_hour: u32,
    /// The hourly limit.
    pub rate_limit: u32,
    /// Installation tokens issued.
    pub installation_tokens: usize,
    /// Calls by endpoint.
    pub by_endpoint: BTreeMap<String, u64>,
}

/// Azure API use.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AzureUse {
    /// ARM calls.
    pub arm_calls: u64,
    /// Managed identity token requests.
    pub identity_calls: u64,
    /// ARM calls answered 4xx/5xx.
    pub errors: u64,
    /// Successful starts.
    pub starts: u64,
    /// Successful stops.
    pub stops: u64,
}

impl Summary {
    /// Computes the summary from the emulator's state at the end of the run.
    pub fn compute(state: &State, ticks: &[TickLine], context: &RunContext) -> Self {
        let world = &state.world;
        let end = world.now();
        let labels: Vec<&str> = context.labels.iter().map(String::as_str).collect();

        let mut jobs = JobCounts::default();
        let mut waits = Vec::new();
        let mut unstarted = Unstarted::default();
        for job in world.jobs().values() {
            jobs.arrived += 1;
            if !satisfies(&job.labels, labels.iter().copied()) {
                jobs.not_for_pool += 1;
                if job.runner.is_some() {
                    jobs.not_for_pool_served_elsewhere += 1;
                }
                continue;
            }
            jobs.for_pool += 1;
            if job.runner.as_ref().is_some_and(|r| !r.pooled) {
                jobs.for_pool_taken_elsewhere += 1;
            }
            match (job.queued_at, job.started_at) {
                (Some(queued), Some(started)) => waits.push((started - queued).num_seconds()),
                (Some(queued), None) => unstarted.add(job.completed_at.unwrap_or(end) - queued),
                // Still awaiting approval: never the pool's to serve.
                (None, _) => {}
            }
            match (job.status, job.conclusion) {
                (JobStatus::Completed, Some(Conclusion::Success)) => jobs.completed += 1,
                (JobStatus::Completed, Some(Conclusion::Cancelled)) => jobs.cancelled += 1,
                (JobStatus::Completed, _) => jobs.failed += 1,
                (JobStatus::InProgress, _) => jobs.running_at_end += 1,
                (JobStatus::Queued, _) => jobs.queued_at_end += 1,
                (JobStatus::Waiting, _) => jobs.waiting_at_end += 1,
            }
        }

        let mut executions = ExecutionCounts {
            started: world.executions().len(),
            max_concurrent: world.max_active_executions(),
            cap: context.max_executions,
            ..Default::default()
        };
        let (mut total, mut busy) = (Duration::zero(), Duration::zero());
        for execution in world.executions() {
            let stop = execution.ended_at.unwrap_or(end);
            total += stop - execution.started_at;
            let job = execution.job.and_then(|id| world.jobs().get(&id));
            if let Some(started) = job.and_then(|j| j.started_at) {
                let finished = job.and_then(|j| j.completed_at).unwrap_or(stop).min(stop);
                busy += finished - started;
            }
            match execution.end_reason {
                None => executions.running_at_end += 1,
                Some(reason) => {
                    *executions
                        .ended
                        .entry(reason_name(reason).into())
                        .or_default() += 1;
                    if execution.job.is_none() {
                        executions.never_ran_a_job += 1;
                    }
                }
            }
        }
        executions.execution_minutes = minutes(total);
        executions.busy_minutes = minutes(busy);
        executions.idle_minutes = minutes(total - busy);

        let calls = &state.calls;
        let mut by_endpoint = BTreeMap::new();
        for ((kind, _), n) in calls.counts() {
            if kind.api() == Api::Github {
                *by_endpoint.entry(kind_name(*kind)).or_default() += n;
            }
        }
        let tick_calls: u64 = ticks.iter().map(|t| t.github_calls).sum();
        let github = GithubUse {
            calls: calls.total(Api::Github),
            calls_per_tick: round(tick_calls as f64 / ticks.len().max(1) as f64),
            max_calls_in_a_tick: ticks.iter().map(|t| t.github_calls).max().unwrap_or(0),
            not_modified: calls.with_status(Api::Github, 304),
            errors: calls.errors(Api::Github),
            rate_limit_spent: state.rate_limits().spent(),
            rate_limit_peak_hour: state.rate_limits().peak(),
            rate_limit: state.rate_limits().limit(),
            installation_tokens: state.github_tokens_issued(),
            by_endpoint,
        };
        let azure = AzureUse {
            arm_calls: calls.total(Api::Arm),
            identity_calls: calls.total(Api::Identity),
            errors: calls.errors(Api::Arm),
            starts: calls
                .counts()
                .get(&(CallKind::StartExecution, 200))
                .copied()
                .unwrap_or(0),
            stops: calls
                .counts()
                .get(&(CallKind::StopExecution, 200))
                .copied()
                .unwrap_or(0),
        };

        let timed_out = executions
            .ended
            .get(reason_name(EndReason::TimedOut))
            .copied()
            .unwrap_or(0);
        let attention = attention(jobs.failed, &unstarted, timed_out);

        Self {
            seed: context.seed,
            workload: context.workload.clone(),
            simulated_minutes: context.length.num_minutes(),
            ticks: ticks.len(),
            ticks_failed: ticks.iter().filter(|t| !t.ok).count(),
            boot_seconds: context.boot_time.num_seconds(),
            boot_grace_seconds: context.boot_grace.num_seconds(),
            replica_timeout_seconds: context.replica_timeout.num_seconds(),
            jobs,
            wait_seconds: percentiles(waits),
            executions,
            github,
            azure,
            problems: context.problems.iter().take(10).cloned().collect(),
            attention,
        }
    }
}

fn percentiles(mut waits: Vec<i64>) -> Wait {
    if waits.is_empty() {
        return Wait::default();
    }
    waits.sort_unstable();
    let rank = |q: f64| waits[((q * waits.len() as f64).ceil() as usize).clamp(1, waits.len()) - 1];
    Wait {
        jobs: waits.len(),
        p50: rank(0.50),
        p95: rank(0.95),
        max: waits[waits.len() - 1],
    }
}

fn minutes(d: Duration) -> f64 {
    round(d.num_seconds() as f64 / 60.0)
}

fn round(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn reason_name(reason: EndReason) -> &'static str {
    match reason {
        EndReason::JobDone => "job_done",
        EndReason::BadJitConfig => "bad_jit_config",
        EndReason::RunnerDeleted => "runner_deleted",
        EndReason::TimedOut => "timed_out",
        EndReason::Stopped => "stopped",
    }
}

fn kind_name(kind: CallKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("{kind:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tick_line_marks_its_time_as_utc() {
        use chrono::TimeZone;
        let line = TickLine {
            at: DateTime::parse_from_rfc3339("2026-03-02T08:00:00+02:00")
                .unwrap()
                .with_timezone(&Utc),
            census: Census {
                queued: 3,
                ..Census::default()
            },
            started: 2,
            github_calls: 40,
            not_modified: 38,
            ok: true,
        };
        assert_eq!(line.at, Utc.with_ymd_and_hms(2026, 3, 2, 6, 0, 0).unwrap());
        assert_eq!(
            line.to_string(),
            "06:00Z queued   3 busy   0 idle   0 booting   0 started  2 github  40 (304:  38)"
        );
    }

    #[test]
    fn percentiles_use_the_nearest_rank() {
        type Case = (&'static str, Vec<i64>, (i64, i64, i64));
        let cases: &[Case] = &[
            ("no jobs", vec![], (0, 0, 0)),
            ("one job", vec![42], (42, 42, 42)),
            ("ten jobs", (1..=10).collect(), (5, 10, 10)),
            ("unsorted input", vec![30, 10, 20, 40], (20, 40, 40)),
        ];
        for (name, waits, (p50, p95, max)) in cases {
            let wait = percentiles(waits.clone());
            assert_eq!((wait.p50, wait.p95, wait.max), (*p50, *p95, *max), "{name}");
        }
    }
}
