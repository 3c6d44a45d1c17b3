//! The parts of GitHub's REST payloads the scaler reads.
//!
//! Only the fields the scaler uses are modelled; everything else is ignored, so additions on
//! GitHub's side never break parsing. Status fields are plain strings because GitHub adds values
//! over time (`requested`, `pending`, ...): an unknown status must not fail a whole listing.

use chrono::{DateTime, Utc};
use serde::Deserialize;

/// `GET /orgs/{org}/installation`.
#[derive(Debug, Deserialize)]
pub struct Installation {
    pub id: u64,
}

/// `POST /app/installations/{id}/access_tokens` (201).
#[derive(Deserialize)]
pub struct AccessToken {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// One repository in `/installation/repositories` or `/orgs/{org}/repos`.
#[derive(Debug, Deserialize)]
pub struct Repository {
    pub name: String,
    #[serde(default)]
    pub archived: bool,
    #[serde(default)]
    pub disabled: bool,
}

/// `/installation/repositories` wraps the list; `/orgs/{org}/repos` is a bare array.
#[derive(Debug, Deserialize)]
pub struct InstallationRepositories {
    pub repositories: Vec<Repository>,
}

/// `GET /repos/{owner}/{repo}/actions/runs`.
#[derive(Debug, Deserialize)]
pub struct WorkflowRuns {
    pub workflow_runs: Vec<WorkflowRun>,
}

/// One workflow run; only its id matters (its status says nothing about its jobs').
#[derive(Debug, Deserialize)]
pub struct WorkflowRun {
    pub id: u64,
}

/// `GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs`.
#[derive(Debug, Deserialize)]
pub struct WorkflowJobs {
    pub jobs: Vec<WorkflowJob>,
}

/// One workflow job.
#[derive(Debug, Clone, Deserialize)]
pub struct WorkflowJob {
    pub id: u64,
    pub run_id: u64,
    pub status: String,
    #[serde(default)]
    pub labels: Vec<String>,
    pub runner_name: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
}

/// `GET /orgs/{org}/actions/runners` (and the repository variant).
#[derive(Debug, Deserialize)]
pub struct Runners {
    pub runners: Vec<RunnerRecord>,
}

/// One self-hosted runner. Its labels are objects here, unlike a job's.
#[derive(Debug, Clone, Deserialize)]
pub struct RunnerRecord {
    pub id: u64,
    pub name: String,
    pub status: String,
    #[serde(default)]
    pub busy: bool,
}

/// `POST .../actions/runners/generate-jitconfig` (201).
#[derive(Deserialize)]
pub struct JitConfig {
    pub runner: RunnerRecord,
    pub encoded_jit_config: String,
}

/// `POST .../actions/runners/registration-token` (201).
#[derive(Deserialize)]
pub struct RegistrationToken {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// GitHub's error body; `message` is safe to report (it never echoes credentials).
#[derive(Debug, Deserialize)]
pub struct ErrorBody {
    pub message: Option<String>,
}
