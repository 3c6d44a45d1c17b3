//! Windows across midnight and weekends, overlapping rules, what `at` reports, and horizons.

use super::*;

#[test]
fn a_window_across_midnight_holds_until_its_end_the_next_morning() {
    let night = || vec![rule("0 22 * * *", "0 6 * * *", "UTC", 3)];
    let paris_night = || vec![rule("0 22 * * *", "0 6 * * *", "Europe/Paris", 3)];
    assert_states(vec![
        (
            "just before it starts",
            night(),
            "2026-06-10T21:59:00Z",
            (0, None),
            Some(("2026-06-10T22:00:00Z", 3, Some(1))),
        ),
        (
            "the minute it starts",
            night(),
            "2026-06-10T22:00:00Z",
            (3, Some(1)),
            Some(("2026-06-11T06:00:00Z", 0, None)),
        ),
        (
            "after midnight",
            night(),
            "2026-06-11T03:00:00Z",
            (3, Some(1)),
            Some(("2026-06-11T06:00:00Z", 0, None)),
        ),
        (
            "the minute it ends",
            night(),
            "2026-06-11T06:00:00Z",
            (0, None),
            Some(("2026-06-11T22:00:00Z", 3, Some(1))),
        ),
        (
            "a Paris night that springs forward: 22:00 CET to 06:00 CEST",
            paris_night(),
            "2026-03-29T02:00:00Z",
            (3, Some(1)),
            Some(("2026-03-29T04:00:00Z", 0, None)),
        ),
    ]);
}

#[test]
fn weekdays_only_rules_keep_nothing_warm_at_the_weekend() {
    // 12 June 2026 is a Friday.
    let weekdays = || vec![rule("0 8 * * 1-5", "0 18 * * 1-5", "UTC", 2)];
    assert_transitions(vec![(
        "Friday evening to Monday evening",
        weekdays(),
        "2026-06-12T12:00:00Z",
        vec![
            ("2026-06-12T18:00:00Z", 0, None),
            ("2026-06-15T08:00:00Z", 2, Some(1)),
            ("2026-06-15T18:00:00Z", 0, None),
        ],
    )]);
    assert_states(vec![
        (
            "Saturday morning",
            weekdays(),
            "2026-06-13T10:00:00Z",
            (0, None),
            Some(("2026-06-15T08:00:00Z", 2, Some(1))),
        ),
        (
            "Sunday at 08:00",
            weekdays(),
            "2026-06-14T08:00:00Z",
            (0, None),
            Some(("2026-06-15T08:00:00Z", 2, Some(1))),
        ),
    ]);
}

#[test]
fn a_window_can_span_a_weekend_from_friday_evening_to_monday_morning() {
    let weekend = || vec![rule("0 18 * * 5", "0 8 * * 1", "Europe/Paris", 1)];
    assert_states(vec![
        (
            "Thursday",
            weekend(),
            "2026-06-11T12:00:00Z",
            (0, None),
            Some(("2026-06-12T16:00:00Z", 1, Some(1))),
        ),
        (
            "Saturday",
            weekend(),
            "2026-06-13T12:00:00Z",
            (1, Some(1)),
            Some(("2026-06-15T06:00:00Z", 0, None)),
        ),
        (
            "Monday a minute before 08:00 CEST",
            weekend(),
            "2026-06-15T05:59:00Z",
            (1, Some(1)),
            Some(("2026-06-15T06:00:00Z", 0, None)),
        ),
        (
            "Monday at 08:00 CEST",
            weekend(),
            "2026-06-15T06:00:00Z",
            (0, None),
            Some(("2026-06-19T16:00:00Z", 1, Some(1))),
        ),
        (
            "the weekend Paris falls back: Friday 18:00 CEST to Monday 08:00 CET",
            weekend(),
            "2026-10-25T12:00:00Z",
            (1, Some(1)),
            Some(("2026-10-26T07:00:00Z", 0, None)),
        ),
    ]);
}

