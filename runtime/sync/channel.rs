//! [`channel`] and [`unbounded`]: multi-producer, multi-consumer queues (gevent's `Queue`).
//!
//! Where it sits in the flow:
//!
//! ```text
//! recv → poll → Pending → [waker parked in recv_waiters] → send → [take one waker] → wake → run queue → poll → Ready(value)
//! ```
//!
//! Both ends are cloneable. A bounded channel makes `send` wait while it is full. `recv` returns
//! an error once every `Sender` is gone *and* the queue is empty, so nothing sent is lost;
//! `send` returns the value back once every `Receiver` is gone.
//!
//! Invariants:
//! - I1: the queue, the counts of senders and receivers, and both wait lists sit under one lock,
//!   so "check, else park" never misses a `send`, a `recv` or a last drop.
//! - I2: each value that is pushed wakes at most one receiver, and each value popped wakes at
//!   most one sender; a woken waiter that goes away unserved passes its wake-up on (I2 of
//!   wait_list.rs), so no value sits in the queue while a receiver sleeps.
//!
//! Production note: tokio's and async-channel's queues are lock-free. One mutex around a
//! `VecDeque` is simpler and, uncontended, costs two atomic operations per call.
//!
//! Read next: `oneshot.rs`.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use super::super::coop;
use super::super::task::lock;
use super::wait_list::{wake_all, Ticket, WaitList};

/// A channel that holds at most `capacity` values (0 is taken as 1): `send` waits while it is
/// full. Returns the two ends; both can be cloned.
///
/// ```
/// sprout::run(async {
///     let (tx, rx) = sprout::sync::channel(2);
///     let producer = sprout::spawn(async move {
///         for i in 0..5 {
///             tx.send(i).await.unwrap();
///         }
///     });
///     let mut got = Vec::new();
///     while let Ok(value) = rx.recv().await {
///         got.push(value);
///     }
///     producer.await.unwrap();
///     assert_eq!(got, [0, 1, 2, 3, 4]);
/// });
/// ```
pub fn channel<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    with_capacity(Some(capacity.max(1)))
}

/// A channel without a bound: `send` never waits.
///
/// ```
/// sprout::run(async {
///     let (tx, rx) = sprout::sync::unbounded();
///     tx.try_send("hi").unwrap();
///     drop(tx);
///     assert_eq!(rx.recv().await, Ok("hi"));
///     assert!(rx.recv().await.is_err(), "all senders gone and queue empty");
/// });
/// ```
pub fn unbounded<T>() -> (Sender<T>, Receiver<T>) {
    with_capacity(None)
}

/// Builds both ends around a fresh channel.
fn with_capacity<T>(capacity: Option<usize>) -> (Sender<T>, Receiver<T>) {
    let chan = Arc::new(Chan {
        state: Mutex::new(ChanState {
            queue: VecDeque::new(),
            capacity,
            senders: 1,
            receivers: 1,
            send_waiters: WaitList::default(),
            recv_waiters: WaitList::default(),
        }),
    });
    (Sender { chan: chan.clone() }, Receiver { chan })
}

/// The channel both ends share.
struct Chan<T> {
    /// Everything, under one lock (I1).
    state: Mutex<ChanState<T>>,
}

/// What the channel lock guards.
struct ChanState<T> {
    /// Values sent and not yet received.
    queue: VecDeque<T>,
    /// The bound; `None` for unbounded.
    capacity: Option<usize>,
    /// Live `Sender`s.
    senders: usize,
    /// Live `Receiver`s.
    receivers: usize,
    /// Senders waiting for room.
    send_waiters: WaitList,
    /// Receivers waiting for a value.
    recv_waiters: WaitList,
}

impl<T> ChanState<T> {
    /// `true` if one more value fits.
    fn has_room(&self) -> bool {
        self.capacity.is_none_or(|cap| self.queue.len() < cap)
    }
}

