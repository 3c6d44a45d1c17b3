//! `aca-runner-scaler sandbox` as a person runs it: option errors, what it prints, and how it
//! behaves in a pipeline.

use std::io::{BufRead, BufReader};
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

/// `sandbox ARGS | head -n LINES`: reads `lines` lines of stdout, closes it, and returns the
/// exit code and stderr.
fn sandbox_into_head(args: &[&str], lines: usize) -> (Option<i32>, String) {
    let mut child = Command::new(BIN)
        .arg("sandbox")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
    for _ in 0..lines {
        let mut line = String::new();
        stdout.read_line(&mut line).expect("a line");
        assert!(
            !line.is_empty(),
            "the sandbox printed fewer than {lines} lines"
        );
    }
    drop(stdout);
    let output = child.wait_with_output().expect("the sandbox exits");
    (output.status.code(), stderr(&output))
}

#[test]
fn a_reader_that_stops_early_ends_the_run_quietly() {
    let cases: &[(&str, &[&str], usize)] = &[
        ("tick lines, after two", &["--duration", "8h"], 2),
        ("tick lines, before the first", &["--duration", "8h"], 0),
        ("the summary, before it", &["--duration", "2m", "--json"], 0),
    ];
    for (name, args, lines) in cases {
        let (code, message) = sandbox_into_head(args, *lines);
        assert_eq!(code, Some(0), "{name}: {message}");
        assert!(!message.contains("panicked"), "{name}: {message}");
        assert!(!message.contains("Broken pipe"), "{name}: {message}");
    }
}
