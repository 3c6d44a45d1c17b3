//! The custom handler driven exactly as the Azure Functions host drives it: readiness probe,
//! timer and HTTP invocations over a real socket, malformed payloads, shutdown.

mod common;

use std::time::Duration as StdDuration;

use chrono::Duration;
use common::*;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

async fn world_with_demand(jobs: u64) -> World {
    let world = World::start().await;
    world.mount_queued_jobs("api", 1, 1..=jobs).await;
    world.mount_jit().await;
    world.mount_start().await;
    world
}

#[tokio::test]
async fn the_readiness_probe_is_answered() {
    let world = World::start().await;
    let (address, _stop, _task) = serve(world.scaler(&[])).await;
    let response = aca_runner_scaler::http::client()
        .get(format!("http://{address}/"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_timer_invocation_runs_a_tick_and_replies_with_its_summary_in_logs() {
    let world = world_with_demand(2).await;
    let (address, _stop, _task) = serve(world.scaler(&[])).await;

    let (status, reply) = invoke(address, "reconcile-timer", &timer_payload()).await;

    assert_eq!(status, 200);
    assert_eq!(reply["Outputs"], json!({}));
    assert_eq!(reply["ReturnValue"], Value::Null);
    let summary = reply["Logs"][0].as_str().unwrap();
    assert!(
        summary.starts_with("tick: demand 2 (0 unmatched) in 2 repositories"),
        "{summary}"
    );
    assert!(summary.contains("started 2"), "{summary}");
    assert_eq!(world.start_requests().await.len(), 2);
}

#[tokio::test]
async fn an_http_invocation_returns_the_report_and_honours_dry_run() {
    let world = world_with_demand(3).await;
    let (address, _stop, _task) = serve(world.scaler(&[])).await;

    let (status, reply) = invoke(
        address,
        "reconcile",
        &http_payload(json!({ "dry_run": "true" })),
    )
    .await;

    assert_eq!(status, 200);
    let res = &reply["Outputs"]["res"];
    assert_eq!(res["statusCode"], 200);
    assert_eq!(res["headers"]["Content-Type"], "application/json");
    let report: Value = serde_json::from_str(res["body"].as_str().unwrap()).unwrap();
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["ok"], true);
    assert_eq!(report["demand"]["count"], 3);
    assert_eq!(report["plan"]["starts"].as_array().unwrap().len(), 3);
    assert_eq!(report["started"], json!([]));
    assert!(world.azure_requests("POST", JOB_PATH).await.is_empty());
    assert!(
        reply["Logs"][0]
            .as_str()
            .unwrap()
            .contains("(would start 3)")
    );
}

#[tokio::test]
async fn a_query_sent_as_a_string_like_the_docs_sample_is_accepted() {
    let world = world_with_demand(1).await;
    let (address, _stop, _task) = serve(world.scaler(&[])).await;
    let (status, reply) = invoke(address, "reconcile", &http_payload(json!("{}"))).await;
    assert_eq!(status, 200);
    assert_eq!(reply["Outputs"]["res"]["statusCode"], 200);
    // No dry_run: the tick acted.
    assert_eq!(world.start_requests().await.len(), 1);
}

#[tokio::test]
async fn a_failed_read_answers_503_with_the_reasons() {
    let world = World::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{JOB_PATH}/executions")))
        .respond_with(ResponseTemplate::new(404).set_body_json(
            json!({ "error": { "code": "ResourceNotFound", "message": "job not found" } }),
        ))
        .mount(&world.azure)
        .await;
    let (address, _stop, _task) = serve(world.scaler(&[])).await;

    let (status, reply) = invoke(address, "reconcile", &http_payload(json!({}))).await;

    assert_eq!(status, 200, "the invocation itself succeeds");
    let res = &reply["Outputs"]["res"];
    assert_eq!(res["statusCode"], 503);
    let report: Value = serde_json::from_str(res["body"].as_str().unwrap()).unwrap();
    assert_eq!(report["failed_reads"][0]["read"], "executions");
    let error = report["failed_reads"][0]["error"].as_str().unwrap();
    assert!(
        error.contains("ResourceNotFound") && error.contains("ACA_JOB_NAME"),
        "{error}"
    );
    let logs: Vec<&str> = reply["Logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert!(
        logs.iter()
            .any(|l| l.starts_with("read failed: executions")),
        "{logs:?}"
    );
}

#[tokio::test]
async fn a_bad_dry_run_value_is_answered_400_through_the_http_output() {
    let world = World::start().await;
    let (address, _stop, _task) = serve(world.scaler(&[])).await;
    let (status, reply) = invoke(
        address,
        "reconcile",
        &http_payload(json!({ "dry_run": "maybe" })),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(reply["Outputs"]["res"]["statusCode"], 400);
    let body: Value =
        serde_json::from_str(reply["Outputs"]["res"]["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        body["error"],
        "dry_run must be `true` or `false`, not `maybe`"
    );
}

#[tokio::test]
async fn malformed_payloads_get_a_json_error_never_an_empty_body() {
    let world = World::start().await;
    let (address, _stop, _task) = serve(world.scaler(&[])).await;
    let client = aca_runner_scaler::http::client();
    let cases: Vec<(&str, &str, Option<&str>, u16, &str)> = vec![
        (
            "POST",
            "reconcile-timer",
            Some("not json"),
            400,
            "not a host payload",
        ),
        (
            "POST",
            "reconcile-timer",
            Some("[]"),
            400,
            "not a host payload",
        ),
        (
            "POST",
            "reconcile-timer",
            Some(r#"{"Data": {}}"#),
            400,
            "no `timer` entry",
        ),
        (
            "POST",
            "reconcile-timer",
            Some(r#"{"Data": {"timer": 5}}"#),
            400,
            "Data.timer is not an object",
        ),
        (
            "POST",
            "reconcile",
            Some(r#"{"Data": {"req": {"Query": 1, "Headers": [], "Body": 3}}}"#),
            400,
            "Data.req is not an HTTP request",
        ),
        (
            "POST",
            "reconcile",
            Some(r#"{"Data": {}}"#),
            400,
            "no `req` entry",
        ),
        ("POST", "reconcile-timer", None, 400, "not a host payload"),
        (
            "POST",
            "cleanup",
            Some(r#"{"Data": {}}"#),
            404,
            "no function named `cleanup`",
        ),
        ("GET", "reconcile", None, 405, "invoked with POST"),
        ("POST", "a/b", Some("{}"), 404, "no such route"),
    ];
    for (verb, function, body, expected_status, expected_error) in cases {
        let mut request = client.request(
            verb.parse().unwrap(),
            format!("http://{address}/{function}"),
        );
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_owned());
        }
        let response = request.send().await.unwrap();
        assert_eq!(
            response.status().as_u16(),
            expected_status,
            "{verb} /{function} {body:?}"
        );
        let reply: Value = response.json().await.unwrap();
        let error = reply["error"].as_str().unwrap();
        assert!(
            error.contains(expected_error),
            "{verb} /{function}: {error}"
        );
        assert!(
            reply["Logs"].is_array() && reply["Outputs"].is_object(),
            "{reply}"
        );
    }
    // Nothing ran.
    assert!(world.github_requests("GET", "/repos").await.is_empty());
}

#[tokio::test]
async fn shutdown_waits_for_the_tick_in_flight() {
    let world = world_with_demand(1).await;
    // The executions read takes a while, so the tick is in flight when shutdown is asked.
    Mock::given(method("GET"))
        .and(path(format!("{JOB_PATH}/executions")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "value": [] }))
                .set_delay(StdDuration::from_millis(400)),
        )
        .with_priority(1)
        .mount(&world.azure)
        .await;
    let (address, stop, task) = serve(world.scaler(&[])).await;

    let invocation =
        tokio::spawn(async move { invoke(address, "reconcile-timer", &timer_payload()).await });
    tokio::time::sleep(StdDuration::from_millis(100)).await;
    stop.send(()).unwrap();

    let (status, reply) = invocation.await.unwrap();
    assert_eq!(status, 200);
    assert!(reply["Logs"][0].as_str().unwrap().contains("started 1"));
    task.await.unwrap().unwrap();
    assert_eq!(world.start_requests().await.len(), 1);
}

#[tokio::test]
async fn concurrent_invocations_never_overlap_or_double_start() {
    let world = world_with_demand(2).await;
    let scaler = world.scaler(&[]);
    let (address, _stop, _task) = serve(scaler).await;

    let timer = timer_payload();
    let http = http_payload(json!({}));
    let (a, b) = tokio::join!(
        invoke(address, "reconcile-timer", &timer),
        invoke(address, "reconcile", &http)
    );

    assert_eq!((a.0, b.0), (200, 200));
    // The second tick saw the first one's starts (remembered until ARM lists them): 2 starts, not 4.
    assert_eq!(world.start_requests().await.len(), 2);
}

#[tokio::test]
async fn a_handler_with_invalid_settings_fails_every_invocation_with_the_problems() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let router =
        aca_runner_scaler::host::misconfigured_app(vec!["GITHUB_OWNER: is required".into()]);
    tokio::spawn(async move { axum::serve(listener, router).await });

    let ready = aca_runner_scaler::http::client()
        .get(format!("http://{address}/"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    let (status, reply) = invoke(address, "reconcile-timer", &timer_payload()).await;
    assert_eq!(status, 500);
    assert_eq!(
        reply["error"],
        "invalid settings: GITHUB_OWNER: is required"
    );
    let _ = Duration::zero();
}

#[tokio::test]
async fn an_oversized_body_or_a_mangled_path_still_gets_a_json_error() {
    let world = World::start().await;
    let (address, _stop, _task) = serve(world.scaler(&[])).await;
    let client = aca_runner_scaler::http::client();

    let huge = format!(
        "{{\"Data\": {{\"timer\": {{}}}}, \"Metadata\": \"{}\"}}",
        "x".repeat(3 * 1024 * 1024)
    );
    let response = client
        .post(format!("http://{address}/reconcile-timer"))
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    let reply: Value = response.json().await.unwrap();
    assert!(
        reply["error"]
            .as_str()
            .unwrap()
            .contains("could not be read"),
        "{reply}"
    );

    let response = client
        .post(format!("http://{address}/%FF%FE"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let reply: Value = response.json().await.unwrap();
    assert!(
        reply["error"]
            .as_str()
            .unwrap()
            .contains("no function named `%FF%FE`"),
        "{reply}"
    );
}
