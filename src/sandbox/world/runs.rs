//! Workflow runs as GitHub derives them from their jobs, and the lag of run listings.

use chrono::{DateTime, Utc};

use super::model::{Conclusion, JobStatus, Run, RunStatus};
use super::{LISTING_LAG, World};

impl World {
    /// Re-derives a run's status from its jobs, as GitHub does, remembering the old status for
    /// the listing lag.
    pub(super) fn refresh_run(&mut self, run_id: u64) {
        let now = self.now();
        let Some(run) = self.runs.get(&run_id) else {
            return;
        };
        let statuses: Vec<(JobStatus, Option<Conclusion>)> = run
            .jobs
            .iter()
            .filter_map(|id| self.jobs.get(id))
            .map(|j| (j.status, j.conclusion))
            .collect();
        let (status, conclusion) = derive_run_status(&statuses);
        let Some(run) = self.runs.get_mut(&run_id) else {
            return;
        };
        run.updated_at = now;
        run.conclusion = conclusion;
        if status != run.status {
            run.previous = Some((run.status, now));
            run.status = status;
        }
    }
}

/// A run's status and conclusion from its jobs': completed when all are; in progress when one
/// runs or when some are done and others still wait; waiting when a job awaits approval and
/// none runs; queued while every job is.
pub fn derive_run_status(
    jobs: &[(JobStatus, Option<Conclusion>)],
) -> (RunStatus, Option<Conclusion>) {
    let all = |s: JobStatus| jobs.iter().all(|(j, _)| *j == s);
    let any = |s: JobStatus| jobs.iter().any(|(j, _)| *j == s);
    if !jobs.is_empty() && all(JobStatus::Completed) {
        let concluded = |c: Conclusion| jobs.iter().any(|(_, j)| *j == Some(c));
        let conclusion = if concluded(Conclusion::Failure) {
            Conclusion::Failure
        } else if concluded(Conclusion::Cancelled) {
            Conclusion::Cancelled
        } else {
            Conclusion::Success
        };
        return (RunStatus::Completed, Some(conclusion));
    }
    let status = if any(JobStatus::InProgress) {
        RunStatus::InProgress
    } else if any(JobStatus::Waiting) {
        RunStatus::Waiting
    } else if any(JobStatus::Completed) {
        RunStatus::InProgress
    } else {
        RunStatus::Queued
    };
    (status, None)
}

impl Run {
    /// Whether a listing filtered by `status` shows this run at `now`: under its status, and
    /// for [`LISTING_LAG`] after a change also under the one before.
    pub fn listed_under(&self, status: &str, now: DateTime<Utc>) -> bool {
        if self.status.as_str() == status {
            return true;
        }
        if self.conclusion.is_some_and(|c| c.as_str() == status) {
            return true;
        }
        self.previous
            .is_some_and(|(old, since)| old.as_str() == status && now - since < LISTING_LAG)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use JobStatus::*;

    #[test]
    fn a_run_status_follows_its_jobs_the_way_github_derives_it() {
        let done = (Completed, Some(Conclusion::Success));
        let failed = (Completed, Some(Conclusion::Failure));
        type Case<'a> = (&'a str, &'a [(JobStatus, Option<Conclusion>)], RunStatus);
        let cases: &[Case] = &[
            (
                "all jobs queued",
                &[(Queued, None), (Queued, None)],
                RunStatus::Queued,
            ),
            (
                "one job runs",
                &[(InProgress, None), (Queued, None)],
                RunStatus::InProgress,
            ),
            (
                "some done, others queued",
                &[done, (Queued, None)],
                RunStatus::InProgress,
            ),
            (
                "a job awaits approval",
                &[(Waiting, None), done],
                RunStatus::Waiting,
            ),
            (
                "approval pending while another runs",
                &[(Waiting, None), (InProgress, None)],
                RunStatus::InProgress,
            ),
            ("all done", &[done, failed], RunStatus::Completed),
        ];
        for (name, jobs, expected) in cases {
            assert_eq!(derive_run_status(jobs).0, *expected, "{name}");
        }
    }

    #[test]
    fn a_completed_run_concludes_failure_when_any_job_failed() {
        let jobs = [
            (Completed, Some(Conclusion::Success)),
            (Completed, Some(Conclusion::Failure)),
        ];
        assert_eq!(derive_run_status(&jobs).1, Some(Conclusion::Failure));
    }
}
