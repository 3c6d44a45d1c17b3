//! A tick against fakes of GitHub, ARM and the identity endpoint: demand, classification, the
//! plan, starts, token handling, failures.

mod common;

use aca_runner_scaler::reconcile::TickOptions;
use aca_runner_scaler::scaling::classify::ExecutionClass;
use chrono::{DateTime, Duration, Utc};
use common::*;
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, Request, ResponseTemplate};

fn body(request: &Request) -> Value {
    serde_json::from_slice(&request.body).unwrap()
}

/// Token minting answering `token` (without `permissions`), not mounted yet.
fn token_mint(token: &str, expires_at: DateTime<Utc>) -> Mock {
    Mock::given(method("POST"))
        .and(path(format!(
            "/app/installations/{INSTALLATION}/access_tokens"
        )))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(json!({ "token": token, "expires_at": expires_at })),
        )
}

#[tokio::test]
async fn a_tick_starts_exactly_the_executions_the_model_predicts() {
    let world = World::start().await;
    // Demand 5: jobs 1-5 queued with labels the pool serves; job 6 asks for a GPU.
    world.mount_runs("api", "queued", &[10]).await;
    world.mount_runs("api", "in_progress", &[11]).await;
    world
        .mount_jobs(
            "api",
            10,
            (1..=5)
                .map(|id| job(id, 10, "queued", POOL, None))
                .chain([job(6, 10, "queued", &["self-hosted", "gpu"], None)])
                .collect(),
        )
        .await;
    world
        .mount_jobs(
            "api",
            11,
            vec![job(20, 11, "in_progress", POOL, Some("pool-busy2000"))],
        )
        .await;
    // Spare 2 (idle + booting), busy 2 (one by its runner, one by its job), one lost.
    world
        .mount_runners(vec![
            runner(1, "pool-idle0000", true, false),
            runner(2, "pool-busy1000", true, true),
            runner(3, "pool-busy2000", true, false),
            runner(4, "static-vm", true, false),
        ])
        .await;
    world
        .mount_executions(vec![
            running("e-idle", Duration::minutes(10), "pool-idle0000"),
            running("e-busy1", Duration::minutes(10), "pool-busy1000"),
            running("e-busy2", Duration::minutes(10), "pool-busy2000"),
            execution(
                "e-boot",
                "Processing",
                Duration::seconds(30),
                Some("pool-booting0"),
            ),
            running("e-lost", Duration::minutes(30), "pool-lost0000"),
            execution(
                "e-done",
                "Succeeded",
                Duration::minutes(30),
                Some("pool-old00000"),
            ),
        ])
        .await;
    world.mount_jit().await;
    world.mount_start().await;

    let report = world.scaler(&[]).tick(TickOptions::default()).await;

    assert!(report.ok, "{:?}", report.failed_reads);
    assert_eq!(report.demand.count, 5);
    assert_eq!(report.demand.first_job_ids, vec![1, 2, 3, 4, 5]);
    assert_eq!(report.unmatched.count, 1);
    assert_eq!(report.unmatched.jobs[0].id, 6);
    let by_class = &report.executions.by_class;
    assert_eq!(by_class.get(&ExecutionClass::Idle), Some(&1));
    assert_eq!(by_class.get(&ExecutionClass::Booting), Some(&1));
    assert_eq!(by_class.get(&ExecutionClass::Busy), Some(&2));
    assert_eq!(by_class.get(&ExecutionClass::Lost), Some(&1));
    assert_eq!(report.executions.active, 5);
    // demand 5 - spare 2 = 3, room 10 - 5 = 5.
    assert_eq!(report.plan.wanted, 3);
    assert_eq!(report.started.len(), 3);
    let names: Vec<Option<String>> = report.started.iter().map(|s| s.execution.clone()).collect();
    assert_eq!(
        names,
        vec![
            Some("runners-exec-1".into()),
            Some("runners-exec-2".into()),
            Some("runners-exec-3".into())
        ]
    );

    let jits = world.jit_requests().await;
    assert_eq!(jits.len(), 3);
    let jit = body(&jits[0]);
    assert_eq!(jit["runner_group_id"], 1);
    assert_eq!(jit["labels"], json!(["linux", "x64", "self-hosted"]));
    let runner_name = jit["name"].as_str().unwrap().to_owned();
    assert!(
        runner_name.starts_with("pool-") && runner_name.len() == "pool-".len() + 8,
        "{runner_name}"
    );

    let starts = world.start_requests().await;
    assert_eq!(starts.len(), 3);
    let start = body(&starts[0]);
    // The bare template, the job's container with the runner's env added.
    assert!(start.get("template").is_none());
    let container = &start["containers"][0];
    assert_eq!(container["name"], "runner");
    assert_eq!(container["image"], "ghcr.io/actions/actions-runner:latest");
    assert_eq!(container["command"], json!(["/home/runner/run.sh"]));
    assert_eq!(
        container["env"],
        json!([
            { "name": "RUNNER_ALLOW_RUNASROOT", "value": "1" },
            { "name": "RUNNER_NAME", "value": runner_name },
            { "name": "ACTIONS_RUNNER_INPUT_JITCONFIG", "value": "JITCONFIG-SECRET-1000" }
        ])
    );
    assert_eq!(report.started[0].runner, runner_name);

    // Nothing secret in the report.
    let report_json = serde_json::to_string(&report).unwrap();
    assert!(!report_json.contains("JITCONFIG-SECRET"), "{report_json}");
    assert!(!report_json.contains("ghs_first"));
}

