//! A registered fd: its readiness word and the wakers parked on it, per direction.
//!
//! Where it sits in the flow:
//!
//! ```text
//! spawn → run queue → poll → Pending → [waker parked on a source] → [epoll event: readiness set, wakers taken] → wake → run queue → poll
//! ```
//!
//! The readiness word holds two flags (readable, writable), a sticky third (the peer closed its
//! writing side, where the wait can tell), a fourth that says the last readable event could not
//! tell, and, above them, a **tick** that counts events.
//! Clearing readiness names the tick it saw: if an event arrived after the failed read, the tick
//! has moved on and the clear is ignored, so that event is not lost (reactor I2).
//! A waker parked here is either woken by the next event in its direction, or its parker sees
//! the flag already set (reactor I3).
//!
//! Read next: `runtime/direction.rs`.

use std::os::fd::RawFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::task::{Context, Poll, Waker};

use super::wait::Readiness;
use crate::runtime::direction::Direction;
use crate::runtime::hooks::{self, Event, MaybeHooks};
use crate::runtime::lock::lock;
use crate::runtime::wait_list::{Ticket, WaitList};

/// Readiness flag: the fd was readable at the last event.
const READABLE: usize = 1 << 0;
/// Readiness flag: the fd was writable at the last event.
const WRITABLE: usize = 1 << 1;
/// Sticky flag: the peer closed its writing side (or the fd hung up). Never cleared: reads
/// return what is left and then end of stream, with no further event to say so. Set by mistake
/// (a stale event for a reused key) it costs only a `recv` per short read (async_io I4).
const READ_CLOSED: usize = 1 << 2;
/// Flag: a readable event came from a wait that cannot see the peer's FIN
/// (`Readiness::closed_unknown`), so the data may end in an end of stream nobody announced.
/// Cleared with the readability, by a read that saw `WouldBlock` (then no FIN was pending, and
/// a later one is a new event). While set, a short read is not "drained" (async_io I4).
const CLOSED_UNKNOWN: usize = 1 << 3;
/// One step of the tick counter that sits above the four flags.
const TICK: usize = 1 << 4;

/// This direction's flag in the readiness word.
fn flag(direction: Direction) -> usize {
    match direction {
        Direction::Read => READABLE,
        Direction::Write => WRITABLE,
    }
}

/// The flags that forgetting this direction's readiness clears.
fn cleared_with(direction: Direction) -> usize {
    match direction {
        Direction::Read => READABLE | CLOSED_UNKNOWN,
        Direction::Write => WRITABLE,
    }
}

/// `flag` if `on`, else nothing.
fn set_if(on: bool, flag: usize) -> usize {
    if on {
        flag
    } else {
        0
    }
}

/// This direction's index in [`Source::wakers`].
fn index(direction: Direction) -> usize {
    match direction {
        Direction::Read => 0,
        Direction::Write => 1,
    }
}

/// One registered file descriptor.
pub(crate) struct Source {
    /// The key the poller reports in events for this fd (its slot in `Reactor::sources`).
    pub(super) key: usize,
    /// The fd itself, for the trace and the dump.
    fd: RawFd,
    /// The runtime's hooks: a poll that parks here reports it (hooks I1).
    hooks: MaybeHooks,
    /// Flags and tick (see the module doc). Written by `dispatch` and `clear_readiness`.
    readiness: AtomicUsize,
    /// Wakers parked per direction (`[read, write]`). A list because two tasks may wait on one
    /// direction (two `readable()` calls); a waiting future holds a ticket to its entry and
    /// takes it out when dropped (reactor I6).
    wakers: Mutex<[WaitList; 2]>,
}

