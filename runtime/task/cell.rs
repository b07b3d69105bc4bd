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
//! The future lives inline in the cell, so a task is one allocation (the `Arc`'s). Polling
//! needs it pinned, and std can pin a value in place only through `unsafe`
//! (`Pin::new_unchecked`, in [`Stage::future`]). The stage has no lock of its own either: the
//! state word already says who may touch it, so it lies in an `UnsafeCell`, reached through
//! [`TaskCell::stage`] (an `unsafe` dereference) and shared across threads by an
//! `unsafe impl Sync`. Those are the module's three `unsafe` items. What makes them sound:
//! - cell I1: once the cell is in its `Arc`, the future never moves until it is dropped. The
//!   `Arc`'s allocation never moves; the stage leaves `Running` only by being assigned over
//!   ([`drop_future`]), which drops the future where it lies (and still leaves `Consumed` if a
//!   destructor panics); the only move out of a stage ([`Stage::take_result`]) moves a
//!   finished result, never a future.
//! - cell I2: one thread at a time holds the stage, and the state word says which: the worker
//!   whose `start_run` moved `SCHEDULED` to `RUNNING` (task I2), until its run ends; shutdown,
//!   once `claim_for_shutdown` set `RUNNING` on a task nobody runs (`start_run` then skips
//!   it); and after `COMPLETE`, the single owner of the output that task I5 picks (the
//!   `JoinHandle`, or the worker when the task is detached). Each holder lets go of the stage
//!   before the atomic step that lets the next one in (`finish_pending`, `complete`), whose
//!   release ordering publishes what it wrote.
//!
//! Why no `Mutex`, when one is never contended: its lock and unlock are two atomic
//! read-modify-writes on every poll, and its 8 bytes would move a trivial task into a larger
//! malloc chunk (chapter 12, "What each structure buys", has what it cost).
//!
//! `tests/task_inline.rs` checks I1 from outside: a `!Unpin` future records its address at every
//! poll and in its destructor, on each way a task can end, and every output is taken once.
//! I2 is model-checked: `tests/loom/task_model.rs` builds this module on loom's `UnsafeCell`, which
//! reports any two threads touching the stage without an ordering between them; its
//! `shutdown_racing_the_run_drops_the_future_once` fails that way if `claim_for_shutdown`
//! ignores `RUNNING` or `start_run` ignores a claim.
//!
//! Read next: `runtime/task/poll.rs`.

use std::any::Any;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Poll, Wake, Waker};

use super::{
    drop_caught, report_detached_panic, start_access, Access, Cause, Header, JoinError, Joinable,
    RunAction, Runnable, Schedulable, Schedule, TaskEvent, UnsafeCell,
};

/// Where a future is in its life.
pub(crate) enum Stage<F: Future> {
    /// Not finished: the future itself, inline in the task's allocation; pinned there from its
    /// first poll on (cell I1).
    Running(F),
    /// Finished: the output, or why there is none (the `JoinError` without the id, which the
    /// header holds).
    Finished(Result<F::Output, Cause>),
    /// The output was handed to the joiner, or dropped.
    Consumed,
}

/// A spawned `Send` future together with its header: the allocation behind a task's `Arc`.
/// `S` is the scheduler that runs it: one type for all tasks of the runtime (the model checker
/// puts its own), so its calls are direct and a task holds a thin 8-byte pointer to it.
pub(crate) struct TaskCell<F: Future, S> {
    /// State, identity and joiner (see [`Header`]).
    header: Header,
    /// The runtime the task belongs to; wake-ups push onto its queues.
    scheduler: Arc<S>,
    /// The future or its output. No lock: the state word says who may touch it (cell I2), and
    /// [`TaskCell::stage`] is the one way in.
    stage: UnsafeCell<Stage<F>>,
}

// A worker, the joiner and shutdown reach the cell from different threads.
#[allow(unsafe_code)]
// SAFETY: the only field that is not `Sync` by itself is the stage's `UnsafeCell` (the
// scheduler is, as `Schedule` requires), and cell I2 gives the stage to one thread at a time,
// as a `Mutex` would; so, as for `Mutex<T>: Sync`, the future and its output need only `Send`.
unsafe impl<F, S> Sync for TaskCell<F, S>
where
    F: Future + Send,
    F::Output: Send,
    S: Schedule,
{
}

/// The stage, lent to the one thread that holds it (cell I2). Under loom it also carries
/// loom's record of the access, so the checker sees every use of the stage and reports two
/// threads at once.
struct StageGuard<'a, F: Future> {
    stage: &'a mut Stage<F>,
    _access: Access<Stage<F>>,
}

