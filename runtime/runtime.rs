//! A running runtime: [`Runtime`] (spawn, dump, stats from any thread), [`stats`], and what
//! dropping it does.
//!
//! Where it sits in the flow: around it. `Builder::build` (`builder.rs`, which also holds
//! `Runtime::builder`) starts it, `block_on` (`block_on.rs`) is where the first future enters,
//! and `drop` ends the flow for every task still in it:
//!
//! ```text
//! [build] → block_on(main) → spawn → run queue → poll → … → main Ready → [drop: shutdown]
//! ```
//!
//! Shutdown, in steps, each bounded by one deadline (`Builder::shutdown_timeout`, 5 s by
//! default):
//!
//! 1. Set the shutting-down flag and wake every worker; wait for the worker threads to leave
//!    their loops. A worker stuck inside one poll never sees the flag: after the deadline it is
//!    named (with the task it polls) and its thread left behind, instead of the drop hanging.
//! 2. Stop the monitor thread.
//! 3. Drop the futures of every task still alive (they complete as cancelled, so every
//!    `JoinHandle` resolves). With [`ShutdownReport::All`] they are listed first. Their
//!    destructors run inside the runtime's context: one that spawns gets a task that is
//!    cancelled at once (scheduler I1), not a panic.
//! 4. Wait for running `spawn_blocking` closures (a thread cannot be interrupted); after the
//!    deadline, name the ones still running and leave them.
//!
//! Invariants:
//! - I1: `drop` returns by the deadline plus the time destructors take: it never joins a
//!   thread that has not already finished.
//! - I2: every task that shutdown can stop is cancelled (its future dropped) before `drop`
//!   returns; the others are named on stderr unless the report is off (`observe/shutdown_report.rs`).
//! - I3: a runtime dropped on one of its own threads (a worker or a pool thread) is shut down on
//!   a thread of its own, and the drop returns at once: the dropping thread can only stop after
//!   the drop returns, so waiting for it would stall until the deadline. A timeout too long to
//!   add to the clock means no deadline.
//!
//! Read next: `runtime/block_on.rs`.

use std::future::Future;
use std::panic::Location;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{mpsc, Arc, Mutex, PoisonError};
use std::thread::JoinHandle as ThreadHandle;
use std::time::{Duration, Instant};

use super::builder::Builder;
use super::hooks::Event;
#[cfg(feature = "observe")]
use super::observe::RuntimeDump;
use super::observe::{self, Monitor};
use super::reactor::WaitMode;
use super::scheduler::spawn::spawn_on;
use super::scheduler::{context, Shared};
use super::task::JoinHandle;

/// A running sprout runtime: worker threads, a reactor, timers and a blocking pool.
///
/// ```
/// let runtime = sprout::Runtime::builder().workers(2).build()?;
/// let answer = runtime.block_on(async {
///     sprout::spawn(async { 21 * 2 }).await.unwrap()
/// });
/// assert_eq!(answer, 42);
/// # std::io::Result::Ok(())
/// ```
pub struct Runtime {
    /// State shared with the workers.
    pub(super) shared: Arc<Shared>,
    /// The background worker threads (workers 1..n), joined on drop.
    pub(super) threads: Vec<ThreadHandle<()>>,
    /// Disconnects when every background worker thread has finished (each holds a sender).
    /// Behind a `Mutex` only so that `Runtime` is `Sync` (a receiver is not); `drop` alone
    /// reads it, through `get_mut`, without locking.
    pub(super) workers_exited: Mutex<mpsc::Receiver<()>>,
    /// The watchdog and SIGUSR1 thread, if the watchdog is on.
    pub(super) monitor: Option<Monitor>,
    /// The bound on the wait in `drop`.
    pub(super) shutdown_timeout: Duration,
    /// What `drop` reports on stderr.
    pub(super) shutdown_report: ShutdownReport,
}

