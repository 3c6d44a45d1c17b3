//! Warm runners and scale-down against the fakes: warm top-up through the cap, replacing a warm
//! runner that took a job, draining surplus only after two idle observations and only when
//! GitHub lets go of the registration, stopping lost and finished executions, removing orphan
//! registrations, and doing none of it on a failed read.

mod common;

use aca_runner_scaler::reconcile::report::TickReport;
use aca_runner_scaler::reconcile::stop::StopResult;
use aca_runner_scaler::reconcile::{Scaler, TickOptions};
use aca_runner_scaler::scaling::drain::StopReason;
use chrono::Duration;
use common::*;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

/// A warm rule in force all the time (every minute starts it, it ends once a year).
const ALWAYS_WARM: &str =
    r#"[{"start": "* * * * *", "end": "0 0 1 1 *", "timezone": "UTC", "idle": 2}]"#;

async fn mount_stop(world: &World, execution: &str) {
    Mock::given(method("POST"))
        .and(path(format!("{JOB_PATH}/executions/{execution}/stop")))
        .respond_with(ResponseTemplate::new(200))
        .mount(&world.azure)
        .await;
}

async fn mount_delete(world: &World, runner_id: u64, status: u16) {
    let body = json!({ "message": "Bad request - Runner \"x\" is still running a job\"" });
    Mock::given(method("DELETE"))
        .and(path(format!("/orgs/{OWNER}/actions/runners/{runner_id}")))
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
        .mount(&world.github)
        .await;
}

/// `e-lost`, running for 30 minutes for a runner GitHub never saw, and its stop.
async fn mount_lost_execution(world: &World) {
    world
        .mount_executions(vec![running(
            "e-lost",
            Duration::minutes(30),
            "pool-lost0000",
        )])
        .await;
    mount_stop(world, "e-lost").await;
}

/// Ticks, lets a minute pass and ticks again, and returns the second report: a drain acts only
/// on a second observation.
async fn tick_twice(world: &World, scaler: &Scaler, options: TickOptions) -> TickReport {
    scaler.tick(options).await;
    world.clock.advance(Duration::minutes(1));
    scaler.tick(options).await
}

