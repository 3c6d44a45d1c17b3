//! What each active execution is doing, from its runner's registration and the jobs that name
//! the runner (DESIGN.md §3 "Capacity").

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::azure::Execution;
use crate::github::queue::RunnerJob;
use crate::github::runners::is_pool_runner;
use crate::github::{Runner, Target};

/// The class of an active execution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExecutionClass {
    /// Its runner is running a job.
    Busy,
    /// Its runner is online and free: spare capacity.
    Idle,
    /// Its runner has not connected yet, within the boot grace: spare capacity.
    Booting,
    /// Its runner completed its job; the execution is on its way out.
    Finished,
    /// Its runner never connected within the boot grace, or vanished: a candidate to stop.
    Lost,
    /// The runners could not be read this tick; counted as spare so nothing extra is started
    /// on a guess.
    Unobserved,
    /// Not started by this pool (no pool runner name in its environment): it uses a slot of
    /// the cap, nothing else.
    Foreign,
}

impl ExecutionClass {
    /// Whether it can still take a job.
    pub fn is_spare(self) -> bool {
        matches!(
            self,
            ExecutionClass::Idle | ExecutionClass::Booting | ExecutionClass::Unobserved
        )
    }
}

/// An active execution and what it is doing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClassifiedExecution {
    pub name: String,
    pub runner_name: Option<String>,
    pub class: ExecutionClass,
    /// Where its runner is (or will be) registered, when known.
    pub target: Option<Target>,
    /// Its runner's registration id, when registered.
    pub runner_id: Option<u64>,
    pub start_time: Option<DateTime<Utc>>,
    /// When its runner's job completed (finished executions).
    pub finished_at: Option<DateTime<Utc>>,
    /// Not listed by ARM yet (a start remembered by this process): never a stop candidate.
    pub remembered: bool,
}

#[cfg(test)]
impl ClassifiedExecution {
    /// An organization-scoped execution of `class` whose runner is `pool-{name}`, for the
    /// planners' table tests: one place to extend when the struct grows.
    pub fn for_test(name: &str, class: ExecutionClass) -> Self {
        Self {
            name: name.into(),
            runner_name: Some(format!("pool-{name}")),
            class,
            target: Some(Target::Org),
            runner_id: None,
            start_time: None,
            finished_at: None,
            remembered: false,
        }
    }
}

/// What classification needs besides the executions.
pub struct Evidence<'a> {
    /// The pool's runners; `None` when the read failed.
    pub runners: Option<&'a [Runner]>,
    /// Jobs that name a runner.
    pub runner_jobs: &'a [RunnerJob],
    /// The pool's runner-name prefix (without the trailing `-`).
    pub prefix: &'a str,
    pub boot_grace: Duration,
    pub now: DateTime<Utc>,
    /// When earlier ticks first saw each execution: its age when ARM gives no `startTime`.
    pub first_seen: &'a HashMap<String, DateTime<Utc>>,
    /// The repositories whose runners were listed, with repository-scoped runners (`None`:
    /// organization scope, one listing covers all). A repository whose runners were not
    /// listed (its read failed) says nothing about its executions: their runners may be busy.
    pub listed_repositories: Option<&'a [String]>,
}

