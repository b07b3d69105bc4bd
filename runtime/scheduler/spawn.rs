//! Creating tasks: [`spawn`], [`spawn_local`], and the one function behind them (and behind
//! `spawn_blocking` and `TaskBuilder`) that gives a task its id, its meta and its registry entry.
//!
//! Where it sits in the flow: the first stage.
//!
//! ```text
//! [spawn] → run queue → poll → Pending → waker parked in reactor → epoll event → wake → run queue → poll
//! ```
//!
//! Read next: `runtime/scheduler/registry.rs`.

use std::future::Future;
use std::panic::Location;
use std::sync::Arc;

use super::{context, Shared};
use crate::runtime::hooks::Event;
use crate::runtime::task::local::{self, LocalFuture, PinnedTo};
use crate::runtime::task::{Header, JoinHandle, Schedulable, TaskCell, TaskId, TaskKind, TaskMeta};

/// Creates a task of `kind` named `name`, spawned at `site` (into a `TaskGroup` owned by
/// `group_owner`, if any), with `make` (given its header with a fresh id); enters it in the
/// registry (registry I1) and reports it.
pub(crate) fn new_task<C: Schedulable>(
    scheduler: &Arc<Shared>,
    name: Option<Box<str>>,
    site: &'static Location<'static>,
    kind: TaskKind,
    group_owner: Option<TaskId>,
    make: impl FnOnce(Header) -> Arc<C>,
) -> Arc<C> {
    let observed = scheduler.hooks.is_some();
    let timed = scheduler.times_polls();
    let meta = TaskMeta::new(name, site, timed, observed, group_owner);
    let task = make(Header::new(TaskId::next(), kind, observed, meta));
    if !scheduler.registry.insert(task.clone()) {
        // The runtime has shut down its last tasks already (registry I3): nobody else will
        // drop this one, so it is cancelled here, on the spawner's thread (scheduler I1).
        task.shut_down();
    }
    scheduler.report(|| Event::Spawned(task.header()));
    task
}

/// Spawns a `Send` future on `scheduler`, named `name`, as if `spawn` was called at `site`, into
/// the `TaskGroup` owned by `group_owner` if there is one.
pub(crate) fn spawn_on<F>(
    scheduler: &Arc<Shared>,
    name: Option<Box<str>>,
    site: &'static Location<'static>,
    group_owner: Option<TaskId>,
    future: F,
) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let task = new_task(
        scheduler,
        name,
        site,
        TaskKind::Async,
        group_owner,
        |header| TaskCell::new(header, scheduler.clone(), future),
    );
    // New tasks queue behind the ones already waiting: spawn order is run order.
    scheduler.schedule_back(task.clone());
    JoinHandle::new(task)
}

/// Spawns a future that runs concurrently with the caller, as a new task, and returns a
/// [`JoinHandle`] to await, cancel or detach it. This is gevent's `gevent.spawn`.
///
/// The task may run on any worker. Dropping the handle detaches the task: it keeps running.
///
/// # Panics
/// When called outside a sprout runtime (there is no runtime to run the task on); use
/// [`Runtime::spawn`](crate::Runtime::spawn) from outside.
///
/// ```
/// sprout::run(async {
///     let handle = sprout::spawn(async { "hello from a task" });
///     assert_eq!(handle.await.unwrap(), "hello from a task");
/// });
/// ```
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let site = Location::caller();
    context::with_scheduler("sprout::spawn", |scheduler| {
        spawn_on(scheduler, None, site, None, future)
    })
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
    let scheduler = context::expect_scheduler("sprout::spawn_local");
    let Some(owner) = context::worker_index(&scheduler) else {
        panic!(
            "sprout::spawn_local was called on a blocking-pool thread: it needs a worker thread"
        );
    };
    // An ordinary task whose future stays in this thread's table (`task/local.rs`).
    let pinned = PinnedTo::new(owner, scheduler.clone());
    let slot = local::next_slot();
    let task = new_task(&scheduler, name, site, TaskKind::Local, None, |header| {
        let stand_in = LocalFuture::<F>::new(slot, header.id);
        TaskCell::new(header, pinned, stand_in)
    });
    local::insert(slot, future, task.clone());
    scheduler.schedule_pinned(owner, task.clone());
    JoinHandle::new(task)
}