/// The sending end. Cloneable; the channel closes for receivers when the last one drops.
///
/// ```
/// sprout::run(async {
///     let (tx, rx) = sprout::sync::unbounded();
///     let tx2 = tx.clone(); // many producers
///     tx.send(1).await.unwrap();
///     tx2.send(2).await.unwrap();
///     assert_eq!((rx.recv().await, rx.recv().await), (Ok(1), Ok(2)));
/// });
/// ```
pub struct Sender<T> {
    /// The channel.
    chan: Arc<Chan<T>>,
}

/// The receiving end. Cloneable; each value goes to exactly one receiver.
///
/// ```
/// sprout::run(async {
///     let (tx, rx) = sprout::sync::unbounded();
///     let rx2 = rx.clone(); // many consumers: each value goes to one of them
///     tx.send("once").await.unwrap();
///     drop(tx);
///     let got = rx.recv().await.ok().or(rx2.recv().await.ok());
///     assert_eq!(got, Some("once"));
/// });
/// ```
pub struct Receiver<T> {
    /// The channel.
    chan: Arc<Chan<T>>,
}

/// `send` failed because every `Receiver` is gone; the value is handed back.
///
/// ```
/// sprout::run(async {
///     let (tx, rx) = sprout::sync::channel(1);
///     drop(rx);
///     let sprout::sync::SendError(value) = tx.send(9).await.unwrap_err();
///     assert_eq!(value, 9);
/// });
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SendError<T>(pub T);

/// `recv` failed because every `Sender` is gone and the queue is empty.
///
/// ```
/// sprout::run(async {
///     let (tx, rx) = sprout::sync::channel::<u8>(1);
///     drop(tx);
///     assert_eq!(rx.recv().await, Err(sprout::sync::RecvError));
/// });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecvError;

/// Why `try_send` did not send.
///
/// ```
/// use sprout::sync::TrySendError;
/// let (tx, rx) = sprout::sync::channel(1);
/// tx.try_send(1).unwrap();
/// assert!(matches!(tx.try_send(2), Err(TrySendError::Full(2))));
/// drop(rx);
/// assert!(matches!(tx.try_send(3), Err(TrySendError::Closed(3))));
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TrySendError<T> {
    /// The channel is full; the value is handed back.
    Full(T),
    /// Every `Receiver` is gone; the value is handed back.
    Closed(T),
}

/// Why `try_recv` received nothing.
///
/// ```
/// use sprout::sync::TryRecvError;
/// let (tx, rx) = sprout::sync::channel::<u8>(1);
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
/// drop(tx);
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TryRecvError {
    /// The queue is empty, but senders remain.
    Empty,
    /// The queue is empty and every `Sender` is gone.
    Closed,
}

impl<T> Sender<T> {
    /// Sends `value`, waiting while a bounded channel is full.
    ///
    /// ```
    /// sprout::run(async {
    ///     let (tx, rx) = sprout::sync::channel(1);
    ///     tx.send("first").await.unwrap(); // fits
    ///     let second = sprout::spawn(async move { tx.send("second").await }); // waits for room
    ///     assert_eq!(rx.recv().await.unwrap(), "first");
    ///     second.await.unwrap().unwrap();
    ///     assert_eq!(rx.recv().await.unwrap(), "second");
    /// });
    /// ```
    pub fn send(&self, value: T) -> Send<'_, T> {
        Send {
            sender: self,
            value: Some(value),
            ticket: None,
        }
    }

    /// Sends `value` if there is room right now.
    ///
    /// ```
    /// let (tx, rx) = sprout::sync::channel(2);
    /// tx.try_send('a').unwrap();
    /// assert_eq!(rx.try_recv(), Ok('a'));
    /// ```
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        let mut state = lock(&self.chan.state);
        if state.receivers == 0 {
            return Err(TrySendError::Closed(value));
        }
        if !state.has_room() {
            return Err(TrySendError::Full(value));
        }
        state.queue.push_back(value);
        let receiver = state.recv_waiters.notify_one();
        drop(state);
        wake_all(receiver);
        Ok(())
    }

    /// Values waiting in the channel.
    ///
    /// ```
    /// let (tx, _rx) = sprout::sync::unbounded();
    /// tx.try_send(()).unwrap();
    /// assert_eq!(tx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        lock(&self.chan.state).queue.len()
    }

    /// `true` if no value is waiting.
    ///
    /// ```
    /// let (tx, _rx) = sprout::sync::unbounded::<u8>();
    /// assert!(tx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `true` if every `Receiver` is gone.
    ///
    /// ```
    /// let (tx, rx) = sprout::sync::unbounded::<u8>();
    /// assert!(!tx.is_closed());
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        lock(&self.chan.state).receivers == 0
    }
}

