//! Scale-down: which executions to stop and which stale registrations to delete this tick, a
//! pure function of the classified executions, what earlier ticks saw, and the settings.
//!
//! Nothing here acts on a single observation: an execution is stopped only when it was in the
//! same class on two consecutive ticks, and nothing at all is stopped when a read of this tick
//! failed or was rate-limited (a failed read can make busy runners look idle or lost). The one
//! exception is a repository that answers 404 or 403: it is skipped like every other tick.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::classify::{ClassifiedExecution, ExecutionClass};
use super::plan::DemandJob;
use crate::github::Target;

/// Consecutive ticks an execution must be seen in a class before it is stopped for it.
pub const OBSERVATIONS_BEFORE_STOP: u32 = 2;

/// And the time those observations must span: two ticks a second apart (a timer tick and an
/// HTTP call) are one look, not two. Timer ticks are a minute apart; this leaves room for jitter.
pub const OBSERVATION_SPAN: Duration = Duration::seconds(50);

/// Why an execution is stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// Its runner completed its job, but the execution stayed `Running` past the grace.
    Finished,
    /// Its runner never registered within the boot grace, or vanished.
    Lost,
    /// Idle beyond demand and the warm minimum.
    Surplus,
}

/// What earlier ticks saw of one execution (or one orphan registration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    pub class: ExecutionClass,
    /// Consecutive ticks in this class, this one included.
    pub ticks: u32,
    /// When it was first seen in this class.
    pub since: DateTime<Utc>,
}

/// An offline registration with the pool's prefix that no active execution carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Orphan {
    pub runner_id: u64,
    pub runner_name: String,
    pub target: Target,
    /// Consecutive ticks it was seen orphaned, and since when.
    pub ticks: u32,
    pub since: DateTime<Utc>,
}

/// One execution to stop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stop {
    pub execution: String,
    pub runner_name: Option<String>,
    /// The registration to delete first, when the runner is registered.
    pub runner_id: Option<u64>,
    pub target: Option<Target>,
    pub reason: StopReason,
}

/// Everything the scale-down decision depends on.
pub struct DrainInput<'a> {
    pub executions: &'a [ClassifiedExecution],
    pub seen: &'a HashMap<String, Seen>,
    pub demand: &'a [DemandJob],
    pub warm_minimum: u32,
    pub warm_target: Option<Target>,
    pub orphans: &'a [Orphan],
    /// No read of this tick failed in a way that makes stopping unsafe (see
    /// `ReadFailure::blocks_stops`).
    pub reads_complete: bool,
    pub now: DateTime<Utc>,
    pub boot_grace: Duration,
    pub finished_grace: Duration,
    pub max_stops_per_tick: u32,
    /// Whether lost executions may be stopped. Only with JIT registration is the runner's name
    /// certain to be the one the scaler chose; an image that registers itself under another
    /// name would make a busy runner look lost, and nothing (no registration to delete, no
    /// 422) would protect it.
    pub stop_lost: bool,
}

/// The scale-down decision of one tick.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DrainPlan {
    pub stops: Vec<Stop>,
    /// Orphan registrations to delete (runner id, name, target).
    pub orphans: Vec<(u64, String, Target)>,
    /// Idle executions beyond demand and warm minimum, drainable or not yet.
    pub surplus: u32,
    /// Candidates left for a later tick by `MAX_STOPS_PER_TICK`.
    pub deferred: u32,
    /// Why nothing was considered, when that is the case.
    pub held_back: Option<String>,
}

