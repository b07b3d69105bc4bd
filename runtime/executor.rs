//! The executor's shared state: run queues, the registry of live tasks, and `spawn`.
//!
//! Where it sits in the flow:
//!
//! ```text
//! [spawn] → [run queue] → poll → Pending → waker parked in reactor → epoll event → wake → [run queue] → poll
//! ```
//!
//! Each worker owns an unbounded **local queue** (a crossbeam `SegQueue`) that other workers may
//! steal from, a **pinned queue** for its `spawn_local` tasks, which nobody steals, and a
//! one-task **LIFO slot** (`lifo.rs`) for the task it woke last. One
//! unbounded **injector** (a crossbeam `SegQueue`) takes tasks spawned or woken from threads that
//! are not workers.
//!
//! Why unbounded local queues: with a bounded one (tokio's is 256), a burst of wake-ups
//! overflows into the injector, which a busy worker serves only once per maintenance tick, while
//! each tick's reactor poll refills the local queue. Measured with 500 echo connections on one
//! worker, the overflowed connections waited up to 46 ms (p99) against 3 ms for the rest. One
//! FIFO queue per worker serves everyone in arrival order. A wake-up on a worker pushes onto that
//! worker's own local queue: the task runs where its data is warm in cache.
//!
//! Every live task is also in the **registry**, a few mutex-guarded slabs sharded by task id:
//! shutdown drops the futures of tasks that are waiting on something (and would otherwise be
//! kept alive only by their own wakers, a reference cycle through the reactor), and the dump,
//! the watchdog and the shutdown report find tasks there by id.
//!
//! Why from spawn and not from the first `Pending`: without registering at spawn, spawn-and-join
//! of a million trivial tasks runs 1.18x as fast (3.41M against 2.88M tasks/s, measured: those
//! tasks never touch the registry), but a task blocking inside its first poll, or waiting in a
//! queue, is then invisible to the watchdog and the dump. docs/ chapter 13 has the figures.
//!
//! Invariants:
//! - I1: a `Runnable` pushed after shutdown began is not queued but shut down on the spot (its
//!   future dropped, its `JoinHandle` resolved as cancelled); nothing runs after `Runtime` is
//!   dropped. So a task spawned during shutdown — by a destructor that shutdown itself runs,
//!   say — is accepted and cancelled at once, like tokio does, instead of panicking or being
//!   left in a registry that was already drained.
//! - I2: a task is in the registry from spawn until it completes (task I6). Shutdown drains the
//!   queues and the registry, so it reaches every live task.
//!
//! Production note: tokio's local queue is a single-producer ring buffer (sprout takes its LIFO
//! slot idea); smol's is a `ConcurrentQueue`. A plain MPMC `SegQueue` is simpler to reason
//! about and fast enough here (see docs/ for the measurements).
//!
//! Read next: `worker.rs` (the loop that pops from these queues).

