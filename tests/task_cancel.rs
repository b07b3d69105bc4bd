//! Cancelling and detaching tasks: destructors run, cancelled futures are never polled again,
//! detached tasks run to completion.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use support::{runtime, within};

/// Counts its drops: the proof that a cancelled future's destructors ran.
struct DropGuard(Arc<AtomicUsize>);

impl Drop for DropGuard {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A cancelled task's future is dropped (destructors run), never polled again, and its handle
/// reports `is_cancelled()`.
#[test]
fn cancel_runs_destructors_and_never_polls_again() {
    for workers in [1, 2] {
        let drops = Arc::new(AtomicUsize::new(0));
        let polls = Arc::new(AtomicUsize::new(0));
        let (drops2, polls2) = (drops.clone(), polls.clone());
        within(Duration::from_secs(10), "cancel", move || {
            runtime(workers).block_on(async move {
                let guard = DropGuard(drops2);
                let handle = sprout::spawn(async move {
                    let _guard = guard;
                    loop {
                        polls2.fetch_add(1, Ordering::SeqCst);
                        sprout::sleep(Duration::from_millis(1)).await;
                    }
                });
                sprout::sleep(Duration::from_millis(20)).await;
                handle.cancel();
                let error = handle.await.expect_err("a cancelled task has no output");
                assert!(error.is_cancelled() && !error.is_panic(), "{error}");
            });
        });
        assert_eq!(
            drops.load(Ordering::SeqCst),
            1,
            "the future was dropped exactly once"
        );
        let polls_at_cancel = polls.load(Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(
            polls.load(Ordering::SeqCst),
            polls_at_cancel,
            "no poll after cancel"
        );
    }
}

/// Cancelling a task that has not run yet drops it unpolled.
#[test]
fn cancel_before_first_poll() {
    let polled = within(Duration::from_secs(10), "cancel before poll", || {
        runtime(1).block_on(async {
            let polled = Arc::new(AtomicUsize::new(0));
            let p = polled.clone();
            let handle = sprout::spawn(async move {
                p.fetch_add(1, Ordering::SeqCst);
            });
            handle.cancel(); // Single worker: the task cannot have run yet.
            assert!(handle.await.unwrap_err().is_cancelled());
            polled.load(Ordering::SeqCst)
        })
    });
    assert_eq!(polled, 0);
}

/// Cancelling a finished task changes nothing: the output is still delivered.
#[test]
fn cancel_after_completion_keeps_the_output() {
    let output = within(Duration::from_secs(10), "cancel after finish", || {
        runtime(1).block_on(async {
            let handle = sprout::spawn(async { 5 });
            while !handle.is_finished() {
                sprout::yield_now().await;
            }
            handle.cancel();
            handle.await
        })
    });
    assert_eq!(output.unwrap(), 5);
}

/// Dropping the handle detaches: the task keeps running to completion, like a greenlet.
#[test]
fn detached_tasks_run_to_completion() {
    within(Duration::from_secs(10), "detached tasks", || {
        runtime(2).block_on(async {
            let (tx, rx) = sprout::sync::unbounded();
            for i in 0..50 {
                let tx = tx.clone();
                drop(sprout::spawn(async move {
                    sprout::sleep(Duration::from_millis(5)).await;
                    tx.send(i).await.unwrap();
                }));
            }
            drop(tx);
            let mut seen = Vec::new();
            while let Ok(i) = rx.recv().await {
                seen.push(i);
            }
            seen.sort();
            assert_eq!(seen, (0..50).collect::<Vec<_>>());
        });
    });
}

/// `is_finished` turns true when the task completes, before anyone awaits it.
#[test]
fn is_finished_reports_completion() {
    within(Duration::from_secs(10), "is_finished", || {
        runtime(1).block_on(async {
            let (tx, rx) = sprout::sync::oneshot::<()>();
            let handle = sprout::spawn(async move { rx.await.is_ok() });
            sprout::yield_now().await;
            assert!(!handle.is_finished());
            tx.send(()).unwrap();
            while !handle.is_finished() {
                sprout::yield_now().await;
            }
            assert!(handle.await.unwrap());
        });
    });
}

/// A `spawn_blocking` job cancelled before it starts never runs.
#[test]
fn cancel_queued_blocking_job() {
    within(Duration::from_secs(20), "cancel blocking job", || {
        let rt = sprout::Runtime::builder()
            .workers(1)
            .max_blocking_threads(1)
            .build()
            .unwrap();
        rt.block_on(async {
            let (release, gate) = std::sync::mpsc::channel::<()>();
            let busy = sprout::spawn_blocking(move || gate.recv().ok());
            let ran = Arc::new(AtomicUsize::new(0));
            let r = ran.clone();
            let queued = sprout::spawn_blocking(move || r.fetch_add(1, Ordering::SeqCst));
            queued.cancel();
            release.send(()).unwrap();
            assert!(busy.await.unwrap().is_some());
            assert!(queued.await.unwrap_err().is_cancelled());
            assert_eq!(ran.load(Ordering::SeqCst), 0);
        });
    });
}

/// What a destructor that runs during shutdown saw when it spawned: whether the task, the
/// blocking job and the task's future were already settled, and how the task's handle resolved.
#[derive(Debug, PartialEq)]
struct SpawnedDuringShutdown {
    task_finished: bool,
    task_future_dropped: usize,
    task_cancelled: bool,
    blocking_finished: bool,
}

/// Spawns a task and a blocking job when dropped, and reports what became of them.
struct SpawnsOnDrop(std::sync::mpsc::Sender<SpawnedDuringShutdown>);

impl Drop for SpawnsOnDrop {
    fn drop(&mut self) {
        let dropped = Arc::new(AtomicUsize::new(0));
        let guard = DropGuard(dropped.clone());
        let task = sprout::spawn(async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        });
        let blocking = sprout::spawn_blocking(|| unreachable!("never runs during shutdown"));
        let task_finished = task.is_finished();
        let task_cancelled = futures_lite::future::block_on(task)
            .expect_err("cancelled, not completed")
            .is_cancelled();
        let _ = self.0.send(SpawnedDuringShutdown {
            task_finished,
            task_future_dropped: dropped.load(Ordering::SeqCst),
            task_cancelled,
            blocking_finished: blocking.is_finished(),
        });
    }
}

/// A destructor run by shutdown may spawn (tokio accepts this too): the new task and blocking
/// job are accepted and cancelled at once — future dropped, handle resolved as cancelled — and
/// the drop of the runtime does not panic (scheduler I1).
#[test]
fn a_spawn_inside_a_destructor_run_by_shutdown_is_cancelled_at_once() {
    for workers in [1, 2] {
        let seen = within(
            Duration::from_secs(20),
            "spawn during shutdown",
            move || {
                let (report, seen) = std::sync::mpsc::channel();
                let rt = runtime(workers);
                rt.block_on(async move {
                    sprout::spawn(async move {
                        let _spawns = SpawnsOnDrop(report);
                        std::future::pending::<()>().await;
                    })
                    .detach();
                    sprout::yield_now().await;
                });
                drop(rt);
                seen.recv_timeout(Duration::from_secs(5))
                    .expect("the destructor ran and reported")
            },
        );
        assert_eq!(
            seen,
            SpawnedDuringShutdown {
                task_finished: true,
                task_future_dropped: 1,
                task_cancelled: true,
                blocking_finished: true,
            },
            "{workers} worker(s)"
        );
    }
}
