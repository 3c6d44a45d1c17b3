//! The sandbox's options, as a `clap::Args` struct the binary flattens into its `sandbox`
//! subcommand, and the human durations they take (`8h`, `90m`, `1h30m`, `45s`).

use std::path::PathBuf;

use chrono::{DateTime, Duration, TimeZone, Utc};

/// Options of `aca-runner-scaler sandbox`.
#[derive(Debug, Clone, clap::Args)]
pub struct SandboxOptions {
    /// How much virtual time to simulate: one timer tick per simulated minute.
    #[arg(long, default_value = "8h", value_parser = parse_duration)]
    pub duration: Duration,

    /// How long an execution takes from start until its runner registers with GitHub.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub boot_time: Duration,

    /// The Container Apps job's replica timeout: executions still running after it are
    /// stopped (a runner that never gets a job waits this long).
    #[arg(long, default_value = "1h", value_parser = parse_duration)]
    pub replica_timeout: Duration,

    /// Seed for everything random in the simulation: the same seed and workload give the same
    /// summary, byte for byte.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Replay jobs from a JSON-lines trace instead of the built-in working day, one job per
    /// line: {"queued_at": SECONDS, "labels": [...], "duration": SECONDS, "repo": "name"}.
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,

    /// Print the summary as JSON (and no per-tick lines).
    #[arg(long)]
    pub json: bool,

    /// The scaler's MAX_EXECUTIONS.
    #[arg(long, default_value_t = 20)]
    pub max_executions: u32,

    /// The scaler's MAX_STARTS_PER_TICK (its own default when not given).
    #[arg(long)]
    pub max_starts_per_tick: Option<u32>,

    /// The pool's labels, the scaler's RUNNER_LABELS (comma-separated).
    #[arg(long, default_value = "self-hosted,linux,x64", value_parser = parse_labels)]
    pub labels: String,

    /// Passed to the scaler as WARM_SCHEDULE, unchanged.
    #[arg(long, value_name = "JSON")]
    pub warm_schedule: Option<String>,

    /// The virtual instant the simulation starts at (RFC 3339).
    #[arg(long, value_name = "RFC3339", default_value = "2026-03-02T08:00:00Z")]
    pub start: DateTime<Utc>,
}

impl Default for SandboxOptions {
    /// The same values as the command line's defaults.
    fn default() -> Self {
        Self {
            duration: Duration::hours(8),
            boot_time: Duration::seconds(60),
            replica_timeout: Duration::hours(1),
            seed: 1,
            trace: None,
            json: false,
            max_executions: 20,
            max_starts_per_tick: None,
            labels: "self-hosted,linux,x64".into(),
            warm_schedule: None,
            start: Utc
                .with_ymd_and_hms(2026, 3, 2, 8, 0, 0)
                .single()
                .unwrap_or_default(),
        }
    }
}

impl SandboxOptions {
    /// The pool's labels as a list.
    pub fn label_list(&self) -> Vec<String> {
        self.labels
            .split(',')
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

/// Accepts a comma-separated list with at least one label.
pub fn parse_labels(text: &str) -> Result<String, String> {
    if text.split(',').any(|l| !l.trim().is_empty()) {
        Ok(text.to_owned())
    } else {
        Err("give at least one label, e.g. self-hosted,linux,x64".to_owned())
    }
}

/// Parses `8h`, `90m`, `45s`, `1h30m`, `2d` or plain seconds (`3600`).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let invalid = || format!("`{text}` is not a duration (examples: 8h, 90m, 1h30m, 45s)");
    if let Ok(seconds) = text.parse::<i64>() {
        return (seconds >= 0)
            .then(|| Duration::seconds(seconds))
            .ok_or_else(invalid);
    }
    let mut total = Duration::zero();
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let n: i64 = number.parse().map_err(|_| invalid())?;
        number.clear();
        total += match c {
            'd' => Duration::days(n),
            'h' => Duration::hours(n),
            'm' => Duration::minutes(n),
            's' => Duration::seconds(n),
            _ => return Err(invalid()),
        };
    }
    if !number.is_empty() || text.is_empty() {
        return Err(invalid());
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_the_way_people_write_them() {
        let cases: &[(&str, Option<i64>)] = &[
            ("8h", Some(8 * 3600)),
            ("90m", Some(90 * 60)),
            ("1h30m", Some(5400)),
            ("45s", Some(45)),
            ("2d", Some(2 * 86_400)),
            ("3600", Some(3600)),
            ("", None),
            ("h", None),
            ("10x", None),
            ("5h3", None),
            ("-5", None),
        ];
        for (text, expected) in cases {
            let parsed = parse_duration(text).ok().map(|d| d.num_seconds());
            assert_eq!(parsed, *expected, "{text:?}");
        }
    }

    #[test]
    fn labels_must_name_at_least_one() {
        assert!(parse_labels("self-hosted, linux").is_ok());
        assert!(parse_labels("").is_err());
        assert!(parse_labels(" , ").is_err());
    }

    #[test]
    fn the_defaults_match_the_command_line() {
        use clap::Parser;
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            options: SandboxOptions,
        }
        let parsed = Cli::parse_from(["sandbox"]).options;
        let default = SandboxOptions::default();
        assert_eq!(parsed.duration, default.duration);
        assert_eq!(parsed.boot_time, default.boot_time);
        assert_eq!(parsed.replica_timeout, default.replica_timeout);
        assert_eq!(parsed.seed, default.seed);
        assert_eq!(parsed.max_executions, default.max_executions);
        assert_eq!(parsed.labels, default.labels);
        assert_eq!(parsed.start, default.start);
    }
}
