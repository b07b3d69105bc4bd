//! The waiting side of a channel: the [`SendFuture`] and [`RecvFuture`] futures, and the receiver as a
//! `Stream`.
//!
//! Where it sits in the flow:
//!
//! ```text
//! recv → [poll: empty → park in recv_waiters] → Pending → send → [take one waker] → wake → run queue → [poll: Ready(value)]
//! ```
//!
//! Each poll takes the channel lock once: pop or push if it can, else park the task's waker
//! under its ticket, all in one step (channel I1). A future dropped after it was woken but
//! before it used its turn passes the wake-up on (channel I2).
//!
//! Read next: `runtime/sync/channel/errors.rs`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::{Chan, Receiver, RecvError, SendError, Sender};
use crate::runtime::coop;
use crate::runtime::lock::lock;
use crate::runtime::wait_list::{wake_all, Ticket};

/// The future returned by [`Sender::send`].
///
/// ```
/// sprout::run(async {
///     let (tx, rx) = sprout::sync::unbounded();
///     let sending: sprout::sync::SendFuture<'_, i32> = tx.send(1);
///     sending.await.unwrap();
///     assert_eq!(rx.recv().await, Ok(1));
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct SendFuture<'a, T> {
    /// The sending end.
    sender: &'a Sender<T>,
    /// The value, until it is pushed or handed back.
    value: Option<T>,
    /// Our place among the senders waiting for room.
    ticket: Ticket,
}

impl<'a, T> SendFuture<'a, T> {
    /// A send of `value` through `sender`, not yet waiting.
    pub(super) fn new(sender: &'a Sender<T>, value: T) -> SendFuture<'a, T> {
        SendFuture {
            sender,
            value: Some(value),
            ticket: None,
        }
    }
}

// The value is moved, never pinned, so the future may move freely.
impl<T> Unpin for SendFuture<'_, T> {}

impl<T> Future for SendFuture<'_, T> {
    type Output = Result<(), SendError<T>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if coop::poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        let this = &mut *self;
        let mut state = lock(&this.sender.chan.state);
        let value = this
            .value
            .take()
            .expect("SendFuture polled after completion");
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

impl<T> Drop for SendFuture<'_, T> {
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
///     let receiving: sprout::sync::RecvFuture<'_, i32> = rx.recv();
///     assert_eq!(receiving.await, Ok(1));
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct RecvFuture<'a, T> {
    /// The receiving end.
    receiver: &'a Receiver<T>,
    /// Our place among the receivers waiting for a value.
    ticket: Ticket,
}

impl<'a, T> RecvFuture<'a, T> {
    /// A receive from `receiver`, not yet waiting.
    pub(super) fn new(receiver: &'a Receiver<T>) -> RecvFuture<'a, T> {
        RecvFuture {
            receiver,
            ticket: None,
        }
    }
}

impl<T> Future for RecvFuture<'_, T> {
    type Output = Result<T, RecvError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if coop::poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        let this = &mut *self;
        poll_recv(&this.receiver.chan, cx, &mut this.ticket)
    }
}

/// One receive attempt, shared by [`RecvFuture`] and the receiver's `Stream` implementation: a
/// value, the end of the channel, or `Pending` with the caller parked under `ticket` (I1).
fn poll_recv<T>(
    chan: &Chan<T>,
    cx: &mut Context<'_>,
    ticket: &mut Ticket,
) -> Poll<Result<T, RecvError>> {
    let mut state = lock(&chan.state);
    match state.queue.pop_front() {
        Some(value) => {
            state.recv_waiters.cancel(ticket);
            let sender = state.send_waiters.notify_one();
            drop(state);
            wake_all(sender);
            Poll::Ready(Ok(value))
        }
        None if state.senders == 0 => {
            state.recv_waiters.cancel(ticket);
            Poll::Ready(Err(RecvError))
        }
        None => {
            state.recv_waiters.park(ticket, cx.waker());
            Poll::Pending
        }
    }
}

/// A receiver is a `Stream` of the values sent, which ends when every sender is gone and the
/// queue is empty (like `recv` returning `RecvError`).
///
/// ```
/// use futures_lite::StreamExt;
/// sprout::run(async {
///     let (tx, rx) = sprout::sync::unbounded();
///     for i in 1..=3 {
///         tx.send(i).await.unwrap();
///     }
///     drop(tx);
///     assert_eq!(rx.collect::<Vec<i32>>().await, [1, 2, 3]);
/// });
/// ```
impl<T> futures_lite::Stream for Receiver<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        if coop::poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        let this = self.get_mut();
        poll_recv(&this.chan, cx, &mut this.stream_ticket).map(Result::ok)
    }
}

impl<T> Drop for RecvFuture<'_, T> {
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

impl<T> fmt::Debug for SendFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendFuture")
            .field("waiting", &self.ticket.is_some())
            .finish()
    }
}

impl<T> fmt::Debug for RecvFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecvFuture")
            .field("waiting", &self.ticket.is_some())
            .finish()
    }
}
