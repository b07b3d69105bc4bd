//! The LIFO slot: the one task a worker runs next, ahead of its queue.
//!
//! Where it sits in the flow:
//!
//! ```text
//! spawn → run queue → poll → Pending → waker parked → … → [wake from a task on this worker → LIFO slot] → poll next
//! ```
//!
//! When a task on a worker wakes another (a send on a channel, a reply to a request), the woken
//! task usually needs data that is hot in this CPU's cache, and the waker is about to return
//! `Pending` itself. Running the woken task next, instead of pushing it to the back of the
//! queue and popping it later, saves two queue operations per wake-up and improves latency.
//! Tokio introduced the idea; sprout keeps its two safeguards.
//!
//! Invariants:
//! - I1: the slot belongs to the thread: only code on that worker thread touches it, so a
//!   `Cell` suffices. A thread is a worker of at most one runtime at a time.
//! - I2: a worker runs at most [`MAX_LIFO_RUNS`] slot tasks in a row; then the slot's task goes
//!   to the back of the local queue, so two tasks waking each other cannot starve the queue.
//! - I3: a task that woke *itself* never goes into the slot: it is deferred instead
//!   (`Shared::schedule_yielded`, `defer.rs`).
//! - I4: the slot is emptied when its worker stops (background worker exit, or `block_on`
//!   returning), so no task is stranded in it.
//!
//! Read next: `runtime/scheduler/solo.rs`.

use std::cell::Cell;

use crate::runtime::task::Runnable;

/// Slot tasks a worker runs in a row before it turns to its queue (I2); tokio uses 3 as well.
pub(crate) const MAX_LIFO_RUNS: u32 = 3;

thread_local! {
    /// This worker thread's slot (I1). A `Cell`, not a `RefCell`: the task only moves in and
    /// out and is never borrowed, so there is no borrow flag to check on every wake.
    static SLOT: Cell<Option<Runnable>> = const { Cell::new(None) };
}

/// Puts `task` in the slot and returns the task it displaces, if any.
pub(crate) fn replace(task: Runnable) -> Option<Runnable> {
    SLOT.with(|slot| slot.replace(Some(task)))
}

/// `true` if the slot holds a task.
pub(crate) fn is_occupied() -> bool {
    SLOT.try_with(|slot| {
        let task = slot.take();
        let occupied = task.is_some();
        slot.set(task);
        occupied
    })
    .unwrap_or(false)
}

/// Takes the task in the slot, if any.
pub(crate) fn take() -> Option<Runnable> {
    SLOT.try_with(Cell::take).ok().flatten()
}
