//! What the runtime knows *about* a task, for the people watching it: its name, where it was
//! spawned, its kind, how often and (when timed) how long it was polled.
//!
//! Where it sits: in every task's header, written at `[spawn]` and at each `[poll]`; read by
//! the glass box (`observe/`: the trace, the dump, the watchdog) and by a detached task's panic
//! report:
//!
//! ```text
//! [spawn: name, site] → run queue → [poll: count, time] → Pending → … → wake → run queue → poll
//! ```
//!
//! Why the meta holds no record of what a task waits on: the extra words would be in every
//! task, watched or not, and made spawning measurably slower when tried (chapter 12, "What
//! each structure buys"). The glass box learns waits from events instead (`observe/waits.rs`).
//!
//! Invariants:
//! - I1: the counters are written only by the thread polling the task (task I2), so a load
//!   followed by a store is enough; readers (the dump, the watchdog) see a recent value, never a
//!   torn one.
//! - I2: poll times are kept only when the runtime's hooks want them (`Hooks::times_polls`:
//!   `Builder::poll_timing`, or tracing). Reading the clock twice per poll slows a poll-heavy
//!   program measurably (docs/ chapter 14), so it is not paid by default.
//! - I3: polls are counted only while someone watches (`counted`: the runtime has hooks), so
//!   an unwatched poll pays one branch for the glass box and nothing more (hooks I1); the dump
//!   then reports no count rather than a wrong one.
//!
//! Read next: `runtime/scheduler/mod.rs` (the run queues a woken task goes back to).

use std::panic::Location;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use super::id::TaskId;

/// A task's description and counters. Lives in the task's header, so it is kept small (16
/// bytes): the name, the poll count and the poll times live behind one optional box, allocated
/// only for a named task, a task of a group, or a watched one.
pub(crate) struct TaskMeta {
    /// Where `spawn` was called (through `#[track_caller]`).
    spawned_at: &'static Location<'static>,
    /// The rarer parts, if the task has any.
    extra: Option<Box<MetaExtra>>,
}

/// The rarer parts of a [`TaskMeta`].
struct MetaExtra {
    /// The name given with `TaskBuilder::name`, if any.
    name: Option<Box<str>>,
    /// The task owning the `TaskGroup` this task was spawned into, if any (for the dump).
    group_owner: Option<TaskId>,
    /// Whether polls are counted (I3).
    counted: bool,
    /// Whether polls are timed (I2).
    timed: bool,
    /// Polls so far (I1, I3). 32 bits: a task polled 4 billion times reports a wrapped count.
    polls: AtomicU32,
    /// Nanoseconds spent inside polls, when timing is on (I1, I2).
    busy_nanos: AtomicU64,
    /// The longest single poll in nanoseconds, when timing is on (I1, I2).
    longest_nanos: AtomicU64,
}

impl MetaExtra {
    /// The rare parts of a task's description, in their box (out of line: most tasks have none).
    #[cold]
    fn boxed(
        name: Option<Box<str>>,
        group_owner: Option<TaskId>,
        counted: bool,
        timed: bool,
    ) -> Box<MetaExtra> {
        Box::new(MetaExtra {
            name,
            group_owner,
            counted,
            timed,
            polls: AtomicU32::new(0),
            busy_nanos: AtomicU64::new(0),
            longest_nanos: AtomicU64::new(0),
        })
    }
}

/// The counters of a [`TaskMeta`] at one instant (see `observe/dump.rs` for the public form).
#[derive(Clone, Copy, Debug)]
pub(crate) struct PollCounters {
    /// Polls so far, if they are counted (only while someone watches: I3).
    pub(crate) polls: Option<u64>,
    /// Total time inside polls, if timing is on.
    pub(crate) busy: Option<Duration>,
    /// The longest poll, if timing is on.
    pub(crate) longest: Option<Duration>,
}

impl TaskMeta {
    /// The description of a task about to be spawned; `timed` if polls will be timed. Inlined
    /// into `spawn`, with the rare part out of line: it runs once per task, on the spawn path.
    #[inline]
    pub(crate) fn new(
        name: Option<Box<str>>,
        spawned_at: &'static Location<'static>,
        timed: bool,
        counted: bool,
        group_owner: Option<TaskId>,
    ) -> TaskMeta {
        // The rare parts live behind one optional box, so a plain task stays small (task/cell.rs's
        // size test): a name, membership of a group, or a watcher allocate it.
        let extra = if name.is_some() || timed || counted || group_owner.is_some() {
            Some(MetaExtra::boxed(name, group_owner, counted, timed))
        } else {
            None
        };
        TaskMeta { spawned_at, extra }
    }

    /// The description of an unnamed, untimed, untraced async task spawned at `spawned_at`:
    /// what the tests that build tasks by hand need.
    #[cfg(test)]
    pub(crate) fn plain(spawned_at: &'static Location<'static>) -> TaskMeta {
        TaskMeta::new(None, spawned_at, false, false, None)
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

    /// Counts a poll that is starting and returns its number (1 for the first) (I1); 0 if
    /// the task was spawned before anyone counted (there is nowhere to keep it).
    #[inline]
    pub(crate) fn count_poll(&self) -> u32 {
        let Some(extra) = &self.extra else {
            return 0;
        };
        let polls = extra.polls.load(Ordering::Relaxed).wrapping_add(1);
        extra.polls.store(polls, Ordering::Relaxed);
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

    /// Poll count and times; the times are `None` unless the task's polls are timed.
    pub(crate) fn counters(&self) -> PollCounters {
        let extra = self.extra.as_deref();
        let times = extra.filter(|extra| extra.timed);
        PollCounters {
            polls: extra
                .filter(|extra| extra.counted)
                .map(|extra| u64::from(extra.polls.load(Ordering::Relaxed))),
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
    fn poll_times_add_up_and_keep_the_longest() {
        let meta = TaskMeta::new(Some("t".into()), Location::caller(), true, true, None);
        assert_eq!(meta.count_poll(), 1);
        meta.add_poll_time(Duration::from_micros(5));
        assert_eq!(meta.count_poll(), 2);
        meta.add_poll_time(Duration::from_micros(2));
        let counters = meta.counters();
        assert_eq!(counters.polls, Some(2));
        assert_eq!(counters.busy, Some(Duration::from_micros(7)));
        assert_eq!(counters.longest, Some(Duration::from_micros(5)));
        let unwatched = TaskMeta::plain(Location::caller()).counters();
        assert_eq!((unwatched.polls, unwatched.busy), (None, None));
        let plain = TaskMeta::plain(Location::caller());
        assert_eq!(
            std::mem::size_of_val(&plain),
            16,
            "kept small: it is in every task"
        );
        assert_eq!(meta.describe(TaskId::from_u64(3).unwrap()), "task 3 \"t\"");
    }
}