#[test]
fn overlapping_rules_keep_the_largest_idle_and_only_its_changes_count() {
    let day = rule("0 8 * * *", "0 18 * * *", "UTC", 2);
    let lunch = rule("0 12 * * *", "0 14 * * *", "UTC", 5);
    let early = rule("0 9 * * *", "0 10 * * *", "UTC", 1);
    assert_transitions(vec![
        (
            "a larger rule inside a smaller one, and a smaller one that changes nothing",
            vec![day.clone(), lunch, early],
            "2026-06-10T00:00:00Z",
            vec![
                ("2026-06-10T08:00:00Z", 2, Some(1)),
                ("2026-06-10T12:00:00Z", 5, Some(2)),
                ("2026-06-10T14:00:00Z", 2, Some(1)),
                ("2026-06-10T18:00:00Z", 0, None),
            ],
        ),
        (
            "Paris and New York office hours overlap from 12:00 to 16:00 UTC in June",
            vec![
                rule("0 8 * * *", "0 18 * * *", "Europe/Paris", 2),
                rule("0 8 * * *", "0 18 * * *", "America/New_York", 3),
            ],
            "2026-06-10T00:00:00Z",
            vec![
                ("2026-06-10T06:00:00Z", 2, Some(1)),
                ("2026-06-10T12:00:00Z", 3, Some(2)),
                ("2026-06-10T22:00:00Z", 0, None),
            ],
        ),
        (
            "two rules with the same idle hand over without a transition",
            vec![day, rule("0 10 * * *", "0 20 * * *", "UTC", 2)],
            "2026-06-10T00:00:00Z",
            vec![
                ("2026-06-10T08:00:00Z", 2, Some(1)),
                ("2026-06-10T20:00:00Z", 0, None),
            ],
        ),
    ]);

    let tie = || {
        vec![
            rule("0 8 * * *", "0 12 * * *", "UTC", 2),
            rule("0 10 * * *", "0 18 * * *", "UTC", 2),
        ]
    };
    assert_states(vec![
        (
            "on a tie the rule first in the setting is named",
            tie(),
            "2026-06-10T11:00:00Z",
            (2, Some(1)),
            Some(("2026-06-10T18:00:00Z", 0, None)),
        ),
        (
            "once the first ends the second is named",
            tie(),
            "2026-06-10T13:00:00Z",
            (2, Some(2)),
            Some(("2026-06-10T18:00:00Z", 0, None)),
        ),
    ]);
}

#[test]
fn at_reports_the_rule_in_force_and_the_next_change_as_the_tick_report_shows_them() {
    let weekdays = [rule("0 8 * * 1-5", "0 18 * * 1-5", "Europe/Paris", 2)];
    // Monday 30 March 2026, 11:00 CEST: the first working day after springing forward.
    let state = schedule(&weekdays).at(utc("2026-03-30T09:00:00Z"));

    let summary = RuleSummary {
        index: 1,
        start: "0 8 * * 1-5".to_owned(),
        end: "0 18 * * 1-5".to_owned(),
        timezone: "Europe/Paris".to_owned(),
        idle: 2,
    };
    let want = WarmState {
        idle: 2,
        rule: Some(summary),
        next_change: Some(Transition {
            at: utc("2026-03-30T16:00:00Z"),
            idle: 0,
            rule: None,
        }),
    };
    assert_eq!(state, want);

    let report = serde_json::to_value(&state).expect("a state serializes");
    assert_eq!(
        report,
        json!({
            "idle": 2,
            "rule": {
                "index": 1,
                "start": "0 8 * * 1-5",
                "end": "0 18 * * 1-5",
                "timezone": "Europe/Paris",
                "idle": 2
            },
            "next_change": {"at": "2026-03-30T16:00:00Z", "idle": 0, "rule": null}
        })
    );
}

#[test]
fn a_change_beyond_the_horizon_is_not_reported_by_at_but_is_listed_by_transitions() {
    let december = || vec![rule("0 0 1 12 *", "0 0 1 1 *", "UTC", 4)];
    assert_states(vec![
        (
            "June is months before the window",
            december(),
            "2026-06-01T00:00:00Z",
            (0, None),
            None,
        ),
        (
            "a week before the window the start is within reach",
            december(),
            "2026-11-25T00:00:00Z",
            (0, None),
            Some(("2026-12-01T00:00:00Z", 4, Some(1))),
        ),
        (
            "mid-December the window is open and its end is 17 days away",
            december(),
            "2026-12-15T00:00:00Z",
            (4, Some(1)),
            None,
        ),
        (
            "four days before New Year the end is within reach",
            december(),
            "2026-12-28T00:00:00Z",
            (4, Some(1)),
            Some(("2027-01-01T00:00:00Z", 0, None)),
        ),
    ]);

    // Asking for three finds two: the third, December 2027, is past the 366-day horizon.
    let listed = schedule(&december()).transitions(utc("2026-06-01T00:00:00Z"), 3);
    let listed: Vec<_> = listed.iter().map(step).collect();
    let want: Vec<_> = [
        ("2026-12-01T00:00:00Z", 4, Some(1)),
        ("2027-01-01T00:00:00Z", 0, None),
    ]
    .iter()
    .map(owned)
    .collect();
    assert_eq!(listed, want);
}

#[test]
fn transitions_returns_at_most_count_changes() {
    let rules = office_hours("UTC");
    let from = utc("2026-06-10T00:00:00Z");
    for count in [0, 1, 5] {
        assert_eq!(schedule(&rules).transitions(from, count).len(), count);
    }
}

#[test]
fn a_schedule_without_rules_keeps_nothing_warm() {
    let cases = [
        ("none()", WarmSchedule::none()),
        (
            "an unset setting",
            WarmSchedule::parse("", 10).expect("blank"),
        ),
        (
            "an empty array",
            WarmSchedule::parse(" [ ] ", 10).expect("empty"),
        ),
    ];
    let now = utc("2026-06-10T12:00:00Z");
    for (why, schedule) in cases {
        assert!(schedule.is_empty(), "{why}");
        assert_eq!(
            schedule.at(now),
            WarmState {
                idle: 0,
                rule: None,
                next_change: None
            },
            "{why}"
        );
        assert!(schedule.transitions(now, 5).is_empty(), "{why}");
    }
    assert!(!schedule(&office_hours("UTC")).is_empty());
}
