//! The Container Apps job through ARM: read it, list its executions, start and stop them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use bytes::Bytes;
use chrono::{DateTime, Duration, Utc};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde_json::Value;

use super::credential::ArmCredential;
use super::error::AzureError;
use super::types::{ErrorResponse, ExecutionList, ExecutionRecord, Job, StartedExecution};
use crate::clock::Clock;
use crate::settings::AzureSettings;

/// The Container Apps API version (latest stable).
pub const API_VERSION: &str = "2025-07-01";

/// A `Retry-After` up to this long is waited out within the tick; a longer one fails the call
/// and nothing is sent to ARM until it has passed.
const MAX_INLINE_WAIT: Duration = Duration::seconds(10);

/// Execution pages followed at most (ARM keeps about 100 executions of history).
const MAX_PAGES: usize = 50;

/// One execution of the job, as the scaler needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Execution {
    pub name: String,
    /// ARM's status: an open set (`Running`, `Processing`, `Succeeded`, `Failed`, ...).
    pub status: String,
    pub start_time: Option<DateTime<Utc>>,
    /// The `RUNNER_NAME` the scaler put in its environment; `None` for executions the scaler
    /// did not start.
    pub runner_name: Option<String>,
    /// The `RUNNER_REPOSITORY` the scaler put there (repository scope only).
    pub repository: Option<String>,
    /// Not listed by ARM yet: a start this process remembers (its name may be unknown).
    pub remembered: bool,
}

impl Execution {
    /// Whether ARM counts it as running (what is being paid for). `endTime` alone means
    /// nothing: ARM reports it on running executions too.
    pub fn is_active(&self) -> bool {
        matches!(self.status.as_str(), "Running" | "Processing")
    }
}

/// Counts of ARM calls, for the report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ArmCounts {
    pub calls: u64,
}

/// A client for one Container Apps job.
pub struct JobsClient {
    http: reqwest::Client,
    arm: String,
    job_path: String,
    credential: ArmCredential,
    clock: Arc<dyn Clock>,
    blocked_until: Mutex<Option<DateTime<Utc>>>,
    calls: AtomicU64,
}

impl JobsClient {
    /// A client for the settings' job.
    pub fn new(settings: &AzureSettings, http: reqwest::Client, clock: Arc<dyn Clock>) -> Self {
        let credential = ArmCredential::new(
            settings.credential.clone(),
            settings.audience.clone(),
            http.clone(),
            clock.clone(),
        );
        Self {
            http,
            arm: settings.arm_url.as_str().trim_end_matches('/').to_owned(),
            job_path: format!(
                "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.App/jobs/{}",
                settings.subscription_id, settings.resource_group, settings.job_name
            ),
            credential,
            clock,
            blocked_until: Mutex::new(None),
            calls: AtomicU64::new(0),
        }
    }

    /// ARM calls made since start (token requests included).
    pub fn counts(&self) -> ArmCounts {
        ArmCounts {
            calls: self.calls.load(Ordering::Relaxed) + self.credential.calls(),
        }
    }

    /// The job definition.
    pub async fn get_job(&self) -> Result<Job, AzureError> {
        let url = self.url("");
        let body = self.send(Method::GET, &url, None).await?;
        decode(&self.call_name(&Method::GET, &url), &body)
    }

    /// Every execution ARM lists, following `nextLink`.
    pub async fn list_executions(&self) -> Result<Vec<Execution>, AzureError> {
        let mut url = self.url("/executions");
        let mut visited = std::collections::HashSet::new();
        let mut executions = Vec::new();
        for _ in 0..MAX_PAGES {
            visited.insert(url.clone());
            let call = self.call_name(&Method::GET, &url);
            let body = self.send(Method::GET, &url, None).await?;
            let page: ExecutionList = decode(&call, &body)?;
            executions.extend(page.value.into_iter().map(execution));
            let Some(next) = page.next_link.filter(|link| !link.is_empty()) else {
                return Ok(executions);
            };
            // A link elsewhere would receive our ARM token.
            if !crate::same_origin::is_under(&self.arm, &next) {
                return Err(AzureError::Decode {
                    call,
                    detail: "nextLink points outside AZURE_RESOURCE_MANAGER_URL".into(),
                });
            }
            if visited.contains(&next) {
                return Err(AzureError::Decode {
                    call,
                    detail: "nextLink loops back to a page already read".into(),
                });
            }
            url = next;
        }
        Err(AzureError::Decode {
            call: self.call_name(&Method::GET, &url),
            detail: format!("more than {MAX_PAGES} pages of executions"),
        })
    }