/// Decides the stops.
pub fn plan_drain(input: &DrainInput) -> DrainPlan {
    let observed_twice = |e: &ClassifiedExecution| {
        !e.remembered
            && input.seen.get(&e.name).is_some_and(|s| {
                s.class == e.class
                    && s.ticks >= OBSERVATIONS_BEFORE_STOP
                    && input.now - s.since >= OBSERVATION_SPAN
            })
    };

    let mut candidates: Vec<Stop> = Vec::new();
    for execution in input.executions.iter().filter(|e| observed_twice(e)) {
        let reason = match execution.class {
            ExecutionClass::Finished => {
                let since = execution
                    .finished_at
                    .or_else(|| input.seen.get(&execution.name).map(|s| s.since));
                let overdue = since.is_some_and(|t| input.now - t >= input.finished_grace);
                overdue.then_some(StopReason::Finished)
            }
            ExecutionClass::Lost if input.stop_lost => Some(StopReason::Lost),
            _ => None,
        };
        if let Some(reason) = reason {
            candidates.push(stop(execution, reason));
        }
    }

    let (surplus, drainable) = surplus(input, &observed_twice);
    if !input.reads_complete {
        // The surplus is still reported: it says what a clean tick would drain.
        return DrainPlan {
            surplus,
            held_back: Some("a read failed or was rate-limited this tick".into()),
            ..DrainPlan::default()
        };
    }
    candidates.extend(drainable.into_iter().map(|e| stop(e, StopReason::Surplus)));
    // Finished and lost executions cost money and do nothing: they go first under the cap.
    candidates.sort_by_key(|s| s.reason);

    let cap = input.max_stops_per_tick as usize;
    let deferred = candidates.len().saturating_sub(cap);
    candidates.truncate(cap);

    let orphans = input
        .orphans
        .iter()
        .filter(|o| {
            o.ticks >= OBSERVATIONS_BEFORE_STOP
                && input.now - o.since >= input.boot_grace.max(OBSERVATION_SPAN)
        })
        .take(cap)
        .map(|o| (o.runner_id, o.runner_name.clone(), o.target.clone()))
        .collect();

    DrainPlan {
        stops: candidates,
        orphans,
        surplus,
        deferred: u32::try_from(deferred).unwrap_or(u32::MAX),
        held_back: None,
    }
}

fn stop(execution: &ClassifiedExecution, reason: StopReason) -> Stop {
    Stop {
        execution: execution.name.clone(),
        runner_name: execution.runner_name.clone(),
        runner_id: execution.runner_id,
        target: execution.target.clone(),
        reason,
    }
}

/// Idle capacity beyond what demand and the warm minimum need, per registration target (a
/// repository's runners serve only that repository). Returns the surplus count (spare beyond
/// the need) and the idle executions to drain now.
///
/// Idle runners are kept before booting ones: they can take a job now. So what may be drained
/// is the idle beyond the need, and a booting runner beyond it is left to become idle and be
/// drained on a later tick.
///
/// Among the idle, the oldest go first: an execution ends at the job's replica timeout
/// whatever it is doing, so the oldest idle runner is the one most likely to be killed in the
/// middle of a job it takes next; the younger ones have the most time left to serve.
fn surplus<'a>(
    input: &DrainInput<'a>,
    observed_twice: &dyn Fn(&ClassifiedExecution) -> bool,
) -> (u32, Vec<&'a ClassifiedExecution>) {
    let mut needed: BTreeMap<Target, usize> = BTreeMap::new();
    for job in input.demand {
        *needed.entry(job.target.clone()).or_default() += 1;
    }
    if let Some(target) = &input.warm_target {
        *needed.entry(target.clone()).or_default() += input.warm_minimum as usize;
    }
    let mut spare: BTreeMap<Target, Vec<&ClassifiedExecution>> = BTreeMap::new();
    for execution in input.executions.iter().filter(|e| e.class.is_spare()) {
        let target = execution.target.clone().unwrap_or(Target::Org);
        spare.entry(target).or_default().push(execution);
    }

    let mut total = 0;
    let mut drain = Vec::new();
    for (target, executions) in spare {
        let need = needed.get(&target).copied().unwrap_or(0);
        total += executions.len().saturating_sub(need);
        let mut idle: Vec<&ClassifiedExecution> = executions
            .into_iter()
            .filter(|e| e.class == ExecutionClass::Idle)
            .collect();
        let excess_idle = idle.len().saturating_sub(need);
        idle.sort_by_key(|e| (e.start_time, e.name.clone()));
        drain.extend(
            idle.into_iter()
                .filter(|e| observed_twice(e))
                .take(excess_idle),
        );
    }
    (u32::try_from(total).unwrap_or(u32::MAX), drain)
}

#[cfg(test)]
mod tests;
