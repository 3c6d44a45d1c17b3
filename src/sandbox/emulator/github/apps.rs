//! The App's side of GitHub: finding the installation, minting installation tokens, and the
//! repositories the installation can see.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use serde_json::{Value, json};

use super::paging::paginate;
use super::render::{self, timestamp};
use super::{Call, GhError, Need, Reply, json_body, respond};
use crate::sandbox::emulator::calls::CallKind;
use crate::sandbox::emulator::{Shared, State as EmulatorState};

/// `GET /orgs/{org}/installation` (JWT).
pub async fn org_installation(
    State(shared): State<Shared>,
    Path(org): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let call = Call {
        kind: CallKind::GetInstallation,
        need: Need::Jwt,
        method: &method,
        uri: &uri,
        headers: &headers,
    };
    respond(&shared, call, |state, _| {
        if !state.is_org(&org) {
            return Err(GhError::not_found());
        }
        Ok(Reply::ok(installation(state)))
    })
}

/// `GET /users/{owner}/installation` (JWT): the simulated owner is an organisation, so 404.
pub async fn user_installation(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let call = Call {
        kind: CallKind::GetInstallation,
        need: Need::Jwt,
        method: &method,
        uri: &uri,
        headers: &headers,
    };
    respond(&shared, call, |_, _| Err(GhError::not_found()))
}

/// `GET /repos/{owner}/{repo}/installation` (JWT).
pub async fn repo_installation(
    State(shared): State<Shared>,
    Path((owner, repo)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let call = Call {
        kind: CallKind::GetInstallation,
        need: Need::Jwt,
        method: &method,
        uri: &uri,
        headers: &headers,
    };
    respond(&shared, call, |state, _| {
        if !state.is_org(&owner) || state.world.repo(&repo).is_none() {
            return Err(GhError::not_found());
        }
        Ok(Reply::ok(installation(state)))
    })
}

fn installation(state: &EmulatorState) -> Value {
    let auth = &state.github.auth;
    render::installation(
        state.site(),
        auth.installation_id(),
        auth.app_id(),
        auth.client_id(),
        state.world.config().start,
    )
}

/// `POST /app/installations/{id}/access_tokens` (JWT) → 201 with a one-hour token.
pub async fn create_token(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let call = Call {
        kind: CallKind::CreateInstallationToken,
        need: Need::Jwt,
        method: &method,
        uri: &uri,
        headers: &headers,
    };
    respond(&shared, call, |state, _| {
        json_body(&body)?;
        if id.parse::<u64>().ok() != Some(state.github.auth.installation_id()) {
            return Err(GhError::not_found());
        }
        let now = state.world.now();
        let (token, expires_at) = state.github.auth.issue_token(now);
        Ok(Reply::created(json!({
            "token": token,
            "expires_at": timestamp(expires_at),
            "permissions": {"actions": "read", "metadata": "read", "organization_self_hosted_runners": "write"},
            "repository_selection": "all",
        })))
    })
}

/// `GET /installation/repositories` (token) → `{total_count, repositories, repository_selection}`.
pub async fn installation_repos(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let call = Call {
        kind: CallKind::ListRepos,
        need: Need::Token,
        method: &method,
        uri: &uri,
        headers: &headers,
    };
    respond(&shared, call, |state, _| {
        let all = repositories(state);
        let total = all.len();
        let page = paginate(all, state.base(), uri.path(), uri.query());
        Ok(Reply::page(
            json!({"total_count": total, "repository_selection": "all", "repositories": page.items}),
            page.link,
        ))
    })
}

/// `GET /orgs/{org}/repos` (token) → a bare array.
pub async fn org_repos(
    State(shared): State<Shared>,
    Path(org): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let call = Call {
        kind: CallKind::ListRepos,
        need: Need::Token,
        method: &method,
        uri: &uri,
        headers: &headers,
    };
    respond(&shared, call, |state, _| {
        if !state.is_org(&org) {
            return Err(GhError::not_found());
        }
        let page = paginate(repositories(state), state.base(), uri.path(), uri.query());
        Ok(Reply::page(Value::Array(page.items), page.link))
    })
}

fn repositories(state: &EmulatorState) -> Vec<Value> {
    let created = state.world.config().start;
    state
        .world
        .repos()
        .iter()
        .map(|r| render::repository(state.site(), r, created))
        .collect()
}

/// `GET /rate_limit`: the caller's quota; GitHub does not charge for it.
pub async fn rate_limit(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let call = Call {
        kind: CallKind::GetRateLimit,
        need: Need::Token,
        method: &method,
        uri: &uri,
        headers: &headers,
    };
    respond(&shared, call, |state, who| {
        let now = state.world.now();
        let quota = state.github.rate.quota(who, now);
        let core = json!({"limit": quota.limit, "remaining": quota.remaining, "used": quota.used, "reset": quota.reset, "resource": "core"});
        Ok(Reply::ok(
            json!({"resources": {"core": core}, "rate": core}),
        ))
    })
}
