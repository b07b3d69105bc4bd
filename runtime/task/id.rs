//! Who a task is, in the words every layer shares: its [`TaskId`], its [`TaskKind`], and the
//! [`TaskState`] the dump reports.
//!
//! Where it sits in the flow: at `[spawn]`, where a task gets its id and kind; the rest of the
//! flow refers to the task by them.
//!
//! ```text
//! [spawn: id, kind] → run queue → poll → Pending → waker parked → epoll event → wake → run queue → poll
//! ```
//!
//! Read next: `runtime/task/meta.rs`.

use std::fmt;
use std::num::NonZeroU64;
use std::sync::atomic::{AtomicU64, Ordering};

/// A task's id: unique for the life of the process, never reused. Shown in panic reports.
///
/// ```
/// sprout::run(async {
///     let a = sprout::spawn(async {});
///     let b = sprout::spawn(async {});
///     assert_ne!(a.id(), b.id());
/// });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(NonZeroU64);

impl TaskId {
    /// A fresh id from a process-wide counter.
    pub(crate) fn next() -> TaskId {
        /// The last id handed out. Relaxed is enough: only uniqueness matters, not order.
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        TaskId(NonZeroU64::new(id).expect("the task id counter starts at 1 and never wraps"))
    }

    /// Stands for the `block_on` future in trace lines (it is not a task; no task gets this id).
    pub(crate) const MAIN: TaskId = TaskId(NonZeroU64::MAX);

    /// The id numbered `id`, if `id` is not 0 (the "no task" value of the runtime's atomics).
    pub(crate) fn from_u64(id: u64) -> Option<TaskId> {
        NonZeroU64::new(id).map(TaskId)
    }

    /// The id as a number.
    ///
    /// ```
    /// sprout::run(async {
    ///     let handle = sprout::spawn(async {});
    ///     assert!(handle.id().as_u64() > 0);
    /// });
    /// ```
    pub fn as_u64(self) -> u64 {
        self.0.get()
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Which kind of task a [`TaskDump`](crate::runtime::TaskDump) describes.
///
/// ```
/// sprout::run(async {
///     let _job = sprout::spawn_blocking(|| std::thread::sleep(std::time::Duration::from_millis(50)));
///     let dump = sprout::dump();
///     assert!(dump.tasks.iter().any(|task| task.kind == sprout::runtime::TaskKind::Blocking));
/// });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TaskKind {
    /// A `Send` future from [`spawn`](crate::spawn): runs on any worker.
    Async,
    /// A future from [`spawn_local`](crate::spawn_local): runs only on its own worker.
    Local,
    /// A closure from [`spawn_blocking`](crate::spawn_blocking): runs on a blocking-pool thread.
    Blocking,
}

/// Where a task is in its life, as the dump saw it.
///
/// ```
/// let single = sprout::Runtime::builder().workers(1).build()?;
/// single.block_on(async {
///     let sleeper = sprout::TaskBuilder::new()
///         .name("sleeper")
///         .spawn(sprout::sleep(std::time::Duration::from_secs(60)));
///     sprout::yield_now().await; // let it run once and park its waker
///     let dump = sprout::dump();
///     let task = dump.tasks.iter().find(|t| t.name.as_deref() == Some("sleeper")).unwrap();
///     assert_eq!(task.state, sprout::runtime::TaskState::Idle);
///     sleeper.cancel();
/// });
/// # std::io::Result::Ok(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TaskState {
    /// Waiting for a wake-up: its waker is parked somewhere.
    Idle,
    /// In a run queue, waiting for a worker.
    Scheduled,
    /// Being polled right now (or, for a blocking task, running its closure).
    Running,
    /// Cancelled; a worker will drop its future on its next turn.
    Cancelling,
}
