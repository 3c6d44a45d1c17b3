//! The built-in working day: what a mid-sized organisation's CI asks for between morning and
//! evening, shaped to show a scaler's strong and weak moments.
//!
//! The day is laid out in fractions of its length, so a two-hour test day has the same shape as
//! the eight-hour default: a quiet morning, a morning burst, a 40-job test matrix, a calmer
//! midday with an approval-gated deployment, an afternoon burst and a quiet end. Through it run
//! jobs this pool cannot serve (`gpu`, GitHub-hosted `ubuntu-latest`) and Windows jobs that a
//! static host outside the pool takes. Arrivals stop a little before the end so the queue can
//! drain and the summary measures service, not truncation.

use chrono::Duration;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use super::{JobSpec, Workload};

/// Labels of the pool the day is written for (the scaler's default `RUNNER_LABELS`).
const POOL: &[&str] = &["self-hosted", "linux", "x64"];

/// Repositories with CI traffic, with weights for how often each gets a run.
const BUSY_REPOS: &[(&str, u32)] = &[("web", 5), ("api", 4), ("mobile", 2), ("infra", 1)];

/// Repositories the day leaves quiet; the scaler still has to look at them.
pub const QUIET_REPOS: &[&str] = &["handbook", "legacy-tools"];

/// Name and labels of the static Windows host outside the pool.
pub const STATIC_RUNNER: (&str, &[&str]) = ("static-win-01", &["self-hosted", "windows", "x64"]);

/// Builds the day for a simulation of `length`, with jitter drawn from `seed`.
pub fn default_day(seed: u64, length: Duration) -> Workload {
    let mut day = Day {
        rng: StdRng::seed_from_u64(seed),
        jobs: Vec::new(),
        next_run: 0,
    };
    let drain = Duration::minutes(30).min(length / 6);
    let window = (length - drain).num_seconds().max(60) as f64;
    let at = |fraction: f64| Duration::seconds((window * fraction) as i64);

    day.ci_runs(at(0.0), at(0.15), Duration::minutes(12), 2);
    day.ci_runs(at(0.15), at(0.35), Duration::minutes(2), 3);
    day.matrix(at(0.40), 40);
    day.ci_runs(at(0.35), at(0.65), Duration::minutes(6), 2);
    day.deployment(at(0.50), Duration::minutes(20).min(at(0.1)));
    day.ci_runs(at(0.65), at(0.85), Duration::seconds(150), 3);
    day.ci_runs(at(0.85), at(1.0), Duration::minutes(15), 1);

    for fraction in [0.20, 0.55, 0.80] {
        day.single(
            at(fraction),
            "ml-models",
            "Train",
            "train",
            &["self-hosted", "linux", "gpu"],
            20,
        );
    }
    for fraction in [0.10, 0.45, 0.70] {
        day.single(
            at(fraction),
            "docs",
            "Docs",
            "build-site",
            &["ubuntu-latest"],
            4,
        );
    }
    for fraction in [0.30, 0.60] {
        day.single(
            at(fraction),
            "mobile",
            "Windows build",
            "package",
            &["self-hosted", "windows"],
            8,
        );
    }
    Workload::new(day.jobs)
}

/// The day under construction.
struct Day {
    rng: StdRng,
    jobs: Vec<JobSpec>,
    next_run: u64,
}

impl Day {
    /// CI runs of `jobs_per_run` jobs (build, test, lint) from `from` to `until`, about one
    /// per `every` (jittered by ±50%).
    fn ci_runs(&mut self, from: Duration, until: Duration, every: Duration, jobs_per_run: usize) {
        const JOBS: &[(&str, i64, i64)] = &[("build", 3, 8), ("test", 5, 12), ("lint", 1, 3)];
        let mut at = from + self.jitter(every) / 2;
        while at < until {
            let repo = self.pick_repo();
            // Some workflows spell labels differently; GitHub matches them case-insensitively.
            let labels: Vec<String> = match self.rng.random_range(0..10) {
                0 => vec!["self-hosted".into()],
                1 | 2 => vec!["self-hosted".into(), "Linux".into(), "X64".into()],
                _ => POOL.iter().map(|l| l.to_string()).collect(),
            };
            let run = self.new_run();
            for &(name, min, max) in JOBS.iter().take(jobs_per_run) {
                let minutes = self.rng.random_range(min..=max);
                let seconds = self.rng.random_range(0..60);
                self.jobs.push(JobSpec {
                    at,
                    run,
                    repo: repo.to_owned(),
                    workflow: "CI".into(),
                    name: name.into(),
                    labels: labels.clone(),
                    duration: Duration::seconds(minutes * 60 + seconds),
                    approval: None,
                });
            }
            at += self.jitter(every);
        }
    }

