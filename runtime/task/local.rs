//! A `spawn_local` task: a future that is not `Send`, polled only on the thread that spawned it.
//!
//! Where it sits in the flow: the same as any task, but on a private track:
//!
//! ```text
//! spawn_local → [owner's pinned queue] → [poll on the owner thread] → Pending → waker parked → event → wake → [owner's pinned queue]
//! ```
//!
//! A local task is an ordinary [`TaskCell`](super::TaskCell): the same run, cancel and panic
//! code, the same state word. Two things differ, and both live here:
//! - its cell holds a [`LocalFuture`] instead of the future: a `Send` stand-in that knows where
//!   the real future lies (a slot of the owner thread's `LOCAL_FUTURES` table) and lends it out
//!   for each poll. The future itself never leaves the owner thread, so it needs no `Send`, and
//!   no `unsafe` is needed to keep it there;
//! - its scheduler is [`PinnedTo`] its owner worker: a wake-up pushes it onto that worker's
//!   pinned queue, which other workers do not steal from.
//!
//! Invariants:
//! - I1: a local future is polled and dropped only on its owner thread: it lives in that
//!   thread's `LOCAL_FUTURES`, and only code running on that thread takes it out. A stand-in
//!   dropped elsewhere (a runtime shut down from another thread) leaves the future to the
//!   owner, which drops it when its worker stops ([`drop_all_on_this_thread`]).
//! - I2: while a local future is being polled it is out of the table, so the future may itself
//!   call `spawn_local` (which inserts into the table) without a double borrow.
//!
//! Read next: `runtime/task/id.rs`.

use std::any::Any;
use std::cell::RefCell;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::thread::{self, ThreadId};

use super::{Header, Runnable, Schedule, TaskEvent, TaskId};
use crate::runtime::slab::Slab;

/// One slot of the table.
struct LocalEntry {
    /// The task's future, a `Pin<Box<F>>` seen as `Any` (the table holds futures of every
    /// type); `None` while lent out for a poll (I2).
    future: Option<Box<dyn Any>>,
    /// The task, to settle its handle when the thread drops its table.
    task: Runnable,
}

thread_local! {
    /// This thread's local futures (I1).
    static LOCAL_FUTURES: RefCell<Slab<LocalEntry>> = const { RefCell::new(Slab::new()) };
}

/// What a local task's cell holds in place of its future `F`: where `F` lies. It holds no `F`,
/// so it is `Send` whatever `F` is.
pub(crate) struct LocalFuture<F> {
    /// The future's key in the owner thread's table.
    slot: usize,
    /// The owner thread, checked before every poll (I1).
    owner_thread: ThreadId,
    /// The task's id: a slot freed and taken again by another task is not this one's.
    id: TaskId,
    /// The type of the future, for the downcast; `fn() -> F` keeps the stand-in `Send`.
    future_type: PhantomData<fn() -> F>,
}

/// The table key the next [`insert`] on this thread will use, for the new task's stand-in.
pub(crate) fn next_slot() -> usize {
    LOCAL_FUTURES.with(|table| table.borrow().next_key())
}

impl<F> LocalFuture<F> {
    /// The stand-in of task `id`, whose future will sit at `slot` ([`next_slot`]) of this
    /// thread's table.
    pub(crate) fn new(slot: usize, id: TaskId) -> LocalFuture<F> {
        LocalFuture {
            slot,
            owner_thread: thread::current().id(),
            id,
            future_type: PhantomData,
        }
    }
}

/// Puts `future` in this thread's table at the slot [`next_slot`] gave `task` (I1). No other
/// insert may come between the two calls.
pub(crate) fn insert<F: Future + 'static>(slot: usize, future: F, task: Runnable) {
    let future: Box<dyn Any> = Box::new(Box::pin(future));
    LOCAL_FUTURES.with(|table| {
        let mut table = table.borrow_mut();
        debug_assert_eq!(table.next_key(), slot, "a local slot was taken meanwhile");
        table.insert(LocalEntry {
            future: Some(future),
            task,
        });
    });
}

