//! Event, oneshot and Semaphore: the gevent-style primitives, from wakers alone.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sprout::sync::{oneshot, Event, Semaphore};
use support::{runtime, within};

/// `set` wakes every waiter; `clear` makes later waits wait again.
#[test]
fn event_wakes_all_waiters_and_clears() {
    within(Duration::from_secs(10), "event", || {
        runtime(2).block_on(async {
            let event = Arc::new(Event::new());
            let waiters: Vec<_> = (0..10)
                .map(|i| {
                    let event = event.clone();
                    sprout::spawn(async move {
                        event.wait().await;
                        i
                    })
                })
                .collect();
            sprout::sleep(Duration::from_millis(10)).await;
            assert!(waiters.iter().all(|w| !w.is_finished()));
            event.set();
            let sum: i32 = sprout::join_all(waiters)
                .await
                .into_iter()
                .map(Result::unwrap)
                .sum();
            assert_eq!(sum, 45);
            event.clear();
            assert!(!event.is_set());
            let outcome = sprout::timeout(Duration::from_millis(10), event.wait()).await;
            assert!(outcome.is_err(), "a cleared event waits again");
        });
    });
}

/// A oneshot delivers its value across workers; a dropped sender gives an error.
#[test]
fn oneshot_delivers_or_reports_the_dropped_sender() {
    within(Duration::from_secs(10), "oneshot", || {
        runtime(2).block_on(async {
            let (tx, rx) = oneshot();
            sprout::spawn(async move { tx.send(String::from("value")).unwrap() }).detach();
            assert_eq!(rx.await.unwrap(), "value");
            let (tx, rx) = oneshot::<u8>();
            drop(tx);
            assert!(rx.await.is_err());
            let (tx, rx) = oneshot::<u8>();
            drop(rx);
            assert!(tx.is_closed());
            assert_eq!(tx.send(5), Err(5));
        });
    });
}

/// A semaphore of 3 permits never lets more than 3 of 50 tasks in at once, and every task
/// eventually gets in (a gevent `Pool(3)`).
#[test]
fn semaphore_bounds_concurrency() {
    within(Duration::from_secs(20), "semaphore", || {
        runtime(2).block_on(async {
            let pool = Arc::new(Semaphore::new(3));
            let inside = Arc::new(AtomicUsize::new(0));
            let most = Arc::new(AtomicUsize::new(0));
            let handles: Vec<_> = (0..50)
                .map(|_| {
                    let (pool, inside, most) = (pool.clone(), inside.clone(), most.clone());
                    sprout::spawn(async move {
                        let _permit = pool.acquire_owned().await;
                        let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        sprout::sleep(Duration::from_millis(1)).await;
                        inside.fetch_sub(1, Ordering::SeqCst);
                    })
                })
                .collect();
            for result in sprout::join_all(handles).await {
                result.unwrap();
            }
            assert_eq!(most.load(Ordering::SeqCst), 3);
            assert_eq!(pool.available_permits(), 3);
            assert!(pool.try_acquire().is_some());
        });
    });
}

/// `set` then `clear` before a waiter runs: the waiter, parked when `set` ran, still returns
/// (gevent's and CPython's `Event`). It used to re-check the flag, find it cleared, and park
/// again, forever.
#[test]
fn a_waiter_parked_before_set_returns_even_if_cleared_at_once() {
    within(Duration::from_secs(10), "set then clear", || {
        runtime(1).block_on(async {
            let event = Arc::new(Event::new());
            let started = Arc::new(std::sync::atomic::AtomicBool::new(false));
            let waiter = {
                let (event, started) = (event.clone(), started.clone());
                sprout::spawn(async move {
                    started.store(true, Ordering::SeqCst);
                    event.wait().await;
                })
            };
            while !started.load(Ordering::SeqCst) {
                sprout::yield_now().await;
            }
            event.set();
            event.clear();
            let returned = sprout::timeout(Duration::from_secs(5), waiter).await;
            assert!(
                matches!(returned, Ok(Ok(()))),
                "a waiter parked before set() did not return after set(); clear(): {returned:?}"
            );
        });
    });
}

/// `add_permits` costs the waiters it wakes, not the count it adds: a huge count returns at
/// once (it used to loop once per permit), parked waiters get one each, first come first
/// served, the rest are counted, and the count saturates instead of overflowing.
#[test]
fn add_permits_is_bounded_by_its_waiters_not_its_count() {
    within(Duration::from_secs(10), "add_permits", || {
        runtime(1).block_on(async {
            let huge = Semaphore::new(0);
            huge.add_permits(usize::MAX / 2);
            assert_eq!(huge.available_permits(), usize::MAX / 2);
            huge.add_permits(usize::MAX);
            assert_eq!(huge.available_permits(), usize::MAX, "saturates");

            let semaphore = Arc::new(Semaphore::new(0));
            let waiters: Vec<_> = (0..3)
                .map(|_| {
                    let semaphore = semaphore.clone();
                    sprout::spawn(async move { semaphore.acquire_owned().await })
                })
                .collect();
            sprout::yield_now().await; // All three are parked now.
            semaphore.add_permits(5);
            assert_eq!(
                semaphore.available_permits(),
                2,
                "three went to the waiters"
            );
            for waiter in waiters {
                drop(waiter.await.unwrap());
            }
            assert_eq!(semaphore.available_permits(), 5);
        });
    });
}