impl<F: Future> StageGuard<'_, F> {
    /// Ends the hold here, before the state-word step that lets the next holder in (cell I2).
    fn release(self) {}
}

impl<F: Future> std::ops::Deref for StageGuard<'_, F> {
    type Target = Stage<F>;
    fn deref(&self) -> &Stage<F> {
        self.stage
    }
}

impl<F: Future> std::ops::DerefMut for StageGuard<'_, F> {
    fn deref_mut(&mut self) -> &mut Stage<F> {
        self.stage
    }
}

impl<F: Future> Stage<F> {
    /// The future, pinned where it lies, while the task is running.
    fn future(&mut self) -> Option<Pin<&mut F>> {
        match self {
            // The stage lies in a `TaskCell`, which only `TaskCell::new` makes, inside an `Arc`
            // whose allocation never moves.
            #[allow(unsafe_code)]
            // SAFETY: cell I1 (module doc): the stage leaves `Running` only through `drop_future`,
            // which drops the future in place, and `take_result` moves only finished results;
            // so the future never moves again before its destructor runs, as `Pin` requires.
            Stage::Running(future) => Some(unsafe { Pin::new_unchecked(future) }),
            Stage::Finished(_) | Stage::Consumed => None,
        }
    }

    /// Takes the finished result out, leaving `Consumed`; `None`, and nothing moved, if the
    /// stage holds no result (a future still running must stay where it is: cell I1).
    fn take_result(&mut self) -> Option<Result<F::Output, Cause>> {
        match self {
            Stage::Finished(_) => match std::mem::replace(self, Stage::Consumed) {
                Stage::Finished(result) => Some(result),
                Stage::Running(_) | Stage::Consumed => None,
            },
            Stage::Running(_) | Stage::Consumed => None,
        }
    }
}

impl<F, S> TaskCell<F, S>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    /// Wraps `future` as a new task of `scheduler`, in one allocation; the caller registers it
    /// and pushes it onto a run queue.
    pub(crate) fn new(header: Header, scheduler: Arc<S>, future: F) -> Arc<Self> {
        Arc::new(TaskCell {
            header,
            scheduler,
            stage: UnsafeCell::new(Stage::Running(future)),
        })
    }

    /// The stage, for a caller that holds it by the state word (cell I2). The callers: `run`
    /// (after `start_run` said poll or cancel), `shut_down` (after `claim_for_shutdown`),
    /// `finish` for a detached task (after `complete` said the output is ours), and
    /// `take_output` (the `JoinHandle`, after it saw `COMPLETE`, so the output's one owner by
    /// task I5), each ending the guard before the state word lets anyone else in.
    fn stage(&self) -> StageGuard<'_, F> {
        let (raw, access) = start_access(&self.stage);
        #[allow(unsafe_code)]
        // SAFETY: cell I2: the state word lends the stage to one thread at a time (the list
        // above), every caller is that thread, and it drops the guard before the next one in.
        let stage = unsafe { &mut *raw };
        StageGuard {
            stage,
            _access: access,
        }
    }

    // ANCHOR: task_end
    /// After a poll that returned `Ready` (`Ok(output)`) or panicked (`Err(payload)`): drops the
    /// future, stores the result, completes the task. The future is dropped before its output is
    /// stored, and its destructor may panic: caught, like a panic in `poll`, and delivered as
    /// the task's `JoinError` (the output then goes too). After a panic in `poll` the future may
    /// be in any state; its destructors' panics are caught as well, and the first payload kept.
    fn end(&self, mut stage: StageGuard<'_, F>, polled: Result<F::Output, Panic>) {
        let dropped = drop_future(&mut stage);
        let result = match (polled, dropped) {
            (Ok(output), None) => Ok(output),
            (Ok(output), Some(payload)) => {
                drop_caught(output);
                Err(Cause::panic(payload))
            }
            (Err(payload), _) => Err(Cause::panic(payload)),
        };
        self.finish(stage, result);
        self.header.observe(&*self.scheduler, TaskEvent::RunEnded);
    }
    // ANCHOR_END: task_end

    /// A cancelled task's turn: drops the future unpolled (its destructors run, their panic
    /// caught) and completes the task as cancelled, or as panicked if a destructor panicked.
    fn cancel_now(&self, mut stage: StageGuard<'_, F>) {
        self.header
            .observe(&*self.scheduler, TaskEvent::CancelledDropped);
        let error = match drop_future(&mut stage) {
            Some(payload) => Cause::panic(payload),
            None => Cause::Cancelled,
        };
        self.finish(stage, Err(error));
    }

    /// Stores the final result, completes the task, and drops the result if nobody will
    /// collect it (I5), reporting a panic of a detached task the way gevent prints a traceback.
    fn finish(&self, mut stage: StageGuard<'_, F>, result: Result<F::Output, Cause>) {
        *stage = Stage::Finished(result);
        stage.release(); // Before `complete` lets the joiner in (cell I2).
        self.scheduler.release(&self.header); // I6
        if self.header.complete() {
            let unclaimed = self.stage().take_result();
            match unclaimed {
                Some(Err(cause)) => {
                    let error = JoinError::new(self.header.id, cause);
                    report_detached_panic(&error, &self.header.meta);
                }
                // Nobody will take the output: drop it here, where a panicking destructor must
                // not unwind through the worker.
                other => drop_caught(other),
            }
        }
    }
}

