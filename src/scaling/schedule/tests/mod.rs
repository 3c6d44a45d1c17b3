//! The schedule's behaviour as the scaler sees it, and the helpers its tables share.
//!
//! The 2026 change days used throughout: Europe/Paris springs forward on 29 March (02:00 CET
//! becomes 03:00 CEST at 01:00 UTC) and falls back on 25 October (03:00 CEST becomes 02:00 CET
//! at 01:00 UTC); America/New_York springs forward on 8 March (02:00 EST becomes 03:00 EDT at
//! 07:00 UTC) and falls back on 1 November (02:00 EDT becomes 01:00 EST at 06:00 UTC).

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::json;

use super::*;

mod daylight_saving;
mod windows;

/// A schedule of `rules`, with `MAX_EXECUTIONS` at 10.
fn schedule(rules: &[String]) -> WarmSchedule {
    let value = format!("[{}]", rules.join(", "));
    WarmSchedule::parse(&value, 10).unwrap_or_else(|e| panic!("{value}: {e:#?}"))
}

/// One rule, as JSON.
fn rule(start: &str, end: &str, zone: &str, idle: u32) -> String {
    format!(r#"{{"start": "{start}", "end": "{end}", "timezone": "{zone}", "idle": {idle}}}"#)
}

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .with_timezone(&Utc)
}

/// A transition as a table spells it: instant, warm minimum, number of the rule setting it.
type Step = (&'static str, u32, Option<usize>);

/// A case for [`assert_transitions`]: why, the rules, from when, the transitions expected.
type TransitionCase = (&'static str, Vec<String>, &'static str, Vec<Step>);

/// A case for [`assert_states`]: why, the rules, at when, the warm minimum and its rule there,
/// then the next change.
type StateCase = (
    &'static str,
    Vec<String>,
    &'static str,
    (u32, Option<usize>),
    Option<Step>,
);

fn step(transition: &Transition) -> (String, u32, Option<usize>) {
    (
        transition.at.to_rfc3339_opts(SecondsFormat::Secs, true),
        transition.idle,
        transition.rule.as_ref().map(|rule| rule.index),
    )
}

fn owned(step: &Step) -> (String, u32, Option<usize>) {
    (step.0.to_owned(), step.1, step.2)
}

/// Checks, row by row, the next transitions after an instant.
fn assert_transitions(cases: Vec<TransitionCase>) {
    for (why, rules, from, want) in cases {
        let got = schedule(&rules).transitions(utc(from), want.len());
        let got: Vec<_> = got.iter().map(step).collect();
        let want: Vec<_> = want.iter().map(owned).collect();
        assert_eq!(got, want, "{why}");
    }
}

/// Checks, row by row, what `at` reports at an instant.
fn assert_states(cases: Vec<StateCase>) {
    for (why, rules, at, (idle, rule), next) in cases {
        let state = schedule(&rules).at(utc(at));
        assert_eq!(
            (state.idle, state.rule.as_ref().map(|rule| rule.index)),
            (idle, rule),
            "{why}: warm minimum"
        );
        assert_eq!(
            state.next_change.as_ref().map(step),
            next.as_ref().map(owned),
            "{why}: next change"
        );
    }
}

/// Office hours, 08:00 to 18:00 every day, in `zone`.
fn office_hours(zone: &str) -> Vec<String> {
    vec![rule("0 8 * * *", "0 18 * * *", zone, 2)]
}
