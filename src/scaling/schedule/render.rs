//! The human table behind `aca-runner-scaler schedule`: what the schedule keeps warm now and
//! when that changes, in UTC and in the local time of the rules involved.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::{TRANSITIONS_HORIZON, WarmSchedule};

/// Renders the warm minimum at `from` and its next `count` changes as a table.
///
/// Each line gives the UTC instant, that instant's local time in the zone of each rule that
/// starts or ends there, what started or ended, the warm minimum from then on and the rule that
/// sets it (`-` when none).
pub fn render_transitions(schedule: &WarmSchedule, from: DateTime<Utc>, count: usize) -> String {
    if schedule.is_empty() {
        return "WARM_SCHEDULE has no rules: no idle runners are kept warm.\n".to_owned();
    }

    let now = schedule.at(from);
    let mut out = format!(
        "Warm minimum at {}: {} idle runner(s), {}.\n",
        from.format("%Y-%m-%d %H:%M UTC"),
        now.idle,
        now.rule
            .as_ref()
            .map_or("no rule in force".to_owned(), |rule| format!(
                "rule {}",
                rule.index
            )),
    );

    if count == 0 {
        return out;
    }
    let changes = schedule.changes(from, count);
    if changes.is_empty() {
        let _ = writeln!(
            out,
            "No change of the warm minimum within {} days.",
            TRANSITIONS_HORIZON.num_days()
        );
        return out;
    }

    let mut rows = vec![[
        "at (UTC)".to_owned(),
        "local time".to_owned(),
        "change".to_owned(),
        "idle".to_owned(),
        "rule".to_owned(),
    ]];
    for change in &changes {
        let mut zones: Vec<Tz> = Vec::new();
        for flip in &change.flips {
            if !zones.contains(&flip.zone) {
                zones.push(flip.zone);
            }
        }
        let local = zones
            .iter()
            .map(|zone| local_time(change.transition.at, *zone))
            .collect::<Vec<_>>()
            .join(", ");
        let what = change
            .flips
            .iter()
            .map(|flip| {
                let verb = if flip.started { "starts" } else { "ends" };
                format!("rule {} {verb}", flip.rule)
            })
            .collect::<Vec<_>>()
            .join(", ");
        let rule = change
            .transition
            .rule
            .as_ref()
            .map_or("-".to_owned(), |rule| rule.index.to_string());

        rows.push([
            change.transition.at.format("%Y-%m-%d %H:%M").to_string(),
            local,
            what,
            change.transition.idle.to_string(),
            rule,
        ]);
    }

    out.push_str(&table(&rows));
    out
}

/// `at` on the wall clock of `zone`, with the zone's abbreviation (`CEST`) and, when that is
/// not already its name (`UTC`), its name.
fn local_time(at: DateTime<Utc>, zone: Tz) -> String {
    let local = at.with_timezone(&zone);
    let abbreviation = local.format("%Z").to_string();
    let time = local.format("%Y-%m-%d %H:%M");
    if abbreviation == zone.name() {
        format!("{time} {abbreviation}")
    } else {
        format!("{time} {abbreviation} {}", zone.name())
    }
}

/// Lays rows out in left-aligned columns two spaces apart.
fn table<const N: usize>(rows: &[[String; N]]) -> String {
    let mut widths = [0; N];
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }

    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (column, (cell, width)) in row.iter().zip(widths).enumerate() {
            if column + 1 == N {
                line.push_str(cell);
            } else {
                let _ = write!(line, "{cell:<width$}  ");
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(value: &str, from: &str, count: usize) -> String {
        let schedule = WarmSchedule::parse(value, 10).expect("test schedule");
        let from = DateTime::parse_from_rfc3339(from).expect("test instant");
        render_transitions(&schedule, from.with_timezone(&Utc), count)
    }

    #[test]
    fn the_table_shows_each_change_in_utc_and_in_the_zones_of_the_rules_involved() {
        let value = r#"[
            {"start": "0 8 * * 1-5", "end": "0 18 * * 1-5", "timezone": "Europe/Paris", "idle": 2},
            {"start": "0 13 * * 1-5", "end": "0 17 * * 1-5", "timezone": "America/New_York", "idle": 3},
            {"start": "0 23 * * 5", "end": "0 1 * * 6", "idle": 1}
        ]"#;
        // Friday 27 March 2026: New York is already on summer time, Paris springs forward on
        // Sunday, so Monday's 08:00 in Paris is an hour earlier in UTC than Friday's.
        let want = "\
Warm minimum at 2026-03-27 09:00 UTC: 2 idle runner(s), rule 1.
at (UTC)          local time                                                                change                      idle  rule
2026-03-27 17:00  2026-03-27 18:00 CET Europe/Paris, 2026-03-27 13:00 EDT America/New_York  rule 1 ends, rule 2 starts  3     2
2026-03-27 21:00  2026-03-27 17:00 EDT America/New_York                                     rule 2 ends                 0     -
2026-03-27 23:00  2026-03-27 23:00 UTC                                                      rule 3 starts               1     3
2026-03-28 01:00  2026-03-28 01:00 UTC                                                      rule 3 ends                 0     -
2026-03-30 06:00  2026-03-30 08:00 CEST Europe/Paris                                        rule 1 starts               2     1
";
        assert_eq!(render(value, "2026-03-27T09:00:00Z", 5), want);
    }

    #[test]
    fn the_table_says_so_when_there_is_nothing_to_show() {
        let cases = [
            (
                "no rules",
                "[]",
                "WARM_SCHEDULE has no rules: no idle runners are kept warm.\n",
            ),
            (
                "a leap-day rule whose next leap day is 2028",
                r#"[{"start": "0 0 29 2 *", "end": "0 0 1 3 *", "idle": 1}]"#,
                "Warm minimum at 2026-03-27 09:00 UTC: 0 idle runner(s), no rule in force.\n\
                 No change of the warm minimum within 366 days.\n",
            ),
        ];
        for (why, value, want) in cases {
            assert_eq!(render(value, "2026-03-27T09:00:00Z", 5), want, "{why}");
        }
    }
}