/// Classifies each active execution.
pub fn classify(executions: &[Execution], evidence: &Evidence) -> Vec<ClassifiedExecution> {
    let runners: HashMap<&str, &Runner> = evidence
        .runners
        .unwrap_or_default()
        .iter()
        .map(|r| (r.name.as_str(), r))
        .collect();
    let mut jobs: HashMap<&str, &RunnerJob> = HashMap::new();
    for job in evidence.runner_jobs {
        // A runner can show up on a completed job and an in-progress one (a reused name);
        // in progress wins.
        let entry = jobs.entry(job.runner_name.as_str()).or_insert(job);
        if job.in_progress {
            *entry = job;
        }
    }

    executions
        .iter()
        .filter(|e| e.is_active())
        .map(|execution| {
            let runner_name = execution
                .runner_name
                .as_deref()
                .filter(|n| is_pool_runner(evidence.prefix, n));
            let runner = runner_name.and_then(|n| runners.get(n).copied());
            let class = match runner_name {
                None => ExecutionClass::Foreign,
                Some(name) => class_of(name, runner, &jobs, execution, evidence),
            };
            ClassifiedExecution {
                name: execution.name.clone(),
                runner_name: execution.runner_name.clone(),
                class,
                target: runner
                    .map(|r| r.target.clone())
                    .or_else(|| execution.repository.clone().map(Target::Repo)),
                runner_id: runner.map(|r| r.id),
                start_time: execution.start_time,
                finished_at: runner_name
                    .and_then(|n| jobs.get(n))
                    .filter(|_| class == ExecutionClass::Finished)
                    .and_then(|job| job.completed_at),
                remembered: execution.remembered,
            }
        })
        .collect()
}

