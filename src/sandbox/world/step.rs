//! How the world moves on its own: arrivals, approvals, boots, job completions, timeouts, and
//! GitHub handing queued jobs to idle runners.

use chrono::{DateTime, Utc};

use super::agenda::Event;
use super::labels::satisfies;
use super::model::{
    Assignment, Conclusion, EndReason, ExecutionStatus, Job, JobStatus, Run, RunStatus, Scope,
};
use super::{OFFLINE_LIMIT, QUEUE_LIMIT, World};
use crate::sandbox::fingerprint::hex_id;

impl World {
    /// Moves virtual time forward to `target`, handling every event due by then in time
    /// order, and leaves the shared clock at `target`. A `target` in the past changes nothing.
    pub fn advance_to(&mut self, target: DateTime<Utc>) {
        while let Some(at) = self.agenda.next_at().filter(|&at| at <= target) {
            // Events written for an instant already passed (a boot time of zero) run now.
            let at = at.max(self.now());
            self.clock.set(at);
            for event in self.agenda.take_due(at) {
                self.handle(event);
            }
            self.assign_queued_jobs();
        }
        if target > self.now() {
            self.clock.set(target);
        }
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::Arrive(index) => self.arrive(index),
            Event::Approve(job) => self.approve(job),
            Event::CancelQueued(job) => self.cancel_if_still_queued(job),
            Event::Boot(execution) => self.boot(&execution),
            Event::Finish(job) => self.finish_job(job),
            Event::Exit(execution) => self.runner_exited(&execution),
            Event::Timeout(execution) => self.end_execution(&execution, EndReason::TimedOut),
            Event::Forget(runner) => self.forget_if_offline(runner),
        }
    }

    fn arrive(&mut self, index: usize) {
        let spec = self.workload[index].clone();
        let now = self.now();
        let run_id = match self.run_keys.get(&spec.run) {
            Some(&id) => id,
            None => self.create_run(spec.run, &spec.repo, &spec.workflow),
        };

        self.next_id.job += 1;
        let id = self.next_id.job;
        let (status, queued_at) = match spec.approval {
            Some(wait) => {
                self.agenda.push(now + wait, Event::Approve(id));
                (JobStatus::Waiting, None)
            }
            None => {
                self.agenda.push(now + QUEUE_LIMIT, Event::CancelQueued(id));
                (JobStatus::Queued, Some(now))
            }
        };
        self.jobs.insert(
            id,
            Job {
                id,
                run_id,
                repo: spec.repo,
                name: spec.name,
                labels: spec.labels,
                duration: spec.duration,
                created_at: now,
                queued_at,
                started_at: None,
                completed_at: None,
                status,
                conclusion: None,
                runner: None,
            },
        );
        if let Some(run) = self.runs.get_mut(&run_id) {
            run.jobs.push(id);
        }
        self.refresh_run(run_id);
    }

    fn create_run(&mut self, key: u64, repo: &str, workflow: &str) -> u64 {
        self.next_id.run += 1;
        let id = self.next_id.run;
        let number = self.run_numbers.entry(repo.to_owned()).or_insert(0);
        *number += 1;
        let run_number = *number;
        let next_workflow_id = 160_000 + self.workflow_ids.len() as u64;
        let workflow_id = *self
            .workflow_ids
            .entry((repo.to_owned(), workflow.to_owned()))
            .or_insert(next_workflow_id);
        let now = self.now();
        self.runs.insert(
            id,
            Run {
                id,
                repo: repo.to_owned(),
                workflow_name: workflow.to_owned(),
                workflow_id,
                run_number,
                head_sha: hex_id(self.config.seed, id, 40),
                created_at: now,
                updated_at: now,
                status: RunStatus::Queued,
                conclusion: None,
                previous: None,
                jobs: Vec::new(),
            },
        );
        self.run_keys.insert(key, id);
        id
    }

    fn approve(&mut self, id: u64) {
        let now = self.now();
        let Some(job) = self.jobs.get_mut(&id) else {
            return;
        };
        if job.status != JobStatus::Waiting {
            return;
        }
        job.status = JobStatus::Queued;
        job.queued_at = Some(now);
        let run_id = job.run_id;
        self.agenda.push(now + QUEUE_LIMIT, Event::CancelQueued(id));
        self.refresh_run(run_id);
    }

    fn cancel_if_still_queued(&mut self, id: u64) {
        let still_queued = self
            .jobs
            .get(&id)
            .is_some_and(|j| j.status == JobStatus::Queued);
        if still_queued {
            self.complete_job(id, Conclusion::Cancelled);
        }
    }

    /// Ends job `id` with `conclusion` and updates its run.
    pub(super) fn complete_job(&mut self, id: u64, conclusion: Conclusion) {
        let now = self.now();
        let Some(job) = self.jobs.get_mut(&id) else {
            return;
        };
        job.status = JobStatus::Completed;
        job.conclusion = Some(conclusion);
        job.completed_at = Some(now);
        let run_id = job.run_id;
        self.refresh_run(run_id);
    }

    fn finish_job(&mut self, id: u64) {
        let Some(job) = self.jobs.get(&id) else {
            return;
        };
        let due = job.started_at.map(|s| s + job.duration);
        if job.status != JobStatus::InProgress || due != Some(self.now()) {
            return;
        }
        let runner_id = job.runner.as_ref().map(|a| a.runner_id);
        self.complete_job(id, Conclusion::Success);

        // An ephemeral runner leaves GitHub when its job is done; its process exits and the
        // container follows after the exit delay. A static host just becomes idle again.
        let now = self.now();
        let Some(runner) = runner_id.and_then(|r| self.runners.get_mut(&r)) else {
            return;
        };
        let (runner_id, ephemeral, execution) =
            (runner.id, runner.ephemeral, runner.execution.clone());
        runner.job = None;
        runner.idle_since = Some(now);
        if ephemeral {
            self.runners.remove(&runner_id);
        }
        if let Some(name) = execution {
            self.agenda
                .push(now + self.config.exit_delay, Event::Exit(name));
        }
    }

    fn forget_if_offline(&mut self, id: u64) {
        let now = self.now();
        let stale = self
            .runners
            .get(&id)
            .is_some_and(|r| !r.online && r.ephemeral && now - r.last_seen >= OFFLINE_LIMIT);
        if stale {
            self.runners.remove(&id);
        }
    }

    /// GitHub's assignment: each idle runner, longest idle first, takes the oldest queued job
    /// its labels and scope satisfy. Jobs carry no notion of the runner started for them.
    fn assign_queued_jobs(&mut self) {
        let mut queued: Vec<&Job> = self
            .jobs
            .values()
            .filter(|j| j.status == JobStatus::Queued)
            .collect();
        if queued.is_empty() {
            return;
        }
        queued.sort_by_key(|j| (j.queued_at, j.id));
        let mut idle: Vec<_> = self
            .runners
            .values()
            .filter(|r| r.online && r.job.is_none())
            .collect();
        idle.sort_by(|a, b| (a.idle_since, &a.name).cmp(&(b.idle_since, &b.name)));

        let mut taken = Vec::new();
        let mut pairs = Vec::new();
        for runner in idle {
            let scope_ok = |job: &Job| match &runner.scope {
                Scope::Org => true,
                Scope::Repo(repo) => repo.eq_ignore_ascii_case(&job.repo),
            };
            let found = queued.iter().find(|job| {
                !taken.contains(&job.id)
                    && scope_ok(job)
                    && satisfies(&job.labels, runner.labels.iter().map(|l| l.name.as_str()))
            });
            if let Some(job) = found {
                taken.push(job.id);
                pairs.push((runner.id, job.id));
            }
        }
        for (runner, job) in pairs {
            self.start_job(runner, job);
        }
    }

    fn start_job(&mut self, runner_id: u64, job_id: u64) {
        let now = self.now();
        let Some(runner) = self.runners.get_mut(&runner_id) else {
            return;
        };
        runner.job = Some(job_id);
        runner.idle_since = None;
        let assignment = Assignment {
            runner_id,
            runner_name: runner.name.clone(),
            group_id: runner.group_id,
            pooled: runner.execution.is_some(),
        };
        let execution = runner.execution.clone();
        let Some(job) = self.jobs.get_mut(&job_id) else {
            return;
        };
        job.status = JobStatus::InProgress;
        job.started_at = Some(now);
        job.runner = Some(assignment);
        let (run_id, finish_at) = (job.run_id, now + job.duration);
        self.agenda.push(finish_at, Event::Finish(job_id));
        if let Some(execution) = execution.and_then(|name| self.execution_mut(&name)) {
            execution.job = Some(job_id);
        }
        self.refresh_run(run_id);
    }

    /// Ends an active execution: its runner process dies with it. A job it was running fails,
    /// as GitHub fails a job whose runner stops answering.
    pub(super) fn end_execution(&mut self, name: &str, reason: EndReason) {
        let now = self.now();
        let Some(execution) = self.execution_mut(name) else {
            return;
        };
        if !execution.is_active() {
            return;
        }
        execution.status = match reason {
            EndReason::JobDone => ExecutionStatus::Succeeded,
            EndReason::Stopped => ExecutionStatus::Stopped,
            EndReason::BadJitConfig | EndReason::RunnerDeleted | EndReason::TimedOut => {
                ExecutionStatus::Failed
            }
        };
        execution.ended_at = Some(now);
        execution.end_reason = Some(reason);

        let runner = self
            .runners
            .values_mut()
            .find(|r| r.execution.as_deref() == Some(name));
        let Some(runner) = runner else {
            return;
        };
        if runner.online {
            runner.last_seen = now;
        }
        runner.online = false;
        runner.idle_since = None;
        let (runner_id, lost_job) = (runner.id, runner.job.take());
        self.agenda
            .push(now + OFFLINE_LIMIT, Event::Forget(runner_id));
        if let Some(job) = lost_job {
            self.complete_job(job, Conclusion::Failure);
        }
    }
}