#[tokio::test]
async fn jobs_beyond_the_first_page_are_counted() {
    let world = World::start().await;
    world.mount_runs("api", "in_progress", &[77]).await;
    let page_one: Vec<Value> = (1..=100)
        .map(|id| job(id, 77, "completed", POOL, Some("pool-x0000000")))
        .collect();
    let page_two: Vec<Value> = (101..=150)
        .map(|id| job(id, 77, "queued", POOL, None))
        .collect();
    let jobs_path = format!("/repos/{OWNER}/api/actions/runs/77/jobs");
    let next = format!(
        "<{}{jobs_path}?per_page=100&page=2>; rel=\"next\", <{}{jobs_path}?per_page=100&page=2>; rel=\"last\"",
        world.github.uri(),
        world.github.uri()
    );
    Mock::given(method("GET"))
        .and(path(jobs_path.clone()))
        .and(query_param("page", "2"))
        .respond_with(ok(json!({ "total_count": 150, "jobs": page_two })))
        .with_priority(1)
        .mount(&world.github)
        .await;
    Mock::given(method("GET"))
        .and(path(jobs_path.clone()))
        .respond_with(
            ok(json!({ "total_count": 150, "jobs": page_one }))
                .insert_header("link", next.as_str()),
        )
        .with_priority(2)
        .mount(&world.github)
        .await;

    let report = world
        .scaler(&[("MAX_EXECUTIONS", "0")])
        .tick(TickOptions::default())
        .await;

    assert!(report.ok, "{:?}", report.failed_reads);
    assert_eq!(report.demand.count, 50);
    assert_eq!(report.demand.first_job_ids[0], 101);
    let pages = world.github_requests("GET", &jobs_path).await;
    assert_eq!(pages.len(), 2);
    assert_eq!(pages[0].url.query(), Some("per_page=100"));
}

