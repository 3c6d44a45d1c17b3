//! The GitHub half of the emulator: the REST endpoints a runner scaler uses, behind one
//! pipeline that does what GitHub does around every call.
//!
//! The pipeline ([`GithubRequest::respond`]) counts the call, fires an injected fault, refuses
//! a request without `User-Agent` (403) or credentials (401), authenticates the App JWT or
//! installation token against the virtual clock, enforces the hourly rate limit (403 with
//! `remaining: 0`), answers a matching `If-None-Match` with 304 without spending quota, and
//! sets the `x-ratelimit-*` headers (on every answer; before authentication, those of the
//! unauthenticated limit), `ETag` and `Link`.

mod actions;
mod apps;
pub mod auth;
pub mod paging;
pub mod rate;
pub mod render;
mod request;
mod runners;

pub use request::{GithubRequest, ScopePath};

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::calls::CallKind;
use super::{Shared, State};
use crate::sandbox::fingerprint::fnv1a;
use auth::{Principal, credential, looks_like_jwt};
use paging::paginate;
use rate::Quota;

/// Every GitHub route the emulator serves. The runner endpoints and the installation lookup
/// exist for the organisation and for one repository; one handler serves both shapes.
pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/orgs/{org}/installation", get(apps::installation))
        .route("/users/{owner}/installation", get(apps::user_installation))
        .route(
            "/repos/{owner}/{repo}/installation",
            get(apps::installation),
        )
        .route(
            "/app/installations/{id}/access_tokens",
            post(apps::create_token),
        )
        .route("/installation/repositories", get(apps::installation_repos))
        .route("/orgs/{org}/repos", get(apps::org_repos))
        .route("/rate_limit", get(apps::rate_limit))
        .route(
            "/repos/{owner}/{repo}/actions/runs",
            get(actions::list_runs),
        )
        .route(
            "/repos/{owner}/{repo}/actions/runs/{run}/jobs",
            get(actions::list_jobs),
        )
        .route(
            "/repos/{owner}/{repo}/actions/jobs/{job}",
            get(actions::get_job),
        )
        .merge(runner_routes("/orgs/{org}"))
        .merge(runner_routes("/repos/{owner}/{repo}"))
}

/// The runner endpoints below `owner` (`/orgs/{org}` or `/repos/{owner}/{repo}`).
fn runner_routes(owner: &str) -> Router<Shared> {
    let runners = format!("{owner}/actions/runners");
    Router::new()
        .route(&runners, get(runners::list))
        .route(
            &format!("{runners}/{{id}}"),
            get(runners::get).delete(runners::delete),
        )
        .route(&format!("{runners}/generate-jitconfig"), post(runners::jit))
        .route(
            &format!("{runners}/registration-token"),
            post(runners::registration_token),
        )
}

/// Which credential an endpoint takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// The App's JWT (installation lookup, token creation).
    Jwt,
    /// An installation token.
    Token,
    /// Anything, even nothing (`/rate_limit`, unknown paths).
    Nothing,
}

/// The parts of a request the pipeline looks at.
struct Call<'a> {
    /// Endpoint kind, for counting and faults.
    kind: CallKind,
    /// Credential the endpoint takes.
    need: Need,
    /// Request method (only GETs get ETags).
    method: &'a Method,
    /// Request headers.
    headers: &'a HeaderMap,
}

/// What a handler answers; the pipeline adds the headers.
#[derive(Debug)]
pub struct Reply {
    status: StatusCode,
    body: Option<Value>,
    link: Option<String>,
}

impl Reply {
    /// 200 with `body`.
    pub fn ok(body: Value) -> Self {
        Self::with_status(StatusCode::OK, body)
    }

    /// 201 with `body`.
    pub fn created(body: Value) -> Self {
        Self::with_status(StatusCode::CREATED, body)
    }

    /// `status` with `body`.
    pub fn with_status(status: StatusCode, body: Value) -> Self {
        Self {
            status,
            body: Some(body),
            link: None,
        }
    }

