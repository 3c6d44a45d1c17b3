//! The emulated managed identity and Container Apps job API over real HTTP on 127.0.0.1, and
//! the world's rules seen through both APIs together.

mod sandbox_support;

use std::collections::BTreeSet;

use aca_runner_scaler::sandbox::emulator::calls::CallKind;
use aca_runner_scaler::sandbox::emulator::faults::Fault;
use reqwest::Method;
use sandbox_support::{ORG, job, json_of, start, start_with, status_of};
use serde_json::{Value, json};

#[tokio::test]
async fn the_identity_endpoint_wants_its_secret_and_answers_expires_on_as_a_string() {
    let h = start(vec![]).await;
    let url = h.url("/msi/token?api-version=2019-08-01&resource=https://management.azure.com");

    let wrong = h
        .http
        .get(&url)
        .header("X-IDENTITY-HEADER", "guess")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);

    let right = h
        .http
        .get(&url)
        .header("X-IDENTITY-HEADER", &h.config.identity_header)
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 200);
    let body = json_of(right).await;
    let expires_on = body["expires_on"].as_str().expect("expires_on is a string");
    let expected = h.now() + chrono::Duration::hours(24);
    assert_eq!(expires_on, expected.timestamp().to_string());
    assert_eq!(body["token_type"], "Bearer");
}

#[tokio::test]
async fn arm_refuses_unknown_and_expired_tokens() {
    let h = start_with(vec![], |c| {
        c.arm_token_lifetime = chrono::Duration::minutes(30)
    })
    .await;
    let token = h.arm_token().await;

    let unknown = h.arm(Method::GET, "", "not-a-token").send().await.unwrap();
    assert_eq!(unknown.status(), 401);
    assert_eq!(
        json_of(unknown).await["error"]["code"],
        "InvalidAuthenticationToken"
    );

    assert_eq!(status_of(h.arm(Method::GET, "", &token)).await, 200);
    h.advance(30 * 60);
    let expired = h.arm(Method::GET, "", &token).send().await.unwrap();
    assert_eq!(expired.status(), 401);
    assert_eq!(
        json_of(expired).await["error"]["code"],
        "ExpiredAuthenticationToken"
    );
}

