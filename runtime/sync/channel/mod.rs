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
//! `send` returns the value back once every `Receiver` is gone, and the values still queued
//! then are dropped (I3).
//!
//! Invariants:
//! - I1: the queue, the counts of senders and receivers, and both wait lists sit under one lock,
//!   so "check, else park" never misses a `send`, a `recv` or a last drop.
//! - I2: each value that is pushed wakes at most one receiver, and each value popped wakes at
//!   most one sender; a woken waiter that goes away unserved passes its wake-up on (I2 of
//!   wait_list.rs), so no value sits in the queue while a receiver sleeps.
//! - I3: when the last `Receiver` goes, the values still queued are dropped (after the lock is
//!   released) and every later `send` hands its value back: nothing sent waits for a reader
//!   that will never come.
//!
//! Production note: tokio's and async-channel's queues are lock-free. One mutex around a
//! `VecDeque` is simpler and, uncontended, costs two atomic operations per call.
//!
//! Read next: `runtime/sync/channel/receiver.rs`.

mod blocking;
mod errors;
mod receiver;
mod waiting;

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex};

use crate::runtime::lock::lock;
use crate::runtime::wait_list::{wake_all, WaitList};

pub use errors::{RecvError, SendError, TryRecvError, TrySendError};
pub use receiver::Receiver;
pub use waiting::{RecvFuture, SendFuture};

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
    let receiver = Receiver {
        stream_ticket: None,
        chan: chan.clone(),
    };
    (Sender { chan }, receiver)
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

impl<T> Chan<T> {
    /// The bound, for both ends' `capacity`.
    fn capacity(&self) -> Option<usize> {
        lock(&self.state).capacity
    }

    /// `true` if bounded and full, for both ends' `is_full`.
    fn is_full(&self) -> bool {
        !lock(&self.state).has_room()
    }
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
    pub fn send(&self, value: T) -> SendFuture<'_, T> {
        SendFuture::new(self, value)
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

    /// The channel's bound: `Some(n)` for [`channel(n)`](channel), `None` if unbounded.
    ///
    /// ```
    /// let (tx, rx) = sprout::sync::channel::<u8>(4);
    /// assert_eq!((tx.capacity(), rx.capacity()), (Some(4), Some(4)));
    /// assert_eq!(sprout::sync::unbounded::<u8>().0.capacity(), None);
    /// ```
    pub fn capacity(&self) -> Option<usize> {
        self.chan.capacity()
    }

    /// `true` if the channel is bounded and holds as many values as it can.
    ///
    /// ```
    /// let (tx, rx) = sprout::sync::channel(1);
    /// tx.try_send(1).unwrap();
    /// assert!(tx.is_full() && rx.is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        self.chan.is_full()
    }

    /// How many `Sender`s are alive.
    ///
    /// ```
    /// let (tx, rx) = sprout::sync::unbounded::<u8>();
    /// let _second = tx.clone();
    /// assert_eq!((tx.sender_count(), rx.sender_count()), (2, 2));
    /// ```
    pub fn sender_count(&self) -> usize {
        lock(&self.chan.state).senders
    }

    /// How many `Receiver`s are alive.
    ///
    /// ```
    /// let (tx, rx) = sprout::sync::unbounded::<u8>();
    /// let _second = rx.clone();
    /// assert_eq!((tx.receiver_count(), rx.receiver_count()), (2, 2));
    /// ```
    pub fn receiver_count(&self) -> usize {
        lock(&self.chan.state).receivers
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

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").field("len", &self.len()).finish()
    }
}
