//! One tick: observe → plan → act → report (DESIGN.md §3).

mod act;
mod ledger;
mod memory;
pub mod report;
pub mod stop;

use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use tokio::time::{Instant, timeout_at};

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use tokio::sync::Mutex as AsyncMutex;
use tokio::sync::watch;

use crate::azure::{Execution, JobsClient};
use crate::clock::Clock;
use crate::github::GithubClient;
use crate::github::queue::{self, QueueObservation, ReadFailure};
use crate::github::runners::{self, Runner, Target};
use crate::scaling::classify::{self, ClassifiedExecution, Evidence};
use crate::scaling::drain::{self, DrainInput};
use crate::scaling::matching::PoolLabels;
use crate::scaling::plan::{self, DemandJob, PlanInput};
use crate::settings::{Registration, RunnerScope, Settings};

use act::Starter;
use memory::Memory;
use report::{
    AzureReport, CapReport, DemandReport, DrainReport, ExecutionLine, ExecutionsReport,
    GithubReport, LISTED, TickReport, UnmatchedJob, UnmatchedReport,
};
use stop::StopResult;

/// Wall-clock limits of a tick. The Functions host gives an invocation `functionTimeout` (5
/// minutes in `host.json`); a tick that outlived it would hold the tick lock while the host has
/// already given up, and later invocations would queue behind it.
#[derive(Debug, Clone, Copy)]
pub struct TickBudget {
    /// Reads still running after this are abandoned and reported as failed.
    pub reads: StdDuration,
    /// No new start or stop begins after this (from the start of the tick). One request may
    /// still run past it by up to its own timeout.
    pub total: StdDuration,
}

impl Default for TickBudget {
    fn default() -> Self {
        Self {
            reads: StdDuration::from_secs(90),
            total: StdDuration::from_secs(200),
        }
    }
}

/// How a tick was asked to run.
#[derive(Debug, Clone, Copy, Default)]
pub struct TickOptions {
    /// Plan without registering runners or starting executions.
    pub dry_run: bool,
}

/// The scaler: settings, clients, and the tick lock.
pub struct Scaler {
    settings: Settings,
    github: GithubClient,
    jobs: JobsClient,
    clock: Arc<dyn Clock>,
    labels: PoolLabels,
    memory: AsyncMutex<Memory>,
    /// The tick waiting behind the running one, per kind (acting, dry run): its report, once
    /// it has one.
    waiting: Mutex<[Option<watch::Receiver<Option<TickReport>>>; 2]>,
    names: Mutex<StdRng>,
    budget: TickBudget,
}

