//! [`broadcast::channel`](channel): every receiver sees every message — a chat room's fan-out.
//!
//! Where it sits in the flow: like the other channels, a parking place for wakers that another
//! task empties, except that one send wakes *every* waiting receiver:
//!
//! ```text
//! recv → poll → Pending → [waker parked in the wait list] → send → [take every waker] → wake → run queue → poll → Ready(clone)
//! ```
//!
//! The channel keeps the last `capacity` messages, each numbered. A receiver remembers the
//! number of the next message it wants; a send never waits for slow receivers. When a receiver
//! has fallen so far behind that its next message was already dropped from the buffer, its
//! next `recv` says how many it missed ([`RecvError::Lagged`]) and then carries on from the
//! oldest message still kept. (gevent has no such queue; tokio's `broadcast` has this shape.)
//!
//! Invariants:
//! - I1: the buffer, its first message number, the counts of ends and the wait list sit under one
//!   lock, so "nothing new yet, park" never misses a send or the last sender's drop.
//! - I2: every send and the last sender's drop wake every parked receiver (each wants its own
//!   copy), so no receiver sleeps while a message it has not seen is in the buffer.
//! - I3: the buffer holds messages `first .. first + len`; no receiver's `next` is past it.
//!
//! Read next: `runtime/sync/oneshot.rs`.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use crate::runtime::coop;
use crate::runtime::lock::lock;
use crate::runtime::wait_list::{wake_all, Ticket, WaitList};

/// A broadcast channel that keeps the last `capacity` messages (at least one) for receivers
/// that are behind. Receivers are made with [`Sender::subscribe`] (from now on) or by cloning a
/// receiver (from where it is).
///
/// ```
/// use sprout::sync::broadcast;
/// sprout::run(async {
///     let (tx, mut first) = broadcast::channel(16);
///     let mut second = tx.subscribe();
///     tx.send("hello").unwrap();
///     assert_eq!(first.recv().await, Ok("hello"));
///     assert_eq!(second.recv().await, Ok("hello")); // every receiver sees every message
/// });
/// ```
pub fn channel<T: Clone>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            buffer: VecDeque::new(),
            first: 0,
            capacity: capacity.max(1),
            senders: 1,
            receivers: 1,
            waiters: WaitList::default(),
        }),
    });
    let receiver = Receiver {
        shared: shared.clone(),
        next: 0,
    };
    (Sender { shared }, receiver)
}

/// What both ends share: everything, under one lock (I1).
struct Shared<T> {
    state: Mutex<State<T>>,
}

/// What the lock guards.
struct State<T> {
    /// The last messages sent, oldest first (I3).
    buffer: VecDeque<T>,
    /// The number of `buffer[0]`; messages are numbered from 0 in send order.
    first: u64,
    /// How many messages the buffer keeps.
    capacity: usize,
    /// Live `Sender`s.
    senders: usize,
    /// Live `Receiver`s.
    receivers: usize,
    /// Receivers waiting for a message (I2).
    waiters: WaitList,
}

impl<T> State<T> {
    /// The number the next message sent will get.
    fn end(&self) -> u64 {
        self.first + self.buffer.len() as u64
    }
}

/// The sending end; cloneable. Sending never waits.
///
/// ```
/// let (tx, _rx) = sprout::sync::broadcast::channel::<u32>(4);
/// let tx2 = tx.clone();
/// assert_eq!(tx2.send(1), Ok(1)); // one receiver will see it
/// ```
pub struct Sender<T> {
    /// The channel.
    shared: Arc<Shared<T>>,
}

/// A receiving end: sees every message sent after it was made (or, for a clone, after the
/// point its original had reached).
///
/// ```
/// use sprout::sync::broadcast::{self, RecvError};
/// sprout::run(async {
///     let (tx, mut rx) = broadcast::channel(2);
///     for n in 0..5 {
///         tx.send(n).unwrap();
///     }
///     assert_eq!(rx.recv().await, Err(RecvError::Lagged(3))); // 0, 1, 2 were dropped
///     assert_eq!(rx.recv().await, Ok(3));
///     assert_eq!(rx.recv().await, Ok(4));
///     drop(tx);
///     assert_eq!(rx.recv().await, Err(RecvError::Closed));
/// });
/// ```
pub struct Receiver<T> {
    /// The channel.
    shared: Arc<Shared<T>>,
    /// The number of the next message this receiver wants (I3).
    next: u64,
}

/// `send` found no receiver; the message is handed back.
///
/// ```
/// let (tx, rx) = sprout::sync::broadcast::channel(1);
/// drop(rx);
/// assert_eq!(tx.send(7), Err(sprout::sync::broadcast::SendError(7)));
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SendError<T>(pub T);

/// Why `recv` returned no message.
///
/// ```
/// use sprout::sync::broadcast::RecvError;
/// assert_eq!(RecvError::Lagged(2).to_string(), "the receiver fell behind and missed 2 message(s)");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecvError {
    /// The receiver was this many messages behind the oldest one kept; it goes on from there.
    Lagged(u64),
    /// Every sender is gone and this receiver has seen every message.
    Closed,
}

impl<T: Clone> Sender<T> {
    /// Sends `value` to every receiver, dropping the oldest kept message if the buffer is full.
    /// Returns how many receivers there are, or the value back if there is none.
    ///
    /// ```
    /// let (tx, rx) = sprout::sync::broadcast::channel(1);
    /// let _rx2 = rx.clone();
    /// assert_eq!(tx.send("to both"), Ok(2));
    /// ```
    pub fn send(&self, value: T) -> Result<usize, SendError<T>> {
        let mut state = lock(&self.shared.state);
        if state.receivers == 0 {
            return Err(SendError(value));
        }
        state.buffer.push_back(value);
        if state.buffer.len() > state.capacity {
            state.buffer.pop_front();
            state.first += 1;
        }
        let receivers = state.receivers;
        let woken = state.waiters.notify_all(); // I2
        drop(state);
        wake_all(woken);
        Ok(receivers)
    }