    /// Starts an execution with `template` and returns its name. The start is a long-running
    /// operation, but the execution's name is in the immediate answer; a 202 without a body
    /// leaves it unknown (`None`), which is fine: executions are paired with runners through
    /// the runner name in their environment, not through the execution name.
    pub async fn start(&self, template: &Value) -> Result<Option<String>, AzureError> {
        let url = self.url("/start");
        let body = self.send(Method::POST, &url, Some(template)).await?;
        if body.is_empty() {
            return Ok(None);
        }
        // ARM accepted the start: the execution exists whatever the body says. Failing here
        // would delete the registration of a running execution and start a second one.
        match serde_json::from_slice::<StartedExecution>(&body) {
            Ok(started) => Ok(started.name),
            Err(e) => {
                tracing::warn!(error = %e, "execution started, but ARM's answer does not name it");
                Ok(None)
            }
        }
    }

    /// Stops one execution.
    pub async fn stop(&self, name: &str) -> Result<(), AzureError> {
        let url = self.url(&format!("/executions/{name}/stop"));
        self.send(Method::POST, &url, None).await.map(|_| ())
    }

    fn url(&self, suffix: &str) -> String {
        format!(
            "{}{}{suffix}?api-version={API_VERSION}",
            self.arm, self.job_path
        )
    }

    /// `GET jobs/{job}/executions`: the request as it appears in errors.
    fn call_name(&self, method: &Method, url: &str) -> String {
        let path = url.strip_prefix(&self.arm).unwrap_or(url);
        let path = path.split('?').next().unwrap_or(path);
        let short = path.find("/jobs/").map(|i| &path[i + 1..]).unwrap_or(path);
        format!("{method} {short}")
    }

    async fn send(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
    ) -> Result<Bytes, AzureError> {
        let call = self.call_name(&method, url);
        let mut auth_retried = false;
        let mut throttle_retried = false;
        let mut transient_retried = false;
        loop {
            if let Some(until) = *lock(&self.blocked_until) {
                if until > self.clock.now() {
                    return Err(AzureError::Throttled { call, until });
                }
            }
            let token = self.credential.token().await.map_err(|e| match e {
                AzureError::Credential { detail, .. } => AzureError::Credential {
                    call: call.clone(),
                    detail,
                },
                other => other,
            })?;
            let mut request = self
                .http
                .request(method.clone(), url)
                .bearer_auth(token.expose());
            request = match body {
                Some(body) => request.json(body),
                // ARM wants a length on bodiless POSTs.
                None if method == Method::POST => request.header("content-length", "0"),
                None => request,
            };

            self.calls.fetch_add(1, Ordering::Relaxed);
            let response = match request.send().await {
                Ok(response) => response,
                // A timeout is not retried: the tick's time budget would be spent twice.
                Err(source)
                    if method == Method::GET && !transient_retried && !source.is_timeout() =>
                {
                    tracing::debug!(call = %call, error = %source, "arm call failed, retrying once");
                    transient_retried = true;
                    tokio::time::sleep(StdDuration::from_millis(250)).await;
                    continue;
                }
                Err(source) => return Err(AzureError::Transport { call, source }),
            };
            let status = response.status();
            let headers = response.headers().clone();
            let bytes = response
                .bytes()
                .await
                .map_err(|source| AzureError::Transport {
                    call: call.clone(),
                    source,
                })?;
            tracing::debug!(call = %call, status = status.as_u16(), "arm call");
            if status.is_success() {
                return Ok(bytes);
            }

            if status == StatusCode::TOO_MANY_REQUESTS {
                let wait = retry_after(&headers).unwrap_or(Duration::seconds(30));
                // A throttled request was not processed, so even a start may be sent again.
                if wait <= MAX_INLINE_WAIT && !throttle_retried {
                    tracing::info!(call = %call, wait_ms = wait.num_milliseconds(), "arm throttled, waiting");
                    throttle_retried = true;
                    tokio::time::sleep(wait.to_std().unwrap_or_default()).await;
                    continue;
                }
                let until = self.clock.now() + wait;
                *lock(&self.blocked_until) = Some(until);
                return Err(AzureError::Throttled { call, until });
            }
            if status == StatusCode::UNAUTHORIZED && !auth_retried {
                self.credential.invalidate(&token).await;
                auth_retried = true;
                continue;
            }
            if status.is_server_error() && method == Method::GET && !transient_retried {
                transient_retried = true;
                tokio::time::sleep(StdDuration::from_millis(250)).await;
                continue;
            }
            let detail = error_detail(status, &bytes);
            return Err(AzureError::Status {
                call,
                status: status.as_u16(),
                detail,
            });
        }
    }
}

