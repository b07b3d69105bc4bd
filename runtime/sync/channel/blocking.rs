//! The channel from plain threads: [`Sender::send_blocking`] and [`Receiver::recv_blocking`].
//!
//! Where it sits in the flow: outside it. A plain thread (or a `spawn_blocking` closure) is not
//! a task, so it cannot `.await`; these block the thread instead, like gevent's `Queue`, which
//! works from anywhere:
//!
//! ```text
//! plain thread: send_blocking → [block_on(send)] → value queued → wake → run queue → poll (the receiving task)
//! ```
//!
//! Each is the async operation driven by a small `block_on` (futures-lite's): the thread parks
//! until the channel's wait list wakes it. The cooperative budget does not apply outside a
//! task (coop I3), so any number of calls in a row complete.
//!
//! Invariants:
//! - I1: neither runs on a worker thread: blocking a worker would stop every task queued
//!   behind it, and the task that could make progress might be one of them. Both panic there,
//!   at the caller's line, naming the async form to use instead.
//!
//! Read next: `runtime/sync/broadcast.rs`.

use super::{Receiver, RecvError, SendError, Sender};
use crate::runtime::scheduler::context;

impl<T> Sender<T> {
    /// Sends `value`, blocking the thread while a bounded channel is full. For plain threads
    /// and `spawn_blocking` closures; tasks use [`send`](Sender::send)`.await`.
    ///
    /// # Panics
    /// On a worker thread of a sprout runtime (inside a task or `block_on`), where it could
    /// block the very task that would make room (I1).
    ///
    /// ```
    /// let (tx, rx) = sprout::sync::channel(1);
    /// let producer = std::thread::spawn(move || {
    ///     for i in 0..3 {
    ///         tx.send_blocking(i).unwrap(); // waits while the channel is full
    ///     }
    /// });
    /// let received: Vec<i32> = (0..3).map(|_| rx.recv_blocking().unwrap()).collect();
    /// producer.join().unwrap();
    /// assert_eq!(received, [0, 1, 2]);
    /// ```
    #[track_caller]
    pub fn send_blocking(&self, value: T) -> Result<(), SendError<T>> {
        refuse_on_a_worker("Sender::send_blocking", "send(value).await");
        futures_lite::future::block_on(self.send(value))
    }
}

impl<T> Receiver<T> {
    /// Receives a value, blocking the thread until one is sent; `Err(RecvError)` once every
    /// sender is gone and the queue is empty. For plain threads and `spawn_blocking` closures;
    /// tasks use [`recv`](Receiver::recv)`.await`.
    ///
    /// # Panics
    /// On a worker thread of a sprout runtime (I1).
    ///
    /// ```
    /// sprout::run(async {
    ///     let (tx, rx) = sprout::sync::unbounded();
    ///     let worker = sprout::spawn_blocking(move || rx.recv_blocking());
    ///     tx.send("from a task").await.unwrap();
    ///     assert_eq!(worker.await.unwrap(), Ok("from a task"));
    /// });
    /// ```
    #[track_caller]
    pub fn recv_blocking(&self) -> Result<T, RecvError> {
        refuse_on_a_worker("Receiver::recv_blocking", "recv().await");
        futures_lite::future::block_on(self.recv())
    }
}

/// Panics (at the caller's line) if this thread is a sprout worker (I1).
#[track_caller]
fn refuse_on_a_worker(what: &str, instead: &str) {
    if context::current_worker_index().is_some() {
        panic!(
            "sprout::sync::{what} was called on a worker thread of a sprout runtime, where it \
             would block every task behind it: use `{instead}` in a task, or call it from \
             `spawn_blocking` or a plain thread"
        );
    }
}
