//! Wall-clock times on the 2026 daylight-saving days of Paris and New York.

use super::*;

#[test]
fn eight_o_clock_local_is_the_right_utc_in_winter_in_summer_and_around_each_change() {
    let paris = || office_hours("Europe/Paris");
    let new_york = || office_hours("America/New_York");
    let day = |start, end| vec![(start, 2, Some(1)), (end, 0, None)];
    assert_transitions(vec![
        (
            "Paris in winter",
            paris(),
            "2026-01-15T00:00:00Z",
            day("2026-01-15T07:00:00Z", "2026-01-15T17:00:00Z"),
        ),
        (
            "Paris in summer",
            paris(),
            "2026-07-15T00:00:00Z",
            day("2026-07-15T06:00:00Z", "2026-07-15T16:00:00Z"),
        ),
        (
            "Paris the day before springing forward",
            paris(),
            "2026-03-28T00:00:00Z",
            day("2026-03-28T07:00:00Z", "2026-03-28T17:00:00Z"),
        ),
        (
            "Paris on the day it springs forward",
            paris(),
            "2026-03-29T00:00:00Z",
            day("2026-03-29T06:00:00Z", "2026-03-29T16:00:00Z"),
        ),
        (
            "Paris the day before falling back",
            paris(),
            "2026-10-24T00:00:00Z",
            day("2026-10-24T06:00:00Z", "2026-10-24T16:00:00Z"),
        ),
        (
            "Paris on the day it falls back",
            paris(),
            "2026-10-25T00:00:00Z",
            day("2026-10-25T07:00:00Z", "2026-10-25T17:00:00Z"),
        ),
        (
            "New York in winter",
            new_york(),
            "2026-01-15T00:00:00Z",
            day("2026-01-15T13:00:00Z", "2026-01-15T23:00:00Z"),
        ),
        (
            "New York in summer",
            new_york(),
            "2026-07-15T00:00:00Z",
            day("2026-07-15T12:00:00Z", "2026-07-15T22:00:00Z"),
        ),
        (
            "New York the day before springing forward",
            new_york(),
            "2026-03-07T00:00:00Z",
            day("2026-03-07T13:00:00Z", "2026-03-07T23:00:00Z"),
        ),
        (
            "New York on the day it springs forward",
            new_york(),
            "2026-03-08T00:00:00Z",
            day("2026-03-08T12:00:00Z", "2026-03-08T22:00:00Z"),
        ),
        (
            "New York the day before falling back",
            new_york(),
            "2026-10-31T00:00:00Z",
            day("2026-10-31T12:00:00Z", "2026-10-31T22:00:00Z"),
        ),
        (
            "New York on the day it falls back",
            new_york(),
            "2026-11-01T00:00:00Z",
            day("2026-11-01T13:00:00Z", "2026-11-01T23:00:00Z"),
        ),
    ]);
}

#[test]
fn a_start_or_end_in_the_skipped_hour_fires_at_the_first_valid_instant_after_it() {
    assert_transitions(vec![
        (
            "Paris 02:30 starts at 03:00 CEST, then 02:30 CEST the next day",
            vec![rule("30 2 * * *", "0 4 * * *", "Europe/Paris", 1)],
            "2026-03-28T12:00:00Z",
            vec![
                ("2026-03-29T01:00:00Z", 1, Some(1)),
                ("2026-03-29T02:00:00Z", 0, None),
                ("2026-03-30T00:30:00Z", 1, Some(1)),
            ],
        ),
        (
            "Paris 02:30 the day before is still 02:30 CET",
            vec![rule("30 2 * * *", "0 4 * * *", "Europe/Paris", 1)],
            "2026-03-27T12:00:00Z",
            vec![("2026-03-28T01:30:00Z", 1, Some(1))],
        ),
        (
            "New York 02:30 starts at 03:00 EDT, then 02:30 EDT the next day",
            vec![rule("30 2 * * *", "0 4 * * *", "America/New_York", 1)],
            "2026-03-07T12:00:00Z",
            vec![
                ("2026-03-08T07:00:00Z", 1, Some(1)),
                ("2026-03-08T08:00:00Z", 0, None),
                ("2026-03-09T06:30:00Z", 1, Some(1)),
            ],
        ),
        (
            "a Paris end at 02:30 ends at 03:00 CEST",
            vec![rule("0 1 * * *", "30 2 * * *", "Europe/Paris", 1)],
            "2026-03-28T12:00:00Z",
            vec![
                ("2026-03-29T00:00:00Z", 1, Some(1)),
                ("2026-03-29T01:00:00Z", 0, None),
            ],
        ),
        (
            "a New York end at 02:30 ends at 03:00 EDT",
            vec![rule("0 1 * * *", "30 2 * * *", "America/New_York", 1)],
            "2026-03-07T12:00:00Z",
            vec![
                ("2026-03-08T06:00:00Z", 1, Some(1)),
                ("2026-03-08T07:00:00Z", 0, None),
            ],
        ),
        (
            "a window wholly inside the skipped hour opens nothing that day",
            vec![rule("30 2 * * *", "0 3 * * *", "Europe/Paris", 1)],
            "2026-03-28T12:00:00Z",
            vec![
                ("2026-03-30T00:30:00Z", 1, Some(1)),
                ("2026-03-30T01:00:00Z", 0, None),
            ],
        ),
    ]);
}

#[test]
fn a_start_and_end_at_the_same_instant_open_no_window() {
    assert_states(vec![(
        "02:30 and 03:00 both fire at 03:00 CEST on the day Paris springs forward",
        vec![rule("30 2 * * *", "0 3 * * *", "Europe/Paris", 1)],
        "2026-03-29T01:00:00Z",
        (0, None),
        Some(("2026-03-30T00:30:00Z", 1, Some(1))),
    )]);
}

#[test]
fn a_start_in_the_repeated_hour_fires_once_on_its_first_pass() {
    assert_transitions(vec![
        (
            "Paris 02:30 to 02:45 happens in CEST only, not again in CET",
            vec![rule("30 2 * * *", "45 2 * * *", "Europe/Paris", 1)],
            "2026-10-24T12:00:00Z",
            vec![
                ("2026-10-25T00:30:00Z", 1, Some(1)),
                ("2026-10-25T00:45:00Z", 0, None),
                ("2026-10-26T01:30:00Z", 1, Some(1)),
            ],
        ),
        (
            "New York 01:30 to 01:45 happens in EDT only, not again in EST",
            vec![rule("30 1 * * *", "45 1 * * *", "America/New_York", 1)],
            "2026-10-31T12:00:00Z",
            vec![
                ("2026-11-01T05:30:00Z", 1, Some(1)),
                ("2026-11-01T05:45:00Z", 0, None),
                ("2026-11-02T06:30:00Z", 1, Some(1)),
            ],
        ),
    ]);
    assert_states(vec![
        (
            "on the second pass of 02:30 a window opened on the first pass is still open",
            vec![rule("30 2 * * *", "0 5 * * *", "Europe/Paris", 1)],
            "2026-10-25T01:30:00Z",
            (1, Some(1)),
            Some(("2026-10-25T04:00:00Z", 0, None)),
        ),
        (
            "on the second pass of 02:30 a window closed on the first pass stays closed",
            vec![rule("30 2 * * *", "45 2 * * *", "Europe/Paris", 1)],
            "2026-10-25T01:35:00Z",
            (0, None),
            Some(("2026-10-26T01:30:00Z", 1, Some(1))),
        ),
    ]);
}
