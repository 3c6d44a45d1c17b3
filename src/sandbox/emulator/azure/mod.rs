//! The Azure half of the emulator: the App Service managed identity endpoint and the
//! Container Apps job endpoints of Azure Resource Manager (API version 2025-07-01).
//!
//! Every ARM call goes through [`respond`]: it counts the call, fires an injected fault (429
//! with `Retry-After`, outages), requires `api-version`, and accepts only an unexpired bearer
//! token that the identity endpoint issued. Errors use ARM's `{"error": {"code", "message"}}`.

mod identity;
mod jobs;
pub mod render;
mod request;

use std::collections::BTreeMap;

use axum::Router;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};
use url::form_urlencoded;

use super::calls::CallKind;
use super::{Shared, State};

/// API versions of `Microsoft.App/jobs` the emulator accepts (stable ones and the preview).
pub const API_VERSIONS: &[&str] = &[
    "2023-05-01",
    "2024-03-01",
    "2025-01-01",
    "2025-07-01",
    "2025-10-02-preview",
];

/// The ARM routes and the identity endpoint.
pub fn routes() -> Router<Shared> {
    const JOB: &str = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.App/jobs/{job}";
    Router::new()
        .route(identity::PATH, get(identity::token))
        .route(JOB, get(jobs::get_job))
        .route(&format!("{JOB}/executions"), get(jobs::list_executions))
        .route(
            &format!("{JOB}/executions/{{name}}"),
            get(jobs::get_execution),
        )
        .route(&format!("{JOB}/start"), post(jobs::start))
        .route(&format!("{JOB}/executions/{{name}}/stop"), post(jobs::stop))
}

/// The Azure side's own state: where the job lives and the tokens issued. `Debug` leaves the
/// identity secret and the tokens out.
pub struct AzureState {
    /// Subscription of the job.
    pub subscription_id: String,
    /// Resource group of the job.
    pub resource_group: String,
    /// The identity endpoint's shared secret (`IDENTITY_HEADER`).
    identity_header: String,
    /// How long an ARM token lives.
    token_lifetime: Duration,
    /// Issued ARM tokens and their expiry.
    tokens: BTreeMap<String, DateTime<Utc>>,
    /// Executions per page of the list (ARM pages with `nextLink`).
    pub page_size: usize,
}

impl std::fmt::Debug for AzureState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AzureState")
            .field("subscription_id", &self.subscription_id)
            .field("resource_group", &self.resource_group)
            .field("tokens", &self.tokens.len())
            .field("page_size", &self.page_size)
            .finish_non_exhaustive()
    }
}

impl AzureState {
    /// The Azure side of a sandbox.
    pub fn new(
        subscription_id: &str,
        resource_group: &str,
        identity_header: &str,
        token_lifetime: Duration,
        page_size: usize,
    ) -> Self {
        Self {
            subscription_id: subscription_id.to_owned(),
            resource_group: resource_group.to_owned(),
            identity_header: identity_header.to_owned(),
            token_lifetime,
            tokens: BTreeMap::new(),
            page_size: page_size.max(1),
        }
    }

    /// How many ARM tokens were issued.
    pub fn tokens_issued(&self) -> usize {
        self.tokens.len()
    }
}

/// An ARM error: `{"error": {"code", "message"}}`.
#[derive(Debug)]
pub struct ArmError {
    status: StatusCode,
    code: &'static str,
    message: String,
    /// `Retry-After` seconds (throttling).
    retry_after: Option<u64>,
}

impl ArmError {
    /// An error with ARM's `code`.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    fn into_response(self) -> Response {
        let body = json!({"error": {"code": self.code, "message": self.message}});
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

/// What an ARM handler answers.
#[derive(Debug)]
pub struct ArmReply {
    status: StatusCode,
    body: Option<Value>,
}

impl ArmReply {
    /// 200 with `body`.
    pub fn ok(body: Value) -> Self {
        Self {
            status: StatusCode::OK,
            body: Some(body),
        }
    }

    /// 200 with no body (stop).
    pub fn empty() -> Self {
        Self {
            status: StatusCode::OK,
            body: None,
        }
    }
}

/// Runs `handle` inside the ARM pipeline.
pub fn respond(
    shared: &Shared,
    kind: CallKind,
    uri: &Uri,
    headers: &HeaderMap,
    handle: impl FnOnce(&mut State) -> Result<ArmReply, ArmError>,
) -> Response {
    let mut guard = super::lock(shared);
    let state = &mut *guard;
    let response = match pipeline(state, kind, uri, headers, handle) {
        Ok(reply) => match reply.body {
            Some(body) => (reply.status, axum::Json(body)).into_response(),
            None => reply.status.into_response(),
        },
        Err(e) => e.into_response(),
    };
    state.calls.record(kind, response.status().as_u16());
    response
}

fn pipeline(
    state: &mut State,
    kind: CallKind,
    uri: &Uri,
    headers: &HeaderMap,
    handle: impl FnOnce(&mut State) -> Result<ArmReply, ArmError>,
) -> Result<ArmReply, ArmError> {
    if let Some((status, retry_after)) = state.faults.fire(kind) {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        let code = if status == StatusCode::TOO_MANY_REQUESTS {
            "TooManyRequests"
        } else {
            "ServiceUnavailable"
        };
        let message = "The request was throttled or failed by an injected fault; retry after the given interval.";
        let mut error = ArmError::new(status, code, message);
        error.retry_after = retry_after;
        return Err(error);
    }
    match query_value(uri, "api-version") {
        None => {
            return Err(ArmError::new(
                StatusCode::BAD_REQUEST,
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            ));
        }
        Some(v) if !API_VERSIONS.contains(&v.as_str()) => {
            return Err(ArmError::new(
                StatusCode::BAD_REQUEST,
                "InvalidApiVersionParameter",
                format!(
                    "The api-version '{v}' is invalid. The supported versions are '{}'.",
                    API_VERSIONS.join(",")
                ),
            ));
        }
        Some(_) => {}
    }
    authenticate(state, headers)?;
    handle(state)
}

fn authenticate(state: &State, headers: &HeaderMap) -> Result<(), ArmError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| {
            ArmError::new(
                StatusCode::UNAUTHORIZED,
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is missing.",
            )
        })?;
    let now = state.world.now();
    match state.azure.tokens.get(token.trim()) {
        Some(expires) if *expires > now => Ok(()),
        Some(_) => Err(ArmError::new(
            StatusCode::UNAUTHORIZED,
            "ExpiredAuthenticationToken",
            "The access token expiry UTC time is earlier than current UTC time.",
        )),
        None => Err(ArmError::new(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            "The access token is invalid.",
        )),
    }
}

/// The first value of query parameter `name`.
pub fn query_value(uri: &Uri, name: &str) -> Option<String> {
    form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}
