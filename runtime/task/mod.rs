//! A task: one spawned future, its state word, and how it gets back onto a run queue.
//!
//! Where it sits in the flow:
//!
//! ```text
//! [spawn] → run queue → [poll] → Pending → waker parked in reactor → epoll event → [wake] → run queue → [poll]
//! ```
//!
//! `spawn` wraps the future in a [`TaskCell`] behind an `Arc`. The same `Arc` is, at once, the
//! entry in a run queue (as a [`Runnable`]), the [`Waker`] handed to the future (through
//! `std::task::Wake`), and the target of the `JoinHandle`. Waking a task means pushing that `Arc`
//! onto a run queue; running it means polling the future once.
//!
//! # The state word
//!
//! Every task has one `AtomicU8` of flags, in [`Header::state`]:
//!
//! | flag        | set by                              | cleared by                      |
//! |-------------|-------------------------------------|---------------------------------|
//! | `SCHEDULED` | a wake-up (or spawn)                | the worker that starts a poll   |
//! | `RUNNING`   | the worker that starts a poll       | the same worker after the poll  |
//! | `COMPLETE`  | the worker that stores the output   | never                           |
//! | `CANCELLED` | `JoinHandle::cancel`                | never                           |
//! | `DETACHED`  | dropping the `JoinHandle`           | never                           |
//! | `JOIN_WAKER`| the `JoinHandle` storing its waker  | never                           |
//! | `JOINER_LOCKED` | a thread taking the joiner's slot (`joiner.rs`) | the same thread |
//!
// ANCHOR: invariants
//! Invariants (cited as task I1… elsewhere):
//! - I1: a task is in at most one run queue at a time: only the wake-up that sets `SCHEDULED`
//!   while neither `SCHEDULED` nor `RUNNING` was set pushes it.
//! - I2: at most one thread polls a task's future at a time: only the thread that moved the state
//!   from `SCHEDULED` to `RUNNING` polls. The same flag lends the future, which has no lock,
//!   to that thread for the run (cell I2 in `cell.rs`); shutdown takes it the same way.
//! - I3: a wake-up during a poll is never lost: it sets `SCHEDULED` while `RUNNING` is set, and
//!   the poller, on clearing `RUNNING`, sees `SCHEDULED` and re-queues the task.
//! - I4: once `COMPLETE` is set the future has been dropped and is never polled again; the output
//!   (or the `JoinError`) is in the cell before `COMPLETE` becomes visible.
//! - I5: exactly one side drops an unclaimed output: the worker that completes a `DETACHED` task,
//!   or the `JoinHandle` that detaches from a `COMPLETE` one (the `fetch_or`/`fetch_update`
//!   pair below decides which). Either side catches a panic from the output's destructor.
//! - I6: a task enters the runtime's registry when it is spawned, before it can be queued, and
//!   leaves it on completion; so the registry lists every live task (for the dump, the watchdog
//!   and shutdown), whatever queue or waker list holds it.
// ANCHOR_END: invariants
//!
//! Read next: `runtime/task/schedule.rs`.

mod cell;
mod id;
mod join;
mod joiner;
pub(crate) mod local;
// The loom model lives with the tests (`tests/loom/task_model.rs`) but is built as a child of
// this module, since it drives the task's crate-private parts directly.
#[cfg(all(test, loom))]
#[path = "../../tests/loom/task_model.rs"]
mod loom_model;
mod meta;
mod poll;
mod schedule;

pub(crate) use cell::TaskCell;
pub use id::{TaskId, TaskKind, TaskState};
pub(crate) use join::Cause;
pub use join::{join_all, JoinError, JoinHandle};
pub(crate) use local::drop_all_on_this_thread;
pub(crate) use meta::TaskMeta;
pub(crate) use poll::{
    drop_caught, panic_message, poll_guarded, report_detached_panic, PollOutcome, Polled,
};
pub(crate) use schedule::{Joinable, Runnable, Schedulable, Schedule, TaskEvent};

use std::task::{Context, Poll, Waker};

