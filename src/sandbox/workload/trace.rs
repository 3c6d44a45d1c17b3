//! Trace files: a workload as JSON lines, one job per line.
//!
//! ```text
//! {"queued_at": 0, "labels": ["self-hosted", "linux"], "duration": 300, "repo": "web"}
//! ```
//!
//! `queued_at` is seconds from the start of the simulation, `duration` seconds the job runs
//! once a runner has it, `labels` its `runs-on` (1 to 100 strings). Optional: `repo`
//! (default `app`; a name GitHub accepts: letters, digits, `-`, `_`, `.`, not `.` or `..`),
//! `run` (lines with the same string form one workflow run), `workflow` and `name` (display
//! names), `approval` (seconds the job waits for an environment approval before it is queued).
//! Blank lines and a UTF-8 byte order mark are skipped. Errors name the line and the field.

use std::collections::HashMap;
use std::path::Path;

use chrono::Duration;
use serde_json::{Map, Value};

use super::{DEFAULT_REPO, JobSpec, Workload};

const FIELDS: &[&str] = &[
    "queued_at",
    "labels",
    "duration",
    "repo",
    "run",
    "workflow",
    "name",
    "approval",
];

/// A trace that cannot be used, and where.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    /// The file could not be read.
    // The cause is the error's source, not part of this message: `{:#}` would print it twice.
    #[error("cannot read the trace file {path}")]
    Read {
        /// The path given.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// One line is wrong.
    #[error("trace line {line}: {message}")]
    Line {
        /// 1-based line number.
        line: usize,
        /// What is wrong, naming the field.
        message: String,
    },
    /// Nothing to simulate.
    #[error("the trace has no jobs (one JSON object per line expected)")]
    Empty,
}

/// Reads and parses the trace at `path`.
pub fn read_trace(path: &Path) -> Result<Workload, TraceError> {
    let text = std::fs::read_to_string(path).map_err(|source| TraceError::Read {
        path: path.display().to_string(),
        source,
    })?;
    parse_trace(&text)
}

/// Parses trace text.
pub fn parse_trace(text: &str) -> Result<Workload, TraceError> {
    // Editors on Windows start UTF-8 files with a byte order mark; it is not part of line 1.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut jobs = Vec::new();
    let mut runs = RunNumbers::default();
    for (index, raw) in text.lines().enumerate() {
        if raw.trim().is_empty() {
            continue;
        }
        let line = index + 1;
        let fail = |message: String| TraceError::Line { line, message };
        let value: Value =
            serde_json::from_str(raw).map_err(|e| fail(format!("is not valid JSON ({e})")))?;
        let Value::Object(fields) = value else {
            return Err(fail("must be a JSON object".into()));
        };
        let spec = parse_job(&fields, line, &mut runs).map_err(fail)?;
        jobs.push(spec);
    }
    if jobs.is_empty() {
        return Err(TraceError::Empty);
    }
    Ok(Workload::new(jobs))
}

fn parse_job(
    fields: &Map<String, Value>,
    line: usize,
    runs: &mut RunNumbers,
) -> Result<JobSpec, String> {
    if let Some(unknown) = fields.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(format!(
            "unknown field `{unknown}` (known fields: {})",
            FIELDS.join(", ")
        ));
    }
    let at = seconds(fields, "queued_at", true)?
        .ok_or("field `queued_at` is missing (seconds from the start)")?;
    let duration = seconds(fields, "duration", false)?
        .ok_or("field `duration` is missing (seconds the job runs)")?;
    let approval = seconds(fields, "approval", true)?;
    let labels = labels(fields)?;
    let repo = text(fields, "repo")?.unwrap_or_else(|| DEFAULT_REPO.to_owned());
    if !is_repository_name(&repo) {
        return Err(format!(
            "field `repo` must be a repository name (up to 100 letters, digits, `-`, `_`, `.`; \
             not `.` or `..`), got {repo:?}"
        ));
    }

    // Lines without a `run` each get their own run; named runs are shared.
    let run_key = text(fields, "run")?.unwrap_or_else(|| format!("\0line {line}"));
    Ok(JobSpec {
        at,
        run: runs.number(run_key),
        repo,
        workflow: text(fields, "workflow")?.unwrap_or_else(|| "Trace".to_owned()),
        name: text(fields, "name")?.unwrap_or_else(|| format!("job-{line}")),
        labels,
        duration,
        approval,
    })
}