#[tokio::test]
async fn the_repository_list_is_read_across_pages() {
    let world = World::start().await;
    let repos_path = "/installation/repositories";
    let page = |names: &[&str]| json!({ "total_count": 3, "repositories": names.iter().map(|n| json!({"name": n, "archived": false})).collect::<Vec<_>>() });
    let next = format!(
        "<{}{repos_path}?per_page=100&page=2>; rel=\"next\"",
        world.github.uri()
    );
    Mock::given(method("GET"))
        .and(path(repos_path))
        .and(query_param("page", "2"))
        .respond_with(
            ok(page(&["gamma"])).insert_header(
                "link",
                format!(
                    "<{}{repos_path}?per_page=100&page=3>; rel=\"next\"",
                    world.github.uri()
                )
                .as_str(),
            ),
        )
        .with_priority(1)
        .mount(&world.github)
        .await;
    Mock::given(method("GET"))
        .and(path(repos_path))
        .and(query_param("page", "3"))
        .respond_with(ok(
            json!({ "total_count": 3, "repositories": [{"name": "old", "archived": true}] }),
        ))
        .with_priority(1)
        .mount(&world.github)
        .await;
    Mock::given(method("GET"))
        .and(path(repos_path))
        .respond_with(ok(page(&["alpha", "beta"])).insert_header("link", next.as_str()))
        .with_priority(2)
        .mount(&world.github)
        .await;
    world.mount_queued_jobs("gamma", 5, [1]).await;

    let report = world
        .scaler(&[("GITHUB_REPOS", ""), ("MAX_EXECUTIONS", "0")])
        .tick(TickOptions::default())
        .await;

    assert!(report.ok, "{:?}", report.failed_reads);
    // The archived repository is not scanned.
    assert_eq!(report.repositories_scanned, 3);
    assert_eq!(report.demand.count, 1);
    assert!(
        world
            .github_requests("GET", "/repos/octo-org/old/")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn a_repository_answering_404_is_reported_and_the_others_still_count() {
    let world = World::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/repos/{OWNER}/gone/actions/runs")))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({ "message": "Not Found" })))
        .mount(&world.github)
        .await;
    world.mount_queued_jobs("api", 1, [11, 12]).await;
    world.mount_runs("web", "waiting", &[2]).await;
    world
        .mount_jobs(
            "web",
            2,
            vec![
                job(21, 2, "queued", POOL, None),
                job(22, 2, "waiting", POOL, None),
            ],
        )
        .await;

    let report = world
        .scaler(&[("GITHUB_REPOS", "api,gone,web"), ("MAX_EXECUTIONS", "0")])
        .tick(TickOptions::default())
        .await;

    assert!(!report.ok);
    assert_eq!(report.demand.count, 3);
    assert_eq!(report.repositories_scanned, 2);
    assert_eq!(report.failed_reads.len(), 1);
    assert_eq!(report.failed_reads[0].read, "repository octo-org/gone");
    assert!(
        report.failed_reads[0].error.contains("404"),
        "{}",
        report.failed_reads[0].error
    );
    assert!(
        report
            .summary()
            .contains("FAILED READS: repository octo-org/gone"),
        "{}",
        report.summary()
    );
}

#[tokio::test]
async fn a_run_listed_under_two_statuses_counts_its_jobs_once() {
    let world = World::start().await;
    world.mount_runs("api", "queued", &[3]).await;
    world.mount_runs("api", "in_progress", &[3]).await;
    world
        .mount_jobs("api", 3, vec![job(31, 3, "queued", POOL, None)])
        .await;

    let report = world
        .scaler(&[("MAX_EXECUTIONS", "0")])
        .tick(TickOptions::default())
        .await;

    assert_eq!(report.demand.count, 1);
    assert_eq!(
        world
            .github_requests("GET", "/repos/octo-org/api/actions/runs/3/jobs")
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn a_full_pool_starts_nothing_until_room_appears() {
    let world = World::start().await;
    world.mount_queued_jobs("api", 1, 1..=14).await;
    let names: Vec<String> = (0..16).map(|i| format!("pool-busy{i:04}")).collect();
    world
        .mount_runners(
            names
                .iter()
                .enumerate()
                .map(|(i, n)| runner(i as u64, n, true, true))
                .collect(),
        )
        .await;
    world
        .mount_executions(
            names
                .iter()
                .map(|n| running(&format!("e-{n}"), Duration::minutes(5), n))
                .collect(),
        )
        .await;
    world.mount_jit().await;
    world.mount_start().await;

    let report = world
        .scaler(&[("MAX_EXECUTIONS", "16")])
        .tick(TickOptions::default())
        .await;

    assert_eq!(report.demand.count, 14);
    assert_eq!(report.executions.active, 16);
    assert_eq!(report.plan.wanted, 14);
    assert!(report.started.is_empty());
    assert_eq!(
        report.plan.limited_by,
        Some(aca_runner_scaler::scaling::plan::Limit::MaxExecutions)
    );
    assert!(world.jit_requests().await.is_empty());
    assert!(world.azure_requests("POST", JOB_PATH).await.is_empty());
}

#[tokio::test]
async fn a_dry_run_registers_no_runner_and_starts_nothing() {
    let world = World::start().await;
    world.mount_queued_jobs("api", 1, [1, 2]).await;
    world.mount_jit().await;
    world.mount_start().await;

    let report = world.scaler(&[]).tick(TickOptions { dry_run: true }).await;

    assert!(report.dry_run);
    assert_eq!(report.plan.starts.len(), 2);
    assert!(report.started.is_empty());
    assert!(
        world
            .github_requests("POST", "/")
            .await
            .iter()
            .all(|r| !r.url.path().contains("runners"))
    );
    assert!(world.azure_requests("POST", JOB_PATH).await.is_empty());
    assert!(
        report.summary().contains("(would start 2)"),
        "{}",
        report.summary()
    );
}

#[tokio::test]
async fn a_failed_start_removes_its_runner_registration() {
    let world = World::start().await;
    world.mount_queued_jobs("api", 1, [1, 2]).await;
    world.mount_jit().await;
    Mock::given(method("POST"))
        .and(path(format!("{JOB_PATH}/start")))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({ "error": { "code": "InvalidTemplate", "message": "container image is invalid; env value JITCONFIG-SECRET-1000 rejected" } })))
        .mount(&world.azure)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/orgs/octo-org/actions/runners/1000"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&world.github)
        .await;

    let report = world.scaler(&[]).tick(TickOptions::default()).await;

    assert!(report.started.is_empty());
    // The first failure stops the tick's starts: the second would fail the same way.
    assert_eq!(report.start_failures.len(), 1);
    let failure = &report.start_failures[0];
    assert_eq!(failure.registration_removed, Some(true));
    assert!(
        failure
            .error
            .contains("InvalidTemplate: container image is invalid"),
        "{}",
        failure.error
    );
    assert_eq!(world.jit_requests().await.len(), 1);
    // ARM's message quoted the JIT config: it is scrubbed before the report sees it.
    assert!(
        failure.error.contains("env value [redacted] rejected"),
        "{}",
        failure.error
    );
    assert!(
        !serde_json::to_string(&report)
            .unwrap()
            .contains("JITCONFIG-SECRET")
    );
}

#[tokio::test]
async fn no_execution_starts_when_the_executions_read_fails() {
    let world = World::start().await;
    world.mount_queued_jobs("api", 1, [1]).await;
    Mock::given(method("GET"))
        .and(path(format!("{JOB_PATH}/executions")))
        .respond_with(ResponseTemplate::new(403).set_body_json(
            json!({ "error": { "code": "AuthorizationFailed", "message": "no access" } }),
        ))
        .mount(&world.azure)
        .await;
    world.mount_jit().await;
    world.mount_start().await;

    let report = world.scaler(&[]).tick(TickOptions::default()).await;

    assert!(!report.ok);
    assert_eq!(report.failed_reads[0].read, "executions");
    assert!(
        report.failed_reads[0].error.contains("AuthorizationFailed"),
        "{}",
        report.failed_reads[0].error
    );
    assert!(report.started.is_empty());
    assert!(world.azure_requests("POST", JOB_PATH).await.is_empty());
}

#[tokio::test]
async fn the_installation_token_is_refreshed_before_it_expires() {
    let world = World::start().await;
    let scaler = world.scaler(&[]);
    scaler.tick(TickOptions::default()).await;
    world.clock.advance(Duration::minutes(50));
    scaler.tick(TickOptions::default()).await;
    assert_eq!(world.token_requests().await.len(), 1);

    // 56 minutes in, the 60-minute token is within the 5-minute margin: a new one is minted.
    world.clock.advance(Duration::minutes(6));
    token_mint("ghs_second", t0() + Duration::minutes(116))
        .with_priority(1)
        .mount(&world.github)
        .await;
    scaler.tick(TickOptions::default()).await;
    let mints = world.token_requests().await;
    assert_eq!(mints.len(), 2);
    // The JWT that minted it is an App JWT (three base64url parts), never the old token.
    let auth = mints[1]
        .headers
        .get("authorization")
        .unwrap()
        .to_str()
        .unwrap();
    assert_eq!(auth.trim_start_matches("Bearer ").split('.').count(), 3);
}

#[tokio::test]
async fn a_rejected_token_is_refreshed_once_and_the_call_retried() {
    let world = World::start().await;
    // Reads with the first token are refused, as after a revocation.
    Mock::given(method("GET"))
        .and(wiremock::matchers::header(
            "authorization",
            "Bearer ghs_first",
        ))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({ "message": "Bad credentials" })),
        )
        .with_priority(1)
        .mount(&world.github)
        .await;
    // Minting hands out ghs_first, then ghs_fresh.
    token_mint("ghs_first", t0() + Duration::hours(1))
        .with_priority(1)
        .up_to_n_times(1)
        .mount(&world.github)
        .await;
    token_mint("ghs_fresh", t0() + Duration::hours(1))
        .with_priority(2)
        .up_to_n_times(1)
        .mount(&world.github)
        .await;
    world.mount_queued_jobs("api", 1, [1]).await;

    let report = world
        .scaler(&[("GITHUB_REPOS", "api"), ("MAX_EXECUTIONS", "0")])
        .tick(TickOptions::default())
        .await;

    assert!(report.ok, "{:?}", report.failed_reads);
    assert_eq!(report.demand.count, 1);
    assert_eq!(world.token_requests().await.len(), 2);
    let refused = world
        .github
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| {
            r.headers
                .get("authorization")
                .is_some_and(|v| v == "Bearer ghs_first")
        })
        .count();
    // Concurrent reads may each have been refused once with the old token, but no read was
    // sent twice with it after the refresh.
    assert!(refused >= 1);
    let fresh = world
        .github
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| {
            r.headers
                .get("authorization")
                .is_some_and(|v| v == "Bearer ghs_fresh")
        })
        .count();
    assert!(
        fresh >= 6,
        "the read was retried with the fresh token ({fresh} calls)"
    );
}

