//! The commands of the binary: `serve` (the custom handler), `reconcile` (one tick), `check`
//! (validate settings).

use std::io::IsTerminal;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use clap::{Parser, Subcommand};
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

use crate::clock::SystemClock;
use crate::host;
use crate::reconcile::{Scaler, TickOptions};
use crate::scaling::schedule::{WarmSchedule, render_transitions};
use crate::settings::{
    AzureCredential, GithubAuth, Loaded, Registration, RunnerScope, Settings, SettingsErrors,
};

/// Exit code: the tick observed what it needed / the settings are valid.
pub const EXIT_OK: u8 = 0;
/// Exit code: invalid settings (or another start-up failure).
pub const EXIT_INVALID: u8 = 1;
/// Exit code: a read failed during the tick.
pub const EXIT_READ_FAILED: u8 = 2;

/// Autoscaler for GitHub Actions runners on Azure Container Apps jobs.
#[derive(Debug, Parser)]
#[command(name = "aca-runner-scaler", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run as the Azure Functions custom handler on 127.0.0.1:$FUNCTIONS_CUSTOMHANDLER_PORT.
    Serve,
    /// Run one tick: the report as JSON on stdout, logs on stderr. Exit 0 when every read
    /// succeeded, 2 when a read failed, 1 on invalid settings.
    Reconcile {
        /// Plan without registering runners or starting executions.
        #[arg(long)]
        dry_run: bool,
    },
    /// Validate the settings and print what is in force.
    Check,
    /// Print the warm schedule's next changes (local time and UTC, the idle runners in force).
    /// Needs only WARM_SCHEDULE (and MAX_EXECUTIONS when idle counts exceed its default, 10).
    Schedule {
        /// How many changes to list.
        #[arg(long, default_value_t = 10)]
        count: usize,
        /// List from this instant (RFC 3339, e.g. 2026-03-27T00:00:00Z) instead of now.
        #[arg(long)]
        from: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// Run the real scaler against the built-in GitHub + Container Apps emulator: a simulated
    /// working day in seconds, no account, no network.
    Sandbox(crate::sandbox::SandboxOptions),
}

/// Runs a command and returns the process exit code.
pub async fn run(cli: Cli) -> u8 {
    match cli.command {
        Command::Serve => {
            init_tracing(LogTarget::Stdout, "json");
            serve().await
        }
        Command::Reconcile { dry_run } => {
            init_tracing(LogTarget::Stderr, "text");
            reconcile(dry_run).await
        }
        Command::Check => {
            init_tracing(LogTarget::Stderr, "text");
            check()
        }
        Command::Schedule { count, from } => schedule(count, from.unwrap_or_else(chrono::Utc::now)),
        Command::Sandbox(options) => {
            // The scaler's per-tick event would drown the sandbox's own tick lines.
            init_tracing_with(LogTarget::Stderr, "text", "warn");
            match crate::sandbox::run(options).await {
                Ok(_) => EXIT_OK,
                Err(e) => {
                    eprintln!("sandbox: {e:#}");
                    EXIT_INVALID
                }
            }
        }
    }
}