impl<T> Receiver<T> {
    /// Receives the next value, waiting for one. `Err(RecvError)` once the channel is empty
    /// and every `Sender` is gone.
    ///
    /// ```
    /// sprout::run(async {
    ///     let (tx, rx) = sprout::sync::unbounded();
    ///     sprout::spawn(async move { tx.send(42).await.unwrap() }).detach();
    ///     assert_eq!(rx.recv().await, Ok(42));
    /// });
    /// ```
    pub fn recv(&self) -> Recv<'_, T> {
        Recv {
            receiver: self,
            ticket: None,
        }
    }

    /// Receives a value if one is waiting.
    ///
    /// ```
    /// let (tx, rx) = sprout::sync::unbounded();
    /// tx.try_send(5).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(5));
    /// ```
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        let mut state = lock(&self.chan.state);
        match state.queue.pop_front() {
            Some(value) => {
                let sender = state.send_waiters.notify_one();
                drop(state);
                wake_all(sender);
                Ok(value)
            }
            None if state.senders == 0 => Err(TryRecvError::Closed),
            None => Err(TryRecvError::Empty),
        }
    }

    /// Values waiting in the channel.
    ///
    /// ```
    /// let (tx, rx) = sprout::sync::unbounded();
    /// tx.try_send(1).unwrap();
    /// tx.try_send(2).unwrap();
    /// assert_eq!(rx.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        lock(&self.chan.state).queue.len()
    }

    /// `true` if no value is waiting.
    ///
    /// ```
    /// let (_tx, rx) = sprout::sync::unbounded::<u8>();
    /// assert!(rx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The future returned by [`Sender::send`].
///
/// ```
/// sprout::run(async {
///     let (tx, rx) = sprout::sync::unbounded();
///     let sending: sprout::sync::Send<'_, i32> = tx.send(1);
///     sending.await.unwrap();
///     assert_eq!(rx.recv().await, Ok(1));
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Send<'a, T> {
    /// The sending end.
    sender: &'a Sender<T>,
    /// The value, until it is pushed or handed back.
    value: Option<T>,
    /// Our place among the senders waiting for room.
    ticket: Ticket,
}

// The value is moved, never pinned, so the future may move freely.
impl<T> Unpin for Send<'_, T> {}

impl<T> Future for Send<'_, T> {
    type Output = Result<(), SendError<T>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if coop::poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        let this = &mut *self;
        let mut state = lock(&this.sender.chan.state);
        let value = this.value.take().expect("Send polled after completion");
        if state.receivers == 0 {
            state.send_waiters.cancel(&mut this.ticket);
            return Poll::Ready(Err(SendError(value)));
        }
        if !state.has_room() {
            this.value = Some(value);
            state.send_waiters.park(&mut this.ticket, cx.waker());
            return Poll::Pending;
        }
        state.send_waiters.cancel(&mut this.ticket);
        state.queue.push_back(value);
        let receiver = state.recv_waiters.notify_one();
        drop(state);
        wake_all(receiver);
        Poll::Ready(Ok(()))
    }
}

