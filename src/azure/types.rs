//! The parts of the Container Apps job payloads (`Microsoft.App/jobs`, api-version 2025-07-01)
//! the scaler reads. Unmodelled fields are ignored; statuses stay strings (an open enum).

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

/// `GET .../jobs/{job}`.
#[derive(Debug, Clone, Deserialize)]
pub struct Job {
    pub properties: JobProperties,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobProperties {
    pub configuration: Option<JobConfiguration>,
    pub template: Option<JobTemplate>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobConfiguration {
    pub trigger_type: Option<String>,
    pub replica_timeout: Option<u64>,
    pub manual_trigger_config: Option<Parallelism>,
    pub event_trigger_config: Option<Parallelism>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Parallelism {
    pub parallelism: Option<u64>,
    pub replica_completion_count: Option<u64>,
}

/// The job's template; containers stay raw JSON so fields the scaler does not model survive
/// into the execution template where the API allows them.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobTemplate {
    #[serde(default)]
    pub containers: Vec<Value>,
    #[serde(default)]
    pub init_containers: Vec<Value>,
}

/// `GET .../jobs/{job}/executions`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionList {
    pub value: Vec<ExecutionRecord>,
    pub next_link: Option<String>,
}

#[derive(Deserialize)]
pub struct ExecutionRecord {
    pub name: String,
    #[serde(default)]
    pub properties: ExecutionProperties,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionProperties {
    pub status: Option<String>,
    pub start_time: Option<DateTime<Utc>>,
    pub end_time: Option<DateTime<Utc>>,
    pub template: Option<ExecutionTemplate>,
}

#[derive(Default, Deserialize)]
pub struct ExecutionTemplate {
    #[serde(default)]
    pub containers: Vec<ExecutionContainer>,
}

#[derive(Deserialize)]
pub struct ExecutionContainer {
    #[serde(default)]
    pub env: Vec<EnvVar>,
}

/// An environment variable; `value` is absent for `secretRef` entries.
#[derive(Deserialize)]
pub struct EnvVar {
    pub name: String,
    pub value: Option<String>,
}

/// `POST .../jobs/{job}/start` (200): the new execution.
#[derive(Deserialize)]
pub struct StartedExecution {
    pub name: Option<String>,
}

/// ARM's `DefaultErrorResponse`.
#[derive(Deserialize)]
pub struct ErrorResponse {
    pub error: Option<ErrorDetail>,
}

#[derive(Deserialize)]
pub struct ErrorDetail {
    pub code: Option<String>,
    pub message: Option<String>,
}
