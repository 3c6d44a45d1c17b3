//! How GitHub decides that a runner may take a job.

/// Labels GitHub gives every self-hosted runner itself; it lists them as `read-only`.
const DEFAULT_LABELS: &[&str] = &[
    "self-hosted",
    "linux",
    "windows",
    "macos",
    "x64",
    "arm",
    "arm64",
];

/// Whether `label` is one GitHub adds by itself (listed as `read-only`).
pub fn is_default(label: &str) -> bool {
    DEFAULT_LABELS
        .iter()
        .any(|d| d.eq_ignore_ascii_case(label.trim()))
}

/// Whether a runner with `runner_labels` may take a job asking for `job_labels`: every label
/// the job asks for is among the runner's, compared trimmed and case-insensitively. Every
/// runner here is self-hosted, so `self-hosted` always matches. A job that asks for nothing is
/// a runner-group job, which no runner in this model takes.
pub fn satisfies<'a>(job_labels: &[String], runner_labels: impl Iterator<Item = &'a str>) -> bool {
    let runner: Vec<&str> = runner_labels.map(str::trim).collect();
    !job_labels.is_empty()
        && job_labels.iter().map(|l| l.trim()).all(|wanted| {
            wanted.eq_ignore_ascii_case("self-hosted")
                || runner.iter().any(|have| have.eq_ignore_ascii_case(wanted))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_job_matches_when_every_label_it_asks_for_is_served() {
        let pool = ["self-hosted", "linux", "x64"];
        let cases: &[(&str, &[&str], bool)] = &[
            ("the exact set", &["self-hosted", "linux", "x64"], true),
            ("a subset", &["linux"], true),
            ("another case and spacing", &[" Linux ", "X64"], true),
            ("self-hosted alone", &["self-hosted"], true),
            ("one label too many", &["self-hosted", "gpu"], false),
            ("a GitHub-hosted label", &["ubuntu-latest"], false),
            ("no labels at all (a runner-group job)", &[], false),
        ];
        for (name, job, expected) in cases {
            assert_eq!(
                satisfies(&labels(job), pool.iter().copied()),
                *expected,
                "{name}"
            );
        }
    }

    #[test]
    fn default_labels_are_recognised_whatever_their_case() {
        assert!(is_default("Self-Hosted"));
        assert!(is_default("X64"));
        assert!(!is_default("gpu"));
    }
}
