//! One rule of the warm schedule and when it is in force.
//!
//! A rule is in force from a `start` firing until the first `end` firing at or after it. An end
//! at the very instant of a start closes that window at once: it happens when both fall in the
//! same skipped hour (start 02:30, end 03:00 on a spring-forward day both fire at the jump),
//! and on that day the rule keeps nothing warm, as its wall-clock window does not exist.
//! Starts that fire while the rule is already in force change nothing.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::RuleSummary;
use super::occurrence::WallClockCron;

/// A validated rule of the `WARM_SCHEDULE` setting.
#[derive(Debug, Clone)]
pub(super) struct Rule {
    /// 1-based position in the setting, as operators count.
    pub(super) index: usize,
    /// `start` as written, for reports.
    pub(super) start_text: String,
    /// `end` as written, for reports.
    pub(super) end_text: String,
    /// The zone both expressions are read in.
    pub(super) zone: Tz,
    /// Idle runners to keep ready while the rule is in force.
    pub(super) idle: u32,
    /// When the rule comes into force.
    pub(super) start: WallClockCron,
    /// When it stops.
    pub(super) end: WallClockCron,
}

impl Rule {
    /// The rule as reports show it.
    pub(super) fn summary(&self) -> RuleSummary {
        RuleSummary {
            index: self.index,
            start: self.start_text.clone(),
            end: self.end_text.clone(),
            timezone: self.zone.name().to_owned(),
            idle: self.idle,
        }
    }

    /// Whether the rule is in force at `instant`: its last start at or before `instant` has
    /// not been followed by an end (an end at that same instant counts as following it).
    pub(super) fn in_force_at(&self, instant: DateTime<Utc>) -> bool {
        let Some(started) = self.start.last_at_or_before(instant) else {
            return false;
        };
        match self.end.last_at_or_before(instant) {
            Some(ended) => ended < started,
            None => true,
        }
    }

    /// The first instant after `instant`, and no later than `horizon`, at which the rule comes
    /// into force (when it is not `in_force` at `instant`) or stops (when it is).
    pub(super) fn next_flip(
        &self,
        instant: DateTime<Utc>,
        in_force: bool,
        horizon: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        if in_force {
            return self.end.next_after(instant).filter(|at| *at <= horizon);
        }

        // Each pass moves forward by one start, and the horizon ends the walk, so a rule whose
        // every start is ended at once cannot keep this loop going.
        let mut from = instant;
        loop {
            let started = self.start.next_after(from).filter(|at| *at <= horizon)?;
            if self.end.next_at_or_after(started) != Some(started) {
                return Some(started);
            }
            from = started;
        }
    }
}
