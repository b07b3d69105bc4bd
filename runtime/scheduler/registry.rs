//! The registry of live tasks: every task from spawn to completion, sharded by id.
//!
//! Where it sits: beside the flow, from its first stage to its last:
//!
//! ```text
//! [spawn: enters the registry] → run queue → poll → … → poll → Ready → [leaves the registry]
//! ```
//!
//! Why keep a list at all, when run queues and wakers already hold every task: a task waiting on
//! a waker that only it can reach (its own socket's) is held by nothing else, so shutdown would
//! never find it, and its future — with the waker inside — would leak through a reference cycle
//! via the reactor. Shutdown drains the registry and drops those futures; the dump, the watchdog
//! and the shutdown report find tasks here by id.
//!
//! Why from spawn and not from the first `Pending`: registering later would spare trivial tasks
//! (which never wait) the registry altogether, and spawn faster (chapter 12, "What each
//! structure buys"), but a task blocking inside its first poll, or waiting in a queue, would
//! then be invisible to the watchdog, the dump and shutdown.
//!
//! Invariants:
//! - I1: a task is in the registry from spawn until it completes (task I6), so a drain reaches
//!   every live task, whatever queue or waker list holds it.
//! - I2: a removal checks the task id, not only the key: shutdown may have drained the slot
//!   and a newer task may hold the same key.
//! - I3: once [`Registry::drain`] has begun, `insert` refuses every task: a task either lands
//!   in a shard before the drain takes it (and the drain shuts it down), or its spawner learns
//!   that nobody will, and shuts it down itself. The flag is set before the first shard is
//!   locked and read under the shard lock, so no task slips in between.
//!
//! Read next: `runtime/scheduler/worker.rs`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use crate::runtime::lock::lock;
use crate::runtime::slab::Slab;
use crate::runtime::task::{Header, Runnable, TaskId, TaskKind, TaskState};

/// The live tasks of one runtime.
pub(crate) struct Registry {
    /// Slabs of tasks, sharded by id to spread lock traffic.
    shards: Box<[Mutex<Slab<Runnable>>]>,
    /// Set by `drain`, never cleared: the registry takes no more tasks (I3).
    closed: AtomicBool,
}

impl Registry {
    /// An empty registry with `shards` shards (a power of two).
    pub(crate) fn new(shards: usize) -> Registry {
        debug_assert!(shards.is_power_of_two());
        Registry {
            shards: (0..shards).map(|_| Mutex::new(Slab::new())).collect(),
            closed: AtomicBool::new(false),
        }
    }

    /// The shard for task `id`.
    fn shard(&self, id: TaskId) -> &Mutex<Slab<Runnable>> {
        &self.shards[id.as_u64() as usize & (self.shards.len() - 1)]
    }

    /// Records a task that was just created (I1). Returns `false`, and keeps nothing, once the
    /// drain has begun (I3): the caller must then shut the task down itself.
    pub(crate) fn insert(&self, task: Runnable) -> bool {
        let header = task.header();
        let mut shard = lock(self.shard(header.id));
        if self.closed.load(Ordering::Acquire) {
            return false;
        }
        let key = shard.next_key();
        header.set_registry_key(key);
        shard.insert(task);
        true
    }

    /// Forgets a completed task (I1, I2).
    pub(crate) fn remove(&self, header: &Header) {
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

    /// How many tasks are alive (spawned and not yet complete), counted shard by shard when
    /// `stats()` or the shutdown report asks. A shared counter kept up to date instead would cost
    /// two atomic read-modify-writes on one cache line per task, on every worker, to serve a
    /// question asked rarely.
    pub(crate) fn live_tasks(&self) -> usize {
        self.shards.iter().map(|shard| lock(shard).len()).sum()
    }

    /// The live task numbered `id`, if it is in the registry.
    pub(crate) fn find(&self, id: TaskId) -> Option<Runnable> {
        lock(self.shard(id))
            .iter()
            .find(|task| task.header().id == id)
            .cloned()
    }

    /// The first `limit` live tasks, in registry order (one shard locked at a time: not an
    /// atomic picture, as no process listing is).
    pub(crate) fn list(&self, limit: usize) -> Vec<Runnable> {
        let mut tasks = Vec::new();
        for shard in self.shards.iter() {
            let room = limit - tasks.len().min(limit);
            tasks.extend(lock(shard).iter().take(room).cloned());
        }
        tasks
    }

    /// The live tasks in the middle of a run (state `RUNNING`) that are (`blocking`) or are not
    /// `spawn_blocking` closures: what shutdown waits for, or names as stuck in a poll.
    pub(crate) fn running(&self, blocking: bool) -> Vec<Runnable> {
        let mut running = Vec::new();
        for shard in self.shards.iter() {
            let shard = lock(shard);
            let in_run = shard.iter().filter(|task| {
                let header = task.header();
                (header.kind() == TaskKind::Blocking) == blocking
                    && header.state() == TaskState::Running
            });
            running.extend(in_run.cloned());
        }
        running
    }

    /// Takes every task out (at shutdown, after the workers stopped). Taken out first and
    /// returned: completing them removes them from the registry, which would deadlock if the
    /// caller iterated under the shard locks.
    pub(crate) fn drain(&self) -> Vec<Runnable> {
        self.closed.store(true, Ordering::Release); // I3: before the first shard is locked.
        self.shards
            .iter()
            .flat_map(|shard| lock(shard).drain())
            .collect()
    }
}