    /// 204, no body.
    pub fn no_content() -> Self {
        Self {
            status: StatusCode::NO_CONTENT,
            body: None,
            link: None,
        }
    }

    /// 200 with one page of a list and its `Link` header.
    pub fn page(body: Value, link: Option<String>) -> Self {
        Self {
            status: StatusCode::OK,
            body: Some(body),
            link,
        }
    }

    /// 200 with the page of `all` that `uri` asks for, in GitHub's usual wrapping
    /// `{"total_count": <all of them>, "<key>": [<this page>]}`, and its `Link` header.
    pub fn counted_page(key: &str, all: Vec<Value>, state: &State, uri: &Uri) -> Self {
        let total = all.len();
        let page = paginate(all, state.base(), uri.path(), uri.query());
        let mut body = json!({ "total_count": total });
        body[key] = Value::Array(page.items);
        Self::page(body, page.link)
    }
}

/// A GitHub error answer: `{"message", "documentation_url", "status"}`.
#[derive(Debug)]
pub struct GhError {
    status: StatusCode,
    message: String,
}

impl GhError {
    /// An error with `status` and `message`.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    /// 404 `Not Found`, GitHub's answer for anything missing or not visible.
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "Not Found")
    }

    /// 422 with `message`.
    pub fn unprocessable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, message)
    }
}

/// Runs `handle` inside the GitHub pipeline and builds the response.
fn respond(
    shared: &Shared,
    call: Call,
    handle: impl FnOnce(&mut State, Principal) -> Result<Reply, GhError>,
) -> Response {
    let mut guard = super::lock(shared);
    let state = &mut *guard;
    let now = state.world.now();
    let response = pipeline(state, &call, now, handle);
    state.calls.record(call.kind, response.status().as_u16());
    response
}

fn pipeline(
    state: &mut State,
    call: &Call,
    now: DateTime<Utc>,
    handle: impl FnOnce(&mut State, Principal) -> Result<Reply, GhError>,
) -> Response {
    // Answers before authentication carry the unauthenticated quota, unspent.
    let anonymous = state.github.rate.quota(Principal::Anonymous, now);
    let refuse = |e: GhError| {
        let mut response = error(&e);
        rate_headers(&mut response, anonymous);
        response
    };
    if let Some((status, retry_after)) = state.faults.fire(call.kind) {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        let mut response = refuse(GhError::new(status, "Injected fault: service unavailable"));
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, seconds.into());
        }
        return response;
    }
    if !call.headers.contains_key(header::USER_AGENT) {
        return refuse(GhError::new(
            StatusCode::FORBIDDEN,
            "Request forbidden by administrative rules. Please make sure your request has a User-Agent header",
        ));
    }
    let who = match authenticate(state, call, now) {
        Ok(who) => who,
        Err(e) => return refuse(e),
    };

    let quota = state.github.rate.quota(who, now);
    if quota.remaining == 0 {
        let message = match who {
            Principal::Installation(id) => {
                format!("API rate limit exceeded for installation ID {id}.")
            }
            Principal::App => "API rate limit exceeded for the App.".to_owned(),
            Principal::Anonymous => "API rate limit exceeded for this address.".to_owned(),
        };
        let mut response = error(&GhError::new(StatusCode::FORBIDDEN, message));
        rate_headers(&mut response, quota);
        return response;
    }

    let reply = match handle(state, who) {
        Ok(reply) => reply,
        Err(e) => {
            let mut response = error(&e);
            rate_headers(&mut response, state.github.rate.spend(who, now));
            return response;
        }
    };
    let body = reply
        .body
        .map(|b| serde_json::to_vec(&b).unwrap_or_default());
    let etag = (call.method == Method::GET && reply.status == StatusCode::OK).then(|| {
        entity_tag(
            body.as_deref().unwrap_or_default(),
            reply.link.as_deref(),
            who,
        )
    });

    if let Some(etag) = etag
        .as_deref()
        .filter(|tag| matches_if_none_match(call.headers, tag))
    {
        // A 304 costs no quota (GitHub: only when the request is authorized, which it is here).
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        set(&mut response, header::ETAG, etag);
        rate_headers(&mut response, quota);
        return response;
    }

    // `GET /rate_limit` is free (GitHub: it does not count against the primary limit).
    let quota = if call.kind == CallKind::GetRateLimit {
        quota
    } else {
        state.github.rate.spend(who, now)
    };
    let mut response = match body {
        Some(bytes) => (
            reply.status,
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            bytes,
        )
            .into_response(),
        None => reply.status.into_response(),
    };
    rate_headers(&mut response, quota);
    if let Some(etag) = etag {
        set(&mut response, header::ETAG, &etag);
    }
    if let Some(link) = reply.link {
        set(&mut response, header::LINK, &link);
    }
    response
}

