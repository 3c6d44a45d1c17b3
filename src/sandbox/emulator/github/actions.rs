//! Workflow runs and jobs: what a scaler reads to find demand.

use axum::extract::Path;
use axum::response::Response;
use url::form_urlencoded;

use super::render;
use super::{GhError, GithubRequest, Need, Reply};
use crate::sandbox::emulator::State as EmulatorState;
use crate::sandbox::emulator::calls::CallKind;
use crate::sandbox::world::model::Repo;

/// `GET /repos/{owner}/{repo}/actions/runs?status=&per_page=&page=`, newest first.
///
/// `status` takes a status (`queued`, `in_progress`, `waiting`, `completed`, ...) or a
/// conclusion (`success`, `failure`, ...). Run listings lag: a run that just changed status is
/// still listed under the old one for a moment (see `World::LISTING_LAG`), as on GitHub.
pub async fn list_runs(
    request: GithubRequest,
    Path((owner, repo)): Path<(String, String)>,
) -> Response {
    request.respond(CallKind::ListRuns, Need::Token, |state, _| {
        let repo = find_repo(state, &owner, &repo)?;
        let status = form_urlencoded::parse(request.uri().query().unwrap_or("").as_bytes())
            .find(|(k, _)| k == "status")
            .map(|(_, v)| v.into_owned());
        let now = state.world.now();
        let mut runs: Vec<_> = state
            .world
            .runs()
            .values()
            .filter(|run| run.repo == repo.name)
            .filter(|run| status.as_deref().is_none_or(|s| run.listed_under(s, now)))
            .collect();
        runs.sort_by_key(|run| std::cmp::Reverse((run.created_at, run.id)));
        let all: Vec<_> = runs
            .into_iter()
            .map(|run| render::run(state.site(), run, &repo))
            .collect();
        Ok(Reply::counted_page(
            "workflow_runs",
            all,
            state,
            request.uri(),
        ))
    })
}

/// `GET /repos/{owner}/{repo}/actions/runs/{run}/jobs?per_page=&page=`, in creation order.
pub async fn list_jobs(
    request: GithubRequest,
    Path((owner, repo, run)): Path<(String, String, String)>,
) -> Response {
    request.respond(CallKind::ListJobs, Need::Token, |state, _| {
        let repo = find_repo(state, &owner, &repo)?;
        let run = run
            .parse::<u64>()
            .ok()
            .and_then(|id| state.world.runs().get(&id))
            .filter(|run| run.repo == repo.name)
            .ok_or_else(GhError::not_found)?;
        let all: Vec<_> = run
            .jobs
            .iter()
            .filter_map(|id| state.world.jobs().get(id))
            .map(|job| render::job(state.site(), job, run))
            .collect();
        Ok(Reply::counted_page("jobs", all, state, request.uri()))
    })
}

/// `GET /repos/{owner}/{repo}/actions/jobs/{job}`.
pub async fn get_job(
    request: GithubRequest,
    Path((owner, repo, job)): Path<(String, String, String)>,
) -> Response {
    request.respond(CallKind::GetJob, Need::Token, |state, _| {
        let repo = find_repo(state, &owner, &repo)?;
        let job = job
            .parse::<u64>()
            .ok()
            .and_then(|id| state.world.jobs().get(&id))
            .filter(|job| job.repo == repo.name)
            .ok_or_else(GhError::not_found)?;
        let run = state
            .world
            .runs()
            .get(&job.run_id)
            .ok_or_else(GhError::not_found)?;
        Ok(Reply::ok(render::job(state.site(), job, run)))
    })
}

/// The repository `owner/repo`, or GitHub's 404.
pub fn find_repo(state: &EmulatorState, owner: &str, repo: &str) -> Result<Repo, GhError> {
    if !state.is_org(owner) {
        return Err(GhError::not_found());
    }
    state
        .world
        .repo(repo)
        .cloned()
        .ok_or_else(GhError::not_found)
}
