//! Taking a [`RuntimeDump`]: the registry's tasks, each matched with what it waits on, plus
//! the reactor's fds and timers and the blocking pool's counts.
//!
//! Where it sits: a photograph of the whole flow at one instant (see `observe/dump.rs`).
//!
//! What a task waits on is learned without asking the future: the wakers parked in the
//! reactor's sources, in the timer queue and in `JoinHandle`s are matched to the tasks they
//! point at. A waker made from a task's `Arc` carries that `Arc`'s pointer as its data
//! (`task::address`), so the address names the task. That costs nothing until a dump is taken.
//!
//! ```text
//! [spawn … registry] → [run queue: scheduled] → [poll: running] → Pending → [waker parked: matched to its task] → …
//! ```
//!
//! Read next: `runtime/observe/monitor.rs`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use super::dump::{RuntimeDump, SourceDump, TaskDump, WaitingOn};
use crate::runtime::direction::Direction;
use crate::runtime::reactor::Reactor;
use crate::runtime::scheduler::Shared;
use crate::runtime::task::{address, Header};

impl RuntimeDump {
    /// Takes the snapshot of `shared`.
    pub(crate) fn take(shared: &Shared) -> RuntimeDump {
        let now = Instant::now();
        let mut tasks = task_snapshots(shared, now, usize::MAX);
        tasks.sort_by_key(|task| task.id);
        let (blocking_busy, blocking_idle, blocking_queued) = shared.blocking.counts();
        RuntimeDump {
            uptime: now.saturating_duration_since(shared.epoch),
            workers: shared.workers.len(),
            tasks,
            sources: source_snapshots(&shared.reactor),
            timers: shared
                .reactor
                .timers()
                .into_iter()
                .map(|(deadline, _)| deadline.saturating_duration_since(now))
                .collect(),
            blocking_busy,
            blocking_idle,
            blocking_queued,
        }
    }
}

// ANCHOR: task_snapshots
/// A [`TaskDump`] of the first `limit` live tasks in registry order, with what each waits on:
/// the wakers parked in the reactor, the timer queue and the `JoinHandle`s are matched to the
/// tasks they point at (see the module doc).
pub(crate) fn task_snapshots(shared: &Shared, now: Instant, limit: usize) -> Vec<TaskDump> {
    let mut tasks = Vec::new();
    // (task address, index into `tasks`) and (joiner's address, the task it awaits).
    let mut addresses = HashMap::new();
    let mut joiners = Vec::new();
    for task in shared.registry.list(limit) {
        let header = task.header();
        // A thin pointer to the task, the same address its wakers carry.
        let address = Arc::as_ptr(&task).cast::<()>() as usize;
        addresses.insert(address, tasks.len());
        if let Some(joiner) = header.joiner_address() {
            joiners.push((joiner, WaitingOn::Task(header.id)));
        }
        tasks.push(snapshot(header));
    }
    let parked = parked_waiters(&shared.reactor, now);
    for (address, waiting_on) in parked.into_iter().chain(joiners) {
        if let Some(&index) = addresses.get(&address) {
            tasks[index].waiting_on.push(waiting_on);
        }
    }
    tasks
}
// ANCHOR_END: task_snapshots

/// The dump's view of one task, before its waits are filled in.
fn snapshot(header: &Header) -> TaskDump {
    let meta = &header.meta;
    let counters = meta.counters();
    TaskDump {
        id: header.id,
        name: meta.name().map(str::to_owned),
        spawned_at: meta.spawned_at(),
        kind: header.kind(),
        state: header.state(),
        polls: counters.polls,
        busy: counters.busy,
        longest_poll: counters.longest,
        waiting_on: Vec::new(),
        group_owner: meta.group_owner(),
    }
}

/// Who waits in the reactor: for every waker parked on a source or in the timer queue, the
/// address it points at (a task's, for a task's waker) and what it waits for.
fn parked_waiters(reactor: &Reactor, now: Instant) -> Vec<(usize, WaitingOn)> {
    let mut waiters = Vec::new();
    for source in reactor.sources() {
        for direction in [Direction::Read, Direction::Write] {
            for waker in source.parked(direction) {
                waiters.push((address(&waker), WaitingOn::fd(source.fd(), direction)));
            }
        }
    }
    for (deadline, waker) in reactor.timers() {
        let left = deadline.saturating_duration_since(now);
        waiters.push((address(&waker), WaitingOn::Timer(left)));
    }
    waiters
}

/// The dump's view of every registered fd.
fn source_snapshots(reactor: &Reactor) -> Vec<SourceDump> {
    reactor
        .sources()
        .iter()
        .map(|source| {
            let (readable, writable) = source.readiness();
            SourceDump {
                fd: source.fd(),
                readable,
                writable,
                waiting_readers: source.parked(Direction::Read).len(),
                waiting_writers: source.parked(Direction::Write).len(),
            }
        })
        .collect()
}
