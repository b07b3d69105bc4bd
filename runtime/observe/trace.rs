//! The trace: with `SPROUT_TRACE=1` (or `Builder::trace(true)`) the runtime narrates itself on
//! stderr, one line per event, so a learner can watch the flow happen. (`SPROUT_TRACE=chrome:FILE`
//! draws the same events as a timeline instead: `chrome.rs`.)
//!
//! Where it sits: beside every stage of the flow; each stage prints its own line.
//!
//! ```text
//! [spawn] → [run queue] → [poll] → [Pending: waits on …] → [parked in epoll] → [epoll event] → [wake] → [run queue] → [poll] → [Ready]
//! ```
//!
//! A line reads `   0.001234 worker 0   task 5 "127.0.0.1:40000" polled (poll 2)`: seconds since
//! the runtime started, the thread that did it, and what happened. docs/ chapter "Watching the
//! runtime" walks through a real trace of one echoed message.
//!
//! Who woke a task is known from where the wake-up came from: the reactor reports why it
//! delivers a batch of wake-ups (`Event::Delivering`: an fd's event, or the timers), which is
//! kept in a thread-local; a worker in the middle of a poll notes which task it is polling;
//! anything else is "another thread".
//!
//! Invariants:
//! - I1: with tracing off, no line is formatted and no thread-local of this file is touched
//!   (with no hooks at all, hooks I1 holds: the engine does not even build the event).
//! - I2: a line is written to stderr with one `write_all` under stderr's lock, so lines from
//!   different threads never interleave mid-line.
//!
//! Read next: `runtime/observe/chrome.rs`.

use std::cell::Cell;
use std::fmt;
use std::io::Write;
use std::time::{Duration, Instant};

use crate::runtime::hooks::WakeCause;
use crate::runtime::scheduler::context;
use crate::runtime::task::TaskId;

/// The environment variable that turns the trace on: any value but `0` or the empty string.
///
/// ```
/// assert_eq!(sprout::runtime::TRACE_ENV, "SPROUT_TRACE");
/// ```
pub const TRACE_ENV: &str = "SPROUT_TRACE";

/// Prints trace lines; the glass box holds one only while tracing is on (I1).
#[derive(Clone, Debug)]
pub(crate) struct Tracer {
    /// When the runtime started: time zero of every line.
    epoch: Instant,
}

thread_local! {
    /// Set by the reactor while it delivers the wake-ups of one event or of the timers.
    static CAUSE: Cell<Option<WakeCause>> = const { Cell::new(None) };
    /// The task this thread is polling, while tracing (`None` between polls).
    static POLLING: Cell<Option<TaskId>> = const { Cell::new(None) };
}

/// Where the trace goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum TraceTo {
    /// Nowhere: no trace.
    Off,
    /// Text lines on stderr (`SPROUT_TRACE=1`).
    Stderr,
    /// A Chrome trace-event JSON file (`SPROUT_TRACE=chrome:FILE`; `observe/chrome.rs`).
    Chrome(std::path::PathBuf),
}

/// What `SPROUT_TRACE` asks for: unset, empty or `0` is off, `chrome:FILE` a timeline in FILE,
/// anything else the text trace.
pub(crate) fn requested_by_environment() -> TraceTo {
    match std::env::var_os(TRACE_ENV) {
        None => TraceTo::Off,
        Some(value) if value.is_empty() || value == "0" => TraceTo::Off,
        Some(value) => match value.to_str().and_then(|v| v.strip_prefix("chrome:")) {
            Some(path) => TraceTo::Chrome(path.into()),
            None => TraceTo::Stderr,
        },
    }
}

impl Tracer {
    /// A tracer whose time zero is `epoch`.
    pub(crate) fn new(epoch: Instant) -> Tracer {
        Tracer { epoch }
    }

    /// Prints one line: time, thread, event (I2).
    pub(crate) fn event(&self, what: fmt::Arguments<'_>) {
        let seconds = self.epoch.elapsed().as_secs_f64();
        let line = match context::current_worker_index() {
            Some(worker) => format!("{seconds:>11.6} worker {worker:<3} {what}\n"),
            None => {
                let thread = std::thread::current();
                let name = thread.name().unwrap_or("a thread");
                format!("{seconds:>11.6} {name:<10} {what}\n")
            }
        };
        // A closed stderr must not take the runtime down; the trace is best effort.
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }

    /// Seconds since the runtime started, for deadlines in trace lines.
    pub(crate) fn seconds_at(&self, when: Instant) -> f64 {
        when.saturating_duration_since(self.epoch).as_secs_f64()
    }
}

/// Sets the reason the trace gives for the wake-ups delivered from now on (`None`: no reason
/// beyond who is polling).
pub(crate) fn set_cause(cause: Option<WakeCause>) {
    CAUSE.set(cause);
}

/// Records which task this thread polls (`None` when the poll ends), for "woken by task N".
pub(crate) fn set_polling(task: Option<TaskId>) {
    POLLING.set(task);
}

// ANCHOR: wake_cause
/// Why the task `woken` is being woken right now, in words.
pub(crate) fn wake_cause(woken: TaskId) -> String {
    match (CAUSE.get(), POLLING.get()) {
        (Some(WakeCause::Fd(fd, direction)), _) => format!("fd {fd} {}", direction.adjective()),
        (Some(WakeCause::Timer), _) => "its timer".to_owned(),
        (None, Some(task)) if task == woken => {
            "itself (it yielded, or spent its budget)".to_owned()
        }
        (None, Some(TaskId::MAIN)) => "the block_on future".to_owned(),
        (None, Some(task)) => format!("task {task}"),
        (None, None) => match context::current_worker_index() {
            Some(0) => "the block_on future, or worker 0 between polls".to_owned(),
            Some(worker) => format!("worker {worker} between polls"),
            None => {
                let thread = std::thread::current();
                format!("thread {:?}", thread.name().unwrap_or("unnamed"))
            }
        },
    }
}
// ANCHOR_END: wake_cause

/// A duration for people: `850 ns`, `12.3 µs`, `4.56 ms`, `1.234 s`.
pub(crate) fn human(duration: Duration) -> String {
    let nanos = duration.as_nanos();
    if nanos < 1_000 {
        format!("{nanos} ns")
    } else if nanos < 1_000_000 {
        format!("{:.1} µs", nanos as f64 / 1e3)
    } else if nanos < 1_000_000_000 {
        format!("{:.2} ms", nanos as f64 / 1e6)
    } else {
        format!("{:.3} s", duration.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::direction::Direction;

    #[test]
    fn durations_read_in_sensible_units() {
        assert_eq!(human(Duration::from_nanos(850)), "850 ns");
        assert_eq!(human(Duration::from_nanos(12_340)), "12.3 µs");
        assert_eq!(human(Duration::from_micros(4_560)), "4.56 ms");
        assert_eq!(human(Duration::from_millis(1_234)), "1.234 s");
    }

    #[test]
    fn the_wake_cause_names_the_reactor_then_the_polling_task() {
        let me = TaskId::from_u64(7).unwrap();
        let other = TaskId::from_u64(8).unwrap();
        set_polling(Some(other));
        assert_eq!(wake_cause(me), "task 8");
        assert!(wake_cause(other).starts_with("itself"));
        set_cause(Some(WakeCause::Fd(5, Direction::Read)));
        assert_eq!(wake_cause(me), "fd 5 readable");
        set_cause(None);
        set_polling(None);
        assert!(wake_cause(me).starts_with("thread"));
    }
}
