//! The App's side of GitHub: finding the installation, minting installation tokens, and the
//! repositories the installation can see.

use axum::body::Bytes;
use axum::extract::Path;
use axum::response::Response;
use serde_json::{Value, json};

use super::paging::paginate;
use super::render::{self, timestamp};
use super::{GhError, GithubRequest, Need, Reply, ScopePath, json_body};
use crate::sandbox::emulator::State as EmulatorState;
use crate::sandbox::emulator::calls::CallKind;

/// `GET /orgs/{org}/installation` and `GET /repos/{owner}/{repo}/installation` (JWT): the one
/// installation, on the organisation, which sees all its repositories.
pub async fn installation(request: GithubRequest, scope: ScopePath) -> Response {
    request.respond(CallKind::GetInstallation, Need::Jwt, |state, _| {
        scope.resolve(state)?;
        let auth = &state.github.auth;
        Ok(Reply::ok(render::installation(
            state.site(),
            auth.installation_id(),
            auth.app_id(),
            auth.client_id(),
            state.world.config().start,
        )))
    })
}

/// `GET /users/{owner}/installation` (JWT): the simulated owner is an organisation, so 404.
pub async fn user_installation(request: GithubRequest) -> Response {
    request.respond(CallKind::GetInstallation, Need::Jwt, |_, _| {
        Err(GhError::not_found())
    })
}

/// `POST /app/installations/{id}/access_tokens` (JWT) → 201 with a one-hour token.
pub async fn create_token(request: GithubRequest, Path(id): Path<String>, body: Bytes) -> Response {
    request.respond(CallKind::CreateInstallationToken, Need::Jwt, |state, _| {
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
pub async fn installation_repos(request: GithubRequest) -> Response {
    request.respond(CallKind::ListRepos, Need::Token, |state, _| {
        let uri = request.uri();
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
pub async fn org_repos(request: GithubRequest, Path(org): Path<String>) -> Response {
    request.respond(CallKind::ListRepos, Need::Token, |state, _| {
        if !state.is_org(&org) {
            return Err(GhError::not_found());
        }
        let uri = request.uri();
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
pub async fn rate_limit(request: GithubRequest) -> Response {
    request.respond(CallKind::GetRateLimit, Need::Token, |state, who| {
        let now = state.world.now();
        let quota = state.github.rate.quota(who, now);
        let core = json!({"limit": quota.limit, "remaining": quota.remaining, "used": quota.used, "reset": quota.reset, "resource": "core"});
        Ok(Reply::ok(
            json!({"resources": {"core": core}, "rate": core}),
        ))
    })
}
