//! Every setting the scaler reads: the public interface of the product.
//!
//! One list serves three purposes: the misspelling check (a variable that looks like one of these
//! but is not gets a warning), redaction (secret settings never have their value echoed), and the
//! `check` command's overview.

/// One setting the scaler reads from the environment (app settings on Azure).
#[derive(Debug, Clone, Copy)]
pub struct SettingInfo {
    /// Environment variable name.
    pub name: &'static str,
    /// Whether its value is secret (never echoed in an error or a report).
    pub secret: bool,
    /// One line: what it means and what it accepts.
    pub meaning: &'static str,
}

const fn setting(name: &'static str, meaning: &'static str) -> SettingInfo {
    SettingInfo {
        name,
        secret: false,
        meaning,
    }
}

const fn secret(name: &'static str, meaning: &'static str) -> SettingInfo {
    SettingInfo {
        name,
        secret: true,
        meaning,
    }
}

/// All settings, in the order the README documents them.
pub const SETTINGS: &[SettingInfo] = &[
    setting("GITHUB_OWNER", "organization login (required)"),
    setting(
        "GITHUB_REPOS",
        "comma list of repository names; unset = every repository the credentials can see",
    ),
    setting("GITHUB_RUNNER_SCOPE", "`org` (default) or `repo`"),
    setting("GITHUB_APP_ID", "GitHub App id or client id"),
    secret("GITHUB_APP_PRIVATE_KEY", "GitHub App private key (PEM)"),
    setting(
        "GITHUB_APP_INSTALLATION_ID",
        "installation id; unset = discovered from the owner",
    ),
    secret("GITHUB_TOKEN", "token auth instead of an App"),
    setting("GITHUB_API_URL", "default https://api.github.com"),
    setting("RUNNER_LABELS", "comma list, default self-hosted,linux,x64"),
    setting(
        "RUNNER_GROUP_ID",
        "runner group for JIT registration, default 1",
    ),
    setting(
        "RUNNER_NAME_PREFIX",
        "prefix of the pool's runner names, default the job name",
    ),
    setting(
        "RUNNER_BOOT_GRACE",
        "seconds an execution may take to register, default 300",
    ),
    setting("RUNNER_REGISTRATION", "`jit` (default), `token` or `none`"),
    setting(
        "RUNNER_JITCONFIG_ENV",
        "env var carrying the JIT config, default ACTIONS_RUNNER_INPUT_JITCONFIG",
    ),
    setting(
        "AZURE_SUBSCRIPTION_ID",
        "subscription of the Container Apps job (required)",
    ),
    setting(
        "AZURE_RESOURCE_GROUP",
        "resource group of the job (required)",
    ),
    setting("ACA_JOB_NAME", "the Container Apps job (required)"),
    setting(
        "ACA_CONTAINER_NAME",
        "the job's runner container, default its first container",
    ),
    setting(
        "AZURE_RESOURCE_MANAGER_URL",
        "default https://management.azure.com",
    ),
    setting(
        "AZURE_RESOURCE_MANAGER_AUDIENCE",
        "token audience for ARM, default https://management.azure.com",
    ),
    setting(
        "IDENTITY_ENDPOINT",
        "managed identity endpoint (set by the platform)",
    ),
    secret(
        "IDENTITY_HEADER",
        "managed identity header (set by the platform)",
    ),
    setting(
        "AZURE_CLIENT_ID",
        "user-assigned identity, or the service principal",
    ),
    setting("AZURE_TENANT_ID", "service principal tenant"),
    secret("AZURE_CLIENT_SECRET", "service principal secret"),
    setting(
        "AZURE_AUTHORITY_HOST",
        "default https://login.microsoftonline.com",
    ),
    setting("MAX_EXECUTIONS", "cap on active executions, default 10"),
    setting("MAX_STARTS_PER_TICK", "default 10"),
    setting("MAX_STOPS_PER_TICK", "default 10"),
    setting("WARM_SCHEDULE", "JSON array of warm-runner rules"),
    setting(
        "FINISHED_GRACE",
        "seconds a finished execution may stay Running, default 120",
    ),
    setting("DRY_RUN", "`true` plans without acting, default false"),
    setting("LOG_FORMAT", "`json` (default) or `text`"),
    setting("LOG_LEVEL", "tracing filter, default info"),
];

/// The entry for `name`, if it is one of ours.
pub fn find(name: &str) -> Option<&'static SettingInfo> {
    SETTINGS.iter().find(|s| s.name == name)
}

/// Whether `name`'s value must never be echoed.
pub fn is_secret(name: &str) -> bool {
    find(name).is_some_and(|s| s.secret)
}