impl Runtime {
    /// A [`Builder`] with the defaults: one worker per CPU (or `SPROUT_WORKERS`).
    ///
    /// ```
    /// let runtime = sprout::Runtime::builder().build()?; // one worker per CPU, or SPROUT_WORKERS
    /// assert!(runtime.stats().workers >= 1);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// Spawns a task on this runtime from any thread (inside or outside the runtime).
    /// `Runtime` is `Send + Sync`: share it in an `Arc` to spawn from several threads at once.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let runtime = Arc::new(sprout::Runtime::builder().workers(2).build()?);
    /// // From outside the runtime: the task runs on its background worker.
    /// let handle = runtime.spawn(async { 5 });
    /// assert_eq!(runtime.block_on(handle).unwrap(), 5);
    /// // From other threads, through the same `Arc`.
    /// let spawner = runtime.clone();
    /// let from_thread = std::thread::spawn(move || spawner.spawn(async { 6 })).join().unwrap();
    /// assert_eq!(runtime.block_on(from_thread).unwrap(), 6);
    /// # std::io::Result::Ok(())
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        spawn_on(&self.shared, None, Location::caller(), None, future)
    }

    #[cfg(feature = "observe")]
    /// A snapshot of this runtime's tasks, fds, timers and blocking pool (see
    /// [`dump`](crate::dump)), from any thread.
    ///
    /// ```
    /// let runtime = sprout::Runtime::builder().workers(2).build()?;
    /// let handle = runtime.spawn(std::future::pending::<()>());
    /// let dump = runtime.dump();
    /// assert!(dump.tasks.iter().any(|task| task.id == handle.id()));
    /// handle.cancel();
    /// # std::io::Result::Ok(())
    /// ```
    pub fn dump(&self) -> RuntimeDump {
        RuntimeDump::take(&self.shared)
    }

    /// A snapshot of this runtime's counters.
    ///
    /// ```
    /// let runtime = sprout::Runtime::builder().workers(1).build()?;
    /// let stats = runtime.stats();
    /// assert_eq!((stats.workers, stats.live_tasks), (1, 0));
    /// # std::io::Result::Ok(())
    /// ```
    pub fn stats(&self) -> RuntimeStats {
        RuntimeStats::of(&self.shared)
    }
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("workers", &self.shared.workers.len())
            .finish()
    }
}

/// What dropping a runtime says on stderr about the tasks it stops (the glass box's shutdown
/// report, `observe/shutdown_report.rs`; without the cargo feature `observe`, nothing).
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

/// Counters of a runtime at one instant: what is alive, waiting and running.
///
/// ```
/// sprout::run(async {
///     let before = sprout::stats().pending_timers;
///     let sleeper = sprout::spawn(sprout::sleep(std::time::Duration::from_secs(60)));
///     sprout::yield_now().await;
///     assert_eq!(sprout::stats().pending_timers, before + 1);
///     sleeper.cancel();
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RuntimeStats {
    /// Worker threads, counting the `block_on` thread.
    pub workers: usize,
    /// Tasks spawned and not yet finished (including `spawn_blocking` jobs).
    pub live_tasks: usize,
    /// Timers (sleeps, timeouts, intervals) waiting for their deadline.
    pub pending_timers: usize,
    /// File descriptors registered with the reactor.
    pub registered_sources: usize,
    /// Blocking-pool threads running a job.
    pub blocking_busy: usize,
    /// Blocking-pool threads waiting for a job.
    pub blocking_idle: usize,
    /// `true` if the reactor uses only `polling`'s portable calls
    /// ([`Builder::portable_reactor`], `SPROUT_REACTOR=portable`; always, off Linux).
    pub portable_reactor: bool,
}

impl RuntimeStats {
    /// Reads the counters of `shared`.
    fn of(shared: &Shared) -> RuntimeStats {
        let (blocking_busy, blocking_idle) = shared.blocking.thread_counts();
        RuntimeStats {
            workers: shared.workers.len(),
            live_tasks: shared.registry.live_tasks(),
            pending_timers: shared.reactor.pending_timers(),
            registered_sources: shared.reactor.registered_sources(),
            blocking_busy,
            blocking_idle,
            portable_reactor: shared.reactor.mode() == WaitMode::Portable,
        }
    }
}

/// The counters of the runtime this code runs on.
///
/// # Panics
/// When called outside a sprout runtime.
///
/// ```
/// sprout::run(async {
///     let _sleeper = sprout::spawn(sprout::sleep(std::time::Duration::from_secs(60)));
///     sprout::yield_now().await; // let the sleeper register its timer
///     let stats = sprout::stats();
///     assert_eq!(stats.live_tasks, 1);
///     assert_eq!(stats.pending_timers, 1);
/// });
/// ```
#[track_caller]
pub fn stats() -> RuntimeStats {
    RuntimeStats::of(&context::expect_scheduler("sprout::stats"))
}

