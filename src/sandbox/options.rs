//! The sandbox's options, as a `clap::Args` struct the binary flattens into its `sandbox`
//! subcommand, and the human durations they take (`8h`, `90m`, `1h30m`, `45s`).

use std::path::PathBuf;

use chrono::{DateTime, Duration, TimeZone, Utc};

/// Options of `aca-runner-scaler sandbox`.
#[derive(Debug, Clone, clap::Args)]
pub struct SandboxOptions {
    /// How much virtual time to simulate, in whole minutes (one timer tick per simulated
    /// minute), from 1m to 7d.
    #[arg(long, default_value = "8h", value_parser = parse_length)]
    pub duration: Duration,

    /// How long an execution takes from start until its runner registers with GitHub (at
    /// most 7d).
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub boot_time: Duration,

    /// The scaler's RUNNER_BOOT_GRACE: how long it lets a started execution's runner take to
    /// register before it counts the execution as lost and stops it. Default: 5m (the
    /// scaler's default), or --boot-time plus 1m when that is longer, up to 1d (the scaler's
    /// limit). Set it below --boot-time to see what a too-short grace does.
    #[arg(long, value_parser = parse_duration)]
    pub boot_grace: Option<Duration>,

    /// The Container Apps job's replica timeout: executions still running after it are
    /// stopped (a runner that never gets a job waits this long). At most 7d.
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

    /// The virtual instant the simulation starts at (RFC 3339, any offset). Times are shown in
    /// UTC, marked `Z`.
    #[arg(long, value_name = "RFC3339", default_value = "2026-03-02T08:00:00Z")]
    pub start: DateTime<Utc>,
}

impl Default for SandboxOptions {
    /// The same values as the command line's defaults.
    fn default() -> Self {
        Self {
            duration: Duration::hours(8),
            boot_time: Duration::seconds(60),
            boot_grace: None,
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
    /// What the command line's parsers would refuse, for options built in code: the first
    /// problem, naming its option.
    pub fn check(&self) -> Result<(), String> {
        check_length(self.duration).map_err(|e| format!("--duration {e}"))?;
        for (option, span) in [
            ("--boot-time", self.boot_time),
            ("--replica-timeout", self.replica_timeout),
        ] {
            if span < Duration::zero() || span > LONGEST {
                return Err(format!("{option} {}", longer_than_a_week()));
            }
        }
        Ok(())
    }

    /// The RUNNER_BOOT_GRACE the scaler gets: `--boot-grace`, or the default its help states.
    pub fn boot_grace(&self) -> Duration {
        self.boot_grace.unwrap_or_else(|| {
            (self.boot_time + Duration::minutes(1)).clamp(SCALER_BOOT_GRACE, LONGEST_BOOT_GRACE)
        })
    }

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

/// The scaler's own RUNNER_BOOT_GRACE when none is set (a test in the driver keeps the two
/// equal).
pub const SCALER_BOOT_GRACE: Duration = Duration::minutes(5);

/// The longest RUNNER_BOOT_GRACE the scaler accepts.
const LONGEST_BOOT_GRACE: Duration = Duration::days(1);

/// The longest a simulation may run: a week is 10,080 ticks, about 75 s on two cores.
/// It bounds every duration option: a boot or a timeout longer than the run never happens.
pub const LONGEST: Duration = Duration::days(7);

/// Parses `--duration`: a [`parse_duration`] that [`check_length`] accepts.
pub fn parse_length(text: &str) -> Result<Duration, String> {
    let length = parse_duration(text)?;
    check_length(length)?;
    Ok(length)
}

/// A simulation runs whole ticks, one per simulated minute, for at most [`LONGEST`]. The
/// message says what is wrong with the value; the caller names the option.
pub fn check_length(length: Duration) -> Result<(), String> {
    if length < Duration::minutes(1) {
        return Err("must be at least 1m (one tick per simulated minute)".into());
    }
    if length > LONGEST {
        return Err(longer_than_a_week());
    }
    if length.num_seconds() % 60 != 0 {
        let minutes = length.num_minutes();
        return Err(format!(
            "must be whole minutes (one tick per simulated minute), e.g. {minutes}m or {}m",
            minutes + 1
        ));
    }
    Ok(())
}

fn longer_than_a_week() -> String {
    "must be at most 7d, the longest the sandbox simulates".into()
}

/// Parses `8h`, `90m`, `45s`, `1h30m`, `2d` or plain seconds (`3600`), up to [`LONGEST`].
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let invalid = || format!("`{text}` is not a duration (examples: 8h, 90m, 1h30m, 45s)");
    let total = if let Ok(seconds) = text.parse::<i64>() {
        if seconds < 0 {
            return Err(invalid());
        }
        Duration::try_seconds(seconds)
    } else {
        if text.is_empty() {
            return Err(invalid());
        }
        let mut total = Some(Duration::zero());
        let mut number = String::new();
        for c in text.chars() {
            if c.is_ascii_digit() {
                number.push(c);
                continue;
            }
            let n: i64 = number.parse().map_err(|_| invalid())?;
            number.clear();
            let part = match c {
                'd' => Duration::try_days(n),
                'h' => Duration::try_hours(n),
                'm' => Duration::try_minutes(n),
                's' => Duration::try_seconds(n),
                _ => return Err(invalid()),
            };
            // `None` from here on: a number beyond chrono's range, so beyond the limit too.
            total = total.zip(part).and_then(|(t, p)| t.checked_add(&p));
        }
        if !number.is_empty() {
            return Err(invalid());
        }
        total
    };
    total
        .filter(|d| *d <= LONGEST)
        .ok_or_else(longer_than_a_week)
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
            ("7d", Some(7 * 86_400)),
            ("7d1s", None),
            ("604801", None),
            ("999999h", None),
            ("99999999999999h", None),
            ("9223372036854775807s", None),
            ("9223372036854775807", None),
        ];
        for (text, expected) in cases {
            let parsed = parse_duration(text).ok().map(|d| d.num_seconds());
            assert_eq!(parsed, *expected, "{text:?}");
        }
    }

