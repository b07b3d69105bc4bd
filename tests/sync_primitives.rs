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
