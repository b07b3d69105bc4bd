//! The scheduler: the run queues every worker shares, the registry of live tasks, and where a
//! woken task goes. It implements the task module's `Schedule` interface.
//!
//! Where it sits in the flow:
//!
//! ```text
//! spawn → [run queue] → poll → Pending → waker parked in reactor → epoll event → wake → [run queue] → poll
//! ```
//!
//! Each worker owns an unbounded **local queue** (a crossbeam `SegQueue`) that other workers may
//! steal from, a **pinned queue** for its `spawn_local` tasks, which nobody steals, a one-task
//! **LIFO slot** (`lifo.rs`) for the task it woke last, and a **deferred list** (`defer.rs`) for
//! tasks that woke themselves. One unbounded **injector** takes tasks spawned or woken from
//! threads that are not workers. A runtime with a single worker has nobody to steal from it, so
//! that worker's local queue is a plain `VecDeque` on its thread instead (`solo.rs`).
//!
//! Where a wake-up goes: on a worker of this runtime, *any* wake-up (not only the first of a
//! batch) goes into that worker's LIFO slot, and the task it displaces moves to the back of the
//! local queue. So within one batch of reactor events the task woken last runs first; the slot's
//! cap (`lifo.rs` I2) hands the turn back to the queue. A task that woke itself goes to the
//! deferred list instead; a new task goes to the back of the local queue (spawn order is run
//! order); from any other thread, everything goes to the injector.
//!
//! Why unbounded local queues: with a bounded one (tokio's is 256), a burst of wake-ups
//! overflows into the injector, which a busy worker serves only once per maintenance turn, while
//! each such turn's reactor poll refills the local queue: the overflowed connections wait far
//! longer than the rest (chapter 8 has the measurement).
//!
//! Invariants:
//! - I1: a `Runnable` pushed after shutdown began is not queued, and nothing runs after
//!   `Runtime` is dropped. Its future is not dropped by the push either: it stays in the
//!   registry, whose drain on the thread that drops the runtime drops it (I2). A push is a
//!   wake-up or a spawn, made wherever the caller stands — often under the caller's own lock
//!   (a server's list of connections, a channel's state) — and a future's destructors may take
//!   that very lock. Only a task spawned after the drain (by a destructor the drain runs, say)
//!   is cancelled on the spot, by its spawner (registry I3): nobody else is left to do it.
//! - I2: shutdown drains the queues and the registry (registry I1), so it reaches every live
//!   task.
//!
//! Production note: tokio's local queue is a single-producer ring buffer (sprout takes its LIFO
//! slot idea); smol's is a `ConcurrentQueue`. A plain MPMC `SegQueue` is simpler to reason
//! about and fast enough here (see docs/ for the measurements).
//!
//! Read next: `runtime/scheduler/spawn.rs`.

mod activity;
pub(crate) mod blocking;
pub(crate) mod context;
mod defer;
mod lifo;
mod park;
mod registry;
mod solo;
pub(crate) mod spawn;
pub(crate) mod worker;

pub(crate) use activity::{current_task, WorkerActivity, MAIN_FUTURE};

use std::sync::atomic::{fence, AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use crossbeam_queue::SegQueue;

use crate::runtime::hooks::{self, Event, MaybeHooks, Queue};
use crate::runtime::reactor::Reactor;
use crate::runtime::task::{Header, Runnable, TaskEvent, TaskKind};
use blocking::BlockingPool;
use park::{Idle, Parker};
use registry::Registry;

/// Everything the threads of one runtime share — its queues, its reactor, its blocking pool,
/// its registry of tasks, its hooks: the runtime itself, as every worker (and every handle to
/// it) sees it. This file also decides where a woken task goes (`schedule` and its kin).
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
    /// Every live task (I2).
    pub(crate) registry: Registry,
    /// Set once by `Runtime::drop` (I1).
    shutting_down: AtomicBool,
    /// Set by the `block_on` future's waker; read by worker 0.
    pub(crate) main_woken: AtomicBool,
    /// `true` while a thread is inside `block_on` as worker 0.
    pub(crate) main_active: AtomicBool,
    /// When the runtime started: time zero of the dump's uptime.
    pub(crate) epoch: Instant,
    /// Whoever watches the runtime, if anyone (hooks I1); the reactor holds a copy.
    pub(crate) hooks: MaybeHooks,
    /// Whether new tasks keep room for poll times (`Hooks::times_polls`).
    times_polls: bool,
    /// Whether the workers record what they poll in their `activity`: only for the watchdog
    /// (activity I2).
    pub(crate) records_activity: bool,
}

/// The queues and alarm clock of one worker.
pub(crate) struct WorkerQueues {
    /// Tasks to run on this worker; others may steal from it.
    pub(crate) local: SegQueue<Runnable>,
    /// `spawn_local` tasks owned by this worker; never stolen.
    pub(crate) pinned: SegQueue<Runnable>,
    /// How this worker sleeps and is woken.
    pub(crate) parker: Parker,
    /// Which task this worker polls, while the watchdog runs (activity I2).
    pub(crate) activity: WorkerActivity,
}