use std::collections::HashMap;
use std::future::Future;
use std::panic::Location;
use std::sync::atomic::{fence, AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crossbeam_queue::SegQueue;

use super::blocking::BlockingPool;
use super::context;
use super::defer;
use super::dump::{TaskDump, TaskKind, WaitingOn};
use super::join::{JoinHandle, TaskId};
use super::lifo;
use super::lock::lock;
use super::monitor::{WorkerActivity, MAIN_FUTURE};
use super::park::{Idle, Parker};
use super::reactor::Reactor;
use super::slab::Slab;
use super::task::{Header, Runnable, Schedulable, Schedule, TaskCell};
use super::task_meta::TaskMeta;
use super::trace::Tracer;

/// The state all workers of one runtime share.
pub(crate) struct Shared {
    /// Tasks spawned or woken from threads that are not workers of this runtime.
    pub(crate) injector: SegQueue<Runnable>,
    /// One entry per worker, indexed by worker number; worker 0 is the `block_on` thread.
    pub(crate) workers: Box<[WorkerQueues]>,
    /// The parked workers.
    pub(crate) idle: Idle,
    /// The reactor: I/O readiness and timers.
    pub(crate) reactor: Arc<Reactor>,
    /// The `spawn_blocking` thread pool.
    pub(crate) blocking: BlockingPool,
    /// Tasks that have returned `Pending` at least once, sharded by id to spread lock
    /// traffic (I2).
    registry: Box<[Mutex<Slab<Runnable>>]>,
    /// Tasks spawned and not yet complete (including queued and local ones), for `stats()`.
    live: AtomicUsize,
    /// Set once by `Runtime::drop` (I1).
    shutting_down: AtomicBool,
    /// Set by the `block_on` future's waker; read by worker 0.
    pub(crate) main_woken: AtomicBool,
    /// `true` while a thread is inside `block_on` as worker 0.
    pub(crate) main_active: AtomicBool,
    /// When the runtime started: time zero of the trace, the dump and the wait records.
    pub(crate) epoch: Instant,
    /// Whether polls are timed (task_meta I2).
    pub(crate) poll_timing: bool,
    /// Prints the trace, while tracing is on (trace I1); the reactor holds a copy.
    tracer: Option<Tracer>,
}

/// The queues and alarm clock of one worker.
pub(crate) struct WorkerQueues {
    /// Tasks to run on this worker; others may steal from it.
    pub(crate) local: SegQueue<Runnable>,
    /// `spawn_local` tasks owned by this worker; never stolen.
    pub(crate) pinned: SegQueue<Runnable>,
    /// How this worker sleeps and is woken.
    pub(crate) parker: Parker,
    /// Which task this worker polls, for the watchdog (`monitor.rs`).
    pub(crate) activity: WorkerActivity,
}

impl Shared {
    /// State for a runtime of `workers` workers, started at `epoch`, timing polls if
    /// `poll_timing`.
    pub(crate) fn new(
        workers: usize,
        reactor: Reactor,
        blocking: BlockingPool,
        epoch: Instant,
        poll_timing: bool,
    ) -> Shared {
        let shards = (workers * 4).next_power_of_two();
        let reactor_tracer = reactor.tracer().cloned();
        Shared {
            injector: SegQueue::new(),
            workers: (0..workers)
                .map(|_| WorkerQueues {
                    local: SegQueue::new(),
                    pinned: SegQueue::new(),
                    parker: Parker::new(),
                    activity: WorkerActivity::default(),
                })
                .collect(),
            idle: Idle::new(workers),
            reactor: Arc::new(reactor),
            blocking,
            registry: (0..shards).map(|_| Mutex::new(Slab::new())).collect(),
            live: AtomicUsize::new(0),
            shutting_down: AtomicBool::new(false),
            main_woken: AtomicBool::new(false),
            main_active: AtomicBool::new(false),
            epoch,
            poll_timing,
            tracer: reactor_tracer,
        }
    }

    /// Schedules a woken or new task. On a worker of this runtime it goes into the worker's
    /// LIFO slot, to run next (the task that woke it has usually just produced what it waits
    /// for); the task it displaces goes to the local queue. Elsewhere it goes to the injector
    /// and a parked worker is woken.
    pub(crate) fn schedule(&self, task: Runnable) {
        self.route(task, "the LIFO slot (runs next)", |worker, task| {
            if let Some(displaced) = lifo::replace(task) {
                self.push_local(worker, displaced);
            }
        });
    }

    /// Queues a new task at the *back* of the queue (spawn order is run order).
    pub(crate) fn schedule_back(&self, task: Runnable) {
        self.route(task, "the back of the local queue", |worker, task| {
            self.push_local(worker, task)
        });
    }

    /// Re-queues a task that woke itself during its own poll (`yield_now`, a spent budget): on a
    /// worker it is deferred until the reactor has been polled (`defer.rs`), so the tasks whose
    /// I/O became ready meanwhile go first.
    pub(crate) fn schedule_yielded(&self, task: Runnable) {
        self.route(
            task,
            "the deferred list (after the next reactor poll)",
            |_, task| defer::push(task),
        );
    }

    /// The shape all three `schedule` forms share: after shutdown the task is cancelled (I1); on
    /// a worker of this runtime, `on_worker` decides where it goes (`place` says where, for the
    /// trace); from any other thread it goes to the injector and a parked worker is woken.
    fn route(&self, task: Runnable, place: &str, on_worker: impl FnOnce(usize, Runnable)) {
        if self.shutting_down.load(Ordering::Acquire) {
            return task.shut_down(); // I1
        }
        let worker = context::worker_index(self);
        if let Some(tracer) = self.tracer() {
            let place = if worker.is_some() {
                place
            } else {
                "the injector"
            };
            trace_queued(tracer, task.header(), place);
        }
        match worker {
            Some(worker) => on_worker(worker, task),
            None => {
                self.injector.push(task);
                self.wake_one_idle();
            }
        }
    }

    /// Pushes onto worker `worker`'s local queue and, if other workers exist, wakes a parked
    /// one to come and steal (I1 of park.rs).
    pub(crate) fn push_local(&self, worker: usize, task: Runnable) {
        self.workers[worker].local.push(task);
        if self.workers.len() > 1 {
            self.wake_one_idle();
        }
    }

    /// Puts back a task that was deferred on worker `worker` (`defer.rs`): a `spawn_local` task
    /// on that worker's pinned queue — it was polled there, so that worker is its owner (local
    /// I1) — and any other task at the back of the worker's local queue.
    pub(crate) fn requeue_deferred(&self, worker: usize, task: Runnable) {
        if task.header().meta.kind() == TaskKind::Local {
            self.workers[worker].pinned.push(task);
        } else {
            self.push_local(worker, task);
        }
    }

    /// Pushes a `spawn_local` task onto its owner's pinned queue and wakes the owner.
    pub(crate) fn schedule_pinned(&self, owner: usize, task: Runnable) {
        if self.shutting_down.load(Ordering::Acquire) {
            return task.shut_down(); // I1
        }
        self.workers[owner].pinned.push(task);
        if context::worker_index(self) != Some(owner) {
            self.unpark_worker(owner);
        }
    }

    /// Records that the `block_on` future was woken and wakes worker 0 if needed.
    pub(crate) fn wake_main(&self) {
        self.main_woken.store(true, Ordering::SeqCst);
        if context::worker_index(self) != Some(0) {
            self.unpark_worker(0);
        }
    }

    /// Wakes one parked worker, if there is one. One atomic load when none is parked.
    pub(crate) fn wake_one_idle(&self) {
        if let Some(worker) = self.idle.pop() {
            self.workers[worker].parker.unpark(&self.reactor);
        }
    }

    /// Wakes worker `worker` specifically (it owns the work).
    pub(crate) fn unpark_worker(&self, worker: usize) {
        fence(Ordering::SeqCst);
        self.idle.withdraw(worker);
        self.workers[worker].parker.unpark(&self.reactor);
    }

    /// `true` if worker `worker` would find something to run: the parker's re-check (I1 of
    /// park.rs), made after it announced itself idle.
    pub(crate) fn has_work_for(&self, worker: usize) -> bool {
        fence(Ordering::SeqCst);
        !self.injector.is_empty()
            || !self.workers[worker].pinned.is_empty()
            || self.workers.iter().any(|w| !w.local.is_empty())
            || (worker == 0 && self.main_woken.load(Ordering::SeqCst))
            || self.is_shutting_down()
    }

    /// `true` once `Runtime::drop` has begun.
    pub(crate) fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::Acquire)
    }

    /// The registry shard for task `id`.
    fn shard(&self, id: TaskId) -> &Mutex<Slab<Runnable>> {
        &self.registry[id.as_u64() as usize & (self.registry.len() - 1)]
    }

    /// Creates a task of `kind` named `name`, spawned at `site` (into a `TaskGroup` owned by
    /// `group_owner`, if any), with `make` (given its header with a fresh id); counts it as
    /// live and enters it in the registry (I2).
    pub(crate) fn new_task<S: Schedulable>(
        self: &Arc<Self>,
        name: Option<Box<str>>,
        site: &'static Location<'static>,
        kind: TaskKind,
        group_owner: Option<TaskId>,
        make: impl FnOnce(Header) -> Arc<S>,
    ) -> Arc<S> {
        self.live.fetch_add(1, Ordering::Relaxed);
        let traced = self.tracer.is_some();
        let meta = TaskMeta::new(name, site, kind, self.poll_timing, traced, group_owner);
        let task = make(Header::new(TaskId::next(), self.clone(), meta));
        self.registry_insert(task.clone());
        if let Some(tracer) = self.tracer() {
            trace_spawn(tracer, task.header());
        }
        task
    }

    /// The task (or `TaskId::MAIN`, the `block_on` future) that this thread is polling right
    /// now, if it is one of this runtime's workers in the middle of a poll.
    pub(crate) fn current_task(&self) -> Option<TaskId> {
        let worker = context::worker_index(self)?;
        let (_, running) = self.workers[worker].activity.current()?;
        TaskId::from_u64(running)
    }

    /// The tracer, while tracing is on: `None` is the one cheap check of trace I1.
    #[inline]
    pub(crate) fn tracer(&self) -> Option<&Tracer> {
        self.tracer.as_ref()
    }

    /// Counts a task as finished; called once per task by `Header::complete`.
    pub(crate) fn task_finished(&self) {
        self.live.fetch_sub(1, Ordering::Relaxed);
    }

    /// Records a task that was just created (I2, task I6).
    fn registry_insert(&self, task: Runnable) {
        let header = task.header();
        let mut shard = lock(self.shard(header.id));
        let key = shard.next_key();
        header.set_registry_key(key);
        shard.insert(task);
    }

    /// Forgets a completed task (I2). Checks the id, because shutdown may have drained the slot
    /// and a newer task may hold the same key.
    pub(crate) fn registry_remove(&self, header: &Header) {
        let Some(key) = header.registry_key() else {
            return;
        };
        let mut shard = lock(self.shard(header.id));
        let same_task = shard
            .get(key)
            .is_some_and(|task| task.header().id == header.id);
        if same_task {
            shard.remove(key);
        }
    }

    /// The live task numbered `id`, if it is in the registry.
    pub(crate) fn find_task(&self, id: TaskId) -> Option<Runnable> {
        lock(self.shard(id))
            .iter()
            .find(|task| task.header().id == id)
            .cloned()
    }

    /// How the watchdog and the shutdown report name the poll of `running` (a task id, or
    /// `MAIN_FUTURE`): `task 5 "name" (spawned at src/main.rs:10:5)`.
    pub(crate) fn describe_poll(&self, running: u64) -> String {
        if running == MAIN_FUTURE {
            return "the block_on future".to_owned();
        }
        let Some(id) = TaskId::from_u64(running) else {
            return "no task".to_owned();
        };
        match self.find_task(id) {
            Some(task) => {
                let meta = &task.header().meta;
                format!("{} (spawned at {})", meta.describe(id), meta.spawned_at())
            }
            None => format!("task {id} (finished since)"),
        }
    }

    // ANCHOR: task_snapshots
    /// A [`TaskDump`] of the first `limit` live tasks in registry order, with what each waits
    /// on: the wakers parked in the reactor, the timer queue and the `JoinHandle`s are matched
    /// to the tasks they point at (task_meta's module doc).
    pub(crate) fn task_snapshots(&self, now: Instant, limit: usize) -> Vec<TaskDump> {
        let mut tasks = Vec::new();
        // (task address, index into `tasks`) and (joiner's address, the task it awaits).
        let mut addresses = HashMap::new();
        let mut joiners = Vec::new();
        for shard in self.registry.iter() {
            for task in lock(shard).iter().take(limit - tasks.len().min(limit)) {
                let header = task.header();
                // A thin pointer to the task, the same address its wakers carry.
                let address = Arc::as_ptr(task).cast::<()>() as usize;
                addresses.insert(address, tasks.len());
                if let Some(joiner) = header.joiner_address() {
                    joiners.push((joiner, WaitingOn::Task(header.id)));
                }
                tasks.push(self.snapshot(header));
            }
        }
        let parked = self.reactor.parked_waiters(now);
        for (address, waiting_on) in parked.into_iter().chain(joiners) {
            if let Some(&index) = addresses.get(&address) {
                tasks[index].waiting_on.push(waiting_on);
            }
        }
        tasks
    }

    // ANCHOR_END: task_snapshots

    /// The dump's view of one task, before its waits are filled in.
    fn snapshot(&self, header: &Header) -> TaskDump {
        let meta = &header.meta;
        let counters = meta.counters(self.poll_timing);
        TaskDump {
            id: header.id,
            name: meta.name().map(str::to_owned),
            spawned_at: meta.spawned_at(),
            kind: meta.kind(),
            state: header.dump_state(),
            polls: counters.polls,
            busy: counters.busy,
            longest_poll: counters.longest,
            waiting_on: Vec::new(),
            group_owner: meta.group_owner(),
        }
    }

    /// The `spawn_blocking` tasks whose closure has started (and may still be running).
    pub(crate) fn started_blocking_tasks(&self) -> Vec<Runnable> {
        let mut started = Vec::new();
        for shard in self.registry.iter() {
            let shard = lock(shard);
            let blocking = shard.iter().filter(|task| {
                let meta = &task.header().meta;
                meta.kind() == TaskKind::Blocking && meta.counters(false).polls > 0
            });
            started.extend(blocking.cloned());
        }
        started
    }

    /// How many tasks are alive (spawned and not yet complete).
    pub(crate) fn live_tasks(&self) -> usize {
        self.live.load(Ordering::Relaxed)
    }

    /// Stops scheduling (I1) and wakes every worker so it sees the flag and exits.
    pub(crate) fn begin_shutdown(&self) {
        self.shutting_down.store(true, Ordering::Release);
        for worker in self.workers.iter() {
            worker.parker.unpark(&self.reactor);
        }
    }

    /// After the workers have exited: drops every queued task and every live future, settling
    /// each one's `JoinHandle` as cancelled (so no joiner waits forever).
    pub(crate) fn finish_shutdown(&self) {
        let drain = |task: Runnable| task.shut_down();
        while let Some(task) = self.injector.pop() {
            drain(task);
        }
        for worker in self.workers.iter() {
            while let Some(task) = worker.local.pop() {
                drain(task);
            }
            while let Some(task) = worker.pinned.pop() {
                drain(task);
            }
        }
        // Take the tasks out first: completing them removes them from the registry, which
        // would deadlock if we iterated under the shard locks.
        let live: Vec<Runnable> = self
            .registry
            .iter()
            .flat_map(|shard| lock(shard).drain())
            .collect();
        for task in live {
            task.shut_down();
        }
        self.blocking.shut_down();
    }
}

