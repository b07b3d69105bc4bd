//! A running runtime: [`Runtime`], [`Runtime::block_on`], [`run`], [`stats`].
//!
//! Where it sits in the flow: around it. `block_on` is where the first future enters, and the
//! calling thread becomes worker 0 for as long as it waits:
//!
//! ```text
//! [block_on(main)] → poll main → spawn → run queue → poll → … → main Ready → [block_on returns]
//! ```
//!
//! A runtime of `n` workers starts `n - 1` background threads; the thread inside `block_on` is
//! the n-th. So `workers(1)` is a single-threaded runtime in which everything — the main future,
//! every task, the reactor — runs on the caller's thread, like tokio's `current_thread`.
//!
//! Invariants:
//! - I1: only one thread at a time is inside `block_on` of a given runtime (it is worker 0).
//! - I2: when `block_on` returns (or unwinds), worker 0's queued tasks move to the injector, its
//!   `spawn_local` tasks are dropped, and it leaves the idle list: nothing is stranded on a
//!   worker that no longer runs.
//! - I3: dropping a `Runtime` stops its workers, then drops every task that is still alive
//!   (their destructors run), so no task outlives its runtime; `shutdown.rs` says which tasks
//!   were still alive and bounds the wait for workers and blocking closures.
//!
//! Read next: `task.rs`.

use std::future::Future;
use std::panic::Location;
use std::pin::pin;
use std::sync::atomic::Ordering;
use std::sync::{mpsc, Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::JoinHandle as ThreadHandle;
use std::time::Duration;

use super::builder::Builder;
use super::context;
use super::dump::RuntimeDump;
use super::executor::{spawn_on, Shared};
use super::join::{JoinHandle, TaskId};
use super::local;
use super::monitor::{Monitor, MAIN_FUTURE};
use super::poll::poll_guarded;
use super::probe::describe_waits;
use super::shutdown::{self, ShutdownReport};
use super::task_meta;
use super::trace::{self, Tracer};
use super::worker::{Worker, MAINTENANCE_INTERVAL};

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

    /// Runs `future` to completion on this thread, which works as worker 0 meanwhile (it also
    /// runs other tasks and drives the reactor). The future need not be `Send`.
    ///
    /// # Panics
    /// If called from inside a runtime (it would block a worker: `.await` the future instead),
    /// or while another thread is inside `block_on` of the same runtime (I1). A panic of
    /// `future` itself propagates to the caller.
    ///
    /// ```
    /// let runtime = sprout::Runtime::builder().workers(1).build()?;
    /// let greeting = runtime.block_on(async {
    ///     sprout::sleep(std::time::Duration::from_millis(1)).await;
    ///     "done"
    /// });
    /// assert_eq!(greeting, "done");
    /// # std::io::Result::Ok(())
    /// ```
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        assert!(
            !context::is_inside_runtime(),
            "Runtime::block_on was called from inside a sprout runtime; it would block a worker \
             thread. Await the future instead, or use spawn_blocking for blocking code"
        );
        let shared = &self.shared;
        assert!(
            !shared.main_active.swap(true, Ordering::AcqRel),
            "Runtime::block_on is already running on another thread for this runtime"
        );
        let _context = context::enter(shared.clone(), Some(0));
        let _leave = LeaveWorkerZero(shared.clone()); // I2, also on unwind.
        let waker = Waker::from(Arc::new(MainWaker(shared.clone())));
        let mut cx = Context::from_waker(&waker);
        let mut future = pin!(future);
        let mut worker = Worker::new(shared.clone(), 0);
        shared.main_woken.store(true, Ordering::SeqCst);
        let activity = &shared.workers[0].activity;
        let tracer = shared.tracer();
        loop {
            if shared.main_woken.swap(false, Ordering::AcqRel) {
                if let Some(tracer) = tracer {
                    trace::set_polling(Some(TaskId::MAIN));
                    tracer.event(format_args!("the block_on future polled"));
                }
                activity.begin(MAIN_FUTURE);
                let polled = poll_guarded(&mut cx, |cx| future.as_mut().poll(cx));
                activity.end();
                // The main future's panic is the caller's: it goes on up through `block_on`
                // (after the worker-zero guard below has put every queued task back).
                let polled = polled.unwrap_or_else(|payload| std::panic::resume_unwind(payload));
                if let Some(tracer) = tracer {
                    trace_main_poll_end(tracer, polled.is_ready());
                }
                if let Poll::Ready(output) = polled {
                    return output;
                }
            }
            // Run a batch of tasks before looking at the main future again (tokio's
            // current_thread does the same): re-polling it after every task would make it
            // register wakers on handles whose tasks have simply not had their turn yet.
            let mut ran = 0;
            while ran < MAINTENANCE_INTERVAL {
                let Some(task) = worker.next_task() else {
                    break;
                };
                worker.run_task(task);
                ran += 1;
            }
            if ran == 0 {
                worker.park(); // Returns at once if the main future was woken meanwhile.
            }
        }
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
}

