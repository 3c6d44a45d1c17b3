//! Reading and validating the `WARM_SCHEDULE` setting.
//!
//! The setting is checked once, at start-up, and every problem is reported at once: an operator
//! fixing a schedule should not have to redeploy once per typo. So each rule is read field by
//! field from a `serde_json::Value` rather than through a derived `Deserialize`, which would stop
//! at the first error.

use chrono::NaiveDate;
use chrono_tz::Tz;
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};
use serde_json::{Map, Value};

use super::error::{RuleField, ScheduleError};
use super::occurrence::WallClockCron;
use super::rule::Rule;

/// The fields a rule accepts; anything else is reported, to catch typos such as `"tz"`.
const ACCEPTED_FIELDS: [&str; 4] = ["start", "end", "timezone", "idle"];

/// Reads the setting's value into rules, or every problem found in it.
///
/// A blank value means no warm runners, as does an empty array.
pub(super) fn parse_rules(
    value: &str,
    max_executions: u32,
) -> Result<Vec<Rule>, Vec<ScheduleError>> {
    if value.trim().is_empty() {
        return Ok(Vec::new());
    }

    let json: Value = serde_json::from_str(value).map_err(|e| vec![invalid_json(&e)])?;
    let Value::Array(items) = json else {
        return Err(vec![ScheduleError::NotAnArray {
            found: json_kind(&json),
        }]);
    };

    let mut rules = Vec::with_capacity(items.len());
    let mut errors = Vec::new();
    for (position, item) in items.iter().enumerate() {
        match parse_rule(position + 1, item, max_executions) {
            Ok(rule) => rules.push(rule),
            Err(mut problems) => errors.append(&mut problems),
        }
    }

    if errors.is_empty() {
        Ok(rules)
    } else {
        Err(errors)
    }
}

fn invalid_json(error: &serde_json::Error) -> ScheduleError {
    // serde_json appends " at line L column C" to its message; the position is reported in
    // its own words instead.
    let full = error.to_string();
    let position = format!(" at line {} column {}", error.line(), error.column());
    ScheduleError::InvalidJson {
        message: full.strip_suffix(&position).unwrap_or(&full).to_owned(),
        line: error.line(),
        column: error.column(),
    }
}

/// Reads rule number `index` (1-based), reporting every problem in it.
fn parse_rule(index: usize, item: &Value, max_executions: u32) -> Result<Rule, Vec<ScheduleError>> {
    let Value::Object(fields) = item else {
        return Err(vec![ScheduleError::RuleNotAnObject {
            rule: index,
            found: json_kind(item),
        }]);
    };

    let mut errors: Vec<ScheduleError> = fields
        .keys()
        .filter(|name| !ACCEPTED_FIELDS.contains(&name.as_str()))
        .map(|name| ScheduleError::UnknownField {
            rule: index,
            field: name.clone(),
        })
        .collect();

    let start = parse_cron(index, RuleField::Start, fields);
    let end = parse_cron(index, RuleField::End, fields);
    let zone = parse_zone(index, fields);
    let idle = parse_idle(index, fields, max_executions);

    if let (Ok((start_text, start_cron)), Ok((_, end_cron))) = (&start, &end) {
        if start_cron == end_cron {
            errors.push(ScheduleError::SameStartAndEnd {
                rule: index,
                value: start_text.clone(),
            });
        }
    }

    match (start, end, zone, idle) {
        (Ok((start_text, start_cron)), Ok((end_text, end_cron)), Ok(zone), Ok(idle))
            if errors.is_empty() =>
        {
            Ok(Rule {
                index,
                start_text,
                end_text,
                zone,
                idle,
                start: WallClockCron::new(start_cron, zone),
                end: WallClockCron::new(end_cron, zone),
            })
        }
        (start, end, zone, idle) => {
            errors.extend(start.err());
            errors.extend(end.err());
            errors.extend(zone.err());
            errors.extend(idle.err());
            Err(errors)
        }
    }
}