/// The executor answers what a task needs from its runtime (the task module defines the
/// interface; it never names `Shared`).
impl Schedule for Shared {
    #[inline]
    fn schedule(&self, task: Runnable) {
        Shared::schedule(self, task);
    }

    fn schedule_yielded(&self, task: Runnable) {
        Shared::schedule_yielded(self, task);
    }

    fn schedule_pinned(&self, owner: usize, task: Runnable) {
        Shared::schedule_pinned(self, owner, task);
    }

    fn release(&self, header: &Header) {
        self.registry_remove(header);
    }

    fn task_finished(&self) {
        Shared::task_finished(self);
    }

    #[inline]
    fn tracer(&self) -> Option<&Tracer> {
        Shared::tracer(self)
    }
}

/// Traces a spawn: `task 5 "name" spawned at src/main.rs:10:5`. Out of line: tracing is rare.
#[cold]
fn trace_spawn(tracer: &Tracer, header: &Header) {
    let who = header.meta.describe(header.id);
    let site = header.meta.spawned_at();
    let kind = match header.meta.kind() {
        TaskKind::Async => "",
        TaskKind::Local => " (spawn_local)",
        TaskKind::Blocking => " (spawn_blocking)",
    };
    tracer.event(format_args!("{who}{kind} spawned at {site}"));
}

/// Traces where a scheduled task went.
#[cold]
fn trace_queued(tracer: &Tracer, header: &Header, place: &str) {
    let who = header.meta.describe(header.id);
    tracer.event(format_args!("{who} queued: {place}"));
}

/// Spawns a `Send` future on `shared`, named `name`, as if `spawn` was called at `site`, into
/// the `TaskGroup` owned by `group_owner` if there is one.
pub(crate) fn spawn_on<F>(
    shared: &Arc<Shared>,
    name: Option<Box<str>>,
    site: &'static Location<'static>,
    group_owner: Option<TaskId>,
    future: F,
) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let task = shared.new_task(name, site, TaskKind::Async, group_owner, |header| {
        TaskCell::new(header, future)
    });
    // New tasks queue behind the ones already waiting: spawn order is run order.
    shared.schedule_back(task.clone());
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
    let shared = context::expect_shared("sprout::spawn");
    spawn_on(&shared, None, Location::caller(), None, future)
}
