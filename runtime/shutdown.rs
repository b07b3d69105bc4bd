//! Shutdown with accountability: what `Runtime::drop` does, and what it says.
//!
//! Where it sits in the flow: after it. The flow stops here for every task still in it:
//!
//! ```text
//! … → [run queue / waker parked / poll in progress] → shutdown: cancelled, named, or left behind
//! ```
//!
//! The steps, each bounded by one deadline (`Builder::shutdown_timeout`, 5 s by default):
//!
//! 1. Set the shutting-down flag and wake every worker; wait for the worker threads to leave
//!    their loops. A worker stuck inside one poll never sees the flag: after the deadline it is
//!    named (with the task it polls) and its thread left behind, instead of the drop hanging.
//! 2. Stop the monitor thread.
//! 3. Drop the futures of every task still alive (they complete as cancelled, so every
//!    `JoinHandle` resolves). With [`ShutdownReport::All`] they are listed first. Their
//!    destructors run inside the runtime's context: one that spawns gets a task that is
//!    cancelled at once (executor I1), not a panic.
//! 4. Wait for running `spawn_blocking` closures (a thread cannot be interrupted); after the
//!    deadline, name the ones still running and leave them.
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
//! - I1: `shut_down` returns by the deadline plus the time destructors take: it never joins a
//!   thread that has not already finished.
//! - I2: unless the report is off, every task that shutdown could not stop is named on stderr;
//!   every other task is cancelled (its future dropped) before `shut_down` returns.
//!
//! Read next: `block_on.rs` (the `Runtime` whose `drop` this is).

use std::io;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::thread::JoinHandle as ThreadHandle;
use std::time::{Duration, Instant};

use super::dump::TaskDump;
use super::executor::Shared;
use super::monitor::Monitor;
use super::task::Runnable;
use super::trace::human;

/// At most this many tasks are listed one per line; the rest are counted.
const LISTED_TASKS: usize = 20;

/// The environment variable that sets the default [`ShutdownReport`]: `off`, `stuck` or `all`.
///
/// ```
/// assert_eq!(sprout::runtime::SHUTDOWN_REPORT_ENV, "SPROUT_SHUTDOWN_REPORT");
/// ```
pub const SHUTDOWN_REPORT_ENV: &str = "SPROUT_SHUTDOWN_REPORT";

/// What dropping a runtime says on stderr about the tasks it stops.
///
/// ```
/// use sprout::runtime::ShutdownReport;
/// let runtime = sprout::Runtime::builder()
///     .workers(1)
///     .shutdown_report(ShutdownReport::All)
///     .build()?;
/// runtime.block_on(async {
///     sprout::spawn(std::future::pending::<()>()).detach();
/// });
/// drop(runtime); // stderr: "runtime shut down with 1 task(s) still alive; cancelling them: …"
/// # std::io::Result::Ok(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ShutdownReport {
    /// Nothing, not even a stuck worker or a blocking closure left running.
    Off,
    /// Only what shutdown could not stop: a worker stuck in a poll, a `spawn_blocking` closure
    /// still running at the deadline. The default.
    #[default]
    Stuck,
    /// Also every task still alive when shutdown began (the first 20, then a count), with its
    /// name, state, what it waits on and where it was spawned, before it is cancelled.
    All,
}

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

/// Stops the runtime `shared`: its background `threads` (which drop their end of
/// `workers_exited` when they finish), its `monitor`, its tasks and its blocking pool, waiting at
/// most `timeout` for what cannot be stopped (I1), and says what `report` asks for (I2).
pub(crate) fn shut_down(
    shared: &Shared,
    threads: Vec<ThreadHandle<()>>,
    workers_exited: &Receiver<()>,
    monitor: Option<Monitor>,
    timeout: Duration,
    report: ShutdownReport,
) {
    let deadline = Instant::now() + timeout;
    if let Some(tracer) = shared.tracer() {
        tracer.event(format_args!("runtime shutting down"));
    }
    shared.begin_shutdown();
    let workers_stopped = wait_until_disconnected(workers_exited, deadline);
    for thread in threads {
        if workers_stopped || thread.is_finished() {
            // A worker thread only ends by returning; a join error would be a panic inside the
            // runtime itself, already reported by the panic hook.
            let _ = thread.join();
        }
    }
    if !workers_stopped && report != ShutdownReport::Off {
        report_stuck_workers(shared, timeout);
    }
    if let Some(mut monitor) = monitor {
        monitor.stop();
    }
    // Closures already started run to their end; queued ones are dropped.
    let blocking_running = shared.started_blocking_tasks();
    if report == ShutdownReport::All {
        // Only the listed tasks are described: a runtime dropped with a million tasks alive
        // should not spend its last second formatting them.
        let listed = shared.task_snapshots(Instant::now(), LISTED_TASKS);
        report_alive(
            &listed,
            shared.live_tasks(),
            blocking_running.len(),
            timeout,
        );
    }
    shared.finish_shutdown();
    // I/O still waiting now belongs to code outside the runtime (a plain thread with its own
    // `block_on`): wake it, so it fails instead of waiting for events nobody will dispatch.
    shared.reactor.shut_down();
    if !blocking_running.is_empty()
        && !shared.blocking.wait_for_threads(deadline)
        && report != ShutdownReport::Off
    {
        report_blocking_left_behind(&blocking_running, timeout);
    }
}

/// Waits until every sender of `exited` is gone or `deadline` passes; `true` if all are gone.
fn wait_until_disconnected(exited: &Receiver<()>, deadline: Instant) -> bool {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match exited.recv_timeout(left) {
            Err(RecvTimeoutError::Disconnected) => return true,
            Err(RecvTimeoutError::Timeout) => return false,
            Ok(()) => {}
        }
    }
}

/// Names the workers that did not stop: each is inside a poll that never returned.
fn report_stuck_workers(shared: &Shared, timeout: Duration) {
    for (index, worker) in shared.workers.iter().enumerate().skip(1) {
        if let Some((_, running)) = worker.activity.current() {
            eprintln!(
                "sprout: shutdown: worker {index} did not stop within {}: it is still inside a \
                 poll of {}, which never returned to the runtime. Leaving its thread behind.",
                human(timeout),
                shared.describe_poll(running),
            );
        }
    }
}

/// Lists the tasks still alive (`listed` of `alive`), which are about to be cancelled (I2).
fn report_alive(listed: &[TaskDump], alive: usize, blocking_running: usize, timeout: Duration) {
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

/// Names the blocking closures still running after the deadline (I2).
fn report_blocking_left_behind(started: &[Runnable], timeout: Duration) {
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
