//! The interfaces between a task and the rest of the runtime, all defined here on the task's
//! side: [`Schedule`] (what a task asks of its scheduler), [`Schedulable`] (what a run queue
//! holds), [`Joinable`] (what a `JoinHandle` sees), and [`TaskEvent`] (what a task reports to
//! whoever watches).
//!
//! Where it sits in the flow: at the two hand-overs of a task, queue to worker and waker to
//! queue.
//!
//! ```text
//! spawn → [run queue: Schedulable::run] → poll → Pending → waker parked → epoll event → [wake: Schedule::schedule] → run queue
//! ```
//!
//! Read next: `runtime/task/cell.rs`.

use std::sync::Arc;

use super::{Header, JoinError, PollOutcome};

/// What a task needs from the runtime that runs it. The task module defines it and the
/// scheduler implements it (`scheduler/mod.rs`), so this module never names its scheduler: a
/// task can be run, and tested, with any implementation (`tests/loom/task_model.rs` does). A task's
/// cell is generic over it rather than holding an `Arc<dyn Schedule>`: the runtime has one
/// scheduler type, so the calls are direct, and the task's pointer to it is 8 bytes, not 16.
pub(crate) trait Schedule: Send + Sync + 'static {
    /// Pushes a woken task onto a run queue (on a worker: its LIFO slot; elsewhere: the
    /// injector). Called only by whoever won the right to push (I1).
    fn schedule(&self, task: Runnable);
    /// Pushes a task that woke itself during its poll: deferred until the reactor was polled.
    fn schedule_yielded(&self, task: Runnable);
    /// Pushes a woken `spawn_local` task onto its owner worker's pinned queue.
    fn schedule_pinned(&self, owner: usize, task: Runnable);
    /// The task stored its result: it leaves the registry of live tasks (I6).
    fn release(&self, header: &Header);
    /// Reports an event of this task's life to whoever watches the runtime. Called only when
    /// the task's `TaskMeta::observed` says someone does (hooks I1).
    fn observe(&self, header: &Header, event: TaskEvent);
}

/// What a task reports about itself through [`Schedule::observe`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TaskEvent {
    /// It was woken; `must_push` if this wake-up queues it (it was neither queued nor running).
    Woken {
        /// `true` if the waker pushes it onto a run queue.
        must_push: bool,
    },
    /// A poll begins (the `poll`-th, counting from 1).
    PollStarted {
        /// The poll's number.
        poll: u32,
    },
    /// That poll returned.
    PollEnded(PollOutcome),
    /// The worker is done with the task's turn, after whatever its poll's ending woke.
    RunEnded,
    /// `JoinHandle::cancel` was called.
    CancelRequested,
    /// A cancelled task's future is being dropped.
    CancelledDropped,
    /// The poll in progress on this thread awaits this task's `JoinHandle`.
    Awaited,
}

/// Something a worker can run: the type-erased face of a task that the run queues hold.
pub(crate) trait Schedulable: Send + Sync + 'static {
    /// The part shared by every kind of task.
    fn header(&self) -> &Header;
    /// Polls the future once (or drops it, if cancelled). Called only by the worker that popped
    /// the task from a run queue.
    fn run(self: Arc<Self>);
    /// Pushes the task onto the run queue it belongs on (any worker's, or its owner's for a
    /// `spawn_local` task). Called only by whoever won the right to push (I1).
    fn schedule(self: Arc<Self>);
    /// Drops the future without polling it, at runtime shutdown, and completes the task as
    /// cancelled. Does nothing if a poll is in progress on another thread (a blocking job).
    fn shut_down(&self);
}

/// A task as it travels through the run queues: a reference-counted, type-erased task.
pub(crate) type Runnable = Arc<dyn Schedulable>;

/// The output side of a task, as seen by its `JoinHandle`, erased over the future's type.
pub(crate) trait Joinable<T>: Send + Sync + 'static {
    /// The part shared by every kind of task.
    fn header(&self) -> &Header;
    /// Reports `event` to the task's scheduler if someone watches (hooks I1).
    fn observe(&self, event: TaskEvent);
    /// Takes the output out of a `COMPLETE` task; `None` if it was already taken.
    fn take_output(&self) -> Option<Result<T, JoinError>>;
    /// The same task, seen as something a worker can run (to schedule a cancellation).
    fn runnable(self: Arc<Self>) -> Runnable;
}
