//! What a tick remembers for the next: recent starts, and how long each execution (and each
//! orphan registration) has looked the way it looks now. Scale-down needs the latter: nothing
//! is stopped on a single observation.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::ledger::Ledger;
use crate::azure::Execution;
use crate::github::Runner;
use crate::scaling::classify::ClassifiedExecution;
use crate::scaling::drain::{Orphan, Seen};

/// State carried from one tick to the next. Held under the tick lock, which is also what keeps
/// ticks from overlapping.
#[derive(Default)]
pub struct Memory {
    pub ledger: Ledger,
    /// Each active execution's class and for how many consecutive ticks it has had it.
    pub seen: HashMap<String, Seen>,
    /// Offline pool registrations no execution carries, by runner id.
    pub orphans: HashMap<u64, Orphan>,
    /// When each listed execution was first seen: its age when ARM omits `startTime`.
    pub first_seen: HashMap<String, DateTime<Utc>>,
}

impl Memory {
    /// Records when each listed execution was first seen; forgets the ones no longer listed.
    pub fn observe_first_seen(&mut self, executions: &[Execution], now: DateTime<Utc>) {
        let mut first_seen = HashMap::with_capacity(executions.len());
        for execution in executions {
            let at = self.first_seen.get(&execution.name).copied().unwrap_or(now);
            first_seen.insert(execution.name.clone(), at);
        }
        self.first_seen = first_seen;
    }

    /// Records this tick's classification. Executions no longer active are forgotten.
    pub fn observe_executions(&mut self, executions: &[ClassifiedExecution], now: DateTime<Utc>) {
        let mut seen = HashMap::with_capacity(executions.len());
        for execution in executions {
            let entry = match self.seen.get(&execution.name) {
                Some(previous) if previous.class == execution.class => Seen {
                    ticks: previous.ticks + 1,
                    ..*previous
                },
                _ => Seen {
                    class: execution.class,
                    ticks: 1,
                    since: now,
                },
            };
            seen.insert(execution.name.clone(), entry);
        }
        self.seen = seen;
    }

    /// Records the pool's offline registrations that no active execution carries.
    pub fn observe_orphans(
        &mut self,
        runners: &[Runner],
        executions: &[ClassifiedExecution],
        now: DateTime<Utc>,
    ) {
        let carried: HashSet<&str> = executions
            .iter()
            .filter_map(|e| e.runner_name.as_deref())
            .collect();
        let mut orphans = HashMap::new();
        for runner in runners
            .iter()
            .filter(|r| !r.online && !carried.contains(r.name.as_str()))
        {
            let (ticks, since) = match self.orphans.get(&runner.id) {
                Some(previous) => (previous.ticks + 1, previous.since),
                None => (1, now),
            };
            orphans.insert(
                runner.id,
                Orphan {
                    runner_id: runner.id,
                    runner_name: runner.name.clone(),
                    target: runner.target.clone(),
                    ticks,
                    since,
                },
            );
        }
        self.orphans = orphans;
    }

    /// Forgets every observation: after a failed read the next ticks start counting again.
    pub fn forget_observations(&mut self) {
        self.seen.clear();
        self.orphans.clear();
    }

    /// The orphans, in a stable order.
    pub fn orphan_list(&self) -> Vec<Orphan> {
        let mut list: Vec<Orphan> = self.orphans.values().cloned().collect();
        list.sort_by_key(|o| (o.since, o.runner_id));
        list
    }
}
