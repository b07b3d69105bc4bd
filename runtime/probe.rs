//! The instrumentation around one poll: the one place where a task's counters, its wait record
//! and the trace see a poll begin and end.
//!
//! Where it sits in the flow:
//!
//! ```text
//! spawn → run queue → [poll begins … poll ends: Pending (waits on …) or Ready] → wake → run queue
//! ```
//!
//! `task.rs` and `local.rs` both poll futures; both wrap the poll in a [`PollProbe`], so the
//! bookkeeping exists once. What it costs with tracing and timing off (the default): a counter
//! load-and-store and checks of `Option`s the runtime already holds (trace I1, task_meta I2).
//! The trace lines themselves are formatted in `#[cold]` functions, out of the hot path's way.
//!
//! Read next: `monitor.rs` (the watchdog reads the worker side of the same moment).

use std::task::Poll;
use std::time::{Duration, Instant};

use super::dump::TaskKind;
use super::task::Header;
use super::task_meta::{self, WaitRecord};
use super::trace::{self, human, Tracer};

/// How a poll ended, for [`PollProbe::finish`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PollOutcome {
    /// The future returned `Pending`.
    Pending,
    /// The future returned `Ready`: the task is done.
    Ready,
    /// The future panicked.
    Panicked,
}

impl PollOutcome {
    /// The outcome of a poll run inside `catch_unwind`.
    pub(crate) fn of<T, E>(polled: &Result<Poll<T>, E>) -> PollOutcome {
        match polled {
            Ok(Poll::Pending) => PollOutcome::Pending,
            Ok(Poll::Ready(_)) => PollOutcome::Ready,
            Err(_) => PollOutcome::Panicked,
        }
    }
}

/// A poll in progress; created just before `Future::poll`, finished just after.
#[must_use = "a probe must be finished when the poll returns"]
pub(crate) struct PollProbe {
    /// When the poll began, if poll timing is on.
    started: Option<Instant>,
}

// ANCHOR: probe
impl PollProbe {
    /// Counts the poll and traces its start.
    #[inline]
    pub(crate) fn start(header: &Header) -> PollProbe {
        let poll = header.meta.count_poll();
        if header.meta.traced() {
            if let Some(tracer) = header.scheduler.tracer() {
                trace_start(tracer, header, poll);
            }
        }
        PollProbe {
            started: header.meta.timed().then(Instant::now),
        }
    }

    /// Records the poll's time and traces the end.
    #[inline]
    pub(crate) fn finish(self, header: &Header, outcome: PollOutcome) {
        let meta = &header.meta;
        let took = self.started.map(|started| started.elapsed());
        if let Some(took) = took {
            meta.add_poll_time(took);
        }
        if header.meta.traced() {
            if let Some(tracer) = header.scheduler.tracer() {
                trace_end(tracer, header, outcome, took);
            }
        }
    }
}
// ANCHOR_END: probe

/// The trace line of a poll's start. Out of line: tracing is rare.
#[cold]
fn trace_start(tracer: &Tracer, header: &Header, poll: u32) {
    trace::set_polling(Some(header.id));
    let who = header.meta.describe(header.id);
    if header.meta.kind() == TaskKind::Blocking {
        tracer.event(format_args!("{who} (spawn_blocking) starts its closure"));
    } else {
        tracer.event(format_args!("{who} polled (poll {poll})"));
    }
}

/// The trace line of a poll's end.
#[cold]
fn trace_end(tracer: &Tracer, header: &Header, outcome: PollOutcome, took: Option<Duration>) {
    // Taken whatever the outcome, so nothing this poll noted is blamed on the next (task_meta I3).
    let waits = &task_meta::take_waits();
    let who = header.meta.describe(header.id);
    let after = took.map_or_else(String::new, |took| format!(" after {}", human(took)));
    match outcome {
        PollOutcome::Pending => {
            let waits = describe_waits(waits, tracer);
            tracer.event(format_args!(
                "{who} returned Pending{after}; waits on {waits}"
            ));
        }
        PollOutcome::Ready if header.meta.kind() == TaskKind::Blocking => {
            tracer.event(format_args!("{who} (spawn_blocking) finished{after}"));
        }
        PollOutcome::Ready => tracer.event(format_args!("{who} returned Ready{after}: done")),
        PollOutcome::Panicked => tracer.event(format_args!("{who} panicked{after}")),
    }
}

/// Called when a worker is done with a task's turn, after whatever its poll's ending woke (a
/// joiner woken by completion is still woken "by" this task, so this comes after that).
#[inline]
pub(crate) fn run_ended(header: &Header) {
    if header.meta.traced() {
        trace::set_polling(None);
    }
}

/// "fd 9 readable", "its timer (deadline 1.500000)", "task 4", joined with "and"; or a
/// sentence saying the runtime cannot tell.
pub(crate) fn describe_waits(waits: &WaitRecord, tracer: &trace::Tracer) -> String {
    let mut parts = Vec::new();
    for (fd, direction) in waits.fds.iter().flatten() {
        parts.push(format!("fd {fd} {}", direction.adjective()));
    }
    if let Some(deadline) = waits.deadline {
        parts.push(format!(
            "a timer (due at {:.6})",
            tracer.seconds_at(deadline)
        ));
    }
    if let Some(task) = waits.task {
        parts.push(format!("task {task} to finish"));
    }
    if parts.is_empty() {
        "something the runtime cannot see (a channel, an event, or a waker it kept)".to_owned()
    } else {
        parts.join(" and ")
    }
}
