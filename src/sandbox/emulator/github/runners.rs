//! Self-hosted runners: listing, JIT registration, registration tokens and deletion, for the
//! organisation and for single repositories.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use rand::RngExt;
use rand::distr::Alphanumeric;
use serde_json::{Value, json};

use super::actions::find_repo;
use super::paging::paginate;
use super::render::{self, timestamp};
use super::{Call, GhError, Need, Reply, json_body, respond};
use crate::sandbox::emulator::calls::CallKind;
use crate::sandbox::emulator::{Shared, State as EmulatorState};
use crate::sandbox::world::model::Scope;
use crate::sandbox::world::{DEFAULT_GROUP_ID, DeleteRunnerError, JitError};

/// The scope named by an org path.
fn org_scope(state: &EmulatorState, org: &str) -> Result<Scope, GhError> {
    if state.is_org(org) {
        Ok(Scope::Org)
    } else {
        Err(GhError::not_found())
    }
}

/// The scope named by a repo path.
fn repo_scope(state: &EmulatorState, owner: &str, repo: &str) -> Result<Scope, GhError> {
    find_repo(state, owner, repo).map(|r| Scope::Repo(r.name))
}

macro_rules! call {
    ($kind:expr, $method:expr, $uri:expr, $headers:expr) => {
        Call {
            kind: $kind,
            need: Need::Token,
            method: &$method,
            uri: &$uri,
            headers: &$headers,
        }
    };
}

/// `GET /orgs/{org}/actions/runners`.
pub async fn list_org(
    State(shared): State<Shared>,
    Path(org): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    respond(
        &shared,
        call!(CallKind::ListRunners, method, uri, headers),
        |state, _| {
            let scope = org_scope(state, &org)?;
            Ok(list(state, &scope, &uri))
        },
    )
}

