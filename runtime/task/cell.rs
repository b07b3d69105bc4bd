//! A spawned `Send` future beside its header, in one `Arc`: the [`TaskCell`] that a run queue
//! holds, a waker points at, and a `JoinHandle` awaits.
//!
//! Where it sits in the flow:
//!
//! ```text
//! spawn → run queue → [poll: TaskCell::run] → Pending → waker parked in reactor → epoll event → [wake] → run queue → poll
//! ```
//!
//! `run` is the worker's side of the state word (`task/mod.rs`): start the run, poll once
//! through `Header::poll_once`, then either end the run (`Pending`), or store the output and
//! complete (`Ready`, a panic, a cancellation). The invariants it keeps are task I2–I5.
//!
//! Read next: `runtime/task/poll.rs`.

use std::any::Any;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Poll, Wake, Waker};

#[cfg(loom)]
use loom::sync::{Mutex, MutexGuard};
#[cfg(not(loom))]
use std::sync::{Mutex, MutexGuard};

use super::{
    lock, Header, JoinError, Joinable, RunAction, Runnable, Schedulable, TaskEvent, TaskMeta,
};

/// Where a future is in its life.
pub(crate) enum Stage<F: Future> {
    /// Not finished: the future, pinned in its own allocation.
    ///
    /// Production note: tokio and async-task put the future in the same allocation as the
    /// header and poll it through raw pointers. The extra `Box` here keeps the task free of
    /// `unsafe`; docs/ and the benchmark note say what it costs.
    Running(Pin<Box<F>>),
    /// Finished: the output, or why there is none.
    Finished(Result<F::Output, JoinError>),
    /// The output was handed to the joiner, or dropped.
    Consumed,
}

/// A spawned `Send` future together with its header: the allocation behind a task's `Arc`.
pub(crate) struct TaskCell<F: Future> {
    /// State, identity and joiner (see [`Header`]).
    header: Header,
    /// The future or its output. Locked only by the polling worker (I2), the joiner after
    /// `COMPLETE`, and shutdown.
    stage: Mutex<Stage<F>>,
}

impl<F> TaskCell<F>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    /// Wraps `future` as a new task; the caller registers it and pushes it onto a run queue.
    pub(crate) fn new(header: Header, future: F) -> Arc<Self> {
        Arc::new(TaskCell {
            header,
            stage: Mutex::new(Stage::Running(Box::pin(future))),
        })
    }

    // ANCHOR: task_end
    /// After a poll that returned `Ready` (`Ok(output)`) or panicked (`Err(payload)`): drops the
    /// future, stores the result, completes the task. The future is dropped before its output is
    /// stored, and its destructor may panic: caught, like a panic in `poll`, and delivered as
    /// the task's `JoinError` (the output then goes too). After a panic in `poll` the future may
    /// be in any state; its destructors' panics are caught as well, and the first payload kept.
    fn end(&self, mut stage: MutexGuard<'_, Stage<F>>, polled: Result<F::Output, Panic>) {
        let dropped = drop_future(&mut stage);
        let result = match (polled, dropped) {
            (Ok(output), None) => Ok(output),
            (Ok(output), Some(payload)) => {
                drop_caught(output);
                Err(JoinError::panic(self.header.id, payload))
            }
            (Err(payload), _) => Err(JoinError::panic(self.header.id, payload)),
        };
        self.finish(stage, result);
        self.header.observe(TaskEvent::RunEnded);
    }
    // ANCHOR_END: task_end

    /// A cancelled task's turn: drops the future unpolled (its destructors run, their panic
    /// caught) and completes the task as cancelled, or as panicked if a destructor panicked.
    fn cancel_now(&self, mut stage: MutexGuard<'_, Stage<F>>) {
        self.header.observe(TaskEvent::CancelledDropped);
        let error = match drop_future(&mut stage) {
            Some(payload) => JoinError::panic(self.header.id, payload),
            None => JoinError::cancelled(self.header.id),
        };
        self.finish(stage, Err(error));
    }

    /// Stores the final result, completes the task, and drops the result if nobody will
    /// collect it (I5), reporting a panic of a detached task the way gevent prints a traceback.
    fn finish(&self, mut stage: MutexGuard<'_, Stage<F>>, result: Result<F::Output, JoinError>) {
        *stage = Stage::Finished(result);
        drop(stage);
        self.header.scheduler.release(&self.header); // I6
        if self.header.complete() {
            let unclaimed = std::mem::replace(&mut *lock(&self.stage), Stage::Consumed);
            match unclaimed {
                Stage::Finished(Err(error)) => report_detached_panic(&error, &self.header.meta),
                // Nobody will take the output: drop it here, where a panicking destructor must
                // not unwind through the worker.
                other => drop_caught(other),
            }
        }
    }
}

