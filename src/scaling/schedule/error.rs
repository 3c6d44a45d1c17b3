//! What can be wrong with the `WARM_SCHEDULE` setting, in messages an operator can act on:
//! each names the setting, the rule (1-based, as operators count) and the field.

use std::fmt;

/// A rule as an operator would write it, quoted in the messages that say what the setting
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
        "WARM_SCHEDULE rule {rule} \"{field}\" is \"{value}\", which has {count} {}; \
         5 fields are expected (minute hour day-of-month month day-of-week), without seconds",
        if *.count == 1 { "field" } else { "fields" }
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
