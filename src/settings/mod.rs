//! Typed settings from the environment (app settings on Azure), validated at start-up.
//!
//! [`Settings::from_vars`] reads every setting, reports all problems at once naming the setting
//! and what it accepts, and warns about variables that look like a misspelt setting. Secret
//! values are wrapped in [`Secret`] and never echoed.

mod catalog;
mod github_key;
mod reader;
mod secret;
mod spelling;

use std::collections::BTreeMap;

use chrono::Duration;
use url::Url;

use crate::scaling::schedule::WarmSchedule;

pub use catalog::{SETTINGS, SettingInfo};
pub use github_key::AppKey;
pub use reader::{SettingError, SettingsErrors};
pub use secret::Secret;

use reader::{Reader, quote};

/// Everything the scaler needs to run, validated.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where demand comes from and how to authenticate.
    pub github: GithubSettings,
    /// The runners this pool registers and its limits.
    pub pool: PoolSettings,
    /// The Container Apps job and how to authenticate to ARM.
    pub azure: AzureSettings,
    /// Idle runners to keep ready, by time of day (`WARM_SCHEDULE`).
    pub warm: WarmSchedule,
    /// Plan every tick without acting (`DRY_RUN`).
    pub dry_run: bool,
}

/// GitHub side of the settings.
#[derive(Debug, Clone)]
pub struct GithubSettings {
    /// Organization login (`GITHUB_OWNER`).
    pub owner: String,
    /// Repositories to scan (`GITHUB_REPOS`); `None` = every repository the credentials see.
    pub repos: Option<Vec<String>>,
    /// Where the pool's runners are registered.
    pub scope: RunnerScope,
    /// App or token credentials.
    pub auth: GithubAuth,
    /// API base URL without a trailing slash (`GITHUB_API_URL`); GHES and GHE.com included.
    pub api_url: Url,
}

/// Where runners are registered (`GITHUB_RUNNER_SCOPE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RunnerScope {
    /// On the organization: any repository's job may land on them.
    Org,
    /// On each repository: a runner serves only the repository it is registered on.
    Repo,
}

/// How the scaler authenticates to GitHub.
#[derive(Debug, Clone)]
pub enum GithubAuth {
    /// As a GitHub App: JWTs from the private key, installation tokens refreshed by the scaler.
    App {
        /// App id or client id (the JWT's `iss`).
        app_id: String,
        /// The App's private key.
        key: AppKey,
        /// `None`: discovered from `/orgs/{owner}/installation`.
        installation_id: Option<u64>,
    },
    /// A fixed token (PAT or other).
    Token(Secret),
}

/// How an execution's runner gets registered (`RUNNER_REGISTRATION`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Registration {
    /// The scaler creates a single-use JIT config per execution.
    Jit,
    /// The scaler passes a registration token in `RUNNER_TOKEN`; the image registers.
    Token,
    /// The image registers itself; the scaler passes only `RUNNER_NAME`.
    None,
}

/// The pool: what its runners look like and how far it may scale.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    /// Labels the runners register with and serve, lowercase, deduplicated.
    pub labels: Vec<String>,
    /// Runner group for JIT registration.
    pub group_id: u64,
    /// Prefix of the pool's runner names; runners without it are not ours.
    pub name_prefix: String,
    /// How long an execution may take to register its runner.
    pub boot_grace: Duration,
    /// How runners register.
    pub registration: Registration,
    /// The env var of the runner container that carries the JIT config.
    pub jitconfig_env: String,
    /// Cap on active executions.
    pub max_executions: u32,
    /// Cap on executions started per tick.
    pub max_starts_per_tick: u32,
    /// Cap on executions stopped per tick.
    pub max_stops_per_tick: u32,
    /// How long an execution whose runner finished may stay `Running` before it is stopped.
    pub finished_grace: Duration,
}

/// Azure side of the settings.
#[derive(Debug, Clone)]
pub struct AzureSettings {
    /// Subscription of the job.
    pub subscription_id: String,
    /// Resource group of the job.
    pub resource_group: String,
    /// The Container Apps job.
    pub job_name: String,
    /// The runner container; `None` = the job's first container.
    pub container_name: Option<String>,
    /// ARM base URL without a trailing slash.
    pub arm_url: Url,
    /// The audience ARM tokens are requested for (differs in sovereign clouds).
    pub audience: String,
    /// How to get ARM tokens.
    pub credential: AzureCredential,
}

