//! When a cron expression fires, read on the wall clock of one time zone.
//!
//! Croner can search a zoned `DateTime` itself, but it treats daylight-saving edges differently
//! by pattern shape: a single fixed time in a skipped hour fires after the gap, while a pattern
//! with several times (`0,30 2 * * *`) skips the gap altogether and fires twice in a repeated
//! hour. The warm schedule wants one rule for every pattern, so croner only matches naive wall
//! clock times here, and [`first_instant_at`] turns each match into an instant:
//!
//! - a wall-clock time that happens once is that instant;
//! - a wall-clock time in a repeated hour (fall back) is its first pass;
//! - a wall-clock time in a skipped hour (spring forward) is the first instant after the gap.
//!
//! All three are "the first instant at which the clock reads that time or later". That mapping
//! never goes backwards as the wall-clock time moves forward, which is what lets the searches
//! below walk wall-clock matches in order and stop at the first one on the right side of an
//! instant.

use chrono::{DateTime, LocalResult, NaiveDateTime, TimeDelta, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use croner::Cron;

/// The longest a clock can jump forward. The largest gap in the IANA database is a whole day
/// (Samoa skipped 2011-12-30); two days leave room without letting a search run away.
const MAX_GAP: TimeDelta = TimeDelta::days(2);

/// A cron expression evaluated on the wall clock of one time zone.
#[derive(Debug, Clone)]
pub(super) struct WallClockCron {
    cron: Cron,
    zone: Tz,
}

impl WallClockCron {
    pub(super) fn new(cron: Cron, zone: Tz) -> Self {
        Self { cron, zone }
    }

    /// The first firing strictly after `instant`, or `None` when the pattern never fires again
    /// (croner gives up at the year 5000).
    pub(super) fn next_after(&self, instant: DateTime<Utc>) -> Option<DateTime<Utc>> {
        // No wall-clock time at or before `instant`'s own reading can fire after `instant`: its
        // first pass is at or before `instant`. So the search starts just past that reading.
        let mut wall = whole_seconds(instant.with_timezone(&self.zone).naive_local());

        // This loop only goes round again while `instant` is on the second pass of a repeated
        // hour and the match found was already fired on the first pass; past the end of that
        // hour every match fires after `instant`.
        loop {
            wall = self.cron.find_next_occurrence(&wall, false).ok()?;
            let fired = first_instant_at(self.zone, wall)?;
            if fired > instant {
                return Some(fired);
            }
        }
    }

    /// The first firing at or after `instant`.
    pub(super) fn next_at_or_after(&self, instant: DateTime<Utc>) -> Option<DateTime<Utc>> {
        // Firings fall on whole seconds, so a nanosecond earlier excludes nothing else. At the
        // very start of chrono's range there is no earlier instant, and nothing fires there.
        let just_before = instant
            .checked_sub_signed(TimeDelta::nanoseconds(1))
            .unwrap_or(instant);
        self.next_after(just_before)
    }

    /// The last firing at or before `instant`, or `None` when the pattern never fired (croner
    /// gives up at the year 1).
    pub(super) fn last_at_or_before(&self, instant: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let reading = instant.with_timezone(&self.zone).naive_local();
        let mut wall = whole_seconds(reading);

        // On the second pass of a repeated hour, the rest of that hour on the wall clock has
        // already been fired (on the first pass), so the backward search must start from the end
        // of the repeated range: the reading plus the length of the repeat.
        if let LocalResult::Ambiguous(first, second) = self.zone.from_local_datetime(&reading) {
            wall = wall.checked_add_signed(second.signed_duration_since(first))?;
        }

        let mut inclusive = true;
        loop {
            wall = self.cron.find_previous_occurrence(&wall, inclusive).ok()?;
            let fired = first_instant_at(self.zone, wall)?;
            if fired <= instant {
                return Some(fired);
            }
            inclusive = false;
        }
    }
}

/// The first instant at which the wall clock of `zone` reads `wall` or later.
///
/// `None` only when the time zone database has no valid time within [`MAX_GAP`] after `wall`,
/// which no real zone does.
pub(super) fn first_instant_at(zone: Tz, wall: NaiveDateTime) -> Option<DateTime<Utc>> {
    match zone.from_local_datetime(&wall) {
        LocalResult::Single(instant) => Some(instant.with_timezone(&Utc)),
        LocalResult::Ambiguous(first, _) => Some(first.with_timezone(&Utc)),
        LocalResult::None => end_of_gap(zone, wall),
    }
}

/// The instant the clock jumps over the skipped wall-clock time `wall`: the wall-clock reading
/// just after the gap, resolved.
fn end_of_gap(zone: Tz, wall: NaiveDateTime) -> Option<DateTime<Utc>> {
    let exists = |candidate: &NaiveDateTime| {
        !matches!(zone.from_local_datetime(candidate), LocalResult::None)
    };

    // Every zone has jumped by whole minutes since 1972, so minute steps from a whole-minute
    // time (every cron firing is one) land on the end of the gap exactly. The step back by
    // seconds keeps the answer exact for older, odd offsets too; it costs one lookup otherwise.
    let mut after = wall;
    while !exists(&after) {
        after += TimeDelta::minutes(1);
        if after - wall > MAX_GAP {
            return None;
        }
    }
    let last_step = after - TimeDelta::minutes(1);
    while after - TimeDelta::seconds(1) > last_step && exists(&(after - TimeDelta::seconds(1))) {
        after -= TimeDelta::seconds(1);
    }

    match zone.from_local_datetime(&after) {
        LocalResult::Single(instant) | LocalResult::Ambiguous(instant, _) => {
            Some(instant.with_timezone(&Utc))
        }
        LocalResult::None => None,
    }
}

/// `wall` without its fraction of a second: croner matches whole seconds.
fn whole_seconds(wall: NaiveDateTime) -> NaiveDateTime {
    wall.with_nanosecond(0).unwrap_or(wall)
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use chrono::NaiveDate;
    use chrono_tz::America::New_York;
    use chrono_tz::Europe::Paris;

    use super::*;

    fn wall(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").expect("test wall time")
    }

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("test instant")
            .with_timezone(&Utc)
    }

    fn cron(pattern: &str, zone: Tz) -> WallClockCron {
        WallClockCron::new(Cron::from_str(pattern).expect("test pattern"), zone)
    }

    #[test]
    fn each_wall_clock_time_maps_to_the_first_instant_the_clock_reads_it() {
        let cases = [
            // (why, zone, wall clock, instant)
            (
                "Paris in winter is UTC+1",
                Paris,
                "2026-01-15 08:00",
                "2026-01-15T07:00:00Z",
            ),
            (
                "Paris in summer is UTC+2",
                Paris,
                "2026-07-15 08:00",
                "2026-07-15T06:00:00Z",
            ),
            (
                "Paris just before the jump",
                Paris,
                "2026-03-29 01:59",
                "2026-03-29T00:59:00Z",
            ),
            (
                "Paris 02:00 is skipped",
                Paris,
                "2026-03-29 02:00",
                "2026-03-29T01:00:00Z",
            ),
            (
                "Paris 02:30 is skipped",
                Paris,
                "2026-03-29 02:30",
                "2026-03-29T01:00:00Z",
            ),
            (
                "Paris 03:00 is the jump",
                Paris,
                "2026-03-29 03:00",
                "2026-03-29T01:00:00Z",
            ),
            (
                "Paris 08:00 on the jump day",
                Paris,
                "2026-03-29 08:00",
                "2026-03-29T06:00:00Z",
            ),
            (
                "Paris 02:30 repeats",
                Paris,
                "2026-10-25 02:30",
                "2026-10-25T00:30:00Z",
            ),
            (
                "Paris 08:00 after fall back",
                Paris,
                "2026-10-25 08:00",
                "2026-10-25T07:00:00Z",
            ),
            (
                "New York in winter is UTC-5",
                New_York,
                "2026-01-15 08:00",
                "2026-01-15T13:00:00Z",
            ),
            (
                "New York in summer is UTC-4",
                New_York,
                "2026-07-15 08:00",
                "2026-07-15T12:00:00Z",
            ),
            (
                "New York 02:30 is skipped",
                New_York,
                "2026-03-08 02:30",
                "2026-03-08T07:00:00Z",
            ),
            (
                "New York 08:00 on jump day",
                New_York,
                "2026-03-08 08:00",
                "2026-03-08T12:00:00Z",
            ),
            (
                "New York 01:30 repeats",
                New_York,
                "2026-11-01 01:30",
                "2026-11-01T05:30:00Z",
            ),
            (
                "New York 08:00 after fall",
                New_York,
                "2026-11-01 08:00",
                "2026-11-01T13:00:00Z",
            ),
        ];
        for (why, zone, local, expected) in cases {
            assert_eq!(
                first_instant_at(zone, wall(local)),
                Some(utc(expected)),
                "{why}"
            );
        }
    }

    #[test]
    fn the_end_of_a_gap_is_exact_to_the_second_for_an_odd_historical_offset() {
        // Liberia moved from UTC-0:44:30 to UTC on 1972-01-07 at 00:00 local (00:44:30 UTC),
        // skipping 00:00 to 00:44:29. Minute steps alone would answer 00:45 local.
        let zone: Tz = "Africa/Monrovia".parse().expect("zone");
        let skipped = NaiveDate::from_ymd_opt(1972, 1, 7)
            .and_then(|d| d.and_hms_opt(0, 10, 0))
            .expect("date");
        assert_eq!(
            first_instant_at(zone, skipped),
            Some(utc("1972-01-07T00:44:30Z"))
        );
    }

    #[test]
    fn searches_fire_every_pattern_once_around_daylight_saving_changes() {
        let cases = [
            // (why, pattern, zone, from, the next firings after it)
            (
                "two times in the skipped hour collapse into the jump",
                "0,30 2 * * *",
                Paris,
                "2026-03-28T12:00:00Z",
                [
                    "2026-03-29T01:00:00Z",
                    "2026-03-30T00:00:00Z",
                    "2026-03-30T00:30:00Z",
                ],
            ),
            (
                "times in the repeated hour fire on the first pass only",
                "0,30 2 * * *",
                Paris,
                "2026-10-24T12:00:00Z",
                [
                    "2026-10-25T00:00:00Z",
                    "2026-10-25T00:30:00Z",
                    "2026-10-26T01:00:00Z",
                ],
            ),
            (
                "a search from the second pass skips what the first pass fired",
                "30 2 * * *",
                Paris,
                "2026-10-25T01:15:00Z",
                [
                    "2026-10-26T01:30:00Z",
                    "2026-10-27T01:30:00Z",
                    "2026-10-28T01:30:00Z",
                ],
            ),
            (
                "half-hourly firings in the New York gap land on the jump",
                "*/30 1-3 * * *",
                New_York,
                "2026-03-08T06:00:00Z",
                [
                    "2026-03-08T06:30:00Z",
                    "2026-03-08T07:00:00Z",
                    "2026-03-08T07:30:00Z",
                ],
            ),
            (
                "every half hour in the New York repeat fires once",
                "*/30 1 * * *",
                New_York,
                "2026-11-01T05:00:00Z",
                [
                    "2026-11-01T05:30:00Z",
                    "2026-11-02T06:00:00Z",
                    "2026-11-02T06:30:00Z",
                ],
            ),
        ];
        for (why, pattern, zone, from, expected) in cases {
            let cron = cron(pattern, zone);
            let mut at = utc(from);
            for next in expected {
                at = cron
                    .next_after(at)
                    .unwrap_or_else(|| panic!("{why}: no firing"));
                assert_eq!(at, utc(next), "{why}");
            }
        }
    }

    #[test]
    fn the_last_firing_is_found_from_either_pass_of_a_repeated_hour() {
        let cases = [
            // (why, pattern, zone, at, last firing at or before it)
            (
                "on the second pass, the first pass of 02:45 already fired",
                "45 2 * * *",
                Paris,
                "2026-10-25T01:30:00Z",
                "2026-10-25T00:45:00Z",
            ),
            (
                "on the first pass, 02:45 has not come yet",
                "45 2 * * *",
                Paris,
                "2026-10-25T00:30:00Z",
                "2026-10-24T00:45:00Z",
            ),
            (
                "the firing at the instant itself counts",
                "0 8 * * *",
                Paris,
                "2026-03-29T06:00:00Z",
                "2026-03-29T06:00:00Z",
            ),
            (
                "a firing in the skipped hour is found at the jump",
                "30 2 * * *",
                New_York,
                "2026-03-08T07:10:00Z",
                "2026-03-08T07:00:00Z",
            ),
            (
                "a firing in the skipped hour has not happened before the jump",
                "30 2 * * *",
                New_York,
                "2026-03-08T06:59:00Z",
                "2026-03-07T07:30:00Z",
            ),
        ];
        for (why, pattern, zone, at, expected) in cases {
            assert_eq!(
                cron(pattern, zone).last_at_or_before(utc(at)),
                Some(utc(expected)),
                "{why}"
            );
        }
    }

    #[test]
    fn next_at_or_after_includes_a_firing_at_the_instant_itself() {
        let cron = cron("0 8 * * *", Paris);
        let eight = utc("2026-07-15T06:00:00Z");
        assert_eq!(cron.next_at_or_after(eight), Some(eight));
        assert_eq!(cron.next_after(eight), Some(utc("2026-07-16T06:00:00Z")));
    }
}