#[tokio::test]
async fn two_overlapping_ticks_mint_one_token() {
    let world = World::start().await;
    let scaler = world.scaler(&[]);
    let (a, b) = tokio::join!(
        scaler.tick(TickOptions::default()),
        scaler.tick(TickOptions::default())
    );
    assert!(a.ok && b.ok);
    assert_eq!(world.token_requests().await.len(), 1);
}

#[tokio::test]
async fn the_installation_is_discovered_when_not_configured() {
    let world = World::start().await;
    Mock::given(method("GET"))
        .and(path("/orgs/octo-org/installation"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "id": INSTALLATION, "account": { "login": "octo-org" } })),
        )
        .expect(1)
        .mount(&world.github)
        .await;
    let scaler = world.scaler(&[("GITHUB_APP_INSTALLATION_ID", "")]);
    scaler.tick(TickOptions::default()).await;
    let report = scaler.tick(TickOptions::default()).await;
    assert!(report.ok, "{:?}", report.failed_reads);
}

#[tokio::test]
async fn a_spent_rate_limit_stops_reads_until_the_reset() {
    let world = World::start().await;
    let reset = (t0() + Duration::minutes(20)).timestamp().to_string();
    Mock::given(method("GET"))
        .and(path(format!("/repos/{OWNER}/api/actions/runs")))
        .respond_with(
            ResponseTemplate::new(403)
                .set_body_json(
                    json!({ "message": "API rate limit exceeded for installation ID 7." }),
                )
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-reset", reset.as_str()),
        )
        .mount(&world.github)
        .await;
    let scaler = world.scaler(&[("GITHUB_REPOS", "api")]);

    let first = scaler.tick(TickOptions::default()).await;
    assert!(!first.ok);
    assert!(
        first.failed_reads.iter().all(|f| f.rate_limited),
        "{:?}",
        first.failed_reads
    );
    let sent = world.github.received_requests().await.unwrap().len();

    world.clock.advance(Duration::minutes(1));
    let second = scaler.tick(TickOptions::default()).await;
    assert!(!second.ok);
    // Nothing was sent while the limit is spent.
    assert_eq!(world.github.received_requests().await.unwrap().len(), sent);

    world.clock.advance(Duration::minutes(20));
    scaler.tick(TickOptions::default()).await;
    assert!(world.github.received_requests().await.unwrap().len() > sent);
}

