//! The blocking pool: jobs run off the workers, the pool grows to its cap and no further, and
//! workers stay responsive while blocking jobs run.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use support::within;

/// A runtime of one worker whose blocking pool may grow to four threads.
fn one_worker_and_a_pool_of_four() -> sprout::Runtime {
    sprout::Runtime::builder()
        .workers(1)
        .max_blocking_threads(4)
        .build()
        .unwrap()
}

/// 16 jobs that each block 50 ms on a pool capped at 4 threads: never more than 4 at once, all
/// results arrive, and a timer on the single worker is not delayed by the blocking work.
#[test]
fn pool_respects_its_cap_and_keeps_workers_free() {
    within(Duration::from_secs(30), "blocking pool cap", || {
        let rt = one_worker_and_a_pool_of_four();
        rt.block_on(async {
            let running = Arc::new(AtomicUsize::new(0));
            let most = Arc::new(AtomicUsize::new(0));
            let jobs: Vec<_> = (0..16u64)
                .map(|i| {
                    let (running, most) = (running.clone(), most.clone());
                    sprout::spawn_blocking(move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(50));
                        running.fetch_sub(1, Ordering::SeqCst);
                        i
                    })
                })
                .collect();
            let start = Instant::now();
            sprout::sleep(Duration::from_millis(10)).await;
            assert!(
                start.elapsed() < Duration::from_millis(200),
                "the worker stayed free"
            );
            let stats = sprout::stats();
            assert!(stats.blocking_busy + stats.blocking_idle <= 4, "{stats:?}");
            let sum: u64 = sprout::join_all(jobs)
                .await
                .into_iter()
                .map(Result::unwrap)
                .sum();
            assert_eq!(sum, 120);
            assert_eq!(most.load(Ordering::SeqCst), 4);
        });
    });
}

/// `spawn` works from inside a blocking job (the pool thread knows its runtime).
#[test]
fn spawn_from_a_blocking_job() {
    within(Duration::from_secs(10), "spawn from blocking", || {
        sprout::Runtime::builder()
            .workers(1)
            .build()
            .unwrap()
            .block_on(async {
                let inner = sprout::spawn_blocking(|| sprout::spawn(async { 11 }))
                    .await
                    .unwrap();
                assert_eq!(inner.await.unwrap(), 11);
            });
    });
}

/// The pool grows on demand and shrinks back to zero threads once idle for the keep-alive time.
#[test]
fn pool_shrinks_when_idle() {
    within(Duration::from_secs(30), "blocking pool shrink", || {
        let rt = sprout::Runtime::builder()
            .workers(1)
            .blocking_keep_alive(Duration::from_millis(100))
            .build()
            .unwrap();
        rt.block_on(async {
            let (release, gate) = std::sync::mpsc::channel::<()>();
            let gate = Arc::new(std::sync::Mutex::new(gate));
            // Three jobs that block together: three threads.
            let jobs: Vec<_> = (0..3)
                .map(|_| {
                    let gate = gate.clone();
                    sprout::spawn_blocking(move || gate.lock().unwrap().recv().ok())
                })
                .collect();
            while sprout::stats().blocking_busy < 1 {
                sprout::sleep(Duration::from_millis(5)).await;
            }
            for _ in 0..3 {
                release.send(()).unwrap();
            }
            sprout::join_all(jobs).await;
            let grown = sprout::stats();
            assert!(grown.blocking_busy + grown.blocking_idle >= 1, "{grown:?}");
            // Idle threads exit after the keep-alive; poll the count, bounded by the deadline.
            let start = Instant::now();
            loop {
                let stats = sprout::stats();
                if stats.blocking_busy + stats.blocking_idle == 0 {
                    break;
                }
                assert!(
                    start.elapsed() < Duration::from_secs(10),
                    "pool never shrank: {stats:?}"
                );
                sprout::sleep(Duration::from_millis(20)).await;
            }
        });
    });
}

/// With one idle pool thread, a quick job submitted right after a slow one does not wait for
/// the slow one: the second submit must see that the idle thread is already promised to the
/// first job, and start a thread of its own.
#[test]
fn a_quick_job_does_not_wait_behind_a_slow_one() {
    within(
        Duration::from_secs(30),
        "quick job behind a slow one",
        || {
            let rt = one_worker_and_a_pool_of_four();
            rt.block_on(async {
                sprout::spawn_blocking(|| ()).await.unwrap();
                let deadline = Instant::now() + Duration::from_secs(5);
                while sprout::stats().blocking_idle != 1 {
                    assert!(Instant::now() < deadline, "the pool thread never went idle");
                    sprout::yield_now().await;
                }
                let (release, released) = std::sync::mpsc::channel::<()>();
                let slow = sprout::spawn_blocking(move || {
                    released.recv_timeout(Duration::from_secs(20)).is_ok()
                });
                let quick = sprout::spawn_blocking(|| 42);
                let answer = sprout::timeout(Duration::from_secs(5), quick).await;
                let _ = release.send(());
                assert!(
                    matches!(answer, Ok(Ok(42))),
                    "the quick job did not finish while the slow one ran: {answer:?}"
                );
                assert!(slow.await.unwrap(), "the slow job was released");
            });
        },
    );
}

/// `sprout::run` and `Runtime::block_on` work inside `spawn_blocking`: a pool thread is no
/// worker, and may block. They used to panic, taking the pool thread for a worker.
#[test]
fn block_on_inside_spawn_blocking() {
    within(Duration::from_secs(20), "block_on in the pool", || {
        let rt = sprout::Runtime::builder().workers(1).build().unwrap();
        rt.block_on(async {
            let nested = sprout::spawn_blocking(|| sprout::run(async { 5 })).await;
            assert_eq!(nested.unwrap(), 5, "sprout::run inside spawn_blocking");
            let other = std::sync::Arc::new(sprout::Runtime::builder().workers(1).build().unwrap());
            let on_other = other.clone();
            let answer = sprout::spawn_blocking(move || on_other.block_on(async { 6 })).await;
            assert_eq!(
                answer.unwrap(),
                6,
                "Runtime::block_on inside spawn_blocking"
            );
        });
    });
}
