//! Spawning: many tasks, results intact, runtimes of one and several workers, and clear errors
//! when spawn is misused.

mod support;

use std::rc::Rc;
use std::time::Duration;

use support::{runtime, within};

/// 100,000 tasks all complete and every result arrives intact: the sum of 0..100,000.
#[test]
fn hundred_thousand_tasks_complete_with_their_results() {
    for workers in [1, 2] {
        let sum = within(Duration::from_secs(60), "100k tasks", move || {
            runtime(workers).block_on(async {
                let handles: Vec<_> = (0..100_000u64)
                    .map(|i| sprout::spawn(async move { i }))
                    .collect();
                sprout::join_all(handles)
                    .await
                    .into_iter()
                    .map(|result| result.expect("a trivial task cannot fail"))
                    .sum::<u64>()
            })
        });
        assert_eq!(sum, 99_999 * 100_000 / 2, "with {workers} worker(s)");
    }
}

/// Tasks spawned from tasks, several levels deep, on a multi-worker runtime: every leaf runs.
#[test]
fn nested_spawns_all_run() {
    let leaves = within(Duration::from_secs(30), "nested spawns", || {
        runtime(2).block_on(async {
            let parents: Vec<_> = (0..100)
                .map(|_| {
                    sprout::spawn(async {
                        let children: Vec<_> =
                            (0..100).map(|_| sprout::spawn(async { 1u32 })).collect();
                        sprout::join_all(children)
                            .await
                            .into_iter()
                            .map(Result::unwrap)
                            .sum::<u32>()
                    })
                })
                .collect();
            sprout::join_all(parents)
                .await
                .into_iter()
                .map(Result::unwrap)
                .sum::<u32>()
        })
    });
    assert_eq!(leaves, 10_000);
}

/// `join_all` keeps the handles' order even when the tasks finish in the reverse order.
#[test]
fn join_all_keeps_handle_order() {
    let order = within(Duration::from_secs(10), "join_all order", || {
        runtime(2).block_on(async {
            let handles: Vec<_> = (0..5u64)
                .map(|i| {
                    sprout::spawn(async move {
                        sprout::sleep(Duration::from_millis(50 - i * 10)).await;
                        i
                    })
                })
                .collect();
            sprout::join_all(handles)
                .await
                .into_iter()
                .map(Result::unwrap)
                .collect::<Vec<_>>()
        })
    });
    assert_eq!(order, vec![0, 1, 2, 3, 4]);
}

/// `spawn` outside a runtime panics at once with a message that says so (it never hangs).
#[test]
fn spawn_outside_a_runtime_panics_clearly() {
    let outcome = std::panic::catch_unwind(|| sprout::spawn(async {}));
    let payload = outcome.expect_err("spawn outside a runtime must panic");
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(
        message.contains("outside of a sprout runtime"),
        "unexpected panic message: {message:?}"
    );
}

/// `block_on` on a worker would block it: it panics with a clear message instead (inside
/// `spawn_blocking` it is allowed: `blocking_pool.rs`).
#[test]
fn block_on_inside_a_runtime_panics_clearly() {
    let message = within(Duration::from_secs(10), "nested block_on", || {
        runtime(1).block_on(async {
            let inner = runtime(1);
            let outcome =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| inner.block_on(async {})));
            let payload = outcome.expect_err("nested block_on must panic");
            payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .unwrap_or_default()
        })
    });
    assert!(
        message.contains("on a worker thread of a sprout runtime"),
        "got {message:?}"
    );
}

/// `Runtime::spawn` works from a thread outside the runtime; the task runs on the background
/// worker without anyone calling `block_on`.
#[test]
fn runtime_spawn_from_outside_runs_on_background_workers() {
    within(Duration::from_secs(10), "spawn from outside", || {
        let rt = runtime(2);
        let (tx, rx) = std::sync::mpsc::channel();
        let _task = rt.spawn(async move { tx.send(7).unwrap() });
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)), Ok(7));
    });
}

/// `Runtime` is `Send + Sync`, checked at compile time: it can be shared in an `Arc`.
const _: fn() = || {
    fn shareable<T: Send + Sync>() {}
    shareable::<sprout::Runtime>();
};

/// Eight plain threads spawn 1,000 tasks each on one `Arc<Runtime>` at the same time; every
/// task runs exactly once and every handle resolves (on 1 and 2 workers).
#[test]
fn spawning_from_several_threads_at_once_through_an_arc() {
    for workers in [1, 2] {
        within(
            Duration::from_secs(30),
            "spawn from eight threads",
            move || {
                let rt = std::sync::Arc::new(runtime(workers));
                let ran = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
                let start = std::sync::Arc::new(std::sync::Barrier::new(8));
                let threads: Vec<_> = (0..8u64)
                    .map(|thread| {
                        let (rt, ran, start) = (rt.clone(), ran.clone(), start.clone());
                        std::thread::spawn(move || {
                            start.wait();
                            (0..1_000u64)
                                .map(|i| {
                                    let ran = ran.clone();
                                    rt.spawn(async move {
                                        ran.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                                        thread * 1_000 + i
                                    })
                                })
                                .collect::<Vec<_>>()
                        })
                    })
                    .collect();
                let handles: Vec<_> = threads
                    .into_iter()
                    .flat_map(|thread| thread.join().expect("a spawning thread"))
                    .collect();
                let outputs = rt.block_on(sprout::join_all(handles));
                let mut values: Vec<u64> = outputs.into_iter().map(Result::unwrap).collect();
                values.sort_unstable();
                assert_eq!(
                    values,
                    (0..8_000).collect::<Vec<u64>>(),
                    "{workers} worker(s)"
                );
                assert_eq!(ran.load(std::sync::atomic::Ordering::Relaxed), 8_000);
            },
        );
    }
}

