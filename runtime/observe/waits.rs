//! What one poll parked its wakers on, learned while it happens: the trace's "waits on …".
//!
//! Where it sits in the flow: at "Pending → waker parked". While tracing, the reactor, `Sleep`
//! and `JoinHandle` report what they parked a waker on (`Event::ParkedOnFd`, `ParkedOnTimer`,
//! `TaskEvent::Awaited`); the glass box notes it in a thread-local [`WaitRecord`], and reads
//! and clears it when the poll ends. Whatever a poll parked, it parked on behalf of the task
//! being polled on this thread (hooks I2).
//!
//! The dump learns the same thing another way, at no cost until it is taken: it matches the
//! wakers parked in the reactor, the timer queue and the `JoinHandle`s to the tasks they point
//! at (`observe/dump.rs`).
//!
//! ```text
//! spawn → run queue → poll → Pending → [waker parked on …: noted] → [poll ends: "waits on …"] → epoll event → wake
//! ```
//!
//! Invariants:
//! - I1: the record is written only while tracing, and cleared at the end of every poll, so
//!   nothing one poll noted is blamed on the next.
//!
//! Read next: `runtime/observe/dump.rs`.

use std::cell::Cell;
use std::os::fd::RawFd;
use std::time::Instant;

use super::trace::Tracer;
use crate::runtime::direction::Direction;
use crate::runtime::task::TaskId;

/// How many fds one poll's wait record keeps.
pub(crate) const NOTED_FDS: usize = 4;

/// What one poll parked a waker on, for the trace; see the module doc. All fields `None`
/// means "unknown" (a channel, an event, or a future the runtime cannot see into).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct WaitRecord {
    /// Registered fds and the direction of readiness awaited: the first [`NOTED_FDS`] of them
    /// (an accept loop waits on its listener and its shutdown signal at once).
    pub(crate) fds: [Option<(RawFd, Direction)>; NOTED_FDS],
    /// A timer deadline.
    pub(crate) deadline: Option<Instant>,
    /// Another task's completion.
    pub(crate) task: Option<TaskId>,
}

thread_local! {
    /// The wait record of the poll running on this thread, while tracing (I1): written by the
    /// `note_*` functions, read and cleared by [`take_waits`] at the end of every poll.
    static POLL_WAITS: Cell<WaitRecord> = const {
        Cell::new(WaitRecord { fds: [None; NOTED_FDS], deadline: None, task: None })
    };
}

/// The wait record of the poll that just ended on this thread, leaving it cleared for the next
/// poll. Called at the end of every poll while tracing, `Ready` or not (I1).
#[inline]
pub(crate) fn take_waits() -> WaitRecord {
    POLL_WAITS.with(Cell::take)
}

/// Changes this thread's wait record with `change` (I1: only while tracing).
fn note(change: impl FnOnce(&mut WaitRecord)) {
    POLL_WAITS.with(|cell| {
        let mut record = cell.get();
        change(&mut record);
        cell.set(record);
    });
}

/// Notes that the current poll parked a waker on `fd` for `direction`.
pub(crate) fn note_fd(fd: RawFd, direction: Direction) {
    note(|record| {
        let noted = Some((fd, direction));
        if !record.fds.contains(&noted) {
            if let Some(free) = record.fds.iter_mut().find(|slot| slot.is_none()) {
                *free = noted;
            }
        }
    });
}

/// Notes that the current poll parked a waker in the timer queue until `deadline`.
pub(crate) fn note_deadline(deadline: Instant) {
    note(|record| record.deadline = Some(deadline));
}

/// Notes that the current poll waits for task `task` to finish.
pub(crate) fn note_task(task: TaskId) {
    note(|record| record.task = Some(task));
}

/// "fd 9 readable", "its timer (deadline 1.500000)", "task 4", joined with "and"; or a
/// sentence saying the runtime cannot tell.
pub(crate) fn describe(waits: &WaitRecord, tracer: &Tracer) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_record_is_taken_once() {
        note_fd(7, Direction::Read);
        note_fd(7, Direction::Read);
        note_task(TaskId::from_u64(3).unwrap());
        let record = take_waits();
        assert_eq!(record.fds[0], Some((7, Direction::Read)));
        assert_eq!(record.fds[1], None, "one fd noted");
        assert_eq!(record.task, TaskId::from_u64(3));
        assert_eq!(take_waits(), WaitRecord::default(), "taking clears it");
    }
}
