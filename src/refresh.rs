//! When to replace a cached access token (GitHub installation tokens, ARM tokens).

use chrono::{DateTime, Duration, Utc};

/// Refresh this long before a token expires, so no call is made with a token about to lapse.
pub const REFRESH_MARGIN: Duration = Duration::minutes(5);

/// When to replace a token minted at `minted_at`: [`REFRESH_MARGIN`] before it expires, but
/// never sooner than halfway through its lifetime as seen by our clock, and never sooner than
/// a minute after minting. Without that floor a clock running ahead of GitHub's (so that every
/// new token already looks nearly expired) would mint a token on every call.
pub fn refresh_instant(minted_at: DateTime<Utc>, expires_at: DateTime<Utc>) -> DateTime<Utc> {
    let lifetime = expires_at - minted_at;
    let margin = REFRESH_MARGIN.min(lifetime / 2);
    (expires_at - margin).max(minted_at + Duration::minutes(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_token_that_looks_nearly_expired_is_still_kept_for_a_while() {
        let t0 = Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 0).unwrap();
        let cases = [
            (Duration::hours(1), Duration::minutes(55)),
            (Duration::minutes(6), Duration::minutes(3)),
            (Duration::seconds(10), Duration::minutes(1)),
            (Duration::minutes(-30), Duration::minutes(1)),
        ];
        for (lifetime, refresh_after) in cases {
            assert_eq!(
                refresh_instant(t0, t0 + lifetime),
                t0 + refresh_after,
                "{lifetime}"
            );
        }
    }
}
