//! What each worker is doing right now: the task it polls, and how many polls it has started.
//!
//! Where it sits in the flow: at `[poll]`. While the watchdog runs, the worker writes it around
//! every poll (two plain stores); the watchdog (`observe/monitor.rs`) samples it from its own
//! thread, and `TaskGroup::new` asks it which task is creating the group.
//!
//! ```text
//! spawn → run queue → [poll: begin … end] → Pending → waker parked → event → wake → run queue
//! ```
//!
//! Invariants:
//! - I1: a worker stores the task id before counting the poll, and clears it after; a reader
//!   reads the count, then the id, then the count again, and trusts the pair only if the count
//!   did not move, so it never blames a task for its neighbour's time.
//! - I2: it is written only while the watchdog runs (`Shared::records_activity`); otherwise a
//!   poll pays one branch for it and `current` says `None`. What else would read it does
//!   without: the shutdown report finds stuck polls in the registry, and a `TaskGroup` then
//!   has no owner to show in the dump.
//!
//! Read next: `runtime/scheduler/context.rs`.

use std::sync::atomic::{AtomicU64, Ordering};

use super::{context, Shared};
use crate::runtime::task::TaskId;

/// The `WorkerActivity::running` value while worker 0 polls the `block_on` future.
pub(crate) const MAIN_FUTURE: u64 = u64::MAX;

/// What one worker is doing, as the watchdog sees it (I1).
#[derive(Default)]
pub(crate) struct WorkerActivity {
    /// Polls started on this worker; written only by the worker.
    polls: AtomicU64,
    /// The id of the task being polled ([`MAIN_FUTURE`] for `block_on`'s), 0 between polls.
    running: AtomicU64,
}

// ANCHOR: activity
impl WorkerActivity {
    /// Called by the worker just before it polls task `id` (I1).
    pub(crate) fn begin(&self, id: u64) {
        self.running.store(id, Ordering::Relaxed);
        let polls = self.polls.load(Ordering::Relaxed) + 1;
        self.polls.store(polls, Ordering::Release);
    }

    /// Called by the worker when the poll returned.
    pub(crate) fn end(&self) {
        self.running.store(0, Ordering::Release);
    }

    /// `Some((polls, id))` if a poll is in progress, read consistently (I1).
    pub(crate) fn current(&self) -> Option<(u64, u64)> {
        let polls = self.polls.load(Ordering::Acquire);
        let running = self.running.load(Ordering::Acquire);
        let again = self.polls.load(Ordering::Acquire);
        (running != 0 && polls == again).then_some((polls, running))
    }
}
// ANCHOR_END: activity

/// The task (or `TaskId::MAIN`, the `block_on` future) that this thread is polling right
/// now, if it is one of `scheduler`'s workers in the middle of a poll.
pub(crate) fn current_task(scheduler: &Shared) -> Option<TaskId> {
    let worker = context::worker_index(scheduler)?;
    let (_, running) = scheduler.workers[worker].activity.current()?;
    TaskId::from_u64(running)
}
