//! The execution template an execution is started with: the job's own containers, with the
//! runner container's environment carrying this execution's runner name and registration.

use serde_json::{Map, Value, json};

use super::types::JobTemplate;
use crate::settings::Secret;

/// Fields of a `JobExecutionContainer` (api-version 2025-07-01). Other container fields of the
/// job template (probes, volume mounts) have no place in an execution template.
const EXECUTION_CONTAINER_FIELDS: [&str; 6] =
    ["image", "name", "command", "args", "env", "resources"];

/// One environment variable the scaler sets on the runner container.
pub struct RunnerEnv {
    pub name: String,
    pub value: Secret,
}

/// Builds the start body (the bare `JobExecutionTemplate`, `{"containers": [...]}`: the API
/// takes the template itself, not wrapped in `{"template": ...}`).
///
/// All containers and init containers of the job are kept, so sidecars still run; the runner
/// container (`container`, or the first) gets `env` added, replacing any variable of the same
/// name. The result holds secrets: it goes into the request body and nowhere else.
pub fn execution_template(
    job: &JobTemplate,
    container: Option<&str>,
    env: &[RunnerEnv],
) -> Result<Value, String> {
    if job.containers.is_empty() {
        return Err("the job's template has no container".into());
    }
    let runner_index = match container {
        None => 0,
        Some(wanted) => job
            .containers
            .iter()
            .position(|c| c.get("name").and_then(Value::as_str) == Some(wanted))
            .ok_or_else(|| {
                let names: Vec<&str> = job
                    .containers
                    .iter()
                    .filter_map(|c| c.get("name").and_then(Value::as_str))
                    .collect();
                format!(
                    "ACA_CONTAINER_NAME `{wanted}` is not a container of the job (it has: {})",
                    names.join(", ")
                )
            })?,
    };

    let mut containers = Vec::with_capacity(job.containers.len());
    for (index, container) in job.containers.iter().enumerate() {
        let mut kept = execution_container(container)?;
        if index == runner_index {
            set_env(&mut kept, env);
        }
        containers.push(Value::Object(kept));
    }
    let mut template = Map::new();
    template.insert("containers".into(), Value::Array(containers));
    if !job.init_containers.is_empty() {
        let init: Result<Vec<Value>, String> = job
            .init_containers
            .iter()
            .map(|c| execution_container(c).map(Value::Object))
            .collect();
        template.insert("initContainers".into(), Value::Array(init?));
    }
    Ok(Value::Object(template))
}

fn execution_container(container: &Value) -> Result<Map<String, Value>, String> {
    let object = container
        .as_object()
        .ok_or("a container of the job's template is not an object")?;
    for required in ["name", "image"] {
        if !object.get(required).is_some_and(Value::is_string) {
            return Err(format!(
                "a container of the job's template has no `{required}`"
            ));
        }
    }
    Ok(object
        .iter()
        .filter(|(key, _)| EXECUTION_CONTAINER_FIELDS.contains(&key.as_str()))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect())
}

fn set_env(container: &mut Map<String, Value>, env: &[RunnerEnv]) {
    let mut list: Vec<Value> = container
        .get("env")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    list.retain(|entry| {
        let name = entry.get("name").and_then(Value::as_str);
        !env.iter().any(|e| Some(e.name.as_str()) == name)
    });
    list.extend(
        env.iter()
            .map(|e| json!({ "name": e.name, "value": e.value.expose() })),
    );
    container.insert("env".into(), Value::Array(list));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(containers: Value) -> JobTemplate {
        serde_json::from_value(json!({ "containers": containers })).unwrap()
    }

    fn env(name: &str, value: &str) -> RunnerEnv {
        RunnerEnv {
            name: name.into(),
            value: Secret::new(value),
        }
    }

    #[test]
    fn the_runner_container_gains_the_env_and_loses_fields_executions_do_not_take() {
        let job = job(json!([{
            "name": "runner", "image": "img:1", "resources": {"cpu": 1.0, "memory": "2Gi"},
            "env": [{"name": "KEEP", "value": "x"}, {"name": "RUNNER_NAME", "value": "stale"},
                    {"name": "SECRET", "secretRef": "s"}],
            "probes": [], "volumeMounts": [{"volumeName": "v", "mountPath": "/v"}]
        }]));
        let template = execution_template(
            &job,
            None,
            &[env("RUNNER_NAME", "pool-1"), env("JIT", "cfg")],
        )
        .unwrap();
        assert_eq!(
            template,
            json!({"containers": [{
                "name": "runner", "image": "img:1", "resources": {"cpu": 1.0, "memory": "2Gi"},
                "env": [{"name": "KEEP", "value": "x"}, {"name": "SECRET", "secretRef": "s"},
                        {"name": "RUNNER_NAME", "value": "pool-1"}, {"name": "JIT", "value": "cfg"}]
            }]})
        );
    }

    #[test]
    fn a_named_runner_container_is_found_and_sidecars_are_kept_unchanged() {
        let job = job(json!([
            {"name": "sidecar", "image": "proxy:1"},
            {"name": "runner", "image": "img:1"}
        ]));
        let template =
            execution_template(&job, Some("runner"), &[env("RUNNER_NAME", "pool-1")]).unwrap();
        assert_eq!(
            template["containers"][0],
            json!({"name": "sidecar", "image": "proxy:1"})
        );
        assert_eq!(template["containers"][1]["env"][0]["value"], "pool-1");
    }

    #[test]
    fn a_missing_container_or_an_empty_template_is_an_error() {
        let with_one = job(json!([{"name": "main", "image": "img"}]));
        let error = execution_template(&with_one, Some("runner"), &[]).unwrap_err();
        assert!(error.contains("ACA_CONTAINER_NAME `runner`"), "{error}");
        assert!(error.contains("main"), "{error}");
        assert!(execution_template(&job(json!([])), None, &[]).is_err());
        assert!(
            execution_template(&job(json!([{"name": "x"}])), None, &[])
                .unwrap_err()
                .contains("image")
        );
    }
}