    #[test]
    fn a_run_lasts_whole_minutes_from_one_minute_to_a_week() {
        let cases: &[(&str, Result<i64, &str>)] = &[
            ("1m", Ok(60)),
            ("8h", Ok(28_800)),
            ("7d", Ok(604_800)),
            ("120", Ok(120)),
            ("0", Err("must be at least 1m")),
            ("59s", Err("must be at least 1m")),
            (
                "119s",
                Err("must be whole minutes (one tick per simulated minute), e.g. 1m or 2m"),
            ),
            ("999999h", Err("must be at most 7d")),
            ("7d1m", Err("must be at most 7d")),
        ];
        for (text, expected) in cases {
            match (parse_length(text), expected) {
                (Ok(length), Ok(seconds)) => assert_eq!(length.num_seconds(), *seconds, "{text}"),
                (Err(error), Err(start)) => assert!(error.starts_with(start), "{text}: {error}"),
                (got, _) => panic!("{text}: got {got:?}, expected {expected:?}"),
            }
        }
    }

    #[test]
    fn options_built_in_code_are_checked_like_the_command_line() {
        let cases = [
            (SandboxOptions::default(), None),
            (
                SandboxOptions {
                    duration: Duration::seconds(119),
                    ..SandboxOptions::default()
                },
                Some("--duration must be whole minutes"),
            ),
            (
                SandboxOptions {
                    duration: Duration::days(8),
                    ..SandboxOptions::default()
                },
                Some("--duration must be at most 7d"),
            ),
            (
                SandboxOptions {
                    replica_timeout: Duration::days(1_000),
                    ..SandboxOptions::default()
                },
                Some("--replica-timeout must be at most 7d"),
            ),
        ];
        for (options, expected) in cases {
            match (options.check(), expected) {
                (Ok(()), None) => {}
                (Err(error), Some(start)) => assert!(error.starts_with(start), "{error}"),
                (got, _) => panic!("got {got:?}, expected {expected:?}"),
            }
        }
    }

    #[test]
    fn the_boot_grace_is_the_one_asked_for_or_covers_the_boot_time() {
        let cases = [
            ("default boot", Duration::seconds(60), None, 300),
            ("boot of 4m", Duration::minutes(4), None, 300),
            ("boot of 6m", Duration::minutes(6), None, 420),
            ("boot of 2d", Duration::days(2), None, 86_400),
            (
                "asked for",
                Duration::minutes(6),
                Some(Duration::minutes(5)),
                300,
            ),
            (
                "asked for",
                Duration::seconds(60),
                Some(Duration::seconds(30)),
                30,
            ),
        ];
        for (name, boot_time, boot_grace, seconds) in cases {
            let options = SandboxOptions {
                boot_time,
                boot_grace,
                ..SandboxOptions::default()
            };
            assert_eq!(options.boot_grace().num_seconds(), seconds, "{name}");
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
        assert_eq!(parsed.boot_grace, default.boot_grace);
        assert_eq!(parsed.replica_timeout, default.replica_timeout);
        assert_eq!(parsed.seed, default.seed);
        assert_eq!(parsed.max_executions, default.max_executions);
        assert_eq!(parsed.labels, default.labels);
        assert_eq!(parsed.start, default.start);
    }
}
