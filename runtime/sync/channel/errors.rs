//! Why a channel operation failed: [`SendError`], [`RecvError`], [`TrySendError`],
//! [`TryRecvError`]. The same names and meanings as async-channel's, so code and tests move
//! between the two unchanged.
//!
//! Where it sits in the flow: at its ends. A send to a channel whose receivers are all gone
//! hands the value back; a receive from a drained channel whose senders are all gone reports
//! the end; the `try_` forms also say "full" or "empty" instead of waiting.
//!
//! ```text
//! [send → no receiver: SendError(value)] … [recv → drained, no sender: RecvError]
//! ```
//!
//! Read next: `runtime/sync/channel/blocking.rs`.

use std::fmt;

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
