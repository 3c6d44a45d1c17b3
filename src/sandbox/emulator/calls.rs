//! Every call the emulator answered, by endpoint kind and status: what the summary reports
//! about the scaler's use of the APIs.

use std::collections::BTreeMap;

use serde::Serialize;

/// Which API an endpoint belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Api {
    /// GitHub REST.
    Github,
    /// Azure Resource Manager.
    Arm,
    /// The managed identity endpoint.
    Identity,
}

/// The endpoints the emulator serves, as the summary names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CallKind {
    /// `GET /orgs/{org}/installation` and friends.
    GetInstallation,
    /// `POST /app/installations/{id}/access_tokens`.
    CreateInstallationToken,
    /// `GET /installation/repositories`, `GET /orgs/{org}/repos`.
    ListRepos,
    /// `GET /repos/{o}/{r}/actions/runs`.
    ListRuns,
    /// `GET /repos/{o}/{r}/actions/runs/{id}/jobs`.
    ListJobs,
    /// `GET /repos/{o}/{r}/actions/jobs/{id}`.
    GetJob,
    /// `GET .../actions/runners`.
    ListRunners,
    /// `GET .../actions/runners/{id}`.
    GetRunner,
    /// `POST .../actions/runners/generate-jitconfig`.
    CreateJitConfig,
    /// `POST .../actions/runners/registration-token`.
    CreateRegistrationToken,
    /// `DELETE .../actions/runners/{id}`.
    DeleteRunner,
    /// `GET /rate_limit`.
    GetRateLimit,
    /// A GitHub path the emulator does not serve.
    GithubOther,
    /// `GET {IDENTITY_ENDPOINT}`.
    ManagedIdentityToken,
    /// `GET .../jobs/{job}`.
    GetContainerAppsJob,
    /// `GET .../jobs/{job}/executions`.
    ListExecutions,
    /// `GET .../jobs/{job}/executions/{name}`.
    GetExecution,
    /// `POST .../jobs/{job}/start`.
    StartExecution,
    /// `POST .../jobs/{job}/executions/{name}/stop`.
    StopExecution,
    /// An ARM path the emulator does not serve.
    ArmOther,
}

impl CallKind {
    /// The API the endpoint belongs to.
    pub fn api(self) -> Api {
        use CallKind::*;
        match self {
            ManagedIdentityToken => Api::Identity,
            GetContainerAppsJob | ListExecutions | GetExecution | StartExecution
            | StopExecution | ArmOther => Api::Arm,
            _ => Api::Github,
        }
    }
}

/// Call counts by kind and HTTP status.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallLog {
    counts: BTreeMap<(CallKind, u16), u64>,
}

impl CallLog {
    /// Counts one answered call.
    pub fn record(&mut self, kind: CallKind, status: u16) {
        *self.counts.entry((kind, status)).or_default() += 1;
    }

    /// Calls to `api`, any status.
    pub fn total(&self, api: Api) -> u64 {
        self.sum(|kind, _| kind.api() == api)
    }

    /// Calls of `kind`, any status.
    pub fn of_kind(&self, kind: CallKind) -> u64 {
        self.sum(|k, _| k == kind)
    }

    /// Calls to `api` answered with `status`.
    pub fn with_status(&self, api: Api, status: u16) -> u64 {
        self.sum(|k, s| k.api() == api && s == status)
    }

    /// Calls to `api` answered with a 4xx or 5xx other than 304.
    pub fn errors(&self, api: Api) -> u64 {
        self.sum(|k, s| k.api() == api && s >= 400)
    }

    /// Every (kind, status) count, in a stable order.
    pub fn counts(&self) -> &BTreeMap<(CallKind, u16), u64> {
        &self.counts
    }

    fn sum(&self, keep: impl Fn(CallKind, u16) -> bool) -> u64 {
        self.counts
            .iter()
            .filter(|((kind, status), _)| keep(*kind, *status))
            .map(|(_, n)| n)
            .sum()
    }
}
