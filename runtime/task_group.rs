//! [`TaskGroup`]: tasks spawned together, joined as they finish, cancelled together.
//!
//! Where it sits in the flow: beside `spawn`. A group spawns ordinary tasks; each carries a
//! small guard that, when the task's future ends (finished, panicked or dropped by a cancel),
//! posts the task's key on the group's channel. `join_next` waits on that channel, so it wakes
//! once per finished task, whatever the group's size:
//!
//! ```text
//! group.spawn → run queue → poll → … → future ends → [guard: key posted] → join_next wakes → handle.await → output
//! ```
//!
//! A server keeps its connection tasks in a group so that stopping it cancels them all: the
//! group cancels every task it still holds when it is dropped (tokio's `JoinSet`; a gevent
//! `Group` with `kill` on exit). Its tasks show in the dump under the task that made the group.
//!
//! Invariants:
//! - I1: every task the group spawned posts its key exactly once, when its future is dropped,
//!   which happens on every path out (output, panic, cancel, runtime shutdown); so `join_next`
//!   never waits for a task that has already ended.
//! - I2: `handles` holds exactly the tasks not yet returned by `join_next`: `len` is their count.
//! - I3: a task's result leaves the group only when `join_next` returns it: the handle stays in
//!   `handles`, and its key in `ended_key`, while `join_next` awaits the output, so a
//!   `join_next` dropped at that await loses nothing.
//!
//! Read next: `runtime/sync/mod.rs` (what tasks wait on besides I/O and time).

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::panic::Location;

use super::scheduler::spawn::spawn_on;
use super::scheduler::{context, current_task};
use super::sync::{unbounded, Receiver, Sender};
use super::task::{JoinError, JoinHandle, TaskId};

/// A set of tasks with the same output type: spawn into it, take results with
/// [`join_next`](Self::join_next) as tasks finish, and cancel them all with
/// [`cancel_all`](Self::cancel_all) or by dropping the group.
///
/// ```
/// use std::time::Duration;
/// use sprout::runtime::TaskGroup;
/// sprout::run(async {
///     let mut group = TaskGroup::new();
///     for delay in [30, 10, 20] {
///         group.spawn(async move {
///             sprout::sleep(Duration::from_millis(delay)).await;
///             delay
///         });
///     }
///     let mut order = Vec::new();
///     while let Some(done) = group.join_next().await {
///         order.push(done.unwrap());
///     }
///     assert_eq!(order, [10, 20, 30]); // in the order they finished
///     assert!(group.is_empty());
/// });
/// ```
pub struct TaskGroup<T: Send + 'static> {
    /// The tasks not yet joined, by key (I2).
    handles: HashMap<u64, JoinHandle<T>>,
    /// The key the next spawned task gets.
    next_key: u64,
    /// Where each task's guard posts its key when its future ends (I1).
    ended: Sender<u64>,
    /// Where `join_next` waits for them.
    ended_keys: Receiver<u64>,
    /// The key `join_next` took from `ended_keys` and whose output it has not returned yet:
    /// kept here, not in a local, so a `join_next` dropped while awaiting that output leaves
    /// it for the next call (I3).
    ended_key: Option<u64>,
    /// The task that made the group, shown in the dump; `None` outside a task, or when the
    /// watchdog is off and so nobody records which task a worker polls (activity I2).
    owner: Option<TaskId>,
}

/// Posts the task's key to its group when the task's future is dropped (I1).
struct EndGuard {
    /// The group's channel.
    ended: Sender<u64>,
    /// The task's key in the group.
    key: u64,
}

impl Drop for EndGuard {
    fn drop(&mut self) {
        // An unbounded channel never waits; if the group is gone there is nobody to tell.
        let _ = self.ended.try_send(self.key);
    }
}