/// How the scaler gets ARM tokens.
#[derive(Debug, Clone)]
pub enum AzureCredential {
    /// App Service / Functions managed identity endpoint.
    ManagedIdentity {
        /// `IDENTITY_ENDPOINT`.
        endpoint: Url,
        /// `IDENTITY_HEADER`.
        header: Secret,
        /// `AZURE_CLIENT_ID`: selects a user-assigned identity.
        client_id: Option<String>,
    },
    /// A service principal with a client secret (local runs, CI).
    ClientSecret {
        /// `AZURE_AUTHORITY_HOST`.
        authority: Url,
        /// `AZURE_TENANT_ID`.
        tenant_id: String,
        /// `AZURE_CLIENT_ID`.
        client_id: String,
        /// `AZURE_CLIENT_SECRET`.
        secret: Secret,
    },
}

/// Validated settings plus warnings that do not stop the scaler.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The settings.
    pub settings: Settings,
    /// Things worth fixing (misspelt settings, risky values).
    pub warnings: Vec<String>,
}

const DEFAULT_LABELS: &str = "self-hosted,linux,x64";
const DEFAULT_JITCONFIG_ENV: &str = "ACTIONS_RUNNER_INPUT_JITCONFIG";

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Loaded, SettingsErrors> {
        Self::from_vars(&std::env::vars().collect())
    }

    /// Reads settings from `vars` (environment-variable names and values).
    pub fn from_vars(vars: &BTreeMap<String, String>) -> Result<Loaded, SettingsErrors> {
        let mut r = Reader::new(vars);

        let github = read_github(&mut r);
        let azure = read_azure(&mut r);
        let pool = read_pool(&mut r, azure.as_ref().map(|a| a.job_name.as_str()));
        let warm = read_warm(
            &mut r,
            pool.as_ref().map_or(u32::MAX, |p| p.max_executions),
            github.as_ref().map(|g| g.scope),
        );
        let dry_run = r.flag("DRY_RUN", false);

        r.finish()?;
        let (Some(github), Some(azure), Some(pool)) = (github, azure, pool) else {
            // Each reader returns `None` only after recording why, so `finish` above has
            // already returned the errors.
            unreachable!("a settings section was missing without an error");
        };
        let settings = Settings {
            github,
            pool,
            azure,
            warm,
            dry_run,
        };
        let warnings = warnings(vars, &settings);
        Ok(Loaded { settings, warnings })
    }
}

fn read_github(r: &mut Reader) -> Option<GithubSettings> {
    let owner = r.required("GITHUB_OWNER", "the organization login, e.g. `octo-org`");
    if let Some(owner) = &owner {
        if !is_github_name(owner) {
            r.error(
                "GITHUB_OWNER",
                format!(
                    "{} is not a GitHub login (letters, digits, `-`)",
                    r.shown("GITHUB_OWNER", owner)
                ),
            );
        }
    }
    let repos = r.list("GITHUB_REPOS").map(|list| {
        list.into_iter()
            .map(|repo| strip_owner(r, owner.as_deref(), repo))
            .collect::<Vec<_>>()
    });
    if repos.as_ref().is_some_and(Vec::is_empty) {
        r.error(
            "GITHUB_REPOS",
            "lists no repository; unset it to scan every repository",
        );
    }
    let scope = r.choice(
        "GITHUB_RUNNER_SCOPE",
        RunnerScope::Org,
        &[("org", RunnerScope::Org), ("repo", RunnerScope::Repo)],
    );
    let auth = read_github_auth(r);
    let api_url = r.base_url("GITHUB_API_URL", "https://api.github.com", false);

    Some(GithubSettings {
        owner: owner?,
        repos,
        scope,
        auth: auth?,
        api_url: api_url?,
    })
}

/// `owner/name` is accepted when the owner is ours; the name alone is what the API paths need.
fn strip_owner(r: &mut Reader, owner: Option<&str>, repo: String) -> String {
    let name = match repo.split_once('/') {
        Some((repo_owner, name)) if owner.is_some_and(|o| o.eq_ignore_ascii_case(repo_owner)) => {
            name.to_owned()
        }
        Some(_) => {
            r.error(
                "GITHUB_REPOS",
                format!(
                    "{} belongs to another owner than GITHUB_OWNER; list names only",
                    quote(&repo)
                ),
            );
            return repo;
        }
        None => repo,
    };
    let valid = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        && name != "."
        && name != "..";
    if !valid {
        r.error(
            "GITHUB_REPOS",
            format!(
                "{} is not a repository name (letters, digits, `.`, `_`, `-`)",
                quote(&name)
            ),
        );
    }
    name
}

