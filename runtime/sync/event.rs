//! [`Event`]: a flag that tasks can wait for (gevent's `gevent.event.Event`).
//!
//! Where it sits in the flow:
//!
//! ```text
//! wait → poll → Pending → [waker parked in the event's WaitList] → set() → [wake all] → run queue → poll → Ready
//! ```
//!
//! Invariants:
//! - I1: `is_set` and the wait list change together under one lock, so a `wait` that parks
//!   after checking `is_set == false` is always woken by the next `set`.
//! - I2: a `wait` that was parked when `set` ran returns, even if `clear` ran before it was
//!   polled again: `set` empties the wait list, and a waiter whose ticket is gone was set.
//!
//! Read next: `runtime/sync/channel/mod.rs`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};

use crate::runtime::coop;
use crate::runtime::lock::lock;
use crate::runtime::wait_list::{wake_all, Ticket, WaitList};

/// A boolean flag with a wait: `set` wakes every waiter; `clear` resets it.
///
/// ```
/// use std::sync::Arc;
/// use sprout::sync::Event;
///
/// sprout::run(async {
///     let ready = Arc::new(Event::new());
///     let waiter = sprout::spawn({
///         let ready = ready.clone();
///         async move { ready.wait().await; "woken" }
///     });
///     ready.set();
///     assert_eq!(waiter.await.unwrap(), "woken");
///     assert!(ready.is_set());
/// });
/// ```
#[derive(Default)]
pub struct Event {
    /// The flag and its waiters (I1).
    state: Mutex<EventState>,
}

/// What the event's lock guards.
#[derive(Default)]
struct EventState {
    /// The flag.
    set: bool,
    /// Tasks waiting for the flag.
    waiters: WaitList,
}

impl Event {
    /// A cleared event.
    ///
    /// ```
    /// let event = sprout::sync::Event::new();
    /// assert!(!event.is_set());
    /// ```
    pub fn new() -> Event {
        Event::default()
    }

    /// Sets the flag and wakes every waiting task. Later `wait`s complete at once.
    ///
    /// ```
    /// let event = sprout::sync::Event::new();
    /// event.set();
    /// assert!(event.is_set());
    /// ```
    pub fn set(&self) {
        let mut state = lock(&self.state);
        state.set = true;
        let wakers = state.waiters.notify_all();
        drop(state);
        wake_all(wakers);
    }

    /// Clears the flag; later `wait`s wait for the next `set`.
    ///
    /// ```
    /// let event = sprout::sync::Event::new();
    /// event.set();
    /// event.clear();
    /// assert!(!event.is_set());
    /// ```
    pub fn clear(&self) {
        lock(&self.state).set = false;
    }

    /// `true` if the flag is set.
    ///
    /// ```
    /// let event = sprout::sync::Event::new();
    /// assert!(!event.is_set());
    /// ```
    pub fn is_set(&self) -> bool {
        lock(&self.state).set
    }

    /// Waits until the flag is set (at once, if it is).
    ///
    /// ```
    /// sprout::run(async {
    ///     let event = sprout::sync::Event::new();
    ///     event.set();
    ///     event.wait().await; // already set: completes at once
    /// });
    /// ```
    pub fn wait(&self) -> EventWait<'_> {
        EventWait {
            event: self,
            ticket: None,
        }
    }
}

impl std::fmt::Debug for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Event")
            .field("set", &self.is_set())
            .finish()
    }
}

/// The future returned by [`Event::wait`].
///
/// ```
/// sprout::run(async {
///     let event = sprout::sync::Event::new();
///     let waiting: sprout::sync::EventWait<'_> = event.wait();
///     event.set();
///     waiting.await;
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
#[derive(Debug)]
pub struct EventWait<'a> {
    /// The event waited on.
    event: &'a Event,
    /// Our place in its wait list.
    ticket: Ticket,
}

impl Future for EventWait<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        std::task::ready!(coop::poll_proceed(cx)); // coop I5: a set event answers at once.
        let mut state = lock(&this.event.state);
        // Set now, or set since we parked (our ticket is gone from the list: I2), even if
        // `clear` has run since: a `set` wakes every waiter already waiting (gevent, CPython).
        if state.set || state.waiters.is_notified(&this.ticket) {
            state.waiters.cancel(&mut this.ticket);
            return Poll::Ready(());
        }
        state.waiters.park(&mut this.ticket, cx.waker());
        Poll::Pending
    }
}

impl Drop for EventWait<'_> {
    fn drop(&mut self) {
        if self.ticket.is_some() {
            // `set` wakes everyone, so a consumed wake-up needs no passing on.
            lock(&self.event.state).waiters.cancel(&mut self.ticket);
        }
    }
}
