//! What a Container Apps job handler takes from its request: the parts the ARM pipeline reads
//! and the job the path names, which must be the emulated one.

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{ArmError, ArmReply, respond};
use crate::sandbox::emulator::calls::CallKind;
use crate::sandbox::emulator::{Shared, State};

/// One request below `/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.App/jobs/{job}`,
/// as [`JobRequest::respond`] runs it through the ARM pipeline: the shared state, the URI
/// (`api-version`, paging), the headers (the bearer token) and the job the path names.
pub struct JobRequest {
    shared: Shared,
    uri: Uri,
    headers: HeaderMap,
    job: JobPath,
}

/// The job a path names, as written (ARM compares the names without regard to case).
#[derive(Deserialize)]
struct JobPath {
    sub: String,
    rg: String,
    job: String,
}

impl FromRequestParts<Shared> for JobRequest {
    /// axum's own rejection of a parameter that is not UTF-8 once decoded (400).
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, shared: &Shared) -> Result<Self, Response> {
        let Path(job) = Path::<JobPath>::from_request_parts(parts, shared)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(Self {
            shared: shared.clone(),
            uri: parts.uri.clone(),
            headers: parts.headers.clone(),
            job,
        })
    }
}

impl JobRequest {
    /// The request URI.
    pub fn uri(&self) -> &Uri {
        &self.uri
    }

    /// Runs `handle` inside the ARM pipeline as a `kind` call, once the path is known to name
    /// the emulated job. The job is checked after the pipeline's own checks, as ARM does:
    /// a request without `api-version` or a token is refused before a wrong job is a 404.
    pub fn respond(
        &self,
        kind: CallKind,
        handle: impl FnOnce(&mut State) -> Result<ArmReply, ArmError>,
    ) -> Response {
        respond(&self.shared, kind, &self.uri, &self.headers, |state| {
            check_job(state, &self.job)?;
            handle(state)
        })
    }
}

/// ARM's 404 for a subscription, resource group or job other than the emulated one.
fn check_job(state: &State, path: &JobPath) -> Result<(), ArmError> {
    let JobPath { sub, rg, job } = path;
    if !sub.eq_ignore_ascii_case(&state.azure.subscription_id) {
        return Err(ArmError::new(
            StatusCode::NOT_FOUND,
            "SubscriptionNotFound",
            format!("The subscription '{sub}' could not be found."),
        ));
    }
    if !rg.eq_ignore_ascii_case(&state.azure.resource_group) {
        return Err(ArmError::new(
            StatusCode::NOT_FOUND,
            "ResourceGroupNotFound",
            format!("Resource group '{rg}' could not be found."),
        ));
    }
    if !job.eq_ignore_ascii_case(&state.world.config().job_name) {
        return Err(ArmError::new(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            format!(
                "The Resource 'Microsoft.App/jobs/{job}' under resource group '{rg}' was not found."
            ),
        ));
    }
    Ok(())
}