async fn stops_sent(world: &World) -> Vec<String> {
    world
        .azure_requests("POST", &format!("{JOB_PATH}/executions/"))
        .await
        .iter()
        .map(|r| r.url.path().rsplit('/').nth(1).unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_warm_minimum_tops_up_idle_runners_through_the_cap() {
    let world = World::start().await;
    world
        .mount_runners(vec![
            runner(1, "pool-idle0000", true, false),
            runner(2, "pool-busy0000", true, true),
        ])
        .await;
    world
        .mount_executions(vec![
            running("e-idle", Duration::minutes(10), "pool-idle0000"),
            running("e-busy", Duration::minutes(10), "pool-busy0000"),
        ])
        .await;
    world.mount_jit().await;
    world.mount_start().await;

    let report = world
        .scaler(&[("WARM_SCHEDULE", ALWAYS_WARM)])
        .tick(TickOptions::default())
        .await;
    assert_eq!(report.warm.idle, 2);
    assert_eq!(report.warm.rule.as_ref().map(|r| r.index), Some(1));
    // warm 2 - spare 1 = 1 start.
    assert_eq!(report.started.len(), 1);

    let capped = World::start().await;
    capped.mount_jit().await;
    capped.mount_start().await;
    let report = capped
        .scaler(&[
            ("WARM_SCHEDULE", ALWAYS_WARM),
            ("MAX_EXECUTIONS", "2"),
            ("MAX_STARTS_PER_TICK", "1"),
        ])
        .tick(TickOptions::default())
        .await;
    assert_eq!(report.plan.wanted, 2);
    assert_eq!(report.started.len(), 1);
}

#[tokio::test]
async fn a_warm_runner_that_takes_a_job_is_replaced_on_the_next_tick() {
    let world = World::start().await;
    let executions = vec![
        running("e-1", Duration::minutes(10), "pool-10000000"),
        running("e-2", Duration::minutes(10), "pool-20000000"),
    ];
    world.mount_executions(executions).await;
    world.mount_jit().await;
    world.mount_start().await;
    // First both runners are idle, then pool-1 takes a job.
    Mock::given(method("GET"))
        .and(path(format!("/orgs/{OWNER}/actions/runners")))
        .respond_with(ok(json!({ "total_count": 2, "runners": [runner(1, "pool-10000000", true, false), runner(2, "pool-20000000", true, false)] })))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&world.github)
        .await;
    world
        .mount_runners(vec![
            runner(1, "pool-10000000", true, true),
            runner(2, "pool-20000000", true, false),
        ])
        .await;
    let scaler = world.scaler(&[("WARM_SCHEDULE", ALWAYS_WARM)]);

    let first = scaler.tick(TickOptions::default()).await;
    world.clock.advance(Duration::minutes(1));
    let second = scaler.tick(TickOptions::default()).await;

    assert!(first.started.is_empty());
    assert_eq!(second.started.len(), 1);
}

#[tokio::test]
async fn surplus_is_drained_after_two_idle_ticks_registration_first() {
    let world = World::start().await;
    world
        .mount_runners(vec![
            runner(41, "pool-old00000", true, false),
            runner(42, "pool-young000", true, false),
        ])
        .await;
    world
        .mount_executions(vec![
            running("e-old", Duration::minutes(40), "pool-old00000"),
            running("e-young", Duration::minutes(5), "pool-young000"),
        ])
        .await;
    mount_delete(&world, 41, 204).await;
    mount_stop(&world, "e-old").await;
    let scaler = world.scaler(&[(
        "WARM_SCHEDULE",
        r#"[{"start": "* * * * *", "end": "0 0 1 1 *", "idle": 1}]"#,
    )]);

    let first = scaler.tick(TickOptions::default()).await;
    assert_eq!(first.drain.plan.surplus, 1);
    assert!(
        first.drain.plan.stops.is_empty(),
        "not on a single observation"
    );
    assert!(stops_sent(&world).await.is_empty());

    world.clock.advance(Duration::minutes(1));
    let second = scaler.tick(TickOptions::default()).await;
    assert_eq!(second.drain.stops.len(), 1);
    assert_eq!(second.drain.stops[0].execution, "e-old", "oldest first");
    assert_eq!(second.drain.stops[0].reason, StopReason::Surplus);
    assert_eq!(second.drain.stops[0].result, StopResult::Stopped);
    assert_eq!(
        world
            .github_requests("DELETE", "/orgs/octo-org/actions/runners/41")
            .await
            .len(),
        1
    );
    assert_eq!(stops_sent(&world).await, vec!["e-old"]);
}

#[tokio::test]
async fn a_runner_that_just_took_a_job_is_kept_when_github_refuses_the_delete() {
    let world = World::start().await;
    world
        .mount_runners(vec![runner(7, "pool-a0000000", true, false)])
        .await;
    world
        .mount_executions(vec![running("e-a", Duration::minutes(30), "pool-a0000000")])
        .await;
    mount_delete(&world, 7, 422).await;
    mount_stop(&world, "e-a").await;
    let scaler = world.scaler(&[]);

    let report = tick_twice(&world, &scaler, TickOptions::default()).await;

    assert_eq!(report.drain.stops.len(), 1);
    assert_eq!(report.drain.stops[0].result, StopResult::KeptBusy);
    assert!(
        stops_sent(&world).await.is_empty(),
        "a busy runner is never stopped"
    );
}

#[tokio::test]
async fn nothing_is_stopped_when_the_runners_read_fails() {
    let world = World::start().await;
    mount_lost_execution(&world).await;
    Mock::given(method("GET"))
        .and(path(format!("/orgs/{OWNER}/actions/runners")))
        .respond_with(ResponseTemplate::new(502))
        .mount(&world.github)
        .await;
    let scaler = world.scaler(&[]);

    for _ in 0..3 {
        let report = scaler.tick(TickOptions::default()).await;
        assert!(!report.ok);
        assert!(report.drain.plan.held_back.is_some());
        world.clock.advance(Duration::minutes(1));
    }
    assert!(stops_sent(&world).await.is_empty());
}

#[tokio::test]
async fn lost_and_finished_executions_are_stopped_and_counted() {
    let world = World::start().await;
    world.mount_runs("api", "in_progress", &[5]).await;
    let mut done = job(51, 5, "completed", &["linux"], Some("pool-done0000"));
    done["completed_at"] = json!(t0() - Duration::minutes(10));
    world.mount_jobs("api", 5, vec![done]).await;
    // pool-lost registered (JIT) but never connected; its registration goes first.
    world
        .mount_runners(vec![runner(60, "pool-lost0000", false, false)])
        .await;
    world
        .mount_executions(vec![
            running("e-lost", Duration::minutes(30), "pool-lost0000"),
            running("e-done", Duration::minutes(30), "pool-done0000"),
            running("e-new", Duration::minutes(1), "pool-new00000"),
        ])
        .await;
    mount_delete(&world, 60, 204).await;
    mount_stop(&world, "e-lost").await;
    mount_stop(&world, "e-done").await;
    let scaler = world.scaler(&[]);

    let report = tick_twice(&world, &scaler, TickOptions::default()).await;

    let reasons: Vec<(&str, StopReason)> = report
        .drain
        .stops
        .iter()
        .map(|s| (s.execution.as_str(), s.reason))
        .collect();
    assert_eq!(
        reasons,
        vec![
            ("e-done", StopReason::Finished),
            ("e-lost", StopReason::Lost)
        ]
    );
    assert_eq!(report.stopped(), 2);
    assert_eq!(stops_sent(&world).await, vec!["e-done", "e-lost"]);
    assert_eq!(
        world
            .github_requests("DELETE", "/orgs/octo-org/actions/runners/60")
            .await
            .len(),
        1
    );
    assert!(
        report.summary().contains("did 2 of 2 planned stops"),
        "{}",
        report.summary()
    );
}

#[tokio::test]
async fn orphan_registrations_are_deleted_after_the_boot_grace() {
    let world = World::start().await;
    world
        .mount_runners(vec![
            runner(90, "pool-orphan00", false, false),
            runner(91, "static-vm", false, false),
            // Another pool whose prefix starts with ours, and a static machine with our prefix.
            runner(92, "pool-gpu-abcdefgh", false, false),
            runner(93, "pool-vm1", false, false),
        ])
        .await;
    mount_delete(&world, 90, 204).await;
    let scaler = world.scaler(&[("RUNNER_BOOT_GRACE", "120")]);

    scaler.tick(TickOptions::default()).await;
    world.clock.advance(Duration::minutes(1));
    let early = scaler.tick(TickOptions::default()).await;
    assert!(early.drain.orphans_removed.is_empty());
    world.clock.advance(Duration::minutes(1));
    let report = scaler.tick(TickOptions::default()).await;

    assert_eq!(report.drain.orphans_removed.len(), 1);
    assert_eq!(report.drain.orphans_removed[0].runner, "pool-orphan00");
    for other in [91, 92, 93] {
        let path = format!("/orgs/octo-org/actions/runners/{other}");
        assert!(
            world.github_requests("DELETE", &path).await.is_empty(),
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_dry_run_plans_stops_without_doing_them_and_the_cap_holds() {
    let world = World::start().await;
    let names: Vec<String> = (0..5).map(|i| format!("pool-lost{i:04}")).collect();
    world
        .mount_executions(
            names
                .iter()
                .map(|n| running(&format!("e-{n}"), Duration::minutes(30), n))
                .collect(),
        )
        .await;
    let scaler = world.scaler(&[("MAX_STOPS_PER_TICK", "3")]);

    let report = tick_twice(&world, &scaler, TickOptions { dry_run: true }).await;

    assert_eq!(report.drain.plan.stops.len(), 3);
    assert_eq!(report.drain.plan.deferred, 2);
    assert!(report.drain.stops.is_empty());
    assert!(stops_sent(&world).await.is_empty());
}

#[tokio::test]
async fn an_inaccessible_repository_does_not_block_scale_down_but_a_server_error_does() {
    // 404, 403, 410 and a rename's 301 answer the same every tick; 500 may not.
    for (status, stops) in [(404u16, 1usize), (403, 1), (410, 1), (301, 1), (500, 0)] {
        let world = World::start().await;
        Mock::given(method("GET"))
            .and(path(format!("/repos/{OWNER}/web/actions/runs")))
            .respond_with(ResponseTemplate::new(status))
            .mount(&world.github)
            .await;
        mount_lost_execution(&world).await;
        let scaler = world.scaler(&[]);

        let report = tick_twice(&world, &scaler, TickOptions::default()).await;

        assert!(!report.ok, "the failed read is still reported");
        assert_eq!(
            stops_sent(&world).await.len(),
            stops,
            "repository answering {status}"
        );
        if status == 301 {
            let error = &report.failed_reads[0].error;
            assert!(error.contains("renamed or transferred"), "{error}");
        }
    }
}

#[tokio::test]
async fn with_self_registering_images_a_lost_execution_is_left_running() {
    let world = World::start().await;
    mount_lost_execution(&world).await;
    let scaler = world.scaler(&[("RUNNER_REGISTRATION", "none")]);

    let report = tick_twice(&world, &scaler, TickOptions::default()).await;

    assert_eq!(
        report
            .executions
            .by_class
            .get(&aca_runner_scaler::scaling::classify::ExecutionClass::Lost),
        Some(&1)
    );
    assert!(report.drain.plan.stops.is_empty());
    assert!(stops_sent(&world).await.is_empty());
}
