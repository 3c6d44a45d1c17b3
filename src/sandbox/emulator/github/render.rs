//! GitHub's JSON shapes for the world's objects, field names as in GitHub's published examples
//! (see `tests/sandbox_shapes.rs`). URLs point at the emulator, never at another host.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::sandbox::world::model::{Job, JobStatus, Repo, Run, Runner};

/// The organisation's numeric id.
const ORG_ID: u64 = 9_100_001;

/// Where the emulator lives and which organisation it plays.
#[derive(Debug, Clone, Copy)]
pub struct Site<'a> {
    /// Root URL without a trailing slash, e.g. `http://127.0.0.1:40123`.
    pub base: &'a str,
    /// Organisation login.
    pub org: &'a str,
}

/// GitHub's timestamp format: seconds, `Z`.
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn node_id(kind: &str, id: u64) -> String {
    STANDARD.encode(format!("{kind}{id}"))
}

/// The organisation as an `account` / `owner`.
pub fn account(site: Site) -> Value {
    let Site { base, org } = site;
    json!({
        "login": org,
        "id": ORG_ID,
        "node_id": node_id("012:Organization", ORG_ID),
        "avatar_url": format!("{base}/avatars/{org}"),
        "gravatar_id": "",
        "url": format!("{base}/orgs/{org}"),
        "html_url": format!("{base}/{org}"),
        "repos_url": format!("{base}/orgs/{org}/repos"),
        "type": "Organization",
        "site_admin": false,
    })
}

/// The App's installation on the organisation.
pub fn installation(
    site: Site,
    id: u64,
    app_id: &str,
    client_id: &str,
    created: DateTime<Utc>,
) -> Value {
    let base = site.base;
    json!({
        "id": id,
        "account": account(site),
        "repository_selection": "all",
        "access_tokens_url": format!("{base}/app/installations/{id}/access_tokens"),
        "repositories_url": format!("{base}/installation/repositories"),
        "html_url": format!("{base}/organizations/{}/settings/installations/{id}", site.org),
        "app_id": app_id.parse::<u64>().map(Value::from).unwrap_or_else(|_| Value::from(app_id)),
        "client_id": client_id,
        "target_id": ORG_ID,
        "target_type": "Organization",
        "permissions": {"actions": "read", "metadata": "read", "organization_self_hosted_runners": "write"},
        "events": ["workflow_job"],
        "created_at": timestamp(created),
        "updated_at": timestamp(created),
        "single_file_name": null,
        "app_slug": "aca-runner-scaler-sandbox",
        "suspended_at": null,
        "suspended_by": null,
    })
}

/// A repository as workflow runs embed it (GitHub's "minimal" form).
pub fn minimal_repository(site: Site, repo: &Repo) -> Value {
    let Site { base, org } = site;
    let name = &repo.name;
    json!({
        "id": repo.id,
        "node_id": node_id("010:Repository", repo.id),
        "name": name,
        "full_name": format!("{org}/{name}"),
        "owner": account(site),
        "private": true,
        "html_url": format!("{base}/{org}/{name}"),
        "description": null,
        "fork": false,
        "url": format!("{base}/repos/{org}/{name}"),
        "hooks_url": format!("{base}/repos/{org}/{name}/hooks"),
    })
}

/// A repository as the repository lists show it.
pub fn repository(site: Site, repo: &Repo, created: DateTime<Utc>) -> Value {
    let mut value = minimal_repository(site, repo);
    if let Some(fields) = value.as_object_mut() {
        for (key, extra) in [
            ("default_branch", json!("main")),
            ("archived", json!(false)),
            ("disabled", json!(false)),
            ("visibility", json!("private")),
            ("created_at", json!(timestamp(created))),
            ("updated_at", json!(timestamp(created))),
            ("pushed_at", json!(timestamp(created))),
        ] {
            fields.insert(key.to_owned(), extra);
        }
    }
    value
}