impl Source {
    // ANCHOR: poll_ready
    /// `Ready(tick)` if the source is ready in `direction` (as of event `tick`), else parks the
    /// task's waker and returns `Pending` (I3). A waiting future passes its `ticket` (reactor
    /// I6); the poll API passes `None` and parks untracked.
    #[inline]
    pub(crate) fn poll_ready(
        &self,
        direction: Direction,
        cx: &mut Context<'_>,
        ticket: Option<&mut Ticket>,
    ) -> Poll<usize> {
        let word = self.readiness.load(Ordering::Acquire);
        if word & flag(direction) != 0 {
            // Parked before and ready now: only an event sets the flag, and it takes every waker
            // of the direction under the lock, so our entry is gone (or about to be).
            if let Some(ticket) = ticket {
                *ticket = None;
            }
            return Poll::Ready(word / TICK);
        }
        // Out of line: most calls end above, and the lock's set-up is not free.
        self.park(direction, cx, ticket)
    }

    /// Not ready: parks the task's waker, then checks again under the lock (I3).
    #[inline(never)]
    fn park(
        &self,
        direction: Direction,
        cx: &mut Context<'_>,
        ticket: Option<&mut Ticket>,
    ) -> Poll<usize> {
        let mut wakers = lock(&self.wakers);
        let parked = &mut wakers[index(direction)];
        // Re-check under the lock: an event between the first load and the lock set the flag
        // before taking the lock, so we see it here (I3).
        let word = self.readiness.load(Ordering::Acquire);
        if word & flag(direction) != 0 {
            if let Some(ticket) = ticket {
                parked.cancel(ticket); // Ready: leave no entry behind (reactor I6).
            }
            return Poll::Ready(word / TICK);
        }
        match ticket {
            Some(ticket) => parked.park(ticket, cx.waker()),
            None => parked.park_untracked(cx.waker()),
        }
        hooks::report(&self.hooks, || Event::ParkedOnFd(self.fd, direction));
        Poll::Pending
    }

    /// Takes the waker of an abandoned wait out of the `direction` list (reactor I6); nothing
    /// if an event took it already.
    pub(crate) fn forget(&self, direction: Direction, ticket: &mut Ticket) {
        if ticket.is_some() {
            lock(&self.wakers)[index(direction)].cancel(ticket);
        }
    }
    // ANCHOR_END: poll_ready

    /// Forgets readiness in `direction`, unless an event arrived since `tick` (I2). Called after
    /// an operation failed with `WouldBlock`.
    pub(crate) fn clear_readiness(&self, direction: Direction, tick: usize) {
        let _ = self
            .readiness
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |word| {
                (word / TICK == tick).then_some(word & !cleared_with(direction))
            });
    }

    /// The registered fd.
    pub(crate) fn fd(&self) -> RawFd {
        self.fd
    }

    /// `true` if an end of stream may be waiting unannounced: an event said the peer closed its
    /// writing side (never on platforms whose wait cannot tell: `wait::REPORTS_READ_CLOSED`), or
    /// the last readable event came from a wait that could not tell. A short read must then not
    /// be taken as "drained" (async_io I4).
    pub(crate) fn end_of_stream_possible(&self) -> bool {
        self.readiness.load(Ordering::Acquire) & (READ_CLOSED | CLOSED_UNKNOWN) != 0
    }

    /// The current tick (how many events this source has seen).
    pub(crate) fn tick(&self) -> usize {
        self.readiness.load(Ordering::Acquire) / TICK
    }

    /// Records an event and moves the wakers it satisfies into `woken`, readers first. Returns
    /// how many readers it moved.
    // ANCHOR: on_event
    pub(super) fn on_event(&self, event: &Readiness, woken: &mut Vec<Waker>) -> usize {
        let flags = set_if(event.readable, READABLE)
            | set_if(event.writable, WRITABLE)
            | set_if(event.read_closed, READ_CLOSED)
            | set_if(event.readable && event.closed_unknown, CLOSED_UNKNOWN);
        self.readiness
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |word| {
                Some(word.wrapping_add(TICK) | flags)
            })
            .ok();
        let mut wakers = lock(&self.wakers);
        let [readers, writers] = &mut *wakers;
        let readers = match event.readable {
            true => readers.notify_all_into(woken),
            false => 0,
        };
        if event.writable {
            writers.notify_all_into(woken);
        }
        readers
    }
    // ANCHOR_END: on_event
}