    /// A new receiver that will see every message sent from now on.
    ///
    /// ```
    /// let (tx, _rx) = sprout::sync::broadcast::channel(4);
    /// tx.send(1).unwrap();
    /// let mut late = tx.subscribe();
    /// assert!(late.try_recv().is_none()); // 1 was sent before it subscribed
    /// ```
    pub fn subscribe(&self) -> Receiver<T> {
        let mut state = lock(&self.shared.state);
        state.receivers += 1;
        let next = state.end();
        drop(state);
        Receiver {
            shared: self.shared.clone(),
            next,
        }
    }

    /// How many receivers are alive.
    ///
    /// ```
    /// let (tx, rx) = sprout::sync::broadcast::channel::<u8>(4);
    /// let _another = tx.subscribe();
    /// assert_eq!(tx.receiver_count(), 2);
    /// drop(rx);
    /// assert_eq!(tx.receiver_count(), 1);
    /// ```
    pub fn receiver_count(&self) -> usize {
        lock(&self.shared.state).receivers
    }
}

impl<T: Clone> Receiver<T> {
    /// Waits for the next message: `Ok(message)` (a clone), `Err(Lagged(n))` once after falling
    /// `n` messages behind, or `Err(Closed)` when every sender is gone and nothing is left.
    ///
    /// ```
    /// sprout::run(async {
    ///     let (tx, mut rx) = sprout::sync::broadcast::channel(4);
    ///     sprout::spawn(async move { tx.send("later").unwrap() }).detach();
    ///     assert_eq!(rx.recv().await, Ok("later"));
    /// });
    /// ```
    pub fn recv(&mut self) -> RecvFuture<'_, T> {
        RecvFuture {
            receiver: self,
            ticket: None,
        }
    }

    /// The next message if one is waiting, without waiting: `Some(Ok(message))`,
    /// `Some(Err(..))` as for [`recv`](Self::recv), or `None` if there is nothing new yet.
    ///
    /// ```
    /// let (tx, mut rx) = sprout::sync::broadcast::channel(4);
    /// assert!(rx.try_recv().is_none());
    /// tx.send(5).unwrap();
    /// assert_eq!(rx.try_recv(), Some(Ok(5)));
    /// ```
    pub fn try_recv(&mut self) -> Option<Result<T, RecvError>> {
        let state = lock(&self.shared.state);
        take_next(&state, &mut self.next)
    }
}

/// The next message for a receiver at `next` (advancing it), a lag report, the end, or `None`
/// when the receiver has seen everything and senders remain (I3).
fn take_next<T: Clone>(state: &State<T>, next: &mut u64) -> Option<Result<T, RecvError>> {
    if *next < state.first {
        let missed = state.first - *next;
        *next = state.first;
        return Some(Err(RecvError::Lagged(missed)));
    }
    if *next < state.end() {
        let value = state.buffer[(*next - state.first) as usize].clone();
        *next += 1;
        return Some(Ok(value));
    }
    (state.senders == 0).then_some(Err(RecvError::Closed))
}

/// The future returned by [`Receiver::recv`].
///
/// ```
/// sprout::run(async {
///     let (tx, mut rx) = sprout::sync::broadcast::channel(1);
///     tx.send(1).unwrap();
///     let receiving: sprout::sync::broadcast::RecvFuture<'_, i32> = rx.recv();
///     assert_eq!(receiving.await, Ok(1));
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct RecvFuture<'a, T> {
    /// The receiver, whose position advances when a message is taken.
    receiver: &'a mut Receiver<T>,
    /// Our place in the wait list while parked.
    ticket: Ticket,
}

impl<T: Clone> Future for RecvFuture<'_, T> {
    type Output = Result<T, RecvError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if coop::poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        let this = &mut *self;
        let mut state = lock(&this.receiver.shared.state);
        match take_next(&state, &mut this.receiver.next) {
            Some(outcome) => {
                state.waiters.cancel(&mut this.ticket);
                Poll::Ready(outcome)
            }
            None => {
                state.waiters.park(&mut this.ticket, cx.waker());
                Poll::Pending
            }
        }
    }
}

impl<T> Drop for RecvFuture<'_, T> {
    fn drop(&mut self) {
        // Every parked receiver is woken by a send (I2): nothing to pass on, just leave.
        if self.ticket.is_some() {
            let mut state = lock(&self.receiver.shared.state);
            state.waiters.cancel(&mut self.ticket);
        }
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        lock(&self.shared.state).senders += 1;
        Sender {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        lock(&self.shared.state).receivers += 1;
        Receiver {
            shared: self.shared.clone(),
            next: self.next,
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let mut state = lock(&self.shared.state);
        state.senders -= 1;
        let woken = if state.senders == 0 {
            state.waiters.notify_all() // I2: they must see the end.
        } else {
            Vec::new()
        };
        drop(state);
        wake_all(woken);
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        lock(&self.shared.state).receivers -= 1;
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("broadcast::Sender { .. }")
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("broadcast::Receiver")
            .field("next", &self.next)
            .finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for RecvFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("broadcast::RecvFuture")
            .field("waiting", &self.ticket.is_some())
            .finish()
    }
}

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendError(..)")
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("sending on a broadcast channel with no receiver")
    }
}

impl<T> std::error::Error for SendError<T> {}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecvError::Lagged(missed) => {
                write!(f, "the receiver fell behind and missed {missed} message(s)")
            }
            RecvError::Closed => f.write_str("every sender of the broadcast channel is gone"),
        }
    }
}

impl std::error::Error for RecvError {}
