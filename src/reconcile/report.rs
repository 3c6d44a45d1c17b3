//! The tick report: one structured event per tick, and the same data as JSON for the HTTP
//! function and the CLI. It explains the decision: what was seen, what the plan wanted, what
//! limited it, what was done, and what failed. It never holds a secret.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::stop::{OrphanOutcome, StopOutcome, StopResult};
use crate::github::Target;
use crate::github::queue::ReadFailure;
use crate::github::rate::RateLimit;
use crate::scaling::classify::{ClassifiedExecution, ExecutionClass};
use crate::scaling::drain::DrainPlan;
use crate::scaling::matching::Mismatch;
use crate::scaling::plan::StartPlan;
use crate::scaling::schedule::WarmState;

/// How many job ids and unmatched jobs the report lists (counts are always complete).
pub const LISTED: usize = 10;

/// Everything one tick saw, decided and did.
#[derive(Debug, Clone, Serialize)]
pub struct TickReport {
    /// Whether every read the plan needs succeeded.
    pub ok: bool,
    /// Planned without acting.
    pub dry_run: bool,
    pub at: DateTime<Utc>,
    pub duration_ms: u64,
    pub repositories_scanned: usize,
    pub demand: DemandReport,
    pub unmatched: UnmatchedReport,
    /// Queued jobs older than 24 h, ignored (GitHub cancels them).
    pub stale_jobs: usize,
    pub executions: ExecutionsReport,
    pub cap: CapReport,
    /// The warm minimum in force, the rule that sets it and the next change.
    pub warm: WarmState,
    pub plan: StartPlan,
    pub started: Vec<StartedExecution>,
    pub start_failures: Vec<StartFailure>,
    pub drain: DrainReport,
    pub failed_reads: Vec<ReadFailure>,
    pub github: GithubReport,
    pub azure: AzureReport,
    pub warnings: Vec<String>,
}

/// The pool's demand.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DemandReport {
    pub count: usize,
    /// The oldest queued jobs' ids.
    pub first_job_ids: Vec<u64>,
}

/// Queued jobs this pool does not serve, and why.
#[derive(Debug, Clone, Default, Serialize)]
pub struct UnmatchedReport {
    pub count: usize,
    pub jobs: Vec<UnmatchedJob>,
}

/// One queued job the pool does not serve.
#[derive(Debug, Clone, Serialize)]
pub struct UnmatchedJob {
    pub id: u64,
    pub repo: String,
    pub labels: Vec<String>,
    pub reason: Mismatch,
}

/// Active executions by class, and each one.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ExecutionsReport {
    pub active: usize,
    pub by_class: BTreeMap<ExecutionClass, u32>,
    /// Starts ARM did not list yet, counted from this process's memory.
    pub remembered_starts: usize,
    pub list: Vec<ExecutionLine>,
}

/// One active execution.
#[derive(Debug, Clone, Serialize)]
pub struct ExecutionLine {
    pub name: String,
    pub runner: Option<String>,
    pub class: ExecutionClass,
}

impl From<&ClassifiedExecution> for ExecutionLine {
    fn from(e: &ClassifiedExecution) -> Self {
        Self {
            name: e.name.clone(),
            runner: e.runner_name.clone(),
            class: e.class,
        }
    }
}

/// The limits in force.
#[derive(Debug, Clone, Serialize)]
pub struct CapReport {
    pub max_executions: u32,
    pub max_starts_per_tick: u32,
    pub max_stops_per_tick: u32,
}

/// Scale-down: what was planned and what happened.
#[derive(Debug, Clone, Serialize)]
pub struct DrainReport {
    pub plan: DrainPlan,
    pub stops: Vec<StopOutcome>,
    pub orphans_removed: Vec<OrphanOutcome>,
}

/// An execution started by this tick.
#[derive(Debug, Clone, Serialize)]
pub struct StartedExecution {
    /// ARM's name; `None` when ARM accepted the start without naming it yet.
    pub execution: Option<String>,
    pub runner: String,
    pub target: Target,
}

/// A start that failed, and whether its runner registration was cleaned up.
#[derive(Debug, Clone, Serialize)]
pub struct StartFailure {
    pub runner: String,
    pub error: String,
    /// `Some(true)`: the JIT registration made for it was deleted; `Some(false)`: deleting it
    /// failed too (it expires offline and is removed later); `None`: nothing was registered.
    pub registration_removed: Option<bool>,
}

/// GitHub API usage.
#[derive(Debug, Clone, Default, Serialize)]
pub struct GithubReport {
    /// Requests made by this tick.
    pub calls: u64,
    /// Of those, answered 304 (free against the rate limit).
    pub not_modified: u64,
    /// The latest rate-limit figures.
    pub rate_limit: RateLimit,
}

/// ARM usage.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AzureReport {
    pub calls: u64,
}

