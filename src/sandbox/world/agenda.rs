//! The world's future: what happens when, in virtual time.
//!
//! The world is event-driven rather than stepped second by second: every change that will happen
//! on its own (a job arriving, a runner finishing its boot, a job completing, a replica timing
//! out) is written down here with its instant when it becomes certain. Stepping to a target
//! instant handles the events due by then in time order. An event may have become moot by the
//! time it is due (a job finished under a runner that was stopped earlier); its handler checks.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

/// Something that will happen to the world by itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The workload's job at this index arrives.
    Arrive(usize),
    /// The job's environment approval is granted; it becomes queued.
    Approve(u64),
    /// The job, if still queued, is cancelled (GitHub's 24 hour limit).
    CancelQueued(u64),
    /// The execution's container has booted; its runner reads the JIT config.
    Boot(String),
    /// The job the runner runs is done.
    Finish(u64),
    /// The execution's container exits after its runner did.
    Exit(String),
    /// The execution reaches the job's replica timeout.
    Timeout(String),
    /// GitHub forgets an ephemeral runner that stayed offline for a day.
    Forget(u64),
}

/// Events by instant; ties keep the order they were written in, so the world is deterministic.
#[derive(Debug, Default)]
pub struct Agenda {
    items: BTreeMap<(DateTime<Utc>, u64), Event>,
    sequence: u64,
}

impl Agenda {
    /// Writes down `event` to happen at `at`.
    pub fn push(&mut self, at: DateTime<Utc>, event: Event) {
        self.sequence += 1;
        self.items.insert((at, self.sequence), event);
    }

    /// The instant of the earliest event, if any.
    pub fn next_at(&self) -> Option<DateTime<Utc>> {
        self.items.keys().next().map(|(at, _)| *at)
    }

    /// Takes every event due at or before `at`, in time order, ties in the order written.
    pub fn take_due(&mut self, at: DateTime<Utc>) -> Vec<Event> {
        let mut due = Vec::new();
        while let Some(entry) = self.items.first_entry() {
            if entry.key().0 > at {
                break;
            }
            due.push(entry.remove());
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    #[test]
    fn events_come_out_by_instant_then_in_the_order_written() {
        let t0 = Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 0).unwrap();
        let mut agenda = Agenda::default();
        agenda.push(t0 + Duration::seconds(5), Event::Finish(1));
        agenda.push(t0, Event::Approve(2));
        agenda.push(t0, Event::Approve(3));

        assert_eq!(agenda.next_at(), Some(t0));
        assert_eq!(
            agenda.take_due(t0),
            vec![Event::Approve(2), Event::Approve(3)]
        );
        assert_eq!(agenda.next_at(), Some(t0 + Duration::seconds(5)));
        assert_eq!(
            agenda.take_due(t0 + Duration::seconds(5)),
            vec![Event::Finish(1)]
        );
        assert_eq!(agenda.next_at(), None);
    }
}
