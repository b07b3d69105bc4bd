//! `sprout::sync`: primitives for tasks to wait on each other, built from wakers alone.
//!
//! Where it sits in the flow: these are parking places for wakers, like the reactor, except that
//! another task ends the wait instead of the kernel:
//!
//! ```text
//! spawn → run queue → poll → Pending → [waker parked in a sync primitive] → another task acts → [wake] → run queue → poll
//! ```
//!
//! | sprout                      | gevent                         | file            |
//! |-----------------------------|--------------------------------|-----------------|
//! | [`Event`]                   | `gevent.event.Event`           | `event.rs`      |
//! | [`channel()`], [`unbounded`] | `gevent.queue.Queue`           | `channel/`      |
//! | [`broadcast::channel`]      | (a chat room's fan-out)        | `broadcast.rs`  |
//! | [`oneshot()`]               | `gevent.event.AsyncResult`     | `oneshot.rs`    |
//! | [`Semaphore`]               | `gevent.lock.Semaphore`, `Pool`| `semaphore.rs`  |
//!
//! Each keeps its state and a `WaitList` (`runtime/wait_list.rs`) of parked wakers under one `Mutex`, and
//! wakes after unlocking. None of them blocks a thread.
//!
//! Read next: `runtime/wait_list.rs`.

pub mod broadcast;
mod channel;
mod event;
mod oneshot;
mod semaphore;

pub use channel::{
    channel, unbounded, Receiver, RecvError, RecvFuture, SendError, SendFuture, Sender,
    TryRecvError, TrySendError,
};
pub use event::{Event, EventWait};
pub use oneshot::{oneshot, OneshotReceiver, OneshotSender};
pub use semaphore::{Acquire, OwnedSemaphorePermit, Semaphore, SemaphorePermit};
