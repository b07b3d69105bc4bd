//! A FIFO list of parked wakers: where every wait parks, whether the kernel ends it (a
//! reactor source's readers and writers, `reactor/source.rs`) or a task does (every primitive in
//! `sync`).
//!
//! Where it sits in the flow:
//!
//! ```text
//! recv → poll → Pending → [waker parked in a WaitList] → send → [notify: take waker] → wake → run queue → poll
//! ```
//!
//! A waiter holds a [`Ticket`] and gives it back when it goes away ([`WaitList::cancel`]), so a
//! wait that is abandoned — a future dropped by a `timeout` or a `select` — leaves nothing
//! behind, however many are abandoned.
//!
//! A `WaitList` has no lock of its own: each primitive keeps it inside the same `Mutex` as the
//! state it waits on (the channel's queue, the semaphore's permits), so "check the state, else
//! park" is one atomic step and no wake-up falls between the two.
//!
//! Invariants:
//! - I1: tickets are handed out in increasing order and the deque stays sorted by ticket, so the
//!   front is the longest waiter (FIFO) and a ticket is found by binary search.
//! - I2: a waiter whose ticket is no longer in the list has been notified (removed by `notify_*`).
//!   A waiter dropped after being notified, without using what it was woken for, must pass the
//!   notification on (`Waiter::cancel` reports this so the primitive can do it).
//!
//! Read next: `runtime/sync/event.rs`.

use std::collections::VecDeque;
use std::num::NonZeroU64;
use std::task::Waker;

/// Parked wakers in arrival order.
#[derive(Default, Debug)]
pub(crate) struct WaitList {
    /// `(ticket, waker)`, sorted by ticket (I1).
    waiters: VecDeque<(NonZeroU64, Waker)>,
    /// How many tickets were handed out: the next one is this plus one.
    handed_out: u64,
}

/// A waiting future's place in a [`WaitList`]; `None` while not parked. Non-zero, so the
/// `Option` costs no byte: a ticket is 8 bytes inside every waiting future.
pub(crate) type Ticket = Option<NonZeroU64>;

impl WaitList {
    /// Parks `waker` under `ticket`: adds it at the back if the ticket is empty or was
    /// notified, else refreshes the stored waker in place (keeping the place in line).
    pub(crate) fn park(&mut self, ticket: &mut Ticket, waker: &Waker) {
        if let Some(number) = *ticket {
            if let Ok(index) = self.find(number) {
                let stored = &mut self.waiters[index].1;
                if !stored.will_wake(waker) {
                    stored.clone_from(waker);
                }
                return;
            }
        }
        self.handed_out += 1;
        let number = NonZeroU64::MIN.saturating_add(self.handed_out - 1);
        self.waiters.push_back((number, waker.clone()));
        *ticket = Some(number);
    }

    /// Removes the longest waiter and returns its waker, to be woken after the lock is released.
    pub(crate) fn notify_one(&mut self) -> Option<Waker> {
        self.waiters.pop_front().map(|(_, waker)| waker)
    }

    /// Removes every waiter and returns their wakers.
    pub(crate) fn notify_all(&mut self) -> Vec<Waker> {
        self.waiters.drain(..).map(|(_, waker)| waker).collect()
    }

    /// Unparks a waiter that is going away. Returns `true` if it had been notified but not yet
    /// consumed its wake-up (I2): the caller should then notify someone else.
    pub(crate) fn cancel(&mut self, ticket: &mut Ticket) -> bool {
        let Some(number) = ticket.take() else {
            return false;
        };
        match self.find(number) {
            Ok(index) => {
                self.waiters.remove(index);
                false
            }
            Err(_) => true,
        }
    }

    /// `true` if `ticket` was parked and has since been notified (I2).
    pub(crate) fn is_notified(&self, ticket: &Ticket) -> bool {
        ticket.is_some_and(|number| self.find(number).is_err())
    }

    /// `true` if nobody is parked.
    /// Parks `waker` for a caller that holds no ticket (the reactor's poll API, whose caller
    /// has no future to drop): kept once per task, found by `will_wake`, and taken only by the
    /// next notification.
    pub(crate) fn park_untracked(&mut self, waker: &Waker) {
        if !self
            .waiters
            .iter()
            .any(|(_, parked)| parked.will_wake(waker))
        {
            self.park(&mut None, waker);
        }
    }

    /// Moves every waker to the end of `woken`, first parked first; returns how many. A lone
    /// waker (most events find one or none) is pushed alone, without a `memcpy`.
    pub(crate) fn notify_all_into(&mut self, woken: &mut Vec<Waker>) -> usize {
        let count = self.waiters.len();
        match count {
            0 => {}
            1 => woken.extend(self.waiters.pop_front().map(|(_, waker)| waker)),
            _ => woken.extend(self.waiters.drain(..).map(|(_, waker)| waker)),
        }
        count
    }

    /// A copy of every parked waker, first parked first (for the dump).
    pub(crate) fn wakers(&self) -> Vec<Waker> {
        self.waiters
            .iter()
            .map(|(_, waker)| waker.clone())
            .collect()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.waiters.is_empty()
    }

    /// How many are parked.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.waiters.len()
    }

    /// The index of `number` in the deque (I1).
    fn find(&self, number: NonZeroU64) -> Result<usize, usize> {
        self.waiters
            .binary_search_by_key(&number, |(ticket, _)| *ticket)
    }
}

/// Wakes every waker in `wakers`; call after releasing the lock that guarded the list.
pub(crate) fn wake_all(wakers: impl IntoIterator<Item = Waker>) {
    wakers.into_iter().for_each(Waker::wake);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_in_first_notified_and_cancel_reports_consumed_wakeups() {
        let mut list = WaitList::default();
        let (mut a, mut b, mut c) = (None, None, None);
        list.park(&mut a, Waker::noop());
        list.park(&mut b, Waker::noop());
        list.park(&mut c, Waker::noop());
        list.park(&mut a, Waker::noop()); // Re-parking keeps a's place.
        assert_eq!(list.len(), 3);
        assert!(list.notify_one().is_some()); // a
        assert!(
            list.cancel(&mut a),
            "a was notified: its wake-up must be passed on"
        );
        assert!(
            !list.cancel(&mut c),
            "c was still parked: nothing to pass on"
        );
        assert_eq!(list.len(), 1);
        assert_eq!(list.notify_all().len(), 1); // b
        assert!(list.is_empty());
        assert!(!list.cancel(&mut a), "a ticket is cancelled once");
    }
}