impl<F> Schedulable for TaskCell<F>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn header(&self) -> &Header {
        &self.header
    }

    // ANCHOR: task_run
    fn run(self: Arc<Self>) {
        let action = self.header.start_run();
        if action == RunAction::Skip {
            return;
        }
        let mut stage = lock(&self.stage);
        let Stage::Running(future) = &mut *stage else {
            // Unreachable by I4: a task whose stage moved on is COMPLETE and was skipped above.
            return;
        };
        if action == RunAction::Cancel {
            return self.cancel_now(stage);
        }
        let waker = Waker::from(self.clone());
        match self.header.poll_once(&waker, |cx| future.as_mut().poll(cx)) {
            Ok(Poll::Pending) => {
                drop(stage);
                self.header.after_pending(self.clone());
            }
            Ok(Poll::Ready(output)) => self.end(stage, Ok(output)),
            Err(payload) => self.end(stage, Err(payload)),
        }
    }
    // ANCHOR_END: task_run

    fn schedule(self: Arc<Self>) {
        let scheduler = self.header.scheduler.clone();
        scheduler.schedule(self);
    }

    fn shut_down(&self) {
        // A poll in progress holds the stage lock; that can only be a blocking job on a pool
        // thread (workers are stopped first), which completes on its own.
        let Ok(mut stage) = self.stage.try_lock() else {
            return;
        };
        if let Stage::Running(_) = &*stage {
            let _ = drop_future(&mut stage);
            self.finish(stage, Err(JoinError::cancelled(self.header.id)));
        }
    }
}

impl<F> Joinable<F::Output> for TaskCell<F>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn header(&self) -> &Header {
        &self.header
    }

    fn take_output(&self) -> Option<Result<F::Output, JoinError>> {
        match std::mem::replace(&mut *lock(&self.stage), Stage::Consumed) {
            Stage::Finished(result) => Some(result),
            Stage::Running(_) | Stage::Consumed => None,
        }
    }

    fn runnable(self: Arc<Self>) -> Runnable {
        self
    }
}

impl<F> Wake for TaskCell<F>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn wake(self: Arc<Self>) {
        if self.header.wake_up_observed() {
            self.schedule();
        }
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if self.header.wake_up_observed() {
            self.clone().schedule();
        }
    }
}

/// The payload of a caught panic.
type Panic = Box<dyn Any + Send>;

/// Drops the future held in `stage` (leaving `Consumed`), catching a panic from its destructors.
/// Returns that panic's payload, if there was one.
fn drop_future<F: Future>(stage: &mut Stage<F>) -> Option<Panic> {
    let future = std::mem::replace(stage, Stage::Consumed);
    catch_unwind(AssertUnwindSafe(move || drop(future))).err()
}

/// Drops `value`, catching a panic from its destructor: on a worker, user destructors must not
/// unwind through the runtime. The panic has been reported by the panic hook already.
pub(crate) fn drop_caught<T>(value: T) {
    let _ = catch_unwind(AssertUnwindSafe(move || drop(value)));
}

/// Prints a line on stderr for a detached task that panicked; nobody else will see the error.
pub(crate) fn report_detached_panic(error: &JoinError, meta: &TaskMeta) {
    if error.is_panic() {
        let name = meta
            .name()
            .map_or_else(String::new, |name| format!(" {name:?}"));
        eprintln!(
            "sprout: detached {error} (task{name}, spawned at {})",
            meta.spawned_at()
        );
    }
}

/// The message inside a panic payload, when it is a string (as `panic!` makes it).
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(text) = payload.downcast_ref::<&'static str>() {
        text
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text
    } else {
        "a non-string panic payload"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A trivial task's allocation (the `Arc`'s two counts plus the cell) stays within 136
    /// bytes, the largest request glibc serves from its fast bins. Crossing it (by 40 bytes of
    /// instrumentation) made spawn-and-join of a million tasks 0.7x as fast: freed chunks went
    /// through the slower unsorted bins. See task/meta.rs's module doc.
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn a_trivial_task_fits_in_a_fast_bin() {
        let arc_counts = 2 * std::mem::size_of::<usize>();
        let cell = std::mem::size_of::<TaskCell<std::future::Ready<u64>>>();
        assert!(
            arc_counts + cell <= 136,
            "a trivial task takes {} bytes",
            arc_counts + cell
        );
    }
}
