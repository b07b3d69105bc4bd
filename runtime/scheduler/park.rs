//! Parking: how an idle worker sleeps without burning CPU, and how a wake-up finds it.
//!
//! Where it sits in the flow:
//!
//! ```text
//! spawn → run queue → poll → Pending → [worker parks: in epoll, or on a condvar] → epoll event → wake → [unpark] → run queue
//! ```
//!
//! A worker with nothing to run parks in one of two places. If nobody else is waiting in the
//! reactor, it waits there (in `epoll_wait`), so I/O events and timers wake it. Otherwise it
//! sleeps on its own condition variable. Either way it is listed in [`Idle`], so whoever pushes
//! new work can pick a sleeper and [`Parker::unpark`] it: through the poller's notify (an eventfd
//! write) if it is in epoll, or through its condvar otherwise.
//!
//! Invariants:
//! - I1: a wake-up is never lost. The pusher makes its work visible, then (after a `SeqCst`
//!   fence) reads the idle count; the parker joins the idle list, then (after a `SeqCst` fence)
//!   looks for work. At least one of them sees the other.
//! - I2: `Parker::notified` is a token: `unpark` sets it, `park` consumes it. A token set before
//!   the parker sleeps makes it return at once; the condvar is notified under its mutex, so a
//!   parker between its check and its wait cannot miss it; the poller's notify is sticky.
//! - I3: the wake-ups of one reactor batch wake at most one sleeper, after the batch. While a
//!   worker wakes the batch's tasks ([`in_batch`]), its pushes leave the sleepers alone; then the
//!   worker wakes one if it left tasks in its local queue to steal (`Worker::dispatch_as_batch`).
//!   Waking at each push woke the helper at the batch's first displaced task, and the helper
//!   often stole it, ran it and parked again before the batch ended, to be woken again by the
//!   next one. One wake per batch cuts the echo server's futex calls and context switches
//!   under Shakespeare on two workers (`scripts/wakeups-under-load.sh`; docs/ chapter 12 has
//!   the figures). I1 still holds: the tasks are pushed before the wake's fence.
//! - I4: work spreads one wake at a time. A worker that steals and leaves tasks in its own
//!   queue beyond the one it runs wakes one more sleeper (`Worker::steal`), so a batch too big
//!   for two workers reaches a third, a fourth, and so on, each woken by a worker that has
//!   work to share. Before I3, a batch of many displaced tasks woke a sleeper per push, and
//!   without this chain it would have woken only one helper however many workers slept.
//!
//! Read next: `runtime/scheduler/activity.rs`.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

use crate::runtime::lock::lock;
use crate::runtime::reactor::Reactor;

/// One worker's alarm clock.
pub(crate) struct Parker {
    /// The wake-up token (I2). Set by `unpark`, consumed by `park_*`.
    notified: AtomicBool,
    /// `true` while this worker is (about to be) blocked in the reactor, so `unpark` must go
    /// through the poller rather than the condvar.
    in_reactor: AtomicBool,
    /// Guards the condvar sleep; holds no data.
    mutex: Mutex<()>,
    /// Where the worker sleeps when another worker waits in the reactor.
    condvar: Condvar,
}

impl Parker {
    /// A parker with no pending token.
    pub(crate) fn new() -> Parker {
        Parker {
            notified: AtomicBool::new(false),
            in_reactor: AtomicBool::new(false),
            mutex: Mutex::new(()),
            condvar: Condvar::new(),
        }
    }

    /// Wakes the worker if it sleeps, or makes its next park return at once.
    // ANCHOR: unpark
    pub(crate) fn unpark(&self, reactor: &Reactor) {
        if self.notified.swap(true, Ordering::SeqCst) {
            return; // A token is already pending: the worker will see it.
        }
        if self.in_reactor.load(Ordering::SeqCst) {
            reactor.notify();
        } else {
            // Taking the mutex orders this notify after the parker's check-then-wait (I2).
            drop(lock(&self.mutex));
            self.condvar.notify_one();
        }
    }
    // ANCHOR_END: unpark