impl Drop for Runtime {
    fn drop(&mut self) {
        let (_, never_sent) = mpsc::channel();
        let exited = self
            .workers_exited
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        let workers_exited = std::mem::replace(exited, never_sent);
        let stop = Stop {
            shared: self.shared.clone(),
            threads: std::mem::take(&mut self.threads),
            workers_exited,
            monitor: self.monitor.take(),
            timeout: self.shutdown_timeout,
            report: self.shutdown_report,
        };
        if !context::is_thread_of(&self.shared) {
            return stop.run();
        }
        // Dropped on one of its own threads: a task or a `spawn_blocking` closure held the
        // last `Runtime`. That thread stops only once this drop returns to its loop, so
        // waiting for it here would wait for ourselves until the deadline and then report
        // ourselves stuck (I3). The shutdown runs on a thread of its own instead.
        let on_own_thread = std::thread::Builder::new()
            .name("sprout-shutdown".into())
            .spawn(move || stop.run());
        if let Err(error) = on_own_thread {
            eprintln!(
                "sprout: the runtime was dropped on one of its own threads and no thread could \
                 be started to shut it down ({error}); its threads are left to stop on their own"
            );
        }
    }
}

/// What dropping a runtime stops, taken out of it so a thread of its own can do it (I3).
struct Stop {
    /// The runtime's shared state.
    shared: Arc<Shared>,
    /// The background worker threads.
    threads: Vec<ThreadHandle<()>>,
    /// Disconnects when they have all finished.
    workers_exited: Receiver<()>,
    /// The monitor thread, if any.
    monitor: Option<Monitor>,
    /// `Builder::shutdown_timeout`.
    timeout: Duration,
    /// `Builder::shutdown_report`.
    report: ShutdownReport,
}

impl Stop {
    /// Shuts the runtime down (see `shut_down`), inside its context.
    fn run(self) {
        // The destructors of the futures that shutdown drops run on this thread; inside the
        // runtime's context, a `spawn` among them finds the runtime and is cancelled at once
        // (scheduler I1) rather than panicking as "outside of a sprout runtime".
        let _context = context::enter(self.shared.clone(), None);
        shut_down(
            &self.shared,
            self.threads,
            &self.workers_exited,
            self.monitor,
            self.timeout,
            self.report,
        ); // I1
    }
}

/// Stops the runtime `shared`: its background `threads` (which drop their end of
/// `workers_exited` when they finish), its `monitor`, its tasks and its blocking pool, waiting at
/// most `timeout` for what cannot be stopped (I1), and says what `report` asks for (I2).
fn shut_down(
    shared: &Shared,
    threads: Vec<ThreadHandle<()>>,
    workers_exited: &Receiver<()>,
    monitor: Option<Monitor>,
    timeout: Duration,
    report: ShutdownReport,
) {
    // `None`: a timeout too long to add to the clock (`Duration::MAX`) means no deadline.
    let deadline = Instant::now().checked_add(timeout);
    shared.report(|| Event::RuntimeShuttingDown);
    shared.begin_shutdown();
    let workers_stopped = wait_until_disconnected(workers_exited, deadline);
    let mut stuck = Vec::new();
    for (index, thread) in (1..).zip(threads) {
        if workers_stopped || thread.is_finished() {
            // A worker thread only ends by returning; a join error would be a panic inside the
            // runtime itself, already reported by the panic hook.
            let _ = thread.join();
        } else {
            stuck.push(index);
        }
    }
    if !stuck.is_empty() && report != ShutdownReport::Off {
        observe::report_stuck_workers(shared, &stuck, timeout);
    }
    if let Some(mut monitor) = monitor {
        monitor.stop();
    }
    // Closures already started run to their end; queued ones are dropped.
    let blocking_running = shared.registry.running(true);
    if report == ShutdownReport::All {
        observe::report_alive(shared, blocking_running.len(), timeout);
    }
    shared.finish_shutdown();
    // I/O still waiting now belongs to code outside the runtime (a plain thread with its own
    // `block_on`): wake it, so it fails instead of waiting for events nobody will dispatch.
    shared.reactor.shut_down();
    if !blocking_running.is_empty()
        && !shared.blocking.wait_for_threads(deadline)
        && report != ShutdownReport::Off
    {
        observe::report_blocking_left_behind(&blocking_running, timeout);
    }
}

/// Waits until every sender of `exited` is gone or `deadline` passes (`None`: no deadline);
/// `true` if all are gone.
fn wait_until_disconnected(exited: &Receiver<()>, deadline: Option<Instant>) -> bool {
    loop {
        let Some(deadline) = deadline else {
            // No deadline: wait for the last sender; a message (none is ever sent) loops.
            if exited.recv().is_err() {
                return true;
            }
            continue;
        };
        let left = deadline.saturating_duration_since(Instant::now());
        match exited.recv_timeout(left) {
            Err(RecvTimeoutError::Disconnected) => return true,
            Err(RecvTimeoutError::Timeout) => return false,
            Ok(()) => {}
        }
    }
}