impl<T: Send + 'static> TaskGroup<T> {
    /// An empty group, owned (for the dump) by the task that creates it.
    ///
    /// ```
    /// let group = sprout::runtime::TaskGroup::<u32>::new();
    /// assert_eq!(group.len(), 0);
    /// ```
    pub fn new() -> TaskGroup<T> {
        let (ended, ended_keys) = unbounded();
        TaskGroup {
            handles: HashMap::new(),
            next_key: 0,
            ended,
            ended_keys,
            ended_key: None,
            owner: context::scheduler().and_then(|shared| current_task(&shared)),
        }
    }

    /// Spawns `future` as a task of this group and returns its id.
    ///
    /// # Panics
    /// When called outside a sprout runtime.
    ///
    /// ```
    /// sprout::run(async {
    ///     let mut group = sprout::runtime::TaskGroup::new();
    ///     let id = group.spawn(async { 1 });
    ///     assert!(id.as_u64() > 0);
    ///     assert_eq!(group.join_next().await.unwrap().unwrap(), 1);
    /// });
    /// ```
    #[track_caller]
    pub fn spawn<F>(&mut self, future: F) -> TaskId
    where
        F: Future<Output = T> + Send + 'static,
    {
        let shared = context::expect_scheduler("sprout::runtime::TaskGroup::spawn");
        let key = self.next_key;
        self.next_key += 1;
        let guard = EndGuard {
            ended: self.ended.clone(),
            key,
        };
        let task = async move {
            let _guard = guard; // Dropped with the future, on every path (I1).
            future.await
        };
        let handle = spawn_on(&shared, None, Location::caller(), self.owner, task);
        let id = handle.id();
        self.handles.insert(key, handle);
        id
    }

    /// Waits for the next task of the group to end and returns its result; `None` when the
    /// group holds no task. A cancelled task's result is its `JoinError`.
    ///
    /// Cancel-safe (I3): dropped before it returns — raced in a `select`, cut short by a
    /// `timeout` — it loses no result; the next call returns it.
    ///
    /// ```
    /// sprout::run(async {
    ///     let mut group = sprout::runtime::TaskGroup::<()>::new();
    ///     assert!(group.join_next().await.is_none()); // empty: returns at once
    /// });
    /// ```
    pub async fn join_next(&mut self) -> Option<Result<T, JoinError>> {
        loop {
            let key = match self.ended_key {
                Some(key) => key,
                None if self.handles.is_empty() => return None,
                None => {
                    let key = self
                        .ended_keys
                        .recv()
                        .await
                        .expect("the group holds a sender of its own channel");
                    *self.ended_key.insert(key)
                }
            };
            let Some(handle) = self.handles.get_mut(&key) else {
                self.ended_key = None; // A key of a task already returned: skip it.
                continue;
            };
            // The guard posts the key as the future is dropped, a moment before the output is
            // stored: the handle may still be pending briefly. It stays in `handles` (I2) and
            // the key in `ended_key` until the output is out (I3).
            let output = handle.await;
            self.handles.remove(&key);
            self.ended_key = None;
            return Some(output);
        }
    }

    /// How many tasks the group holds (spawned and not yet returned by `join_next`).
    ///
    /// ```
    /// sprout::run(async {
    ///     let mut group = sprout::runtime::TaskGroup::new();
    ///     group.spawn(async {});
    ///     assert_eq!(group.len(), 1);
    /// });
    /// ```
    pub fn len(&self) -> usize {
        self.handles.len()
    }

    /// `true` if the group holds no task.
    ///
    /// ```
    /// assert!(sprout::runtime::TaskGroup::<()>::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.handles.is_empty()
    }

    /// Cancels every task of the group. They stay in the group until joined: `join_next`
    /// returns each one's result (a cancelled `JoinError`, or its output if it had finished).
    ///
    /// ```
    /// sprout::run(async {
    ///     let mut group = sprout::runtime::TaskGroup::new();
    ///     group.spawn(std::future::pending::<()>());
    ///     group.cancel_all();
    ///     assert!(group.join_next().await.unwrap().unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn cancel_all(&mut self) {
        for handle in self.handles.values() {
            handle.cancel();
        }
    }
}

impl<T: Send + 'static> Default for TaskGroup<T> {
    fn default() -> Self {
        TaskGroup::new()
    }
}

impl<T: Send + 'static> Drop for TaskGroup<T> {
    /// Cancels every task still in the group.
    fn drop(&mut self) {
        for handle in self.handles.values() {
            handle.cancel();
        }
    }
}

impl<T: Send + 'static> fmt::Debug for TaskGroup<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskGroup")
            .field("len", &self.handles.len())
            .field("owner", &self.owner)
            .finish()
    }
}
