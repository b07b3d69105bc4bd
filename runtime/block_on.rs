//! `block_on`: where the first future enters. The calling thread becomes worker 0 for as long as
//! it waits, and [`run`] is the usual entry point built on it.
//!
//! Where it sits in the flow: around it.
//!
//! ```text
//! [block_on(main)] → poll main → spawn → run queue → poll → … → main Ready → [block_on returns]
//! ```
//!
//! A runtime of `n` workers starts `n - 1` background threads; the thread inside `block_on` is
//! the n-th. So `workers(1)` is a single-threaded runtime in which everything — the main future,
//! every task, the reactor — runs on the caller's thread, like tokio's `current_thread`. The
//! main future is polled through the same `poll_guarded` as every task (task/poll I1, I2).
//!
//! Invariants:
//! - I1: only one thread at a time is inside `block_on` of a given runtime (it is worker 0).
//! - I2: when `block_on` returns (or unwinds), worker 0's queued tasks move to the injector, its
//!   `spawn_local` tasks are dropped, and it leaves the idle list: nothing is stranded on a
//!   worker that no longer runs.
//!
//! Read next: `runtime/task/mod.rs` (the task the first future's `spawn` creates).

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use super::hooks::Event;
use super::runtime::Runtime;
use super::scheduler::worker::{self, Worker, MAINTENANCE_INTERVAL};
use super::scheduler::{context, Shared, MAIN_FUTURE};
use super::task::{self, poll_guarded};

impl Runtime {
    /// Runs `future` to completion on this thread, which works as worker 0 meanwhile (it also
    /// runs other tasks and drives the reactor). The future need not be `Send`.
    ///
    /// # Panics
    /// If called from inside a runtime (it would block a worker: `.await` the future instead),
    /// or while another thread is inside `block_on` of the same runtime (I1). A panic of
    /// `future` itself propagates to the caller.
    ///
    /// ```
    /// let runtime = sprout::Runtime::builder().workers(1).build()?;
    /// let greeting = runtime.block_on(async {
    ///     sprout::sleep(std::time::Duration::from_millis(1)).await;
    ///     "done"
    /// });
    /// assert_eq!(greeting, "done");
    /// # std::io::Result::Ok(())
    /// ```
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        // A worker must not block; any other thread may, a `spawn_blocking` closure included.
        assert!(
            context::current_worker_index().is_none(),
            "Runtime::block_on was called on a worker thread of a sprout runtime; it would block \
             that worker. Await the future instead, or call it from spawn_blocking"
        );
        let shared = &self.shared;
        assert!(
            !shared.main_active.swap(true, Ordering::AcqRel),
            "Runtime::block_on is already running on another thread for this runtime"
        );
        let _context = context::enter(shared.clone(), Some(0));
        let _leave = LeaveWorkerZero(shared.clone()); // I2, also on unwind.
        let waker = Waker::from(Arc::new(MainWaker(shared.clone())));
        let mut cx = Context::from_waker(&waker);
        let mut future = pin!(future);
        let mut worker = Worker::new(shared.clone(), 0);
        shared.main_woken.store(true, Ordering::SeqCst);
        let activity = &shared.workers[0].activity;
        loop {
            if shared.main_woken.swap(false, Ordering::AcqRel) {
                shared.report(|| Event::MainPolled);
                let record = shared.records_activity; // activity I2
                if record {
                    activity.begin(MAIN_FUTURE);
                }
                let polled = poll_guarded(&mut cx, |cx| future.as_mut().poll(cx));
                if record {
                    activity.end();
                }
                // The main future's panic is the caller's: it goes on up through `block_on`
                // (after the worker-zero guard below has put every queued task back).
                let polled = polled.unwrap_or_else(|payload| std::panic::resume_unwind(payload));
                shared.report(|| Event::MainReturned {
                    ready: polled.is_ready(),
                });
                if let Poll::Ready(output) = polled {
                    return output;
                }
            }
            // Run a batch of tasks before looking at the main future again (tokio's
            // current_thread does the same): re-polling it after every task would make it
            // register wakers on handles whose tasks have simply not had their turn yet.
            let mut ran = 0;
            while ran < MAINTENANCE_INTERVAL {
                let Some(task) = worker.next_task() else {
                    break;
                };
                worker.run_task(task);
                ran += 1;
            }
            if ran == 0 {
                worker.park(); // Returns at once if the main future was woken meanwhile.
            }
        }
    }
}

/// The waker of the `block_on` future: flags worker 0 and wakes it.
struct MainWaker(Arc<Shared>);

impl Wake for MainWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.report(|| Event::MainWoken);
        self.0.wake_main();
    }
}

/// Restores I2 when `block_on` returns or unwinds.
struct LeaveWorkerZero(Arc<Shared>);

impl Drop for LeaveWorkerZero {
    fn drop(&mut self) {
        let shared = &self.0;
        shared.idle.withdraw(0);
        worker::hand_back_worker_zero(shared);
        task::drop_all_on_this_thread();
        shared.main_woken.store(false, Ordering::SeqCst);
        shared.main_active.store(false, Ordering::Release);
        // Tasks moved to the injector: let a background worker (if any) pick them up.
        shared.wake_one_idle();
    }
}

/// Starts the default runtime and runs `future` on it: one worker per CPU, or `SPROUT_WORKERS`.
/// The usual entry point of a sprout program.
///
/// # Panics
/// If the runtime cannot start (for instance, `SPROUT_WORKERS` is not a positive integer), or
/// if called from inside a runtime.
///
/// ```
/// let greeting = sprout::run(async { "hello" });
/// assert_eq!(greeting, "hello");
/// ```
pub fn run<F: Future>(future: F) -> F::Output {
    let runtime = Runtime::builder()
        .build()
        .unwrap_or_else(|error| panic!("sprout::run could not start the runtime: {error}"));
    runtime.block_on(future)
}
