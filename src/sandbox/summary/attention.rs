//! The summary's `attention` line: what went wrong for the queue, judged from outcomes. The
//! handler reports failed calls as problems; a day can fail without one (a replica timeout
//! shorter than the jobs, no executions allowed), and this is where that shows.

use chrono::Duration;

use super::text::span;

/// Pool jobs that were queued and never started: still queued at the end, or cancelled.
#[derive(Debug, Default)]
pub(super) struct Unstarted {
    jobs: usize,
    longest: Duration,
}

impl Unstarted {
    pub(super) fn add(&mut self, queued_for: Duration) {
        self.jobs += 1;
        self.longest = self.longest.max(queued_for);
    }
}

/// The summary's `attention` line: outcomes that mean the day went wrong, which the handler
/// does not report as problems because no call of its failed.
pub(super) fn attention(failed: usize, unstarted: &Unstarted, timed_out: usize) -> Vec<String> {
    let mut notes = Vec::new();
    if failed > 0 {
        notes.push(format!("{} failed", count(failed, "pool job", "pool jobs")));
    }
    if unstarted.jobs > 0 {
        notes.push(format!(
            "{} never started (the longest queued for {})",
            count(unstarted.jobs, "pool job", "pool jobs"),
            span(unstarted.longest.num_seconds())
        ));
    }
    if timed_out > 0 {
        notes.push(format!(
            "{} the replica timeout",
            count(timed_out, "execution hit", "executions hit")
        ));
    }
    notes
}

/// `1 pool job`, `2 pool jobs`.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attention_names_failed_and_unstarted_jobs_and_timed_out_executions() {
        let unstarted = |jobs, minutes| Unstarted {
            jobs,
            longest: Duration::minutes(minutes),
        };
        let cases: &[(usize, Unstarted, usize, &[&str])] = &[
            (0, unstarted(0, 0), 0, &[]),
            (1, unstarted(0, 0), 0, &["1 pool job failed"]),
            (
                249,
                unstarted(0, 0),
                257,
                &[
                    "249 pool jobs failed",
                    "257 executions hit the replica timeout",
                ],
            ),
            (
                0,
                unstarted(320, 472),
                1,
                &[
                    "320 pool jobs never started (the longest queued for 7h52m00s)",
                    "1 execution hit the replica timeout",
                ],
            ),
            (
                0,
                unstarted(1, 2),
                0,
                &["1 pool job never started (the longest queued for 2m00s)"],
            ),
        ];
        for (failed, unstarted, timed_out, expected) in cases {
            assert_eq!(attention(*failed, unstarted, *timed_out), *expected);
        }
    }
}
