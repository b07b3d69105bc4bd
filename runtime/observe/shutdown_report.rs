//! The shutdown report: what `Runtime::drop` says on stderr about the tasks it stops.
//!
//! Where it sits in the flow: after it. The flow stops here for every task still in it:
//!
//! ```text
//! … → [run queue / waker parked / poll in progress] → shutdown: cancelled, named, or left behind
//! ```
//!
//! The shutdown itself (`runtime.rs`) is engine work: stop the workers, drop the futures, wait
//! for blocking closures, each step bounded by one deadline. This file only reports on it.
//!
//! What is reported is a choice ([`ShutdownReport`], `Builder::shutdown_report`,
//! `SPROUT_SHUTDOWN_REPORT`). By default only what shutdown could *not* stop: a task stuck in a
//! poll, a blocking closure still running at the deadline. Those are leaks the program should
//! hear about. Tasks that shutdown simply cancels are the ordinary end of a program — a server
//! returning from `main` with connections open, a tool that cancelled its helpers a moment
//! before (cancellation completes asynchronously, so they are still alive here) — and listing
//! them on every exit was noise; `all` brings the list back for debugging.
//!
//! Invariants:
//! - I1: unless the report is off, every task that shutdown could not stop is named on stderr
//!   (a worker stuck in a poll, a blocking closure still running at the deadline).
//!
//! Read next: `runtime/observe_off.rs` (what stands in for all of this when it is compiled out).

use std::io;
use std::time::{Duration, Instant};

use super::snapshot::task_snapshots;
use super::trace::human;
use crate::runtime::runtime::ShutdownReport;
use crate::runtime::scheduler::Shared;
use crate::runtime::task::Runnable;

/// At most this many tasks are listed one per line; the rest are counted.
const LISTED_TASKS: usize = 20;

/// The environment variable that sets the default [`ShutdownReport`]: `off`, `stuck` or `all`.
///
/// ```
/// assert_eq!(sprout::runtime::SHUTDOWN_REPORT_ENV, "SPROUT_SHUTDOWN_REPORT");
/// ```
pub const SHUTDOWN_REPORT_ENV: &str = "SPROUT_SHUTDOWN_REPORT";

impl ShutdownReport {
    /// The report `SPROUT_SHUTDOWN_REPORT` asks for, or the default; an `InvalidInput` error
    /// naming the variable if it is set to anything but `off`, `stuck` or `all`.
    pub(crate) fn from_environment() -> io::Result<ShutdownReport> {
        let Ok(text) = std::env::var(SHUTDOWN_REPORT_ENV) else {
            return Ok(ShutdownReport::default());
        };
        match text.trim().to_ascii_lowercase().as_str() {
            "off" | "0" => Ok(ShutdownReport::Off),
            "stuck" => Ok(ShutdownReport::Stuck),
            "all" | "1" => Ok(ShutdownReport::All),
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{SHUTDOWN_REPORT_ENV} must be off, stuck or all, got {text:?}"),
            )),
        }
    }
}

/// Names the workers that did not stop, each inside a poll that never returned (I1), and the
/// tasks of those polls: the live tasks still `RUNNING` that are not blocking closures (the
/// other workers have stopped). Read from the registry, so it works with the watchdog off,
/// when no worker records what it polls (`scheduler/activity.rs`).
pub(crate) fn report_stuck_workers(shared: &Shared, stuck: &[usize], timeout: Duration) {
    let workers: Vec<String> = stuck.iter().map(usize::to_string).collect();
    let tasks: Vec<String> = shared
        .registry
        .running(false)
        .iter()
        .map(|task| {
            let header = task.header();
            let meta = &header.meta;
            format!(
                "{} (spawned at {})",
                meta.describe(header.id),
                meta.spawned_at()
            )
        })
        .collect();
    let (who, whose) = match workers.len() {
        1 => (format!("worker {}", workers[0]), "its thread"),
        _ => (format!("workers {}", workers.join(", ")), "their threads"),
    };
    let polls = match tasks.len() {
        0 => "a poll".to_owned(),
        1 => format!("a poll of {}", tasks[0]),
        _ => format!("polls of {}", tasks.join(", ")),
    };
    eprintln!(
        "sprout: shutdown: {who} did not stop within {}: still inside {polls}, which never \
         returned to the runtime. Leaving {whose} behind.",
        human(timeout),
    );
}

/// Lists the tasks still alive, which are about to be cancelled, saying how long shutdown will
/// wait for the `blocking_running` closures. Only the first [`LISTED_TASKS`] are described: a
/// runtime dropped with a million tasks alive should not spend its last second formatting them.
pub(crate) fn report_alive(shared: &Shared, blocking_running: usize, timeout: Duration) {
    let listed = task_snapshots(shared, Instant::now(), LISTED_TASKS);
    let listed = &listed[..];
    let alive = shared.registry.live_tasks();
    if listed.is_empty() {
        return;
    }
    let mut report =
        format!("sprout: runtime shut down with {alive} task(s) still alive; cancelling them");
    if blocking_running > 0 {
        report += &format!(
            " (waiting up to {} for {blocking_running} running spawn_blocking closure(s))",
            human(timeout)
        );
    }
    report += ":\n";
    for task in listed {
        report += &format!("  {task}\n");
    }
    if alive > listed.len() {
        report += &format!("  … and {} more\n", alive - listed.len());
    }
    eprint!("{report}");
}

/// Names the blocking closures still running after the deadline (I1).
pub(crate) fn report_blocking_left_behind(started: &[Runnable], timeout: Duration) {
    for task in started {
        let header = task.header();
        if !header.is_complete() {
            eprintln!(
                "sprout: shutdown: gave up after {} waiting for {} (spawn_blocking), spawned at \
                 {}: it keeps running on its pool thread.",
                human(timeout),
                header.meta.describe(header.id),
                header.meta.spawned_at(),
            );
        }
    }
}
