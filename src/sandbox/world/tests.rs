//! The world's rules, driven through its own API (the emulator tests drive them over HTTP).

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{Value, json};

use super::model::{Conclusion, EndReason, ExecutionStatus, JobStatus, RunStatus, Scope};
use super::{World, WorldConfig};
use crate::clock::ManualClock;
use crate::sandbox::workload::{JobSpec, Workload};

const JIT_ENV: &str = "ACTIONS_RUNNER_INPUT_JITCONFIG";

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 0).unwrap()
}

fn config() -> WorldConfig {
    WorldConfig {
        start: t0(),
        seed: 7,
        org: "sandbox-org".into(),
        extra_repos: vec![],
        job_name: "runner-job".into(),
        container_name: "runner".into(),
        image: "runner:latest".into(),
        replica_timeout: Duration::minutes(30),
        boot_time: Duration::seconds(60),
        exit_delay: Duration::seconds(10),
        jitconfig_env: JIT_ENV.into(),
        static_runners: vec![],
    }
}

fn job(at_secs: i64, run: u64, labels: &[&str], minutes: i64) -> JobSpec {
    JobSpec {
        at: Duration::seconds(at_secs),
        run,
        repo: "web".into(),
        workflow: "CI".into(),
        name: format!("job-{run}"),
        labels: labels.iter().map(|l| l.to_string()).collect(),
        duration: Duration::minutes(minutes),
        approval: None,
    }
}

fn world(jobs: Vec<JobSpec>) -> World {
    World::new(config(), &Workload::new(jobs), ManualClock::new(t0()))
}

fn template(jit: &str) -> Value {
    json!({"containers": [{"name": "runner", "image": "runner:latest",
        "env": [{"name": JIT_ENV, "value": jit}]}]})
}

/// Registers a pool runner and starts an execution carrying its JIT config.
fn start_runner(world: &mut World, name: &str) -> String {
    let labels = vec!["self-hosted".into(), "linux".into(), "x64".into()];
    let (_, jit) = world
        .register_jit_runner(name, &labels, 1, Scope::Org)
        .unwrap();
    world.start_execution(template(&jit))
}

fn after(world: &mut World, seconds: i64) {
    let target = world.now() + Duration::seconds(seconds);
    world.advance_to(target);
}

#[test]
fn a_runner_registers_only_after_the_boot_time() {
    let mut world = world(vec![]);
    let execution = start_runner(&mut world, "pool-1");

    after(&mut world, 59);
    assert_eq!(world.census(&[]).booting, 1);
    assert!(world.runners().values().all(|r| !r.online));

    after(&mut world, 1);
    assert_eq!(world.census(&[]).idle, 1);
    assert_eq!(world.execution(&execution).unwrap().runner_id, Some(1));
}

#[test]
fn an_idle_runner_takes_the_oldest_matching_job_not_the_one_it_was_started_for() {
    // The scaler starts a runner for the second (linux) job; the first job arrived earlier and
    // also matches, so GitHub hands the runner the first one.
    let mut world = world(vec![
        job(0, 1, &["self-hosted", "gpu"], 5),
        job(10, 2, &["self-hosted", "linux"], 5),
        job(20, 3, &["linux"], 5),
    ]);
    after(&mut world, 30);
    start_runner(&mut world, "pool-1");
    after(&mut world, 60);

    let taken: Vec<(u64, JobStatus)> = world
        .jobs()
        .values()
        .map(|j| (j.run_id, j.status))
        .collect();
    assert_eq!(taken[0].1, JobStatus::Queued, "the gpu job is nobody's");
    assert_eq!(
        taken[1].1,
        JobStatus::InProgress,
        "the oldest matching job is taken"
    );
    assert_eq!(taken[2].1, JobStatus::Queued);
}

#[test]
fn a_finished_job_deregisters_the_runner_and_ends_the_execution() {
    let mut world = world(vec![job(0, 1, &["linux"], 5)]);
    let execution = start_runner(&mut world, "pool-1");
    after(&mut world, 60 + 5 * 60);

    let finished = world.jobs().values().next().unwrap();
    assert_eq!(finished.conclusion, Some(Conclusion::Success));
    assert!(
        world.runners().is_empty(),
        "an ephemeral runner leaves after its job"
    );
    assert_eq!(
        world.execution(&execution).unwrap().status,
        ExecutionStatus::Running
    );

    after(&mut world, 10);
    assert_eq!(
        world.execution(&execution).unwrap().status,
        ExecutionStatus::Succeeded
    );
}

#[test]
fn the_replica_timeout_stops_a_runner_that_never_found_a_job() {
    let mut world = world(vec![]);
    let execution = start_runner(&mut world, "pool-1");
    after(&mut world, 30 * 60);

    let execution = world.execution(&execution).unwrap();
    assert_eq!(execution.status, ExecutionStatus::Failed);
    assert_eq!(execution.end_reason, Some(EndReason::TimedOut));
    assert!(
        world.runners().values().all(|r| !r.online),
        "its runner went offline"
    );
}

#[test]
fn a_waiting_job_is_not_assigned_until_approved() {
    let mut gated = job(0, 1, &["linux"], 5);
    gated.approval = Some(Duration::minutes(10));
    let mut world = world(vec![gated]);
    start_runner(&mut world, "pool-1");
    after(&mut world, 5 * 60);

    let job = world.jobs().values().next().unwrap();
    assert_eq!(job.status, JobStatus::Waiting);
    assert_eq!(
        world.runs().values().next().unwrap().status,
        RunStatus::Waiting
    );

    after(&mut world, 5 * 60);
    let job = world.jobs().values().next().unwrap();
    assert_eq!(job.status, JobStatus::InProgress);
    assert_eq!(job.queued_at, Some(t0() + Duration::minutes(10)));
}

