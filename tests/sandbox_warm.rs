//! Warm runners in the sandbox: the real scaler keeps runners ready while a warm rule is in
//! force, drains them after it ends, and never stops a busy runner.

use std::ops::ControlFlow;

use aca_runner_scaler::sandbox::{SandboxOptions, TickLine, simulate};
use chrono::{Duration, NaiveTime};

/// Mondays 09:00 to 11:00 UTC, three idle runners; the sandbox day starts Monday 08:00 UTC.
const WARM: &str =
    r#"[{"start": "0 9 * * 1-5", "end": "0 11 * * 1-5", "timezone": "UTC", "idle": 3}]"#;
const CAP: u32 = 20;

fn options(warm: Option<&str>) -> SandboxOptions {
    SandboxOptions {
        duration: Duration::hours(4),
        max_executions: CAP,
        warm_schedule: warm.map(str::to_owned),
        ..SandboxOptions::default()
    }
}

fn between(tick: &TickLine, from: (u32, u32), to: (u32, u32)) -> bool {
    let time = tick.at.time();
    let at = |(h, m): (u32, u32)| NaiveTime::from_hms_opt(h, m, 0).unwrap();
    time >= at(from) && time < at(to)
}

/// Share of the window's ticks that ended with at least three runners ready (idle or
/// booting), or the pool at its cap.
fn ready_share(ticks: &[TickLine]) -> f64 {
    let window: Vec<&TickLine> = ticks
        .iter()
        .filter(|t| between(t, (9, 1), (11, 0)))
        .collect();
    let ready = window
        .iter()
        .filter(|t| t.census.idle + t.census.booting >= 3 || t.census.active() >= CAP as usize)
        .count();
    ready as f64 / window.len() as f64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warm_runners_are_ready_in_the_window_drained_after_it_and_no_busy_runner_is_stopped() {
    let mut warm_ticks = Vec::new();
    let warm = simulate(&options(Some(WARM)), |t| {
        warm_ticks.push(t.clone());
        ControlFlow::Continue(())
    })
    .await
    .unwrap();
    let mut cold_ticks = Vec::new();
    let cold = simulate(&options(None), |t| {
        cold_ticks.push(t.clone());
        ControlFlow::Continue(())
    })
    .await
    .unwrap();

    assert_eq!(warm.ticks_failed, 0, "{:?}", warm.problems);
    // Before the window nothing is kept warm; from its first minute, three runners are ready.
    let before = warm_ticks
        .iter()
        .find(|t| between(t, (8, 59), (9, 0)))
        .unwrap();
    assert_eq!(before.census.idle + before.census.booting, 0, "{before}");
    let opening = warm_ticks
        .iter()
        .find(|t| between(t, (9, 0), (9, 1)))
        .unwrap();
    assert!(opening.started >= 3, "{opening}");
    let share = ready_share(&warm_ticks);
    assert!(share >= 0.95, "ready in {share:.2} of the window's ticks");
    assert!(
        ready_share(&cold_ticks) < 0.5,
        "without the rule the pool is rarely ready"
    );

    // Two idle observations after the window closes, the surplus is gone.
    for tick in warm_ticks.iter().filter(|t| between(t, (11, 2), (11, 10))) {
        assert_eq!(tick.census.idle, 0, "{tick}");
    }
    let stopped = warm.executions.ended.get("stopped").copied().unwrap_or(0);
    assert!(
        stopped >= 3,
        "the warm runners were drained: {:?}",
        warm.executions.ended
    );

    // Stopping an execution that runs a job fails the job: none did.
    assert_eq!(warm.jobs.failed, 0, "{:?}", warm.jobs);
    assert_eq!(warm.jobs.completed, warm.jobs.for_pool);

    // The trade: shorter waits for more idle minutes.
    assert!(
        warm.wait_seconds.p50 < cold.wait_seconds.p50,
        "{:?} vs {:?}",
        warm.wait_seconds,
        cold.wait_seconds
    );
    assert!(warm.executions.idle_minutes > cold.executions.idle_minutes);
}
