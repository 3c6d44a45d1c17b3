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
    /// The public URL with its query string.
    #[serde(rename = "Url", default)]
    pub url: Option<String>,
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
    /// A query parameter, looked up case-insensitively.
    ///
    /// `Query` is an object of strings in the host's code; a string holding a JSON object (the
    /// docs sample) or a raw query string is accepted too, and when `Query` does not have the
    /// parameter, the query string of `Url` is read. A parameter that is present without a
    /// usable value is an error, not "absent": `?dry_run` must never turn into a real tick.
    pub fn query_param(&self, name: &str) -> Result<Option<String>, String> {
        let from_query = match &self.query {
            Value::Object(map) => object_param(map, name)?,
            Value::String(text) => match serde_json::from_str::<Map<String, Value>>(text) {
                Ok(map) => object_param(&map, name)?,
                Err(_) => encoded_param(text.trim_start_matches('?'), name),
            },
            _ => None,
        };
        if from_query.is_some() {
            return Ok(from_query);
        }
        let from_url = self
            .url
            .as_deref()
            .and_then(|url| url::Url::parse(url).ok())
            .and_then(|url| url.query().and_then(|q| encoded_param(q, name)));
        Ok(from_url)
    }
}

fn object_param(map: &Map<String, Value>, name: &str) -> Result<Option<String>, String> {
    let Some((_, value)) = map.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)) else {
        return Ok(None);
    };
    let text = match value {
        Value::String(s) => Some(s.clone()),
        Value::Array(items) => items.first().and_then(Value::as_str).map(str::to_owned),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    text.map(Some)
        .ok_or_else(|| format!("the query parameter `{name}` has no usable value"))
}

fn encoded_param(query: &str, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.into_owned())
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
            json!("dry_run=true"),
            json!("?dry_run=true&x=1"),
        ];
        for query in cases {
            let request = HttpTriggerRequest {
                query: query.clone(),
                ..Default::default()
            };
            assert_eq!(
                request.query_param("dry_run"),
                Ok(Some("true".into())),
                "{query}"
            );
        }
        let empty = HttpTriggerRequest {
            query: json!("{}"),
            ..Default::default()
        };
        assert_eq!(empty.query_param("dry_run"), Ok(None));
        let from_url = HttpTriggerRequest {
            url: Some("https://app.azurewebsites.net/api/reconcile?code=k&dry_run=true".into()),
            query: json!({}),
            ..Default::default()
        };
        assert_eq!(from_url.query_param("dry_run"), Ok(Some("true".into())));
    }

    #[test]
    fn a_parameter_present_without_a_value_is_an_error_not_absent() {
        let request = HttpTriggerRequest {
            query: json!({"dry_run": null}),
            ..Default::default()
        };
        assert!(request.query_param("dry_run").is_err());
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
