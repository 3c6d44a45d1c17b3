//! The real scaler, unchanged, driven through the Functions host protocol against the
//! emulator: a short working day end to end, and the summary's determinism.

use std::ops::ControlFlow;

use aca_runner_scaler::sandbox::{SandboxOptions, TickLine, simulate};
use chrono::Duration;

fn options(hours: i64, seed: u64) -> SandboxOptions {
    SandboxOptions {
        duration: Duration::hours(hours),
        seed,
        max_executions: 12,
        ..SandboxOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_day_serves_every_job_the_pool_can_serve_within_the_cap() {
    let options = options(2, 1);
    let mut ticks: Vec<TickLine> = Vec::new();
    let summary = simulate(&options, |tick| {
        ticks.push(tick.clone());
        ControlFlow::Continue(())
    })
    .await
    .unwrap();

    assert_eq!(summary.ticks, 120);
    assert_eq!(summary.ticks_failed, 0, "problems: {:?}", summary.problems);
    let jobs = &summary.jobs;
    assert!(jobs.for_pool > 100, "a real day's worth of jobs: {jobs:?}");
    assert_eq!(
        jobs.completed, jobs.for_pool,
        "every pool job completed: {jobs:?}"
    );
    assert!(
        jobs.not_for_pool > 0,
        "the day has jobs the pool cannot serve"
    );

    let cap = options.max_executions as usize;
    assert!(
        summary.executions.max_concurrent <= cap,
        "{:?}",
        summary.executions
    );
    assert!(ticks.iter().all(|t| t.census.active() <= cap));
    // Each job a pool runner completed took one execution.
    assert!(summary.executions.started >= jobs.completed - jobs.for_pool_taken_elsewhere);
    assert!(
        summary.github.installation_tokens >= 2,
        "the hourly token was refreshed"
    );
    assert!(
        summary.github.not_modified > 0,
        "conditional requests were used"
    );
    assert_eq!(summary.github.errors, 0);
    assert_eq!(summary.azure.errors, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_json_summary_for_a_fixed_seed_is_identical_across_runs() {
    let first = simulate(&options(1, 7), |_| ControlFlow::Continue(()))
        .await
        .unwrap();
    let second = simulate(&options(1, 7), |_| ControlFlow::Continue(()))
        .await
        .unwrap();
    let other = simulate(&options(1, 8), |_| ControlFlow::Continue(()))
        .await
        .unwrap();

    let json = |s| serde_json::to_string_pretty(s).unwrap();
    assert_eq!(json(&first), json(&second));
    assert_ne!(json(&first), json(&other), "another seed, another day");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_told_to_stop_after_a_tick_stops_there_and_sums_up_the_ticks_it_ran() {
    let mut seen = 0;
    let summary = simulate(&options(1, 1), |_| {
        seen += 1;
        if seen == 3 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })
    .await
    .unwrap();
    assert_eq!(seen, 3);
    assert_eq!(summary.ticks, 3);
    assert_eq!(summary.simulated_minutes, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_trace_runs_and_its_servable_jobs_complete() {
    let options = SandboxOptions {
        duration: Duration::minutes(60),
        trace: Some(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/trace.jsonl").into()),
        ..SandboxOptions::default()
    };
    let summary = simulate(&options, |_| ControlFlow::Continue(()))
        .await
        .unwrap();
    assert_eq!(summary.jobs.arrived, 12);
    assert_eq!(
        summary.jobs.not_for_pool, 2,
        "the gpu and ubuntu-latest jobs"
    );
    assert_eq!(summary.jobs.completed, 10);
    assert!(summary.workload.contains("trace.jsonl"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_day_that_fails_its_jobs_says_so_though_the_handler_reports_no_problem() {
    let cases = [
        (
            "replica timeout shorter than the jobs",
            SandboxOptions {
                replica_timeout: Duration::minutes(5),
                ..options(1, 1)
            },
            &["pool jobs failed", "executions hit the replica timeout"][..],
        ),
        (
            "no executions allowed",
            SandboxOptions {
                max_executions: 0,
                ..options(1, 1)
            },
            &["pool jobs never started (the longest queued for"][..],
        ),
    ];
    for (name, options, expected) in cases {
        let summary = simulate(&options, |_| ControlFlow::Continue(()))
            .await
            .unwrap();
        assert_eq!(summary.problems, Vec::<String>::new(), "{name}");
        let attention = summary.attention.join(", ");
        for part in expected {
            assert!(attention.contains(part), "{name}: {attention}");
        }
        let text = summary.to_string();
        assert!(
            text.contains(&format!("\nattention   {attention}\n")),
            "{name}: {text}"
        );
        assert!(text.contains("\nproblems    none\n"), "{name}: {text}");
    }

    let clean = simulate(&options(1, 1), |_| ControlFlow::Continue(()))
        .await
        .unwrap();
    assert_eq!(clean.attention, Vec::<String>::new());
    assert!(clean.to_string().contains("\nattention   none\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_boot_longer_than_the_boot_grace_gets_executions_stopped_before_they_register() {
    let one_job = |boot_grace| SandboxOptions {
        duration: Duration::minutes(30),
        trace: Some(
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/sandbox_support/one_job.jsonl"
            )
            .into(),
        ),
        boot_time: Duration::minutes(8),
        boot_grace,
        ..SandboxOptions::default()
    };

    let covered = simulate(&one_job(None), |_| ControlFlow::Continue(()))
        .await
        .unwrap();
    assert_eq!(
        covered.boot_grace_seconds,
        9 * 60,
        "boot time plus a minute"
    );
    assert_eq!(covered.jobs.completed, 1);
    assert_eq!(covered.executions.started, 1);

    let short = simulate(&one_job(Some(Duration::minutes(2))), |_| {
        ControlFlow::Continue(())
    })
    .await
    .unwrap();
    assert_eq!(short.boot_grace_seconds, 120, "the grace asked for");
    assert_eq!(short.jobs.completed, 0, "no runner lived to register");
    assert!(
        short.executions.ended.get("stopped").copied().unwrap_or(0) > 5,
        "{:?}",
        short.executions
    );
}

/// The speed promise: an 8-hour default day in well under a minute. Run it on an optimised
/// build: `cargo test --release --test sandbox_end_to_end -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a timing check; meaningful only in a release build"]
async fn an_eight_hour_default_day_runs_in_well_under_a_minute() {
    let started = std::time::Instant::now();
    let summary = simulate(&SandboxOptions::default(), |_| ControlFlow::Continue(()))
        .await
        .unwrap();
    let elapsed = started.elapsed();
    println!(
        "8 h default day: {elapsed:?} wall clock, {} ticks",
        summary.ticks
    );
    assert_eq!(summary.ticks, 480);
    assert!(
        elapsed < std::time::Duration::from_secs(30),
        "took {elapsed:?}"
    );
}
