//! The blocking pool: threads for work that would block a worker — file I/O, DNS, CPU loops.
//!
//! Where it sits in the flow: beside it. [`spawn_blocking`] makes a task whose "future" runs the
//! closure in a single poll, and hands it to this pool instead of a run queue:
//!
//! ```text
//! spawn_blocking → [pool queue → pool thread runs the closure] → output stored → JoinHandle wakes → run queue → poll
//! ```
//!
//! The pool starts with no threads. A job finds an idle thread, or a new thread is started,
//! up to the cap; a thread that stays idle for the keep-alive time exits. So a burst of blocking
//! work grows the pool and quiet time shrinks it back to zero.
//!
//! Invariants:
//! - I1: `idle` counts the threads waiting on `job_ready`, including those already notified
//!   that have not yet reacquired the lock; a job is pushed before a thread is notified, under
//!   the same lock, so an idle thread never sleeps past a queued job. A job notifies only while
//!   the idle threads outnumber the jobs queued before it; otherwise it starts a thread (up to
//!   the cap), so a quick job never waits behind a slow one while the pool may still grow.
//! - I2: a blocking task is `SCHEDULED` from spawn until a pool thread runs it, so neither a
//!   wake-up nor `cancel` can push it onto a worker's run queue (task I1); `cancel` before it
//!   starts makes the pool thread drop the closure unrun.
//!
//! Read next: `runtime/reactor/mod.rs` (where a parked worker waits, and where wakers are parked).

use std::collections::VecDeque;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::spawn::new_task;
use super::{context, Shared};
use crate::runtime::coop;
use crate::runtime::lock::lock;
use crate::runtime::task::{JoinHandle, Runnable, TaskCell, TaskKind};

/// How long an idle pool thread waits for a job before it exits, by default.
pub(crate) const DEFAULT_KEEP_ALIVE: Duration = Duration::from_secs(10);

/// The pool of one runtime.
pub(crate) struct BlockingPool {
    /// Queue and thread counts.
    state: Mutex<PoolState>,
    /// Signalled when a job is queued or the pool shuts down.
    job_ready: Condvar,
    /// Signalled when the last thread exits (shutdown waits on it).
    all_exited: Condvar,
    /// The most threads the pool will run at once.
    max_threads: usize,
    /// How long an idle thread waits for a job before it exits.
    keep_alive: Duration,
}

/// What the pool lock guards.
struct PoolState {
    /// Jobs waiting for a thread.
    queue: VecDeque<Runnable>,
    /// Threads alive (busy or idle).
    threads: usize,
    /// Threads waiting for a job (I1).
    idle: usize,
    /// Set at runtime shutdown: threads finish their job and exit.
    shutting_down: bool,
}

impl BlockingPool {
    /// An empty pool that will run up to `max_threads` threads, each exiting after
    /// `keep_alive` without work.
    pub(crate) fn new(max_threads: usize, keep_alive: Duration) -> BlockingPool {
        BlockingPool {
            state: Mutex::new(PoolState {
                queue: VecDeque::new(),
                threads: 0,
                idle: 0,
                shutting_down: false,
            }),
            job_ready: Condvar::new(),
            all_exited: Condvar::new(),
            max_threads: max_threads.max(1),
            keep_alive,
        }
    }

    /// Queues `job`, waking an idle thread or starting a new one.
    pub(crate) fn submit(&self, shared: &Arc<Shared>, job: Runnable) {
        let mut state = lock(&self.state);
        // The runtime's flag is set first; the pool's own only once the tasks are dropped, and
        // a job submitted in between (by a destructor) must not start either.
        if state.shutting_down || shared.is_shutting_down() {
            // Not started, like any task pushed during shutdown: the registry's drain drops the
            // closure, not this caller, who may hold a lock its destructors take (scheduler I1).
            return;
        }
        state.queue.push_back(job);
        // An idle thread leaves `idle` only once it runs again, after a notified thread has
        // reacquired the lock: until then it is still counted, though already promised to a job
        // in the queue. So there is an idle thread for this job only if the idle threads
        // outnumber the jobs queued before it (I1).
        if state.idle >= state.queue.len() {
            self.job_ready.notify_one();
            return;
        }
        if state.threads >= self.max_threads {
            return; // A busy thread will take it when it finishes its job.
        }
        state.threads += 1;
        drop(state);
        let pool_shared = shared.clone();
        let started = std::thread::Builder::new()
            .name("sprout-blocking".into())
            .spawn(move || pool_shared.blocking.thread_main(&pool_shared));
        if let Err(error) = started {
            let mut state = lock(&self.state);
            state.threads -= 1;
            if state.threads == 0 {
                // Nobody would ever run the queue: run it here rather than leave joiners hanging.
                eprintln!("sprout: could not start a blocking thread ({error}); running inline");
                let jobs: Vec<Runnable> = state.queue.drain(..).collect();
                drop(state);
                jobs.into_iter().for_each(|job| job.run());
            }
        }
    }

