//! Starting and stopping a runtime: [`Builder`], [`Runtime`], [`Runtime::block_on`], [`run`].
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
use std::io;
use std::panic::Location;
use std::pin::pin;
use std::sync::atomic::Ordering;
use std::sync::{mpsc, Arc};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::JoinHandle as ThreadHandle;
use std::time::{Duration, Instant};

use super::blocking::{BlockingPool, DEFAULT_KEEP_ALIVE};
use super::context;
use super::coop;
use super::dump::RuntimeDump;
use super::executor::{spawn_on, Shared};
use super::join::{JoinHandle, TaskId};
use super::local;
use super::monitor::{Monitor, MonitorConfig, DEFAULT_WATCHDOG, MAIN_FUTURE, WATCHDOG_ENV};
use super::probe::describe_waits;
use super::reactor::Reactor;
use super::shutdown;
use super::task_meta;
use super::trace::{self, Tracer};
use super::worker::{Worker, MAINTENANCE_INTERVAL};

/// The environment variable that sets the default number of workers (like tokio's
/// `TOKIO_WORKER_THREADS`): `SPROUT_WORKERS=1` makes any sprout program single-threaded.
///
/// ```
/// assert_eq!(sprout::runtime::WORKERS_ENV, "SPROUT_WORKERS");
/// ```
pub const WORKERS_ENV: &str = "SPROUT_WORKERS";

/// Default cap on blocking-pool threads (tokio uses the same number).
const DEFAULT_MAX_BLOCKING_THREADS: usize = 512;

/// How long dropping a runtime waits, by default, for its workers to stop and its running
/// `spawn_blocking` closures to end before it reports them and returns.
const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

/// Configures a [`Runtime`].
///
/// ```
/// let runtime = sprout::Runtime::builder().workers(1).build()?;
/// assert_eq!(runtime.block_on(async { 1 + 1 }), 2);
/// # std::io::Result::Ok(())
/// ```
#[derive(Debug, Clone)]
pub struct Builder {
    /// Workers requested with [`workers`](Self::workers); `None` means `SPROUT_WORKERS`, or
    /// one per CPU.
    workers: Option<usize>,
    /// Cap on blocking-pool threads.
    max_blocking_threads: usize,
    /// How long an idle blocking-pool thread lives.
    blocking_keep_alive: Duration,
    /// Tracing on or off; `None` means `SPROUT_TRACE` decides.
    trace: Option<bool>,
    /// Time every poll (tracing does too).
    poll_timing: bool,
    /// Watchdog threshold (zero disables); `None` means `SPROUT_WATCHDOG_MS`, or 500 ms.
    watchdog: Option<Duration>,
    /// Print a dump on SIGUSR1.
    dump_on_sigusr1: bool,
    /// The bound on the wait in `Runtime::drop`.
    shutdown_timeout: Duration,
}

impl Default for Builder {
    fn default() -> Self {
        Builder {
            workers: None,
            max_blocking_threads: DEFAULT_MAX_BLOCKING_THREADS,
            blocking_keep_alive: DEFAULT_KEEP_ALIVE,
            trace: None,
            poll_timing: false,
            watchdog: None,
            dump_on_sigusr1: true,
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
        }
    }
}