fn class_of(
    name: &str,
    runner: Option<&Runner>,
    jobs: &HashMap<&str, &RunnerJob>,
    execution: &Execution,
    evidence: &Evidence,
) -> ExecutionClass {
    let job_in_progress = jobs.get(name).map(|job| job.in_progress);
    match (job_in_progress, runner) {
        (Some(true), _) => return ExecutionClass::Busy,
        // Busy counts even while GitHub shows the runner offline: a runner that lost its
        // connection in the middle of a job is still running it.
        (_, Some(r)) if r.busy => return ExecutionClass::Busy,
        (Some(false), _) => return ExecutionClass::Finished,
        _ => {}
    }
    let unlisted_repository = match (evidence.listed_repositories, &execution.repository) {
        (Some(listed), Some(repository)) => !listed.contains(repository),
        _ => false,
    };
    if evidence.runners.is_none() || unlisted_repository {
        return ExecutionClass::Unobserved;
    }
    if runner.is_some_and(|r| r.online) {
        return ExecutionClass::Idle;
    }
    // Not connected yet (a JIT registration is listed offline until its runner connects). An
    // execution ARM lists without a start time is as old as this process has known it.
    let started = execution
        .start_time
        .or_else(|| evidence.first_seen.get(&execution.name).copied())
        .unwrap_or(evidence.now);
    let young = evidence.now - started < evidence.boot_grace;
    if young {
        ExecutionClass::Booting
    } else {
        ExecutionClass::Lost
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 0).unwrap()
    }

    fn execution(name: &str, status: &str, age_secs: i64, runner: Option<&str>) -> Execution {
        Execution {
            name: name.into(),
            status: status.into(),
            start_time: Some(now() - Duration::seconds(age_secs)),
            runner_name: runner.map(str::to_owned),
            repository: None,
            remembered: false,
        }
    }

    fn runner(name: &str, online: bool, busy: bool) -> Runner {
        Runner {
            id: 7,
            name: name.into(),
            online,
            busy,
            target: Target::Org,
        }
    }

    fn job(runner: &str, in_progress: bool) -> RunnerJob {
        RunnerJob {
            runner_name: runner.into(),
            job_id: 1,
            in_progress,
            completed_at: None,
        }
    }

    #[test]
    fn each_execution_gets_the_class_its_evidence_shows() {
        let runners = vec![
            runner("pool-busy0000", true, true),
            runner("pool-offbusy0", false, true),
            runner("pool-idle0000", true, false),
            runner("pool-jit00000", false, false),
            runner("other-idle0000", true, false),
        ];
        let jobs = vec![job("pool-job00000", true), job("pool-done0000", false)];
        let evidence = Evidence {
            runners: Some(&runners),
            runner_jobs: &jobs,
            prefix: "pool",
            boot_grace: Duration::seconds(300),
            now: now(),
            first_seen: &HashMap::new(),
            listed_repositories: None,
        };
        let cases = [
            (
                execution("e1", "Running", 600, Some("pool-busy0000")),
                ExecutionClass::Busy,
            ),
            (
                execution("e1b", "Running", 900, Some("pool-offbusy0")),
                ExecutionClass::Busy,
            ),
            (
                execution("e2", "Running", 600, Some("pool-job00000")),
                ExecutionClass::Busy,
            ),
            (
                execution("e3", "Running", 600, Some("pool-idle0000")),
                ExecutionClass::Idle,
            ),
            (
                execution("e4", "Processing", 60, Some("pool-jit00000")),
                ExecutionClass::Booting,
            ),
            (
                execution("e5", "Running", 60, Some("pool-new00000")),
                ExecutionClass::Booting,
            ),
            (
                execution("e6", "Running", 900, Some("pool-jit00000")),
                ExecutionClass::Lost,
            ),
            (
                execution("e7", "Running", 900, Some("pool-gone0000")),
                ExecutionClass::Lost,
            ),
            (
                execution("e8", "Running", 900, Some("pool-done0000")),
                ExecutionClass::Finished,
            ),
            (
                execution("e9", "Running", 900, None),
                ExecutionClass::Foreign,
            ),
            (
                execution("e10", "Running", 900, Some("other-idle0000")),
                ExecutionClass::Foreign,
            ),
        ];
        for (execution, expected) in cases {
            let got = classify(std::slice::from_ref(&execution), &evidence);
            assert_eq!(got[0].class, expected, "{}", execution.name);
        }
    }

    #[test]
    fn finished_and_failed_executions_are_not_active() {
        let evidence = Evidence {
            runners: Some(&[]),
            runner_jobs: &[],
            prefix: "pool",
            boot_grace: Duration::seconds(300),
            now: now(),
            first_seen: &HashMap::new(),
            listed_repositories: None,
        };
        let executions = vec![
            execution("a", "Succeeded", 60, Some("pool-a0000000")),
            execution("b", "Failed", 60, Some("pool-b0000000")),
            execution("c", "Stopped", 60, Some("pool-c0000000")),
            execution("d", "Degraded", 60, Some("pool-d0000000")),
            execution("e", "Running", 60, Some("pool-e0000000")),
        ];
        let names: Vec<String> = classify(&executions, &evidence)
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(names, vec!["e"]);
    }

    #[test]
    fn without_the_runners_read_unpaired_executions_count_as_spare() {
        let jobs = vec![job("pool-job00000", true)];
        let evidence = Evidence {
            runners: None,
            runner_jobs: &jobs,
            prefix: "pool",
            boot_grace: Duration::seconds(300),
            now: now(),
            first_seen: &HashMap::new(),
            listed_repositories: None,
        };
        let executions = vec![
            execution("a", "Running", 900, Some("pool-job00000")),
            execution("b", "Running", 900, Some("pool-x0000000")),
        ];
        let classes: Vec<ExecutionClass> = classify(&executions, &evidence)
            .into_iter()
            .map(|c| c.class)
            .collect();
        assert_eq!(
            classes,
            vec![ExecutionClass::Busy, ExecutionClass::Unobserved]
        );
        assert!(ExecutionClass::Unobserved.is_spare());
    }
}

#[cfg(test)]
mod repository_scope_tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn an_execution_of_a_repository_whose_runners_were_not_listed_is_unobserved() {
        let now = Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 0).unwrap();
        let execution = |name: &str, repo: &str| Execution {
            name: name.into(),
            status: "Running".into(),
            start_time: Some(now - Duration::minutes(30)),
            runner_name: Some(format!("pool-{name}0000")),
            repository: Some(repo.into()),
            remembered: false,
        };
        let listed = vec!["api".to_owned()];
        let evidence = Evidence {
            runners: Some(&[]),
            runner_jobs: &[],
            prefix: "pool",
            boot_grace: Duration::seconds(300),
            now,
            first_seen: &HashMap::new(),
            listed_repositories: Some(&listed),
        };
        let classes: Vec<ExecutionClass> = classify(
            &[execution("aaaa", "api"), execution("bbbb", "web")],
            &evidence,
        )
        .into_iter()
        .map(|c| c.class)
        .collect();
        assert_eq!(
            classes,
            vec![ExecutionClass::Lost, ExecutionClass::Unobserved]
        );
    }
}
