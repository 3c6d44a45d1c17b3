//! The Azure Functions custom handler protocol (non-forwarded invocations), as the host speaks
//! it: `POST /{function}` with `{"Data": {...}, "Metadata": {...}}`, answered with
//! `{"Outputs": {...}, "Logs": [...], "ReturnValue": ...}`.
//!
//! Parsing is tolerant where the host varies (`Query` is an object in the host's code but a
//! string in its docs, header values are arrays, `Body` is absent without a Content-Length,
//! `Metadata` is open-ended) and strict where a wrong shape means a wrong configuration.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// An invocation request from the host.
#[derive(Debug, Deserialize)]
pub struct InvocationRequest {
    /// One entry per input binding, keyed by the binding's `name`.
    #[serde(rename = "Data", default)]
    pub data: Map<String, Value>,
    /// Trigger metadata; not used, but accepted in any shape.
    #[serde(rename = "Metadata", default)]
    pub metadata: Value,
}

/// An invocation reply to the host. Always a JSON object with all three keys: an empty body
/// would hang the invocation until the function timeout.
#[derive(Debug, Serialize)]
pub struct InvocationResponse {
    #[serde(rename = "Outputs")]
    pub outputs: Map<String, Value>,
    #[serde(rename = "Logs")]
    pub logs: Vec<String>,
    #[serde(rename = "ReturnValue")]
    pub return_value: Value,
}

impl InvocationResponse {
    /// A reply with logs and no outputs (timer invocations).
    pub fn logs(logs: Vec<String>) -> Self {
        Self {
            outputs: Map::new(),
            logs,
            return_value: Value::Null,
        }
    }

    /// A reply whose named `http` output is `response`.
    pub fn http(binding: &str, response: HttpResponse, logs: Vec<String>) -> Self {
        let mut outputs = Map::new();
        outputs.insert(
            binding.to_owned(),
            serde_json::to_value(response).unwrap_or(Value::Null),
        );
        Self {
            outputs,
            logs,
            return_value: Value::Null,
        }
    }
}

/// The value of an `http` output binding (the host's `HttpOutputBindingResponse`).
#[derive(Debug, Serialize)]
pub struct HttpResponse {
    #[serde(rename = "statusCode")]
    pub status_code: u16,
    pub headers: BTreeMap<String, String>,
    /// A JSON document as a string: the host passes strings through unchanged.
    pub body: String,
}

impl HttpResponse {
    /// A JSON response.
    pub fn json(status_code: u16, body: &impl Serialize) -> Self {
        let mut headers = BTreeMap::new();
        headers.insert("Content-Type".into(), "application/json".into());
        Self {
            status_code,
            headers,
            body: serde_json::to_string(body).unwrap_or_else(|_| "{}".into()),
        }
    }
}

/// The HTTP trigger's request (`Data.<binding>`).
#[derive(Debug, Default, Deserialize)]
pub struct HttpTriggerRequest {
    #[serde(rename = "Method", default)]
    pub method: Option<String>,
    #[serde(rename = "Query", default)]
    pub query: Value,
    #[serde(rename = "Headers", default)]
    pub headers: Value,
    #[serde(rename = "Body", default)]
    pub body: Option<String>,
}

impl HttpTriggerRequest {
    /// A query parameter, looked up case-insensitively. `Query` is an object of strings in the
    /// host's code; a string holding a JSON object (as the docs sample shows) is accepted too.
    pub fn query_param(&self, name: &str) -> Option<String> {
        let object = match &self.query {
            Value::Object(map) => map.clone(),
            Value::String(text) => {
                serde_json::from_str::<Map<String, Value>>(text).unwrap_or_default()
            }
            _ => Map::new(),
        };
        object
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .and_then(|(_, value)| match value {
                Value::String(s) => Some(s.clone()),
                Value::Array(items) => items.first().and_then(Value::as_str).map(str::to_owned),
                Value::Bool(b) => Some(b.to_string()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn query_parameters_are_found_in_every_shape_the_host_sends() {
        let cases = [
            json!({"dry_run": "true"}),
            json!({"DRY_RUN": "true"}),
            json!("{\"dry_run\":\"true\"}"),
            json!({"dry_run": ["true"]}),
        ];
        for query in cases {
            let request = HttpTriggerRequest {
                query: query.clone(),
                ..Default::default()
            };
            assert_eq!(
                request.query_param("dry_run").as_deref(),
                Some("true"),
                "{query}"
            );
        }
        let empty = HttpTriggerRequest {
            query: json!("{}"),
            ..Default::default()
        };
        assert_eq!(empty.query_param("dry_run"), None);
    }

    #[test]
    fn a_reply_always_has_the_three_keys() {
        let reply = serde_json::to_value(InvocationResponse::logs(vec![])).unwrap();
        assert_eq!(
            reply,
            json!({"Outputs": {}, "Logs": [], "ReturnValue": null})
        );
        let http = serde_json::to_value(InvocationResponse::http(
            "res",
            HttpResponse::json(503, &json!({"ok": false})),
            vec!["x".into()],
        ))
        .unwrap();
        assert_eq!(
            http,
            json!({"Outputs": {"res": {"statusCode": 503, "headers": {"Content-Type": "application/json"}, "body": "{\"ok\":false}"}},
                   "Logs": ["x"], "ReturnValue": null})
        );
    }
}
