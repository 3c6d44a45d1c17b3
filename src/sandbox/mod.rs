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

use std::io::{IsTerminal, Write};

pub use driver::simulate;
pub use options::SandboxOptions;
pub use summary::{Summary, TickLine};

/// Runs the sandbox: one line per tick on stdout (unless `--json`), a progress line on stderr
/// when it is a terminal, and the summary (text, or JSON with `--json`) at the end.
pub async fn run(options: SandboxOptions) -> anyhow::Result<Summary> {
    let progress = std::io::stderr().is_terminal() && options.duration.num_minutes() > 60;
    let total = options.duration.num_minutes();
    let mut done = 0;
    let summary = simulate(&options, |tick| {
        done += 1;
        if progress {
            eprint!("\r\x1b[K");
        }
        if !options.json {
            println!("{tick}");
        }
        if progress {
            let filled = (done * 30 / total.max(1)) as usize;
            eprint!(
                "\r[{}{}] {done}/{total} simulated minutes",
                "#".repeat(filled),
                " ".repeat(30 - filled)
            );
            let _ = std::io::stderr().flush();
        }
    })
    .await?;
    if progress {
        eprint!("\r\x1b[K");
    }

    if options.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        println!();
        print!("{summary}");
    }
    Ok(summary)
}
