//! The warm-runner schedule: how many idle runners to keep ready, and when that changes.
//!
//! The `WARM_SCHEDULE` setting is a JSON array of rules such as
//! `{"start": "0 8 * * 1-5", "end": "0 18 * * 1-5", "timezone": "Europe/Paris", "idle": 2}`.
//! `start` and `end` are 5-field cron expressions read on the wall clock of `timezone` (IANA
//! name, `UTC` when absent); a rule is in force from a start until the next end, so windows may
//! cross midnight or a weekend. While rules overlap, the largest `idle` wins: that is the
//! *warm minimum* the plan adds to demand.
//!
//! Daylight-saving changes follow the wall clock: "08:00 Europe/Paris" is 07:00 UTC in winter
//! and 06:00 UTC in summer; a time in a skipped hour fires at the first instant after the gap;
//! a time in a repeated hour fires once, on its first pass. See `occurrence` for how.
//!
//! Everything here is pure: the caller passes the instant, so the sandbox's virtual clock and
//! tests drive it like the real one.

mod error;
mod occurrence;
mod parse;
mod render;
mod rule;
#[cfg(test)]
mod tests;

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

pub use error::{RuleField, ScheduleError};
pub use render::render_transitions;
use rule::Rule;

/// How far [`WarmSchedule::at`] looks for the next change. A week and a day covers every
/// daily and weekly window while keeping each tick's search short; a rarer change (a monthly or
/// yearly rule) is reported as `None` until it comes within reach.
pub const NEXT_CHANGE_HORIZON: TimeDelta = TimeDelta::days(8);

/// How far [`WarmSchedule::transitions`] looks: a year and a day, so a yearly rule shows.
pub const TRANSITIONS_HORIZON: TimeDelta = TimeDelta::days(366);

/// The parsed `WARM_SCHEDULE` setting.
#[derive(Debug, Clone, Default)]
pub struct WarmSchedule {
    rules: Vec<Rule>,
}

/// What the schedule keeps warm at one instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WarmState {
    /// The warm minimum: idle runners to keep ready now.
    pub idle: u32,
    /// The rule that sets it: the in-force rule with the largest `idle`, the first in the
    /// setting on a tie; `None` when no rule is in force.
    pub rule: Option<RuleSummary>,
    /// The next change of the warm minimum within [`NEXT_CHANGE_HORIZON`].
    pub next_change: Option<Transition>,
}

/// An instant at which the warm minimum changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transition {
    /// When it changes.
    pub at: DateTime<Utc>,
    /// The warm minimum from then on.
    pub idle: u32,
    /// The rule that sets it from then on, as in [`WarmState::rule`].
    pub rule: Option<RuleSummary>,
}

/// A rule as reports show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleSummary {
    /// 1-based position in the setting.
    pub index: usize,
    /// The `start` cron expression as written.
    pub start: String,
    /// The `end` cron expression as written.
    pub end: String,
    /// The IANA zone the expressions are read in.
    pub timezone: String,
    /// Idle runners the rule keeps ready.
    pub idle: u32,
}

impl WarmSchedule {
    /// Parses and validates the setting's value; `max_executions` bounds `idle`.
    ///
    /// A blank value or an empty array is a schedule without rules. On failure, every problem
    /// found is returned, each naming `WARM_SCHEDULE`, the rule and the field.
    pub fn parse(value: &str, max_executions: u32) -> Result<WarmSchedule, Vec<ScheduleError>> {
        parse::parse_rules(value, max_executions).map(|rules| WarmSchedule { rules })
    }

    /// A schedule without rules: no warm runners, ever.
    pub fn none() -> WarmSchedule {
        WarmSchedule::default()
    }

    /// Whether the schedule has no rules.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The rules, in the order of the setting.
    pub fn rules(&self) -> Vec<RuleSummary> {
        self.rules.iter().map(Rule::summary).collect()
    }

    /// What is in force at `now`: the warm minimum, the rule that sets it, and the next change.
    ///
    /// Cost per rule: two backward cron searches, then forward ones from one window edge to the
    /// next until the warm minimum changes or [`NEXT_CHANGE_HORIZON`] is reached; tens of
    /// microseconds for office-hours rules. A rule whose every start coincides with an end
    /// (say `* * * * *` to `* * * * 0-6`) is never in force, yet costs a search per start over
    /// the horizon, about 15 ms per call in a release build for a start every minute; only the
    /// identical-expression case is refused at start-up.
    pub fn at(&self, now: DateTime<Utc>) -> WarmState {
        let mut timeline = Timeline::new(&self.rules, now, horizon(now, NEXT_CHANGE_HORIZON));
        let (idle, rule) = timeline.warm_minimum();
        let rule = rule.map(Rule::summary);
        WarmState {
            idle,
            rule,
            next_change: timeline.next_change().map(|change| change.transition),
        }
    }