fn is_github_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn read_github_auth(r: &mut Reader) -> Option<GithubAuth> {
    let app_id = r.get("GITHUB_APP_ID");
    let key = r.secret("GITHUB_APP_PRIVATE_KEY");
    let installation_id =
        r.get("GITHUB_APP_INSTALLATION_ID")
            .and_then(|raw| match raw.parse::<u64>() {
                Ok(id) if id > 0 => Some(id),
                _ => {
                    let shown = r.shown("GITHUB_APP_INSTALLATION_ID", &raw);
                    r.error(
                        "GITHUB_APP_INSTALLATION_ID",
                        format!("{shown} is not an installation id (a positive whole number)"),
                    );
                    None
                }
            });
    let token = r.secret("GITHUB_TOKEN");

    let app_wanted = app_id.is_some() || key.is_some();
    match (app_wanted, token) {
        (true, Some(_)) => {
            r.error(
                "GITHUB_TOKEN",
                "is set together with GITHUB_APP_ID/GITHUB_APP_PRIVATE_KEY; set either the App \
                 settings or the token, not both",
            );
            None
        }
        (false, Some(token)) => Some(GithubAuth::Token(token)),
        (true, None) => {
            if app_id.is_none() && !r.has_errors_for(&["GITHUB_APP_ID"]) {
                r.error(
                    "GITHUB_APP_ID",
                    "is required with GITHUB_APP_PRIVATE_KEY: the App's id or client id",
                );
            }
            let key = match key {
                Some(key) => AppKey::parse(&key)
                    .map_err(|problem| r.error("GITHUB_APP_PRIVATE_KEY", problem))
                    .ok(),
                None if r.has_errors_for(&["GITHUB_APP_PRIVATE_KEY"]) => None,
                None => {
                    r.error(
                        "GITHUB_APP_PRIVATE_KEY",
                        "is required with GITHUB_APP_ID: the App's private key (PEM)",
                    );
                    None
                }
            };
            Some(GithubAuth::App {
                app_id: app_id?,
                key: key?,
                installation_id,
            })
        }
        (false, None) => {
            if !r.has_errors_for(&["GITHUB_APP_ID", "GITHUB_APP_PRIVATE_KEY", "GITHUB_TOKEN"]) {
                r.error(
                    "GITHUB_APP_ID",
                    "no GitHub credentials: set GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY (a GitHub \
                     App, recommended) or GITHUB_TOKEN",
                );
            }
            None
        }
    }
}

fn read_pool(r: &mut Reader, job_name: Option<&str>) -> Option<PoolSettings> {
    let labels = read_labels(r);
    let group_id = r.number("RUNNER_GROUP_ID", 1u64, 1..=u64::MAX);
    let name_prefix = match r.get("RUNNER_NAME_PREFIX") {
        Some(prefix) => Some(prefix),
        None => job_name.map(str::to_owned),
    };
    if let Some(prefix) = &name_prefix {
        // Runner names are limited to 64 characters; the scaler appends `-` and 8 characters.
        let valid = !prefix.is_empty()
            && prefix.len() <= 50
            && prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
        if !valid {
            r.error(
                "RUNNER_NAME_PREFIX",
                format!(
                    "{} is not a usable runner name prefix (1 to 50 letters, digits, `-`, `_`, \
                     `.`; the default is ACA_JOB_NAME)",
                    quote(prefix)
                ),
            );
        }
    }
    let boot_grace = r.number("RUNNER_BOOT_GRACE", 300i64, 10..=86_400);
    let registration = r.choice(
        "RUNNER_REGISTRATION",
        Registration::Jit,
        &[
            ("jit", Registration::Jit),
            ("token", Registration::Token),
            ("none", Registration::None),
        ],
    );
    let jitconfig_env = r
        .get("RUNNER_JITCONFIG_ENV")
        .unwrap_or_else(|| DEFAULT_JITCONFIG_ENV.to_owned());
    let env_name_ok = jitconfig_env
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && jitconfig_env
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !env_name_ok || jitconfig_env == "RUNNER_NAME" {
        r.error(
            "RUNNER_JITCONFIG_ENV",
            format!(
                "{} is not a usable environment variable name",
                quote(&jitconfig_env)
            ),
        );
    }
    let max_executions = r.number("MAX_EXECUTIONS", 10u32, 0..=1000);
    let max_starts_per_tick = r.number("MAX_STARTS_PER_TICK", 10u32, 0..=100);
    let max_stops_per_tick = r.number("MAX_STOPS_PER_TICK", 10u32, 0..=100);
    let finished_grace = r.number("FINISHED_GRACE", 120i64, 0..=86_400);

    Some(PoolSettings {
        labels: labels?,
        group_id,
        name_prefix: name_prefix?,
        boot_grace: Duration::seconds(boot_grace),
        registration,
        jitconfig_env,
        max_executions,
        max_starts_per_tick,
        max_stops_per_tick,
        finished_grace: Duration::seconds(finished_grace),
    })
}

