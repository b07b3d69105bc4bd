//! What the runtime knows *about* a task, for the people watching it: its name, where it was
//! spawned, how often and how long it was polled; and, for the trace, what a poll waited on.
//!
//! Where it sits: beside the flow, written at the stages that the trace (`trace.rs`), the dump
//! (`dump.rs`) and the watchdog (`monitor.rs`) report:
//!
//! ```text
//! [spawn: name, site] → run queue → [poll: count, time] → [Pending: what it waits on] → … → wake → run queue → poll
//! ```
//!
//! What a task waits on is learned without asking the future, in two ways:
//! - the dump asks the places where wakers are parked (the reactor's sources, the timer queue,
//!   the `JoinHandle`s): a waker made from a task's `Arc` points at that task, so its address
//!   names the task (`Waker::data`). That costs nothing until a dump is taken.
//! - the trace wants it at the moment a poll returns `Pending`: while tracing, the reactor,
//!   `Sleep` and `JoinHandle` note what they parked a waker on in a thread-local
//!   [`WaitRecord`], and the probe (`probe.rs`) reads and clears it when the poll ends.
//!   Whatever a poll parked, it parked on behalf of the task being polled on this thread.
//!
//! Why not record the waits in every task as it goes: it was tried, and measured. The extra
//! words pushed a trivial task's allocation past glibc's largest fast-bin request (136 bytes,
//! `Arc` counts included), and spawn-and-join of a million tasks fell to about 0.7x the build
//! before (docs/ chapter 13).
//!
//! Invariants:
//! - I1: the counters are written only by the thread polling the task (task I2), so a load
//!   followed by a store is enough; readers (the dump, the watchdog) see a recent value, never a
//!   torn one.
//! - I2: poll times are measured only when poll timing is on (`Builder::poll_timing`, or while
//!   tracing). Reading the clock costs about 40 ns on this machine's virtual TSC; twice per
//!   poll made the ping-pong benchmark 0.72x as fast, so it is not paid by default.
//! - I3: the thread-local wait record is written only while tracing, and then cleared at the end
//!   of every poll, so nothing one poll noted is blamed on the next.
//!
//! Read next: `trace.rs`.

use std::cell::Cell;
use std::os::fd::RawFd;
use std::panic::Location;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::dump::TaskKind;
use super::join::TaskId;
use super::reactor::Direction;

/// A task's description and counters. Lives in the task's header, so it is kept small (24
/// bytes): the name and the poll times live behind one optional box, allocated only for a named
/// task or when poll timing is on.
pub(crate) struct TaskMeta {
    /// Where `spawn` was called (through `#[track_caller]`).
    spawned_at: &'static Location<'static>,
    /// The name and poll times, if the task has a name or polls are timed.
    extra: Option<Box<MetaExtra>>,
    /// Polls so far (I1). 32 bits: a task polled 4 billion times reports a wrapped count.
    polls: AtomicU32,
    /// Async, local or blocking.
    kind: TaskKind,
    /// Whether the runtime traces. Copied here at spawn (it never changes), so the per-poll
    /// and per-wake checks read a field of the task instead of calling its scheduler: the
    /// scheduler is behind a `dyn Schedule`, and that call cost the ping-pong 7%.
    traced: bool,
    /// Whether polls are timed (`Builder::poll_timing`, or tracing); copied for the same reason.
    timed: bool,
}

/// The rarer parts of a [`TaskMeta`].
struct MetaExtra {
    /// The name given with `TaskBuilder::name`, if any.
    name: Option<Box<str>>,
    /// The task owning the `TaskGroup` this task was spawned into, if any (for the dump).
    group_owner: Option<TaskId>,
    /// Nanoseconds spent inside polls, when timing is on (I1, I2).
    busy_nanos: AtomicU64,
    /// The longest single poll in nanoseconds, when timing is on (I1, I2).
    longest_nanos: AtomicU64,
}

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
    /// The wait record of the poll running on this thread, while tracing (I3): written by the
    /// `note_*` functions, read and cleared by [`take_waits`] at the end of every poll.
    static POLL_WAITS: Cell<WaitRecord> = const {
        Cell::new(WaitRecord { fds: [None; NOTED_FDS], deadline: None, task: None })
    };
}

/// The wait record of the poll that just ended on this thread, leaving it cleared for the next
/// poll. Called at the end of every poll while tracing, `Ready` or not (I3).
#[inline]
pub(crate) fn take_waits() -> WaitRecord {
    POLL_WAITS.with(Cell::take)
}

/// Changes this thread's wait record with `change` (task_meta I3: only while tracing).
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

/// The counters of a [`TaskMeta`] at one instant (see `dump.rs` for the public form).
#[derive(Clone, Copy, Debug)]
pub(crate) struct PollCounters {
    /// Polls so far.
    pub(crate) polls: u64,
    /// Total time inside polls, if timing is on.
    pub(crate) busy: Option<Duration>,
    /// The longest poll, if timing is on.
    pub(crate) longest: Option<Duration>,
}