impl Builder {
    /// Sets the number of worker threads, counting the thread that calls `block_on`.
    /// `workers(1)` gives a single-threaded runtime.
    ///
    /// ```
    /// let single = sprout::Runtime::builder().workers(1).build()?;
    /// assert_eq!(single.stats().workers, 1);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn workers(mut self, count: usize) -> Builder {
        self.workers = Some(count);
        self
    }

    /// Sets the most threads the `spawn_blocking` pool may run at once (at least 1).
    ///
    /// ```
    /// let rt = sprout::Runtime::builder().workers(1).max_blocking_threads(2).build()?;
    /// let answer = rt.block_on(async { sprout::spawn_blocking(|| 40 + 2).await.unwrap() });
    /// assert_eq!(answer, 42);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn max_blocking_threads(mut self, count: usize) -> Builder {
        self.max_blocking_threads = count;
        self
    }

    /// Sets how long an idle `spawn_blocking` thread waits for another job before it exits
    /// (default 10 s). The pool grows on demand and shrinks back to zero when quiet.
    ///
    /// ```
    /// use std::time::Duration;
    /// let rt = sprout::Runtime::builder()
    ///     .workers(1)
    ///     .blocking_keep_alive(Duration::from_millis(50))
    ///     .build()?;
    /// rt.block_on(async { sprout::spawn_blocking(|| ()).await.unwrap() });
    /// # std::io::Result::Ok(())
    /// ```
    pub fn blocking_keep_alive(mut self, idle: Duration) -> Builder {
        self.blocking_keep_alive = idle;
        self
    }

    /// Prints the runtime's trace on stderr: one line per spawn, poll, wake-up, park and epoll
    /// event (overrides `SPROUT_TRACE`). Also turns on poll timing. See docs/ chapter
    /// "Watching the runtime".
    ///
    /// ```
    /// let quiet = sprout::Runtime::builder().workers(1).trace(false).build()?;
    /// quiet.block_on(async {});
    /// # std::io::Result::Ok(())
    /// ```
    pub fn trace(mut self, on: bool) -> Builder {
        self.trace = Some(on);
        self
    }

    /// Measures how long each poll takes, so [`dump`](crate::dump) can show each task's total
    /// and longest poll. Off by default: reading the clock twice per poll made the ping-pong
    /// benchmark 0.72x as fast (docs/ chapter 13).
    ///
    /// ```
    /// let rt = sprout::Runtime::builder().workers(1).poll_timing(true).build()?;
    /// rt.block_on(async {
    ///     let nap = std::time::Duration::from_secs(60);
    ///     let handle = sprout::TaskBuilder::new().name("timed").spawn(sprout::sleep(nap));
    ///     sprout::yield_now().await; // the task is polled once, and parks
    ///     let dump = sprout::dump();
    ///     let task = dump.tasks.iter().find(|t| t.id == handle.id()).unwrap();
    ///     assert!(task.longest_poll.is_some());
    ///     handle.cancel();
    /// });
    /// # std::io::Result::Ok(())
    /// ```
    pub fn poll_timing(mut self, on: bool) -> Builder {
        self.poll_timing = on;
        self
    }

    /// Reports on stderr any single poll that runs longer than `threshold` while it is still
    /// running, naming the task and its spawn site (gevent's `max_blocking_time`). Default
    /// 500 ms, or `SPROUT_WATCHDOG_MS`; `Duration::ZERO` disables it.
    ///
    /// The watchdog is the runtime's monitor thread, which also answers SIGUSR1, so disabling
    /// it removes that thread and the SIGUSR1 dump ([`dump`](crate::dump) still works). That
    /// matters only to a single-worker runtime in a program with no other thread: there, one
    /// more thread makes the kernel and glibc take their multi-threaded paths (reference-counted
    /// fd lookups, locked `malloc`), measured at about 3% of the 1-connection echo benchmark
    /// and 10% of spawning a million trivial tasks (docs/ chapter 13).
    ///
    /// ```
    /// use std::time::Duration;
    /// let rt = sprout::Runtime::builder()
    ///     .workers(1)
    ///     .watchdog(Duration::from_millis(100))
    ///     .build()?;
    /// rt.block_on(async { sprout::sleep(Duration::from_millis(1)).await });
    /// # std::io::Result::Ok(())
    /// ```
    pub fn watchdog(mut self, threshold: Duration) -> Builder {
        self.watchdog = Some(threshold);
        self
    }

    /// Whether SIGUSR1 prints a [`dump`](crate::dump) on stderr (default `true`:
    /// `kill -USR1 <pid>` shows every live task). The monitor thread answers the signal, so
    /// this needs the watchdog on (see [`watchdog`](Self::watchdog)).
    ///
    /// ```
    /// let rt = sprout::Runtime::builder().workers(1).dump_on_sigusr1(false).build()?;
    /// rt.block_on(async {});
    /// # std::io::Result::Ok(())
    /// ```
    pub fn dump_on_sigusr1(mut self, on: bool) -> Builder {
        self.dump_on_sigusr1 = on;
        self
    }

    /// How long dropping the runtime waits for workers stuck in a poll and for running
    /// `spawn_blocking` closures (default 5 s). Whatever is still running then is named on
    /// stderr and left behind, instead of the drop hanging.
    ///
    /// ```
    /// use std::time::Duration;
    /// let rt = sprout::Runtime::builder()
    ///     .workers(1)
    ///     .shutdown_timeout(Duration::from_millis(100))
    ///     .build()?;
    /// rt.block_on(async {});
    /// drop(rt); // returns within 100 ms even if a closure still ran
    /// # std::io::Result::Ok(())
    /// ```
    pub fn shutdown_timeout(mut self, limit: Duration) -> Builder {
        self.shutdown_timeout = limit;
        self
    }

    /// Starts the runtime: creates the reactor, the background worker threads and, unless both
    /// the watchdog and the SIGUSR1 dump are off, the monitor thread.
    ///
    /// Fails if the worker count is zero or `SPROUT_WORKERS` is not a positive integer, if
    /// `SPROUT_WATCHDOG_MS` is not a number, or if the poller or a thread cannot be created.
    ///
    /// ```
    /// let error = sprout::Runtime::builder().workers(0).build().unwrap_err();
    /// assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    /// let runtime = sprout::Runtime::builder().workers(2).build()?;
    /// assert_eq!(runtime.block_on(async { 7 }), 7);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn build(self) -> io::Result<Runtime> {
        let workers = match self.workers {
            Some(0) => return Err(invalid("the number of workers must be at least 1")),
            Some(count) => count,
            None => workers_from_environment()?,
        };
        let watchdog = match self.watchdog {
            Some(threshold) => threshold,
            None => watchdog_from_environment()?,
        };
        let tracing = self.trace.unwrap_or_else(trace::requested_by_environment);
        let epoch = Instant::now();
        let shared = Arc::new(Shared::new(
            workers,
            Reactor::new(tracing.then(|| Tracer::new(epoch)))?,
            BlockingPool::new(self.max_blocking_threads, self.blocking_keep_alive),
            epoch,
            self.poll_timing || tracing,
        ));
        if let Some(tracer) = shared.tracer() {
            tracer.event(format_args!("runtime started with {workers} worker(s)"));
        }
        let (exited, workers_exited) = mpsc::channel();
        let mut runtime = Runtime {
            shared,
            threads: Vec::with_capacity(workers - 1),
            workers_exited,
            monitor: None,
            shutdown_timeout: self.shutdown_timeout,
        };
        for index in 1..workers {
            let shared = runtime.shared.clone();
            let exited = exited.clone();
            // If this fails, `runtime` drops here and stops the threads already started.
            let thread = std::thread::Builder::new()
                .name(format!("sprout-worker-{index}"))
                .spawn(move || {
                    // Declared first, so dropped last: its end tells `Runtime::drop` we are done.
                    let _exited = exited;
                    let _runtime = context::enter(shared.clone(), Some(index));
                    Worker::new(shared, index).run_until_shutdown();
                    local::drop_all_on_this_thread();
                })?;
            runtime.threads.push(thread);
        }
        let config = MonitorConfig {
            watchdog: (!watchdog.is_zero()).then_some(watchdog),
            dump_on_signal: self.dump_on_sigusr1,
        };
        runtime.monitor = Monitor::start(runtime.shared.clone(), config)?;
        Ok(runtime)
    }
}

