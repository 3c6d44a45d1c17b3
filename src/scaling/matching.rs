//! Which queued jobs this pool's runners can take.
//!
//! GitHub routes a job to a self-hosted runner that carries every label in the job's `runs-on`
//! (compared case-insensitively). Every self-hosted runner carries `self-hosted`, so that label
//! is implicit in the pool.

use serde::Serialize;

/// Why a queued job is not this pool's demand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "labels")]
pub enum Mismatch {
    /// The job asks for no label: it targets a runner group, not labels.
    NoLabels,
    /// The job asks for labels the pool's runners do not carry.
    Unserved(Vec<String>),
}

/// The pool's labels, normalised for matching.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolLabels(Vec<String>);

impl PoolLabels {
    /// From the configured labels (`self-hosted` is added when missing).
    pub fn new(labels: &[String]) -> Self {
        let mut normalised: Vec<String> = labels.iter().map(|l| l.trim().to_lowercase()).collect();
        if !normalised.iter().any(|l| l == "self-hosted") {
            normalised.push("self-hosted".into());
        }
        normalised.dedup();
        Self(normalised)
    }

    /// The labels runners register with (`self-hosted` included, so jobs asking for it land).
    pub fn registered(&self) -> &[String] {
        &self.0
    }

    /// Whether a job with `job_labels` can run on the pool's runners, and if not, why.
    pub fn accepts(&self, job_labels: &[String]) -> Result<(), Mismatch> {
        let wanted: Vec<String> = job_labels
            .iter()
            .map(|l| l.trim().to_lowercase())
            .filter(|l| !l.is_empty())
            .collect();
        if wanted.is_empty() {
            return Err(Mismatch::NoLabels);
        }
        let missing: Vec<String> = wanted.into_iter().filter(|l| !self.0.contains(l)).collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(Mismatch::Unserved(missing))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn jobs_match_when_the_pool_has_every_label_they_ask_for() {
        let pool = PoolLabels::new(&labels(&["linux", "x64"]));
        let cases: &[(&[&str], Result<(), Mismatch>)] = &[
            (&["self-hosted", "Linux"], Ok(())),
            (&["linux"], Ok(())),
            (&["self-hosted"], Ok(())),
            (&[" X64 ", "LINUX"], Ok(())),
            (
                &["self-hosted", "linux", "x64", "gpu"],
                Err(Mismatch::Unserved(labels(&["gpu"]))),
            ),
            (
                &["ubuntu-latest"],
                Err(Mismatch::Unserved(labels(&["ubuntu-latest"]))),
            ),
            (&[], Err(Mismatch::NoLabels)),
            (&[""], Err(Mismatch::NoLabels)),
        ];
        for (job, expected) in cases {
            assert_eq!(&pool.accepts(&labels(job)), expected, "job labels {job:?}");
        }
    }

    #[test]
    fn github_hosted_labels_match_only_when_configured() {
        let pool = PoolLabels::new(&labels(&["ubuntu-latest"]));
        assert_eq!(pool.accepts(&labels(&["ubuntu-latest"])), Ok(()));
        assert_eq!(
            pool.registered(),
            &labels(&["ubuntu-latest", "self-hosted"])[..]
        );
    }
}