/// Reads `start` or `end`: its text as written (trimmed) and the parsed expression.
fn parse_cron(
    rule: usize,
    field: RuleField,
    fields: &Map<String, Value>,
) -> Result<(String, Cron), ScheduleError> {
    let text = match fields.get(&field.to_string()) {
        None => return Err(ScheduleError::MissingField { rule, field }),
        Some(Value::String(text)) => text.trim().to_owned(),
        Some(other) => {
            return Err(ScheduleError::NotAString {
                rule,
                field,
                found: json_kind(other),
            });
        }
    };

    // croner would read a 6-field expression as one with seconds, and a 7-field one with a
    // year. Counting first gives the operator a plainer message than croner's. Nicknames such
    // as `@daily` are one word and are left to croner.
    let count = text.split_whitespace().count();
    if count != 5 && !text.starts_with('@') {
        return Err(ScheduleError::CronFieldCount {
            rule,
            field,
            value: text,
            count,
        });
    }

    let parser = CronParser::builder()
        .seconds(Seconds::Disallowed)
        .year(Year::Disallowed)
        .build();
    let cron = match parser.parse(&text) {
        Ok(cron) => cron,
        Err(e) => {
            return Err(ScheduleError::InvalidCron {
                rule,
                field,
                message: e.to_string(),
                value: text,
            });
        }
    };

    // A 5-field pattern repeats at least every 400 years (the Gregorian calendar's cycle,
    // weekdays included), so one forward search from any date tells whether it ever fires.
    // Catching this here keeps an impossible pattern (which costs croner a search to the year
    // 5000) out of every tick.
    let reference = NaiveDate::from_ymd_opt(2000, 1, 1).and_then(|date| date.and_hms_opt(0, 0, 0));
    if let Some(reference) = reference {
        if cron.find_next_occurrence(&reference, true).is_err() {
            return Err(ScheduleError::CronNeverOccurs {
                rule,
                field,
                value: text,
            });
        }
    }

    Ok((text, cron))
}

/// Reads `timezone`, `UTC` when absent.
fn parse_zone(rule: usize, fields: &Map<String, Value>) -> Result<Tz, ScheduleError> {
    match fields.get("timezone") {
        None => Ok(chrono_tz::UTC),
        Some(Value::String(name)) => {
            name.trim()
                .parse::<Tz>()
                .map_err(|_| ScheduleError::UnknownTimezone {
                    rule,
                    value: name.clone(),
                })
        }
        Some(other) => Err(ScheduleError::NotAString {
            rule,
            field: RuleField::Timezone,
            found: json_kind(other),
        }),
    }
}

/// Reads `idle`, which must be a whole number no larger than `max_executions`.
fn parse_idle(
    rule: usize,
    fields: &Map<String, Value>,
    max_executions: u32,
) -> Result<u32, ScheduleError> {
    let value = fields.get("idle").ok_or(ScheduleError::MissingField {
        rule,
        field: RuleField::Idle,
    })?;

    // `as_u64` is `None` for negative numbers, fractions (`1.5`, and also `2.0`: JSON has no
    // integer type, but serde_json keeps the distinction and a schedule has no use for `2.0`)
    // and for anything that is not a number, such as the string "2".
    let Some(idle) = value.as_u64() else {
        return Err(ScheduleError::InvalidIdle {
            rule,
            value: value.to_string(),
            max: max_executions,
        });
    };

    u32::try_from(idle)
        .ok()
        .filter(|idle| *idle <= max_executions)
        .ok_or(ScheduleError::IdleAboveMax {
            rule,
            idle,
            max: max_executions,
        })
}

