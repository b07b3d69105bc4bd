//! Deferred tasks: tasks that woke themselves wait until the reactor has been looked at.
//!
//! Where it sits in the flow:
//!
//! ```text
//! poll → [woke itself: yield_now / budget spent] → deferred → reactor polled → run queue → poll
//! ```
//!
//! A task that yields (or spends its cooperative budget) is saying "let the others run". If it
//! simply went to the back of the run queue, and it were the only runnable task, the worker
//! would run it again at once: the tasks parked in the reactor — whose sockets may well be ready
//! — would wait until the next maintenance turn, 61 task runs later; one bulk stream beside
//! small clients (the lecture's Shakespeare) would hold up their replies (chapter 12, "What each
//! structure buys"). So a self-woken task is *deferred*: it rejoins the run
//! queue only after the worker has polled the reactor, so whatever became ready meanwhile goes
//! first. Tokio does the same.
//!
//! Invariants:
//! - I1: the list belongs to its worker thread (like the LIFO slot), so a `RefCell` suffices.
//! - I2: deferred tasks are flushed (after a non-blocking reactor poll) whenever the worker's
//!   queues run dry and at every maintenance turn, so a deferred task waits at most one
//!   maintenance interval.
//! - I3: the list is emptied when its worker stops, like the LIFO slot.
//!
//! Read next: `runtime/scheduler/park.rs`.

use std::cell::RefCell;

use crate::runtime::task::Runnable;

thread_local! {
    /// This worker thread's deferred tasks, in the order they yielded (I1).
    static DEFERRED: RefCell<Vec<Runnable>> = const { RefCell::new(Vec::new()) };
}

/// Defers `task` until the worker next polls the reactor.
pub(crate) fn push(task: Runnable) {
    DEFERRED.with(|deferred| deferred.borrow_mut().push(task));
}

/// `true` if tasks are waiting.
pub(crate) fn is_empty() -> bool {
    DEFERRED.with(|deferred| deferred.borrow().is_empty())
}

/// Takes every deferred task, oldest first.
pub(crate) fn take_all() -> Vec<Runnable> {
    DEFERRED
        .try_with(|deferred| std::mem::take(&mut *deferred.borrow_mut()))
        .unwrap_or_default()
}
