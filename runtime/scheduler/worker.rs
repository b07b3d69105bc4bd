//! A worker: the loop that pops tasks from the run queues and polls them, and parks when idle.
//!
//! Where it sits in the flow:
//!
//! ```text
//! spawn → run queue → [pop → poll] → Pending → waker parked in reactor → [park: epoll event] → wake → run queue → [pop → poll]
//! ```
//!
//! One turn of the loop: find a task (the LIFO slot, the pinned or local queue, the injector,
//! or steal from another worker), run it, repeat. Every [`MAINTENANCE_INTERVAL`] turns the worker also looks at the
//! injector first and polls the reactor without blocking, so neither injected tasks nor I/O
//! events nor timers wait behind a busy local queue. With nothing to run, the worker parks
//! (`park.rs`): in the reactor if nobody else waits there, else on its condvar. Whom it wakes:
//! the tasks of one reactor batch wake at most one parked worker, after the batch (park I3),
//! and a worker that steals more than the task it runs wakes the next (park I4).
//!
//! Invariants:
//! - I1: between two reactor polls a worker runs at most `MAINTENANCE_INTERVAL` tasks, so with
//!   the cooperative budget (`coop.rs`) the delay before a ready timer or socket is noticed is
//!   bounded by `MAINTENANCE_INTERVAL × BUDGET` operations.
//! - I2: a worker lists itself as idle before its final look for work (I1 of park.rs).
//! - I3: a worker never parks with a task in its own LIFO slot or deferred list: `next_task`
//!   looks at the slot after anything that can fill it, and `park` checks both again: a
//!   maintenance poll that fills the slot after it was looked at would otherwise strand a task
//!   while the worker sleeps in epoll (`bench/JOURNAL.md`, "A bug the benchmark found").
//!
//! Read next: `runtime/scheduler/lifo.rs`.

use std::sync::Arc;

use crossbeam_queue::SegQueue;

use super::lifo::{self, MAX_LIFO_RUNS};
use super::{defer, park, Shared};
use crate::runtime::hooks::Event;
use crate::runtime::task::{Runnable, TaskKind};

/// Tasks run between two non-blocking reactor polls and injector checks. A prime, as in tokio
/// and Go, so it does not beat in step with programs that do things every 2ⁿ iterations.
pub(crate) const MAINTENANCE_INTERVAL: u32 = 61;

/// One worker's private state; lives on the worker's thread.
pub(crate) struct Worker {
    /// The runtime.
    shared: Arc<Shared>,
    /// This worker's number: its queues are `shared.workers[index]`.
    index: usize,
    /// Turns of the loop so far, for the maintenance schedule (I1) and queue alternation.
    turn: u32,
    /// Slot tasks run in a row (I2 of lifo.rs).
    lifo_runs: u32,
    /// `Shared::records_activity`, kept at hand: tested before every poll.
    records_activity: bool,
}

impl Worker {
    /// The worker numbered `index` of `shared`.
    pub(crate) fn new(shared: Arc<Shared>, index: usize) -> Worker {
        Worker {
            records_activity: shared.records_activity,
            shared,
            index,
            turn: 0,
            lifo_runs: 0,
        }
    }

    /// The loop of a background worker thread: runs tasks until the runtime shuts down.
    pub(crate) fn run_until_shutdown(mut self) {
        while !self.shared.is_shutting_down() {
            match self.next_task() {
                Some(task) => self.run_task(task),
                None => self.park(),
            }
        }
        // I4 of lifo.rs, I3 of defer.rs: settle what is left (the runtime is shutting down).
        if let Some(task) = lifo::take() {
            task.shut_down();
        }
        for task in defer::take_all() {
            task.shut_down();
        }
    }

    /// Polls `task` once, showing it to the watchdog meanwhile, if there is one (activity I2).
    pub(crate) fn run_task(&self, task: Runnable) {
        if !self.records_activity {
            return task.run();
        }
        let activity = &self.shared.workers[self.index].activity;
        activity.begin(task.header().id.as_u64());
        task.run();
        activity.end();
    }

    /// The next task to run, if any work can be found without sleeping.
    // ANCHOR: next_task
    pub(crate) fn next_task(&mut self) -> Option<Runnable> {
        self.turn = self.turn.wrapping_add(1);
        let shared = &*self.shared;
        let own = &shared.workers[self.index];
        // Maintenance first: its reactor poll may put a woken task in the LIFO slot, which must
        // be looked at *after* it (I3 below).
        if self.turn % MAINTENANCE_INTERVAL == 0 {
            self.dispatch_as_batch(|| shared.reactor.poll_without_blocking());
            self.requeue_deferred(); // I2 of defer.rs
            if let Some(task) = pop_unless_empty(&shared.injector) {
                return Some(task);
            }
        }
        if let Some(task) = lifo::take() {
            if self.lifo_runs < MAX_LIFO_RUNS {
                self.lifo_runs += 1;
                return Some(task);
            }
            shared.push_local(self.index, task); // I2 of lifo.rs: the queue's turn.
        }
        self.lifo_runs = 0;
        // Alternate which of our two queues goes first, so a task that keeps yielding in one
        // cannot starve the other.
        let pop_local = || shared.pop_local(self.index);
        let pop_pinned = || pop_unless_empty(&own.pinned);
        let mine = if self.turn % 2 == 0 {
            pop_pinned().or_else(pop_local)
        } else {
            pop_local().or_else(pop_pinned)
        };
        mine.or_else(|| pop_unless_empty(&shared.injector))
            .or_else(|| self.steal())
            .or_else(|| self.after_the_reactor())
    }
    // ANCHOR_END: next_task

