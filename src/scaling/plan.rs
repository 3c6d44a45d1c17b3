//! The plan: how many executions to start, a pure function of the observations, the settings
//! and the warm minimum (DESIGN.md §3 "The plan"):
//!
//! ```text
//! spare    = idle + booting
//! active   = executions ARM reports Running or Processing
//! to_start = clamp(demand + warm_minimum - spare, 0, min(max_executions - active, max_starts_per_tick))
//! ```
//!
//! With repository-scoped runners a runner serves only its repository, so the formula is
//! applied per repository (spare runners of one repository do not serve another) and the
//! starts go to the oldest demand first, under the same single cap.

use std::collections::BTreeMap;

use serde::Serialize;

use super::classify::{ClassifiedExecution, ExecutionClass};
use crate::github::Target;

/// One unit of demand: a queued job this pool can take, and where its runner must register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemandJob {
    pub job_id: u64,
    pub target: Target,
}

/// Everything the plan depends on.
#[derive(Debug, Clone)]
pub struct PlanInput<'a> {
    /// Matching queued jobs, oldest first.
    pub demand: &'a [DemandJob],
    /// Active executions, classified.
    pub executions: &'a [ClassifiedExecution],
    /// Idle runners to keep ready (organization scope).
    pub warm_minimum: u32,
    pub max_executions: u32,
    pub max_starts_per_tick: u32,
    /// Whether the executions were read: without them nothing may start.
    pub executions_observed: bool,
    /// Where new runners register when there is no demand to follow (warm runners).
    pub warm_target: Option<Target>,
}

/// What limited the number of starts below what was wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    /// `MAX_EXECUTIONS` leaves no more room.
    MaxExecutions,
    /// `MAX_STARTS_PER_TICK`.
    MaxStartsPerTick,
    /// The executions could not be read.
    ExecutionsUnobserved,
}

/// The start decision of one tick.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StartPlan {
    pub demand: u32,
    pub warm_minimum: u32,
    pub spare: u32,
    pub active: u32,
    /// Executions the formula wants before the caps.
    pub wanted: u32,
    /// `max_executions - active`, floored at 0.
    pub room: u32,
    /// Where each execution to start registers its runner.
    pub starts: Vec<Target>,
    /// Why `starts` is shorter than `wanted`, if it is.
    pub limited_by: Option<Limit>,
}

/// Decides the starts.
pub fn plan_starts(input: &PlanInput) -> StartPlan {
    let active = count(input.executions.len());
    let spare_executions: Vec<&ClassifiedExecution> = input
        .executions
        .iter()
        .filter(|e| e.class.is_spare())
        .collect();
    let spare = count(spare_executions.len());
    let demand = count(input.demand.len());
    let room = input.max_executions.saturating_sub(active);
    let cap = room.min(input.max_starts_per_tick);

    let wanted_targets = wanted_targets(input, &spare_executions);
    let wanted = count(wanted_targets.len());

    let (starts, limited_by) = if !input.executions_observed {
        let limit = (wanted > 0).then_some(Limit::ExecutionsUnobserved);
        (Vec::new(), limit)
    } else {
        let take = wanted.min(cap) as usize;
        let limit = (wanted > cap).then_some(if room <= input.max_starts_per_tick {
            Limit::MaxExecutions
        } else {
            Limit::MaxStartsPerTick
        });
        (wanted_targets.into_iter().take(take).collect(), limit)
    };

    StartPlan {
        demand,
        warm_minimum: input.warm_minimum,
        spare,
        active,
        wanted,
        room,
        starts,
        limited_by,
    }
}