/// `GET /repos/{owner}/{repo}/actions/runners`: runners registered on that repository.
pub async fn list_repo(
    State(shared): State<Shared>,
    Path((owner, repo)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    respond(
        &shared,
        call!(CallKind::ListRunners, method, uri, headers),
        |state, _| {
            let scope = repo_scope(state, &owner, &repo)?;
            Ok(list(state, &scope, &uri))
        },
    )
}

fn list(state: &EmulatorState, scope: &Scope, uri: &Uri) -> Reply {
    let all: Vec<Value> = state
        .world
        .runners()
        .values()
        .filter(|r| &r.scope == scope)
        .map(render::runner)
        .collect();
    let total = all.len();
    let page = paginate(all, state.base(), uri.path(), uri.query());
    Reply::page(
        json!({"total_count": total, "runners": page.items}),
        page.link,
    )
}

/// `GET /orgs/{org}/actions/runners/{id}`.
pub async fn get_org(
    State(shared): State<Shared>,
    Path((org, id)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    respond(
        &shared,
        call!(CallKind::GetRunner, method, uri, headers),
        |state, _| {
            let scope = org_scope(state, &org)?;
            get(state, &scope, &id)
        },
    )
}

/// `GET /repos/{owner}/{repo}/actions/runners/{id}`.
pub async fn get_repo(
    State(shared): State<Shared>,
    Path((owner, repo, id)): Path<(String, String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    respond(
        &shared,
        call!(CallKind::GetRunner, method, uri, headers),
        |state, _| {
            let scope = repo_scope(state, &owner, &repo)?;
            get(state, &scope, &id)
        },
    )
}

fn get(state: &EmulatorState, scope: &Scope, id: &str) -> Result<Reply, GhError> {
    id.parse::<u64>()
        .ok()
        .and_then(|id| state.world.runners().get(&id))
        .filter(|r| &r.scope == scope)
        .map(|r| Reply::ok(render::runner(r)))
        .ok_or_else(GhError::not_found)
}

/// `DELETE /orgs/{org}/actions/runners/{id}` → 204; 422 while it runs a job; 404 unknown.
pub async fn delete_org(
    State(shared): State<Shared>,
    Path((org, id)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    respond(
        &shared,
        call!(CallKind::DeleteRunner, method, uri, headers),
        |state, _| {
            let scope = org_scope(state, &org)?;
            delete(state, &scope, &id)
        },
    )
}

/// `DELETE /repos/{owner}/{repo}/actions/runners/{id}`.
pub async fn delete_repo(
    State(shared): State<Shared>,
    Path((owner, repo, id)): Path<(String, String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    respond(
        &shared,
        call!(CallKind::DeleteRunner, method, uri, headers),
        |state, _| {
            let scope = repo_scope(state, &owner, &repo)?;
            delete(state, &scope, &id)
        },
    )
}

fn delete(state: &mut EmulatorState, scope: &Scope, id: &str) -> Result<Reply, GhError> {
    let id = id.parse::<u64>().map_err(|_| GhError::not_found())?;
    match state.world.delete_runner(id, scope) {
        Ok(()) => Ok(Reply::no_content()),
        Err(DeleteRunnerError::NotFound) => Err(GhError::not_found()),
        Err(busy @ DeleteRunnerError::Busy(_)) => Err(GhError::unprocessable(busy.to_string())),
    }
}

/// `POST /orgs/{org}/actions/runners/generate-jitconfig`.
pub async fn jit_org(
    State(shared): State<Shared>,
    Path(org): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    respond(
        &shared,
        call!(CallKind::CreateJitConfig, method, uri, headers),
        |state, _| {
            let scope = org_scope(state, &org)?;
            jit(state, scope, &body)
        },
    )
}

/// `POST /repos/{owner}/{repo}/actions/runners/generate-jitconfig`.
pub async fn jit_repo(
    State(shared): State<Shared>,
    Path((owner, repo)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    respond(
        &shared,
        call!(CallKind::CreateJitConfig, method, uri, headers),
        |state, _| {
            let scope = repo_scope(state, &owner, &repo)?;
            jit(state, scope, &body)
        },
    )
}

/// Body `{name, runner_group_id, labels, work_folder}`: `name`, `runner_group_id` and 1 to 100
/// `labels` are required (422 otherwise); a taken name is 409; an unknown group 404.
fn jit(state: &mut EmulatorState, scope: Scope, body: &[u8]) -> Result<Reply, GhError> {
    let body = json_body(body)?;
    let name = match body.get("name") {
        Some(Value::String(name)) if !name.trim().is_empty() => name.trim().to_owned(),
        Some(_) => {
            return Err(GhError::unprocessable(
                "Invalid request.\n\nFor 'properties/name', it is not a non-empty string.",
            ));
        }
        None => {
            return Err(GhError::unprocessable(
                "Invalid request.\n\nobject is missing required key: name",
            ));
        }
    };
    let group = match body.get("runner_group_id") {
        Some(Value::Number(n)) => n.as_u64(),
        Some(_) => {
            return Err(GhError::unprocessable(
                "Invalid request.\n\nFor 'properties/runner_group_id', it is not an integer.",
            ));
        }
        None => {
            return Err(GhError::unprocessable(
                "Invalid request.\n\nobject is missing required key: runner_group_id",
            ));
        }
    };
    if group != Some(DEFAULT_GROUP_ID) {
        return Err(GhError::not_found());
    }
    let labels: Vec<String> = match body.get("labels").and_then(Value::as_array) {
        Some(list)
            if list
                .iter()
                .all(|l| l.as_str().is_some_and(|s| !s.trim().is_empty())) =>
        {
            list.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        }
        Some(_) => {
            return Err(GhError::unprocessable(
                "Invalid request.\n\nFor 'items', it is not a non-empty string.",
            ));
        }
        None => {
            return Err(GhError::unprocessable(
                "Invalid request.\n\nobject is missing required key: labels",
            ));
        }
    };
    if labels.is_empty() || labels.len() > 100 {
        return Err(GhError::unprocessable(format!(
            "Invalid request.\n\nlabels must hold 1 to 100 items, got {}.",
            labels.len()
        )));
    }
    match state
        .world
        .register_jit_runner(&name, &labels, DEFAULT_GROUP_ID, scope)
    {
        Ok((runner, encoded)) => Ok(Reply::created(json!({
            "runner": render::jit_runner(&runner),
            "encoded_jit_config": encoded,
        }))),
        Err(taken @ JitError::NameTaken(_)) => {
            Err(GhError::new(StatusCode::CONFLICT, taken.to_string()))
        }
    }
}

/// `POST /orgs/{org}/actions/runners/registration-token` → 201 `{token, expires_at}`.
pub async fn registration_token_org(
    State(shared): State<Shared>,
    Path(org): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    respond(
        &shared,
        call!(CallKind::CreateRegistrationToken, method, uri, headers),
        |state, _| {
            org_scope(state, &org)?;
            Ok(registration_token(state))
        },
    )
}

/// `POST /repos/{owner}/{repo}/actions/runners/registration-token`.
pub async fn registration_token_repo(
    State(shared): State<Shared>,
    Path((owner, repo)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    respond(
        &shared,
        call!(CallKind::CreateRegistrationToken, method, uri, headers),
        |state, _| {
            repo_scope(state, &owner, &repo)?;
            Ok(registration_token(state))
        },
    )
}

/// A registration token valid for an hour. The world's runners register only with JIT configs,
/// so nothing ever redeems it: a scaler using `RUNNER_REGISTRATION=token` gets no runners here.
fn registration_token(state: &EmulatorState) -> Reply {
    let token: String = rand::rng()
        .sample_iter(Alphanumeric)
        .take(29)
        .map(|b| char::from(b).to_ascii_uppercase())
        .collect();
    let expires_at = state.world.now() + chrono::Duration::hours(1);
    Reply::created(json!({"token": token, "expires_at": timestamp(expires_at)}))
}