/// A workflow run.
pub fn run(site: Site, run: &Run, repo: &Repo) -> Value {
    let Site { base, org } = site;
    let api = format!("{base}/repos/{org}/{}", repo.name);
    let id = run.id;
    json!({
        "id": id,
        "name": run.workflow_name,
        "node_id": node_id("011:WorkflowRun", id),
        "check_suite_id": id + 1_000_000,
        "check_suite_node_id": node_id("010:CheckSuite", id + 1_000_000),
        "head_branch": "main",
        "head_sha": run.head_sha,
        "path": format!(".github/workflows/{}.yml", run.workflow_id),
        "run_number": run.run_number,
        "event": "push",
        "display_title": format!("{} #{}", run.workflow_name, run.run_number),
        "status": run.status.as_str(),
        "conclusion": run.conclusion.map(|c| c.as_str()),
        "workflow_id": run.workflow_id,
        "url": format!("{api}/actions/runs/{id}"),
        "html_url": format!("{base}/{org}/{}/actions/runs/{id}", repo.name),
        "pull_requests": [],
        "created_at": timestamp(run.created_at),
        "updated_at": timestamp(run.updated_at),
        "run_attempt": 1,
        "run_started_at": timestamp(run.created_at),
        "jobs_url": format!("{api}/actions/runs/{id}/jobs"),
        "logs_url": format!("{api}/actions/runs/{id}/logs"),
        "check_suite_url": format!("{api}/check-suites/{}", id + 1_000_000),
        "artifacts_url": format!("{api}/actions/runs/{id}/artifacts"),
        "cancel_url": format!("{api}/actions/runs/{id}/cancel"),
        "rerun_url": format!("{api}/actions/runs/{id}/rerun"),
        "workflow_url": format!("{api}/actions/workflows/{}", run.workflow_id),
        "head_commit": {
            "id": run.head_sha,
            "message": format!("Change for run {}", run.run_number),
            "timestamp": timestamp(run.created_at),
            "author": {"name": "Octo Dev", "email": "dev@sandbox.invalid"},
            "committer": {"name": "Octo Dev", "email": "dev@sandbox.invalid"},
        },
        "repository": minimal_repository(site, repo),
        "head_repository": minimal_repository(site, repo),
    })
}

/// A workflow job. Like GitHub, `started_at` is the creation time until a runner takes the
/// job, and the runner fields are `null` until then.
pub fn job(site: Site, job: &Job, run: &Run) -> Value {
    let Site { base, org } = site;
    let api = format!("{base}/repos/{org}/{}", job.repo);
    let id = job.id;
    let runner = job.runner.as_ref();
    json!({
        "id": id,
        "run_id": job.run_id,
        "run_url": format!("{api}/actions/runs/{}", job.run_id),
        "run_attempt": 1,
        "node_id": node_id("008:CheckRun", id),
        "head_sha": run.head_sha,
        "url": format!("{api}/actions/jobs/{id}"),
        "html_url": format!("{base}/{org}/{}/actions/runs/{}/job/{id}", job.repo, job.run_id),
        "status": job.status.as_str(),
        "conclusion": job.conclusion.map(|c| c.as_str()),
        "created_at": timestamp(job.created_at),
        "started_at": timestamp(job.started_at.unwrap_or(job.created_at)),
        "completed_at": job.completed_at.map(timestamp),
        "name": job.name,
        "steps": steps(job),
        "check_run_url": format!("{api}/check-runs/{id}"),
        "labels": job.labels,
        "runner_id": runner.map(|r| r.runner_id),
        "runner_name": runner.map(|r| r.runner_name.clone()),
        "runner_group_id": runner.map(|r| r.group_id),
        "runner_group_name": runner.map(|_| "Default"),
        "workflow_name": run.workflow_name,
        "head_branch": "main",
    })
}

fn steps(job: &Job) -> Value {
    let (Some(started), status) = (job.started_at, job.status) else {
        return json!([]);
    };
    let done = status == JobStatus::Completed;
    let conclusion = job.conclusion.map(|c| c.as_str());
    let end = job.completed_at.map(timestamp);
    let step = |number: u32, name: &str, finished: bool| {
        json!({
            "name": name,
            "status": if finished { "completed" } else { "in_progress" },
            "conclusion": if finished { conclusion.or(Some("success")) } else { None },
            "number": number,
            "started_at": timestamp(started),
            "completed_at": if finished { end.clone().or_else(|| Some(timestamp(started))) } else { None },
        })
    };
    let mut steps = vec![step(1, "Set up job", true), step(2, "Run workload", done)];
    if done {
        steps.push(step(3, "Complete job", true));
    }
    Value::Array(steps)
}

/// Runner labels: `[{id, name, type}]`.
fn labels(runner: &Runner) -> Value {
    runner
        .labels
        .iter()
        .map(|l| {
            json!({
                "id": l.id,
                "name": l.name,
                "type": if l.read_only { "read-only" } else { "custom" },
            })
        })
        .collect()
}

/// A runner as the runner listings show it.
pub fn runner(runner: &Runner) -> Value {
    json!({
        "id": runner.id,
        "name": runner.name,
        "os": runner.os,
        "status": if runner.online { "online" } else { "offline" },
        "busy": runner.job.is_some(),
        "ephemeral": runner.ephemeral,
        "version": "2.330.0",
        "labels": labels(runner),
    })
}

/// A runner as `generate-jitconfig` returns it.
pub fn jit_runner(runner: &Runner) -> Value {
    json!({
        "id": runner.id,
        "name": runner.name,
        "os": runner.os,
        "status": "offline",
        "busy": false,
        "labels": labels(runner),
    })
}