impl Shared {
    /// State for a runtime of `workers` workers, started at `epoch`; it reports to the
    /// reactor's hooks, and its workers record their activity if `records_activity`.
    pub(crate) fn new(
        workers: usize,
        reactor: Reactor,
        blocking: BlockingPool,
        epoch: Instant,
        records_activity: bool,
    ) -> Shared {
        let hooks = reactor.hooks().clone();
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
            registry: Registry::new((workers * 4).next_power_of_two()),
            shutting_down: AtomicBool::new(false),
            main_woken: AtomicBool::new(false),
            main_active: AtomicBool::new(false),
            epoch,
            times_polls: hooks.as_ref().is_some_and(|hooks| hooks.times_polls()),
            hooks,
            records_activity,
        }
    }

    /// Whether new tasks keep room for poll times (task/meta I2).
    pub(crate) fn times_polls(&self) -> bool {
        self.times_polls
    }

    /// Reports `event` to the hooks, if any (hooks I1).
    #[inline]
    pub(crate) fn report<'a>(&self, event: impl FnOnce() -> Event<'a>) {
        hooks::report(&self.hooks, event);
    }

    /// Schedules a woken or new task. On a worker of this runtime it goes into the worker's
    /// LIFO slot, to run next (the task that woke it has usually just produced what it waits
    /// for); the task it displaces goes to the local queue. Elsewhere it goes to the injector
    /// and a parked worker is woken.
    pub(crate) fn schedule(&self, task: Runnable) {
        self.route(task, Queue::LifoSlot, |worker, task| {
            if let Some(displaced) = lifo::replace(task) {
                self.push_local(worker, displaced);
            }
        });
    }

    /// Queues a new task at the *back* of the queue (spawn order is run order).
    pub(crate) fn schedule_back(&self, task: Runnable) {
        self.route(task, Queue::LocalBack, |worker, task| {
            self.push_local(worker, task)
        });
    }

    /// Re-queues a task that woke itself during its own poll (`yield_now`, a spent budget): on a
    /// worker it is deferred until the reactor has been polled (`defer.rs`), so the tasks whose
    /// I/O became ready meanwhile go first.
    pub(crate) fn schedule_yielded(&self, task: Runnable) {
        self.route(task, Queue::Deferred, |_, task| defer::push(task));
    }

    /// The shape all three `schedule` forms share: after shutdown the task is left to the
    /// registry's drain (I1); on
    /// a worker of this runtime, `on_worker` decides where it goes (`queue` says where, for the
    /// hooks); from any other thread it goes to the injector and a parked worker is woken.
    fn route(&self, task: Runnable, queue: Queue, on_worker: impl FnOnce(usize, Runnable)) {
        if self.shutting_down.load(Ordering::Acquire) {
            return; // I1: the registry's drain drops the future, not this caller.
        }
        match context::worker_index(self) {
            Some(worker) => {
                self.report(|| Event::Queued(task.header(), queue));
                on_worker(worker, task);
            }
            None => {
                self.report(|| Event::Queued(task.header(), Queue::Injector));
                self.injector.push(task);
                self.wake_one_idle();
            }
        }
    }

    /// Pushes onto worker `worker`'s local queue and wakes a parked worker to come and steal
    /// (I1 of park.rs), unless the push is one of a reactor batch's: the worker wakes one itself
    /// once the batch is done (park I3). Called on that worker only: a runtime's only worker has
    /// nobody to share with, and its queue is the plain one of `solo.rs`, on its thread (solo I1).
    pub(crate) fn push_local(&self, worker: usize, task: Runnable) {
        debug_assert_eq!(context::worker_index(self), Some(worker), "solo I1");
        if self.works_alone() {
            return solo::push(task);
        }
        self.workers[worker].local.push(task);
        if !park::is_in_batch() {
            self.wake_one_idle();
        }
    }

    /// Takes the task at the front of worker `worker`'s local queue; called on that worker
    /// (solo I1).
    pub(crate) fn pop_local(&self, worker: usize) -> Option<Runnable> {
        debug_assert_eq!(context::worker_index(self), Some(worker), "solo I1");
        if self.works_alone() {
            return solo::pop();
        }
        self.workers[worker].local.pop()
    }

    /// `true` if the runtime has one worker, whose local queue is then `solo.rs`'s.
    #[inline]
    pub(crate) fn works_alone(&self) -> bool {
        self.workers.len() == 1
    }

    /// Puts back a task that was deferred on worker `worker` (`defer.rs`): a `spawn_local` task
    /// on that worker's pinned queue — it was polled there, so that worker is its owner (local
    /// I1) — and any other task at the back of the worker's local queue.
    pub(crate) fn requeue_deferred(&self, worker: usize, task: Runnable) {
        if task.header().kind() == TaskKind::Local {
            self.workers[worker].pinned.push(task);
        } else {
            self.push_local(worker, task);
        }
    }

    /// Pushes a `spawn_local` task onto its owner's pinned queue and wakes the owner.
    pub(crate) fn schedule_pinned(&self, owner: usize, task: Runnable) {
        if self.shutting_down.load(Ordering::Acquire) {
            return; // I1: settled by the drain, as in `route`.
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
            || (self.works_alone() && !solo::is_empty())
            || (worker == 0 && self.main_woken.load(Ordering::SeqCst))
            || self.is_shutting_down()
    }

    /// `true` once `Runtime::drop` has begun.
    pub(crate) fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::Acquire)
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
        for task in self.registry.drain() {
            task.shut_down();
        }
        self.blocking.shut_down();
    }
}

/// The scheduler answers what a task needs from its runtime (the task module defines the
/// interface; it never names `Shared`).
impl crate::runtime::task::Schedule for Shared {
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
        self.registry.remove(header);
    }

    fn observe(&self, header: &Header, event: TaskEvent) {
        self.report(|| Event::Task(header, event));
    }
}
