//! Timers: never early, in order, cancellable, and a million pending timers are fine.

mod support;

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;
use std::time::{Duration, Instant};

use support::{runtime, within};

/// Many sleeps of different lengths, concurrently: none completes before its deadline.
#[test]
fn sleeps_never_fire_early() {
    within(Duration::from_secs(20), "sleep never early", || {
        runtime(2).block_on(async {
            let handles: Vec<_> = (0..200u64)
                .map(|i| {
                    sprout::spawn(async move {
                        let wanted = Duration::from_micros(1 + (i * 7919) % 30_000);
                        let start = Instant::now();
                        sprout::sleep(wanted).await;
                        (wanted, start.elapsed())
                    })
                })
                .collect();
            for (wanted, slept) in sprout::join_all(handles)
                .await
                .into_iter()
                .map(Result::unwrap)
            {
                assert!(slept >= wanted, "slept {slept:?} < {wanted:?}");
            }
        });
    });
}

/// `timeout` never elapses early, and lets a quick future through.
#[test]
fn timeout_never_fires_early() {
    within(Duration::from_secs(20), "timeout never early", || {
        runtime(1).block_on(async {
            for millis in [1u64, 5, 20] {
                let start = Instant::now();
                let outcome =
                    sprout::timeout(Duration::from_millis(millis), std::future::pending::<()>())
                        .await;
                assert_eq!(outcome, Err(sprout::Elapsed));
                assert!(start.elapsed() >= Duration::from_millis(millis));
            }
            let quick = sprout::timeout(Duration::from_secs(10), async { 3 }).await;
            assert_eq!(quick, Ok(3));
            assert_eq!(
                sprout::stats().pending_timers,
                0,
                "the unused timer was removed"
            );
        });
    });
}

/// Timers fire in deadline order, whatever the order they were created in.
#[test]
fn timers_fire_in_deadline_order() {
    let order = within(Duration::from_secs(20), "timer order", || {
        runtime(1).block_on(async {
            let (tx, rx) = sprout::sync::unbounded();
            for millis in [40u64, 10, 30, 20] {
                let tx = tx.clone();
                sprout::spawn(async move {
                    sprout::sleep(Duration::from_millis(millis)).await;
                    tx.send(millis).await.unwrap();
                })
                .detach();
            }
            drop(tx);
            let mut order = Vec::new();
            while let Ok(millis) = rx.recv().await {
                order.push(millis);
            }
            order
        })
    });
    assert_eq!(order, vec![10, 20, 30, 40]);
}

/// A new short sleep is not held up by an older long one the reactor is already waiting for.
#[test]
fn a_short_timer_interrupts_a_long_wait() {
    let slept = within(Duration::from_secs(20), "short after long", || {
        runtime(2).block_on(async {
            let _long = sprout::spawn(sprout::sleep(Duration::from_secs(3600)));
            sprout::sleep(Duration::from_millis(20)).await; // The driver now waits ~1 h.
            let start = Instant::now();
            let (tx, rx) = sprout::sync::oneshot();
            // Spawned from a foreign thread so the insert happens while the driver is blocked.
            std::thread::spawn(move || tx.send(()).unwrap());
            rx.await.unwrap();
            sprout::sleep(Duration::from_millis(10)).await;
            start.elapsed()
        })
    });
    assert!(
        slept < Duration::from_millis(500),
        "short timer waited {slept:?}"
    );
}

/// A million pending timers: registered, counted, and all removed when dropped (memory stays
/// linear in pending timers: nothing is left behind by cancelled ones).
#[test]
fn a_million_pending_timers() {
    within(Duration::from_secs(120), "a million timers", || {
        runtime(1).block_on(async {
            let far = Instant::now() + Duration::from_secs(3600);
            let mut sleeps: Vec<Pin<Box<sprout::Sleep>>> = (0..1_000_000u64)
                .map(|i| Box::pin(sprout::sleep_until(far + Duration::from_nanos(i))))
                .collect();
            // Poll each once so it registers.
            futures_lite::future::poll_fn(|cx| {
                for sleep in sleeps.iter_mut() {
                    assert!(sleep.as_mut().poll(cx).is_pending());
                }
                Poll::Ready(())
            })
            .await;
            assert_eq!(sprout::stats().pending_timers, 1_000_000);
            sleeps.clear();
            assert_eq!(sprout::stats().pending_timers, 0);
        });
    });
}

/// `interval` ticks once per period and skips ticks it missed.
#[test]
fn interval_ticks_and_skips_missed_ticks() {
    within(Duration::from_secs(20), "interval", || {
        runtime(1).block_on(async {
            let period = Duration::from_millis(10);
            let mut ticker = sprout::interval(period);
            let first = ticker.tick().await;
            let second = ticker.tick().await;
            assert!(second >= first + period);
            // Miss about five ticks.
            std::thread::sleep(period * 5);
            let late = ticker.tick().await;
            let next = ticker.tick().await;
            assert!(next - late >= period, "no burst of missed ticks");
        });
    });
}

/// Absurd durations do not panic: `Duration::MAX` simply never fires.
#[test]
fn huge_durations_do_not_panic() {
    within(Duration::from_secs(10), "huge duration", || {
        runtime(1).block_on(async {
            let outcome =
                sprout::timeout(Duration::from_millis(5), sprout::sleep(Duration::MAX)).await;
            assert_eq!(outcome, Err(sprout::Elapsed));
            let outcome = sprout::timeout(Duration::MAX, async { 1 }).await;
            assert_eq!(outcome, Ok(1));
        });
    });
}

/// Durations too long to add to the clock mean "never", wherever they go: an interval of
/// `Duration::MAX` ticks once and then never (its second tick used to panic adding the period),
/// and a runtime whose shutdown timeout is `Duration::MAX` drops without panicking.
#[test]
fn durations_past_the_clock_mean_never_instead_of_panicking() {
    within(Duration::from_secs(20), "huge durations", || {
        let rt = sprout::Runtime::builder()
            .workers(1)
            .shutdown_timeout(Duration::MAX)
            .build()
            .unwrap();
        rt.block_on(async {
            let mut ticks = sprout::interval(Duration::MAX);
            ticks.tick().await; // The first tick is at once.
            let second = sprout::timeout(Duration::from_millis(20), ticks.tick()).await;
            assert!(second.is_err(), "a Duration::MAX interval ticked twice");
            let never =
                sprout::timeout(Duration::MAX, sprout::sleep(Duration::from_millis(1))).await;
            assert!(
                never.is_ok(),
                "timeout(Duration::MAX) is a timeout that never fires"
            );
        });
        drop(rt);
    });
}
