//! `aca-runner-scaler sandbox` as a person runs it: option errors, what it prints, and how it
//! behaves in a pipeline.

use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_aca-runner-scaler");

/// Runs `aca-runner-scaler sandbox ARGS` and waits for it to exit.
fn sandbox(args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("sandbox")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn a_duration_beyond_a_week_or_between_minutes_is_refused_naming_the_option_and_limit() {
    let cases = [
        ("999999h", "must be at most 7d"),
        ("99999999999999h", "must be at most 7d"),
        ("119s", "must be whole minutes"),
        ("30s", "must be at least 1m"),
    ];
    for (duration, expected) in cases {
        let output = sandbox(&["--duration", duration]);
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{duration}: {message}");
        assert!(message.contains("--duration"), "{duration}: {message}");
        assert!(message.contains(expected), "{duration}: {message}");
        assert!(output.stdout.is_empty(), "{duration}: nothing simulated");
    }
}

#[test]
fn a_one_minute_run_says_one_tick() {
    let output = sandbox(&["--duration", "1m"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("\nsandbox: 1m00s of simulated time, 1 tick (0 failed), default day"),
        "{text}"
    );
}

#[test]
fn the_help_explains_the_boot_grace_and_its_default() {
    let output = sandbox(&["--help"]);
    assert_eq!(output.status.code(), Some(0));
    let help = stdout(&output);
    for expected in ["--boot-grace", "RUNNER_BOOT_GRACE", "--boot-time plus 1m"] {
        assert!(help.contains(expected), "{expected} in {help}");
    }
}

#[test]
fn tick_times_are_marked_utc_whatever_offset_the_start_has() {
    let output = sandbox(&["--duration", "2m", "--start", "2026-03-02T08:00:00+02:00"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("06:00Z queued "), "{text}");
    assert!(lines[1].starts_with("06:01Z queued "), "{text}");
    assert_eq!(lines[2], "");
    assert!(
        lines[3].starts_with("sandbox: 2m00s of simulated time"),
        "{text}"
    );
}
