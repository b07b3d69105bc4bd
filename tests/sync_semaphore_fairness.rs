//! The semaphore hands a returned permit to the waiter it wakes (semaphore I2, I3).
//!
//! A newcomer (`try_acquire` or a fresh `acquire`) must never take a permit that was returned
//! while a task was parked, even before the woken waiter has run; and a woken waiter that gives
//! up passes its permit on rather than leaking it.

mod support;

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use sprout::sync::Semaphore;
use support::{runtime, within};

/// A waker that counts its wake-ups.
#[derive(Default)]
struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A counting waker and the `Waker` made from it.
fn counting_waker() -> (Arc<CountingWaker>, Waker) {
    let counter = Arc::new(CountingWaker::default());
    (counter.clone(), Waker::from(counter))
}

/// Step by step, without a runtime: the permit a woken waiter was handed is not free.
#[test]
fn a_permit_returned_to_a_parked_waiter_is_not_free_for_newcomers() {
    let semaphore = Semaphore::new(1);
    let held = semaphore.try_acquire().expect("the only permit");
    let (woken, waker) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    let mut waiter = pin!(semaphore.acquire());
    assert!(waiter.as_mut().poll(&mut cx).is_pending(), "no permit yet");

    drop(held);
    assert_eq!(woken.0.load(Ordering::SeqCst), 1, "the waiter is woken");
    assert_eq!(
        semaphore.available_permits(),
        0,
        "the permit is the waiter's"
    );
    assert!(
        semaphore.try_acquire().is_none(),
        "try_acquire took the waiter's permit"
    );
    let mut noop = Context::from_waker(Waker::noop());
    let mut newcomer = pin!(semaphore.acquire());
    assert!(
        newcomer.as_mut().poll(&mut noop).is_pending(),
        "acquire took the waiter's permit"
    );

    let Poll::Ready(permit) = waiter.as_mut().poll(&mut cx) else {
        panic!("the woken waiter did not get its permit");
    };
    drop(permit); // Handed on to the newcomer, now the one parked.
    assert!(newcomer.as_mut().poll(&mut noop).is_ready());
}

/// A woken waiter dropped before it ran passes the permit to the next waiter, and with nobody
/// left the permit returns to the count.
#[test]
fn a_woken_waiter_that_gives_up_passes_its_permit_on() {
    let semaphore = Semaphore::new(1);
    let held = semaphore.try_acquire().expect("the only permit");
    let (first_woken, first_waker) = counting_waker();
    let (second_woken, second_waker) = counting_waker();
    let mut first = Box::pin(semaphore.acquire());
    let mut second = pin!(semaphore.acquire());
    assert!(first
        .as_mut()
        .poll(&mut Context::from_waker(&first_waker))
        .is_pending());
    assert!(second
        .as_mut()
        .poll(&mut Context::from_waker(&second_waker))
        .is_pending());

    drop(held);
    assert_eq!(first_woken.0.load(Ordering::SeqCst), 1);
    assert_eq!(
        second_woken.0.load(Ordering::SeqCst),
        0,
        "only the first is woken"
    );
    drop(first); // Cancelled after being handed the permit.
    assert_eq!(
        second_woken.0.load(Ordering::SeqCst),
        1,
        "the permit went on to the second"
    );
    let Poll::Ready(permit) = second
        .as_mut()
        .poll(&mut Context::from_waker(&second_waker))
    else {
        panic!("the second waiter did not get the passed-on permit");
    };
    drop(permit);
    assert_eq!(semaphore.available_permits(), 1, "no permit leaked");

    // The same with a single waiter: its permit goes back to the count.
    let held = semaphore.try_acquire().expect("the only permit");
    let mut only = Box::pin(semaphore.acquire());
    assert!(only
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
        .is_pending());
    drop(held);
    drop(only);
    assert_eq!(semaphore.available_permits(), 1, "no permit leaked");
}

/// The reported scenario, on one worker: a task parks in `acquire`, the holder returns the
/// permit and at once tries to take it again, 1,000 times. The parked task must win every time.
#[test]
fn a_newcomer_loop_never_starves_a_parked_waiter() {
    within(
        Duration::from_secs(30),
        "1,000 rounds of holder vs waiter",
        || {
            runtime(1).block_on(async {
                let semaphore = Arc::new(Semaphore::new(1));
                let mut waiter_first = 0;
                for round in 0..1_000 {
                    let held = semaphore
                        .try_acquire()
                        .expect("the holder takes the permit");
                    let parked = Arc::new(AtomicBool::new(false));
                    let waiter = {
                        let (semaphore, parked) = (semaphore.clone(), parked.clone());
                        sprout::spawn(async move {
                            let acquiring = semaphore.acquire();
                            parked.store(true, Ordering::SeqCst);
                            drop(acquiring.await);
                        })
                    };
                    while !parked.load(Ordering::SeqCst) {
                        sprout::yield_now().await;
                    }
                    // The waiter ran up to its first poll of `acquire`, which found no permit.
                    drop(held);
                    let stolen = semaphore.try_acquire();
                    assert!(
                        stolen.is_none(),
                        "round {round}: try_acquire stole the waiter's permit"
                    );
                    let newcomer = semaphore.acquire().await; // Waits for the waiter to finish.
                    assert!(
                        waiter.is_finished(),
                        "round {round}: the newcomer went first"
                    );
                    drop(newcomer);
                    waiter.await.expect("the waiter task");
                    waiter_first += 1;
                }
                assert_eq!(waiter_first, 1_000);
                assert_eq!(semaphore.available_permits(), 1);
            });
        },
    );
}
