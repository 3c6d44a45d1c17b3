//! The Container Apps job: get it, list its executions (paged with `nextLink`), start one with
//! a bare `JobExecutionTemplate`, stop one.

use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use super::request::JobRequest;
use super::{ArmError, ArmReply, query_value, render};
use crate::sandbox::emulator::State as EmulatorState;
use crate::sandbox::emulator::calls::CallKind;
use crate::sandbox::world::model::Execution;

/// ARM keeps the history of the most recent 100 finished executions.
pub const HISTORY: usize = 100;

/// The `{name}` of `.../executions/{name}`.
#[derive(Deserialize)]
pub struct ExecutionName {
    name: String,
}

/// `GET .../jobs/{job}`.
pub async fn get_job(request: JobRequest) -> Response {
    request.respond(CallKind::GetContainerAppsJob, |state| {
        let azure = &state.azure;
        Ok(ArmReply::ok(render::job(
            &azure.subscription_id,
            &azure.resource_group,
            state.world.config(),
        )))
    })
}

/// `GET .../jobs/{job}/executions`: newest first, `page_size` per page, `nextLink` absolute.
pub async fn list_executions(request: JobRequest) -> Response {
    request.respond(CallKind::ListExecutions, |state| {
        let uri = request.uri();
        let skip = query_value(uri, "$skiptoken")
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(0);
        let visible = visible_executions(state);
        let size = state.azure.page_size;
        let value: Vec<Value> = visible
            .iter()
            .skip(skip)
            .take(size)
            .map(|e| rendered(state, e))
            .collect();
        let next_link = (skip + size < visible.len()).then(|| {
            let version = query_value(uri, "api-version").unwrap_or_default();
            format!(
                "{}{}?api-version={version}&$skiptoken={}",
                state.base(),
                uri.path(),
                skip + size
            )
        });
        Ok(ArmReply::ok(json!({"value": value, "nextLink": next_link})))
    })
}

/// `GET .../jobs/{job}/executions/{name}`.
pub async fn get_execution(
    request: JobRequest,
    Path(ExecutionName { name }): Path<ExecutionName>,
) -> Response {
    request.respond(CallKind::GetExecution, |state| {
        let execution = find_execution(state, &name)?;
        Ok(ArmReply::ok(rendered(state, execution)))
    })
}

/// `POST .../jobs/{job}/start`. The body is the bare template `{"containers": [...]}` (an
/// empty body starts the job's own template); a `{"template": ...}` wrapper or a container
/// without `name` or `image` is refused with 400, as a strict API does.
pub async fn start(request: JobRequest, body: Bytes) -> Response {
    request.respond(CallKind::StartExecution, |state| {
        let template = start_template(state, &body)?;
        let name = state.world.start_execution(template);
        let azure = &state.azure;
        let id = format!(
            "{}/executions/{name}",
            render::job_id(
                &azure.subscription_id,
                &azure.resource_group,
                &state.world.config().job_name
            )
        );
        Ok(ArmReply::ok(json!({"name": name, "id": id})))
    })
}

/// `POST .../jobs/{job}/executions/{name}/stop` → 200, no body.
pub async fn stop(
    request: JobRequest,
    Path(ExecutionName { name }): Path<ExecutionName>,
) -> Response {
    request.respond(CallKind::StopExecution, |state| {
        let name = find_execution(state, &name)?.name.clone();
        state.world.stop_execution(&name);
        Ok(ArmReply::empty())
    })
}

fn start_template(state: &EmulatorState, body: &[u8]) -> Result<Value, ArmError> {
    let bad =
        |message: String| ArmError::new(StatusCode::BAD_REQUEST, "InvalidRequestContent", message);
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(render::job_template(state.world.config()));
    }
    let template: Value = serde_json::from_slice(body).map_err(|e| {
        bad(format!(
            "The request content was invalid and could not be deserialized: {e}"
        ))
    })?;
    let Some(fields) = template.as_object() else {
        return Err(bad(
            "The request body must be a JobExecutionTemplate object.".into(),
        ));
    };
    if fields.contains_key("template") {
        return Err(bad(
            "Could not find member 'template' on object of type 'JobExecutionTemplate'. Send the template itself: {\"containers\": [...]}".into(),
        ));
    }
    let containers = fields
        .get("containers")
        .and_then(Value::as_array)
        .filter(|c| !c.is_empty())
        .ok_or_else(|| bad("The template must have a non-empty 'containers' array.".into()))?;
    for (index, container) in containers.iter().enumerate() {
        for field in ["name", "image"] {
            let present = container
                .get(field)
                .and_then(Value::as_str)
                .is_some_and(|v| !v.trim().is_empty());
            if !present {
                return Err(bad(format!("containers[{index}].{field} is required.")));
            }
        }
    }
    Ok(template)
}

/// What ARM shows: every running execution and the most recent [`HISTORY`] finished ones,
/// newest start first.
fn visible_executions(state: &EmulatorState) -> Vec<&Execution> {
    let all = state.world.executions();
    let mut finished: Vec<&Execution> = all.iter().filter(|e| !e.is_active()).collect();
    finished.sort_by(|a, b| (b.ended_at, &b.name).cmp(&(a.ended_at, &a.name)));
    finished.truncate(HISTORY);
    let mut visible: Vec<&Execution> = all
        .iter()
        .filter(|e| e.is_active())
        .chain(finished)
        .collect();
    visible.sort_by(|a, b| (b.started_at, &b.name).cmp(&(a.started_at, &a.name)));
    visible
}

fn find_execution<'a>(state: &'a EmulatorState, name: &str) -> Result<&'a Execution, ArmError> {
    visible_executions(state)
        .into_iter()
        .find(|e| e.name == name)
        .ok_or_else(|| {
            ArmError::new(
                StatusCode::NOT_FOUND,
                "ResourceNotFound",
                format!("The job execution '{name}' was not found."),
            )
        })
}

fn rendered(state: &EmulatorState, execution: &Execution) -> Value {
    let azure = &state.azure;
    render::execution(
        &azure.subscription_id,
        &azure.resource_group,
        state.world.config(),
        execution,
    )
}