/// `spawn_local` runs a `!Send` future on the spawning worker; its output comes back.
#[test]
fn spawn_local_runs_non_send_futures() {
    let total = within(Duration::from_secs(10), "spawn_local", || {
        runtime(2).block_on(async {
            let shared = Rc::new(std::cell::Cell::new(0));
            let handles: Vec<_> = (0..100)
                .map(|i| {
                    let shared = shared.clone();
                    sprout::spawn_local(async move {
                        sprout::yield_now().await;
                        shared.set(shared.get() + i);
                        i
                    })
                })
                .collect();
            let sum: i32 = sprout::join_all(handles)
                .await
                .into_iter()
                .map(Result::unwrap)
                .sum();
            assert_eq!(shared.get(), sum);
            sum
        })
    });
    assert_eq!(total, 4950);
}

/// `SPROUT_WORKERS` sets the default worker count; a bad value is an error that names it.
#[test]
fn workers_from_environment() {
    // Run in a child process so the environment of the other tests is untouched.
    if std::env::var("SPROUT_TEST_CHILD").is_ok() {
        let runtime = sprout::Runtime::builder().build();
        match std::env::var("SPROUT_WORKERS").as_deref() {
            Ok("3") => assert_eq!(runtime.unwrap().stats().workers, 3),
            _ => {
                let error = runtime.expect_err("a bad SPROUT_WORKERS must fail");
                assert!(error.to_string().contains("SPROUT_WORKERS"), "{error}");
            }
        }
        return;
    }
    for value in ["3", "zero", "0"] {
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "workers_from_environment", "--nocapture"])
            .env("SPROUT_TEST_CHILD", "1")
            .env("SPROUT_WORKERS", value)
            .status()
            .expect("run the child test");
        assert!(status.success(), "child with SPROUT_WORKERS={value} failed");
    }
    let error = sprout::Runtime::builder().workers(0).build().unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    // An absurd count is refused with an error, not a capacity-overflow panic.
    let error = sprout::Runtime::builder()
        .workers(usize::MAX)
        .build()
        .unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
}

/// Dropping a runtime drops the futures of tasks still waiting (their destructors run), so
/// nothing outlives the runtime.
#[test]
fn dropping_the_runtime_drops_pending_tasks() {
    struct Flag(std::sync::Arc<std::sync::atomic::AtomicUsize>);
    impl Drop for Flag {
        fn drop(&mut self) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }
    let dropped = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    within(Duration::from_secs(10), "runtime drop", {
        let dropped = dropped.clone();
        move || {
            let rt = runtime(2);
            rt.block_on(async {
                for _ in 0..10 {
                    let flag = Flag(dropped.clone());
                    let _task = sprout::spawn(async move {
                        let _flag = flag;
                        std::future::pending::<()>().await;
                    });
                }
                sprout::yield_now().await;
            });
            assert_eq!(rt.stats().live_tasks, 10);
            drop(rt);
        }
    });
    assert_eq!(dropped.load(std::sync::atomic::Ordering::SeqCst), 10);
}

/// On one worker, new tasks run in the order they were spawned: its queue (a plain `VecDeque`
/// when the runtime has one worker, scheduler/solo.rs) is first in, first out.
#[test]
fn one_worker_runs_new_tasks_in_spawn_order() {
    let order = within(Duration::from_secs(30), "spawn order", || {
        runtime(1).block_on(async {
            let order = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
            let handles: Vec<_> = (0..1_000u32)
                .map(|i| {
                    let order = order.clone();
                    sprout::spawn(async move { order.lock().unwrap().push(i) })
                })
                .collect();
            for handle in sprout::join_all(handles).await {
                handle.expect("a trivial task cannot fail");
            }
            let order = order.lock().unwrap().clone();
            order
        })
    });
    assert_eq!(
        order,
        (0..1_000).collect::<Vec<_>>(),
        "tasks ran out of order"
    );
}

/// Tasks still queued when `block_on` returns are not stranded on that thread (block_on I2,
/// solo I2): a later `block_on`, on another thread, runs them. With one worker they wait in a
/// queue that belongs to the first thread, so they must be handed over when it leaves.
#[test]
fn tasks_queued_when_block_on_returns_run_in_the_next_block_on() {
    for workers in [1, 2] {
        let sum = within(
            Duration::from_secs(30),
            "queued tasks handed over",
            move || {
                let runtime = std::sync::Arc::new(runtime(workers));
                // Spawned and not awaited: on one worker none of them has run when this returns.
                let handles = runtime.block_on(async {
                    (0..100u64)
                        .map(|i| sprout::spawn(async move { i }))
                        .collect::<Vec<_>>()
                });
                let other = runtime.clone();
                std::thread::spawn(move || {
                    other.block_on(async {
                        let mut sum = 0;
                        for handle in handles {
                            sum += handle.await.expect("a trivial task cannot fail");
                        }
                        sum
                    })
                })
                .join()
                .expect("the second block_on thread")
            },
        );
        assert_eq!(sum, 99 * 100 / 2, "with {workers} worker(s)");
    }
}