/// The registration target of each wanted execution, oldest demand first, warm ones last.
fn wanted_targets(input: &PlanInput, spare: &[&ClassifiedExecution]) -> Vec<Target> {
    // Spare capacity per target. Spare executions whose target is unknown (their runner is
    // not registered yet and they carry no repository) serve the organization.
    let mut free: BTreeMap<Target, u32> = BTreeMap::new();
    for execution in spare {
        let target = execution.target.clone().unwrap_or(Target::Org);
        *free.entry(target).or_default() += 1;
    }

    let mut wanted = Vec::new();
    for job in input.demand {
        let available = free.entry(job.target.clone()).or_default();
        if *available > 0 {
            *available -= 1;
        } else {
            wanted.push(job.target.clone());
        }
    }

    // Warm runners are idle capacity beyond the demand: spare left after serving the demand
    // counts towards them.
    if let Some(target) = &input.warm_target {
        let left = free.get(target).copied().unwrap_or(0);
        let missing = input.warm_minimum.saturating_sub(left);
        wanted.extend(std::iter::repeat_n(target.clone(), missing as usize));
    }
    wanted
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Counts executions per class, for the report.
pub fn class_counts(executions: &[ClassifiedExecution]) -> BTreeMap<ExecutionClass, u32> {
    let mut counts = BTreeMap::new();
    for execution in executions {
        *counts.entry(execution.class).or_default() += 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn executions(classes: &[(ExecutionClass, u32)]) -> Vec<ClassifiedExecution> {
        let mut list = Vec::new();
        for (class, n) in classes {
            for i in 0..*n {
                list.push(ClassifiedExecution::for_test(
                    &format!("{class:?}-{i}"),
                    *class,
                ));
            }
        }
        list
    }

    fn demand(n: u64) -> Vec<DemandJob> {
        (0..n)
            .map(|job_id| DemandJob {
                job_id,
                target: Target::Org,
            })
            .collect()
    }

    struct Case {
        name: &'static str,
        demand: u64,
        classes: Vec<(ExecutionClass, u32)>,
        warm: u32,
        max_executions: u32,
        max_starts: u32,
        observed: bool,
        expected_starts: usize,
        expected_limit: Option<Limit>,
    }

    #[test]
    fn starts_follow_the_formula_through_the_one_cap() {
        use ExecutionClass::*;
        let cases = vec![
            Case {
                name: "demand with nothing running",
                demand: 3,
                classes: vec![],
                warm: 0,
                max_executions: 10,
                max_starts: 10,
                observed: true,
                expected_starts: 3,
                expected_limit: None,
            },
            Case {
                name: "idle and booting runners serve demand",
                demand: 5,
                classes: vec![(Idle, 1), (Booting, 2)],
                warm: 0,
                max_executions: 10,
                max_starts: 10,
                observed: true,
                expected_starts: 2,
                expected_limit: None,
            },
            Case {
                name: "busy, finished, lost and foreign are not spare",
                demand: 2,
                classes: vec![(Busy, 1), (Finished, 1), (Lost, 1), (Foreign, 1)],
                warm: 0,
                max_executions: 10,
                max_starts: 10,
                observed: true,
                expected_starts: 2,
                expected_limit: None,
            },
            Case {
                name: "more spare than demand starts nothing",
                demand: 1,
                classes: vec![(Idle, 3)],
                warm: 0,
                max_executions: 10,
                max_starts: 10,
                observed: true,
                expected_starts: 0,
                expected_limit: None,
            },
            Case {
                name: "a full pool starts nothing until room appears",
                demand: 14,
                classes: vec![(Busy, 16)],
                warm: 0,
                max_executions: 16,
                max_starts: 10,
                observed: true,
                expected_starts: 0,
                expected_limit: Some(Limit::MaxExecutions),
            },
            Case {
                name: "room for two of fourteen",
                demand: 14,
                classes: vec![(Busy, 14)],
                warm: 0,
                max_executions: 16,
                max_starts: 10,
                observed: true,
                expected_starts: 2,
                expected_limit: Some(Limit::MaxExecutions),
            },
            Case {
                name: "lost executions still use the cap",
                demand: 3,
                classes: vec![(Lost, 9)],
                warm: 0,
                max_executions: 10,
                max_starts: 10,
                observed: true,
                expected_starts: 1,
                expected_limit: Some(Limit::MaxExecutions),
            },
            Case {
                name: "starts per tick cap a burst",
                demand: 40,
                classes: vec![],
                warm: 0,
                max_executions: 50,
                max_starts: 10,
                observed: true,
                expected_starts: 10,
                expected_limit: Some(Limit::MaxStartsPerTick),
            },
            Case {
                name: "warm minimum tops up idle runners",
                demand: 0,
                classes: vec![(Idle, 1)],
                warm: 3,
                max_executions: 10,
                max_starts: 10,
                observed: true,
                expected_starts: 2,
                expected_limit: None,
            },
            Case {
                name: "warm minimum adds to demand",
                demand: 2,
                classes: vec![(Idle, 1)],
                warm: 2,
                max_executions: 10,
                max_starts: 10,
                observed: true,
                expected_starts: 3,
                expected_limit: None,
            },
            Case {
                name: "warm minimum goes through the cap",
                demand: 0,
                classes: vec![(Busy, 9)],
                warm: 3,
                max_executions: 10,
                max_starts: 10,
                observed: true,
                expected_starts: 1,
                expected_limit: Some(Limit::MaxExecutions),
            },
            Case {
                name: "no start without the executions read",
                demand: 5,
                classes: vec![],
                warm: 0,
                max_executions: 10,
                max_starts: 10,
                observed: false,
                expected_starts: 0,
                expected_limit: Some(Limit::ExecutionsUnobserved),
            },
            Case {
                name: "unobserved runners count as spare",
                demand: 3,
                classes: vec![(Unobserved, 2)],
                warm: 0,
                max_executions: 10,
                max_starts: 10,
                observed: true,
                expected_starts: 1,
                expected_limit: None,
            },
            Case {
                name: "a cap of zero starts nothing",
                demand: 3,
                classes: vec![],
                warm: 0,
                max_executions: 0,
                max_starts: 10,
                observed: true,
                expected_starts: 0,
                expected_limit: Some(Limit::MaxExecutions),
            },
        ];
        for case in cases {
            let executions = executions(&case.classes);
            let demand = demand(case.demand);
            let plan = plan_starts(&PlanInput {
                demand: &demand,
                executions: &executions,
                warm_minimum: case.warm,
                max_executions: case.max_executions,
                max_starts_per_tick: case.max_starts,
                executions_observed: case.observed,
                warm_target: Some(Target::Org),
            });
            assert_eq!(plan.starts.len(), case.expected_starts, "{}", case.name);
            assert_eq!(plan.limited_by, case.expected_limit, "{}", case.name);
        }
    }

    #[test]
    fn repository_runners_serve_only_their_repository() {
        let repo = |name: &str| Target::Repo(name.into());
        let mut spare = executions(&[(ExecutionClass::Idle, 1)]);
        spare[0].target = Some(repo("api"));
        let demand = vec![
            DemandJob {
                job_id: 1,
                target: repo("web"),
            },
            DemandJob {
                job_id: 2,
                target: repo("api"),
            },
            DemandJob {
                job_id: 3,
                target: repo("api"),
            },
        ];
        let plan = plan_starts(&PlanInput {
            demand: &demand,
            executions: &spare,
            warm_minimum: 0,
            max_executions: 10,
            max_starts_per_tick: 10,
            executions_observed: true,
            warm_target: None,
        });
        assert_eq!(plan.starts, vec![repo("web"), repo("api")]);
    }
}
