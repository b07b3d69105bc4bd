//! The timer queue: pending deadlines in order, and the wakers to call when they pass.
//!
//! Where it sits in the flow (a timer is a source of wake-ups, like a socket):
//!
//! ```text
//! sleep → poll → Pending → [waker parked in timer queue] → reactor wait ends at the earliest deadline → [fire] → wake → run queue → poll
//! ```
//!
//! The reactor owns one `TimerQueue`. It asks [`TimerQueue::next_deadline`] how long it may
//! block in `epoll_wait`, and after each wait calls [`TimerQueue::fire_expired`].
//!
//! Invariants:
//! - I1: a timer fires only once `now >= deadline` (checked against `Instant::now()` after the
//!   wait), and a `Sleep` re-checks the clock itself, so no timer completes early.
//! - I2: an entry is removed when it fires or when its `Sleep` is dropped, so the queue holds
//!   only timers someone still waits on: memory is linear in *pending* timers, and a million
//!   cancelled `timeout`s leave nothing behind.
//!
//! Production note: tokio uses a hierarchical timing wheel (O(1) insert and cancel, millisecond
//! resolution). A `BTreeMap` ordered by `(deadline, id)` is O(log n) for both and exact to the
//! nanosecond; with a million timers that is about 20 comparisons per operation, and the code
//! fits on one screen.
//!
//! Read next: `runtime/reactor/observed.rs`.

use std::collections::BTreeMap;
use std::task::Waker;
use std::time::Instant;

/// Names one entry in the queue: its deadline plus a tie-breaking id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct TimerKey {
    /// When the timer is due.
    deadline: Instant,
    /// Makes keys unique when deadlines are equal; also keeps equal deadlines in insertion order.
    id: u64,
}

/// Pending timers ordered by deadline.
pub(crate) struct TimerQueue {
    /// The wakers to call, by when.
    entries: BTreeMap<TimerKey, Waker>,
    /// The id for the next insert.
    next_id: u64,
}

impl TimerQueue {
    /// An empty queue.
    pub(crate) fn new() -> TimerQueue {
        TimerQueue {
            entries: BTreeMap::new(),
            next_id: 0,
        }
    }

    /// Adds a timer due at `deadline` that wakes `waker`.
    pub(crate) fn insert(&mut self, deadline: Instant, waker: Waker) -> TimerKey {
        let key = TimerKey {
            deadline,
            id: self.next_id,
        };
        self.next_id += 1;
        self.entries.insert(key, waker);
        key
    }

    /// Replaces the waker of a pending timer. Returns `false` if the timer is no longer pending
    /// (it fired), in which case nothing is stored.
    pub(crate) fn update(&mut self, key: TimerKey, waker: &Waker) -> bool {
        match self.entries.get_mut(&key) {
            Some(stored) => {
                stored.clone_from(waker);
                true
            }
            None => false,
        }
    }

    /// Forgets a timer (I2). Returns `true` if it was still pending.
    pub(crate) fn remove(&mut self, key: TimerKey) -> bool {
        self.entries.remove(&key).is_some()
    }

    /// The earliest pending deadline.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.entries.first_key_value().map(|(key, _)| key.deadline)
    }

    /// Removes every timer due at or before `now` and appends its waker to `woken` (I1).
    // ANCHOR: fire_expired
    pub(crate) fn fire_expired(&mut self, now: Instant, woken: &mut Vec<Waker>) {
        while let Some(entry) = self.entries.first_entry() {
            if entry.key().deadline > now {
                break;
            }
            woken.push(entry.remove());
        }
    }
    // ANCHOR_END: fire_expired

    /// Every pending timer's deadline and waker, soonest first (for the runtime dump).
    pub(crate) fn iter(&self) -> impl Iterator<Item = (Instant, &Waker)> {
        self.entries
            .iter()
            .map(|(key, waker)| (key.deadline, waker))
    }

    /// How many timers are pending.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
impl TimerKey {
    /// When this timer is due.
    pub(crate) fn deadline(&self) -> Instant {
        self.deadline
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn fires_in_deadline_order_and_never_early() {
        let mut queue = TimerQueue::new();
        let start = Instant::now();
        let late = queue.insert(start + Duration::from_secs(2), Waker::noop().clone());
        let early = queue.insert(start + Duration::from_secs(1), Waker::noop().clone());
        assert_eq!(queue.next_deadline(), Some(early.deadline()));

        let mut woken = Vec::new();
        queue.fire_expired(start, &mut woken);
        assert!(woken.is_empty(), "nothing is due at the start");
        queue.fire_expired(start + Duration::from_millis(1500), &mut woken);
        assert_eq!(woken.len(), 1, "only the 1 s timer is due at 1.5 s");
        assert!(!queue.remove(early), "a fired timer is no longer pending");
        assert!(queue.remove(late), "a pending timer can be cancelled");
        assert_eq!(queue.len(), 0);
    }

    #[test]
    fn equal_deadlines_are_distinct_entries() {
        let mut queue = TimerQueue::new();
        let deadline = Instant::now();
        let a = queue.insert(deadline, Waker::noop().clone());
        let b = queue.insert(deadline, Waker::noop().clone());
        assert_ne!(a, b);
        assert!(queue.update(a, Waker::noop()));
        assert_eq!(queue.len(), 2);
    }
}
