//! The queue: which workflow jobs are waiting for a runner, and which jobs name a runner.
//!
//! GitHub has no organization-wide "queued jobs" endpoint, so the queue is read per repository:
//! the runs in every non-terminal status, then every page of each run's jobs. A run's status
//! says nothing reliable about its jobs' (an `in_progress` or `waiting` run can hold queued
//! jobs), and a run moving between statuses can appear in two listings, so runs and jobs are
//! deduplicated by id.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use futures::stream::{self, StreamExt};
use serde::Serialize;
use tokio::time::error::Elapsed;
use tokio::time::{Instant, timeout_at};

use super::client::GithubClient;
use super::error::GithubError;
use super::types::{InstallationRepositories, Repository, WorkflowJob, WorkflowJobs, WorkflowRuns};

/// Run statuses that can hold a queued job.
pub const OPEN_RUN_STATUSES: [&str; 5] =
    ["queued", "in_progress", "waiting", "pending", "requested"];

/// GitHub cancels a job that stayed queued for 24 hours; older ones are not demand.
pub const MAX_QUEUED_AGE: Duration = Duration::hours(24);

/// Repositories read at once: enough to keep a tick short, few enough to stay far from
/// GitHub's secondary limit on concurrent requests.
const CONCURRENT_REPOSITORIES: usize = 4;

/// A queued job, before matching against the pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueuedJob {
    pub id: u64,
    pub run_id: u64,
    pub repo: String,
    pub labels: Vec<String>,
    pub queued_since: Option<DateTime<Utc>>,
}

/// A job that names a runner: what the runner is doing or has done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunnerJob {
    pub runner_name: String,
    pub job_id: u64,
    pub in_progress: bool,
    /// When a completed job completed.
    pub completed_at: Option<DateTime<Utc>>,
}

/// A read that failed, for the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReadFailure {
    /// What was being read (`repository octo-org/api`, `runners`, `executions`).
    pub read: String,
    /// Why it failed.
    pub error: String,
    /// Whether GitHub refused for rate limiting (nothing else is sent until it resets).
    pub rate_limited: bool,
    /// Whether the failure makes this tick's picture too uncertain to stop anything. A
    /// repository that answers 404 or 403 is not: it is reported and skipped every tick, and
    /// letting it block scale-down would keep lost executions running for as long as a stale
    /// name stays in `GITHUB_REPOS`. Anything transient (a 5xx, a timeout, a rate limit) is.
    pub blocks_stops: bool,
}

impl ReadFailure {
    /// A failed read that blocks scale-down.
    pub fn github(read: impl Into<String>, error: &GithubError) -> Self {
        Self {
            read: read.into(),
            error: error.to_string(),
            rate_limited: error.is_rate_limited(),
            blocks_stops: true,
        }
    }

    /// A read abandoned at the tick's read deadline.
    pub fn out_of_time(read: impl Into<String>) -> Self {
        Self {
            read: read.into(),
            error: "not finished within the tick's time for reads; GitHub or ARM is slow".into(),
            rate_limited: false,
            blocks_stops: true,
        }
    }

    /// A repository that could not be read. A definite answer about the repository itself
    /// (moved, gone, forbidden: a 3xx or a 4xx other than a rate limit) is skipped without
    /// blocking scale-down, since it will answer the same every tick; anything transient blocks.
    pub fn repository(read: impl Into<String>, error: &GithubError) -> Self {
        let definite = match error.status() {
            Some(status) => {
                (300..500).contains(&status) && status != 429 && !error.is_rate_limited()
            }
            None => false,
        };
        let mut failure = Self {
            blocks_stops: !definite,
            ..Self::github(read, error)
        };
        if matches!(error.status(), Some(301 | 302 | 307 | 308)) {
            failure.error.push_str(
                "; the repository was renamed or transferred: put its new name in GITHUB_REPOS",
            );
        }
        failure
    }
}

/// What one pass over the repositories saw.
#[derive(Debug, Clone, Default)]
pub struct QueueObservation {
    /// Repositories whose runs and jobs were read completely.
    pub repositories: Vec<String>,
    /// Queued jobs younger than [`MAX_QUEUED_AGE`], oldest first.
    pub queued: Vec<QueuedJob>,
    /// Queued jobs older than that (GitHub is about to cancel them).
    pub stale: usize,
    /// Jobs that name a runner (in progress or completed), for classifying executions.
    pub runner_jobs: Vec<RunnerJob>,
    /// Reads that failed; their repositories contribute nothing.
    pub failures: Vec<ReadFailure>,
}

/// One repository's jobs, or why they could not be read, or the deadline passing first.
type RepositoryRead = Result<Result<Vec<WorkflowJob>, GithubError>, Elapsed>;

