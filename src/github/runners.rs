//! The pool's self-hosted runners: listing them, registering one (JIT config or registration
//! token), and removing a registration.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::client::GithubClient;
use super::error::GithubError;
use super::types::{JitConfig, RegistrationToken, RunnerRecord, Runners};
use crate::settings::Secret;

/// Where a runner is registered.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase", tag = "scope", content = "repo")]
pub enum Target {
    /// The organization.
    Org,
    /// One repository (by name).
    Repo(String),
}

impl Target {
    /// The API path prefix of the target's runner endpoints.
    fn path(&self, owner: &str) -> String {
        match self {
            Target::Org => format!("/orgs/{owner}/actions/runners"),
            Target::Repo(repo) => format!("/repos/{owner}/{repo}/actions/runners"),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Org => f.write_str("organization"),
            Target::Repo(repo) => write!(f, "repository {repo}"),
        }
    }
}

/// One of the pool's runners as GitHub lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Runner {
    pub id: u64,
    pub name: String,
    /// Connected to GitHub. A JIT registration exists (offline) before its runner connects.
    pub online: bool,
    pub busy: bool,
    pub target: Target,
}

/// Length of the random suffix of the pool's runner names.
pub const NAME_SUFFIX_LEN: usize = 8;

/// Whether `name` is one of this pool's runner names: exactly `{prefix}-` followed by
/// [`NAME_SUFFIX_LEN`] lowercase letters or digits, as the scaler names them. A looser test
/// (a plain prefix) would claim the runners of a pool whose prefix merely starts with ours
/// (`runners-gpu-…` for `runners`) and of static machines named `runners-vm1`, and scale-down
/// would delete their registrations.
pub fn is_pool_runner(prefix: &str, name: &str) -> bool {
    name.strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('-'))
        .is_some_and(|suffix| {
            suffix.len() == NAME_SUFFIX_LEN
                && suffix
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// The pool's runners registered on `targets` (see [`is_pool_runner`]): the others belong to
/// static machines or other pools and are none of our business.
pub async fn list_pool_runners(
    github: &GithubClient,
    targets: &[Target],
    prefix: &str,
) -> Result<Vec<Runner>, GithubError> {
    let mut pool = Vec::new();
    for target in targets {
        let path = target.path(github.owner());
        let records = github.get_all(&path, |page: Runners| page.runners).await?;
        pool.extend(
            records
                .into_iter()
                .filter(|r| is_pool_runner(prefix, &r.name))
                .map(|r: RunnerRecord| Runner {
                    id: r.id,
                    online: r.status.eq_ignore_ascii_case("online"),
                    busy: r.busy,
                    name: r.name,
                    target: target.clone(),
                }),
        );
    }
    Ok(pool)
}

/// A JIT runner registration: the config is single-use and only ever goes into the execution's
/// environment.
pub struct JitRegistration {
    pub runner_id: u64,
    pub config: Secret,
}

#[derive(Serialize)]
struct JitRequest<'a> {
    name: &'a str,
    runner_group_id: u64,
    labels: &'a [String],
    work_folder: &'a str,
}

/// Registers runner `name` on `target` and returns its JIT config.
pub async fn create_jit_config(
    github: &GithubClient,
    target: &Target,
    name: &str,
    group_id: u64,
    labels: &[String],
) -> Result<JitRegistration, GithubError> {
    let path = format!("{}/generate-jitconfig", target.path(github.owner()));
    let request = JitRequest {
        name,
        runner_group_id: group_id,
        labels,
        work_folder: "_work",
    };
    let answer: JitConfig = github.post(&path, &request).await?;
    Ok(JitRegistration {
        runner_id: answer.runner.id,
        config: Secret::new(answer.encoded_jit_config),
    })
}

/// A registration token for images that register themselves (`RUNNER_REGISTRATION=token`).
pub async fn create_registration_token(
    github: &GithubClient,
    target: &Target,
) -> Result<(Secret, DateTime<Utc>), GithubError> {
    let path = format!("{}/registration-token", target.path(github.owner()));
    let answer: RegistrationToken = github.post(&path, &serde_json::json!({})).await?;
    Ok((Secret::new(answer.token), answer.expires_at))
}

/// Removes runner `id` from `target`. GitHub answers 422 when the runner is running a job.
pub async fn delete_runner(
    github: &GithubClient,
    target: &Target,
    id: u64,
) -> Result<(), GithubError> {
    let path = format!("{}/{id}", target.path(github.owner()));
    github.delete(&path).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_names_the_scaler_gives_belong_to_the_pool() {
        let cases = [
            ("runners-a1b2c3d4", true),
            ("runners-00000000", true),
            ("runners-gpu-abcdefgh", false),
            ("runners-vm1", false),
            ("runners-ABCDEFGH", false),
            ("runners-a1b2c3d4e", false),
            ("runners", false),
            ("runnersx-a1b2c3d4", false),
            ("other-a1b2c3d4", false),
        ];
        for (name, expected) in cases {
            assert_eq!(is_pool_runner("runners", name), expected, "{name}");
        }
    }
}
