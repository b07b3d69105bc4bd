//! The monitor thread: the blocking watchdog, and the runtime dump on SIGUSR1.
//!
//! Where it sits: outside the flow, looking at it. A worker stuck in one poll is the flow
//! stopped at "poll"; the monitor notices and says which task did it:
//!
//! ```text
//! spawn → run queue → [poll … still polling after 500 ms?] → Pending → … → wake → run queue
//! ```
//!
//! Each worker publishes, in its `WorkerActivity` (`scheduler/activity.rs`), the id of the task it polls and a count of
//! polls started. The monitor wakes every fifth of the threshold and compares: a worker whose
//! count has not moved while the same task stayed in its hands has been inside one poll for at
//! least the time between the two looks. That is gevent's `max_blocking_time`, done by
//! sampling, so the hot path pays two plain stores per poll and no clock reads or syscalls.
//!
//! The same thread waits on a socket pair: `signal-hook` writes a byte into it when SIGUSR1
//! arrives (the handler itself may do nothing else), and the monitor prints [`crate::dump`]'s
//! report. Shutdown writes a byte too, after setting the runtime's shutting-down flag.
//!
//! The thread exists only while the watchdog is on: by default in debug builds, not in release
//! builds (`SPROUT_WATCHDOG_MS` or `Builder::watchdog` decide otherwise; `0` turns it off). Why
//! that switch matters: in a program whose only other thread this is, its mere existence makes
//! the kernel reference-count every fd lookup (`fdget`/`fput` in each `recv`, `send` and
//! `epoll_wait`) and glibc lock every `malloc` (docs/ chapter 14). With the watchdog off, the
//! SIGUSR1 dump is answered by the reactor instead (`signal_dump.rs`).
//!
//! Invariants (the sampling relies on activity I1):
//! - I1: each stuck poll is reported once while it blocks, and once more when it returns.
//! - I2: while SIGUSR1 is registered for the dump, something answers it — this thread, or the
//!   reactor when the watchdog is off — so the signal never meets its default action
//!   (terminating the process).
//!
//! Read next: `runtime/observe/signal_dump.rs`.

use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::thread::JoinHandle as ThreadHandle;
use std::time::{Duration, Instant};

use signal_hook::consts::SIGUSR1;
use signal_hook::SigId;

use super::describe_poll;
use super::dump::RuntimeDump;
use super::signal_dump::SignalDump;
use super::trace::human;
use crate::runtime::scheduler::Shared;

/// The environment variable that sets the watchdog threshold in milliseconds; `0` disables it.
///
/// ```
/// assert_eq!(sprout::runtime::WATCHDOG_ENV, "SPROUT_WATCHDOG_MS");
/// ```
pub const WATCHDOG_ENV: &str = "SPROUT_WATCHDOG_MS";

/// The watchdog threshold when neither the builder nor `SPROUT_WATCHDOG_MS` sets one: 500 ms
/// in a debug build (where a learner runs `cargo run --example echo` and should hear about a
/// blocking call at once), off in a release build (a production server pays nothing for the
/// glass box it did not ask for; gevent's monitor thread is off by default too).
pub(crate) const DEFAULT_WATCHDOG: Duration = if cfg!(debug_assertions) {
    Duration::from_millis(500)
} else {
    Duration::ZERO
};

/// What watches one runtime: the monitor thread while the watchdog runs (it answers SIGUSR1
/// too), else, for the SIGUSR1 dump alone, the reactor (`signal_dump.rs`); stopped by
/// [`Monitor::stop`].
pub(crate) enum Monitor {
    /// The watchdog's thread.
    Thread(MonitorThread),
    /// The dump, answered by the reactor: no thread.
    Reactor(SignalDump),
}

/// The running monitor thread of one runtime.
pub(crate) struct MonitorThread {
    /// The thread.
    thread: Option<ThreadHandle<()>>,
    /// Our end of the socket pair: one byte wakes the monitor.
    waker: UnixStream,
    /// The SIGUSR1 registration, if any; removed on stop.
    signal: Option<SigId>,
}

/// What the monitor was asked to do.
#[derive(Clone, Copy, Debug)]
pub(crate) struct MonitorConfig {
    /// Report polls longer than this; `None` disables the watchdog.
    pub(crate) watchdog: Option<Duration>,
    /// Print a dump when SIGUSR1 arrives (I2).
    pub(crate) dump_on_signal: bool,
}

/// One worker's last observed poll.
#[derive(Clone)]
struct Seen {
    /// The poll count read from the worker.
    polls: u64,
    /// The task id in that poll.
    running: u64,
    /// When the monitor first saw this poll in progress.
    since: Instant,
    /// The task's description, once the poll was reported as stuck (I1); kept because the
    /// task may have finished, and left the registry, by the time its poll returns.
    reported: Option<String>,
}