impl Scaler {
    /// A scaler for `settings`. `seed` makes runner names reproducible (the sandbox); `None`
    /// draws them from the operating system's randomness.
    pub fn new(
        settings: Settings,
        clock: Arc<dyn Clock>,
        seed: Option<u64>,
    ) -> anyhow::Result<Self> {
        let http = crate::http::client();
        let github = GithubClient::new(&settings.github, http.clone(), clock.clone());
        let jobs = JobsClient::new(&settings.azure, http, clock.clone());
        let names = match seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => rand::make_rng(),
        };
        Ok(Self {
            labels: PoolLabels::new(&settings.pool.labels),
            settings,
            github,
            jobs,
            clock,
            memory: AsyncMutex::new(Memory::default()),
            waiting: Mutex::new([None, None]),
            names: Mutex::new(names),
            budget: TickBudget::default(),
        })
    }

    /// The same scaler with other time limits (tests use short ones).
    pub fn with_budget(mut self, budget: TickBudget) -> Self {
        self.budget = budget;
        self
    }

    /// The settings in force.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The GitHub client (its counters are part of the report).
    pub fn github(&self) -> &GithubClient {
        &self.github
    }

    /// Waits for the tick in flight, if any, to finish: what a shutdown does before exiting.
    pub async fn drain(&self) {
        drop(self.memory.lock().await);
    }

    /// Runs one tick. Ticks never overlap: a caller that arrives while a tick runs waits for
    /// it to finish and then observes what it did.
    ///
    /// At most one tick waits behind the running one (per kind: acting or dry run). Callers
    /// arriving meanwhile share that waiting tick and its report instead of queueing their
    /// own: when GitHub is slow and ticks take longer than the timer's minute, a backlog of
    /// ticks whose callers have long given up would otherwise run back to back.
    pub async fn tick(&self, options: TickOptions) -> TickReport {
        let slot = usize::from(options.dry_run);
        loop {
            let role = {
                let mut waiting = lock(&self.waiting);
                match waiting[slot].as_ref().filter(|rx| rx.has_changed().is_ok()) {
                    Some(rx) => Err(rx.clone()),
                    None => {
                        let (tx, rx) = watch::channel(None);
                        waiting[slot] = Some(rx);
                        Ok(tx)
                    }
                }
            };
            match role {
                Ok(tx) => {
                    let memory = self.memory.lock().await;
                    // This tick runs now: later callers wait for the next one.
                    lock(&self.waiting)[slot] = None;
                    let report = self.run_tick(memory, options).await;
                    let _ = tx.send(Some(report.clone()));
                    return report;
                }
                Err(mut rx) => match rx.wait_for(Option::is_some).await {
                    Ok(report) => {
                        if let Some(report) = report.clone() {
                            return report;
                        }
                    }
                    // The caller running that tick went away before it started: take its place.
                    Err(_) => continue,
                },
            }
        }
    }

    async fn run_tick(
        &self,
        mut memory: tokio::sync::MutexGuard<'_, Memory>,
        options: TickOptions,
    ) -> TickReport {
        let started = Instant::now();
        let now = self.clock.now();
        let dry_run = options.dry_run || self.settings.dry_run;
        let github_before = self.github.counts();
        let arm_before = self.jobs.counts();

        // Observe.
        let observation = self.observe(&mut memory).await;
        let (demand, unmatched) = self.demand(&observation.queue);
        let executions = self.classify(&observation, &mut memory);
        let mut failed_reads = observation.queue.failures.clone();
        failed_reads.extend(observation.other_failures.iter().cloned());
        let reads_complete = failed_reads.is_empty();
        let safe_to_stop = failed_reads.iter().all(|f| !f.blocks_stops);
        if safe_to_stop {
            memory.observe_executions(&executions, now);
            memory.observe_orphans(
                observation.runners.as_deref().unwrap_or_default(),
                &executions,
                now,
            );
        } else {
            memory.forget_observations();
        }

        // Plan.
        let warm = self.settings.warm.at(now);
        let warm_target = (self.settings.github.scope == RunnerScope::Org).then_some(Target::Org);
        let pool = &self.settings.pool;
        let start_plan = plan::plan_starts(&PlanInput {
            demand: &demand,
            executions: &executions,
            warm_minimum: warm.idle,
            max_executions: pool.max_executions,
            max_starts_per_tick: pool.max_starts_per_tick,
            executions_observed: observation.executions.is_some(),
            warm_target: warm_target.clone(),
        });
        let orphans = memory.orphan_list();
        let drain_plan = drain::plan_drain(&DrainInput {
            executions: &executions,
            seen: &memory.seen,
            demand: &demand,
            warm_minimum: warm.idle,
            warm_target,
            orphans: &orphans,
            reads_complete: safe_to_stop,
            now,
            boot_grace: pool.boot_grace,
            finished_grace: pool.finished_grace,
            max_stops_per_tick: pool.max_stops_per_tick,
            stop_lost: pool.registration == Registration::Jit,
        });

        // Act.
        let (outcome, stops, orphans_removed) = if dry_run {
            (act::Outcome::default(), Vec::new(), Vec::new())
        } else {
            let deadline = started + self.budget.total;
            let outcome = self
                .start(&start_plan.starts, &mut memory, now, deadline)
                .await;
            let stops = stop::stop_all(&self.github, &self.jobs, &drain_plan.stops, deadline).await;
            let orphans_removed =
                stop::remove_orphans(&self.github, &drain_plan.orphans, deadline).await;
            for stopped in stops.iter().filter(|s| s.result == StopResult::Stopped) {
                memory.seen.remove(&stopped.execution);
            }
            (outcome, stops, orphans_removed)
        };
        self.github.end_tick();

        // Report.
        let github_after = self.github.counts();
        let report = TickReport {
            ok: reads_complete,
            dry_run,
            at: now,
            duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            repositories_scanned: observation.queue.repositories.len(),
            demand: DemandReport {
                count: demand.len(),
                first_job_ids: demand.iter().take(LISTED).map(|d| d.job_id).collect(),
            },
            unmatched: UnmatchedReport {
                count: unmatched.len(),
                jobs: unmatched.into_iter().take(LISTED).collect(),
            },
            stale_jobs: observation.queue.stale,
            executions: ExecutionsReport {
                active: executions.len(),
                by_class: plan::class_counts(&executions),
                remembered_starts: observation.remembered,
                list: executions.iter().map(ExecutionLine::from).collect(),
            },
            cap: CapReport {
                max_executions: pool.max_executions,
                max_starts_per_tick: pool.max_starts_per_tick,
                max_stops_per_tick: pool.max_stops_per_tick,
            },
            warm,
            plan: start_plan,
            started: outcome.started,
            start_failures: outcome.failures,
            drain: DrainReport {
                plan: drain_plan,
                stops,
                orphans_removed,
            },
            failed_reads,
            github: GithubReport {
                calls: github_after.calls - github_before.calls,
                not_modified: github_after.not_modified - github_before.not_modified,
                rate_limit: self.github.rate_limit(),
            },
            azure: AzureReport {
                calls: self.jobs.counts().calls - arm_before.calls,
            },
            warnings: outcome.warnings,
        };
        report.emit();
        report
    }

    /// Starts the planned executions, remembering each start until ARM lists it.
    async fn start(
        &self,
        starts: &[Target],
        memory: &mut Memory,
        now: chrono::DateTime<chrono::Utc>,
        deadline: Instant,
    ) -> act::Outcome {
        let starter = Starter {
            github: &self.github,
            jobs: &self.jobs,
            pool: &self.settings.pool,
            registered_labels: self.labels.registered(),
            container: self.settings.azure.container_name.as_deref(),
            deadline,
        };
        starter
            .start_all(
                starts,
                || self.runner_name(),
                |s, at| {
                    memory.ledger.record(
                        s.execution.clone(),
                        s.runner.clone(),
                        s.target.clone(),
                        at,
                    )
                },
                now,
            )
            .await
    }

    /// Reads the queue, the pool's runners and the executions, concurrently where it can.
    async fn observe(&self, memory: &mut Memory) -> Observation {
        let now = self.clock.now();
        let github = &self.settings.github;
        let prefix = &self.settings.pool.name_prefix;
        // Organization scope: one runners listing, read alongside the rest. Repository scope:
        // the runners of each repository whose queue was read (so a repository that answers
        // 404 skips only itself, not the whole runners read).
        let known_targets = match github.scope {
            RunnerScope::Org => Some(vec![Target::Org]),
            RunnerScope::Repo => None,
        };

        let deadline = Instant::now() + self.budget.reads;
        let queue_read = queue::observe_queue(&self.github, github.repos.as_deref(), now, deadline);
        let executions_read = timeout_at(deadline, self.jobs.list_executions());
        let (queue, executions, runners, listed) = match known_targets {
            Some(targets) => {
                let runners_read = timeout_at(
                    deadline,
                    runners::list_pool_runners(&self.github, &targets, prefix),
                );
                let (queue, executions, runners) =
                    tokio::join!(queue_read, executions_read, runners_read);
                (queue, executions, runners, targets)
            }
            None => {
                // Only repositories whose queue was read: listing the runners of one that just
                // failed would fail the runners read as a whole.
                let (queue, executions) = tokio::join!(queue_read, executions_read);
                let targets: Vec<Target> = queue
                    .repositories
                    .iter()
                    .cloned()
                    .map(Target::Repo)
                    .collect();
                let runners_read = runners::list_pool_runners(&self.github, &targets, prefix);
                let runners = timeout_at(deadline, runners_read).await;
                (queue, executions, runners, targets)
            }
        };
        let runner_repositories = (github.scope == RunnerScope::Repo).then(|| {
            listed
                .iter()
                .filter_map(|t| match t {
                    Target::Repo(repo) => Some(repo.clone()),
                    Target::Org => None,
                })
                .collect()
        });

        let mut other_failures = Vec::new();
        let runners = match runners {
            Ok(Ok(runners)) => Some(runners),
            Ok(Err(e)) => {
                other_failures.push(ReadFailure::github("runners", &e));
                None
            }
            Err(_) => {
                other_failures.push(ReadFailure::out_of_time("runners"));
                None
            }
        };
        let mut remembered = 0;
        let executions = match executions {
            Ok(Ok(mut listed)) => {
                remembered = memory.ledger.merge_into(&mut listed, now);
                Some(listed)
            }
            Ok(Err(e)) => {
                other_failures.push(ReadFailure {
                    read: "executions".into(),
                    error: e.to_string(),
                    rate_limited: matches!(e, crate::azure::AzureError::Throttled { .. }),
                    blocks_stops: true,
                });
                None
            }
            Err(_) => {
                other_failures.push(ReadFailure::out_of_time("executions"));
                None
            }
        };
        Observation {
            queue,
            runners,
            runner_repositories,
            executions,
            remembered,
            other_failures,
        }
    }

    /// Splits the queued jobs into the pool's demand and the rest, with reasons.
    fn demand(&self, queue: &QueueObservation) -> (Vec<DemandJob>, Vec<UnmatchedJob>) {
        let mut demand = Vec::new();
        let mut unmatched = Vec::new();
        for job in &queue.queued {
            match self.labels.accepts(&job.labels) {
                Ok(()) => demand.push(DemandJob {
                    job_id: job.id,
                    target: match self.settings.github.scope {
                        RunnerScope::Org => Target::Org,
                        RunnerScope::Repo => Target::Repo(job.repo.clone()),
                    },
                }),
                Err(reason) => unmatched.push(UnmatchedJob {
                    id: job.id,
                    repo: job.repo.clone(),
                    labels: job.labels.clone(),
                    reason,
                }),
            }
        }
        (demand, unmatched)
    }

    /// Classifies the executions, and remembers when each was first seen.
    fn classify(&self, observation: &Observation, memory: &mut Memory) -> Vec<ClassifiedExecution> {
        let Some(executions) = &observation.executions else {
            return Vec::new();
        };
        let now = self.clock.now();
        let classified = classify::classify(
            executions,
            &Evidence {
                runners: observation.runners.as_deref(),
                runner_jobs: &observation.queue.runner_jobs,
                prefix: &self.settings.pool.name_prefix,
                boot_grace: self.settings.pool.boot_grace,
                now,
                first_seen: &memory.first_seen,
                listed_repositories: observation.runner_repositories.as_deref(),
            },
        );
        memory.observe_first_seen(executions, now);
        classified
    }

    /// `{prefix}-{8 random lowercase letters and digits}` (see `runners::is_pool_runner`).
    fn runner_name(&self) -> String {
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        let mut rng = self.names.lock().unwrap_or_else(|e| e.into_inner());
        let suffix: String = (0..runners::NAME_SUFFIX_LEN)
            .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
            .collect();
        format!("{}-{suffix}", self.settings.pool.name_prefix)
    }
}

/// What a tick's reads produced.
struct Observation {
    queue: QueueObservation,
    /// `None`: the runners read failed.
    runners: Option<Vec<Runner>>,
    /// Repository scope: the repositories whose runners were listed.
    runner_repositories: Option<Vec<String>>,
    /// `None`: the executions read failed. Includes remembered starts.
    executions: Option<Vec<Execution>>,
    remembered: usize,
    other_failures: Vec<ReadFailure>,
}

/// Locks a std mutex; a panic while holding it leaves plain data that is still valid.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}