    /// When only tasks that yielded are left: looks at the reactor first, so whatever became
    /// ready goes ahead of them (defer I2), then takes the first of them all.
    fn after_the_reactor(&self) -> Option<Runnable> {
        if defer::is_empty() {
            return None;
        }
        self.dispatch_as_batch(|| self.shared.reactor.poll_without_blocking());
        self.requeue_deferred();
        lifo::take().or_else(|| self.shared.pop_local(self.index))
    }

    /// Runs `dispatch`, a reactor dispatch whose wake-ups fill our LIFO slot and local queue, as
    /// one batch (I3 of park.rs): its pushes wake nobody, and afterwards one parked worker is
    /// woken if the local queue holds tasks for it to steal.
    fn dispatch_as_batch(&self, dispatch: impl FnOnce()) {
        let shared = &*self.shared;
        if shared.works_alone() {
            return dispatch(); // Nobody to wake (solo I1).
        }
        park::in_batch(dispatch);
        if !shared.workers[self.index].local.is_empty() {
            shared.wake_one_idle();
        }
    }

    /// Moves the deferred tasks to the back of the local queue.
    fn requeue_deferred(&self) {
        for task in defer::take_all() {
            self.shared.requeue_deferred(self.index, task);
        }
    }

    /// Takes about half of another worker's local queue; returns one task to run now.
    fn steal(&self) -> Option<Runnable> {
        let workers = &self.shared.workers;
        let count = workers.len();
        // Start at a different victim each time so no worker is always robbed first.
        let start = self.turn as usize % count;
        for offset in 0..count {
            let victim = (start + offset) % count;
            if victim == self.index {
                continue;
            }
            let queue = &workers[victim].local;
            let Some(first) = queue.pop() else { continue };
            let own = &workers[self.index].local;
            for _ in 0..queue.len() / 2 {
                match queue.pop() {
                    Some(task) => own.push(task),
                    None => break,
                }
            }
            // Park I4: what we took beyond this first task is work for one more sleeper.
            if !own.is_empty() {
                self.shared.wake_one_idle();
            }
            return Some(first);
        }
        None
    }

    /// Sleeps until there may be work: in the reactor if it is free, else on the condvar.
    // ANCHOR: park
    pub(crate) fn park(&mut self) {
        let shared = &*self.shared;
        shared.idle.announce(self.index); // I2
        let own_slots_busy = lifo::is_occupied() || !defer::is_empty(); // I3
        if own_slots_busy || shared.has_work_for(self.index) {
            shared.idle.withdraw(self.index);
            return;
        }
        let parker = &shared.workers[self.index].parker;
        match shared.reactor.try_drive() {
            Some(mut driver) => {
                parker.park_in_reactor(|| shared.reactor.wait(&mut driver));
                // Leave the idle list before waking tasks, so the wake-ups below look for
                // *another* parked worker to help, not this one.
                shared.idle.withdraw(self.index);
                // Each wake-up goes into our LIFO slot; the task it displaces goes to our local
                // queue, and after the batch one more parked worker is woken to share the load.
                self.dispatch_as_batch(|| {
                    shared.reactor.dispatch(&mut driver);
                });
            }
            None => {
                shared.report(|| Event::WorkerParks);
                parker.park_on_condvar();
                shared.idle.withdraw(self.index);
                shared.report(|| Event::WorkerUnparked);
            }
        }
    }
    // ANCHOR_END: park
}

/// Pops from `queue`, looking first whether it is empty. The queues a worker looks at on every
/// turn are usually empty (the pinned queue unless `spawn_local` is used, the injector unless
/// other threads spawn), and `SegQueue::pop` finds that out only after a `SeqCst` fence (a
/// locked instruction on x86), where `is_empty` is two plain loads. A push racing with the look
/// is found on the next turn, as it would be if it came just after a `pop`.
fn pop_unless_empty(queue: &SegQueue<Runnable>) -> Option<Runnable> {
    if queue.is_empty() {
        None
    } else {
        queue.pop()
    }
}

