//! The emulated GitHub API over real HTTP on 127.0.0.1: authentication, rate limits,
//! conditional requests, pagination, and the runner endpoints' rules.

mod sandbox_support;

use std::collections::BTreeSet;

use aca_runner_scaler::sandbox::emulator::calls::{Api, CallKind};
use reqwest::Method;
use sandbox_support::{ORG, job, json_of, rate_remaining, start, start_with, status_of};
use serde_json::{Value, json};

#[tokio::test]
async fn app_jwts_are_checked_like_github_checks_them() {
    let h = start(vec![]).await;
    let app = h.config.app_id.clone();
    let other_key = {
        // A JWT signed by a key GitHub does not know.
        let stranger = aca_runner_scaler::sandbox::keys::AppKeyPair::generate().unwrap();
        let claims =
            json!({"iat": h.now().timestamp() - 60, "exp": h.now().timestamp() + 300, "iss": app});
        let key =
            jsonwebtoken::EncodingKey::from_rsa_pem(stranger.private_pem().as_bytes()).unwrap();
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
            &claims,
            &key,
        )
        .unwrap()
    };
    let cases: Vec<(&str, String, u16, &str)> = vec![
        ("a valid JWT", h.jwt(), 201, ""),
        (
            "the client id as issuer",
            h.jwt_with(-60, 540, &h.config.client_id),
            201,
            "",
        ),
        (
            "an expired JWT",
            h.jwt_with(-700, -100, &app),
            401,
            "'Expiration time' claim ('exp') must be",
        ),
        (
            "a JWT living over 10 minutes",
            h.jwt_with(-60, 600, &app),
            401,
            "too far in the future",
        ),
        (
            "a JWT issued in the future",
            h.jwt_with(300, 500, &app),
            401,
            "'Issued at' claim",
        ),
        (
            "another App as issuer",
            h.jwt_with(-60, 500, "999"),
            401,
            "'Issuer' claim",
        ),
        (
            "a signature by another key",
            other_key,
            401,
            "could not be decoded",
        ),
    ];
    let url = h.url(&format!(
        "/app/installations/{}/access_tokens",
        h.config.installation_id
    ));
    for (name, jwt, status, message) in cases {
        let response = h.http.post(&url).bearer_auth(jwt).send().await.unwrap();
        assert_eq!(response.status(), status, "{name}");
        let body = json_of(response).await;
        if status == 401 {
            let text = body["message"].as_str().unwrap();
            assert!(text.contains(message), "{name}: {text}");
            assert!(body["documentation_url"].is_string(), "{name}");
        } else {
            assert!(body["token"].as_str().unwrap().starts_with("ghs_"));
            assert!(body["expires_at"].as_str().unwrap().ends_with('Z'));
        }
    }
}

#[tokio::test]
async fn an_installation_token_expires_after_an_hour_of_virtual_time() {
    let h = start(vec![]).await;
    let token = h.installation_token().await;
    let list = || {
        h.github(Method::GET, &format!("/orgs/{ORG}/actions/runners"), &token)
            .send()
    };

    assert_eq!(list().await.unwrap().status(), 200);
    h.advance(3600);
    let response = list().await.unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(json_of(response).await["message"], "Bad credentials");
}

