//! Reading and validating the `WARM_SCHEDULE` setting.
//!
//! The setting is checked once, at start-up, and every problem is reported at once: an operator
//! fixing a schedule should not have to redeploy once per typo. So each rule is read field by
//! field from a `serde_json::Value` rather than through a derived `Deserialize`, which would stop
//! at the first error.

use std::fmt;

use chrono::NaiveDate;
use chrono_tz::Tz;
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};
use serde_json::{Map, Value};

use super::occurrence::WallClockCron;
use super::rule::Rule;

/// The fields a rule accepts; anything else is reported, to catch typos such as `"tz"`.
const ACCEPTED_FIELDS: [&str; 4] = ["start", "end", "timezone", "idle"];

/// A rule as the operator would write it, quoted in the messages that say what the setting
/// expects.
const EXAMPLE: &str =
    r#"[{"start": "0 8 * * 1-5", "end": "0 18 * * 1-5", "timezone": "Europe/Paris", "idle": 2}]"#;

/// One field of a schedule rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleField {
    /// `start`: the cron expression that puts the rule in force.
    Start,
    /// `end`: the cron expression that ends it.
    End,
    /// `timezone`: the IANA zone whose wall clock the cron expressions read.
    Timezone,
    /// `idle`: how many idle runners the rule keeps ready.
    Idle,
}

impl RuleField {
    /// What the field must hold, for messages about a missing or mistyped value.
    fn accepts(self) -> &'static str {
        match self {
            RuleField::Start | RuleField::End => {
                "a 5-field cron expression (minute hour day-of-month month day-of-week) such as \
                 \"0 8 * * 1-5\""
            }
            RuleField::Timezone => "an IANA time zone name such as \"Europe/Paris\"",
            RuleField::Idle => "a whole number of idle runners to keep ready",
        }
    }
}

impl fmt::Display for RuleField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RuleField::Start => "start",
            RuleField::End => "end",
            RuleField::Timezone => "timezone",
            RuleField::Idle => "idle",
        })
    }
}

/// One problem with the `WARM_SCHEDULE` setting. Rules are numbered from 1, as an operator
/// counts them in the JSON array.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// The value is not JSON at all.
    #[error(
        "WARM_SCHEDULE is not valid JSON ({message} at line {line}, column {column}); \
         it must be a JSON array of rules such as {EXAMPLE}"
    )]
    InvalidJson {
        /// serde_json's description of the problem.
        message: String,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
    },

    /// The value is JSON, but not an array.
    #[error("WARM_SCHEDULE must be a JSON array of rules such as {EXAMPLE}, found {found}")]
    NotAnArray {
        /// The kind of JSON value found instead.
        found: &'static str,
    },

    /// An element of the array is not an object.
    #[error(
        "WARM_SCHEDULE rule {rule} must be a JSON object with \"start\", \"end\", \"timezone\" \
         and \"idle\", found {found}"
    )]
    RuleNotAnObject {
        /// 1-based rule number.
        rule: usize,
        /// The kind of JSON value found instead.
        found: &'static str,
    },

    /// A rule has a field the schedule does not know.
    #[error(
        "WARM_SCHEDULE rule {rule} has an unknown field \"{field}\"; the accepted fields are \
         \"start\", \"end\", \"timezone\" (optional, default \"UTC\") and \"idle\""
    )]
    UnknownField {
        /// 1-based rule number.
        rule: usize,
        /// The unknown field's name.
        field: String,
    },

    /// A required field is absent.
    #[error("WARM_SCHEDULE rule {rule} has no \"{field}\"; it needs {}", .field.accepts())]
    MissingField {
        /// 1-based rule number.
        rule: usize,
        /// The absent field.
        field: RuleField,
    },

    /// A field holds the wrong kind of JSON value.
    #[error(
        "WARM_SCHEDULE rule {rule} \"{field}\" must be a string holding {}, found {found}",
        .field.accepts()
    )]
    NotAString {
        /// 1-based rule number.
        rule: usize,
        /// The mistyped field.
        field: RuleField,
        /// The kind of JSON value found instead.
        found: &'static str,
    },

    /// A cron expression has the wrong number of fields, typically a 6-field one with seconds.
    #[error(
        "WARM_SCHEDULE rule {rule} \"{field}\" is \"{value}\", which has {count} fields; \
         5 fields are expected (minute hour day-of-month month day-of-week), without seconds"
    )]
    CronFieldCount {
        /// 1-based rule number.
        rule: usize,
        /// `start` or `end`.
        field: RuleField,
        /// The expression as written.
        value: String,
        /// How many whitespace-separated fields it has.
        count: usize,
    },

    /// The cron parser rejected an expression.
    #[error(
        "WARM_SCHEDULE rule {rule} \"{field}\" is \"{value}\", which is not a valid cron \
         expression: {message}"
    )]
    InvalidCron {
        /// 1-based rule number.
        rule: usize,
        /// `start` or `end`.
        field: RuleField,
        /// The expression as written.
        value: String,
        /// The cron parser's message.
        message: String,
    },

    /// A cron expression parses but names a time that never comes, such as 31 February.
    #[error("WARM_SCHEDULE rule {rule} \"{field}\" is \"{value}\", which never occurs")]
    CronNeverOccurs {
        /// 1-based rule number.
        rule: usize,
        /// `start` or `end`.
        field: RuleField,
        /// The expression as written.
        value: String,
    },

    /// `start` and `end` are the same expression: every start would end at once.
    #[error(
        "WARM_SCHEDULE rule {rule} has the same \"start\" and \"end\" (\"{value}\"), so it \
         would never be in force"
    )]
    SameStartAndEnd {
        /// 1-based rule number.
        rule: usize,
        /// The expression as written in `start`.
        value: String,
    },

    /// The time zone name is not in the IANA database.
    #[error(
        "WARM_SCHEDULE rule {rule} \"timezone\" is \"{value}\", which is not an IANA time zone \
         name such as \"Europe/Paris\" or \"UTC\" (names are case-sensitive)"
    )]
    UnknownTimezone {
        /// 1-based rule number.
        rule: usize,
        /// The name as written.
        value: String,
    },

    /// `idle` is not a whole, non-negative number.
    #[error(
        "WARM_SCHEDULE rule {rule} \"idle\" is {value}; it must be a whole number of idle \
         runners from 0 to MAX_EXECUTIONS ({max})"
    )]
    InvalidIdle {
        /// 1-based rule number.
        rule: usize,
        /// The value as JSON text.
        value: String,
        /// The pool's `MAX_EXECUTIONS`.
        max: u32,
    },

    /// `idle` is more than the pool may ever run.
    #[error(
        "WARM_SCHEDULE rule {rule} \"idle\" is {idle}, above MAX_EXECUTIONS ({max}); a pool \
         cannot keep more idle runners than it may run executions"
    )]
    IdleAboveMax {
        /// 1-based rule number.
        rule: usize,
        /// The requested number of idle runners.
        idle: u64,
        /// The pool's `MAX_EXECUTIONS`.
        max: u32,
    },
}

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