impl RuntimeStats {
    /// Reads the counters of `shared`.
    fn of(shared: &Shared) -> RuntimeStats {
        let (blocking_busy, blocking_idle) = shared.blocking.thread_counts();
        RuntimeStats {
            workers: shared.workers.len(),
            live_tasks: shared.live_tasks(),
            pending_timers: shared.reactor.pending_timers(),
            registered_sources: shared.reactor.registered_sources(),
            blocking_busy,
            blocking_idle,
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
    RuntimeStats::of(&context::expect_shared("sprout::stats"))
}

impl Drop for Runtime {
    fn drop(&mut self) {
        // The destructors of the futures that shutdown drops run on this thread; inside the
        // runtime's context, a `spawn` among them finds the runtime and is cancelled at once
        // (executor I1) rather than panicking as "outside of a sprout runtime".
        let _context = context::enter(self.shared.clone(), None);
        shutdown::shut_down(
            &self.shared,
            std::mem::take(&mut self.threads),
            self.workers_exited
                .get_mut()
                .unwrap_or_else(PoisonError::into_inner),
            self.monitor.take(),
            self.shutdown_timeout,
            self.shutdown_report,
        ); // I3
    }
}

/// Traces the end of a poll of the `block_on` future, and clears what it noted (task_meta I3).
#[cold]
fn trace_main_poll_end(tracer: &Tracer, ready: bool) {
    trace::set_polling(None);
    let waits = task_meta::take_waits();
    if ready {
        tracer.event(format_args!("the block_on future returned Ready"));
    } else {
        let waits = describe_waits(&waits, tracer);
        tracer.event(format_args!(
            "the block_on future returned Pending; waits on {waits}"
        ));
    }
}

/// The waker of the `block_on` future: flags worker 0 and wakes it.
struct MainWaker(Arc<Shared>);

impl Wake for MainWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if let Some(tracer) = self.0.tracer() {
            let cause = trace::wake_cause(TaskId::MAIN);
            tracer.event(format_args!("the block_on future woken by {cause}"));
        }
        self.0.wake_main();
    }
}

/// Restores I2 when `block_on` returns or unwinds.
struct LeaveWorkerZero(Arc<Shared>);

impl Drop for LeaveWorkerZero {
    fn drop(&mut self) {
        let shared = &self.0;
        shared.idle.withdraw(0);
        // I4 of lifo.rs, then the queue: nothing stays on a worker that no longer runs.
        if let Some(task) = super::lifo::take() {
            shared.injector.push(task);
        }
        for task in super::defer::take_all() {
            if task.header().meta.kind() == super::dump::TaskKind::Local {
                shared.workers[0].pinned.push(task); // It belongs to this thread (local I1).
            } else {
                shared.injector.push(task);
            }
        }
        while let Some(task) = shared.workers[0].local.pop() {
            shared.injector.push(task);
        }
        local::drop_all_on_this_thread();
        shared.main_woken.store(false, Ordering::SeqCst);
        shared.main_active.store(false, Ordering::Release);
        // Tasks moved to the injector: let a background worker (if any) pick them up.
        shared.wake_one_idle();
    }
}

/// Starts the default runtime and runs `future` on it: one worker per CPU, or `SPROUT_WORKERS`.
/// The usual entry point of a sprout program.
///
/// # Panics
/// If the runtime cannot start (for instance, `SPROUT_WORKERS` is not a positive integer), or
/// if called from inside a runtime.
///
/// ```
/// let greeting = sprout::run(async { "hello" });
/// assert_eq!(greeting, "hello");
/// ```
pub fn run<F: Future>(future: F) -> F::Output {
    let runtime = Runtime::builder()
        .build()
        .unwrap_or_else(|error| panic!("sprout::run could not start the runtime: {error}"));
    runtime.block_on(future)
}
