//! `spawn_local`: tasks whose futures are not `Send` and so never leave their worker thread.
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
//! Read next: `blocking.rs`.

use std::cell::RefCell;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe, Location};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Poll, Wake, Waker};
use std::thread::{self, ThreadId};

use super::context;
use super::dump::TaskKind;
use super::join::{JoinError, JoinHandle};
use super::lock::lock;
use super::probe;
use super::slab::Slab;
use super::task::{
    drop_caught, report_detached_panic, trace_cancelled, Header, Joinable, RunAction, Runnable,
    Schedulable,
};

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

/// The shareable half of a local task.
pub(crate) struct LocalCell<T> {
    /// State, identity and joiner.
    header: Header,
    /// The output, once the future finishes; taken by the `JoinHandle`.
    output: Mutex<Option<Result<T, JoinError>>>,
    /// The worker whose pinned queue this task goes on.
    owner: usize,
    /// The owner thread, checked before every poll (I1).
    thread: ThreadId,
    /// The key of the future in the owner's `LOCAL_FUTURES`.
    slot: usize,
}

/// Spawns a future that is not `Send` on the current worker; it is always polled on this thread.
///
/// The output must be `Send`, so the [`JoinHandle`] can travel to other tasks.
///
/// # Panics
/// When not called on a worker thread of a sprout runtime (inside `sprout::run`, `block_on`,
/// or a task).
///
/// ```
/// use std::rc::Rc;
/// sprout::run(async {
///     let shared = Rc::new(5); // Rc is not Send: `spawn` would refuse this future.
///     let handle = sprout::spawn_local(async move { *shared * 2 });
///     assert_eq!(handle.await.unwrap(), 10);
/// });
/// ```
#[track_caller]
pub fn spawn_local<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: Send + 'static,
{
    spawn_local_named(None, Location::caller(), future)
}

/// `spawn_local` with a name and an explicit spawn site (for `TaskBuilder`).
#[track_caller]
pub(crate) fn spawn_local_named<F>(
    name: Option<Box<str>>,
    site: &'static Location<'static>,
    future: F,
) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: Send + 'static,
{
    let shared = context::expect_shared("sprout::spawn_local");
    let Some(owner) = context::worker_index(&shared) else {
        panic!(
            "sprout::spawn_local was called on a blocking-pool thread: it needs a worker thread"
        );
    };
    LOCAL_FUTURES.with(|table| {
        let mut table = table.borrow_mut();
        let slot = table.next_key();
        let cell = shared.new_task(name, site, TaskKind::Local, None, |header| {
            Arc::new(LocalCell {
                header,
                output: Mutex::new(None),
                owner,
                thread: thread::current().id(),
                slot,
            })
        });
        let routed = cell.clone();
        let future: LocalFuture = Box::pin(async move {
            let output = future.await;
            *lock(&routed.output) = Some(Ok(output));
        });
        table.insert(LocalEntry {
            future: Some(future),
            cell: cell.clone(),
        });
        shared.schedule_pinned(owner, cell.clone());
        JoinHandle::new(cell)
    })
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

impl<T: Send + 'static> LocalCell<T> {
    /// Stores `result` unless the future already stored its output, then completes the task.
    fn finish(&self, result: Option<Result<T, JoinError>>) {
        let mut output = lock(&self.output);
        if let Some(result) = result {
            output.get_or_insert(result);
        }
        drop(output);
        self.header.scheduler.release(&self.header); // task I6
        if self.header.complete() {
            match lock(&self.output).take() {
                Some(Err(error)) => report_detached_panic(&error, &self.header.meta),
                unclaimed => drop_caught(unclaimed), // task.rs: no unwinding through a worker
            }
        }
    }
}

impl<T: Send + 'static> Schedulable for LocalCell<T> {
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
                trace_cancelled(&self.header);
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
                let polled = self.header.poll_once(&waker, |cx| future.as_mut().poll(cx));
                match polled {
                    Ok(Poll::Pending) => {
                        LOCAL_FUTURES.with(|table| {
                            if let Some(entry) = table.borrow_mut().get_mut(self.slot) {
                                entry.future = Some(future);
                            }
                        });
                        self.header.after_pending(self.clone());
                    }
                    Ok(Poll::Ready(())) => {
                        remove();
                        drop(future);
                        self.finish(None);
                        probe::run_ended(&self.header);
                    }
                    Err(payload) => {
                        remove();
                        let _ = catch_unwind(AssertUnwindSafe(move || drop(future)));
                        self.finish(Some(Err(JoinError::panic(id, payload))));
                        probe::run_ended(&self.header);
                    }
                }
            }
        }
    }

    fn schedule(self: Arc<Self>) {
        let scheduler = self.header.scheduler.clone();
        scheduler.schedule_pinned(self.owner, self);
    }

    fn shut_down(&self) {
        // The future itself is dropped by its owner thread (I1); here we only settle the handle.
        if !self.header.is_complete() {
            self.finish(Some(Err(JoinError::cancelled(self.header.id))));
        }
    }
}

impl<T: Send + 'static> Joinable<T> for LocalCell<T> {
    fn header(&self) -> &Header {
        &self.header
    }

    fn take_output(&self) -> Option<Result<T, JoinError>> {
        lock(&self.output).take()
    }

    fn runnable(self: Arc<Self>) -> Runnable {
        self
    }
}

impl<T: Send + 'static> Wake for LocalCell<T> {
    fn wake(self: Arc<Self>) {
        if self.header.wake_up_traced() {
            self.schedule();
        }
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if self.header.wake_up_traced() {
            self.clone().schedule();
        }
    }
}