/// The kind of a JSON value, as a message names it.
fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The messages of every problem `value` has, with `MAX_EXECUTIONS` at 10.
    fn problems(value: &str) -> Vec<String> {
        match parse_rules(value, 10) {
            Ok(rules) => panic!("{value} was accepted with {} rule(s)", rules.len()),
            Err(errors) => errors.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn each_problem_gets_a_message_naming_the_setting_the_rule_and_the_field() {
        let cases: [(&str, &str, &[&str]); 18] = [
            (
                "JSON that does not parse says where",
                r#"[{"start": "0 8 * * *",}]"#,
                &[
                    "WARM_SCHEDULE is not valid JSON",
                    "line 1, column 24",
                    "trailing comma",
                ],
            ),
            (
                "JSON that is not an array says what it found",
                r#"{"start": "0 8 * * *", "end": "0 18 * * *", "idle": 1}"#,
                &["WARM_SCHEDULE must be a JSON array", "found an object"],
            ),
            (
                "a rule that is not an object",
                r#"[3]"#,
                &[
                    "WARM_SCHEDULE rule 1 must be a JSON object",
                    "found a number",
                ],
            ),
            (
                "an invalid start quotes the cron parser",
                r#"[{"start": "0 25 * * *", "end": "0 18 * * *", "idle": 1}]"#,
                &[
                    "WARM_SCHEDULE rule 1 \"start\"",
                    "\"0 25 * * *\"",
                    "Number out of bounds",
                ],
            ),
            (
                "an invalid end quotes the cron parser",
                r#"[{"start": "0 8 * * *", "end": "0 18 * * MOON", "idle": 1}]"#,
                &[
                    "WARM_SCHEDULE rule 1 \"end\"",
                    "not a valid cron expression",
                    "MOON",
                ],
            ),
            (
                "a 6-field cron with seconds is refused with the expected count",
                r#"[{"start": "0 0 8 * * *", "end": "0 18 * * *", "idle": 1}]"#,
                &[
                    "WARM_SCHEDULE rule 1 \"start\"",
                    "has 6 fields",
                    "5 fields are expected",
                ],
            ),
            (
                "a 4-field cron is refused with the expected count",
                r#"[{"start": "0 8 * * *", "end": "0 18 * *", "idle": 1}]"#,
                &[
                    "WARM_SCHEDULE rule 1 \"end\"",
                    "has 4 fields",
                    "5 fields are expected",
                ],
            ),
            (
                "a cron that never fires",
                r#"[{"start": "0 8 31 2 *", "end": "0 18 * * *", "idle": 1}]"#,
                &[
                    "WARM_SCHEDULE rule 1 \"start\"",
                    "\"0 8 31 2 *\"",
                    "never occurs",
                ],
            ),
            (
                "a start that equals the end",
                r#"[{"start": "0 8 * * *", "end": " 0 8 * * * ", "idle": 1}]"#,
                &[
                    "WARM_SCHEDULE rule 1 has the same \"start\" and \"end\"",
                    "never be in force",
                ],
            ),
            (
                "a cron that is not a string",
                r#"[{"start": 8, "end": "0 18 * * *", "idle": 1}]"#,
                &[
                    "WARM_SCHEDULE rule 1 \"start\" must be a string",
                    "found a number",
                ],
            ),
            (
                "an unknown time zone names the value",
                r#"[{"start": "0 8 * * *", "end": "0 18 * * *", "timezone": "Europe/Pariss", "idle": 1}]"#,
                &[
                    "WARM_SCHEDULE rule 1 \"timezone\"",
                    "\"Europe/Pariss\"",
                    "IANA",
                ],
            ),
            (
                "a missing idle",
                r#"[{"start": "0 8 * * *", "end": "0 18 * * *"}]"#,
                &["WARM_SCHEDULE rule 1 has no \"idle\""],
            ),
            (
                "a negative idle",
                r#"[{"start": "0 8 * * *", "end": "0 18 * * *", "idle": -1}]"#,
                &[
                    "WARM_SCHEDULE rule 1 \"idle\" is -1",
                    "whole number",
                    "MAX_EXECUTIONS (10)",
                ],
            ),
            (
                "a fractional idle",
                r#"[{"start": "0 8 * * *", "end": "0 18 * * *", "idle": 1.5}]"#,
                &["WARM_SCHEDULE rule 1 \"idle\" is 1.5", "whole number"],
            ),
            (
                "an idle written as a string",
                r#"[{"start": "0 8 * * *", "end": "0 18 * * *", "idle": "2"}]"#,
                &["WARM_SCHEDULE rule 1 \"idle\" is \"2\"", "whole number"],
            ),
            (
                "an idle above MAX_EXECUTIONS names both numbers",
                r#"[{"start": "0 8 * * *", "end": "0 18 * * *", "idle": 11}]"#,
                &[
                    "WARM_SCHEDULE rule 1 \"idle\" is 11",
                    "above MAX_EXECUTIONS (10)",
                ],
            ),
            (
                "an idle beyond any u32 is still above MAX_EXECUTIONS",
                r#"[{"start": "0 8 * * *", "end": "0 18 * * *", "idle": 5000000000}]"#,
                &["\"idle\" is 5000000000", "above MAX_EXECUTIONS (10)"],
            ),
            (
                "an unknown field such as a mistyped timezone",
                r#"[{"start": "0 8 * * *", "end": "0 18 * * *", "tz": "Europe/Paris", "idle": 1}]"#,
                &[
                    "WARM_SCHEDULE rule 1 has an unknown field \"tz\"",
                    "\"timezone\"",
                ],
            ),
        ];
        for (why, value, fragments) in cases {
            let messages = problems(value);
            assert_eq!(messages.len(), 1, "{why}: {messages:#?}");
            for fragment in fragments {
                assert!(
                    messages[0].contains(fragment),
                    "{why}: {:?} lacks {fragment:?}",
                    messages[0]
                );
            }
        }
    }

    #[test]
    fn every_problem_of_every_rule_is_reported_at_once_in_order() {
        let value = r#"[
            {"start": "0 8 * * *", "end": "0 18 * * *", "idle": 1},
            {"start": "0 0 8 * * *", "end": "nope", "timezone": "Mars/Olympus", "idle": -2, "tz": "x"},
            {"start": "0 8 * * *", "end": "0 18 * * *", "idle": 99}
        ]"#;
        let messages = problems(value);
        let expected_starts = [
            "WARM_SCHEDULE rule 2 has an unknown field \"tz\"",
            "WARM_SCHEDULE rule 2 \"start\" is \"0 0 8 * * *\", which has 6 fields",
            "WARM_SCHEDULE rule 2 \"end\" is \"nope\", which has 1 field;",
            "WARM_SCHEDULE rule 2 \"timezone\" is \"Mars/Olympus\"",
            "WARM_SCHEDULE rule 2 \"idle\" is -2",
            "WARM_SCHEDULE rule 3 \"idle\" is 99, above MAX_EXECUTIONS (10)",
        ];
        assert_eq!(messages.len(), expected_starts.len(), "{messages:#?}");
        for (message, start) in messages.iter().zip(expected_starts) {
            assert!(
                message.starts_with(start),
                "{message:?} should start with {start:?}"
            );
        }
    }

    /// A rule as the tests expect it: start, end, time zone, idle.
    type Expected = (&'static str, &'static str, &'static str, u32);

    #[test]
    fn valid_values_give_the_rules_they_describe() {
        let cases: [(&str, &str, &[Expected]); 6] = [
            ("an empty value keeps nothing warm", "", &[]),
            ("a blank value keeps nothing warm", "  \n", &[]),
            ("an empty array keeps nothing warm", "[]", &[]),
            (
                "the time zone defaults to UTC",
                r#"[{"start": "0 8 * * 1-5", "end": "0 18 * * 1-5", "idle": 2}]"#,
                &[("0 8 * * 1-5", "0 18 * * 1-5", "UTC", 2)],
            ),
            (
                "idle may be zero or MAX_EXECUTIONS, and cron text is trimmed",
                r#"[{"start": " 0 8 * * * ", "end": "0 18 * * *", "timezone": "America/New_York", "idle": 10},
                    {"start": "@daily", "end": "0 6 * * *", "timezone": "Europe/Paris", "idle": 0}]"#,
                &[
                    ("0 8 * * *", "0 18 * * *", "America/New_York", 10),
                    ("@daily", "0 6 * * *", "Europe/Paris", 0),
                ],
            ),
            (
                "weekday names and ranges are cron as usual",
                r#"[{"start": "0 18 * * FRI", "end": "0 8 * * MON", "timezone": "Europe/Paris", "idle": 1}]"#,
                &[("0 18 * * FRI", "0 8 * * MON", "Europe/Paris", 1)],
            ),
        ];
        for (why, value, expected) in cases {
            let rules = parse_rules(value, 10).unwrap_or_else(|e| panic!("{why}: {e:#?}"));
            let got: Vec<(String, String, String, u32)> = rules
                .iter()
                .map(|r| {
                    (
                        r.start_text.clone(),
                        r.end_text.clone(),
                        r.zone.name().to_owned(),
                        r.idle,
                    )
                })
                .collect();
            let expected: Vec<(String, String, String, u32)> = expected
                .iter()
                .map(|(s, e, z, i)| (s.to_string(), e.to_string(), z.to_string(), *i))
                .collect();
            assert_eq!(got, expected, "{why}");
            assert!(
                rules.iter().enumerate().all(|(i, r)| r.index == i + 1),
                "{why}"
            );
        }
    }
}