/// The warm schedule; its own parser reports each rule's problems.
fn read_warm(r: &mut Reader, max_executions: u32, scope: Option<RunnerScope>) -> WarmSchedule {
    let Some(raw) = r.get("WARM_SCHEDULE") else {
        return WarmSchedule::none();
    };
    match WarmSchedule::parse(&raw, max_executions) {
        Ok(schedule) if !schedule.is_empty() && scope == Some(RunnerScope::Repo) => {
            r.error(
                "WARM_SCHEDULE",
                "needs GITHUB_RUNNER_SCOPE=org: a repository-scoped runner serves one \
                 repository, so there is no single place to keep runners warm",
            );
            WarmSchedule::none()
        }
        Ok(schedule) => schedule,
        Err(errors) => {
            for error in errors {
                let message = error.to_string();
                let problem = message.strip_prefix("WARM_SCHEDULE ").unwrap_or(&message);
                r.error("WARM_SCHEDULE", problem.to_owned());
            }
            WarmSchedule::none()
        }
    }
}

/// Labels compare case-insensitively on GitHub, so they are kept lowercase and deduplicated.
fn read_labels(r: &mut Reader) -> Option<Vec<String>> {
    let raw = r
        .list("RUNNER_LABELS")
        .unwrap_or_else(|| DEFAULT_LABELS.split(',').map(str::to_owned).collect());
    let mut labels: Vec<String> = Vec::new();
    for label in raw {
        if label.chars().any(char::is_whitespace) || label.len() > 256 {
            r.error(
                "RUNNER_LABELS",
                format!(
                    "{} is not a label: labels are comma-separated, without spaces",
                    quote(&label)
                ),
            );
            continue;
        }
        let label = label.to_lowercase();
        if !labels.contains(&label) {
            labels.push(label);
        }
    }
    // The JIT API takes 1 to 100 labels.
    if labels.is_empty() || labels.len() > 100 {
        r.error(
            "RUNNER_LABELS",
            "must list 1 to 100 labels, comma-separated",
        );
        return None;
    }
    Some(labels)
}

fn read_azure(r: &mut Reader) -> Option<AzureSettings> {
    let subscription_id = r.required("AZURE_SUBSCRIPTION_ID", "the subscription id of the job");
    let resource_group = r.required("AZURE_RESOURCE_GROUP", "the resource group of the job");
    let job_name = r.required("ACA_JOB_NAME", "the Container Apps job name");
    // ARM names of jobs and resource groups: `^[-\w\._\(\)]+$`.
    for (name, value) in [
        ("AZURE_SUBSCRIPTION_ID", &subscription_id),
        ("AZURE_RESOURCE_GROUP", &resource_group),
        ("ACA_JOB_NAME", &job_name),
    ] {
        if let Some(value) = value {
            if !value
                .chars()
                .all(|c| c.is_alphanumeric() || "-_.()".contains(c))
            {
                r.error(
                    name,
                    format!("{} has characters an ARM name cannot have", quote(value)),
                );
            }
        }
    }
    let container_name = r.get("ACA_CONTAINER_NAME");
    let arm_url = r.base_url(
        "AZURE_RESOURCE_MANAGER_URL",
        "https://management.azure.com",
        false,
    );
    let audience = r
        .base_url(
            "AZURE_RESOURCE_MANAGER_AUDIENCE",
            "https://management.azure.com",
            false,
        )
        .map(|url| url.as_str().trim_end_matches('/').to_owned());
    let credential = read_azure_credential(r);

    Some(AzureSettings {
        subscription_id: subscription_id?,
        resource_group: resource_group?,
        job_name: job_name?,
        container_name,
        arm_url: arm_url?,
        audience: audience?,
        credential: credential?,
    })
}

