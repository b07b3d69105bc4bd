//! The run queue of a runtime with one worker: a plain `VecDeque` on that worker's thread.
//!
//! Where it sits in the flow:
//!
//! ```text
//! spawn → [run queue: here, when the runtime has one worker] → poll → Pending → … → wake → [run queue] → poll
//! ```
//!
//! A worker's local queue is a concurrent `SegQueue` so that other workers can steal from it.
//! A runtime with one worker has nobody to steal, so its queue needs no atomics. Measured with
//! callgrind on the echo benchmark (one worker, 50 connections): a task's push and pop through
//! the `SegQueue` took about 95 user-space instructions, each with an atomic read-modify-write;
//! through this queue they take about 40 (the thread-local lookup included), and the whole
//! round trip went from 1,574 instructions to 1,525. Every task of a one-worker runtime passes
//! through here on each wake-up the LIFO slot does not take, and tokio's `current_thread`
//! runtime, the peer a one-worker sprout is measured against, keeps a plain `VecDeque` as well
//! (docs/ chapter 12 has the figures).
//!
//! Invariants:
//! - I1: only a runtime with exactly one worker uses this queue, and only on worker 0's thread
//!   (the `block_on` thread): `Scheduler::push_local` and `pop_local` choose it when
//!   `workers.len() == 1`, and both run on the worker itself (a push from any other thread goes
//!   to the injector). So a `RefCell` suffices, as for the LIFO slot (lifo I1).
//! - I2: the queue is emptied into the injector when `block_on` returns or unwinds
//!   (`worker::hand_back_worker_zero`), like the LIFO slot, so no task is stranded on a thread
//!   that no longer runs the runtime.
//!
//! Read next: `runtime/scheduler/defer.rs`.

use std::cell::RefCell;
use std::collections::VecDeque;

use crate::runtime::task::Runnable;

thread_local! {
    /// This thread's queue, when it is the only worker of a runtime (I1).
    static QUEUE: RefCell<VecDeque<Runnable>> = const { RefCell::new(VecDeque::new()) };
}

/// Queues `task` at the back.
pub(crate) fn push(task: Runnable) {
    QUEUE.with(|queue| queue.borrow_mut().push_back(task));
}

/// Takes the task at the front, if any.
pub(crate) fn pop() -> Option<Runnable> {
    QUEUE
        .try_with(|queue| queue.borrow_mut().pop_front())
        .ok()
        .flatten()
}

/// `true` if no task waits here.
pub(crate) fn is_empty() -> bool {
    QUEUE
        .try_with(|queue| queue.borrow().is_empty())
        .unwrap_or(true)
}
