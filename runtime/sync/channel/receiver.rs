//! The receiving half of a channel: [`Receiver`], its `recv` and `try_recv`, and what dropping
//! the last one does to waiting senders.
//!
//! Where it sits in the flow: a task that receives from an empty channel parks its waker in the
//! channel's wait list; a `send` wakes it.
//!
//! ```text
//! [rx.recv().await] → empty → Pending → waker parked in recv_waiters → tx.send(v) → wake → run queue → [recv: Some(v)]
//! ```
//!
//! Read next: `runtime/sync/channel/waiting.rs`.

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;

use super::{Chan, RecvFuture, TryRecvError};
use crate::runtime::lock::lock;
use crate::runtime::wait_list::{wake_all, Ticket};

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
    /// The receiver's place in `recv_waiters` while it waits as a `Stream` (`poll_next`);
    /// `recv()` futures keep their own.
    pub(super) stream_ticket: Ticket,
    /// The channel.
    pub(super) chan: Arc<Chan<T>>,
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
    pub fn recv(&self) -> RecvFuture<'_, T> {
        RecvFuture::new(self)
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

    /// The channel's bound, as [`Sender::capacity`](super::Sender::capacity).
    ///
    /// ```
    /// assert_eq!(sprout::sync::channel::<u8>(2).1.capacity(), Some(2));
    /// ```
    pub fn capacity(&self) -> Option<usize> {
        self.chan.capacity()
    }

    /// `true` if the channel is bounded and full, as [`Sender::is_full`](super::Sender::is_full).
    ///
    /// ```
    /// let (_tx, rx) = sprout::sync::channel::<u8>(1);
    /// assert!(!rx.is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        self.chan.is_full()
    }

    /// How many `Sender`s are alive, as [`Sender::sender_count`](super::Sender::sender_count).
    ///
    /// ```
    /// let (tx, rx) = sprout::sync::unbounded::<u8>();
    /// drop(tx);
    /// assert_eq!(rx.sender_count(), 0);
    /// ```
    pub fn sender_count(&self) -> usize {
        lock(&self.chan.state).senders
    }

    /// How many `Receiver`s are alive, as
    /// [`Sender::receiver_count`](super::Sender::receiver_count).
    ///
    /// ```
    /// let (_tx, rx) = sprout::sync::unbounded::<u8>();
    /// assert_eq!(rx.receiver_count(), 1);
    /// ```
    pub fn receiver_count(&self) -> usize {
        lock(&self.chan.state).receivers
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        lock(&self.chan.state).receivers += 1;
        Receiver {
            stream_ticket: None,
            chan: self.chan.clone(),
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let mut state = lock(&self.chan.state);
        state.receivers -= 1;
        // The last receiver takes the queued values with it (I3), as std's and tokio's do: a
        // queued reply sender (an actor's oneshot) is dropped, so its requester hears at once.
        let (mut woken, unreceived) = if state.receivers == 0 {
            (
                state.send_waiters.notify_all(),
                std::mem::take(&mut state.queue),
            )
        } else {
            (Vec::new(), VecDeque::new())
        };
        // Woken as a stream for a value it will not take: pass it on (I2).
        if state.recv_waiters.cancel(&mut self.stream_ticket) {
            woken.extend(state.recv_waiters.notify_one());
        }
        drop(state);
        // Dropped after the lock: a value's destructor may use this very channel.
        drop(unreceived);
        wake_all(woken);
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("len", &self.len())
            .finish()
    }
}