#[tokio::test]
async fn requests_without_user_agent_or_credentials_are_refused() {
    let h = start(vec![]).await;
    let token = h.installation_token().await;
    let bare = reqwest::Client::new();

    let no_agent = bare
        .get(h.url(&format!("/orgs/{ORG}/actions/runners")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(no_agent.status(), 403);

    let no_token = h
        .http
        .get(h.url(&format!("/orgs/{ORG}/actions/runners")))
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.status(), 401);

    let jwt_for_data = h
        .github(
            Method::GET,
            &format!("/orgs/{ORG}/actions/runners"),
            &h.jwt(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        jwt_for_data.status(),
        403,
        "a JWT is not an installation token"
    );
}

#[tokio::test]
async fn the_installation_is_found_for_the_org_and_its_repositories_but_not_as_a_user() {
    let h = start(vec![]).await;
    let jwt = h.jwt();
    for found in [
        format!("/orgs/{ORG}/installation"),
        format!("/repos/{ORG}/web/installation"),
    ] {
        let response = h.github(Method::GET, &found, &jwt).send().await.unwrap();
        assert_eq!(response.status(), 200, "{found}");
        let id = &json_of(response).await["id"];
        assert_eq!(id, h.config.installation_id, "{found}");
    }

    for missing in [
        format!("/users/{ORG}/installation"),
        format!("/repos/{ORG}/nope/installation"),
        "/repos/someone-else/web/installation".into(),
        "/orgs/someone-else/installation".into(),
    ] {
        let status = status_of(h.github(Method::GET, &missing, &jwt)).await;
        assert_eq!(status, 404, "{missing}");
    }
}

#[tokio::test]
async fn a_matching_if_none_match_gets_304_without_spending_quota() {
    let h = start(vec![job(0, 1, &["linux"], 5)]).await;
    h.advance(1);
    let token = h.installation_token().await;
    let path = "/repos/sandbox-org/web/actions/runs?status=queued&per_page=100";

    let first = h.github(Method::GET, path, &token).send().await.unwrap();
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    let after_first = rate_remaining(&first);
    assert!(
        etag.starts_with('"') && etag.ends_with('"'),
        "a strong ETag: {etag}"
    );

    let revalidate = |token: &str| {
        h.github(Method::GET, path, token)
            .header("If-None-Match", &etag)
            .send()
    };
    let cached = revalidate(&token).await.unwrap();
    assert_eq!(cached.status(), 304);
    assert_eq!(rate_remaining(&cached), after_first, "a 304 spends nothing");
    assert!(cached.bytes().await.unwrap().is_empty());

    let again = h.github(Method::GET, path, &token).send().await.unwrap();
    assert_eq!(rate_remaining(&again), after_first - 1);

    let calls = h.emulator.with(|s| s.calls.clone());
    assert_eq!(
        calls.of_kind(CallKind::ListRuns),
        3,
        "the 304 still counts as a call"
    );
    assert_eq!(calls.with_status(Api::Github, 304), 1);

    // Once the run changes (GitHub cancels the job after a day), the old ETag no longer matches.
    h.advance(24 * 3600 + 60);
    let token = h.installation_token().await;
    let changed = revalidate(&token).await.unwrap();
    assert_eq!(changed.status(), 200);
    assert_eq!(json_of(changed).await["total_count"], 0);
}

#[tokio::test]
async fn an_exhausted_rate_limit_answers_403_until_the_virtual_hour_turns() {
    let h = start_with(vec![], |c| c.rate_limit = 3).await;
    let token = h.installation_token().await;
    let path = format!("/orgs/{ORG}/actions/runners");
    for _ in 0..3 {
        assert_eq!(status_of(h.github(Method::GET, &path, &token)).await, 200);
    }
    let limited = h.github(Method::GET, &path, &token).send().await.unwrap();
    assert_eq!(limited.status(), 403);
    assert_eq!(limited.headers()["x-ratelimit-remaining"], "0");
    let reset: i64 = limited.headers()["x-ratelimit-reset"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        reset,
        (h.now() + chrono::Duration::hours(1)).timestamp(),
        "resets on the virtual hour"
    );
    assert!(
        json_of(limited).await["message"]
            .as_str()
            .unwrap()
            .contains("rate limit exceeded")
    );

    h.advance(3600);
    // A fresh token too: the old one lived exactly an hour.
    let token = h.installation_token().await;
    assert_eq!(status_of(h.github(Method::GET, &path, &token)).await, 200);
}

#[tokio::test]
async fn lists_paginate_with_absolute_link_headers() {
    // One run with 250 jobs: three pages of 100.
    let jobs = (0..250).map(|_| job(0, 1, &["linux"], 5)).collect();
    let h = start(jobs).await;
    h.advance(1);
    let token = h.installation_token().await;
    let runs = h
        .github_json("/repos/sandbox-org/web/actions/runs", &token)
        .await;
    let run_id = runs["workflow_runs"][0]["id"].as_u64().unwrap();

    let mut url = h.url(&format!(
        "/repos/{ORG}/web/actions/runs/{run_id}/jobs?per_page=100"
    ));
    let mut ids = BTreeSet::new();
    let mut pages = 0;
    loop {
        let response = h.http.get(&url).bearer_auth(&token).send().await.unwrap();
        let link = response
            .headers()
            .get("link")
            .map(|l| l.to_str().unwrap().to_owned());
        let body = json_of(response).await;
        assert_eq!(body["total_count"], 250);
        ids.extend(
            body["jobs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|j| j["id"].as_u64().unwrap()),
        );
        pages += 1;
        let next = link.as_deref().and_then(|l| {
            l.split(", ")
                .find(|p| p.ends_with("rel=\"next\""))
                .map(|p| p[1..p.find('>').unwrap()].to_owned())
        });
        match next {
            Some(next) => {
                assert!(
                    next.starts_with(h.emulator.url()),
                    "absolute URL on the emulator: {next}"
                );
                url = next;
            }
            None => break,
        }
    }
    assert_eq!((pages, ids.len()), (3, 250));
}

#[tokio::test]
async fn a_waiting_job_shows_as_waiting_in_its_run_and_the_listing() {
    let mut gated = job(0, 1, &["linux"], 5);
    gated.approval = Some(chrono::Duration::minutes(10));
    let h = start(vec![gated, job(0, 1, &["linux"], 5)]).await;
    h.advance(1);
    let token = h.installation_token().await;

    let jobs_of = |status: &str| {
        let path = format!("/repos/{ORG}/web/actions/runs?status={status}");
        let request = h.github(Method::GET, &path, &token);
        async move {
            json_of(request.send().await.unwrap()).await["total_count"]
                .as_u64()
                .unwrap()
        }
    };
    assert_eq!(
        jobs_of("queued").await,
        1,
        "still in the queued listing for a moment"
    );
    assert_eq!(jobs_of("waiting").await, 1);
    h.advance(60);
    assert_eq!(jobs_of("queued").await, 0);

    let runs = h
        .github_json("/repos/sandbox-org/web/actions/runs", &token)
        .await;
    let run = &runs["workflow_runs"][0];
    assert_eq!(run["status"], "waiting");
    let jobs = h
        .github_json(
            &format!("/repos/{ORG}/web/actions/runs/{}/jobs", run["id"]),
            &token,
        )
        .await;
    let statuses: Vec<&str> = jobs["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["waiting", "queued"]);
    assert!(jobs["jobs"][0]["runner_name"].is_null());
}

#[tokio::test]
async fn generate_jitconfig_enforces_githubs_rules() {
    let h = start(vec![]).await;
    let token = h.installation_token().await;
    let path = format!("/orgs/{ORG}/actions/runners/generate-jitconfig");
    let many: Vec<String> = (0..101).map(|i| format!("l{i}")).collect();
    let cases: Vec<(&str, Value, u16)> = vec![
        (
            "a complete request",
            json!({"name": "r1", "runner_group_id": 1, "labels": ["linux"]}),
            201,
        ),
        (
            "the same name again",
            json!({"name": "r1", "runner_group_id": 1, "labels": ["linux"]}),
            409,
        ),
        (
            "no runner group",
            json!({"name": "r2", "labels": ["linux"]}),
            422,
        ),
        (
            "no labels",
            json!({"name": "r2", "runner_group_id": 1, "labels": []}),
            422,
        ),
        (
            "101 labels",
            json!({"name": "r2", "runner_group_id": 1, "labels": many}),
            422,
        ),
        (
            "no name",
            json!({"runner_group_id": 1, "labels": ["linux"]}),
            422,
        ),
        (
            "an unknown group",
            json!({"name": "r2", "runner_group_id": 7, "labels": ["linux"]}),
            404,
        ),
    ];
    for (name, body, status) in cases {
        let response = h
            .github(Method::POST, &path, &token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{name}");
    }
    let runners = h
        .github_json(&format!("/orgs/{ORG}/actions/runners"), &token)
        .await;
    assert_eq!(runners["total_count"], 1);
    assert_eq!(runners["runners"][0]["status"], "offline");
}

#[tokio::test]
async fn deleting_a_runner_is_refused_while_it_runs_a_job() {
    let h = start(vec![job(0, 1, &["linux"], 5)]).await;
    let token = h.installation_token().await;
    let arm = h.arm_token().await;
    let (busy, jit) = h.jit(&token, "pool-busy").await;
    h.start_execution(&arm, &jit).await;
    let (idle, _) = h.jit(&token, "pool-idle").await;
    h.advance(60);

    let delete = |id: u64| {
        h.github(
            Method::DELETE,
            &format!("/orgs/{ORG}/actions/runners/{id}"),
            &token,
        )
        .send()
    };
    let refused = delete(busy).await.unwrap();
    assert_eq!(refused.status(), 422);
    assert_eq!(
        json_of(refused).await["message"],
        "Bad request - Runner \"pool-busy\" is still running a job\""
    );
    assert_eq!(delete(idle).await.unwrap().status(), 204);
    assert_eq!(delete(idle).await.unwrap().status(), 404);
}

#[tokio::test]
async fn a_registration_token_is_issued_for_an_hour() {
    let h = start(vec![]).await;
    let token = h.installation_token().await;
    let response = h
        .github(
            Method::POST,
            &format!("/orgs/{ORG}/actions/runners/registration-token"),
            &token,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let body = json_of(response).await;
    let expires: chrono::DateTime<chrono::Utc> =
        body["expires_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(expires, h.now() + chrono::Duration::hours(1));
}

#[tokio::test]
async fn a_repository_keeps_its_own_runners_apart_from_the_organisations() {
    let h = start(vec![]).await;
    let token = h.installation_token().await;
    let repo_runners = format!("/repos/{ORG}/web/actions/runners");
    let org_runners = format!("/orgs/{ORG}/actions/runners");

    let registered = h
        .github(
            Method::POST,
            &format!("{repo_runners}/generate-jitconfig"),
            &token,
        )
        .json(&json!({"name": "repo-1", "runner_group_id": 1, "labels": ["linux"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), 201);
    let id = json_of(registered).await["runner"]["id"].as_u64().unwrap();

    let listed = h.github_json(&repo_runners, &token).await;
    assert_eq!(listed["total_count"], 1);
    assert_eq!(listed["runners"][0]["name"], "repo-1");
    let org_listed = h.github_json(&org_runners, &token).await;
    assert_eq!(org_listed["total_count"], 0, "not an organisation runner");

    // In order: the last two delete the runner, then find it gone.
    let calls = [
        (Method::GET, format!("{repo_runners}/{id}"), 200),
        (Method::GET, format!("{org_runners}/{id}"), 404),
        (Method::DELETE, format!("{org_runners}/{id}"), 404),
        (
            Method::POST,
            format!("{repo_runners}/registration-token"),
            201,
        ),
        (
            Method::GET,
            format!("/repos/{ORG}/nope/actions/runners"),
            404,
        ),
        (
            Method::GET,
            format!("/repos/{ORG}/nope/actions/runners/{id}"),
            404,
        ),
        (
            Method::GET,
            "/repos/someone-else/web/actions/runners".into(),
            404,
        ),
        (
            Method::GET,
            "/orgs/someone-else/actions/runners".into(),
            404,
        ),
        (Method::DELETE, format!("{repo_runners}/{id}"), 204),
        (Method::DELETE, format!("{repo_runners}/{id}"), 404),
    ];
    for (method, path, expected) in calls {
        let status = status_of(h.github(method.clone(), &path, &token)).await;
        assert_eq!(status, expected, "{method} {path}");
    }
}

#[tokio::test]
async fn an_unknown_owner_is_answered_only_after_the_credentials_and_spends_quota() {
    let h = start(vec![]).await;
    let token = h.installation_token().await;
    let path = "/orgs/someone-else/actions/runners/1";

    let anonymous = h.http.get(h.url(path)).send().await.unwrap();
    assert_eq!(anonymous.status(), 401, "credentials are checked first");

    let first = h.github(Method::GET, path, &token).send().await.unwrap();
    let second = h.github(Method::GET, path, &token).send().await.unwrap();
    assert_eq!(
        (first.status().as_u16(), second.status().as_u16()),
        (404, 404)
    );
    assert_eq!(rate_remaining(&second), rate_remaining(&first) - 1);
    assert_eq!(
        json_of(second).await["message"],
        "Not Found",
        "GitHub's error body"
    );
    let calls = h.emulator.with(|s| s.calls.clone());
    assert_eq!(calls.of_kind(CallKind::GetRunner), 3);
}

#[tokio::test]
async fn a_path_that_is_not_utf_8_is_refused_before_the_pipeline() {
    let h = start(vec![]).await;
    let token = h.installation_token().await;
    for (path, param) in [
        ("/orgs/%FF/actions/runners", "org"),
        ("/repos/sandbox-org/%FF/actions/runners/1", "repo"),
        ("/repos/%FF/web/installation", "owner"),
        ("/repos/sandbox-org/%FF/actions/runs", "repo"),
    ] {
        let response = h.github(Method::GET, path, &token).send().await.unwrap();
        assert_eq!(response.status(), 400, "{path}");
        assert_eq!(
            response.text().await.unwrap(),
            format!("Invalid URL: Invalid UTF-8 in `{param}`"),
            "{path}"
        );
    }
    let calls = h.emulator.with(|s| s.calls.clone());
    assert_eq!(calls.with_status(Api::Github, 400), 0);
}