impl TaskMeta {
    /// The description of a task about to be spawned; `timed` if polls will be timed.
    pub(crate) fn new(
        name: Option<Box<str>>,
        spawned_at: &'static Location<'static>,
        kind: TaskKind,
        timed: bool,
        traced: bool,
        group_owner: Option<TaskId>,
    ) -> TaskMeta {
        // The rare parts live behind one optional box, so a plain task stays small (task.rs's
        // fast-bin test): a name, poll timing, or membership of a group allocate it.
        let extra = (name.is_some() || timed || group_owner.is_some()).then(|| {
            Box::new(MetaExtra {
                name,
                group_owner,
                busy_nanos: AtomicU64::new(0),
                longest_nanos: AtomicU64::new(0),
            })
        });
        TaskMeta {
            spawned_at,
            extra,
            polls: AtomicU32::new(0),
            kind,
            traced,
            timed,
        }
    }

    /// `true` if the runtime traces (then `Schedule::tracer` returns the tracer).
    #[inline]
    pub(crate) fn traced(&self) -> bool {
        self.traced
    }

    /// `true` if this task's polls are timed.
    #[inline]
    pub(crate) fn timed(&self) -> bool {
        self.timed
    }

    /// The description of an unnamed, untimed, untraced async task spawned at `spawned_at`:
    /// what the tests that build tasks by hand need.
    #[cfg(test)]
    pub(crate) fn plain(spawned_at: &'static Location<'static>) -> TaskMeta {
        TaskMeta::new(None, spawned_at, TaskKind::Async, false, false, None)
    }

    /// The task's name, if it has one.
    pub(crate) fn name(&self) -> Option<&str> {
        self.extra.as_ref().and_then(|extra| extra.name.as_deref())
    }

    /// The task owning the `TaskGroup` this task belongs to, if any.
    pub(crate) fn group_owner(&self) -> Option<TaskId> {
        self.extra.as_ref().and_then(|extra| extra.group_owner)
    }

    /// Where the task was spawned.
    pub(crate) fn spawned_at(&self) -> &'static Location<'static> {
        self.spawned_at
    }

    /// Async, local or blocking.
    pub(crate) fn kind(&self) -> TaskKind {
        self.kind
    }

    /// Counts a poll that is starting and returns its number (1 for the first) (I1).
    #[inline]
    pub(crate) fn count_poll(&self) -> u32 {
        let polls = self.polls.load(Ordering::Relaxed).wrapping_add(1);
        self.polls.store(polls, Ordering::Relaxed);
        polls
    }

    /// Adds a measured poll time (I1, I2). Does nothing if the task was spawned before timing
    /// was on (there is nowhere to keep it).
    pub(crate) fn add_poll_time(&self, took: Duration) {
        let Some(extra) = &self.extra else {
            return;
        };
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        let busy = extra
            .busy_nanos
            .load(Ordering::Relaxed)
            .saturating_add(nanos);
        extra.busy_nanos.store(busy, Ordering::Relaxed);
        if nanos > extra.longest_nanos.load(Ordering::Relaxed) {
            extra.longest_nanos.store(nanos, Ordering::Relaxed);
        }
    }

    /// Poll count and times; the times are `None` unless `timed`.
    pub(crate) fn counters(&self, timed: bool) -> PollCounters {
        let times = self.extra.as_ref().filter(|_| timed);
        PollCounters {
            polls: u64::from(self.polls.load(Ordering::Relaxed)),
            busy: times.map(|e| Duration::from_nanos(e.busy_nanos.load(Ordering::Relaxed))),
            longest: times.map(|e| Duration::from_nanos(e.longest_nanos.load(Ordering::Relaxed))),
        }
    }

    /// `task 7 "name"`, or `task 7` for an unnamed task: how every report names a task.
    pub(crate) fn describe(&self, id: TaskId) -> String {
        match self.name() {
            Some(name) => format!("task {id} {name:?}"),
            None => format!("task {id}"),
        }
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

    #[test]
    fn poll_times_add_up_and_keep_the_longest() {
        let meta = TaskMeta::new(
            Some("t".into()),
            Location::caller(),
            TaskKind::Async,
            true,
            false,
            None,
        );
        assert_eq!(meta.count_poll(), 1);
        meta.add_poll_time(Duration::from_micros(5));
        assert_eq!(meta.count_poll(), 2);
        meta.add_poll_time(Duration::from_micros(2));
        let counters = meta.counters(true);
        assert_eq!(counters.polls, 2);
        assert_eq!(counters.busy, Some(Duration::from_micros(7)));
        assert_eq!(counters.longest, Some(Duration::from_micros(5)));
        assert_eq!(meta.counters(false).busy, None);
        let plain = TaskMeta::plain(Location::caller());
        assert_eq!(
            std::mem::size_of_val(&plain),
            24,
            "kept small: it is in every task"
        );
        assert_eq!(meta.describe(TaskId::from_u64(3).unwrap()), "task 3 \"t\"");
    }
}