async fn serve() -> u8 {
    let port = match std::env::var("FUNCTIONS_CUSTOMHANDLER_PORT")
        .ok()
        .map(|p| p.trim().parse::<u16>())
    {
        Some(Ok(port)) => port,
        Some(Err(_)) => {
            tracing::error!("FUNCTIONS_CUSTOMHANDLER_PORT is not a port number");
            return EXIT_INVALID;
        }
        None => {
            tracing::error!(
                "FUNCTIONS_CUSTOMHANDLER_PORT is not set: `serve` is started by the Functions host, which sets it"
            );
            return EXIT_INVALID;
        }
    };
    // The host calls the handler on 127.0.0.1 only; nothing else should reach it.
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let listener = match TcpListener::bind(address).await {
        Ok(listener) => listener,
        Err(e) => {
            tracing::error!(%address, error = %e, "cannot listen");
            return EXIT_INVALID;
        }
    };

    let router = match load_settings(Problems::Log) {
        Ok(settings) => match Scaler::new(settings, Arc::new(SystemClock), None) {
            Ok(scaler) => {
                tracing::info!(%address, "handler listening");
                return match host::serve(listener, Arc::new(scaler), host::shutdown_signal()).await
                {
                    Ok(()) => EXIT_OK,
                    Err(e) => {
                        tracing::error!(error = %e, "handler failed");
                        EXIT_INVALID
                    }
                };
            }
            Err(e) => host::misconfigured_app(vec![format!("{e:#}")]),
        },
        Err(errors) => host::misconfigured_app(errors.0.iter().map(ToString::to_string).collect()),
    };
    // Exiting would make the host restart the handler in a loop and fail every invocation
    // with an opaque error; serving the problems keeps them in every invocation's log.
    tracing::error!(%address, "handler listening with invalid settings: every invocation fails until they are fixed");
    let served = axum::serve(listener, router)
        .with_graceful_shutdown(host::shutdown_signal())
        .await;
    if let Err(e) = served {
        tracing::error!(error = %e, "handler failed");
    }
    EXIT_INVALID
}

async fn reconcile(dry_run: bool) -> u8 {
    let settings = match load_settings(Problems::Print) {
        Ok(settings) => settings,
        Err(_) => return EXIT_INVALID,
    };
    let scaler = match Scaler::new(settings, Arc::new(SystemClock), None) {
        Ok(scaler) => scaler,
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "cannot start");
            return EXIT_INVALID;
        }
    };
    let report = scaler.tick(TickOptions { dry_run }).await;
    match serde_json::to_string_pretty(&report) {
        Ok(json) => println!("{json}"),
        Err(e) => {
            tracing::error!(error = %e, "cannot encode the report");
            return EXIT_INVALID;
        }
    }
    if report.ok { EXIT_OK } else { EXIT_READ_FAILED }
}

fn check() -> u8 {
    let Ok(settings) = load_settings(Problems::Print) else {
        return EXIT_INVALID;
    };
    println!("settings are valid");
    println!("  organization      {}", settings.github.owner);
    match &settings.github.repos {
        Some(repos) => println!("  repositories      {}", repos.join(", ")),
        None => println!("  repositories      every repository the credentials can see"),
    }
    println!(
        "  runner scope      {}",
        match settings.github.scope {
            RunnerScope::Org => "org (runners on the organization)",
            RunnerScope::Repo => "repo (runners per repository)",
        }
    );
    println!(
        "  GitHub auth       {}",
        match settings.github.auth {
            GithubAuth::App { .. } => "GitHub App",
            GithubAuth::Token(_) => "token",
        }
    );
    println!(
        "  GitHub API        {}",
        settings.github.api_url.as_str().trim_end_matches('/')
    );
    println!("  labels            {}", settings.pool.labels.join(", "));
    println!(
        "  runner names      {}-<8 characters>",
        settings.pool.name_prefix
    );
    println!(
        "  registration      {}",
        match settings.pool.registration {
            Registration::Jit => "jit (a single-use config per execution)",
            Registration::Token => "token (a registration token in RUNNER_TOKEN)",
            Registration::None => "none (the image registers itself as RUNNER_NAME)",
        }
    );
    println!(
        "  job               {}/{}/{}",
        settings.azure.subscription_id, settings.azure.resource_group, settings.azure.job_name
    );
    println!(
        "  ARM               {}",
        settings.azure.arm_url.as_str().trim_end_matches('/')
    );
    println!(
        "  Azure credential  {}",
        match settings.azure.credential {
            AzureCredential::ManagedIdentity { .. } => "managed identity",
            AzureCredential::ClientSecret { .. } => "service principal",
        }
    );
    println!(
        "  max executions    {} ({} starts per tick)",
        settings.pool.max_executions, settings.pool.max_starts_per_tick
    );
    let rules = settings.warm.rules();
    if rules.is_empty() {
        println!("  warm runners      none");
    } else {
        for rule in rules {
            println!(
                "  warm rule {}       {} idle from `{}` to `{}` ({})",
                rule.index, rule.idle, rule.start, rule.end, rule.timezone
            );
        }
    }
    println!("  dry run           {}", settings.dry_run);
    EXIT_OK
}

