//! async-io's `tests/timer.rs` (async-io 2.6.0), ported onto sprout's timers.
//!
//! Names: `Timer::after(d)` is `sprout::sleep(d)`, `Timer::interval(p)` is
//! `sprout::interval(p)`, and `timer.set_after(d)` is `sleep.reset(Instant::now() + d)`.
//!
//! Deliberate differences:
//! - Runtime: sprout's timers belong to a runtime, so each test runs in `Runtime::block_on`
//!   (2 workers) under a deadline, and the `spawn` helper spawns a sprout task where async-io
//!   starts a thread that drives the future with `future::block_on`. `set`'s resetting thread
//!   stays a plain thread: that is the case the test is about.
//! - `interval`: sprout's first tick completes at once (tokio's convention); async-io's comes
//!   after one period. The port takes the immediate tick first, then checks the two ticks the
//!   original checks.
//! - Durations: 1 s becomes 200 ms and 2 s becomes 400 ms, so `cargo test` stays fast; the
//!   10 s "must not wait this long" bound and the 500 ms jitter stay as they are.
//! - `set`: async-io's thread sleeps 1 s before `set_after`, meaning "while the waiter is
//!   parked". Here the waiter signals that it has polled once, and the thread resets then, so
//!   the case is reached without a timing assumption.

mod support;

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use futures_lite::FutureExt;
use support::{runtime, within};

/// async-io's 1 s.
const SECOND: Duration = Duration::from_millis(200);

/// Runs `body` on a two-worker runtime under a 30 s deadline.
fn run<F: Future<Output = ()>>(name: &str, body: impl FnOnce() -> F + Send + 'static) {
    within(Duration::from_secs(30), name, move || {
        runtime(2).block_on(body())
    })
}

/// async-io's `spawn` helper: here a sprout task whose output the caller awaits.
fn spawn<T: Send + 'static>(
    f: impl Future<Output = T> + Send + 'static,
) -> impl Future<Output = T> + Send + 'static {
    let handle = sprout::spawn(f);
    async move { handle.await.expect("the spawned task") }
}

#[test]
fn smoke() {
    run("smoke", || async {
        let start = Instant::now();
        sprout::sleep(SECOND).await;
        assert!(start.elapsed() >= SECOND);
    });
}

#[test]
fn interval() {
    run("interval", || async {
        let period = SECOND;
        let jitter = Duration::from_millis(500);
        let start = Instant::now();
        let mut timer = sprout::interval(period);
        timer.tick().await; // sprout's immediate first tick (see the header).
        timer.tick().await;
        let elapsed = start.elapsed();
        assert!(elapsed >= period && elapsed - period < jitter);
        timer.tick().await;
        let elapsed = start.elapsed();
        assert!(elapsed >= period * 2 && elapsed - period * 2 < jitter);
    });
}

#[test]
fn poll_across_tasks() {
    run("poll_across_tasks", || async {
        let start = Instant::now();
        let (sender, receiver) = sprout::sync::channel(1);

        let task1 = spawn(async move {
            let mut timer = sprout::sleep(SECOND);

            async {
                (&mut timer).await;
                panic!("timer should not be ready")
            }
            .or(async {})
            .await;

            sender.send(timer).await.ok();
        });

        let task2 = spawn(async move {
            let timer = receiver.recv().await.unwrap();
            timer.await;
        });

        task1.await;
        task2.await;

        assert!(start.elapsed() >= SECOND);
    });
}

#[test]
fn set() {
    run("set", || async {
        let start = Instant::now();
        let timer = Arc::new(Mutex::new(sprout::sleep(Duration::from_secs(10))));
        let (parked, is_parked) = std::sync::mpsc::channel::<()>();

        thread::spawn({
            let timer = timer.clone();
            move || {
                is_parked.recv().expect("the waiter polled its timer");
                timer.lock().unwrap().reset(Instant::now() + SECOND * 2);
            }
        });

        poll_fn(|cx| {
            let polled = Pin::new(&mut *timer.lock().unwrap()).poll(cx);
            let _ = parked.send(());
            polled
        })
        .await;

        assert!(start.elapsed() >= SECOND * 2);
        assert!(start.elapsed() < Duration::from_secs(10));
    });
}
