//! GitHub's rate-limit headers, and the rule for waiting when a limit is hit.
//!
//! GitHub answers a spent primary limit with 403 *or* 429 and `x-ratelimit-remaining: 0`
//! (wait until `x-ratelimit-reset`), and a secondary limit with 403 or 429 plus either
//! `retry-after` (wait that many seconds) or nothing (wait at least a minute). Sending anyway
//! only extends the ban, so after such an answer the client refuses to send until the instant
//! computed here.

use chrono::{DateTime, Duration, TimeZone, Utc};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde::Serialize;

/// The latest rate-limit figures GitHub sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RateLimit {
    /// `x-ratelimit-limit`.
    pub limit: Option<u64>,
    /// `x-ratelimit-remaining`.
    pub remaining: Option<u64>,
    /// `x-ratelimit-reset`.
    pub reset: Option<DateTime<Utc>>,
}

impl RateLimit {
    /// Reads the headers of one response; `None` when it carried none.
    pub fn from_headers(headers: &HeaderMap) -> Option<RateLimit> {
        let remaining = number(headers, "x-ratelimit-remaining");
        remaining?;
        Some(RateLimit {
            limit: number(headers, "x-ratelimit-limit"),
            remaining,
            reset: number(headers, "x-ratelimit-reset")
                .and_then(|secs| Utc.timestamp_opt(i64::try_from(secs).ok()?, 0).single()),
        })
    }
}

/// When a response says "stop sending", until when and why.
pub fn refusal(
    status: StatusCode,
    headers: &HeaderMap,
    message: Option<&str>,
    now: DateTime<Utc>,
) -> Option<(DateTime<Utc>, String)> {
    if status != StatusCode::FORBIDDEN && status != StatusCode::TOO_MANY_REQUESTS {
        return None;
    }
    if let Some(secs) = number(headers, "retry-after") {
        let secs = i64::try_from(secs).unwrap_or(i64::MAX / 2).min(3600);
        return Some((
            now + Duration::seconds(secs),
            "secondary rate limit, retry-after".into(),
        ));
    }
    if let Some(limit) = RateLimit::from_headers(headers).filter(|l| l.remaining == Some(0)) {
        // The primary limit resets hourly; a reset further out is a bad header, and believing
        // it would silence the scaler until a restart.
        let until = limit
            .reset
            .filter(|r| *r > now)
            .unwrap_or(now + Duration::seconds(60))
            .min(now + Duration::hours(1));
        return Some((until, "primary rate limit exhausted".into()));
    }
    let secondary = message.is_some_and(|m| m.to_ascii_lowercase().contains("rate limit"));
    if status == StatusCode::TOO_MANY_REQUESTS || secondary {
        return Some((now + Duration::seconds(60), "secondary rate limit".into()));
    }
    // A plain 403 is a permission problem, not a limit.
    None
}

fn number(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn refusals_follow_githubs_rules() {
        let now = Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 0).unwrap();
        let reset = now + Duration::seconds(600);
        let reset_epoch = reset.timestamp().to_string();
        type Case<'a> = (
            StatusCode,
            HeaderMap,
            Option<&'a str>,
            Option<DateTime<Utc>>,
        );
        let cases: Vec<Case> = vec![
            (
                StatusCode::OK,
                headers(&[("x-ratelimit-remaining", "0")]),
                None,
                None,
            ),
            (
                StatusCode::FORBIDDEN,
                headers(&[
                    ("x-ratelimit-remaining", "0"),
                    ("x-ratelimit-reset", &reset_epoch),
                ]),
                None,
                Some(reset),
            ),
            (
                StatusCode::TOO_MANY_REQUESTS,
                headers(&[
                    ("x-ratelimit-remaining", "0"),
                    ("x-ratelimit-reset", &reset_epoch),
                ]),
                None,
                Some(reset),
            ),
            (
                StatusCode::FORBIDDEN,
                headers(&[("retry-after", "30"), ("x-ratelimit-remaining", "12")]),
                None,
                Some(now + Duration::seconds(30)),
            ),
            (
                StatusCode::FORBIDDEN,
                headers(&[("x-ratelimit-remaining", "12")]),
                Some("You have exceeded a secondary rate limit"),
                Some(now + Duration::seconds(60)),
            ),
            (
                StatusCode::TOO_MANY_REQUESTS,
                HeaderMap::new(),
                None,
                Some(now + Duration::seconds(60)),
            ),
            (
                StatusCode::FORBIDDEN,
                headers(&[
                    ("x-ratelimit-remaining", "0"),
                    ("x-ratelimit-reset", "253402300799"),
                ]),
                None,
                Some(now + Duration::hours(1)),
            ),
            (
                StatusCode::FORBIDDEN,
                headers(&[("x-ratelimit-remaining", "4000")]),
                Some("Resource not accessible by integration"),
                None,
            ),
        ];
        for (i, (status, headers, message, expected)) in cases.into_iter().enumerate() {
            let got = refusal(status, &headers, message, now).map(|(until, _)| until);
            assert_eq!(got, expected, "case {i}");
        }
    }

    #[test]
    fn rate_limit_headers_are_read() {
        let limit = RateLimit::from_headers(&headers(&[
            ("x-ratelimit-limit", "5000"),
            ("x-ratelimit-remaining", "4321"),
            ("x-ratelimit-reset", "1800000000"),
        ]))
        .unwrap();
        assert_eq!(limit.limit, Some(5000));
        assert_eq!(limit.remaining, Some(4321));
        assert_eq!(limit.reset.unwrap().timestamp(), 1_800_000_000);
        assert_eq!(RateLimit::from_headers(&HeaderMap::new()), None);
    }
}
