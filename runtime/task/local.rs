//! The cell of a `spawn_local` task: tasks whose futures are not `Send` and so never leave their worker thread.
//!
//! Where it sits in the flow: the same as any task, but on a private track:
//!
//! ```text
//! spawn_local → [owner's pinned queue] → [poll on the owner thread] → Pending → waker parked → event → wake → [owner's pinned queue]
//! ```
//!
//! The future itself is kept in a thread-local table on the owner thread, so it is never shared
//! and needs no `Send`. What other threads see is a [`LocalCell`]: the header, the output, and
//! the table key. Its waker is `Send` (it holds no future), and waking it pushes the cell onto
//! the owner's pinned queue, which other workers do not steal from. No `unsafe` is needed.
//!
//! Invariants:
//! - I1: a local future is polled and dropped only on its owner thread: it lives in that
//!   thread's `LOCAL_FUTURES` and is only ever taken out by code running on that thread.
//! - I2: while a local future is being polled it is taken out of the table, so the future may
//!   itself call `spawn_local` (which inserts into the table) without a double borrow.
//!
//! Read next: `runtime/task/id.rs`.

use std::cell::RefCell;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Poll, Wake, Waker};
use std::thread::{self, ThreadId};

use super::{
    drop_caught, report_detached_panic, Header, JoinError, Joinable, RunAction, Runnable,
    Schedulable, Schedule, TaskEvent,
};
use crate::runtime::lock::lock;
use crate::runtime::slab::Slab;

/// A local future, boxed and with its output already routed into its cell.
type LocalFuture = Pin<Box<dyn Future<Output = ()>>>;

/// One slot of the table: the future (absent while being polled, I2) and its cell.
struct LocalEntry {
    /// The future; `None` while the owner polls it.
    future: Option<LocalFuture>,
    /// The cell, to complete it as cancelled if the table is cleared.
    cell: Runnable,
}

thread_local! {
    /// This thread's local futures (I1).
    static LOCAL_FUTURES: RefCell<Slab<LocalEntry>> = const { RefCell::new(Slab::new()) };
}

/// The shareable half of a local task, run by scheduler `S` (as in `TaskCell`).
pub(crate) struct LocalCell<T, S> {
    /// State, identity and joiner.
    header: Header,
    /// The runtime the task belongs to.
    scheduler: Arc<S>,
    /// The output, once the future finishes; taken by the `JoinHandle`.
    output: Mutex<Option<Result<T, JoinError>>>,
    /// The worker whose pinned queue this task goes on.
    owner: usize,
    /// The owner thread, checked before every poll (I1).
    thread: ThreadId,
    /// The key of the future in the owner's `LOCAL_FUTURES`.
    slot: usize,
}

/// The table key the next [`insert`] on this thread will use: the new task's `slot`.
pub(crate) fn next_slot() -> usize {
    LOCAL_FUTURES.with(|table| table.borrow().next_key())
}

impl<T: Send + 'static, S: Schedule> LocalCell<T, S> {
    /// The shareable half of a new local task of `scheduler` owned by worker `owner` (this
    /// thread), whose future will sit at `slot` ([`next_slot`]).
    pub(crate) fn new(header: Header, scheduler: Arc<S>, owner: usize, slot: usize) -> Arc<Self> {
        Arc::new(LocalCell {
            header,
            scheduler,
            output: Mutex::new(None),
            owner,
            thread: thread::current().id(),
            slot,
        })
    }
}

/// Puts `future` in this thread's table as the future of `cell`, its output routed into the
/// cell (I1). No other insert may come between [`next_slot`] and this call.
pub(crate) fn insert<F, S>(cell: &Arc<LocalCell<F::Output, S>>, future: F)
where
    F: Future + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    let routed = cell.clone();
    let future: LocalFuture = Box::pin(async move {
        let output = future.await;
        *lock(&routed.output) = Some(Ok(output));
    });
    LOCAL_FUTURES.with(|table| {
        let mut table = table.borrow_mut();
        debug_assert_eq!(
            table.next_key(),
            cell.slot,
            "a local slot was taken meanwhile"
        );
        table.insert(LocalEntry {
            future: Some(future),
            cell: cell.clone(),
        });
    });
}

/// Drops every local future of this thread and completes their tasks as cancelled. Called when
/// `block_on` returns (worker 0) and when a worker thread exits.
pub(crate) fn drop_all_on_this_thread() {
    let entries = LOCAL_FUTURES.with(|table| table.borrow_mut().drain());
    for entry in entries {
        let _ = catch_unwind(AssertUnwindSafe(move || drop(entry.future)));
        entry.cell.shut_down();
    }
}