// The state word, and the `UnsafeCell`s that `cell.rs` and `joiner.rs` take from here (the
// stage's and the joiner's slot's), come from loom when the crate is built for model checking
// (`RUSTFLAGS="--cfg loom"`, see `tests/loom/task_model.rs`), so the checker explores every
// interleaving of this very code; from std otherwise.
#[cfg(loom)]
use loom::{
    cell::UnsafeCell,
    sync::atomic::{AtomicU32, AtomicU8, Ordering},
};
#[cfg(not(loom))]
use std::{
    cell::UnsafeCell,
    sync::atomic::{AtomicU32, AtomicU8, Ordering},
};

use joiner::JoinerSlot;

/// Loom's record of one exclusive access to an `UnsafeCell`, kept as long as the access lasts
/// so the checker sees its whole extent; nothing outside loom.
#[cfg(loom)]
type Access<T> = loom::cell::MutPtr<T>;
#[cfg(not(loom))]
type Access<T> = std::marker::PhantomData<*mut T>;

/// Begins an exclusive access to what `cell` holds: its address, and the [`Access`] record to
/// keep beside the reference made from it. The `unsafe` dereference, and the reason it is
/// exclusive, stay with each caller (cell I2, joiner I1).
#[cfg(loom)]
fn start_access<T>(cell: &UnsafeCell<T>) -> (*mut T, Access<T>) {
    let access = cell.get_mut();
    (access.with(|raw| raw), access)
}

/// Begins an exclusive access to what `cell` holds (see the loom version).
#[cfg(not(loom))]
fn start_access<T>(cell: &UnsafeCell<T>) -> (*mut T, Access<T>) {
    (cell.get(), std::marker::PhantomData)
}

// ANCHOR: state_flags
/// The task is in a run queue, or was woken while running and will be re-queued.
const SCHEDULED: u8 = 1 << 0;
/// A worker is polling the future right now.
const RUNNING: u8 = 1 << 1;
/// The future is gone and the output (or error) is stored: see I4.
const COMPLETE: u8 = 1 << 2;
/// `cancel()` was called: the next poll drops the future instead of polling it.
const CANCELLED: u8 = 1 << 3;
/// The `JoinHandle` was dropped: nobody will collect the output.
const DETACHED: u8 = 1 << 4;
/// A joiner's waker is stored in `join_waker`: completion must take and wake it. Without the
/// flag, completing a task nobody awaits yet skips that lock.
const JOIN_WAKER: u8 = 1 << 5;
/// A thread holds the joiner's waker slot: the slot's lock (`joiner.rs`, joiner I1).
const JOINER_LOCKED: u8 = 1 << 6;
// ANCHOR_END: state_flags

/// `Header::registry_key` of a task not (or no longer) in the registry (see I6).
const NOT_REGISTERED: u32 = u32::MAX;

/// The fields every task has, whatever its future: identity, state, and who waits for it.
pub(crate) struct Header {
    /// The flags described in the module doc. Written with compare-and-swap by wakers, workers
    /// and the `JoinHandle`. 8 bits: with `kind`, `observed` and `registry_key` it fills one
    /// 8-byte word of the header (see the size test in `cell.rs`).
    state: AtomicU8,
    /// Async, local or blocking; set at spawn.
    kind: TaskKind,
    /// Whether anyone watches the runtime (it has hooks). Copied here at spawn (it never
    /// changes), so the per-poll and per-wake checks read a field of the task instead of
    /// calling its scheduler (hooks I1).
    observed: bool,
    /// The task's id, unique for the life of the process; shown in errors and panic reports.
    pub(crate) id: TaskId,
    /// Name, spawn site and poll count, for the trace, the dump and the watchdog.
    pub(crate) meta: TaskMeta,
    /// This task's key in the runtime's registry of live tasks, or `NOT_REGISTERED` (I6).
    registry_key: AtomicU32,
    /// The waker of the task awaiting the `JoinHandle`, if any. Written by `JoinHandle::poll`,
    /// taken by the worker that completes the task. Locked by the state word's `JOINER_LOCKED`
    /// (`joiner.rs`), not by `RUNNING`, so a joiner never waits for a poll in progress.
    join_waker: JoinerSlot,
}

/// What a worker should do with a task it popped from a run queue.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum RunAction {
    /// Poll the future.
    Poll,
    /// Drop the future and complete the task as cancelled.
    Cancel,
    /// Nothing: the task completed (cancelled at shutdown) while it sat in the queue.
    Skip,
}

