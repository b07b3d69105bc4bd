//! A spawned future lives inline in its task's allocation and is polled pinned where it lies
//! (`runtime/task/cell.rs`, cell I1). These tests check that promise from outside, on every way
//! a task can end: a `!Unpin` future records its own address at each poll and in its destructor,
//! and counts how often its destructor and its output's destructor run.
//!
//! What must hold, each time: one address from the first poll to the destructor (never moved
//! once pinned), the future dropped exactly once, the output dropped exactly once when there is
//! one (and never when there is none).

mod support;

use std::future::Future;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use support::{runtime, within};

/// What one tracked future saw.
#[derive(Default)]
struct Log {
    /// Its address at each poll, then in its destructor.
    addresses: Mutex<Vec<usize>>,
    /// How often its destructor ran.
    future_drops: AtomicUsize,
    /// How often its output's destructor ran.
    output_drops: AtomicUsize,
}

impl Log {
    fn record(&self, address: usize) {
        self.addresses.lock().unwrap().push(address);
    }

    fn polls_and_drop(&self) -> usize {
        self.addresses.lock().unwrap().len()
    }

    /// Checks I1 and the counts once the task is over: `polls` polls at least, every address
    /// the same, one drop of the future, `outputs` drops of the output.
    fn check(&self, what: &str, min_polls: usize, outputs: usize) {
        let addresses = self.addresses.lock().unwrap().clone();
        assert!(
            addresses.len() > min_polls,
            "{what}: {} polls and drops recorded, expected more than {min_polls}",
            addresses.len()
        );
        assert!(
            addresses.iter().all(|&a| a == addresses[0]),
            "{what}: the future moved after it was pinned: {addresses:x?}"
        );
        assert_eq!(
            self.future_drops.load(Ordering::SeqCst),
            1,
            "{what}: the future's destructor ran this often"
        );
        assert_eq!(
            self.output_drops.load(Ordering::SeqCst),
            outputs,
            "{what}: the output's destructor ran this often"
        );
    }
}

/// The output: counts its own drop.
struct Output(Arc<Log>);

impl std::fmt::Debug for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Output")
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        self.0.output_drops.fetch_add(1, Ordering::SeqCst);
    }
}

/// A `!Unpin` future that wakes itself `yields` times and then returns an [`Output`], or with
/// `forever` stays pending without waking itself (until cancelled or shut down).
struct Tracked {
    log: Arc<Log>,
    /// Self wake-ups left before `Ready`.
    yields: AtomicU32,
    forever: bool,
    panic_on_drop: bool,
    /// Makes the future `!Unpin`: moving it after its first poll would break `Pin`'s promise.
    _pinned: PhantomPinned,
}

impl Tracked {
    fn with(log: &Arc<Log>, yields: u32, forever: bool, panic_on_drop: bool) -> Tracked {
        Tracked {
            log: log.clone(),
            yields: AtomicU32::new(yields),
            forever,
            panic_on_drop,
            _pinned: PhantomPinned,
        }
    }

    fn new(log: &Arc<Log>, yields: u32) -> Tracked {
        Tracked::with(log, yields, false, false)
    }

    fn forever(log: &Arc<Log>) -> Tracked {
        Tracked::with(log, 0, true, false)
    }
}

impl Future for Tracked {
    type Output = Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Output> {
        let this: &Tracked = &self;
        this.log.record(this as *const Tracked as usize);
        if this.forever {
            return Poll::Pending;
        }
        if this.yields.load(Ordering::Relaxed) > 0 {
            this.yields.fetch_sub(1, Ordering::Relaxed);
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        Poll::Ready(Output(this.log.clone()))
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.log.record(self as *const Tracked as usize);
        self.log.future_drops.fetch_add(1, Ordering::SeqCst);
        if self.panic_on_drop {
            panic!("the tracked future's destructor panicked");
        }
    }
}

/// Awaits `condition` by yielding (the test has no other way to see a detached task's end).
async fn until(condition: impl Fn() -> bool) {
    while !condition() {
        sprout::yield_now().await;
    }
}

/// A task that completes, awaited, on one worker and on two (where its polls may run on
/// either worker, between which it travels as a pointer).
#[test]
fn a_completed_task_never_moves_its_future() {
    for workers in [1, 2] {
        within(Duration::from_secs(20), "completed task", move || {
            let logs: Vec<Arc<Log>> = (0..8).map(|_| Arc::default()).collect();
            runtime(workers).block_on(async {
                let handles: Vec<_> = logs
                    .iter()
                    .map(|log| sprout::spawn(Tracked::new(log, 40)))
                    .collect();
                for output in sprout::join_all(handles).await {
                    drop(output.expect("the task completed"));
                }
            });
            for log in &logs {
                log.check(&format!("completed on {workers} workers"), 40, 1);
            }
        });
    }
}

/// A detached task: the worker that completes it drops the output (task I5).
#[test]
fn a_detached_task_never_moves_its_future() {
    within(Duration::from_secs(20), "detached task", || {
        let log = Arc::new(Log::default());
        runtime(2).block_on(async {
            sprout::spawn(Tracked::new(&log, 10)).detach();
            until(|| log.output_drops.load(Ordering::SeqCst) == 1).await;
        });
        log.check("detached", 10, 1);
    });
}

/// A cancelled task: its future is dropped unpolled, where it lies, and there is no output.
#[test]
fn a_cancelled_task_drops_its_future_in_place() {
    within(Duration::from_secs(20), "cancelled task", || {
        let log = Arc::new(Log::default());
        runtime(1).block_on(async {
            let handle = sprout::spawn(Tracked::forever(&log));
            until(|| log.polls_and_drop() >= 1).await;
            handle.cancel();
            assert!(handle.await.unwrap_err().is_cancelled());
        });
        log.check("cancelled", 1, 0);
    });
}

/// A task still pending when its runtime is dropped: shutdown drops its future in place.
#[test]
fn a_task_shut_down_with_its_runtime_drops_its_future_in_place() {
    within(Duration::from_secs(20), "shut down task", || {
        let log = Arc::new(Log::default());
        let rt = runtime(1);
        rt.block_on(async {
            sprout::spawn(Tracked::forever(&log)).detach();
            until(|| log.polls_and_drop() >= 1).await;
        });
        drop(rt);
        log.check("shut down with the runtime", 1, 0);
    });
}

/// A future whose destructor panics after `Ready`: the panic becomes the task's error, the
/// destructor ran once (no second drop of a half-dropped future), and the output is dropped.
#[test]
fn a_panicking_destructor_runs_once_in_place() {
    within(Duration::from_secs(20), "panicking destructor", || {
        let log = Arc::new(Log::default());
        runtime(1).block_on(async {
            let future = Tracked::with(&log, 2, false, true);
            let error = sprout::spawn(future).await.unwrap_err();
            assert_eq!(
                error.panic_message(),
                Some("the tracked future's destructor panicked")
            );
        });
        log.check("panicking destructor", 2, 1);
    });
}