    /// The loop of one pool thread.
    fn thread_main(&self, shared: &Arc<Shared>) {
        let _runtime = context::enter(shared.clone(), None);
        let mut state = lock(&self.state);
        loop {
            if let Some(job) = state.queue.pop_front() {
                drop(state);
                job.run();
                state = lock(&self.state);
                continue;
            }
            if state.shutting_down {
                break;
            }
            state.idle += 1;
            let (next, wait) = self
                .job_ready
                .wait_timeout(state, self.keep_alive)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            state = next;
            state.idle -= 1;
            if wait.timed_out() && state.queue.is_empty() {
                break;
            }
        }
        state.threads -= 1;
        if state.threads == 0 {
            self.all_exited.notify_all();
        }
    }

    /// Stops the pool: queued jobs are dropped; running ones finish, then their threads exit.
    pub(crate) fn shut_down(&self) {
        let mut state = lock(&self.state);
        state.shutting_down = true;
        let dropped: Vec<Runnable> = state.queue.drain(..).collect();
        drop(state);
        self.job_ready.notify_all();
        dropped.into_iter().for_each(|job| job.shut_down());
    }

    /// After [`shut_down`](Self::shut_down): waits until every pool thread has exited or
    /// `deadline` passes (`None`: no deadline). Returns `true` if they all exited.
    pub(crate) fn wait_for_threads(&self, deadline: Option<Instant>) -> bool {
        let mut state = lock(&self.state);
        while state.threads > 0 {
            let Some(deadline) = deadline else {
                let woken = self.all_exited.wait(state);
                state = woken.unwrap_or_else(|poisoned| poisoned.into_inner());
                continue;
            };
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            state = self
                .all_exited
                .wait_timeout(state, left)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
        }
        true
    }

    /// `(busy, idle)` thread counts.
    pub(crate) fn thread_counts(&self) -> (usize, usize) {
        let (busy, idle, _) = self.counts();
        (busy, idle)
    }

    /// `(busy threads, idle threads, queued jobs)`.
    pub(crate) fn counts(&self) -> (usize, usize, usize) {
        let state = lock(&self.state);
        (state.threads - state.idle, state.idle, state.queue.len())
    }
}

/// A closure dressed as a future that completes in one poll: how a blocking job becomes a task.
struct BlockingJob<F>(Option<F>);

// The closure is never pinned (it is moved out and called), so the job may move freely.
impl<F> Unpin for BlockingJob<F> {}

impl<F: FnOnce() -> R, R> Future for BlockingJob<F> {
    type Output = R;

    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<R> {
        let job = self
            .0
            .take()
            .expect("a blocking job is polled once: its task completes on the first poll");
        // The closure is plain blocking code, not a future: sprout channels or `Async` reads it
        // drives with some `block_on` must not be throttled by the poll's budget (coop I3).
        let _unlimited = coop::BudgetScope::unlimited();
        Poll::Ready(job())
    }
}

/// Runs the blocking closure `f` on the runtime's blocking pool and returns a handle to its
/// result. Use it for anything that would stop a worker: reading a file, a DNS lookup, a long
/// computation. A panic in `f` is delivered as a [`JoinError`](crate::JoinError).
///
/// # Panics
/// When called outside a sprout runtime.
///
/// ```
/// sprout::run(async {
///     let size = sprout::spawn_blocking(|| std::fs::read("Cargo.toml").map(|bytes| bytes.len()));
///     assert!(size.await.unwrap().unwrap() > 0);
/// });
/// ```
#[track_caller]
pub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    spawn_blocking_named(None, Location::caller(), f)
}

/// `spawn_blocking` with a name and an explicit spawn site (for `TaskBuilder`).
#[track_caller]
pub(crate) fn spawn_blocking_named<F, R>(
    name: Option<Box<str>>,
    site: &'static Location<'static>,
    f: F,
) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let shared = context::expect_scheduler("sprout::spawn_blocking");
    let task = new_task(&shared, name, site, TaskKind::Blocking, None, |header| {
        TaskCell::new(header, shared.clone(), BlockingJob(Some(f)))
    });
    shared.blocking.submit(&shared, task.clone());
    JoinHandle::new(task)
}