impl<T> Drop for Send<'_, T> {
    fn drop(&mut self) {
        if self.ticket.is_some() {
            let mut state = lock(&self.sender.chan.state);
            // Woken for room we will not use: pass it on (I2).
            let next = if state.send_waiters.cancel(&mut self.ticket) {
                state.send_waiters.notify_one()
            } else {
                None
            };
            drop(state);
            wake_all(next);
        }
    }
}

/// The future returned by [`Receiver::recv`].
///
/// ```
/// sprout::run(async {
///     let (tx, rx) = sprout::sync::unbounded();
///     tx.try_send(1).unwrap();
///     let receiving: sprout::sync::Recv<'_, i32> = rx.recv();
///     assert_eq!(receiving.await, Ok(1));
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Recv<'a, T> {
    /// The receiving end.
    receiver: &'a Receiver<T>,
    /// Our place among the receivers waiting for a value.
    ticket: Ticket,
}

impl<T> Future for Recv<'_, T> {
    type Output = Result<T, RecvError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if coop::poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        let this = &mut *self;
        let mut state = lock(&this.receiver.chan.state);
        match state.queue.pop_front() {
            Some(value) => {
                state.recv_waiters.cancel(&mut this.ticket);
                let sender = state.send_waiters.notify_one();
                drop(state);
                wake_all(sender);
                Poll::Ready(Ok(value))
            }
            None if state.senders == 0 => {
                state.recv_waiters.cancel(&mut this.ticket);
                Poll::Ready(Err(RecvError))
            }
            None => {
                state.recv_waiters.park(&mut this.ticket, cx.waker());
                Poll::Pending
            }
        }
    }
}

impl<T> Drop for Recv<'_, T> {
    fn drop(&mut self) {
        if self.ticket.is_some() {
            let mut state = lock(&self.receiver.chan.state);
            // Woken for a value we will not take: pass it on (I2).
            let next = if state.recv_waiters.cancel(&mut self.ticket) {
                state.recv_waiters.notify_one()
            } else {
                None
            };
            drop(state);
            wake_all(next);
        }
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        lock(&self.chan.state).senders += 1;
        Sender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        lock(&self.chan.state).receivers += 1;
        Receiver {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let mut state = lock(&self.chan.state);
        state.senders -= 1;
        // The last sender wakes every receiver, so they can see the channel close.
        let receivers = if state.senders == 0 {
            state.recv_waiters.notify_all()
        } else {
            Vec::new()
        };
        drop(state);
        wake_all(receivers);
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let mut state = lock(&self.chan.state);
        state.receivers -= 1;
        let senders = if state.receivers == 0 {
            state.send_waiters.notify_all()
        } else {
            Vec::new()
        };
        drop(state);
        wake_all(senders);
    }
}

impl<T> fmt::Debug for Send<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Send")
            .field("waiting", &self.ticket.is_some())
            .finish()
    }
}

impl<T> fmt::Debug for Recv<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recv")
            .field("waiting", &self.ticket.is_some())
            .finish()
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").field("len", &self.len()).finish()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("len", &self.len())
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
        f.write_str("sending on a channel whose receivers are all gone")
    }
}

impl<T> std::error::Error for SendError<T> {}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("receiving on an empty channel whose senders are all gone")
    }
}

impl std::error::Error for RecvError {}

impl<T> fmt::Debug for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("Full(..)"),
            TrySendError::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

impl<T> fmt::Display for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("the channel is full"),
            TrySendError::Closed(_) => f.write_str("the channel's receivers are all gone"),
        }
    }
}

impl<T> std::error::Error for TrySendError<T> {}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryRecvError::Empty => f.write_str("the channel is empty"),
            TryRecvError::Closed => {
                f.write_str("the channel is empty and its senders are all gone")
            }
        }
    }
}

impl std::error::Error for TryRecvError {}