    /// One run with `shards` test jobs queued at once.
    fn matrix(&mut self, at: Duration, shards: usize) {
        let run = self.new_run();
        for shard in 1..=shards {
            let seconds = self.rng.random_range(240..=540);
            self.jobs.push(JobSpec {
                at,
                run,
                repo: "api".into(),
                workflow: "Nightly matrix".into(),
                name: format!("test ({shard}/{shards})"),
                labels: POOL.iter().map(|l| l.to_string()).collect(),
                duration: Duration::seconds(seconds),
                approval: None,
            });
        }
    }

    /// A deployment run: a build queued at once, and a production job that waits `approval`
    /// for a reviewer before GitHub queues it.
    fn deployment(&mut self, at: Duration, approval: Duration) {
        let run = self.new_run();
        for (name, approval) in [("build", None), ("deploy-production", Some(approval))] {
            self.jobs.push(JobSpec {
                at,
                run,
                repo: "infra".into(),
                workflow: "Deploy".into(),
                name: name.into(),
                labels: vec!["self-hosted".into(), "linux".into()],
                duration: Duration::minutes(5),
                approval,
            });
        }
    }

    /// A run with a single job.
    fn single(
        &mut self,
        at: Duration,
        repo: &str,
        workflow: &str,
        name: &str,
        labels: &[&str],
        minutes: i64,
    ) {
        let run = self.new_run();
        self.jobs.push(JobSpec {
            at,
            run,
            repo: repo.into(),
            workflow: workflow.into(),
            name: name.into(),
            labels: labels.iter().map(|l| l.to_string()).collect(),
            duration: Duration::minutes(minutes),
            approval: None,
        });
    }

    fn new_run(&mut self) -> u64 {
        self.next_run += 1;
        self.next_run
    }

    fn pick_repo(&mut self) -> &'static str {
        let total: u32 = BUSY_REPOS.iter().map(|(_, w)| w).sum();
        let mut roll = self.rng.random_range(0..total);
        for (repo, weight) in BUSY_REPOS {
            if roll < *weight {
                return repo;
            }
            roll -= weight;
        }
        BUSY_REPOS[0].0
    }

    /// `every`, scaled by a factor between 0.5 and 1.5.
    fn jitter(&mut self, every: Duration) -> Duration {
        let factor = self.rng.random_range(50..=150);
        every * factor / 100
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_day_and_another_seed_another() {
        let a = default_day(1, Duration::hours(8));
        let b = default_day(1, Duration::hours(8));
        let c = default_day(2, Duration::hours(8));
        assert_eq!(a.jobs(), b.jobs());
        assert_ne!(a.jobs(), c.jobs());
    }

    #[test]
    fn the_day_has_every_ingredient_and_stops_arrivals_before_the_end() {
        let length = Duration::hours(8);
        let day = default_day(1, length);
        let jobs = day.jobs();
        let has = |label: &str| jobs.iter().any(|j| j.labels.iter().any(|l| l == label));

        assert!(
            jobs.len() > 200,
            "a working day has hundreds of jobs, got {}",
            jobs.len()
        );
        assert!(has("gpu") && has("ubuntu-latest") && has("windows"));
        assert_eq!(
            jobs.iter().filter(|j| j.name.starts_with("test (")).count(),
            40
        );
        assert_eq!(jobs.iter().filter(|j| j.approval.is_some()).count(), 1);
        assert!(day.repos().len() >= 6);
        assert!(jobs.iter().all(|j| j.at <= length - Duration::minutes(30)));
    }

    #[test]
    fn a_short_day_keeps_the_shape() {
        let day = default_day(1, Duration::hours(2));
        assert_eq!(
            day.jobs()
                .iter()
                .filter(|j| j.name.starts_with("test ("))
                .count(),
            40
        );
        assert!(day.jobs().iter().all(|j| j.at <= Duration::minutes(100)));
    }
}