#[tokio::test]
async fn unchanged_listings_are_read_with_if_none_match() {
    let world = World::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/repos/{OWNER}/api/actions/runs")))
        .and(wiremock::matchers::header("if-none-match", "\"runs-v1\""))
        .respond_with(ResponseTemplate::new(304))
        .with_priority(1)
        .mount(&world.github)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/repos/{OWNER}/api/actions/runs")))
        .respond_with(
            ok(json!({ "total_count": 1, "workflow_runs": [{ "id": 9 }] }))
                .insert_header("etag", "\"runs-v1\""),
        )
        .with_priority(2)
        .mount(&world.github)
        .await;
    world
        .mount_jobs("api", 9, vec![job(1, 9, "queued", POOL, None)])
        .await;
    let scaler = world.scaler(&[("GITHUB_REPOS", "api"), ("MAX_EXECUTIONS", "0")]);

    let first = scaler.tick(TickOptions::default()).await;
    let second = scaler.tick(TickOptions::default()).await;

    assert_eq!(first.github.not_modified, 0);
    assert_eq!(second.github.not_modified, 5);
    // The 304 answers are served from memory: the demand is the same.
    assert_eq!(second.demand.count, 1);
}

#[tokio::test]
async fn a_throttled_arm_read_waits_out_a_short_retry_after() {
    let world = World::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{JOB_PATH}/executions")))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&world.azure)
        .await;

    let report = world.scaler(&[]).tick(TickOptions::default()).await;

    assert!(report.ok, "{:?}", report.failed_reads);
    assert_eq!(
        world
            .azure_requests("GET", &format!("{JOB_PATH}/executions"))
            .await
            .len(),
        2
    );
}

