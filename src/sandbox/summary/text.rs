//! The summary as a person reads it at the end of `aca-runner-scaler sandbox`.

use std::fmt;

use super::Summary;

/// `75` → `1m15s`; `3600` → `1h00m00s`.
pub(super) fn span(seconds: i64) -> String {
    let (h, m, s) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}m{s:02}s"),
        _ => format!("{h}h{m:02}m{s:02}s"),
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (j, w, e, g, a) = (
            &self.jobs,
            &self.wait_seconds,
            &self.executions,
            &self.github,
            &self.azure,
        );
        writeln!(
            f,
            "sandbox: {} of simulated time, {} {} ({} failed), {}, seed {}",
            span(self.simulated_minutes * 60),
            self.ticks,
            if self.ticks == 1 { "tick" } else { "ticks" },
            self.ticks_failed,
            self.workload,
            self.seed
        )?;
        writeln!(
            f,
            "timing      boot {}, boot grace {} (RUNNER_BOOT_GRACE), replica timeout {}",
            span(self.boot_seconds),
            span(self.boot_grace_seconds),
            span(self.replica_timeout_seconds)
        )?;
        writeln!(
            f,
            "jobs        {} for the pool: {} completed ({} of them by runners outside the pool), {} failed, {} cancelled after 24 h",
            j.for_pool, j.completed, j.for_pool_taken_elsewhere, j.failed, j.cancelled
        )?;
        writeln!(
            f,
            "            at the end: {} running, {} queued, {} awaiting approval",
            j.running_at_end, j.queued_at_end, j.waiting_at_end
        )?;
        writeln!(
            f,
            "            {} the pool cannot serve (labels): {} taken by other runners, {} never served",
            j.not_for_pool,
            j.not_for_pool_served_elsewhere,
            j.not_for_pool - j.not_for_pool_served_elsewhere
        )?;
        writeln!(
            f,
            "wait        queued to started over {} jobs: p50 {}, p95 {}, max {}",
            w.jobs,
            span(w.p50),
            span(w.p95),
            span(w.max)
        )?;
        writeln!(
            f,
            "executions  {} started, at most {} running at once (cap {}), {} still running",
            e.started, e.max_concurrent, e.cap, e.running_at_end
        )?;
        writeln!(
            f,
            "            {:.1} execution-minutes: {:.1} running jobs, {:.1} idle; {} never ran a job",
            e.execution_minutes, e.busy_minutes, e.idle_minutes, e.never_ran_a_job
        )?;
        let ended: Vec<String> = e
            .ended
            .iter()
            .map(|(why, n)| format!("{n} {why}"))
            .collect();
        writeln!(
            f,
            "            ended: {}",
            if ended.is_empty() {
                "none".into()
            } else {
                ended.join(", ")
            }
        )?;
        writeln!(
            f,
            "github      {} calls, {:.1} per tick (max {}), {} answered 304, {} errors",
            g.calls, g.calls_per_tick, g.max_calls_in_a_tick, g.not_modified, g.errors
        )?;
        writeln!(
            f,
            "            rate limit: {} spent, at most {} in one hour of {}; {} installation tokens",
            g.rate_limit_spent, g.rate_limit_peak_hour, g.rate_limit, g.installation_tokens
        )?;
        writeln!(
            f,
            "azure       {} ARM calls ({} errors), {} starts, {} stops, {} identity token requests",
            a.arm_calls, a.errors, a.starts, a.stops, a.identity_calls
        )?;
        writeln!(
            f,
            "attention   {}",
            if self.attention.is_empty() {
                "none".into()
            } else {
                self.attention.join(", ")
            }
        )?;
        if self.problems.is_empty() {
            writeln!(f, "problems    none")
        } else {
            for (i, problem) in self.problems.iter().enumerate() {
                writeln!(
                    f,
                    "{}{problem}",
                    if i == 0 {
                        "problems    "
                    } else {
                        "            "
                    }
                )?;
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_as_minutes_and_seconds() {
        let cases = [
            (0, "0s"),
            (59, "59s"),
            (75, "1m15s"),
            (3600, "1h00m00s"),
            (28_800, "8h00m00s"),
        ];
        for (seconds, expected) in cases {
            assert_eq!(span(seconds), expected);
        }
    }

    #[test]
    fn the_header_shows_the_boot_time_against_the_scalers_boot_grace() {
        let summary = Summary {
            boot_seconds: 360,
            boot_grace_seconds: 300,
            replica_timeout_seconds: 3600,
            ..Summary::default()
        };
        let text = summary.to_string();
        assert_eq!(
            text.lines().nth(1),
            Some(
                "timing      boot 6m00s, boot grace 5m00s (RUNNER_BOOT_GRACE), replica timeout 1h00m00s"
            )
        );
    }

    #[test]
    fn the_first_line_counts_ticks_in_words_that_agree() {
        let cases = [(1, "1 tick (0 failed)"), (2, "2 ticks (0 failed)")];
        for (ticks, expected) in cases {
            let summary = Summary {
                ticks,
                simulated_minutes: ticks as i64,
                workload: "default day".into(),
                ..Summary::default()
            };
            let text = summary.to_string();
            let first = text.lines().next().unwrap_or_default();
            assert!(first.starts_with("sandbox: "), "{first}");
            assert!(first.contains(expected), "{first}");
        }
    }
}