/// Reads the queue of `repos` (or of every repository the credentials see).
///
/// Reads still running at `deadline` are abandoned and reported as failed: a slow GitHub must
/// not hold the tick (and the Functions invocation) past its timeout.
pub async fn observe_queue(
    github: &GithubClient,
    repos: Option<&[String]>,
    now: DateTime<Utc>,
    deadline: Instant,
) -> QueueObservation {
    let mut observation = QueueObservation::default();
    let repos = match repos {
        Some(repos) => repos.to_vec(),
        None => match timeout_at(deadline, list_repositories(github)).await {
            Ok(Ok(repos)) => repos,
            Ok(Err(error)) => {
                observation
                    .failures
                    .push(ReadFailure::github("repository list", &error));
                return observation;
            }
            Err(_) => {
                observation
                    .failures
                    .push(ReadFailure::out_of_time("repository list"));
                return observation;
            }
        },
    };

    let results: Vec<(String, RepositoryRead)> = stream::iter(repos)
        .map(|repo| async move {
            let jobs = timeout_at(deadline, open_jobs(github, &repo)).await;
            (repo, jobs)
        })
        .buffered(CONCURRENT_REPOSITORIES)
        .collect()
        .await;

    for (repo, result) in results {
        let read = format!("repository {}/{repo}", github.owner());
        match result {
            Ok(Ok(jobs)) => {
                collect_jobs(&mut observation, &repo, jobs, now);
                observation.repositories.push(repo);
            }
            Err(_) => observation.failures.push(ReadFailure::out_of_time(read)),
            Ok(Err(error)) => {
                tracing::warn!(repo = %repo, error = %error, "repository skipped");
                observation
                    .failures
                    .push(ReadFailure::repository(read, &error));
            }
        }
    }
    observation
        .queued
        .sort_by_key(|job| (job.queued_since, job.id));
    observation
}

/// Every repository the credentials can see, archived and disabled ones left out (they run no
/// workflows, and reading them costs calls).
pub async fn list_repositories(github: &GithubClient) -> Result<Vec<String>, GithubError> {
    let repos: Vec<Repository> = if github.is_app() {
        github
            .get_all(
                "/installation/repositories",
                |page: InstallationRepositories| page.repositories,
            )
            .await?
    } else {
        let path = format!("/orgs/{}/repos?type=all", github.owner());
        github.get_all(&path, |page: Vec<Repository>| page).await?
    };
    let mut names: Vec<String> = repos
        .into_iter()
        .filter(|r| !r.archived && !r.disabled)
        .map(|r| r.name)
        .collect();
    names.sort();
    names.dedup();
    Ok(names)
}

/// All jobs of the repository's open runs, deduplicated by job id.
async fn open_jobs(github: &GithubClient, repo: &str) -> Result<Vec<WorkflowJob>, GithubError> {
    let owner = github.owner();
    let mut run_ids = BTreeSet::new();
    for status in OPEN_RUN_STATUSES {
        let path = format!("/repos/{owner}/{repo}/actions/runs?status={status}");
        let runs = github
            .get_all(&path, |page: WorkflowRuns| page.workflow_runs)
            .await?;
        run_ids.extend(runs.into_iter().map(|run| run.id));
    }

    let mut jobs = BTreeMap::new();
    for run_id in run_ids {
        let path = format!("/repos/{owner}/{repo}/actions/runs/{run_id}/jobs");
        match github.get_all(&path, |page: WorkflowJobs| page.jobs).await {
            Ok(run_jobs) => jobs.extend(run_jobs.into_iter().map(|job| (job.id, job))),
            // The run was deleted between the two listings: it holds no demand any more.
            Err(error) if error.status() == Some(404) => continue,
            Err(error) => return Err(error),
        }
    }
    Ok(jobs.into_values().collect())
}

fn collect_jobs(
    observation: &mut QueueObservation,
    repo: &str,
    jobs: Vec<WorkflowJob>,
    now: DateTime<Utc>,
) {
    for job in jobs {
        match job.status.as_str() {
            // `waiting` awaits an approval and cannot be taken yet; other statuses hold no
            // demand.
            "queued" => {
                let queued_since = job.created_at.or(job.started_at);
                if queued_since.is_some_and(|since| now - since > MAX_QUEUED_AGE) {
                    observation.stale += 1;
                    continue;
                }
                observation.queued.push(QueuedJob {
                    id: job.id,
                    run_id: job.run_id,
                    repo: repo.to_owned(),
                    labels: job.labels,
                    queued_since,
                });
            }
            status @ ("in_progress" | "completed") => {
                if let Some(runner_name) = job.runner_name.filter(|n| !n.is_empty()) {
                    observation.runner_jobs.push(RunnerJob {
                        runner_name,
                        job_id: job.id,
                        in_progress: status == "in_progress",
                        completed_at: job.completed_at,
                    });
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn job(id: u64, status: &str, created: DateTime<Utc>, runner: Option<&str>) -> WorkflowJob {
        WorkflowJob {
            id,
            run_id: 1,
            status: status.into(),
            labels: vec!["self-hosted".into()],
            runner_name: runner.map(str::to_owned),
            created_at: Some(created),
            started_at: None,
            completed_at: None,
        }
    }

    #[test]
    fn only_queued_jobs_younger_than_a_day_are_queued() {
        let now = Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 0).unwrap();
        let mut observation = QueueObservation::default();
        let jobs = vec![
            job(1, "queued", now - Duration::minutes(3), None),
            job(2, "waiting", now - Duration::minutes(3), None),
            job(3, "queued", now - Duration::hours(25), None),
            job(4, "in_progress", now, Some("pool-abc")),
            job(5, "completed", now, Some("pool-def")),
            job(6, "in_progress", now, None),
        ];
        collect_jobs(&mut observation, "api", jobs, now);
        let queued: Vec<u64> = observation.queued.iter().map(|j| j.id).collect();
        assert_eq!(queued, vec![1]);
        assert_eq!(observation.stale, 1);
        assert_eq!(
            observation.runner_jobs,
            vec![
                RunnerJob {
                    runner_name: "pool-abc".into(),
                    job_id: 4,
                    in_progress: true,
                    completed_at: None,
                },
                RunnerJob {
                    runner_name: "pool-def".into(),
                    job_id: 5,
                    in_progress: false,
                    completed_at: None,
                },
            ]
        );
    }
}