impl Header {
    /// A header for a task that is about to be pushed onto a run queue: its state starts as
    /// `SCHEDULED` so no wake-up pushes it a second time (I1).
    pub(crate) fn new(id: TaskId, kind: TaskKind, observed: bool, meta: TaskMeta) -> Header {
        Header {
            state: AtomicU8::new(SCHEDULED),
            kind,
            observed,
            id,
            meta,
            registry_key: AtomicU32::new(NOT_REGISTERED),
            join_waker: JoinerSlot::new(),
        }
    }

    /// The task's registry key, if it is registered (I6).
    pub(crate) fn registry_key(&self) -> Option<usize> {
        let key = self.registry_key.load(Ordering::Acquire);
        (key != NOT_REGISTERED).then_some(key as usize)
    }

    /// Records the registry key; called once, at spawn (I6). A key is a slot in one shard of
    /// the registry, so it stays below 2³² - 1 unless that shard holds four billion live tasks
    /// (half a terabyte of tasks); past that, spawning panics rather than lose a task.
    pub(crate) fn set_registry_key(&self, key: usize) {
        let key = u32::try_from(key)
            .ok()
            .filter(|&key| key != NOT_REGISTERED)
            .expect("fewer than 2^32 - 1 live tasks in one registry shard");
        self.registry_key.store(key, Ordering::Release);
    }

    // ANCHOR: wake_up
    /// Records a wake-up. Returns `true` if the caller must push the task onto a run queue,
    /// which is when it was neither queued nor running (I1, I3).
    pub(crate) fn wake_up(&self) -> bool {
        self.transition(|state| state | SCHEDULED, COMPLETE | SCHEDULED)
    }

    /// Records a cancellation and schedules the task so a worker drops the future. Returns `true`
    /// if the caller must push the task onto a run queue.
    pub(crate) fn cancel(&self) -> bool {
        self.transition(|state| state | CANCELLED | SCHEDULED, COMPLETE | CANCELLED)
    }

    /// The shared shape of `wake_up` and `cancel`: unless any `stop_if` flag is set, applies
    /// `change` and reports whether the task was idle (neither queued nor running) before.
    fn transition(&self, change: impl Fn(u8) -> u8, stop_if: u8) -> bool {
        let mut state = self.state.load(Ordering::Acquire);
        loop {
            if state & stop_if != 0 {
                return false;
            }
            match self.state.compare_exchange_weak(
                state,
                change(state),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return state & (SCHEDULED | RUNNING) == 0,
                Err(actual) => state = actual,
            }
        }
    }
    // ANCHOR_END: wake_up