fn execution(record: ExecutionRecord) -> Execution {
    let env_value = |wanted: &str| {
        record
            .properties
            .template
            .as_ref()?
            .containers
            .iter()
            .flat_map(|c| c.env.iter())
            .find(|e| e.name == wanted)
            .and_then(|e| e.value.clone())
    };
    let runner_name = env_value("RUNNER_NAME");
    let repository = env_value("RUNNER_REPOSITORY");
    Execution {
        status: record
            .properties
            .status
            .clone()
            .unwrap_or_else(|| "Unknown".into()),
        start_time: record.properties.start_time,
        runner_name,
        repository,
        remembered: false,
        name: record.name,
    }
}

/// Longest wait a `Retry-After` is taken at: an absurd value must not overflow the clock (or
/// silence ARM calls for days).
const MAX_RETRY_AFTER_MS: u64 = 3_600_000;

/// `Retry-After` in seconds, or the millisecond variants ARM also sends, at most an hour.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let number =
        |name: &str| -> Option<u64> { headers.get(name)?.to_str().ok()?.trim().parse().ok() };
    let milliseconds = number("x-ms-retry-after-ms")
        .or_else(|| number("retry-after-ms"))
        .or_else(|| number("retry-after").map(|s| s.saturating_mul(1000)))?;
    let clamped = milliseconds.min(MAX_RETRY_AFTER_MS);
    Some(Duration::milliseconds(i64::try_from(clamped).unwrap_or(0)))
}

/// ARM's error code and message, with a hint for the failures a setup typically has.
fn error_detail(status: StatusCode, body: &[u8]) -> Option<String> {
    let parsed = serde_json::from_slice::<ErrorResponse>(body).ok()?.error?;
    let message: String = parsed
        .message
        .unwrap_or_default()
        .chars()
        .take(300)
        .collect();
    let code = parsed.code.unwrap_or_default();
    let hint = match status.as_u16() {
        403 => {
            "; the identity needs a role with Microsoft.App/jobs/read, executions/read, start/action and stop on the job (e.g. Contributor on the job)"
        }
        404 => "; check AZURE_SUBSCRIPTION_ID, AZURE_RESOURCE_GROUP and ACA_JOB_NAME",
        _ => "",
    };
    Some(format!("{code}: {message}{hint}"))
}

fn decode<T: serde::de::DeserializeOwned>(call: &str, body: &[u8]) -> Result<T, AzureError> {
    serde_json::from_slice(body).map_err(|e| AzureError::Decode {
        call: call.to_owned(),
        detail: e.to_string(),
    })
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_read_in_any_of_its_forms_and_clamped() {
        type Case<'a> = (&'a [(&'a str, &'a str)], Option<i64>);
        let cases: &[Case] = &[
            (&[("retry-after", "7")], Some(7_000)),
            (&[("retry-after-ms", "250")], Some(250)),
            (
                &[("x-ms-retry-after-ms", "1500"), ("retry-after", "9")],
                Some(1_500),
            ),
            (&[("retry-after", "10000000000000")], Some(3_600_000)),
            (
                &[("x-ms-retry-after-ms", "18446744073709551615")],
                Some(3_600_000),
            ),
            (&[("retry-after", "-5")], None),
            (&[("retry-after", "Wed, 21 Oct 2026 07:28:00 GMT")], None),
            (&[], None),
        ];
        for (pairs, expected) in cases {
            let mut headers = HeaderMap::new();
            for (name, value) in *pairs {
                headers.insert(*name, value.parse().unwrap());
            }
            assert_eq!(
                retry_after(&headers).map(|d| d.num_milliseconds()),
                *expected,
                "{pairs:?}"
            );
        }
    }
}
