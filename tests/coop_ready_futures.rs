//! Every leaf future that can be ready at once spends the task's budget (coop I5), so a loop of
//! awaits that are always ready still yields and the tasks behind it run. Each test runs a loop
//! on one worker that ends only when another task has run; without the budget it never ends.

mod support;

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use support::{runtime, within};

/// Awaits `ready()` in a loop until a second task, spawned first, has run: on one worker that
/// task runs only if the loop yields.
fn loop_yields<F, R>(what: &'static str, ready: impl Fn() -> F + Send + 'static)
where
    F: Future<Output = R>,
{
    within(Duration::from_secs(20), what, move || {
        runtime(1).block_on(async move {
            let other_ran = Arc::new(AtomicBool::new(false));
            let flag = other_ran.clone();
            sprout::spawn(async move { flag.store(true, Ordering::SeqCst) }).detach();
            let mut awaits = 0u64;
            while !other_ran.load(Ordering::SeqCst) {
                ready().await;
                awaits += 1;
            }
            assert!(awaits > 0, "{what}: the loop never ran");
        });
    });
}

/// The loop: a value already sent, a zero timeout around `recv`. Once the budget is
/// spent `recv` answers `Pending`, and the timeout used to answer `Elapsed` at once, forever.
#[test]
fn a_loop_around_a_zero_timeout_gets_the_value() {
    for workers in [1, 2, 4] {
        within(Duration::from_secs(20), "timeout loop", move || {
            runtime(workers).block_on(async {
                let (tx, rx) = sprout::sync::unbounded();
                for _ in 0..sprout::runtime::BUDGET {
                    tx.try_send(0u32).unwrap();
                }
                tx.try_send(42u32).unwrap();
                // A fresh budget from here, then all of it spent in this one poll, as a busy
                // task would have before it reaches the loop.
                sprout::yield_now().await;
                for _ in 0..sprout::runtime::BUDGET {
                    rx.recv().await.unwrap();
                }
                let value = loop {
                    if let Ok(value) = sprout::timeout(Duration::ZERO, rx.recv()).await {
                        break value;
                    }
                };
                assert_eq!(value.unwrap(), 42, "with {workers} workers");
            });
        });
    }
}

/// A timeout still fires when the work it wraps spends the budget in the same poll: a busy
/// future cannot outrun its deadline.
#[test]
fn a_timeout_fires_when_its_work_spends_the_budget() {
    within(Duration::from_secs(20), "timeout on busy work", || {
        runtime(1).block_on(async {
            let (tx, rx) = sprout::sync::unbounded::<u32>();
            let busy = async {
                loop {
                    tx.send(1).await.unwrap();
                    rx.recv().await.unwrap();
                }
            };
            let outcome = sprout::timeout(Duration::from_millis(20), busy).await;
            assert!(outcome.is_err(), "the deadline fired");
        });
    });
}

#[test]
fn a_fired_sleep_spends_budget() {
    loop_yields("sleep(0) loop", || sprout::sleep(Duration::ZERO));
}

#[test]
fn a_set_event_spends_budget() {
    let event = Arc::new(sprout::sync::Event::new());
    event.set();
    loop_yields("set event loop", move || {
        let event = event.clone();
        async move { event.wait().await }
    });
}

#[test]
fn a_free_permit_spends_budget() {
    let semaphore = Arc::new(sprout::sync::Semaphore::new(1));
    loop_yields("semaphore loop", move || {
        let semaphore = semaphore.clone();
        async move {
            drop(semaphore.acquire().await);
        }
    });
}

#[test]
fn a_sent_oneshot_spends_budget() {
    loop_yields("oneshot loop", || async {
        let (tx, rx) = sprout::sync::oneshot();
        let _ = tx.send(1u8);
        rx.await.unwrap()
    });
}

/// Handles of tasks that have all finished, awaited one after another: each is ready at once.
#[test]
fn a_finished_join_handle_spends_budget() {
    within(Duration::from_secs(20), "finished handles", || {
        runtime(1).block_on(async {
            const HANDLES: usize = 1_000;
            let handles: Vec<_> = (0..HANDLES)
                .map(|i| sprout::spawn(async move { i }))
                .collect();
            while !handles.iter().all(|handle| handle.is_finished()) {
                sprout::yield_now().await;
            }
            let other_ran = Arc::new(AtomicBool::new(false));
            let flag = other_ran.clone();
            sprout::spawn(async move { flag.store(true, Ordering::SeqCst) }).detach();
            let mut awaited_before_it_ran = None;
            for (count, handle) in handles.into_iter().enumerate() {
                handle.await.unwrap();
                if awaited_before_it_ran.is_none() && other_ran.load(Ordering::SeqCst) {
                    awaited_before_it_ran = Some(count);
                }
            }
            assert!(
                awaited_before_it_ran.is_some(),
                "{HANDLES} finished handles were awaited without the task ever yielding"
            );
        });
    });
}

#[test]
fn known_readiness_spends_budget() {
    let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    // Registered inside the runtime below, once; writable from the start.
    let slot = Arc::new(std::sync::Mutex::new(Some(a)));
    let io: Arc<std::sync::OnceLock<sprout::Async<std::os::unix::net::UnixStream>>> =
        Arc::new(std::sync::OnceLock::new());
    loop_yields("poll_read_ready loop", move || {
        let (slot, io) = (slot.clone(), io.clone());
        async move {
            let io = io
                .get_or_init(|| sprout::Async::new(slot.lock().unwrap().take().unwrap()).unwrap());
            // Never-read data keeps the cached readability set.
            futures_lite::future::poll_fn(|cx| io.poll_read_ready(cx))
                .await
                .ok();
        }
    });
}
