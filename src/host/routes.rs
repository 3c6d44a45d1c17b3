//! The handler's routes: the host's readiness probe and one route per function folder.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::Uri;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use tracing::Instrument;

use super::protocol::{HttpResponse, HttpTriggerRequest, InvocationRequest, InvocationResponse};
use crate::reconcile::report::TickReport;
use crate::reconcile::{Scaler, TickOptions};

/// Function names: the folders beside `host.json`.
pub const TIMER_FUNCTION: &str = "reconcile-timer";
pub const HTTP_FUNCTION: &str = "reconcile";
/// Binding names in those folders' `function.json`.
pub const TIMER_BINDING: &str = "timer";
pub const HTTP_REQUEST_BINDING: &str = "req";
pub const HTTP_RESPONSE_BINDING: &str = "res";

/// The handler's router. Tests call it without a socket.
pub fn app(scaler: Arc<Scaler>) -> Router {
    Router::new()
        .route("/", any(ready))
        .route("/{function}", post(invoke).fallback(wrong_method))
        .fallback(unknown_route)
        .with_state(scaler)
}

/// A router for a handler whose settings are invalid: it answers the readiness probe, and every
/// invocation fails with the list of problems, so they show in each invocation's log.
pub fn misconfigured_app(problems: Vec<String>) -> Router {
    let problems = Arc::new(problems);
    Router::new().route("/", any(ready)).fallback(move || {
        let problems = problems.clone();
        async move {
            tracing::error!(problems = ?problems, "invocation refused: invalid settings");
            let message = format!("invalid settings: {}", problems.join("; "));
            error_reply(StatusCode::INTERNAL_SERVER_ERROR, message)
        }
    })
}

/// The host polls `/` until anything answers.
async fn ready() -> Json<Value> {
    Json(json!({ "status": "ready" }))
}

async fn invoke(
    State(scaler): State<Arc<Scaler>>,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    // The function name is the raw path segment: no percent-decoding that could fail, so a
    // mangled path still gets a JSON answer.
    let function = uri.path().trim_start_matches('/').to_owned();
    let invocation = headers
        .get("x-azure-functions-invocationid")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_owned();
    let span = tracing::info_span!("invocation", function = %function, invocation = %invocation);
    async move {
        let body = match body {
            Ok(body) => body,
            Err(rejection) => {
                let status = rejection.status();
                let message = format!(
                    "the invocation body could not be read: {}",
                    rejection.body_text()
                );
                tracing::warn!(function = %function, error = %message, "malformed invocation");
                return error_reply(status, message);
            }
        };
        let request = match parse_invocation(&body) {
            Ok(request) => request,
            Err(message) => return bad_payload(&function, message),
        };
        match function.as_str() {
            TIMER_FUNCTION => timer(scaler, request).await,
            HTTP_FUNCTION => http(scaler, request).await,
            other => {
                tracing::warn!(function = %other, "invocation of an unknown function");
                let message = format!(
                    "no function named `{other}`; this handler serves `{TIMER_FUNCTION}` and \
                     `{HTTP_FUNCTION}`"
                );
                error_reply(StatusCode::NOT_FOUND, message)
            }
        }
    }
    .instrument(span)
    .await
}

/// The host always sends a JSON object; serde alone would also take `[]` for a struct.
fn parse_invocation(body: &[u8]) -> Result<InvocationRequest, String> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| format!("the invocation body is not a host payload: {e}"))?;
    if !value.is_object() {
        return Err("the invocation body is not a host payload: not a JSON object".into());
    }
    serde_json::from_value(value)
        .map_err(|e| format!("the invocation body is not a host payload: {e}"))
}