#[tokio::test]
async fn a_start_made_moments_ago_counts_even_before_arm_lists_it() {
    let world = World::start().await;
    world.mount_queued_jobs("api", 1, [1]).await;
    world.mount_jit().await;
    world.mount_start().await;
    let scaler = world.scaler(&[]);

    let first = scaler.tick(TickOptions::default()).await;
    world.clock.advance(Duration::seconds(10));
    // ARM's list still shows nothing, the job is still queued.
    let second = scaler.tick(TickOptions::default()).await;

    assert_eq!(first.started.len(), 1);
    assert_eq!(second.executions.remembered_starts, 1);
    assert_eq!(
        second.executions.by_class.get(&ExecutionClass::Booting),
        Some(&1)
    );
    assert!(second.started.is_empty());
}

#[tokio::test]
async fn pagination_links_to_another_host_or_back_to_a_read_page_are_refused() {
    let world = World::start().await;
    // Another server on another port: it must never see our token.
    let elsewhere = wiremock::MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ok(json!({ "total_count": 0, "runners": [] })))
        .mount(&elsewhere)
        .await;
    let runners_path = format!("/orgs/{OWNER}/actions/runners");
    let foreign = format!(
        "<{}{runners_path}?per_page=100&page=2>; rel=\"next\"",
        elsewhere.uri()
    );
    Mock::given(method("GET"))
        .and(path(runners_path.clone()))
        .respond_with(
            ok(json!({ "total_count": 2, "runners": [] })).insert_header("link", foreign.as_str()),
        )
        .mount(&world.github)
        .await;
    let executions_path = format!("{JOB_PATH}/executions");
    let looping = format!(
        "{}{executions_path}?api-version=2025-07-01",
        world.azure.uri()
    );
    Mock::given(method("GET"))
        .and(path(executions_path))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({ "value": [], "nextLink": looping })),
        )
        .mount(&world.azure)
        .await;

    let report = world.scaler(&[]).tick(TickOptions::default()).await;

    let reads: Vec<(&str, &str)> = report
        .failed_reads
        .iter()
        .map(|f| (f.read.as_str(), f.error.as_str()))
        .collect();
    assert_eq!(reads.len(), 2, "{reads:?}");
    assert!(
        reads
            .iter()
            .any(|(read, error)| *read == "runners" && error.contains("outside GITHUB_API_URL")),
        "{reads:?}"
    );
    assert!(
        reads
            .iter()
            .any(|(read, error)| *read == "executions" && error.contains("loops back")),
        "{reads:?}"
    );
    assert!(elsewhere.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_slow_github_cannot_hold_the_tick_past_its_read_budget() {
    let world = World::start().await;
    // One repository answers only after 3 s; the tick may spend 300 ms on reads.
    Mock::given(method("GET"))
        .and(path(format!("/repos/{OWNER}/web/actions/runs")))
        .respond_with(
            ok(json!({ "total_count": 0, "workflow_runs": [] }))
                .set_delay(std::time::Duration::from_secs(3)),
        )
        .mount(&world.github)
        .await;
    world.mount_queued_jobs("api", 1, [1]).await;
    let budget = aca_runner_scaler::reconcile::TickBudget {
        reads: std::time::Duration::from_millis(300),
        total: std::time::Duration::from_secs(5),
    };
    let scaler = world
        .unshared_scaler(&[("MAX_EXECUTIONS", "0")])
        .with_budget(budget);

    let started = std::time::Instant::now();
    let report = scaler.tick(TickOptions::default()).await;

    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(report.demand.count, 1, "the fast repository still counts");
    assert_eq!(report.failed_reads.len(), 1);
    assert_eq!(report.failed_reads[0].read, "repository octo-org/web");
    assert!(
        report.failed_reads[0]
            .error
            .contains("not finished within the tick's time"),
        "{}",
        report.failed_reads[0].error
    );
}

#[tokio::test]
async fn a_start_arm_accepted_counts_as_started_even_if_its_answer_is_garbled() {
    let world = World::start().await;
    world.mount_queued_jobs("api", 1, [1]).await;
    world.mount_jit().await;
    Mock::given(method("POST"))
        .and(path(format!("{JOB_PATH}/start")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw("{\"name\": \"runners-exec-9\", trunc", "application/json"),
        )
        .mount(&world.azure)
        .await;

    let report = world.scaler(&[]).tick(TickOptions::default()).await;

    assert!(
        report.start_failures.is_empty(),
        "{:?}",
        report.start_failures
    );
    assert_eq!(report.started.len(), 1);
    assert_eq!(report.started[0].execution, None);
    assert!(
        world.github_requests("DELETE", "/orgs").await.is_empty(),
        "its registration stays"
    );
}

#[tokio::test]
async fn a_container_name_the_job_lacks_fails_before_any_runner_is_registered() {
    let world = World::start().await;
    world.mount_queued_jobs("api", 1, [1]).await;
    world.mount_jit().await;
    world.mount_start().await;

    let report = world
        .scaler(&[("ACA_CONTAINER_NAME", "runer")])
        .tick(TickOptions::default())
        .await;

    assert_eq!(report.start_failures.len(), 1);
    assert!(
        report.start_failures[0]
            .error
            .contains("ACA_CONTAINER_NAME `runer`"),
        "{}",
        report.start_failures[0].error
    );
    assert!(
        world
            .github_requests("POST", "/orgs/octo-org/actions/runners")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn an_absurd_retry_after_from_arm_is_clamped_not_a_crash() {
    let world = World::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{JOB_PATH}/executions")))
        .respond_with(
            ResponseTemplate::new(429).insert_header("retry-after", "9223372036854775807"),
        )
        .mount(&world.azure)
        .await;

    let report = world.scaler(&[]).tick(TickOptions::default()).await;

    assert!(!report.ok);
    assert!(report.failed_reads[0].rate_limited);
    assert!(
        report.failed_reads[0]
            .error
            .contains("throttled by ARM until 2026-12-04 13:00:00"),
        "{}",
        report.failed_reads[0].error
    );
}

#[tokio::test]
async fn an_execution_listed_without_a_start_time_is_booting_not_lost() {
    let world = World::start().await;
    let mut listed = execution(
        "e-new",
        "Processing",
        Duration::zero(),
        Some("pool-zzzzzzzz"),
    );
    listed["properties"]
        .as_object_mut()
        .unwrap()
        .remove("startTime");
    world.mount_executions(vec![listed]).await;
    let scaler = world.scaler(&[]);

    let first = scaler.tick(TickOptions::default()).await;
    world.clock.advance(Duration::minutes(1));
    let second = scaler.tick(TickOptions::default()).await;
    world.clock.advance(Duration::minutes(5));
    let later = scaler.tick(TickOptions::default()).await;

    assert_eq!(
        first.executions.by_class.get(&ExecutionClass::Booting),
        Some(&1)
    );
    assert_eq!(
        second.executions.by_class.get(&ExecutionClass::Booting),
        Some(&1)
    );
    assert_eq!(
        later.executions.by_class.get(&ExecutionClass::Lost),
        Some(&1),
        "lost once older than the grace by our own clock"
    );
}

#[tokio::test]
async fn repository_scoped_runners_register_on_the_repository_of_the_demand() {
    let world = World::start().await;
    world.mount_runs("api", "queued", &[1]).await;
    world
        .mount_jobs("api", 1, vec![job(1, 1, "queued", POOL, None)])
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/repos/{OWNER}/web/actions/runs")))
        .respond_with(ResponseTemplate::new(404))
        .mount(&world.github)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/repos/{OWNER}/api/actions/runners")))
        .respond_with(ok(json!({ "total_count": 0, "runners": [] })))
        .mount(&world.github)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/repos/{OWNER}/api/actions/runners/generate-jitconfig")))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "runner": { "id": 5, "name": "x", "os": "unknown", "status": "offline", "busy": false, "labels": [] },
            "encoded_jit_config": "JITCONFIG-SECRET-REPO"
        })))
        .mount(&world.github)
        .await;
    world.mount_start().await;
    // An execution of the unreadable repository: its runner was not listed, so it may be busy.
    let mut web = execution(
        "e-web",
        "Running",
        Duration::minutes(30),
        Some("pool-webwebwe"),
    );
    web["properties"]["template"]["containers"][0]["env"]
        .as_array_mut()
        .unwrap()
        .push(json!({ "name": "RUNNER_REPOSITORY", "value": "web" }));
    world.mount_executions(vec![web]).await;
    let scaler = world.scaler(&[("GITHUB_RUNNER_SCOPE", "repo")]);

    let report = scaler.tick(TickOptions::default()).await;
    world.clock.advance(Duration::minutes(1));
    let second = scaler.tick(TickOptions::default()).await;

    assert_eq!(report.started.len(), 1);
    assert_eq!(
        report.started[0].target,
        aca_runner_scaler::github::Target::Repo("api".into())
    );
    let start = body(
        &world
            .azure_requests("POST", &format!("{JOB_PATH}/start"))
            .await[0],
    );
    let env = start["containers"][0]["env"].as_array().unwrap();
    assert!(
        env.contains(&json!({ "name": "RUNNER_REPOSITORY", "value": "api" })),
        "{env:?}"
    );
    assert_eq!(
        report.executions.by_class.get(&ExecutionClass::Unobserved),
        Some(&1)
    );
    assert!(
        second.drain.plan.stops.is_empty(),
        "{:?}",
        second.drain.plan.stops
    );
    assert!(
        world
            .github_requests("GET", "/repos/octo-org/web/actions/runners")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn callers_arriving_during_a_tick_share_the_next_one_instead_of_queueing() {
    let world = World::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{JOB_PATH}/executions")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "value": [] }))
                .set_delay(std::time::Duration::from_millis(300)),
        )
        .with_priority(1)
        .mount(&world.azure)
        .await;
    let scaler = world.scaler(&[]);

    let first = tokio::spawn({
        let scaler = scaler.clone();
        async move { scaler.tick(TickOptions::default()).await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let later: Vec<_> = (0..5)
        .map(|_| {
            let scaler = scaler.clone();
            tokio::spawn(async move { scaler.tick(TickOptions::default()).await })
        })
        .collect();
    let first = first.await.unwrap();
    let mut reports = Vec::new();
    for task in later {
        reports.push(task.await.unwrap());
    }

    // One tick ran, one more for the five latecomers: not five.
    let reads = world
        .azure_requests("GET", &format!("{JOB_PATH}/executions"))
        .await;
    assert_eq!(reads.len(), 2);
    assert!(
        reports
            .iter()
            .all(|r| r.at == reports[0].at && r.duration_ms == reports[0].duration_ms)
    );
    assert!(first.ok && reports.iter().all(|r| r.ok));
}

#[tokio::test]
async fn a_service_principal_gets_its_arm_token_from_entra_id() {
    let world = World::start().await;
    Mock::given(method("POST"))
        .and(path("/tenant-1/oauth2/v2.0/token"))
        .and(wiremock::matchers::body_string_contains("grant_type=client_credentials"))
        .and(wiremock::matchers::body_string_contains("scope=https%3A%2F%2Fmanagement.azure.com%2F.default"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": "sp-arm-token"
        })))
        .expect(1)
        .mount(&world.azure)
        .await;
    let scaler = service_principal_scaler(&world, "sp-secret");

    let report = scaler.tick(TickOptions::default()).await;
    scaler.tick(TickOptions::default()).await;

    assert!(report.ok, "{:?}", report.failed_reads);
    let reads = world
        .azure_requests("GET", &format!("{JOB_PATH}/executions"))
        .await;
    assert!(
        reads
            .iter()
            .all(|r| r.headers.get("authorization").unwrap() == "Bearer sp-arm-token")
    );
}

#[tokio::test]
async fn a_refused_service_principal_is_explained_without_its_secret() {
    let world = World::start().await;
    Mock::given(method("POST"))
        .and(path("/tenant-1/oauth2/v2.0/token"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": "invalid_client",
            "error_description": "AADSTS7000215: Invalid client secret provided.\r\nTrace ID: x"
        })))
        .mount(&world.azure)
        .await;
    let scaler = service_principal_scaler(&world, "sp-secret-value");

    let report = scaler.tick(TickOptions::default()).await;

    let error = &report.failed_reads[0].error;
    assert!(
        error.contains("invalid_client: AADSTS7000215: Invalid client secret provided."),
        "{error}"
    );
    assert!(
        error.contains("check AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET"),
        "{error}"
    );
    assert!(
        !serde_json::to_string(&report)
            .unwrap()
            .contains("sp-secret-value")
    );
}

/// A scaler that authenticates to ARM as a service principal of tenant `tenant-1`, with the
/// Entra ID authority on the ARM fake.
fn service_principal_scaler(
    world: &World,
    secret: &str,
) -> std::sync::Arc<aca_runner_scaler::reconcile::Scaler> {
    world.scaler(&[
        ("IDENTITY_ENDPOINT", ""),
        ("IDENTITY_HEADER", ""),
        ("AZURE_TENANT_ID", "tenant-1"),
        ("AZURE_CLIENT_ID", "client-1"),
        ("AZURE_CLIENT_SECRET", secret),
        ("AZURE_AUTHORITY_HOST", &world.azure.uri()),
    ])
}