    /// Called by the worker that popped the task: moves `SCHEDULED` to `RUNNING` (I2) and says
    /// whether to poll, cancel or skip.
    pub(crate) fn start_run(&self) -> RunAction {
        let mut state = self.state.load(Ordering::Acquire);
        loop {
            // `RUNNING` on a queued task: shutdown claimed it (`claim_for_shutdown`) and will
            // complete it.
            if state & (COMPLETE | RUNNING) != 0 {
                return RunAction::Skip;
            }
            let next = (state & !SCHEDULED) | RUNNING;
            match self
                .state
                .compare_exchange_weak(state, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) if state & CANCELLED != 0 => return RunAction::Cancel,
                Ok(_) => return RunAction::Poll,
                Err(actual) => state = actual,
            }
        }
    }

    /// Called by shutdown before it drops the future of a task nobody polls: sets `RUNNING`, as
    /// a worker starting a run would, unless a run is in progress or the task completed.
    /// Returns `true` if the caller now holds the task's stage (cell I2) and must complete it.
    pub(crate) fn claim_for_shutdown(&self) -> bool {
        self.state
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |state| {
                (state & (RUNNING | COMPLETE) == 0).then_some(state | RUNNING)
            })
            .is_ok()
    }

    /// Called after a poll that returned `Pending`: clears `RUNNING`. Returns `true` if the task
    /// was woken during the poll and must be pushed again (I3).
    pub(crate) fn finish_pending(&self) -> bool {
        let previous = self.state.fetch_and(!RUNNING, Ordering::AcqRel);
        previous & SCHEDULED != 0
    }

    /// Marks the task `COMPLETE` (the output must already be stored, I4), wakes the joiner, and
    /// returns `true` if the task is detached, in which case the caller owns the output (I5).
    pub(crate) fn complete(&self) -> bool {
        // One atomic step: COMPLETE appears together with RUNNING and SCHEDULED disappearing.
        let previous = self
            .state
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |state| {
                Some((state | COMPLETE) & !(RUNNING | SCHEDULED))
            })
            .unwrap_or_else(|state| state);
        if previous & JOIN_WAKER != 0 {
            let joiner = self.joiner().take();
            if let Some(waker) = joiner {
                waker.wake();
            }
        }
        previous & DETACHED != 0
    }

    /// Marks the task `DETACHED` (its handle is gone). Returns `true` if it had already completed,
    /// in which case the caller owns the output (I5).
    pub(crate) fn detach(&self) -> bool {
        self.state.fetch_or(DETACHED, Ordering::AcqRel) & COMPLETE != 0
    }

    /// Where the task is in its life, for the dump (a live task: not yet `COMPLETE`).
    pub(crate) fn state(&self) -> TaskState {
        let state = self.state.load(Ordering::Acquire);
        if state & RUNNING != 0 {
            TaskState::Running
        } else if state & CANCELLED != 0 {
            TaskState::Cancelling
        } else if state & SCHEDULED != 0 {
            TaskState::Scheduled
        } else {
            TaskState::Idle
        }
    }

    /// Records a wake-up (see [`wake_up`](Self::wake_up)) and reports it to `scheduler`
    /// (hooks I1). Returns `true` if the caller must push the task onto a run queue.
    #[inline]
    pub(crate) fn wake_up_observed(&self, scheduler: &impl Schedule) -> bool {
        let must_push = self.wake_up();
        self.observe(scheduler, TaskEvent::Woken { must_push });
        must_push
    }

    /// Reports `event` to `scheduler` if someone watches (one branch on a field of the task:
    /// hooks I1).
    #[inline]
    pub(crate) fn observe(&self, scheduler: &impl Schedule, event: TaskEvent) {
        if self.observed {
            scheduler.observe(self, event);
        }
    }

    // ANCHOR: poll_once
    /// Polls this task's future once, through `poll`: counted and reported to `scheduler` if
    /// someone watches, with a full budget and its panic caught (`poll.rs`). The one way a task
    /// is polled, spawned or local.
    #[inline]
    pub(crate) fn poll_once<T>(
        &self,
        scheduler: &impl Schedule,
        waker: &Waker,
        poll: impl FnOnce(&mut Context<'_>) -> Poll<T>,
    ) -> Polled<T> {
        let mut cx = Context::from_waker(waker);
        // Counted only for a watcher (hooks I1): with nobody watching, a poll pays this branch.
        if self.observed {
            let poll = self.meta.count_poll();
            scheduler.observe(self, TaskEvent::PollStarted { poll });
        }
        let polled = poll_guarded(&mut cx, poll);
        self.observe(scheduler, TaskEvent::PollEnded(PollOutcome::of(&polled)));
        polled
    }
    // ANCHOR_END: poll_once

    /// After a poll that returned `Pending`: ends the run. Returns `true` if the task woke
    /// itself during the poll; the caller then hands it to `Schedule::schedule_yielded`, which
    /// defers it until the reactor has been looked at (`defer.rs`, I3). Not the LIFO slot: a
    /// `yield_now` loop would never let anyone else run. Shared by every kind of task, so the
    /// fairness rule holds for all.
    pub(crate) fn after_pending(&self, scheduler: &impl Schedule) -> bool {
        self.observe(scheduler, TaskEvent::RunEnded);
        self.finish_pending()
    }

    /// Async, local or blocking.
    pub(crate) fn kind(&self) -> TaskKind {
        self.kind
    }

    /// `true` if the runtime has hooks: then the task reports its events (hooks I1).
    #[inline]
    pub(crate) fn observed(&self) -> bool {
        self.observed
    }

    /// `true` once the output (or error) is stored.
    pub(crate) fn is_complete(&self) -> bool {
        self.state.load(Ordering::Acquire) & COMPLETE != 0
    }
}

/// The address a waker points at: for a task's waker, the task itself (`Waker::from(Arc<T>)`
/// keeps the `Arc`'s pointer as its data), which is how the dump matches wakers to tasks.
pub(crate) fn address(waker: &Waker) -> usize {
    waker.data() as usize
}
