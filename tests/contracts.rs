//! Contract tests: every payload in `../shared/fixtures` (real examples from GitHub's and
//! Azure's API descriptions) parses into the types the scaler reads, with the values the
//! scaler relies on. Skipped, saying so, when the folder is absent (a clone outside the
//! workspace).

use std::path::{Path, PathBuf};

use aca_runner_scaler::azure::template::{RunnerEnv, execution_template};
use aca_runner_scaler::azure::types::{ExecutionList, ExecutionRecord, Job, StartedExecution};
use aca_runner_scaler::github::types::{
    AccessToken, Installation, InstallationRepositories, JitConfig, RegistrationToken,
    RunnerRecord, Runners, WorkflowJob, WorkflowJobs, WorkflowRuns,
};
use aca_runner_scaler::settings::Secret;
use serde::de::DeserializeOwned;
use serde_json::Value;

fn fixtures() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipped: {} is absent", dir.display());
        None
    }
}

fn parse<T: DeserializeOwned>(dir: &Path, file: &str) -> T {
    let text = std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file} does not parse: {e}"))
}

/// The `workflow_job` of a webhook delivery has the fields of a listed job.
fn webhook_job(dir: &Path, file: &str) -> WorkflowJob {
    let delivery: Value = parse(dir, file);
    serde_json::from_value(delivery["workflow_job"].clone())
        .unwrap_or_else(|e| panic!("{file}: {e}"))
}

#[test]
fn every_fixture_is_covered_by_a_contract_test() {
    let Some(dir) = fixtures() else { return };
    let covered = [
        "github/get-installation.json",
        "github/get-org-installation.json",
        "github/create-installation-access-token.json",
        "github/list-installation-repositories.json",
        "github/list-workflow-runs-for-repo.json",
        "github/list-jobs-for-workflow-run.json",
        "github/get-job-for-workflow-run.json",
        "github/list-self-hosted-runners.json",
        "github/get-self-hosted-runner.json",
        "github/generate-jitconfig-response.json",
        "github/create-registration-token.json",
        "github/workflow-job-webhook-queued.json",
        "github/workflow-job-webhook-queued-with-deployment.json",
        "github/workflow-job-webhook-waiting.json",
        "github/workflow-job-webhook-in-progress.json",
        "github/workflow-job-webhook-in-progress-with-queued-steps.json",
        "github/workflow-job-webhook-completed-success.json",
        "github/workflow-job-webhook-completed-failure.json",
        "azure/job-get.json",
        "azure/job-execution-list.json",
        "azure/job-execution-get.json",
        "azure/job-start-request.json",
        "azure/job-start-response.json",
        "azure/job-stop-multiple-executions-response.json",
    ];
    for sub in ["github", "azure"] {
        for entry in std::fs::read_dir(dir.join(sub)).unwrap() {
            let name = format!("{sub}/{}", entry.unwrap().file_name().to_string_lossy());
            assert!(
                covered.contains(&name.as_str()),
                "{name} has no contract test"
            );
        }
    }
}

#[test]
fn github_auth_payloads_parse() {
    let Some(dir) = fixtures() else { return };
    let installation: Installation = parse(&dir, "github/get-org-installation.json");
    assert!(installation.id > 0);
    let installation: Installation = parse(&dir, "github/get-installation.json");
    assert!(installation.id > 0);
    let token: AccessToken = parse(&dir, "github/create-installation-access-token.json");
    assert!(
        token.token.starts_with("v1.") || token.token.starts_with("ghs_"),
        "an installation token"
    );
    let registration: RegistrationToken = parse(&dir, "github/create-registration-token.json");
    assert!(!registration.token.is_empty());
}

#[test]
fn github_queue_payloads_parse() {
    let Some(dir) = fixtures() else { return };
    let repos: InstallationRepositories = parse(&dir, "github/list-installation-repositories.json");
    assert!(!repos.repositories.is_empty());
    assert!(repos.repositories.iter().all(|r| !r.name.is_empty()));

    let runs: WorkflowRuns = parse(&dir, "github/list-workflow-runs-for-repo.json");
    assert!(runs.workflow_runs.iter().all(|r| r.id > 0));

    let jobs: WorkflowJobs = parse(&dir, "github/list-jobs-for-workflow-run.json");
    let first = &jobs.jobs[0];
    assert!(first.id > 0 && first.run_id > 0);
    assert!(!first.status.is_empty());
    let single: WorkflowJob = parse(&dir, "github/get-job-for-workflow-run.json");
    assert_eq!(single.id, first.id);
    assert_eq!(single.labels, first.labels);
}