impl<F: Future + 'static> Future for LocalFuture<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        assert_eq!(
            thread::current().id(),
            self.owner_thread,
            "a spawn_local task was polled off its owner thread (I1)"
        );
        // Out of the table for the poll (I2); `Lent` puts it back, even if the poll panics, so
        // that the future is dropped only by `drop` below, where a panic is caught.
        let taken = LOCAL_FUTURES.with(|table| {
            let mut table = table.borrow_mut();
            table
                .get_mut(self.slot)
                .and_then(|entry| entry.future.take())
        });
        let mut lent = Lent {
            slot: self.slot,
            future: taken,
        };
        let future = lent
            .future
            .as_mut()
            .and_then(|future| future.downcast_mut::<Pin<Box<F>>>())
            .expect("a local future is in its slot between polls (I2)");
        future.as_mut().poll(cx)
    }
}

/// A local future lent out of the table for one poll; going back when this drops (I2).
struct Lent {
    slot: usize,
    future: Option<Box<dyn Any>>,
}

impl Drop for Lent {
    fn drop(&mut self) {
        LOCAL_FUTURES.with(|table| {
            if let Some(entry) = table.borrow_mut().get_mut(self.slot) {
                entry.future = self.future.take();
            }
        });
    }
}

impl<F> Drop for LocalFuture<F> {
    /// The task is done (finished, cancelled or shut down): its future goes too, if this is
    /// the owner thread (I1). A panic from its destructor goes up to whoever drops the stage,
    /// which catches it (`cell.rs`).
    fn drop(&mut self) {
        if thread::current().id() != self.owner_thread {
            return;
        }
        // `try_with`: while the thread exits, the table may be gone already (with the future).
        let entry = LOCAL_FUTURES.try_with(|table| {
            let mut table = table.borrow_mut();
            let ours = table
                .get(self.slot)
                .is_some_and(|entry| entry.task.header().id == self.id);
            ours.then(|| table.remove(self.slot)).flatten()
        });
        // Dropped outside the table's borrow: the future's destructor may call `spawn_local`.
        drop(entry);
    }
}

/// Drops every local future of this thread and completes their tasks as cancelled. Called when
/// `block_on` returns (worker 0) and when a worker thread exits.
pub(crate) fn drop_all_on_this_thread() {
    let entries = LOCAL_FUTURES.with(|table| table.borrow_mut().drain());
    for LocalEntry { future, task } in entries {
        let _ = catch_unwind(AssertUnwindSafe(move || drop(future)));
        task.shut_down();
    }
}

/// The scheduler of a local task: its runtime's `S`, except that a wake-up goes to the owner
/// worker's pinned queue.
pub(crate) struct PinnedTo<S> {
    /// The owner worker's index.
    owner: usize,
    /// The runtime.
    scheduler: Arc<S>,
}

impl<S> PinnedTo<S> {
    /// Pins the tasks it schedules to worker `owner` of `scheduler`.
    pub(crate) fn new(owner: usize, scheduler: Arc<S>) -> Arc<PinnedTo<S>> {
        Arc::new(PinnedTo { owner, scheduler })
    }
}

impl<S: Schedule> Schedule for PinnedTo<S> {
    fn schedule(&self, task: Runnable) {
        self.scheduler.schedule_pinned(self.owner, task);
    }

    fn schedule_yielded(&self, task: Runnable) {
        // Deferred on the worker that polled it, its owner, which puts it back on its pinned
        // queue (`Shared::requeue_deferred`).
        self.scheduler.schedule_yielded(task);
    }

    fn schedule_pinned(&self, owner: usize, task: Runnable) {
        self.scheduler.schedule_pinned(owner, task);
    }

    fn release(&self, header: &Header) {
        self.scheduler.release(header);
    }

    fn observe(&self, header: &Header, event: TaskEvent) {
        self.scheduler.observe(header, event);
    }
}
