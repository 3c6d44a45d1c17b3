//! The binary as an operator runs it: exit codes, output streams, messages.

mod common;

use std::process::{Output, Stdio};
use std::time::Duration as StdDuration;

use common::*;
use serde_json::Value;
use tokio::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_aca-runner-scaler");

fn command(vars: &std::collections::BTreeMap<String, String>, args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command
        .env_clear()
        .envs(vars)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Runs the binary with only `vars` in its environment and waits for it to exit.
async fn run(vars: &std::collections::BTreeMap<String, String>, args: &[&str]) -> Output {
    command(vars, args).output().await.unwrap()
}

#[tokio::test]
async fn check_reports_a_key_vault_reference_and_a_misspelling_and_exits_1() {
    let world = World::start().await;
    let mut vars = world.vars(&[(
        "GITHUB_APP_PRIVATE_KEY",
        "@Microsoft.KeyVault(SecretUri=https://v.vault.azure.net/secrets/k/)",
    )]);
    vars.insert("RUNNER_LABEL".into(), "gpu".into());

    let output = run(&vars, &["check"]).await;

    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("GITHUB_APP_PRIVATE_KEY: is an unresolved Key Vault reference"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "RUNNER_LABEL is not a setting of aca-runner-scaler; did you mean RUNNER_LABELS?"
        ),
        "{stderr}"
    );
    assert!(
        !stderr.contains("vault.azure.net"),
        "the reference is not echoed: {stderr}"
    );
}

#[tokio::test]
async fn check_prints_the_settings_in_force_without_secrets() {
    let world = World::start().await;
    let output = run(&world.vars(&[]), &["check"]).await;
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("settings are valid"), "{stdout}");
    assert!(stdout.contains("GitHub App"), "{stdout}");
    assert!(
        !stdout.contains("PRIVATE KEY") && !stdout.contains(IDENTITY_HEADER),
        "{stdout}"
    );
}

#[tokio::test]
async fn reconcile_prints_the_report_on_stdout_and_exits_by_outcome() {
    let world = World::start().await;
    world.mount_runs("api", "queued", &[1]).await;
    world
        .mount_jobs("api", 1, vec![job(1, 1, "queued", &["linux"], None)])
        .await;

    let output = run(&world.vars(&[]), &["reconcile", "--dry-run"]).await;
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["demand"]["count"], 1);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("tick"), "logs go to stderr: {stderr}");

    wiremock::Mock::given(wiremock::matchers::path(
        "/repos/octo-org/missing/actions/runs",
    ))
    .respond_with(wiremock::ResponseTemplate::new(404))
    .mount(&world.github)
    .await;
    let failing = run(
        &world.vars(&[("GITHUB_REPOS", "api,missing")]),
        &["reconcile", "--dry-run"],
    )
    .await;
    assert_eq!(failing.status.code(), Some(2));
    let report: Value = serde_json::from_slice(&failing.stdout).unwrap();
    assert_eq!(
        report["failed_reads"][0]["read"],
        "repository octo-org/missing"
    );

    let invalid = run(&world.vars(&[("MAX_EXECUTIONS", "-1")]), &["reconcile"]).await;
    assert_eq!(invalid.status.code(), Some(1));
    assert!(invalid.stdout.is_empty());
}

#[tokio::test]
async fn serve_needs_the_port_the_host_sets() {
    let world = World::start().await;
    let output = run(&world.vars(&[]), &["serve"]).await;
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("FUNCTIONS_CUSTOMHANDLER_PORT is not set")
    );
}

#[tokio::test]
async fn serve_answers_the_host_and_stops_on_sigterm() {
    let world = World::start().await;
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let mut vars = world.vars(&[]);
    vars.insert("FUNCTIONS_CUSTOMHANDLER_PORT".into(), port.to_string());
    let child = command(&vars, &["serve"]).spawn().unwrap();

    // Poll readiness like the host: any answer counts.
    let client = aca_runner_scaler::http::client();
    let mut ready = false;
    for _ in 0..200 {
        if client
            .get(format!("http://127.0.0.1:{port}/"))
            .send()
            .await
            .is_ok()
        {
            ready = true;
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(25)).await;
    }
    assert!(ready, "the handler never answered the readiness probe");
    let (status, reply) = invoke(
        ([127, 0, 0, 1], port).into(),
        "reconcile-timer",
        &timer_payload(),
    )
    .await;
    assert_eq!(status, 200);
    assert!(reply["Logs"][0].as_str().unwrap().starts_with("tick:"));

    let pid = child.id().unwrap().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .unwrap();
    assert!(killed.success());
    let output = tokio::time::timeout(StdDuration::from_secs(10), child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&output.stdout);
    // JSON logs on stdout, one object per line, the tick event among them.
    let events: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        events.iter().any(|e| e["fields"]["message"] == "tick"),
        "{stdout}"
    );
    assert!(
        events
            .iter()
            .any(|e| e["fields"]["message"] == "handler stopped"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("ghs_first") && !stdout.contains("PRIVATE KEY"),
        "{stdout}"
    );
}

#[tokio::test]
async fn schedule_lists_the_next_changes_from_warm_schedule_alone() {
    let mut vars = std::collections::BTreeMap::new();
    vars.insert(
        "WARM_SCHEDULE".to_owned(),
        r#"[{"start": "0 8 * * 1-5", "end": "0 18 * * 1-5", "timezone": "Europe/Paris", "idle": 2}]"#.to_owned(),
    );
    // Friday before the spring change: 08:00 Paris is 07:00 UTC, the Monday after 06:00 UTC.
    let output = run(
        &vars,
        &["schedule", "--from", "2026-03-27T00:00:00Z", "--count", "3"],
    )
    .await;
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].starts_with("Warm minimum at 2026-03-27 00:00 UTC: 0 idle"),
        "{stdout}"
    );
    assert!(
        lines[2].starts_with("2026-03-27 07:00  2026-03-27 08:00 CET Europe/Paris"),
        "{stdout}"
    );
    assert!(
        lines[3].starts_with("2026-03-27 17:00  2026-03-27 18:00 CET Europe/Paris"),
        "{stdout}"
    );
    assert!(
        lines[4].starts_with("2026-03-30 06:00  2026-03-30 08:00 CEST Europe/Paris"),
        "{stdout}"
    );

    vars.insert(
        "WARM_SCHEDULE".to_owned(),
        r#"[{"start": "0 8 * *", "end": "0 18 * * 1-5", "idle": 2}]"#.to_owned(),
    );
    let invalid = run(&vars, &["schedule"]).await;
    assert_eq!(invalid.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&invalid.stderr).contains("WARM_SCHEDULE rule 1 \"start\""));
}