async fn timer(scaler: Arc<Scaler>, request: InvocationRequest) -> Response {
    let Some(timer) = request.data.get(TIMER_BINDING) else {
        return bad_payload(
            TIMER_FUNCTION,
            format!(
                "Data has no `{TIMER_BINDING}` entry: the timer binding in {TIMER_FUNCTION}/function.json must be named `{TIMER_BINDING}`"
            ),
        );
    };
    if !timer.is_object() {
        return bad_payload(
            TIMER_FUNCTION,
            format!("Data.{TIMER_BINDING} is not an object"),
        );
    }
    if timer.get("IsPastDue").and_then(Value::as_bool) == Some(true) {
        tracing::info!("timer invocation is past due");
    }
    match run_tick(scaler, TickOptions::default()).await {
        Ok(report) => Json(InvocationResponse::logs(report.log_lines())).into_response(),
        Err(reply) => reply,
    }
}

async fn http(scaler: Arc<Scaler>, request: InvocationRequest) -> Response {
    let Some(raw) = request.data.get(HTTP_REQUEST_BINDING) else {
        return bad_payload(
            HTTP_FUNCTION,
            format!(
                "Data has no `{HTTP_REQUEST_BINDING}` entry: the HTTP trigger binding in {HTTP_FUNCTION}/function.json must be named `{HTTP_REQUEST_BINDING}`"
            ),
        );
    };
    let trigger: HttpTriggerRequest = match serde_json::from_value(raw.clone()) {
        Ok(trigger) => trigger,
        Err(e) => {
            return bad_payload(
                HTTP_FUNCTION,
                format!("Data.{HTTP_REQUEST_BINDING} is not an HTTP request: {e}"),
            );
        }
    };

    let requested = trigger
        .query_param("dry_run")
        .map(|value| value.map(|v| v.to_ascii_lowercase()));
    let dry_run = match requested {
        Err(message) => return bad_request(message),
        // The same words the DRY_RUN setting takes.
        Ok(value) => match value.as_deref() {
            None | Some("false" | "0" | "no" | "") => false,
            Some("true" | "1" | "yes") => true,
            Some(other) => {
                return bad_request(format!("dry_run must be `true` or `false`, not `{other}`"));
            }
        },
    };
    match run_tick(scaler, TickOptions { dry_run }).await {
        Ok(report) => {
            let status = if report.ok { 200 } else { 503 };
            let response = HttpResponse::json(status, &report);
            Json(InvocationResponse::http(
                HTTP_RESPONSE_BINDING,
                response,
                report.log_lines(),
            ))
            .into_response()
        }
        Err(reply) => reply,
    }
}

/// The caller's mistake, not the invocation's: answered 400 through the `http` output.
fn bad_request(message: String) -> Response {
    tracing::warn!(error = %message, "bad request");
    let response = HttpResponse::json(400, &json!({ "error": message }));
    Json(InvocationResponse::http(
        HTTP_RESPONSE_BINDING,
        response,
        vec![message],
    ))
    .into_response()
}

/// Runs a tick in its own task: if the host gives up on the request, the tick still completes
/// (a half-done start would leave a registration without its execution).
async fn run_tick(scaler: Arc<Scaler>, options: TickOptions) -> Result<TickReport, Response> {
    match tokio::spawn(async move { scaler.tick(options).await }).await {
        Ok(report) => Ok(report),
        Err(e) => {
            tracing::error!(error = %e, "tick panicked");
            Err(error_reply(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the tick failed unexpectedly; see the handler's log".into(),
            ))
        }
    }
}

fn bad_payload(function: &str, message: String) -> Response {
    tracing::warn!(function = %function, error = %message, "malformed invocation");
    error_reply(StatusCode::BAD_REQUEST, message)
}

/// A JSON error the host can read: the three keys plus `error`.
fn error_reply(status: StatusCode, message: String) -> Response {
    let body =
        json!({ "Outputs": {}, "Logs": [message.clone()], "ReturnValue": null, "error": message });
    (status, Json(body)).into_response()
}

async fn wrong_method() -> Response {
    error_reply(
        StatusCode::METHOD_NOT_ALLOWED,
        "functions are invoked with POST".into(),
    )
}

async fn unknown_route() -> Response {
    error_reply(
        StatusCode::NOT_FOUND,
        "no such route; the host invokes POST /{function}".into(),
    )
}