#[test]
fn github_cancels_a_job_nobody_took_within_24_hours() {
    let mut world = world(vec![job(0, 1, &["gpu"], 5)]);
    after(&mut world, 24 * 3600 - 1);
    assert_eq!(
        world.jobs().values().next().unwrap().status,
        JobStatus::Queued
    );

    after(&mut world, 1);
    let job = world.jobs().values().next().unwrap();
    assert_eq!(job.conclusion, Some(Conclusion::Cancelled));
    assert_eq!(
        world.runs().values().next().unwrap().status,
        RunStatus::Completed
    );
}

#[test]
fn a_jit_config_works_once() {
    let mut world = world(vec![]);
    let labels = vec!["linux".to_string()];
    let (_, jit) = world
        .register_jit_runner("pool-1", &labels, 1, Scope::Org)
        .unwrap();
    let first = world.start_execution(template(&jit));
    let second = world.start_execution(template(&jit));
    after(&mut world, 60);

    assert_eq!(
        world.execution(&first).unwrap().status,
        ExecutionStatus::Running
    );
    let second = world.execution(&second).unwrap();
    assert_eq!(second.status, ExecutionStatus::Failed);
    assert_eq!(second.end_reason, Some(EndReason::BadJitConfig));
}

#[test]
fn an_execution_without_a_valid_jit_config_fails_at_boot() {
    let mut world = world(vec![]);
    let missing = world.start_execution(json!({"containers": [{"name": "runner", "image": "i"}]}));
    let garbage = world.start_execution(template("bm90IGEgY29uZmln"));
    after(&mut world, 60);
    for name in [missing, garbage] {
        assert_eq!(
            world.execution(&name).unwrap().end_reason,
            Some(EndReason::BadJitConfig)
        );
    }
}

#[test]
fn runner_names_are_unique_within_the_organisation() {
    let mut world = world(vec![]);
    let labels = vec!["linux".to_string()];
    world
        .register_jit_runner("pool-1", &labels, 1, Scope::Org)
        .unwrap();
    assert!(
        world
            .register_jit_runner("POOL-1", &labels, 1, Scope::Org)
            .is_err()
    );
}

#[test]
fn stopping_a_busy_execution_fails_its_job() {
    let mut world = world(vec![job(0, 1, &["linux"], 5)]);
    let execution = start_runner(&mut world, "pool-1");
    after(&mut world, 90);
    assert!(world.stop_execution(&execution));

    let job = world.jobs().values().next().unwrap();
    assert_eq!(job.conclusion, Some(Conclusion::Failure));
    assert_eq!(
        world.execution(&execution).unwrap().status,
        ExecutionStatus::Stopped
    );
}

#[test]
fn a_busy_runner_cannot_be_deleted_but_an_idle_one_can() {
    let mut world = world(vec![job(0, 1, &["linux"], 5)]);
    start_runner(&mut world, "pool-1");
    let idle_execution = start_runner(&mut world, "pool-2");
    after(&mut world, 60);

    let busy = world
        .runners()
        .values()
        .find(|r| r.job.is_some())
        .unwrap()
        .id;
    let idle = world
        .runners()
        .values()
        .find(|r| r.job.is_none())
        .unwrap()
        .id;
    assert!(world.delete_runner(busy, &Scope::Org).is_err());
    assert!(world.delete_runner(idle, &Scope::Org).is_ok());
    assert!(world.delete_runner(idle, &Scope::Org).is_err(), "gone now");

    after(&mut world, 10);
    let execution = world.execution(&idle_execution).unwrap();
    assert_eq!(execution.end_reason, Some(EndReason::RunnerDeleted));
}

#[test]
fn a_run_is_listed_under_its_old_status_for_a_short_while() {
    let mut world = world(vec![job(0, 1, &["linux"], 5)]);
    start_runner(&mut world, "pool-1");
    after(&mut world, 60);
    let run = world.runs().values().next().unwrap().clone();
    let now = world.now();

    assert!(run.listed_under("in_progress", now));
    assert!(run.listed_under("queued", now), "the listing lags behind");
    assert!(!run.listed_under("queued", now + Duration::seconds(30)));
}

#[test]
fn a_static_host_outside_the_pool_takes_jobs_its_labels_satisfy() {
    let mut config = config();
    config.static_runners = vec![("static-1".into(), vec!["windows".into()])];
    let workload = Workload::new(vec![job(0, 1, &["self-hosted", "windows"], 5)]);
    let mut world = World::new(config, &workload, ManualClock::new(t0()));
    after(&mut world, 1);

    let job = world.jobs().values().next().unwrap();
    assert_eq!(job.status, JobStatus::InProgress);
    assert!(!job.runner.as_ref().unwrap().pooled);
    after(&mut world, 5 * 60);
    assert_eq!(world.runners().len(), 1, "a static host stays");
}

#[test]
fn the_most_concurrent_executions_are_remembered() {
    let mut world = world(vec![]);
    start_runner(&mut world, "a");
    start_runner(&mut world, "b");
    after(&mut world, 30 * 60);
    start_runner(&mut world, "c");
    assert_eq!(world.max_active_executions(), 2);
    assert_eq!(world.active_executions(), 1);
}