#[tokio::test]
async fn arm_requires_an_api_version_and_the_right_job() {
    let h = start(vec![]).await;
    let token = h.arm_token().await;
    let no_version = h
        .http
        .get(h.url(&h.job_path()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(no_version.status(), 400);
    assert_eq!(
        json_of(no_version).await["error"]["code"],
        "MissingApiVersionParameter"
    );

    let other_job = h.job_path().replace("runner-job", "other");
    let missing = h
        .http
        .get(h.url(&format!("{other_job}?{}", sandbox_support::API)))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(json_of(missing).await["error"]["code"], "ResourceNotFound");
}

#[tokio::test]
async fn start_takes_the_bare_template_only() {
    let h = start(vec![]).await;
    let token = h.arm_token().await;
    let container = json!({"name": "runner", "image": "runner:latest"});
    let cases: Vec<(&str, Value, u16)> = vec![
        ("the bare template", json!({"containers": [container]}), 200),
        (
            "a {template: ...} wrapper",
            json!({"template": {"containers": [container]}}),
            400,
        ),
        (
            "a container without image",
            json!({"containers": [{"name": "runner"}]}),
            400,
        ),
        (
            "a container without name",
            json!({"containers": [{"image": "i"}]}),
            400,
        ),
        ("no containers", json!({"containers": []}), 400),
    ];
    for (name, body, status) in cases {
        let response = h
            .arm(Method::POST, "/start", &token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{name}");
        let body = json_of(response).await;
        if status == 200 {
            assert!(
                body["name"].as_str().unwrap().starts_with("runner-job-"),
                "{name}"
            );
            assert!(
                body["id"]
                    .as_str()
                    .unwrap()
                    .ends_with(body["name"].as_str().unwrap())
            );
        } else {
            assert_eq!(body["error"]["code"], "InvalidRequestContent", "{name}");
        }
    }
}

#[tokio::test]
async fn the_executions_list_pages_with_an_absolute_next_link() {
    let h = start(vec![]).await;
    let token = h.arm_token().await;
    for _ in 0..45 {
        h.start_execution(&token, "unused").await;
    }

    let mut url = Some(h.url(&format!(
        "{}/executions?{}",
        h.job_path(),
        sandbox_support::API
    )));
    let (mut names, mut pages) = (BTreeSet::new(), 0);
    while let Some(next) = url {
        assert!(
            next.starts_with(h.emulator.url()),
            "nextLink points at the emulator: {next}"
        );
        let body = json_of(h.http.get(&next).bearer_auth(&token).send().await.unwrap()).await;
        names.extend(
            body["value"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["name"].as_str().unwrap().to_owned()),
        );
        url = body["nextLink"].as_str().map(str::to_owned);
        pages += 1;
    }
    assert_eq!((pages, names.len()), (3, 45));
}

#[tokio::test]
async fn arm_keeps_only_the_latest_100_finished_executions() {
    let h = start(vec![]).await;
    let token = h.arm_token().await;
    for _ in 0..130 {
        // No JIT config the runner can use: each execution fails at boot.
        h.start_execution(&token, "bm9wZQ==").await;
    }
    h.advance(61);
    let mut count = 0;
    let mut url = Some(h.url(&format!(
        "{}/executions?{}",
        h.job_path(),
        sandbox_support::API
    )));
    while let Some(next) = url {
        let body = json_of(h.http.get(&next).bearer_auth(&token).send().await.unwrap()).await;
        for execution in body["value"].as_array().unwrap() {
            assert_eq!(execution["properties"]["status"], "Failed");
            count += 1;
        }
        url = body["nextLink"].as_str().map(str::to_owned);
    }
    assert_eq!(count, 100);
}

#[tokio::test]
async fn an_injected_throttle_answers_429_with_retry_after() {
    let h = start(vec![]).await;
    let token = h.arm_token().await;
    h.emulator
        .with(|s| s.inject(Fault::throttle(CallKind::ListExecutions, 1, 17)));

    let throttled = h
        .arm(Method::GET, "/executions", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(throttled.status(), 429);
    assert_eq!(throttled.headers()["retry-after"], "17");
    assert_eq!(json_of(throttled).await["error"]["code"], "TooManyRequests");
    assert_eq!(
        status_of(h.arm(Method::GET, "/executions", &token)).await,
        200
    );
}

#[tokio::test]
async fn a_started_runner_boots_registers_from_its_jit_config_and_takes_the_oldest_job() {
    // Two matching jobs; the runner was registered with name "pool-1" but RUNNER_NAME says
    // otherwise: the runner is who its JIT config says, and takes the oldest job.
    let h = start(vec![
        job(0, 1, &["self-hosted", "linux"], 5),
        job(5, 2, &["linux"], 5),
    ])
    .await;
    h.advance(10);
    let github = h.installation_token().await;
    let arm = h.arm_token().await;
    let (runner_id, jit) = h.jit(&github, "pool-1").await;
    let execution = h.start_execution(&arm, &jit).await;

    h.advance(59);
    let runner = h
        .github_json(&format!("/orgs/{ORG}/actions/runners/{runner_id}"), &github)
        .await;
    assert_eq!(runner["status"], "offline", "still booting");

    h.advance(1);
    let runner = h
        .github_json(&format!("/orgs/{ORG}/actions/runners/{runner_id}"), &github)
        .await;
    assert_eq!(
        (runner["status"].as_str(), runner["busy"].as_bool()),
        (Some("online"), Some(true))
    );

    let runs = h
        .github_json(
            &format!("/repos/{ORG}/web/actions/runs?status=in_progress"),
            &github,
        )
        .await;
    let run = &runs["workflow_runs"][0];
    let jobs = h
        .github_json(
            &format!("/repos/{ORG}/web/actions/runs/{}/jobs", run["id"]),
            &github,
        )
        .await;
    assert_eq!(jobs["jobs"][0]["name"], "job-1", "the oldest matching job");
    assert_eq!(jobs["jobs"][0]["runner_name"], "pool-1");

    h.advance(5 * 60 + 10);
    let done = h.arm_json(&format!("/executions/{execution}"), &arm).await;
    assert_eq!(done["properties"]["status"], "Succeeded");
    let gone = h
        .github(
            Method::GET,
            &format!("/orgs/{ORG}/actions/runners/{runner_id}"),
            &github,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        gone.status(),
        404,
        "an ephemeral runner leaves after its job"
    );
}

#[tokio::test]
async fn a_jit_config_used_twice_fails_the_second_execution() {
    let h = start(vec![]).await;
    let github = h.installation_token().await;
    let arm = h.arm_token().await;
    let (_, jit) = h.jit(&github, "pool-1").await;
    let first = h.start_execution(&arm, &jit).await;
    h.advance(30);
    let second = h.start_execution(&arm, &jit).await;
    h.advance(60);

    let status = |name: String| {
        let request = h.arm(Method::GET, &format!("/executions/{name}"), &arm);
        async move { json_of(request.send().await.unwrap()).await["properties"]["status"].clone() }
    };
    assert_eq!(status(first).await, "Running");
    assert_eq!(status(second).await, "Failed");
}

#[tokio::test]
async fn stopping_an_execution_ends_it_and_fails_its_job() {
    let h = start(vec![job(0, 1, &["linux"], 10)]).await;
    let github = h.installation_token().await;
    let arm = h.arm_token().await;
    let (_, jit) = h.jit(&github, "pool-1").await;
    let execution = h.start_execution(&arm, &jit).await;
    h.advance(120);

    let stop = h
        .arm(Method::POST, &format!("/executions/{execution}/stop"), &arm)
        .send()
        .await
        .unwrap();
    assert_eq!(stop.status(), 200);
    assert!(stop.bytes().await.unwrap().is_empty());
    let job = h
        .emulator
        .with(|s| s.world.jobs().values().next().cloned().unwrap());
    assert_eq!(job.conclusion.map(|c| c.as_str()), Some("failure"));

    let unknown = h
        .arm(Method::POST, "/executions/nope/stop", &arm)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
}

#[tokio::test]
async fn a_running_execution_carries_an_end_time_like_the_api_example() {
    let h = start(vec![]).await;
    let arm = h.arm_token().await;
    let name = h.start_execution(&arm, "x").await;
    let body = h.arm_json(&format!("/executions/{name}"), &arm).await;
    assert_eq!(body["properties"]["status"], "Running");
    assert!(body["properties"]["endTime"].is_string());
}

#[tokio::test]
async fn a_wrong_job_is_answered_only_after_the_api_version_and_the_token() {
    let h = start(vec![]).await;
    let token = h.arm_token().await;
    let other_job = h.job_path().replace("runner-job", "other");

    let cases = [
        (
            "no api-version",
            h.http
                .get(h.url(&format!("{other_job}/executions")))
                .bearer_auth(&token),
            400,
            "MissingApiVersionParameter",
        ),
        (
            "no token",
            h.http.post(h.url(&format!(
                "{other_job}/executions/x/stop?{}",
                sandbox_support::API
            ))),
            401,
            "AuthenticationFailed",
        ),
    ];
    for (name, request, status, code) in cases {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), status, "{name}");
        assert_eq!(json_of(response).await["error"]["code"], code, "{name}");
    }

    let mangled = h
        .http
        .get(h.url(&format!(
            "{}/executions/%FF?{}",
            h.job_path(),
            sandbox_support::API
        )))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(mangled.status(), 400);
    assert_eq!(
        mangled.text().await.unwrap(),
        "Invalid URL: Invalid UTF-8 in `name`"
    );
}