impl<F, S> Schedulable for TaskCell<F, S>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
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
        let mut stage = self.stage();
        let Some(mut future) = stage.future() else {
            // Unreachable by I4: a task whose stage moved on is COMPLETE and was skipped above.
            return;
        };
        if action == RunAction::Cancel {
            return self.cancel_now(stage);
        }
        let waker = Waker::from(self.clone());
        let polled = self
            .header
            .poll_once(&*self.scheduler, &waker, |cx| future.as_mut().poll(cx));
        match polled {
            Ok(Poll::Pending) => {
                stage.release();
                if self.header.after_pending(&*self.scheduler) {
                    self.scheduler.schedule_yielded(self.clone());
                }
            }
            Ok(Poll::Ready(output)) => self.end(stage, Ok(output)),
            Err(payload) => self.end(stage, Err(payload)),
        }
    }
    // ANCHOR_END: task_run

    fn schedule(self: Arc<Self>) {
        // A second reference to the task goes into the queue and this one is let go: `self`
        // cannot move into the queue while the scheduler is borrowed through it, and the task's
        // count is its own, where the scheduler's is shared by every task on every worker.
        self.scheduler.schedule(self.clone());
    }

    fn shut_down(&self) {
        // A task being polled right now can only be a blocking job on a pool thread (workers
        // are stopped first), which completes on its own; a completed one is left alone.
        if !self.header.claim_for_shutdown() {
            return;
        }
        let mut stage = self.stage();
        let _ = drop_future(&mut stage);
        self.finish(stage, Err(Cause::Cancelled));
    }
}

impl<F, S> Joinable<F::Output> for TaskCell<F, S>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    fn header(&self) -> &Header {
        &self.header
    }

    fn observe(&self, event: TaskEvent) {
        self.header.observe(&*self.scheduler, event);
    }

    fn take_output(&self) -> Option<Result<F::Output, JoinError>> {
        debug_assert!(
            self.header.is_complete(),
            "cell I2: the output is taken after COMPLETE"
        );
        let result = self.stage().take_result()?;
        Some(result.map_err(|cause| JoinError::new(self.header.id, cause)))
    }

    fn runnable(self: Arc<Self>) -> Runnable {
        self
    }
}

impl<F, S> Wake for TaskCell<F, S>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    fn wake(self: Arc<Self>) {
        if self.header.wake_up_observed(&*self.scheduler) {
            self.schedule();
        }
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if self.header.wake_up_observed(&*self.scheduler) {
            self.scheduler.schedule(self.clone());
        }
    }
}

/// The payload of a caught panic.
type Panic = Box<dyn Any + Send>;

/// Drops the future held in `stage` where it lies (cell I1), leaving `Consumed`, and catches a
/// panic from its destructors. Returns that panic's payload, if there was one.
///
/// An assignment drops the old value in place, and writes the new one even when that drop
/// unwinds; so the stage is `Consumed` afterwards either way, and never holds a half-dropped
/// future.
fn drop_future<F: Future>(stage: &mut Stage<F>) -> Option<Panic> {
    catch_unwind(AssertUnwindSafe(|| *stage = Stage::Consumed)).err()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pending task's allocation (the `Arc`'s two counts plus the cell) stays within 88
    /// bytes, and a task with a `u64` output within 104: glibc serves up to 88 bytes from a
    /// 96-byte chunk and up to 104 from a 112-byte one, and the chunk is most of what a pending
    /// task costs (chapter 12, "The runtime core").
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn a_trivial_task_fits_a_96_byte_chunk() {
        let arc_counts = 2 * std::mem::size_of::<usize>();
        let pending = arc_counts + std::mem::size_of::<TaskCell<std::future::Pending<()>, ()>>();
        assert!(pending <= 88, "a pending task takes {pending} bytes");
        let ready = arc_counts + std::mem::size_of::<TaskCell<std::future::Ready<u64>, ()>>();
        assert!(ready <= 104, "a task with a u64 output takes {ready} bytes");
    }
}
