//! Self-hosted runners: listing, JIT registration, registration tokens and deletion. Each
//! handler serves the organisation's routes (`/orgs/{org}/actions/runners/...`) and a single
//! repository's (`/repos/{owner}/{repo}/actions/runners/...`) alike; the [`ScopePath`] tells
//! them apart.

use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use rand::RngExt;
use rand::distr::Alphanumeric;
use serde::Deserialize;
use serde_json::{Value, json};

use super::render::{self, timestamp};
use super::{GhError, GithubRequest, Need, Reply, ScopePath, json_body};
use crate::sandbox::emulator::State as EmulatorState;
use crate::sandbox::emulator::calls::CallKind;
use crate::sandbox::world::model::Scope;
use crate::sandbox::world::{DEFAULT_GROUP_ID, DeleteRunnerError, JitError};

/// The `{id}` of `.../actions/runners/{id}`, as written (anything but a number is a 404).
#[derive(Deserialize)]
pub struct RunnerId {
    id: String,
}

/// `GET .../actions/runners`: the runners registered in that scope.
pub async fn list(request: GithubRequest, scope: ScopePath) -> Response {
    request.respond(CallKind::ListRunners, Need::Token, |state, _| {
        let scope = scope.resolve(state)?;
        let all: Vec<Value> = state
            .world
            .runners()
            .values()
            .filter(|r| r.scope == scope)
            .map(render::runner)
            .collect();
        Ok(Reply::counted_page("runners", all, state, request.uri()))
    })
}

/// `GET .../actions/runners/{id}`: 404 for a runner of another scope.
pub async fn get(
    request: GithubRequest,
    scope: ScopePath,
    Path(RunnerId { id }): Path<RunnerId>,
) -> Response {
    request.respond(CallKind::GetRunner, Need::Token, |state, _| {
        let scope = scope.resolve(state)?;
        id.parse::<u64>()
            .ok()
            .and_then(|id| state.world.runners().get(&id))
            .filter(|r| r.scope == scope)
            .map(|r| Reply::ok(render::runner(r)))
            .ok_or_else(GhError::not_found)
    })
}

/// `DELETE .../actions/runners/{id}` → 204; 422 while it runs a job; 404 unknown.
pub async fn delete(
    request: GithubRequest,
    scope: ScopePath,
    Path(RunnerId { id }): Path<RunnerId>,
) -> Response {
    request.respond(CallKind::DeleteRunner, Need::Token, |state, _| {
        let scope = scope.resolve(state)?;
        let id = id.parse::<u64>().map_err(|_| GhError::not_found())?;
        match state.world.delete_runner(id, &scope) {
            Ok(()) => Ok(Reply::no_content()),
            Err(DeleteRunnerError::NotFound) => Err(GhError::not_found()),
            Err(busy @ DeleteRunnerError::Busy(_)) => Err(GhError::unprocessable(busy.to_string())),
        }
    })
}

/// `POST .../actions/runners/generate-jitconfig` → 201 `{runner, encoded_jit_config}`.
pub async fn jit(request: GithubRequest, scope: ScopePath, body: Bytes) -> Response {
    request.respond(CallKind::CreateJitConfig, Need::Token, |state, _| {
        let scope = scope.resolve(state)?;
        register_jit(state, scope, &body)
    })
}

/// Body `{name, runner_group_id, labels, work_folder}`: `name`, `runner_group_id` and 1 to 100
/// `labels` are required (422 otherwise); a taken name is 409; an unknown group 404.
fn register_jit(state: &mut EmulatorState, scope: Scope, body: &[u8]) -> Result<Reply, GhError> {
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

/// `POST .../actions/runners/registration-token` → 201 `{token, expires_at}`.
pub async fn registration_token(request: GithubRequest, scope: ScopePath) -> Response {
    request.respond(
        CallKind::CreateRegistrationToken,
        Need::Token,
        |state, _| {
            scope.resolve(state)?;
            Ok(issue_registration_token(state))
        },
    )
}

/// A registration token valid for an hour. The world's runners register only with JIT configs,
/// so nothing ever redeems it: a scaler using `RUNNER_REGISTRATION=token` gets no runners here.
fn issue_registration_token(state: &EmulatorState) -> Reply {
    let token: String = rand::rng()
        .sample_iter(Alphanumeric)
        .take(29)
        .map(|b| char::from(b).to_ascii_uppercase())
        .collect();
    let expires_at = state.world.now() + chrono::Duration::hours(1);
    Reply::created(json!({"token": token, "expires_at": timestamp(expires_at)}))
}
