//! What a GitHub handler takes from its request: the parts the pipeline reads, and the owner of
//! the runners (or the installation) a path names.

use std::convert::Infallible;

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::actions::find_repo;
use super::auth::Principal;
use super::{Call, GhError, Need, Reply, respond};
use crate::sandbox::emulator::calls::CallKind;
use crate::sandbox::emulator::{Shared, State};
use crate::sandbox::world::model::Scope;

/// One request to the emulated GitHub, as [`GithubRequest::respond`] runs it through the
/// pipeline: the shared state, the method (only GETs get ETags), the URI (for `Link` and the
/// handlers' paging) and the headers (credentials, `If-None-Match`).
pub struct GithubRequest {
    shared: Shared,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
}

impl FromRequestParts<Shared> for GithubRequest {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, shared: &Shared) -> Result<Self, Infallible> {
        Ok(Self {
            shared: shared.clone(),
            method: parts.method.clone(),
            uri: parts.uri.clone(),
            headers: parts.headers.clone(),
        })
    }
}

impl GithubRequest {
    /// The request URI.
    pub fn uri(&self) -> &Uri {
        &self.uri
    }

    /// Runs `handle` inside the pipeline as a `kind` call that takes `need`.
    pub fn respond(
        &self,
        kind: CallKind,
        need: Need,
        handle: impl FnOnce(&mut State, Principal) -> Result<Reply, GhError>,
    ) -> Response {
        let call = Call {
            kind,
            need,
            method: &self.method,
            headers: &self.headers,
        };
        respond(&self.shared, call, handle)
    }
}

/// The owner a path names, as written: `/orgs/{org}/...` the organisation,
/// `/repos/{owner}/{repo}/...` one of its repositories. One handler serves both route shapes.
///
/// The extractor only reads the path. [`ScopePath::resolve`] checks the names against the world
/// inside the pipeline, so that, as on GitHub, a request without credentials gets 401 before an
/// unknown owner gets 404, and that 404 is counted and spends quota.
#[derive(Debug)]
pub enum ScopePath {
    /// `/orgs/{org}/...`.
    Org(String),
    /// `/repos/{owner}/{repo}/...`.
    Repo {
        /// The repository's owner.
        owner: String,
        /// The repository's name.
        repo: String,
    },
}

/// The path parameters a [`ScopePath`] is read from; the route decides which are there.
#[derive(Deserialize)]
struct ScopeParams {
    org: Option<String>,
    owner: Option<String>,
    repo: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for ScopePath {
    /// axum's own rejection of a parameter that is not UTF-8 once decoded (400).
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        let Path(params) = Path::<ScopeParams>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        match params {
            ScopeParams { org: Some(org), .. } => Ok(Self::Org(org)),
            ScopeParams {
                owner: Some(owner),
                repo: Some(repo),
                ..
            } => Ok(Self::Repo { owner, repo }),
            // Only a route mounted on the wrong handler gets here: a bug in the emulator.
            _ => Err((
                StatusCode::INTERNAL_SERVER_ERROR,
                "the route names no runner scope",
            )
                .into_response()),
        }
    }
}

impl ScopePath {
    /// The runner scope the names stand for, or GitHub's 404 when the owner is not the
    /// simulated organisation or the repository does not exist.
    pub fn resolve(&self, state: &State) -> Result<Scope, GhError> {
        match self {
            Self::Org(org) if state.is_org(org) => Ok(Scope::Org),
            Self::Org(_) => Err(GhError::not_found()),
            Self::Repo { owner, repo } => {
                find_repo(state, owner, repo).map(|r| Scope::Repo(r.name))
            }
        }
    }
}