impl Monitor {
    /// Starts what `config` asks for on `shared`: the thread if the watchdog is on, the
    /// reactor's answer if only the dump is, nothing otherwise (I2).
    pub(crate) fn start(shared: Arc<Shared>, config: MonitorConfig) -> io::Result<Option<Monitor>> {
        match config.watchdog {
            Some(threshold) => {
                let thread = MonitorThread::start(shared, threshold, config.dump_on_signal)?;
                Ok(Some(Monitor::Thread(thread)))
            }
            None if config.dump_on_signal => {
                Ok(Some(Monitor::Reactor(SignalDump::start(&shared)?)))
            }
            None => Ok(None),
        }
    }

    /// Stops it (the runtime's shutting-down flag must be set).
    pub(crate) fn stop(&mut self) {
        match self {
            Monitor::Thread(thread) => thread.stop(),
            Monitor::Reactor(dump) => dump.stop(),
        }
    }
}

impl MonitorThread {
    /// Starts the thread: the watchdog at `threshold`, and the dump if `dump_on_signal`.
    fn start(
        shared: Arc<Shared>,
        threshold: Duration,
        dump_on_signal: bool,
    ) -> io::Result<MonitorThread> {
        let (reader, waker) = UnixStream::pair()?;
        // The signal handler must never block on a full socket; a lost extra byte is harmless.
        waker.set_nonblocking(true)?;
        let signal = if dump_on_signal {
            Some(signal_hook::low_level::pipe::register(
                SIGUSR1,
                waker.try_clone()?,
            )?)
        } else {
            None
        };
        let started = std::thread::Builder::new()
            .name("sprout-monitor".into())
            .spawn(move || watch(&shared, reader, threshold));
        let thread = match started {
            Ok(thread) => thread,
            Err(error) => {
                // Nobody would read the pipe, and the handler would go on writing into its fd
                // after this function closed it: the registration goes with the thread (I2).
                if let Some(signal) = signal {
                    signal_hook::low_level::unregister(signal);
                }
                return Err(error);
            }
        };
        Ok(MonitorThread {
            thread: Some(thread),
            waker,
            signal,
        })
    }

    /// Wakes the thread (the runtime's shutting-down flag must be set) and waits for it.
    fn stop(&mut self) {
        if let Some(signal) = self.signal.take() {
            signal_hook::low_level::unregister(signal);
        }
        // A full socket already holds a wake-up byte, so a failed write loses nothing.
        let _ = self.waker.write(&[1]);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The monitor thread's loop: sample the workers, print dumps on request, exit on shutdown.
fn watch(shared: &Shared, mut reader: UnixStream, threshold: Duration) {
    let period = (threshold / 5).clamp(Duration::from_millis(5), Duration::from_secs(1));
    if reader.set_read_timeout(Some(period)).is_err() {
        return;
    }
    let mut seen: Vec<Option<Seen>> = vec![None; shared.workers.len()];
    let mut byte = [0u8; 64];
    loop {
        let woken = match reader.read(&mut byte) {
            Ok(0) => return,
            Ok(_) => true,
            Err(error)
                if matches!(
                    error.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) =>
            {
                false
            }
            Err(_) => return,
        };
        let stopping = woken && shared.is_shutting_down();
        if woken && !stopping {
            eprint!("{}", RuntimeDump::take(shared));
        }
        // Also on the way out, so a stuck poll that just returned still gets its "returned"
        // line (I1).
        check_workers(shared, threshold, &mut seen);
        if stopping {
            return;
        }
    }
}

/// One round of the watchdog: compares each worker's activity with the last look (I1).
fn check_workers(shared: &Shared, threshold: Duration, seen: &mut [Option<Seen>]) {
    let now = Instant::now();
    for (index, (worker, last)) in shared.workers.iter().zip(seen.iter_mut()).enumerate() {
        let current = worker.activity.current();
        if let (Some(before), Some((polls, running))) = (last.as_mut(), current) {
            if before.polls == polls && before.running == running {
                let blocked = now - before.since;
                if before.reported.is_none() && blocked >= threshold {
                    let task = describe_poll(shared, running);
                    eprintln!(
                        "sprout: watchdog: {task} has been running on worker {index} for at least \
                         {} without returning to the runtime (threshold {}). A blocking call in \
                         async code? Move it into spawn_blocking.",
                        human(blocked),
                        human(threshold),
                    );
                    before.reported = Some(task);
                }
                continue;
            }
        }
        if let Some(Seen {
            reported: Some(task),
            since,
            ..
        }) = last.take()
        {
            eprintln!(
                "sprout: watchdog: {task} returned to the runtime on worker {index} after about {}",
                human(now - since),
            );
        }
        *last = current.map(|(polls, running)| Seen {
            polls,
            running,
            since: now,
            reported: None,
        });
    }
}