/// Moves what worker 0's thread still holds to where other workers find it, when `block_on`
/// returns or unwinds (block_on I2): its LIFO slot (lifo I4), its deferred list and its local
/// queue go to the injector; a deferred `spawn_local` task goes back on its pinned queue (it
/// belongs to this thread, local I1, and is dropped with the thread's local futures).
pub(crate) fn hand_back_worker_zero(shared: &Shared) {
    if let Some(task) = lifo::take() {
        shared.injector.push(task);
    }
    for task in defer::take_all() {
        if task.header().kind() == TaskKind::Local {
            shared.workers[0].pinned.push(task);
        } else {
            shared.injector.push(task);
        }
    }
    while let Some(task) = shared.pop_local(0) {
        shared.injector.push(task);
    }
}

#[cfg(test)]
mod tests {
    use std::panic::Location;
    use std::time::{Duration, Instant};

    use super::*;
    use crate::runtime::reactor::{Reactor, WaitMode};
    use crate::runtime::scheduler::blocking::BlockingPool;
    use crate::runtime::scheduler::{context, spawn};
    use crate::runtime::task::{TaskCell, TaskKind};

    /// A task of `shared` that nothing has run yet.
    fn task(shared: &Arc<Shared>) -> Runnable {
        spawn::new_task(
            shared,
            None,
            Location::caller(),
            TaskKind::Async,
            None,
            |header| TaskCell::new(header, shared.clone(), async {}),
        )
    }

    /// A scheduler of `workers` workers with no threads: this test's thread plays them.
    fn scheduler_of(workers: usize) -> Arc<Shared> {
        let reactor = Reactor::new(None, WaitMode::DEFAULT).expect("a reactor");
        let pool = BlockingPool::new(1, Duration::from_secs(1));
        Arc::new(Shared::new(workers, reactor, pool, Instant::now(), true))
    }

    /// Shuts down what worker 0's LIFO slot and local queue hold; returns how many tasks.
    fn empty_worker_zero(shared: &Shared) -> usize {
        let held: Vec<Runnable> = lifo::take()
            .into_iter()
            .chain(std::iter::from_fn(|| shared.workers[0].local.pop()))
            .collect();
        held.iter().for_each(|task| task.shut_down());
        held.len()
    }

    #[test]
    fn a_reactor_batch_wakes_one_parked_worker_after_its_last_wake_up() {
        let shared = scheduler_of(2);
        let _worker_zero = context::enter(shared.clone(), Some(0));
        let worker = Worker::new(shared.clone(), 0);
        shared.idle.announce(1); // Worker 1 sleeps.
        let tasks: Vec<Runnable> = (0..3).map(|_| task(&shared)).collect();
        worker.dispatch_as_batch(|| {
            for task in tasks {
                shared.schedule(task); // Each displaces the one before from the LIFO slot.
            }
            let asleep = shared.idle.lists(1);
            assert!(asleep, "a push during the batch woke worker 1 (park I3)");
        });
        let asleep = shared.idle.lists(1);
        assert!(
            !asleep,
            "the batch left two tasks to steal, yet worker 1 sleeps"
        );
        assert_eq!(empty_worker_zero(&shared), 3, "every task is queued");

        // One wake-up fills only the LIFO slot: nothing to steal, nobody woken.
        shared.idle.announce(1);
        let lone = task(&shared);
        worker.dispatch_as_batch(|| shared.schedule(lone));
        assert!(
            shared.idle.lists(1),
            "one task for the LIFO slot woke worker 1"
        );
        assert_eq!(empty_worker_zero(&shared), 1);

        shared.begin_shutdown();
        shared.finish_shutdown();
    }

    #[test]
    fn a_thief_that_leaves_work_in_its_queue_wakes_the_next_sleeper() {
        let shared = scheduler_of(3);
        // Worker 0's queue holds what a reactor batch displaced; workers 1 and 2 sleep.
        for _ in 0..5 {
            shared.workers[0].local.push(task(&shared));
        }
        shared.idle.announce(2);
        let thief = Worker::new(shared.clone(), 1);
        let stolen = thief.steal().expect("worker 0's queue has tasks to steal");
        stolen.shut_down();
        let taken = shared.workers[1].local.len();
        assert_eq!(
            taken, 2,
            "the thief takes half of what is left after its first"
        );
        let asleep = shared.idle.lists(2);
        assert!(
            !asleep,
            "the thief left {taken} tasks to steal, yet worker 2 sleeps (park I4)"
        );

        // A thief that takes the victim's last task leaves nothing to share: nobody is woken.
        let emptied = [&shared.workers[0].local, &shared.workers[1].local];
        emptied.iter().for_each(|queue| {
            while let Some(task) = queue.pop() {
                task.shut_down();
            }
        });
        shared.workers[0].local.push(task(&shared));
        shared.idle.announce(2);
        thief.steal().expect("one task to steal").shut_down();
        assert!(
            shared.idle.lists(2),
            "a thief with nothing left over woke worker 2"
        );

        shared.begin_shutdown();
        shared.finish_shutdown();
    }
}
