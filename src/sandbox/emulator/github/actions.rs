//! Workflow runs and jobs: what a scaler reads to find demand.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use serde_json::json;
use url::form_urlencoded;

use super::paging::paginate;
use super::render;
use super::{Call, GhError, Need, Reply, respond};
use crate::sandbox::emulator::calls::CallKind;
use crate::sandbox::emulator::{Shared, State as EmulatorState};
use crate::sandbox::world::model::Repo;

/// `GET /repos/{owner}/{repo}/actions/runs?status=&per_page=&page=`, newest first.
///
/// `status` takes a status (`queued`, `in_progress`, `waiting`, `completed`, ...) or a
/// conclusion (`success`, `failure`, ...). Run listings lag: a run that just changed status is
/// still listed under the old one for a moment (see `World::LISTING_LAG`), as on GitHub.
pub async fn list_runs(
    State(shared): State<Shared>,
    Path((owner, repo)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let call = Call {
        kind: CallKind::ListRuns,
        need: Need::Token,
        method: &method,
        uri: &uri,
        headers: &headers,
    };
    respond(&shared, call, |state, _| {
        let repo = find_repo(state, &owner, &repo)?;
        let status = form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
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
        let total = all.len();
        let page = paginate(all, state.base(), uri.path(), uri.query());
        Ok(Reply::page(
            json!({"total_count": total, "workflow_runs": page.items}),
            page.link,
        ))
    })
}

/// `GET /repos/{owner}/{repo}/actions/runs/{run}/jobs?per_page=&page=`, in creation order.
pub async fn list_jobs(
    State(shared): State<Shared>,
    Path((owner, repo, run)): Path<(String, String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let call = Call {
        kind: CallKind::ListJobs,
        need: Need::Token,
        method: &method,
        uri: &uri,
        headers: &headers,
    };
    respond(&shared, call, |state, _| {
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
        let total = all.len();
        let page = paginate(all, state.base(), uri.path(), uri.query());
        Ok(Reply::page(
            json!({"total_count": total, "jobs": page.items}),
            page.link,
        ))
    })
}

/// `GET /repos/{owner}/{repo}/actions/jobs/{job}`.
pub async fn get_job(
    State(shared): State<Shared>,
    Path((owner, repo, job)): Path<(String, String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let call = Call {
        kind: CallKind::GetJob,
        need: Need::Token,
        method: &method,
        uri: &uri,
        headers: &headers,
    };
    respond(&shared, call, |state, _| {
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
