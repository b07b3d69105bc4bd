//! [`oneshot`]: one value, sent once, awaited once (gevent's `AsyncResult`).
//!
//! Where it sits in the flow:
//!
//! ```text
//! receiver.await → Pending → [waker parked in the slot] → sender.send(v) → [wake] → run queue → poll → Ready(v)
//! ```
//!
//! Invariants:
//! - I1: the value, the receiver's waker and both "gone" flags sit under one lock, so the
//!   receiver either sees the value (or the sender's drop) or is woken by it.
//!
//! Read next: `runtime/sync/semaphore.rs`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use super::channel::{RecvError, TryRecvError};
use crate::runtime::coop;
use crate::runtime::lock::lock;
use crate::runtime::wait_list::wake_all;

/// Creates a one-value channel: the sender sends once (without waiting), the receiver awaits.
///
/// ```
/// sprout::run(async {
///     let (tx, rx) = sprout::sync::oneshot();
///     sprout::spawn(async move { tx.send("done").unwrap() }).detach();
///     assert_eq!(rx.await, Ok("done"));
/// });
/// ```
pub fn oneshot<T>() -> (OneshotSender<T>, OneshotReceiver<T>) {
    let slot = Arc::new(Mutex::new(Slot {
        value: None,
        sender_gone: false,
        receiver_gone: false,
        waker: None,
    }));
    (
        OneshotSender { slot: slot.clone() },
        OneshotReceiver { slot },
    )
}

/// What both ends share (I1).
struct Slot<T> {
    /// The value, once sent and until received.
    value: Option<T>,
    /// The sender sent or was dropped.
    sender_gone: bool,
    /// The receiver was dropped.
    receiver_gone: bool,
    /// The receiving task's waker.
    waker: Option<Waker>,
}

/// The sending end of a [`oneshot`].
///
/// ```
/// sprout::run(async {
///     let (tx, rx) = sprout::sync::oneshot::<&str>();
///     drop(tx); // never sent
///     assert!(rx.await.is_err());
/// });
/// ```
pub struct OneshotSender<T> {
    /// The shared slot.
    slot: Arc<Mutex<Slot<T>>>,
}

/// The receiving end of a [`oneshot`]; a future of the value.
///
/// ```
/// sprout::run(async {
///     let (tx, rx) = sprout::sync::oneshot();
///     tx.send(3).unwrap();
///     assert_eq!(rx.await, Ok(3));
/// });
/// ```
pub struct OneshotReceiver<T> {
    /// The shared slot.
    slot: Arc<Mutex<Slot<T>>>,
}

impl<T> OneshotSender<T> {
    /// Sends the value; hands it back if the receiver is gone.
    ///
    /// ```
    /// let (tx, rx) = sprout::sync::oneshot();
    /// drop(rx);
    /// assert_eq!(tx.send("lost"), Err("lost"));
    /// ```
    pub fn send(self, value: T) -> Result<(), T> {
        let mut slot = lock(&self.slot);
        if slot.receiver_gone {
            return Err(value);
        }
        slot.value = Some(value);
        drop(slot);
        Ok(()) // Dropping `self` marks the sender gone and wakes the receiver.
    }

    /// `true` if the receiver is gone, so a `send` would fail.
    ///
    /// ```
    /// let (tx, rx) = sprout::sync::oneshot::<u8>();
    /// assert!(!tx.is_closed());
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        lock(&self.slot).receiver_gone
    }
}

impl<T> Drop for OneshotSender<T> {
    fn drop(&mut self) {
        let mut slot = lock(&self.slot);
        slot.sender_gone = true;
        let waker = slot.waker.take();
        drop(slot);
        wake_all(waker);
    }
}

impl<T> OneshotReceiver<T> {
    /// The value if it has been sent.
    ///
    /// ```
    /// use sprout::sync::TryRecvError;
    /// let (tx, mut rx) = sprout::sync::oneshot();
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let mut slot = lock(&self.slot);
        match slot.value.take() {
            Some(value) => Ok(value),
            None if slot.sender_gone => Err(TryRecvError::Closed),
            None => Err(TryRecvError::Empty),
        }
    }
}

impl<T> Future for OneshotReceiver<T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        std::task::ready!(coop::poll_proceed(cx)); // coop I5
        let mut slot = lock(&self.slot);
        if let Some(value) = slot.value.take() {
            return Poll::Ready(Ok(value));
        }
        if slot.sender_gone {
            return Poll::Ready(Err(RecvError));
        }
        match &slot.waker {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            _ => slot.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

impl<T> Drop for OneshotReceiver<T> {
    fn drop(&mut self) {
        lock(&self.slot).receiver_gone = true;
    }
}

impl<T> fmt::Debug for OneshotSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OneshotSender")
    }
}

impl<T> fmt::Debug for OneshotReceiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OneshotReceiver")
    }
}
