//! The sandbox: the real scaler, unchanged, against an embedded GitHub + Container Apps
//! emulator on 127.0.0.1, running a simulated working day in seconds.
//!
//! - [`world`]: the simulated organisation and job, stepped by the virtual clock;
//! - [`workload`]: the jobs that arrive (the built-in day, or a trace file);
//! - [`emulator`]: the HTTP APIs in front of the world;
//! - [`driver`]: the scaler's settings pointed at the emulator, and one timer invocation of
//!   the real custom handler per simulated minute;
//! - [`summary`]: how well the queue was served.
//!
//! `aca-runner-scaler sandbox` calls [`run`]; tests call [`simulate`].
//!
//! What the emulator does not model (each would change what a scaler sees):
//! - Runners register only from JIT configs. A registration token is issued but nothing
//!   redeems it, so a scaler with `RUNNER_REGISTRATION=token` or `none` gets no runners here.
//! - GitHub's secondary rate limits, webhooks, re-run attempts (`filter=all`) and the
//!   `pending`/`requested` run statuses (accepted as filters, never reached).
//! - ARM answers start and stop with 200 at once: no 202 + `Location` long-running operation,
//!   no `Processing`/`Degraded`/`Unknown` statuses, no "stop all executions" endpoint.
//! - A job goes to an idle runner the instant either appears, and a killed runner shows
//!   offline at once; on GitHub both take a few seconds.
//! - ETags vary with the installation, not with each token as GitHub's do, so a token refresh
//!   does not invalidate the scaler's conditional requests here.

pub mod driver;
pub mod emulator;
pub mod fingerprint;
pub mod keys;
pub mod options;
pub mod summary;
pub mod workload;
pub mod world;

use std::io::{self, IsTerminal, Write};
use std::ops::ControlFlow;

pub use driver::simulate;
pub use options::SandboxOptions;
pub use summary::{Summary, TickLine};

/// Runs the sandbox: one line per tick on stdout (unless `--json`), a progress line on stderr
/// when it is a terminal, and the summary (text, or JSON with `--json`) at the end.
///
/// When stdout's reader goes away (`sandbox | head`) the run stops at the next line it cannot
/// print and returns what it has, quietly, as command-line tools do.
pub async fn run(options: SandboxOptions) -> anyhow::Result<Summary> {
    let total = options.duration.num_minutes();
    let progress = io::stderr().is_terminal() && total > 60;
    let mut done = 0;
    let mut unprinted = None;
    let summary = simulate(&options, |tick| {
        done += 1;
        if progress {
            clear_progress();
        }
        if !options.json
            && let Err(error) = writeln!(io::stdout(), "{tick}")
        {
            unprinted = Some(error);
            return ControlFlow::Break(());
        }
        if progress {
            draw_progress(done, total);
        }
        ControlFlow::Continue(())
    })
    .await?;
    if progress {
        clear_progress();
    }
    if let Some(error) = unprinted {
        return closed_or_failed(error).map(|()| summary);
    }

    let mut stdout = io::stdout();
    let printed = if options.json {
        writeln!(stdout, "{}", serde_json::to_string_pretty(&summary)?)
    } else {
        write!(stdout, "\n{summary}")
    };
    if let Err(error) = printed.and_then(|()| stdout.flush()) {
        closed_or_failed(error)?;
    }
    Ok(summary)
}

/// A closed stdout is how a reader such as `head` says it has seen enough: not an error.
/// Any other failure to print is one.
fn closed_or_failed(error: io::Error) -> anyhow::Result<()> {
    if error.kind() == io::ErrorKind::BrokenPipe {
        Ok(())
    } else {
        Err(anyhow::Error::new(error).context("printing to stdout"))
    }
}

// The progress line is a courtesy: failing to draw it is no reason to stop the run.

fn clear_progress() {
    let _ = write!(io::stderr(), "\r\x1b[K");
}

fn draw_progress(done: i64, total: i64) {
    let filled = (done * 30 / total.max(1)) as usize;
    let mut stderr = io::stderr();
    let _ = write!(
        stderr,
        "\r[{}{}] {done}/{total} simulated minutes",
        "#".repeat(filled),
        " ".repeat(30 - filled)
    );
    let _ = stderr.flush();
}
