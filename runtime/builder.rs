//! Configuring a runtime: [`Builder`], and the environment variables that set its defaults
//! (`environment.rs`: `SPROUT_WORKERS`, `SPROUT_WATCHDOG_MS`, `SPROUT_REACTOR`; the glass box
//! reads `SPROUT_TRACE` and `SPROUT_SHUTDOWN_REPORT`).
//!
//! Where it sits in the flow: before it. `build()` creates what the flow runs on — the reactor,
//! the worker threads, the blocking pool, the monitor thread — and hands back a [`Runtime`]
//! (`runtime.rs`), whose `block_on` is where the first future enters:
//!
//! ```text
//! [Builder::build] → Runtime → block_on(main) → spawn → run queue → poll → …
//! ```
//!
//! Every setting has a builder method; the environment variables only change the defaults, and
//! a malformed one is an `InvalidInput` error that names it, never a silent fallback.
//!
//! Read next: `runtime/environment.rs`.

use std::io;
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use super::environment::{
    invalid, wait_mode_from_environment, watchdog_from_environment, workers_from_environment,
};
use super::hooks::{Event, Hooks};
use super::observe::{self, GlassBox, Monitor, MonitorConfig, TraceTo};
use super::reactor::{Reactor, WaitMode};
use super::runtime::{Runtime, ShutdownReport};
use super::scheduler::blocking::{BlockingPool, DEFAULT_KEEP_ALIVE};
use super::scheduler::worker::Worker;
use super::scheduler::{context, Shared};
use super::task;

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
    trace: Option<TraceTo>,
    /// Time every poll (tracing does too).
    poll_timing: bool,
    /// Watchdog threshold (zero disables); `None` means `SPROUT_WATCHDOG_MS`, or 500 ms.
    watchdog: Option<Duration>,
    /// Print a dump on SIGUSR1.
    dump_on_sigusr1: bool,
    /// The bound on the wait in `Runtime::drop`.
    shutdown_timeout: Duration,
    /// What `Runtime::drop` reports; `None` means `SPROUT_SHUTDOWN_REPORT`, or only what it
    /// could not stop.
    shutdown_report: Option<ShutdownReport>,
    /// The portable reactor (`polling` only) or the raw one; `None` means `SPROUT_REACTOR`,
    /// or raw where it exists.
    portable_reactor: Option<bool>,
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
            shutdown_report: None,
            portable_reactor: None,
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
        self.trace = Some(if on { TraceTo::Stderr } else { TraceTo::Off });
        self
    }

    /// Writes the trace as a timeline to `path`, in Chrome trace-event JSON (Perfetto and
    /// `chrome://tracing` open it): a track per worker, a slice per poll and per `epoll_wait`,
    /// an arrow per wake-up. Same as `SPROUT_TRACE=chrome:PATH`; replaces the text trace.
    ///
    /// ```
    /// let path = std::env::temp_dir().join("sprout-doc-timeline.json");
    /// let rt = sprout::Runtime::builder().workers(1).trace_chrome(&path).build()?;
    /// rt.block_on(async { sprout::spawn(async {}).await.unwrap() });
    /// drop(rt); // closes the JSON array
    /// assert!(std::fs::read_to_string(&path)?.trim_end().ends_with(']'));
    /// # std::io::Result::Ok(())
    /// ```
    pub fn trace_chrome(mut self, path: impl Into<std::path::PathBuf>) -> Builder {
        self.trace = Some(TraceTo::Chrome(path.into()));
        self
    }

    /// Measures how long each poll takes, so [`dump`](crate::dump) can show each task's total
    /// and longest poll. Off by default: reading the clock twice per poll slows a poll-heavy
    /// program measurably (docs/ chapter 14 has the figure).
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
    /// running, naming the task and its spawn site (gevent's `max_blocking_time`). Default:
    /// 500 ms in a debug build, off in a release build; `SPROUT_WATCHDOG_MS` overrides the
    /// default, and `Duration::ZERO` disables it.
    ///
    /// The watchdog is the runtime's monitor thread, which also answers SIGUSR1 while it runs
    /// (see [`dump_on_sigusr1`](Self::dump_on_sigusr1)). Its thread matters only to a
    /// single-worker runtime in a program with no other thread: there, one more thread makes
    /// the kernel and glibc take their multi-threaded paths (reference-counted fd lookups,
    /// locked `malloc`), which costs the echo benchmark measurably (docs/ chapter 14).
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

    /// Whether SIGUSR1 prints a [`dump`](crate::dump) on stderr (default `true`, in debug and
    /// release builds: `kill -USR1 <pid>` shows every live task). While the watchdog runs, its
    /// thread answers the signal; otherwise the reactor does, on whichever worker next looks at
    /// it, so no thread is started for it. With this off, SIGUSR1 keeps its default action,
    /// which ends the process.
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

    /// What dropping the runtime reports on stderr (overrides `SPROUT_SHUTDOWN_REPORT`). By
    /// default only what it could not stop; [`ShutdownReport::Off`] silences even that, and
    /// [`ShutdownReport::All`] also lists every task it cancels.
    ///
    /// ```
    /// use sprout::runtime::ShutdownReport;
    /// let quiet = sprout::Runtime::builder()
    ///     .shutdown_report(ShutdownReport::Off)
    ///     .build()?;
    /// quiet.block_on(async {});
    /// # std::io::Result::Ok(())
    /// ```
    pub fn shutdown_report(mut self, report: ShutdownReport) -> Builder {
        self.shutdown_report = Some(report);
        self
    }

    /// Makes the reactor use only `polling`'s portable calls (`true`), the path every platform
    /// but Linux takes, instead of sprout's own `epoll_wait` and `epoll_ctl` (`false`, the
    /// default on Linux). Same as `SPROUT_REACTOR=portable` (or `raw`). The portable path
    /// costs five syscalls per wait instead of one and reads one `recv` more per message
    /// (docs/ chapter 9); it exists on Linux so that the tests can run on it.
    ///
    /// ```
    /// let portable = sprout::Runtime::builder().portable_reactor(true).build()?;
    /// portable.block_on(sprout::sleep(std::time::Duration::from_millis(1)));
    /// # std::io::Result::Ok(())
    /// ```
    pub fn portable_reactor(mut self, portable: bool) -> Builder {
        self.portable_reactor = Some(portable);
        self
    }

    /// Starts the runtime: creates the reactor, the background worker threads and, unless both
    /// the watchdog and the SIGUSR1 dump are off, the monitor thread.
    ///
    /// Fails if the worker count is zero or above 65,536 or `SPROUT_WORKERS` is not a positive
    /// integer, if
    /// `SPROUT_WATCHDOG_MS` is not a number, if `SPROUT_SHUTDOWN_REPORT` is not `off`, `stuck`
    /// or `all`, if `SPROUT_REACTOR` is not `portable` or `raw` (raw only on Linux), or if the
    /// poller or a thread cannot be created.
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
        // Sized tables follow the count (the registry's shards are four per worker): an absurd
        // count is refused here rather than overflow there.
        if workers > MAX_WORKERS {
            return Err(invalid(&format!(
                "at most {MAX_WORKERS} workers, asked for {workers}"
            )));
        }
        let watchdog = match self.watchdog {
            Some(threshold) => threshold,
            None => watchdog_from_environment()?,
        };
        let shutdown_report = match self.shutdown_report {
            Some(report) => report,
            None => ShutdownReport::from_environment()?,
        };
        let wait_mode = match self.portable_reactor {
            Some(true) => WaitMode::Portable,
            Some(false) => WaitMode::DEFAULT,
            None => wait_mode_from_environment()?,
        };
        let trace = self
            .trace
            .unwrap_or_else(observe::trace_requested_by_environment);
        let epoch = Instant::now();
        // The one place the glass box is wired in: the engine only sees `dyn Hooks`.
        let glass_box = GlassBox::new(epoch, trace, self.poll_timing)?;
        let hooks = glass_box.map(|glass_box| Arc::new(glass_box) as Arc<dyn Hooks>);
        let shared = Arc::new(Shared::new(
            workers,
            Reactor::new(hooks, wait_mode)?,
            BlockingPool::new(self.max_blocking_threads, self.blocking_keep_alive),
            epoch,
            // The workers record what they poll only for a watchdog to read (activity I2).
            cfg!(feature = "observe") && !watchdog.is_zero(),
        ));
        shared.report(|| Event::RuntimeStarted { workers });
        let (exited, workers_exited) = mpsc::channel();
        let mut runtime = Runtime {
            shared,
            threads: Vec::with_capacity(workers - 1),
            workers_exited: std::sync::Mutex::new(workers_exited),
            monitor: None,
            shutdown_timeout: self.shutdown_timeout,
            shutdown_report,
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
                    task::drop_all_on_this_thread();
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

/// The most workers a runtime may have: far more threads than any machine runs usefully.
const MAX_WORKERS: usize = 1 << 16;