    /// Sleeps on the condvar until a token arrives.
    pub(crate) fn park_on_condvar(&self) {
        let mut guard = lock(&self.mutex);
        while !self.notified.swap(false, Ordering::SeqCst) {
            guard = self
                .condvar
                .wait(guard)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }

    /// Runs `wait` (a blocking reactor wait) unless a token is already pending. While `wait`
    /// runs, `unpark` interrupts it through the poller. Consumes any token that arrived.
    pub(crate) fn park_in_reactor(&self, wait: impl FnOnce()) {
        self.in_reactor.store(true, Ordering::SeqCst);
        if !self.notified.swap(false, Ordering::SeqCst) {
            wait();
        }
        self.in_reactor.store(false, Ordering::SeqCst);
        self.notified.store(false, Ordering::SeqCst);
    }
}

thread_local! {
    /// `true` while this worker wakes the tasks of one reactor batch (I3).
    static IN_BATCH: Cell<bool> = const { Cell::new(false) };
}

/// Runs `wake_all`, the wake-ups of one reactor batch, as a batch: the pushes it makes wake no
/// sleeper (I3), and the caller decides afterwards whether one is needed.
pub(crate) fn in_batch<R>(wake_all: impl FnOnce() -> R) -> R {
    /// Ends the batch even if a waker panics, so later pushes wake sleepers again.
    struct EndBatch(bool);
    impl Drop for EndBatch {
        fn drop(&mut self) {
            IN_BATCH.with(|flag| flag.set(self.0));
        }
    }
    let _end = EndBatch(IN_BATCH.with(|flag| flag.replace(true)));
    wake_all()
}

/// `true` if this thread is waking the tasks of a reactor batch (I3).
pub(crate) fn is_in_batch() -> bool {
    IN_BATCH.with(Cell::get)
}

/// The set of parked workers, so a pusher can find one to wake.
pub(crate) struct Idle {
    /// How many workers are listed; read without the lock on every push (I1).
    count: AtomicUsize,
    /// The parked workers' indices, most recently parked last.
    sleepers: Mutex<Vec<usize>>,
}

impl Idle {
    /// An empty set for `workers` workers.
    pub(crate) fn new(workers: usize) -> Idle {
        Idle {
            count: AtomicUsize::new(0),
            sleepers: Mutex::new(Vec::with_capacity(workers)),
        }
    }

    /// Lists `worker` as parked. The caller then fences and looks for work (I1).
    pub(crate) fn announce(&self, worker: usize) {
        let mut sleepers = lock(&self.sleepers);
        if !sleepers.contains(&worker) {
            sleepers.push(worker);
        }
        self.count.store(sleepers.len(), Ordering::SeqCst);
    }

    /// Unlists `worker` (it found work, or woke up). Returns `true` if it was listed.
    pub(crate) fn withdraw(&self, worker: usize) -> bool {
        let mut sleepers = lock(&self.sleepers);
        let listed = sleepers.iter().position(|&w| w == worker);
        if let Some(position) = listed {
            sleepers.swap_remove(position);
            self.count.store(sleepers.len(), Ordering::SeqCst);
        }
        listed.is_some()
    }

    /// `true` if `worker` is listed as parked.
    #[cfg(test)]
    pub(crate) fn lists(&self, worker: usize) -> bool {
        lock(&self.sleepers).contains(&worker)
    }

    /// Unlists and returns one parked worker, if any. Cheap when none is parked: one atomic load.
    pub(crate) fn pop(&self) -> Option<usize> {
        std::sync::atomic::fence(Ordering::SeqCst);
        if self.count.load(Ordering::SeqCst) == 0 {
            return None;
        }
        let mut sleepers = lock(&self.sleepers);
        let worker = sleepers.pop();
        self.count.store(sleepers.len(), Ordering::SeqCst);
        worker
    }
}