impl<T: Send + 'static, S: Schedule> LocalCell<T, S> {
    /// Stores `result` unless the future already stored its output, then completes the task.
    fn finish(&self, result: Option<Result<T, JoinError>>) {
        let mut output = lock(&self.output);
        if let Some(result) = result {
            output.get_or_insert(result);
        }
        drop(output);
        self.scheduler.release(&self.header); // task I6
        if self.header.complete() {
            match lock(&self.output).take() {
                Some(Err(error)) => report_detached_panic(&error, &self.header.meta),
                unclaimed => drop_caught(unclaimed), // task/cell.rs: no unwinding through a worker
            }
        }
    }
}

impl<T: Send + 'static, S: Schedule> Schedulable for LocalCell<T, S> {
    fn header(&self) -> &Header {
        &self.header
    }

    fn run(self: Arc<Self>) {
        assert_eq!(
            thread::current().id(),
            self.thread,
            "a spawn_local task was run off its owner thread (I1)"
        );
        let id = self.header.id;
        let taken = || {
            LOCAL_FUTURES.with(|table| {
                let mut table = table.borrow_mut();
                table
                    .get_mut(self.slot)
                    .and_then(|entry| entry.future.take())
            })
        };
        let remove = || LOCAL_FUTURES.with(|table| table.borrow_mut().remove(self.slot));
        match self.header.start_run() {
            RunAction::Skip => {}
            RunAction::Cancel => {
                self.header
                    .observe(&*self.scheduler, TaskEvent::CancelledDropped);
                let entry = remove();
                let dropped = catch_unwind(AssertUnwindSafe(move || drop(entry)));
                let error = match dropped {
                    Err(payload) => JoinError::panic(id, payload),
                    Ok(()) => JoinError::cancelled(id),
                };
                self.finish(Some(Err(error)));
            }
            RunAction::Poll => {
                let Some(mut future) = taken() else { return };
                let waker = Waker::from(self.clone());
                let polled = self
                    .header
                    .poll_once(&*self.scheduler, &waker, |cx| future.as_mut().poll(cx));
                match polled {
                    Ok(Poll::Pending) => {
                        LOCAL_FUTURES.with(|table| {
                            if let Some(entry) = table.borrow_mut().get_mut(self.slot) {
                                entry.future = Some(future);
                            }
                        });
                        if self.header.after_pending(&*self.scheduler) {
                            self.scheduler.schedule_yielded(self.clone());
                        }
                    }
                    Ok(Poll::Ready(())) => {
                        remove();
                        drop(future);
                        self.finish(None);
                        self.header.observe(&*self.scheduler, TaskEvent::RunEnded);
                    }
                    Err(payload) => {
                        remove();
                        let _ = catch_unwind(AssertUnwindSafe(move || drop(future)));
                        self.finish(Some(Err(JoinError::panic(id, payload))));
                        self.header.observe(&*self.scheduler, TaskEvent::RunEnded);
                    }
                }
            }
        }
    }

    fn schedule(self: Arc<Self>) {
        // As `TaskCell::schedule`: a second reference to the task, not to the shared scheduler.
        self.scheduler.schedule_pinned(self.owner, self.clone());
    }

    fn shut_down(&self) {
        // The future itself is dropped by its owner thread (I1); here we only settle the handle.
        if !self.header.is_complete() {
            self.finish(Some(Err(JoinError::cancelled(self.header.id))));
        }
    }
}

impl<T: Send + 'static, S: Schedule> Joinable<T> for LocalCell<T, S> {
    fn header(&self) -> &Header {
        &self.header
    }

    fn observe(&self, event: TaskEvent) {
        self.header.observe(&*self.scheduler, event);
    }

    fn take_output(&self) -> Option<Result<T, JoinError>> {
        lock(&self.output).take()
    }

    fn runnable(self: Arc<Self>) -> Runnable {
        self
    }
}

impl<T: Send + 'static, S: Schedule> Wake for LocalCell<T, S> {
    fn wake(self: Arc<Self>) {
        if self.header.wake_up_observed(&*self.scheduler) {
            self.schedule();
        }
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if self.header.wake_up_observed(&*self.scheduler) {
            self.scheduler.schedule_pinned(self.owner, self.clone());
        }
    }
}
