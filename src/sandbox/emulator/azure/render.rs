//! ARM's JSON shapes for the Container Apps job and its executions, field names as in the
//! API's examples (see `tests/sandbox_shapes.rs`).

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::sandbox::world::WorldConfig;
use crate::sandbox::world::model::Execution;

/// ARM's timestamp format: seconds, `+00:00`.
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// The job's resource id.
pub fn job_id(subscription: &str, group: &str, job: &str) -> String {
    format!(
        "/subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.App/jobs/{job}"
    )
}

/// The job's own template: one runner container, no JIT config (the scaler adds one per start).
pub fn job_template(config: &WorldConfig) -> Value {
    json!({
        "containers": [{
            "name": config.container_name,
            "image": config.image,
            "env": [],
            "resources": {"cpu": 1.0, "memory": "2Gi"},
        }],
    })
}

/// `GET .../jobs/{job}`: a Manual job, one replica per execution.
pub fn job(subscription: &str, group: &str, config: &WorldConfig) -> Value {
    json!({
        "id": job_id(subscription, group, &config.job_name),
        "name": config.job_name,
        "type": "Microsoft.App/jobs",
        "location": "West Europe",
        "identity": {"type": "SystemAssigned", "principalId": "00000000-5a4d-b0c5-0000-000000000002", "tenantId": "00000000-5a4d-b0c5-0000-000000000003"},
        "properties": {
            "provisioningState": "Succeeded",
            "environmentId": format!("/subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.App/managedEnvironments/sandbox-env"),
            "configuration": {
                "replicaTimeout": config.replica_timeout.num_seconds(),
                "replicaRetryLimit": 0,
                "manualTriggerConfig": {"replicaCompletionCount": 1, "parallelism": 1},
                "triggerType": "Manual",
            },
            "template": job_template(config),
        },
    })
}

/// One execution. Like the API's own example, a running execution already carries an
/// `endTime` (here: when its replica timeout falls); only `status` says whether it ended.
pub fn execution(
    subscription: &str,
    group: &str,
    config: &WorldConfig,
    execution: &Execution,
) -> Value {
    let end = execution
        .ended_at
        .unwrap_or(execution.started_at + config.replica_timeout);
    json!({
        "name": execution.name,
        "id": format!("{}/executions/{}", job_id(subscription, group, &config.job_name), execution.name),
        "type": "Microsoft.App/jobs/executions",
        "properties": {
            "status": execution.status.as_str(),
            "startTime": timestamp(execution.started_at),
            "endTime": timestamp(end),
            "template": execution.template,
        },
    })
}