    /// The next `count` instants, after `from`, at which the warm minimum changes, within
    /// [`TRANSITIONS_HORIZON`].
    pub fn transitions(&self, from: DateTime<Utc>, count: usize) -> Vec<Transition> {
        self.changes(from, count)
            .into_iter()
            .map(|change| change.transition)
            .collect()
    }

    /// Like [`WarmSchedule::transitions`], with the rules that started or ended at each one.
    fn changes(&self, from: DateTime<Utc>, count: usize) -> Vec<Change> {
        let mut timeline = Timeline::new(&self.rules, from, horizon(from, TRANSITIONS_HORIZON));
        std::iter::from_fn(|| timeline.next_change())
            .take(count)
            .collect()
    }
}

/// `from` plus `ahead`, or the end of time when that is past chrono's range (a virtual clock
/// can be set anywhere).
fn horizon(from: DateTime<Utc>, ahead: TimeDelta) -> DateTime<Utc> {
    from.checked_add_signed(ahead)
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// A transition and what caused it, for the CLI table.
struct Change {
    transition: Transition,
    /// The rules that came into force or stopped at that instant.
    flips: Vec<Flip>,
}

/// One rule coming into force or stopping.
struct Flip {
    /// The rule's 1-based number.
    rule: usize,
    /// The zone it is read in.
    zone: chrono_tz::Tz,
    /// `true` when it came into force, `false` when it stopped.
    started: bool,
}

/// A walk forward in time over the rules' window edges.
///
/// Each rule only ever needs its next edge: its next end while in force, its next start
/// otherwise. So the walk costs a few cron searches per window, not per minute.
struct Timeline<'a> {
    rules: &'a [Rule],
    /// Whether each rule is in force at the walk's current instant.
    in_force: Vec<bool>,
    /// Each rule's next edge, `None` beyond the horizon.
    next_flip: Vec<Option<DateTime<Utc>>>,
    horizon: DateTime<Utc>,
}

impl<'a> Timeline<'a> {
    /// Starts the walk at `from`; it stops at `horizon`.
    fn new(rules: &'a [Rule], from: DateTime<Utc>, horizon: DateTime<Utc>) -> Self {
        let in_force: Vec<bool> = rules.iter().map(|rule| rule.in_force_at(from)).collect();
        let next_flip = rules
            .iter()
            .zip(&in_force)
            .map(|(rule, in_force)| rule.next_flip(from, *in_force, horizon))
            .collect();
        Timeline {
            rules,
            in_force,
            next_flip,
            horizon,
        }
    }

    /// The warm minimum at the walk's current instant, and the rule that sets it.
    fn warm_minimum(&self) -> (u32, Option<&'a Rule>) {
        let mut governing: Option<&'a Rule> = None;
        for (rule, in_force) in self.rules.iter().zip(&self.in_force) {
            // Strictly greater: on a tie the rule earlier in the setting stays.
            if *in_force && governing.is_none_or(|best| rule.idle > best.idle) {
                governing = Some(rule);
            }
        }
        (governing.map_or(0, |rule| rule.idle), governing)
    }

    /// Moves to the next instant at which the warm minimum changes, skipping edges that leave it
    /// as it was (one rule handing over to another with the same `idle`).
    fn next_change(&mut self) -> Option<Change> {
        let (before, _) = self.warm_minimum();
        loop {
            let at = self.next_flip.iter().flatten().min().copied()?;

            let mut flips = Vec::new();
            for (position, rule) in self.rules.iter().enumerate() {
                if self.next_flip[position] == Some(at) {
                    self.in_force[position] = !self.in_force[position];
                    self.next_flip[position] =
                        rule.next_flip(at, self.in_force[position], self.horizon);
                    flips.push(Flip {
                        rule: rule.index,
                        zone: rule.zone,
                        started: self.in_force[position],
                    });
                }
            }

            let (idle, rule) = self.warm_minimum();
            if idle != before {
                return Some(Change {
                    transition: Transition {
                        at,
                        idle,
                        rule: rule.map(Rule::summary),
                    },
                    flips,
                });
            }
        }
    }
}
