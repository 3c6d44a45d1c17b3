//! GitHub's primary rate limit, on the virtual clock: 5,000 requests per hour per installation
//! (and for the App's JWT calls), 60 for unauthenticated requests, the window resetting on the
//! virtual hour.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, DurationRound, Utc};

use super::auth::Principal;

/// GitHub's hourly limit for requests without credentials.
pub const UNAUTHENTICATED_LIMIT: u32 = 60;

/// The numbers of the `x-ratelimit-*` headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// Requests allowed per window.
    pub limit: u32,
    /// Requests left in this window.
    pub remaining: u32,
    /// Requests spent in this window.
    pub used: u32,
    /// When the window resets, UTC epoch seconds.
    pub reset: i64,
}

/// Spending per principal and window, and totals for the summary.
#[derive(Debug)]
pub struct RateLimits {
    limit: u32,
    windows: BTreeMap<Principal, (DateTime<Utc>, u32)>,
    spent: u64,
    peak: u32,
}

impl RateLimits {
    /// `limit` requests per hour for each principal.
    pub fn new(limit: u32) -> Self {
        Self {
            limit,
            windows: BTreeMap::new(),
            spent: 0,
            peak: 0,
        }
    }

    /// The principal's quota at `now` without spending.
    pub fn quota(&mut self, who: Principal, now: DateTime<Utc>) -> Quota {
        let start = window_start(now);
        let window = self.windows.entry(who).or_insert((start, 0));
        if window.0 != start {
            *window = (start, 0);
        }
        let used = window.1;
        let limit = self.limit_for(who);
        Quota {
            limit,
            remaining: limit.saturating_sub(used),
            used,
            reset: (start + Duration::hours(1)).timestamp(),
        }
    }

    /// Spends one request of the principal's quota; returns the quota after it.
    pub fn spend(&mut self, who: Principal, now: DateTime<Utc>) -> Quota {
        self.quota(who, now);
        if let Some(window) = self.windows.get_mut(&who) {
            window.1 += 1;
            self.peak = self.peak.max(window.1);
        }
        self.spent += 1;
        self.quota(who, now)
    }

    /// Requests spent since start, every principal and window.
    pub fn spent(&self) -> u64 {
        self.spent
    }

    /// The most any principal spent within one window.
    pub fn peak(&self) -> u32 {
        self.peak
    }

    /// The hourly limit of an installation.
    pub fn limit(&self) -> u32 {
        self.limit
    }

    fn limit_for(&self, who: Principal) -> u32 {
        match who {
            Principal::Anonymous => UNAUTHENTICATED_LIMIT,
            Principal::App | Principal::Installation(_) => self.limit,
        }
    }
}

fn window_start(now: DateTime<Utc>) -> DateTime<Utc> {
    now.duration_trunc(Duration::hours(1)).unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_quota_resets_on_the_virtual_hour() {
        let t = Utc.with_ymd_and_hms(2026, 3, 2, 8, 59, 0).unwrap();
        let mut limits = RateLimits::new(2);
        let who = Principal::Installation(1);

        assert_eq!(limits.spend(who, t).remaining, 1);
        let exhausted = limits.spend(who, t);
        assert_eq!((exhausted.remaining, exhausted.used), (0, 2));
        assert_eq!(
            exhausted.reset,
            Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0)
                .unwrap()
                .timestamp()
        );

        let next_hour = limits.quota(who, t + Duration::minutes(1));
        assert_eq!((next_hour.remaining, next_hour.used), (2, 0));
        assert_eq!((limits.spent(), limits.peak()), (2, 2));
    }

    #[test]
    fn each_principal_has_its_own_quota() {
        let t = Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 0).unwrap();
        let mut limits = RateLimits::new(5);
        limits.spend(Principal::App, t);
        assert_eq!(limits.quota(Principal::Installation(1), t).remaining, 5);
        assert_eq!(
            limits.quota(Principal::Anonymous, t).limit,
            UNAUTHENTICATED_LIMIT
        );
    }
}
