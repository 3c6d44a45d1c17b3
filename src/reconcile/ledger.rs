//! Executions this process started recently, until ARM lists them.
//!
//! ARM's execution list is eventually consistent: an execution started a moment ago can be
//! missing from a listing made right after. A tick that ran then (an HTTP call right after the
//! timer, say) would see the demand but not the new execution, and start a second runner for
//! the same job. Merging recent starts into the observation closes that window.

use chrono::{DateTime, Duration, Utc};

use crate::azure::Execution;
use crate::github::Target;

/// How long a start is remembered without ARM listing it. Past this, the start is taken to have
/// failed silently and is forgotten.
const REMEMBER_FOR: Duration = Duration::minutes(3);

/// One remembered start.
#[derive(Debug, Clone)]
struct Start {
    execution: Option<String>,
    runner_name: String,
    target: Target,
    at: DateTime<Utc>,
}

/// Recent starts.
#[derive(Debug, Default)]
pub struct Ledger {
    starts: Vec<Start>,
}

impl Ledger {
    /// Remembers a start.
    pub fn record(
        &mut self,
        execution: Option<String>,
        runner_name: String,
        target: Target,
        at: DateTime<Utc>,
    ) {
        self.starts.push(Start {
            execution,
            runner_name,
            target,
            at,
        });
    }

    /// Adds the remembered starts ARM does not list yet to `listed`, and forgets the ones it
    /// lists or that are too old. Returns how many were added.
    pub fn merge_into(&mut self, listed: &mut Vec<Execution>, now: DateTime<Utc>) -> usize {
        self.starts.retain(|start| {
            let seen = listed
                .iter()
                .any(|e| e.runner_name.as_deref() == Some(start.runner_name.as_str()));
            !seen && now - start.at < REMEMBER_FOR
        });
        for start in &self.starts {
            listed.push(Execution {
                name: start
                    .execution
                    .clone()
                    .unwrap_or_else(|| format!("(starting {})", start.runner_name)),
                status: "Running".into(),
                start_time: Some(start.at),
                runner_name: Some(start.runner_name.clone()),
                repository: match &start.target {
                    Target::Repo(repo) => Some(repo.clone()),
                    Target::Org => None,
                },
                remembered: true,
            });
        }
        self.starts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_start_counts_until_arm_lists_it_or_it_is_too_old() {
        let t0 = Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 0).unwrap();
        let mut ledger = Ledger::default();
        ledger.record(Some("job-a".into()), "pool-a".into(), Target::Org, t0);
        ledger.record(None, "pool-b".into(), Target::Org, t0);

        let mut listed = Vec::new();
        assert_eq!(ledger.merge_into(&mut listed, t0 + Duration::seconds(5)), 2);
        assert_eq!(listed[0].name, "job-a");
        assert!(listed.iter().all(Execution::is_active));

        let mut listed = vec![Execution {
            name: "job-a".into(),
            status: "Running".into(),
            start_time: Some(t0),
            runner_name: Some("pool-a".into()),
            repository: None,
            remembered: false,
        }];
        assert_eq!(
            ledger.merge_into(&mut listed, t0 + Duration::seconds(60)),
            1
        );
        assert_eq!(listed.len(), 2);

        let mut listed = Vec::new();
        assert_eq!(ledger.merge_into(&mut listed, t0 + Duration::minutes(4)), 0);
        assert!(listed.is_empty());
    }
}
