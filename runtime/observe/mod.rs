//! The glass box: everything that lets a person watch the runtime work — the trace, poll timing,
//! the dump, the watchdog, the shutdown report. A layer above the engine: it implements the
//! engine's [`Hooks`] and reads the engine's state; the engine never names it (hooks I1).
//!
//! Where it sits: beside the whole flow, listening.
//!
//! ```text
//! spawn → run queue → poll → Pending → waker parked in reactor → epoll event → wake → run queue → poll
//!   ↓         ↓         ↓        ↓                ↓                    ↓           ↓
//!   └─────────┴─────────┴────────┴── Event ───────┴────────────────────┴───────────┴──→ GlassBox
//! ```
//!
//! | file                 | what it holds                                                |
//! |----------------------|--------------------------------------------------------------|
//! | `mod.rs`             | [`GlassBox`]: the `Hooks` implementation; poll timing         |
//! | `trace.rs`           | `SPROUT_TRACE`: the tracer, wake causes, `human` durations   |
//! | `chrome.rs`          | `SPROUT_TRACE=chrome:FILE`: the trace as a Perfetto timeline |
//! | `narrate.rs`         | the trace line of each event                                 |
//! | `waits.rs`           | what the poll in progress parked its wakers on               |
//! | `dump.rs`            | `dump()` and SIGUSR1: every live task, fd and timer          |
//! | `snapshot.rs`        | taking a dump: which task waits on what                      |
//! | `monitor.rs`         | the blocking watchdog and the SIGUSR1 thread                 |
//! | `shutdown_report.rs` | what `Runtime::drop` says about the tasks it stops           |
//!
//! Only `builder.rs` (which installs the glass box) and `runtime.rs` (which owns the monitor
//! and the shutdown report) import this folder.
//!
//! Read next: `runtime/observe/trace.rs`.

mod chrome;
mod dump;
mod monitor;
mod narrate;
mod shutdown_report;
mod signal_dump;
mod snapshot;
mod trace;
mod waits;

pub use dump::{dump, RuntimeDump, SourceDump, TaskDump, WaitingOn};
pub use monitor::WATCHDOG_ENV;
pub(crate) use monitor::{Monitor, MonitorConfig, DEFAULT_WATCHDOG};
pub use shutdown_report::SHUTDOWN_REPORT_ENV;
pub(crate) use shutdown_report::{report_alive, report_blocking_left_behind, report_stuck_workers};
pub(crate) use trace::requested_by_environment as trace_requested_by_environment;
pub(crate) use trace::TraceTo;
pub use trace::TRACE_ENV;

use std::cell::Cell;
use std::time::{Duration, Instant};

use crate::runtime::hooks::{Event, Hooks};
use crate::runtime::scheduler::{Shared, MAIN_FUTURE};
use crate::runtime::task::{TaskEvent, TaskId};
use chrome::ChromeTrace;
use trace::Tracer;

/// The glass box of one runtime: installed as its hooks when tracing or poll timing is on.
pub(crate) struct GlassBox {
    /// Prints the trace, while tracing is on (trace I1).
    tracer: Option<Tracer>,
    /// Draws the timeline, while `SPROUT_TRACE=chrome:FILE` or `Builder::trace_chrome` asks.
    chrome: Option<ChromeTrace>,
    /// Whether poll durations are measured (task/meta I2).
    times_polls: bool,
}

thread_local! {
    /// When the poll in progress on this thread began, while polls are timed (hooks I2).
    static POLL_STARTED: Cell<Option<Instant>> = const { Cell::new(None) };
}

impl GlassBox {
    /// The glass box for a runtime started at `epoch`, if it has anything to do: a trace, or
    /// timing polls (the text trace times them too). Fails if the timeline file cannot be
    /// created.
    pub(crate) fn new(
        epoch: Instant,
        trace: TraceTo,
        poll_timing: bool,
    ) -> std::io::Result<Option<GlassBox>> {
        let tracing = trace == TraceTo::Stderr;
        let chrome = match trace {
            TraceTo::Chrome(path) => Some(ChromeTrace::create(&path, epoch).map_err(|error| {
                std::io::Error::new(
                    error.kind(),
                    format!("cannot write the trace timeline to {path:?}: {error}"),
                )
            })?),
            _ => None,
        };
        let wanted = tracing || poll_timing || chrome.is_some();
        Ok(wanted.then(|| GlassBox {
            tracer: tracing.then(|| Tracer::new(epoch)),
            chrome,
            times_polls: tracing || poll_timing,
        }))
    }

    /// The duration of the poll that just ended on this thread, if timed; stored in the task.
    fn poll_time(&self, event: &Event<'_>) -> Option<Duration> {
        match *event {
            Event::Task(_, TaskEvent::PollStarted { .. }) if self.times_polls => {
                POLL_STARTED.set(Some(Instant::now()));
                None
            }
            Event::Task(header, TaskEvent::PollEnded(_)) if self.times_polls => {
                let took = POLL_STARTED.take()?.elapsed();
                header.meta.add_poll_time(took);
                Some(took)
            }
            _ => None,
        }
    }
}

impl Hooks for GlassBox {
    fn event(&self, event: Event<'_>) {
        let took = self.poll_time(&event);
        if let Some(chrome) = &self.chrome {
            chrome.event(&event);
        }
        let Some(tracer) = &self.tracer else {
            return;
        };
        match event {
            Event::Delivering(cause) => trace::set_cause(cause),
            Event::ParkedOnFd(fd, direction) => waits::note_fd(fd, direction),
            Event::ParkedOnTimer(deadline) => waits::note_deadline(deadline),
            _ => narrate::narrate(tracer, event, took),
        }
    }

    fn times_polls(&self) -> bool {
        self.times_polls
    }
}

/// How the watchdog names the poll of `running` (a task id, or
/// `MAIN_FUTURE`): `task 5 "name" (spawned at src/main.rs:10:5)`.
pub(crate) fn describe_poll(scheduler: &Shared, running: u64) -> String {
    if running == MAIN_FUTURE {
        return "the block_on future".to_owned();
    }
    let Some(id) = TaskId::from_u64(running) else {
        return "no task".to_owned();
    };
    match scheduler.registry.find(id) {
        Some(task) => {
            let meta = &task.header().meta;
            format!("{} (spawned at {})", meta.describe(id), meta.spawned_at())
        }
        None => format!("task {id} (finished since)"),
    }
}