#[test]
fn github_runner_payloads_parse() {
    let Some(dir) = fixtures() else { return };
    let runners: Runners = parse(&dir, "github/list-self-hosted-runners.json");
    assert!(!runners.runners.is_empty());
    assert!(
        runners
            .runners
            .iter()
            .all(|r| r.status == "online" || r.status == "offline")
    );
    let one: RunnerRecord = parse(&dir, "github/get-self-hosted-runner.json");
    assert!(!one.name.is_empty());
    let jit: JitConfig = parse(&dir, "github/generate-jitconfig-response.json");
    assert!(jit.runner.id > 0);
    assert!(!jit.encoded_jit_config.is_empty());
}

#[test]
fn workflow_job_webhooks_carry_the_fields_of_a_listed_job() {
    let Some(dir) = fixtures() else { return };
    let waiting = webhook_job(
        &dir,
        "github/workflow-job-webhook-queued-with-deployment.json",
    );
    // `action: queued` with `status: waiting` (an approval): not demand.
    assert_eq!(waiting.status, "waiting");
    assert_eq!(waiting.runner_name, None);
    assert_eq!(waiting.labels, vec!["self-hosted", "k8s"]);
    assert_eq!(
        webhook_job(&dir, "github/workflow-job-webhook-waiting.json").status,
        "waiting"
    );
    assert_eq!(
        webhook_job(&dir, "github/workflow-job-webhook-queued.json").status,
        "queued"
    );
    for file in [
        "github/workflow-job-webhook-in-progress.json",
        "github/workflow-job-webhook-in-progress-with-queued-steps.json",
    ] {
        let job = webhook_job(&dir, file);
        assert!(
            job.runner_name.is_some(),
            "{file}: an in-progress job names its runner"
        );
    }
    for file in [
        "github/workflow-job-webhook-completed-success.json",
        "github/workflow-job-webhook-completed-failure.json",
    ] {
        assert_eq!(webhook_job(&dir, file).status, "completed", "{file}");
    }
}

#[test]
fn container_apps_payloads_parse_and_the_start_body_has_the_documented_shape() {
    let Some(dir) = fixtures() else { return };
    let job: Job = parse(&dir, "azure/job-get.json");
    let configuration = job.properties.configuration.as_ref().unwrap();
    assert_eq!(configuration.trigger_type.as_deref(), Some("Manual"));
    assert_eq!(configuration.replica_timeout, Some(10));
    let template = job.properties.template.as_ref().unwrap();

    let env = [RunnerEnv {
        name: "RUNNER_NAME".into(),
        value: Secret::new("pool-abc"),
    }];
    let body = execution_template(template, None, &env).unwrap();
    // Same top-level shape as the documented request example: the bare template.
    let documented: Value = parse(&dir, "azure/job-start-request.json");
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert!(
        keys(&body).iter().all(|k| keys(&documented).contains(k)),
        "{:?} vs {:?}",
        keys(&body),
        keys(&documented)
    );
    for container in body["containers"].as_array().unwrap() {
        for key in container.as_object().unwrap().keys() {
            assert!(
                ["image", "name", "command", "args", "env", "resources"].contains(&key.as_str()),
                "{key}"
            );
        }
    }
    assert_eq!(
        body["containers"][0]["image"],
        "repo/testcontainerappsjob0:v4"
    );
    assert_eq!(
        body["initContainers"][0]["name"],
        "testinitcontainerAppsJob0"
    );

    let started: StartedExecution = parse(&dir, "azure/job-start-response.json");
    assert_eq!(
        started.name.as_deref(),
        Some("testcontainerappsjob0-pjxhsye")
    );

    let list: ExecutionList = parse(&dir, "azure/job-execution-list.json");
    assert_eq!(list.value[0].properties.status.as_deref(), Some("Running"));
    // `endTime` is present on a Running execution: it does not mean finished.
    assert!(list.value[0].properties.end_time.is_some());
    assert!(list.next_link.is_none());

    let one: ExecutionRecord = parse(&dir, "azure/job-execution-get.json");
    assert!(one.properties.status.is_some());
    assert!(one.properties.start_time.is_some());
    let stopped: ExecutionList = parse(&dir, "azure/job-stop-multiple-executions-response.json");
    assert!(!stopped.value.is_empty());
}
