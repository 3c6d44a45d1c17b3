//! Credentials the sandbox hands out never show in its debug output or its headers.

mod sandbox_support;

use reqwest::Method;
use sandbox_support::{ORG, start};

#[tokio::test]
async fn debug_output_of_the_emulator_shows_no_credential() {
    let h = start(vec![]).await;
    let github = h.installation_token().await;
    let arm = h.arm_token().await;
    let (_, jit) = h.jit(&github, "pool-1").await;
    h.start_execution(&arm, &jit).await;

    let debug = format!("{:?} {:?}", h.emulator, h.config);
    let world = h
        .emulator
        .with(|s| format!("{s:?} {:?}", s.world.executions()));
    for secret in [&github, &arm, &jit, &h.config.identity_header] {
        assert!(!debug.contains(secret.as_str()), "a credential in {debug}");
        assert!(!world.contains(secret.as_str()), "a credential in {world}");
    }
    assert!(
        world.contains("pool-1") || world.contains("Execution"),
        "the output is not empty"
    );
}

#[tokio::test]
async fn every_github_answer_carries_rate_limit_headers_even_refusals() {
    let h = start(vec![]).await;
    let token = h.installation_token().await;
    let answers = [
        h.http
            .get(h.url(&format!("/orgs/{ORG}/actions/runners")))
            .send()
            .await
            .unwrap(),
        h.github(
            Method::GET,
            &format!("/orgs/{ORG}/actions/runners"),
            "ghs_wrong",
        )
        .send()
        .await
        .unwrap(),
        h.github(Method::GET, "/no/such/path", &token)
            .send()
            .await
            .unwrap(),
        h.github(Method::GET, &format!("/orgs/{ORG}/actions/runners"), &token)
            .send()
            .await
            .unwrap(),
    ];
    let statuses: Vec<u16> = answers.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(statuses, [401, 401, 404, 200]);
    for answer in &answers {
        for header in [
            "x-ratelimit-limit",
            "x-ratelimit-remaining",
            "x-ratelimit-used",
            "x-ratelimit-reset",
            "x-ratelimit-resource",
        ] {
            assert!(
                answer.headers().contains_key(header),
                "{} lacks {header}",
                answer.status()
            );
        }
    }
    assert_eq!(
        answers[0].headers()["x-ratelimit-limit"],
        "60",
        "the unauthenticated limit"
    );
    assert_eq!(answers[3].headers()["x-ratelimit-limit"], "5000");
}