impl Source {
    /// A source for `fd` under poller key `key`, ready in both directions (the first operation
    /// is simply tried).
    pub(super) fn new(key: usize, fd: RawFd, hooks: MaybeHooks) -> Source {
        Source {
            key,
            fd,
            hooks,
            readiness: AtomicUsize::new(READABLE | WRITABLE),
            wakers: Mutex::new([WaitList::default(), WaitList::default()]),
        }
    }

    /// `(readable, writable)` as of the last event.
    pub(crate) fn readiness(&self) -> (bool, bool) {
        let word = self.readiness.load(Ordering::Acquire);
        (word & READABLE != 0, word & WRITABLE != 0)
    }

    /// The wakers parked in `direction` (a copy), for the dump.
    pub(crate) fn parked(&self, direction: Direction) -> Vec<Waker> {
        lock(&self.wakers)[index(direction)].wakers()
    }

    /// Takes every parked waker, both directions (deregistration, shutdown).
    pub(super) fn take_all_wakers(&self) -> Vec<Waker> {
        let mut woken = Vec::new();
        for list in lock(&self.wakers).iter_mut() {
            list.notify_all_into(&mut woken);
        }
        woken
    }
}

/// A waiting future's ticket on one direction of its source (reactor I6). It lives in the
/// future; when the future is dropped before an event took its waker — cancelled by a
/// `timeout`, or the loser of a `select` — the drop takes the waker out of the source.
pub(crate) struct Wait<'a> {
    /// The source waited on.
    source: &'a Source,
    /// Which of its lists.
    direction: Direction,
    /// The entry in that list, while parked.
    ticket: Ticket,
}

impl<'a> Wait<'a> {
    /// A wait on `source`'s `direction` list, not parked yet.
    pub(crate) fn new(source: &'a Source, direction: Direction) -> Wait<'a> {
        Wait {
            source,
            direction,
            ticket: None,
        }
    }

    /// The ticket to pass to each poll of the wait.
    pub(crate) fn ticket(&mut self) -> Option<&mut Ticket> {
        Some(&mut self.ticket)
    }
}

impl Drop for Wait<'_> {
    fn drop(&mut self) {
        self.source.forget(self.direction, &mut self.ticket);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The peer's FIN, once reported, stays: clearing readability after a read, or a later
    /// event without the flag, never forgets it (async_io I4 relies on it).
    #[test]
    fn read_closed_is_sticky() {
        let source = Source::new(0, -1, None);
        let mut woken = Vec::new();
        let fin = Readiness {
            key: 0,
            readable: true,
            writable: false,
            read_closed: true,
            closed_unknown: false,
        };
        assert!(!source.end_of_stream_possible());
        source.on_event(&fin, &mut woken);
        source.clear_readiness(Direction::Read, source.tick());
        assert!(
            source.end_of_stream_possible(),
            "cleared with the readability"
        );
        let later = Readiness {
            read_closed: false,
            ..fin
        };
        source.on_event(&later, &mut woken);
        assert!(
            source.end_of_stream_possible(),
            "forgotten at the next event"
        );
    }

    /// An event that cannot tell whether the peer closed keeps a short read from counting as
    /// "drained" until a read sees `WouldBlock` at that event's tick (then no FIN was pending);
    /// a clear for an older tick leaves it (reactor I2), and it never outlives its readability.
    #[test]
    fn an_event_that_cannot_tell_holds_off_the_short_read_rule() {
        let source = Source::new(0, -1, None);
        let mut woken = Vec::new();
        let unknown = Readiness {
            key: 0,
            readable: true,
            writable: false,
            read_closed: false,
            closed_unknown: true,
        };
        let seen = source.tick();
        source.on_event(&unknown, &mut woken);
        assert!(source.end_of_stream_possible());
        source.clear_readiness(Direction::Read, seen);
        assert!(source.end_of_stream_possible(), "a stale clear forgot it");
        source.clear_readiness(Direction::Write, source.tick());
        assert!(source.end_of_stream_possible(), "the write side cleared it");
        source.clear_readiness(Direction::Read, source.tick());
        assert!(
            !source.end_of_stream_possible(),
            "a WouldBlock read clears it"
        );
        assert_eq!(source.readiness(), (false, false));
    }
}
