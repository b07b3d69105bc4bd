//! The run queue of a runtime with one worker: a plain `VecDeque` on that worker's thread.
//!
//! Where it sits in the flow:
//!
//! ```text
//! spawn → [run queue: here, when the runtime has one worker] → poll → Pending → … → wake → [run queue] → poll
//! ```
//!
//! A worker's local queue is a concurrent `SegQueue` so that other workers can steal from it.
//! A runtime with one worker has nobody to steal, so its queue needs no atomics: a push and a
//! pop through the `SegQueue` cost an atomic read-modify-write each, which this queue does not
//! (docs/ chapter 12 counts the instructions per echo round trip). Every task of a one-worker
//! runtime passes through here on each wake-up the LIFO slot does not take, and tokio's
//! `current_thread` runtime, the peer a one-worker sprout is measured against, keeps a plain
//! `VecDeque` as well.
//!
//! Invariants:
//! - I1: only a runtime with exactly one worker uses this queue, and only on worker 0's thread
//!   (the `block_on` thread): `Shared::push_local` and `pop_local` choose it when
//!   `workers.len() == 1`, and both run on the worker itself (a push from any other thread goes
//!   to the injector). So a `RefCell` suffices, with no atomics (lifo I1 alike).
//! - I2: the queue is emptied into the injector when `block_on` returns or unwinds
//!   (`worker::hand_back_worker_zero`), like the LIFO slot, so no task is stranded on a thread
//!   that no longer runs the runtime.
//! - I3: a queue that runs empty keeps room for at most `KEPT_CAPACITY` tasks. A `VecDeque`
//!   never shrinks by itself, so one burst of spawns would hold 16 bytes (a `Runnable`) per
//!   task of the burst for the rest of the runtime's life. The check costs one comparison,
//!   only when the queue is found empty.
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

/// Slots the queue keeps when it runs empty (I3): 1,024 tasks' worth, 16 KiB.
const KEPT_CAPACITY: usize = 1024;

/// Takes the task at the front, if any. A queue found empty gives back what a burst grew it
/// to (I3).
pub(crate) fn pop() -> Option<Runnable> {
    QUEUE
        .try_with(|queue| pop_front_trimmed(&mut queue.borrow_mut()))
        .ok()
        .flatten()
}

/// `queue.pop_front()`, shrinking the queue to `KEPT_CAPACITY` when it is found empty (I3).
fn pop_front_trimmed<T>(queue: &mut VecDeque<T>) -> Option<T> {
    let front = queue.pop_front();
    if front.is_none() && queue.capacity() > KEPT_CAPACITY {
        queue.shrink_to(KEPT_CAPACITY);
    }
    front
}

/// `true` if no task waits here.
pub(crate) fn is_empty() -> bool {
    QUEUE
        .try_with(|queue| queue.borrow().is_empty())
        .unwrap_or(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_queue_found_empty_gives_back_what_a_burst_grew_it_to() {
        let mut queue: VecDeque<u64> = (0..100_000).collect();
        let mut popped = 0;
        while pop_front_trimmed(&mut queue).is_some() {
            popped += 1;
        }
        assert_eq!(popped, 100_000, "every task comes out, in order");
        assert!(
            queue.capacity() <= KEPT_CAPACITY,
            "an empty queue still holds {} slots",
            queue.capacity()
        );
    }

    #[test]
    fn a_small_queue_keeps_its_room() {
        let mut queue: VecDeque<u64> = VecDeque::with_capacity(64);
        queue.push_back(1);
        assert_eq!(pop_front_trimmed(&mut queue), Some(1));
        assert_eq!(pop_front_trimmed(&mut queue), None);
        assert!(
            queue.capacity() >= 64,
            "a queue within KEPT_CAPACITY is not reallocated"
        );
    }
}