fn schedule(count: usize, from: chrono::DateTime<chrono::Utc>) -> u8 {
    let raw = std::env::var("WARM_SCHEDULE").unwrap_or_default();
    let max_executions = match std::env::var("MAX_EXECUTIONS") {
        Ok(value) => match value.trim().parse::<u32>() {
            Ok(max) => max,
            Err(_) => {
                eprintln!("MAX_EXECUTIONS: `{value}` is not a whole number");
                return EXIT_INVALID;
            }
        },
        Err(_) => 10,
    };
    if raw.trim().is_empty() {
        println!("WARM_SCHEDULE is not set: no idle runners are kept warm.");
        return EXIT_OK;
    }
    match WarmSchedule::parse(&raw, max_executions) {
        Ok(schedule) => {
            print!("{}", render_transitions(&schedule, from, count));
            EXIT_OK
        }
        Err(errors) => {
            for error in errors {
                eprintln!("{error}");
            }
            EXIT_INVALID
        }
    }
}

/// Where invalid settings are reported.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Problems {
    /// As error events (the handler: its log is what operators read).
    Log,
    /// As a plain list on stderr (commands run by a person).
    Print,
}

/// Loads the settings from the environment, reporting every problem and warning.
fn load_settings(problems: Problems) -> Result<Settings, SettingsErrors> {
    let vars = std::env::vars().collect();
    match Settings::from_vars(&vars) {
        Ok(Loaded { settings, warnings }) => {
            for warning in warnings {
                tracing::warn!(warning = %warning, "setting warning");
            }
            Ok(settings)
        }
        Err(errors) => {
            for warning in crate::settings::misspellings(&vars) {
                tracing::warn!(warning = %warning, "setting warning");
            }
            match problems {
                Problems::Log => {
                    for error in &errors.0 {
                        tracing::error!(setting = error.setting, problem = %error.problem, "invalid setting");
                    }
                }
                Problems::Print => eprintln!("{errors}"),
            }
            Err(errors)
        }
    }
}

#[derive(Clone, Copy)]
enum LogTarget {
    Stdout,
    Stderr,
}

/// Logs go to stdout when serving (the Functions host collects the handler's stdout) and to
/// stderr for commands whose stdout is their result. `LOG_FORMAT` = `json` or `text`;
/// `LOG_LEVEL` is a tracing filter (`info`, `debug`, `aca_runner_scaler=debug`).
fn init_tracing(target: LogTarget, default_format: &str) {
    init_tracing_with(target, default_format, "info");
}

fn init_tracing_with(target: LogTarget, default_format: &str, default_level: &str) {
    let format = std::env::var("LOG_FORMAT").unwrap_or_else(|_| default_format.to_owned());
    let level = std::env::var("LOG_LEVEL").unwrap_or_else(|_| default_level.to_owned());
    let (filter, bad_level) = match EnvFilter::try_new(&level) {
        Ok(filter) => (filter, false),
        Err(_) => (EnvFilter::new("info"), true),
    };
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let ansi = match target {
        LogTarget::Stdout => std::io::stdout().is_terminal(),
        LogTarget::Stderr => std::io::stderr().is_terminal(),
    };
    let json = !format.trim().eq_ignore_ascii_case("text");
    match (target, json) {
        (LogTarget::Stdout, true) => builder.json().with_writer(std::io::stdout).init(),
        (LogTarget::Stdout, false) => builder.with_ansi(ansi).with_writer(std::io::stdout).init(),
        (LogTarget::Stderr, true) => builder.json().with_writer(std::io::stderr).init(),
        (LogTarget::Stderr, false) => builder.with_ansi(ansi).with_writer(std::io::stderr).init(),
    }
    if bad_level {
        tracing::warn!("LOG_LEVEL is not a valid filter; using `info`");
    }
    if !["json", "text"].contains(&format.trim().to_ascii_lowercase().as_str()) {
        tracing::warn!("LOG_FORMAT is neither `json` nor `text`; using json");
    }
}