fn authenticate(state: &State, call: &Call, now: DateTime<Utc>) -> Result<Principal, GhError> {
    let unauthorized = |message: &str| GhError::new(StatusCode::UNAUTHORIZED, message);
    let Some(credential) = credential(call.headers) else {
        return match call.need {
            Need::Nothing => Ok(Principal::Anonymous),
            _ => Err(unauthorized("Requires authentication")),
        };
    };
    if looks_like_jwt(credential) {
        return match call.need {
            Need::Jwt | Need::Nothing => {
                state
                    .github
                    .auth
                    .verify_jwt(credential, now)
                    .map_err(unauthorized)?;
                Ok(Principal::App)
            }
            Need::Token => Err(GhError::new(
                StatusCode::FORBIDDEN,
                "A JSON web token cannot be used here; use an installation access token",
            )),
        };
    }
    match (
        call.need,
        state.github.auth.installation_of(credential, now),
    ) {
        (Need::Jwt, _) => Err(unauthorized("A JSON web token could not be decoded")),
        (_, Some(installation)) => Ok(Principal::Installation(installation)),
        (_, None) => Err(unauthorized("Bad credentials")),
    }
}

/// A strong ETag over the body, the page links and who asked (GitHub's vary with the caller).
fn entity_tag(body: &[u8], link: Option<&str>, who: Principal) -> String {
    let mut salted = body.to_vec();
    salted.extend_from_slice(link.unwrap_or_default().as_bytes());
    salted.extend_from_slice(format!("{who:?}").as_bytes());
    format!("\"{:016x}{:016x}\"", fnv1a(body), fnv1a(&salted))
}

/// `If-None-Match` uses the weak comparison (RFC 9110 §13.1.2): `W/` prefixes are ignored.
fn matches_if_none_match(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == etag || tag == "*")
}

fn rate_headers(response: &mut Response, quota: Quota) {
    let headers = response.headers_mut();
    headers.insert("x-ratelimit-limit", quota.limit.into());
    headers.insert("x-ratelimit-remaining", quota.remaining.into());
    headers.insert("x-ratelimit-used", quota.used.into());
    headers.insert("x-ratelimit-reset", quota.reset.into());
    headers.insert("x-ratelimit-resource", HeaderValue::from_static("core"));
}

fn set(response: &mut Response, name: header::HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, value);
    }
}

/// A GitHub-style error response.
pub fn error(e: &GhError) -> Response {
    let body = json!({
        "message": e.message,
        "documentation_url": "https://docs.github.com/rest",
        "status": e.status.as_u16().to_string(),
    });
    (e.status, axum::Json(body)).into_response()
}

/// Parses a JSON request body; GitHub answers 400 `Problems parsing JSON` otherwise.
pub fn json_body(body: &[u8]) -> Result<Value, GhError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Default::default()));
    }
    serde_json::from_slice(body)
        .map_err(|_| GhError::new(StatusCode::BAD_REQUEST, "Problems parsing JSON"))
}