/// The watchdog threshold from `SPROUT_WATCHDOG_MS`, or the default.
fn watchdog_from_environment() -> io::Result<Duration> {
    match std::env::var(WATCHDOG_ENV) {
        Ok(text) => match text.trim().parse::<u64>() {
            Ok(millis) => Ok(Duration::from_millis(millis)),
            Err(_) => Err(invalid(&format!(
                "{WATCHDOG_ENV} must be a whole number of milliseconds (0 disables), got {text:?}"
            ))),
        },
        Err(_) => Ok(DEFAULT_WATCHDOG),
    }
}

/// The worker count from `SPROUT_WORKERS`, or the number of CPUs.
fn workers_from_environment() -> io::Result<usize> {
    match std::env::var(WORKERS_ENV) {
        Ok(text) => match text.trim().parse::<usize>() {
            Ok(count) if count > 0 => Ok(count),
            _ => Err(invalid(&format!(
                "{WORKERS_ENV} must be a positive integer, got {text:?}"
            ))),
        },
        Err(_) => Ok(std::thread::available_parallelism().map_or(1, |n| n.get())),
    }
}

/// An `InvalidInput` error with `message`.
fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message.to_owned())
}

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
    shared: Arc<Shared>,
    /// The background worker threads (workers 1..n), joined on drop.
    threads: Vec<ThreadHandle<()>>,
    /// Disconnects when every background worker thread has finished (each holds a sender).
    workers_exited: mpsc::Receiver<()>,
    /// The watchdog and SIGUSR1 thread, if either is on.
    monitor: Option<Monitor>,
    /// The bound on the wait in `drop`.
    shutdown_timeout: Duration,
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
                coop::reset();
                if let Some(tracer) = tracer {
                    trace::set_polling(Some(TaskId::MAIN));
                    tracer.event(format_args!("the block_on future polled"));
                }
                activity.begin(MAIN_FUTURE);
                let polled = future.as_mut().poll(&mut cx);
                activity.end();
                if tracer.is_some() {
                    trace::set_polling(None);
                }
                if let Poll::Ready(output) = polled {
                    if let Some(tracer) = tracer {
                        tracer.event(format_args!("the block_on future returned Ready"));
                    }
                    return output;
                }
                if let Some(tracer) = tracer {
                    // Taken after every poll while tracing (task_meta I3).
                    let waits = describe_waits(&task_meta::take_waits(), tracer);
                    tracer.event(format_args!(
                        "the block_on future returned Pending; waits on {waits}"
                    ));
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
    ///
    /// ```
    /// let runtime = sprout::Runtime::builder().workers(2).build()?;
    /// // From outside the runtime: the task runs on its background worker.
    /// let handle = runtime.spawn(async { 5 });
    /// assert_eq!(runtime.block_on(handle).unwrap(), 5);
    /// # std::io::Result::Ok(())
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        spawn_on(&self.shared, None, Location::caller(), future)
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
pub fn stats() -> RuntimeStats {
    RuntimeStats::of(&context::expect_shared("sprout::stats"))
}

impl Drop for Runtime {
    fn drop(&mut self) {
        shutdown::shut_down(
            &self.shared,
            std::mem::take(&mut self.threads),
            &self.workers_exited,
            self.monitor.take(),
            self.shutdown_timeout,
        ); // I3
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
            shared.injector.push(task);
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