impl TickReport {
    /// One line for the invocation log and humans.
    pub fn summary(&self) -> String {
        let class = |c: ExecutionClass| self.executions.by_class.get(&c).copied().unwrap_or(0);
        let mut classes = vec![
            format!("busy {}", class(ExecutionClass::Busy)),
            format!("idle {}", class(ExecutionClass::Idle)),
            format!("booting {}", class(ExecutionClass::Booting)),
            format!("finished {}", class(ExecutionClass::Finished)),
            format!("lost {}", class(ExecutionClass::Lost)),
        ];
        // These two are rare; shown only when present, so the counts add up to `active`.
        for (rare, word) in [
            (ExecutionClass::Unobserved, "unobserved"),
            (ExecutionClass::Foreign, "foreign"),
        ] {
            if class(rare) > 0 {
                classes.push(format!("{word} {}", class(rare)));
            }
        }
        let mut line = format!(
            "tick{}: demand {} ({} unmatched) in {} repositories; executions {} active ({}); wanted {}, started {}",
            if self.dry_run { " (dry run)" } else { "" },
            self.demand.count,
            self.unmatched.count,
            self.repositories_scanned,
            self.executions.active,
            classes.join(", "),
            self.plan.wanted,
            self.started.len(),
        );
        if self.dry_run {
            line.push_str(&format!(" (would start {})", self.plan.starts.len()));
        }
        if let Some(limit) = self.plan.limited_by {
            line.push_str(&format!(", limited by {}", serde_plain(&limit)));
        }
        if self.warm.idle > 0 || self.warm.rule.is_some() {
            let rule = self
                .warm
                .rule
                .as_ref()
                .map_or(String::new(), |r| format!(" (rule {})", r.index));
            line.push_str(&format!("; warm {}{rule}", self.warm.idle));
        }
        let stopped = self.stopped();
        if !self.drain.plan.stops.is_empty() || !self.drain.orphans_removed.is_empty() {
            line.push_str(&format!(
                "; {} {} of {} planned stops",
                if self.dry_run { "would do" } else { "did" },
                if self.dry_run {
                    self.drain.plan.stops.len()
                } else {
                    stopped
                },
                self.drain.plan.stops.len()
            ));
            if !self.drain.orphans_removed.is_empty() {
                line.push_str(&format!(
                    ", {} orphan registrations removed",
                    self.drain.orphans_removed.len()
                ));
            }
        }
        line.push_str(&format!(
            "; github {} calls ({} not modified, {} left); {} ms",
            self.github.calls,
            self.github.not_modified,
            self.github
                .rate_limit
                .remaining
                .map_or("?".to_owned(), |r| r.to_string()),
            self.duration_ms
        ));
        if !self.failed_reads.is_empty() {
            let reads: Vec<&str> = self.failed_reads.iter().map(|f| f.read.as_str()).collect();
            line.push_str(&format!("; FAILED READS: {}", reads.join(", ")));
        }
        if !self.start_failures.is_empty() {
            line.push_str(&format!("; {} start(s) failed", self.start_failures.len()));
        }
        line
    }

    /// Executions this tick stopped.
    pub fn stopped(&self) -> usize {
        self.drain
            .stops
            .iter()
            .filter(|s| s.result == StopResult::Stopped)
            .count()
    }

    /// The report as a log line per problem, after the summary: what the host shows for the
    /// invocation.
    pub fn log_lines(&self) -> Vec<String> {
        let mut lines = vec![self.summary()];
        lines.extend(
            self.failed_reads
                .iter()
                .map(|f| format!("read failed: {}: {}", f.read, f.error)),
        );
        lines.extend(
            self.start_failures
                .iter()
                .map(|f| format!("start failed for runner {}: {}", f.runner, f.error)),
        );
        if let Some(reason) = &self.drain.plan.held_back {
            lines.push(format!("scale-down held back: {reason}"));
        }
        lines.extend(self.drain.stops.iter().map(|s| {
            format!(
                "stop {} ({:?}, runner {}): {:?}",
                s.execution,
                s.reason,
                s.runner.as_deref().unwrap_or("-"),
                s.result
            )
        }));
        lines.extend(self.warnings.iter().map(|w| format!("warning: {w}")));
        lines
    }

    /// Emits the tick's `info` event.
    pub fn emit(&self) {
        let class = |c: ExecutionClass| self.executions.by_class.get(&c).copied().unwrap_or(0);
        let started: Vec<String> = self
            .started
            .iter()
            .map(|s| s.execution.clone().unwrap_or_else(|| s.runner.clone()))
            .collect();
        tracing::info!(
            ok = self.ok,
            dry_run = self.dry_run,
            repositories = self.repositories_scanned,
            demand = self.demand.count,
            demand_first = ?self.demand.first_job_ids,
            unmatched = self.unmatched.count,
            active = self.executions.active,
            busy = class(ExecutionClass::Busy),
            idle = class(ExecutionClass::Idle),
            booting = class(ExecutionClass::Booting),
            finished = class(ExecutionClass::Finished),
            lost = class(ExecutionClass::Lost),
            foreign = class(ExecutionClass::Foreign),
            warm_minimum = self.plan.warm_minimum,
            warm_rule = self.warm.rule.as_ref().map(|r| r.index),
            warm_next_change = self.warm.next_change.as_ref().map(|t| t.at.to_rfc3339()),
            max_executions = self.cap.max_executions,
            wanted = self.plan.wanted,
            planned = self.plan.starts.len(),
            limited_by = self.plan.limited_by.map(|l| serde_plain(&l)),
            started = ?started,
            start_failures = self.start_failures.len(),
            surplus = self.drain.plan.surplus,
            planned_stops = self.drain.plan.stops.len(),
            stopped = self.stopped(),
            orphans_removed = self.drain.orphans_removed.len(),
            failed_reads = ?self.failed_reads.iter().map(|f| f.read.as_str()).collect::<Vec<_>>(),
            github_calls = self.github.calls,
            github_not_modified = self.github.not_modified,
            rate_limit_remaining = self.github.rate_limit.remaining,
            arm_calls = self.azure.calls,
            duration_ms = self.duration_ms,
            "tick"
        );
        for failure in &self.failed_reads {
            tracing::warn!(read = %failure.read, error = %failure.error, "read failed");
        }
        for failure in &self.start_failures {
            tracing::error!(runner = %failure.runner, error = %failure.error, registration_removed = ?failure.registration_removed, "start failed");
        }
        for warning in &self.warnings {
            tracing::warn!(warning = %warning, "configuration warning");
        }
    }
}

/// A unit enum variant as its serde name (`max_executions`).
fn serde_plain<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