/// Whether GitHub would accept `name` as a repository name: ASCII letters, digits, `-`, `_`
/// and `.`, at most 100 of them. `.` and `..` are reserved (they would walk up the API's URL
/// path: every call for such a repository would 404).
fn is_repository_name(name: &str) -> bool {
    name.len() <= 100
        && name != "."
        && name != ".."
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

/// Numbers runs 1, 2, 3… in the order their keys first appear. A map, not a list: a trace
/// of 100,000 single-job runs would otherwise take minutes to number.
#[derive(Default)]
struct RunNumbers {
    by_key: HashMap<String, u64>,
}

impl RunNumbers {
    fn number(&mut self, key: String) -> u64 {
        let next = self.by_key.len() as u64 + 1;
        *self.by_key.entry(key).or_insert(next)
    }
}

/// A number of seconds; `zero_ok` says whether 0 is allowed. Fractions are rounded: GitHub's
/// timestamps have whole seconds.
fn seconds(
    fields: &Map<String, Value>,
    name: &str,
    zero_ok: bool,
) -> Result<Option<Duration>, String> {
    let Some(value) = fields.get(name) else {
        return Ok(None);
    };
    let bound = if zero_ok { "≥ 0" } else { "> 0" };
    let number = value
        .as_f64()
        .filter(|n| n.is_finite() && (*n > 0.0 || (zero_ok && *n == 0.0)))
        .filter(|n| *n < 365.0 * 86_400.0)
        .ok_or_else(|| {
            format!(
                "field `{name}` must be a number of seconds {bound} (and under a year), got {value}"
            )
        })?;
    Ok(Some(Duration::seconds(number.round() as i64)))
}

fn labels(fields: &Map<String, Value>) -> Result<Vec<String>, String> {
    let value = fields.get("labels").ok_or(
        "field `labels` is missing (the job's runs-on labels, e.g. [\"self-hosted\", \"linux\"])",
    )?;
    let list = value
        .as_array()
        .ok_or_else(|| format!("field `labels` must be an array of strings, got {value}"))?;
    if list.is_empty() || list.len() > 100 {
        return Err(format!(
            "field `labels` must hold 1 to 100 labels, got {}",
            list.len()
        ));
    }
    list.iter()
        .map(|l| match l.as_str().map(str::trim) {
            Some(label) if !label.is_empty() => Ok(label.to_owned()),
            _ => Err(format!(
                "field `labels` must hold non-empty strings, got {l}"
            )),
        })
        .collect()
}

fn text(fields: &Map<String, Value>, name: &str) -> Result<Option<String>, String> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.trim().to_owned())),
        Some(other) => Err(format!(
            "field `{name}` must be a non-empty string, got {other}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_trace_becomes_jobs_in_arrival_order() {
        let text = r#"
{"queued_at": 60, "labels": ["self-hosted", "linux"], "duration": 300, "repo": "web"}
{"queued_at": 0, "labels": ["gpu"], "duration": 90.4}
{"queued_at": 0, "labels": ["linux"], "duration": 60, "run": "m", "approval": 120}
{"queued_at": 0, "labels": ["linux"], "duration": 60, "run": "m"}
"#;
        let workload = parse_trace(text).unwrap();
        let jobs = workload.jobs();
        assert_eq!(jobs.len(), 4);
        assert_eq!(jobs[0].repo, DEFAULT_REPO);
        assert_eq!(jobs[0].duration, Duration::seconds(90));
        assert_eq!(
            jobs[1].run, jobs[2].run,
            "lines naming the same run share it"
        );
        assert_ne!(jobs[0].run, jobs[1].run);
        let runs: Vec<u64> = jobs.iter().map(|j| j.run).collect();
        assert_eq!(
            runs,
            [2, 3, 3, 1],
            "runs numbered in order of first appearance"
        );
        assert_eq!(jobs[1].approval, Some(Duration::seconds(120)));
        assert_eq!(jobs[3].at, Duration::seconds(60));
        assert_eq!(jobs[3].repo, "web");
    }

    #[test]
    fn bad_lines_are_reported_with_their_line_number_and_field() {
        let good = r#"{"queued_at": 0, "labels": ["linux"], "duration": 60}"#;
        let cases: &[(&str, &str)] = &[
            ("{not json", "trace line 2: is not valid JSON"),
            ("[1, 2]", "trace line 2: must be a JSON object"),
            (
                r#"{"labels": ["a"], "duration": 1}"#,
                "trace line 2: field `queued_at` is missing",
            ),
            (
                r#"{"queued_at": -5, "labels": ["a"], "duration": 1}"#,
                "trace line 2: field `queued_at` must be a number",
            ),
            (
                r#"{"queued_at": 0, "labels": ["a"], "duration": 0}"#,
                "trace line 2: field `duration` must be a number of seconds > 0",
            ),
            (
                r#"{"queued_at": 0, "labels": [], "duration": 1}"#,
                "trace line 2: field `labels` must hold 1 to 100 labels",
            ),
            (
                r#"{"queued_at": 0, "labels": "linux", "duration": 1}"#,
                "trace line 2: field `labels` must be an array",
            ),
            (
                r#"{"queued_at": 0, "labels": [""], "duration": 1}"#,
                "trace line 2: field `labels` must hold non-empty strings",
            ),
            (
                r#"{"queued_at": 0, "labels": ["a"], "duration": 1, "repo": "a/b"}"#,
                "trace line 2: field `repo` must be a repository name",
            ),
            (
                r#"{"queued_at": 0, "labels": ["a"], "duration": 1, "repo": "."}"#,
                "trace line 2: field `repo` must be a repository name",
            ),
            (
                r#"{"queued_at": 0, "labels": ["a"], "duration": 1, "repo": ".."}"#,
                "trace line 2: field `repo` must be a repository name",
            ),
            (
                r#"{"queued_at": 0, "labels": ["a"], "duration": 1, "repo": "web app"}"#,
                "trace line 2: field `repo` must be a repository name",
            ),
            (
                r#"{"queued_at": 0, "labels": ["a"], "duration": 1, "repo": "wéb"}"#,
                "trace line 2: field `repo` must be a repository name",
            ),
            (
                r#"{"queued_at": 0, "labels": ["a"], "duration": 1, "durration": 1}"#,
                "trace line 2: unknown field `durration`",
            ),
        ];
        for (line, expected) in cases {
            let text = format!("{good}\n{line}\n");
            let error = parse_trace(&text).unwrap_err().to_string();
            assert!(error.starts_with(expected), "{line}: got {error}");
        }
    }

    /// Parsing is linear in the lines. Numbering runs with a list search made this take 26 s
    /// in a release build; it takes about 0.2 s there now, and about 1 s in a debug build,
    /// so the bound leaves room for a slow machine.
    #[test]
    fn a_hundred_thousand_line_trace_parses_in_seconds_not_minutes() {
        let line = |n: usize| {
            format!(
                r#"{{"queued_at": {}, "labels": ["self-hosted", "linux"], "duration": 300, "repo": "web"}}"#,
                n % 28_800
            )
        };
        let text: String = (0..100_000).map(|n| line(n) + "\n").collect();

        let started = std::time::Instant::now();
        let workload = parse_trace(&text).unwrap();
        let elapsed = started.elapsed();

        println!("100,000-line trace parsed in {elapsed:?}");
        assert_eq!(workload.jobs().len(), 100_000);
        assert!(
            elapsed < std::time::Duration::from_secs(10),
            "took {elapsed:?}"
        );
    }

    #[test]
    fn repository_names_github_accepts_are_accepted() {
        let good = [
            "web",
            ".github",
            "a.b",
            "my_repo-2",
            "...",
            "_",
            &"r".repeat(100),
        ];
        let bad = [".", "..", "a/b", "a b", "wéb", "a%2e", &"r".repeat(101)];
        for name in good {
            assert!(is_repository_name(name), "{name:?} is a repository name");
        }
        for name in bad {
            assert!(
                !is_repository_name(name),
                "{name:?} is not a repository name"
            );
        }
    }

    #[test]
    fn a_byte_order_mark_before_the_first_line_is_ignored() {
        let text = "\u{feff}{\"queued_at\": 0, \"labels\": [\"linux\"], \"duration\": 60}\n";
        let workload = parse_trace(text).unwrap();
        assert_eq!(workload.jobs().len(), 1);
    }

    #[test]
    fn a_missing_file_is_reported_with_its_cause_once() {
        let path = Path::new("/nonexistent/sandbox-trace.jsonl");
        let error = anyhow::Error::new(read_trace(path).unwrap_err());
        let message = format!("{error:#}");
        assert!(
            message.starts_with("cannot read the trace file /nonexistent/sandbox-trace.jsonl: "),
            "{message}"
        );
        assert_eq!(message.matches("os error 2").count(), 1, "{message}");
    }

    #[test]
    fn an_empty_trace_is_refused() {
        assert!(matches!(parse_trace("\n\n"), Err(TraceError::Empty)));
    }
}
