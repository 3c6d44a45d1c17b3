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
        let mut zones: Vec<&str> = Vec::new();
        for (rule, _) in &change.flips {
            if !zones.contains(&rule.timezone.as_str()) {
                zones.push(&rule.timezone);
            }
        }
        let local = zones
            .iter()
            .map(|zone| local_time(change.transition.at, zone))
            .collect::<Vec<_>>()
            .join(", ");
        let what = change
            .flips
            .iter()
            .map(|(rule, started)| {
                let verb = if *started { "starts" } else { "ends" };
                format!("rule {} {verb}", rule.index)
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

/// `at` on the wall clock of `zone`, with the zone's abbreviation and name.
fn local_time(at: DateTime<Utc>, zone: &str) -> String {
    // The names come from rules that were parsed into `Tz` already, so this parse succeeds; the
    // fallback only keeps the table whole if it ever did not.
    match zone.parse::<Tz>() {
        Ok(tz) => format!(
            "{} {zone}",
            at.with_timezone(&tz).format("%Y-%m-%d %H:%M %Z")
        ),
        Err(_) => zone.to_owned(),
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
