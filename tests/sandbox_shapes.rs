//! The emulator's payloads have the shapes of the real ones: compared, field by field, with the
//! published examples in `../shared/fixtures` (read in place, never copied into the crate).
//! When that folder is absent the tests say so and pass without checking.

mod sandbox_support;

use std::path::PathBuf;

use reqwest::Method;
use sandbox_support::{Harness, ORG, job, json_of, start};
use serde_json::{Value, json};

fn fixture(name: &str) -> Option<Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/fixtures")
        .join(name);
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(serde_json::from_str(&text).expect("fixtures are JSON")),
        Err(_) => {
            eprintln!(
                "skipping the shape check against {}: fixture folder not found",
                path.display()
            );
            None
        }
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Every field we send exists in the example with the same JSON type (recursively; `null` on
/// either side matches anything, and arrays compare their first elements). `extra` names
/// fields the real API has that this example lacks.
fn assert_fields_known(ours: &Value, theirs: &Value, path: &str, extra: &[&str]) {
    match (ours, theirs) {
        (Value::Null, _) | (_, Value::Null) => {}
        (Value::Object(o), Value::Object(t)) => {
            for (key, value) in o {
                // `permissions` is a map whose keys are data, not fields.
                if key == "permissions" {
                    assert_eq!(kind(value), kind(&t[key]), "{path}.{key}");
                    continue;
                }
                match t.get(key) {
                    Some(example) => {
                        assert_fields_known(value, example, &format!("{path}.{key}"), extra)
                    }
                    None => assert!(
                        extra.contains(&key.as_str()),
                        "{path}.{key} is not in the example"
                    ),
                }
            }
        }
        (Value::Array(o), Value::Array(t)) => {
            if let (Some(o), Some(t)) = (o.first(), t.first()) {
                assert_fields_known(o, t, &format!("{path}[0]"), extra);
            }
        }
        (o, t) => assert_eq!(
            kind(o),
            kind(t),
            "{path} has another type than in the example"
        ),
    }
}

/// And every field of the example is there too (minus `optional` ones).
fn assert_fields_complete(ours: &Value, theirs: &Value, path: &str, optional: &[&str]) {
    let (Some(o), Some(t)) = (ours.as_object(), theirs.as_object()) else {
        panic!("{path}: both must be objects");
    };
    for key in t.keys().filter(|k| !optional.contains(&k.as_str())) {
        assert!(o.contains_key(key), "{path}.{key} is missing");
    }
}

async fn world_with_everything() -> (Harness, String, String) {
    let h = start(vec![
        job(0, 1, &["self-hosted", "linux"], 5),
        job(0, 1, &["linux"], 5),
    ])
    .await;
    let github = h.installation_token().await;
    let arm = h.arm_token().await;
    let (_, jit) = h.jit(&github, "pool-1").await;
    h.start_execution(&arm, &jit).await;
    h.advance(61);
    (h, github, arm)
}

#[tokio::test]
async fn github_payloads_have_githubs_shapes() {
    let Some(runs_example) = fixture("github/list-workflow-runs-for-repo.json") else {
        return;
    };
    let (h, token, _) = world_with_everything().await;

    let installation = h
        .github_json(&format!("/orgs/{ORG}/installation"), &h.jwt())
        .await;
    let example = fixture("github/get-org-installation.json").unwrap();
    assert_fields_known(&installation, &example, "installation", &[]);
    assert_fields_complete(
        &installation,
        &example,
        "installation",
        &["single_file_paths", "has_multiple_single_files"],
    );

    let token_body = json_of(
        h.http
            .post(h.url(&format!(
                "/app/installations/{}/access_tokens",
                h.config.installation_id
            )))
            .bearer_auth(h.jwt())
            .send()
            .await
            .unwrap(),
    )
    .await;
    let example = fixture("github/create-installation-access-token.json").unwrap();
    assert_fields_known(&token_body, &example, "token", &[]);
    assert_fields_complete(&token_body, &example, "token", &["repositories"]);

    let repos = h.github_json("/installation/repositories", &token).await;
    let example = fixture("github/list-installation-repositories.json").unwrap();
    assert_fields_known(&repos, &example, "repositories", &["repository_selection"]);

    let runs = h
        .github_json(&format!("/repos/{ORG}/web/actions/runs"), &token)
        .await;
    assert_fields_known(&runs, &runs_example, "runs", &[]);
    assert_fields_complete(&runs, &runs_example, "runs", &[]);

    let run_id = runs["workflow_runs"][0]["id"].as_u64().unwrap();
    let jobs = h
        .github_json(
            &format!("/repos/{ORG}/web/actions/runs/{run_id}/jobs"),
            &token,
        )
        .await;
    let example = fixture("github/list-jobs-for-workflow-run.json").unwrap();
    // `created_at` and `run_attempt` are on real jobs (see the webhook examples) though not in
    // this example.
    assert_fields_known(&jobs, &example, "jobs", &["created_at", "run_attempt"]);
    assert_fields_complete(&jobs["jobs"][0], &example["jobs"][0], "jobs[0]", &[]);
    let webhook = fixture("github/workflow-job-webhook-queued.json").unwrap();
    assert_fields_known(
        &jobs["jobs"][1],
        &webhook["workflow_job"],
        "queued job",
        &["steps"],
    );

    let runners = h
        .github_json(&format!("/orgs/{ORG}/actions/runners"), &token)
        .await;
    let example = fixture("github/list-self-hosted-runners.json").unwrap();
    assert_fields_known(&runners, &example, "runners", &[]);
    assert_fields_complete(
        &runners["runners"][0],
        &example["runners"][0],
        "runners[0]",
        &[],
    );
    assert_fields_complete(
        &runners["runners"][0]["labels"][0],
        &example["runners"][0]["labels"][0],
        "label",
        &[],
    );

    let jit = json_of(
        h.github(
            Method::POST,
            &format!("/orgs/{ORG}/actions/runners/generate-jitconfig"),
            &token,
        )
        .json(&json!({"name": "pool-2", "runner_group_id": 1, "labels": ["linux"]}))
        .send()
        .await
        .unwrap(),
    )
    .await;
    let example = fixture("github/generate-jitconfig-response.json").unwrap();
    assert_fields_known(&jit, &example, "jit", &[]);
    assert_fields_complete(&jit, &example, "jit", &[]);
    assert_fields_complete(&jit["runner"], &example["runner"], "jit.runner", &[]);

    let registration = json_of(
        h.github(
            Method::POST,
            &format!("/orgs/{ORG}/actions/runners/registration-token"),
            &token,
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    let example = fixture("github/create-registration-token.json").unwrap();
    assert_fields_known(&registration, &example, "registration", &[]);
    assert_fields_complete(&registration, &example, "registration", &[]);
}

#[tokio::test]
async fn container_apps_payloads_have_arms_shapes() {
    let Some(list_example) = fixture("azure/job-execution-list.json") else {
        return;
    };
    let (h, _, arm) = world_with_everything().await;

    let job = h.arm_json("", &arm).await;
    let example = fixture("azure/job-get.json").unwrap();
    // `env` is part of the Container definition, though the example container has none.
    assert_fields_known(&job, &example, "job", &["env"]);
    assert_eq!(job["properties"]["configuration"]["triggerType"], "Manual");
    assert_eq!(
        job["properties"]["configuration"]["manualTriggerConfig"]["parallelism"],
        1
    );

    let list = h.arm_json("/executions", &arm).await;
    // `id` and `type` belong to every ARM resource (the spec's JobExecution has them).
    assert_fields_known(&list, &list_example, "executions", &["id", "type", "env"]);
    assert_fields_complete(&list, &list_example, "executions", &[]);
    assert_fields_complete(
        &list["value"][0]["properties"],
        &list_example["value"][0]["properties"],
        "execution",
        &[],
    );

    let one = &list["value"][0]["name"];
    let single = h
        .arm_json(&format!("/executions/{}", one.as_str().unwrap()), &arm)
        .await;
    let example = fixture("azure/job-execution-get.json").unwrap();
    assert_fields_known(&single, &example, "execution", &["id", "type", "env"]);

    // The documented start request is accepted as it stands, and answered in the documented shape.
    let request = fixture("azure/job-start-request.json").unwrap();
    let started = h
        .arm(Method::POST, "/start", &arm)
        .json(&request)
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 200);
    let started = json_of(started).await;
    let example = fixture("azure/job-start-response.json").unwrap();
    assert_fields_known(&started, &example, "start", &[]);
    assert_fields_complete(&started, &example, "start", &[]);
}