fn read_azure_credential(r: &mut Reader) -> Option<AzureCredential> {
    let client_id = r.get("AZURE_CLIENT_ID");
    let tenant_id = r.get("AZURE_TENANT_ID");
    let client_secret = r.secret("AZURE_CLIENT_SECRET");
    let endpoint_set = r.get("IDENTITY_ENDPOINT").is_some();

    // An explicit client secret wins: it is what a developer sets locally, while the identity
    // variables are set by the platform.
    if client_secret.is_some() || tenant_id.is_some() {
        match &tenant_id {
            None => r.error("AZURE_TENANT_ID", "is required with AZURE_CLIENT_SECRET"),
            // It becomes a path segment of the token URL.
            Some(tenant)
                if !tenant
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-.".contains(c)) =>
            {
                r.error(
                    "AZURE_TENANT_ID",
                    format!(
                        "{} is not a tenant id (a GUID or a domain name)",
                        quote(tenant)
                    ),
                );
            }
            Some(_) => {}
        }
        if client_id.is_none() {
            r.error(
                "AZURE_CLIENT_ID",
                "is required with AZURE_CLIENT_SECRET: the service principal's application id",
            );
        }
        if client_secret.is_none() {
            r.error("AZURE_CLIENT_SECRET", "is required with AZURE_TENANT_ID");
        }
        let authority = r.base_url(
            "AZURE_AUTHORITY_HOST",
            "https://login.microsoftonline.com",
            false,
        );
        return Some(AzureCredential::ClientSecret {
            authority: authority?,
            tenant_id: tenant_id?,
            client_id: client_id?,
            secret: client_secret?,
        });
    }

    if endpoint_set {
        // The platform's identity endpoint is a local address that may use plain http; the
        // `IDENTITY_HEADER` secret is what protects it.
        let endpoint = r.base_url("IDENTITY_ENDPOINT", "", true);
        let header = r.secret("IDENTITY_HEADER");
        if header.is_none() {
            r.error("IDENTITY_HEADER", "is required with IDENTITY_ENDPOINT (the platform sets both when the app has a managed identity)");
        }
        return Some(AzureCredential::ManagedIdentity {
            endpoint: endpoint?,
            header: header?,
            client_id,
        });
    }

    if !r.has_errors_for(&["IDENTITY_HEADER", "AZURE_CLIENT_SECRET", "AZURE_TENANT_ID"]) {
        r.error(
            "IDENTITY_ENDPOINT",
            "no Azure credential: enable a managed identity on the Function App (the platform then \
             sets IDENTITY_ENDPOINT and IDENTITY_HEADER), or set AZURE_TENANT_ID, AZURE_CLIENT_ID \
             and AZURE_CLIENT_SECRET",
        );
    }
    None
}

/// Warnings for variables that look like a misspelt setting; reported whether or not the
/// settings are valid (a misspelling often *is* why a required setting is missing).
pub fn misspellings(vars: &BTreeMap<String, String>) -> Vec<String> {
    vars.keys()
        .filter_map(|name| {
            spelling::probable_misspelling(name).map(|ours| {
                format!("{name} is not a setting of aca-runner-scaler; did you mean {ours}?")
            })
        })
        .collect()
}

fn warnings(vars: &BTreeMap<String, String>, settings: &Settings) -> Vec<String> {
    let mut warnings = misspellings(vars);
    let pool = &settings.pool;
    let unused_authority = vars
        .get("AZURE_AUTHORITY_HOST")
        .is_some_and(|v| !v.trim().is_empty())
        && matches!(
            settings.azure.credential,
            AzureCredential::ManagedIdentity { .. }
        );
    if unused_authority {
        warnings.push(
            "AZURE_AUTHORITY_HOST is set but unused: the managed identity is in use (it applies \
             to AZURE_CLIENT_SECRET only)"
                .to_owned(),
        );
    }
    if pool.registration == Registration::Token {
        warnings.push(
            "RUNNER_REGISTRATION is `token`: a registration token valid for an hour and for any \
             number of runners sits in each execution's environment, readable by anyone who can \
             read the job; `jit` gives each runner a single-use config instead"
                .to_owned(),
        );
    }
    if pool.max_executions == 0 || pool.max_starts_per_tick == 0 {
        warnings.push(
            "MAX_EXECUTIONS or MAX_STARTS_PER_TICK is 0: no execution will be started".to_owned(),
        );
    }
    if settings.github.scope == RunnerScope::Repo && settings.github.repos.is_none() {
        warnings.push(
            "GITHUB_RUNNER_SCOPE is `repo` without GITHUB_REPOS: every repository is scanned for \
             runners each tick, which costs API calls"
                .to_owned(),
        );
    }
    warnings
}

#[cfg(test)]
mod tests;
