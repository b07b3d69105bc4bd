//! `Sleep::reset` from outside the waiting task: the waiter wakes at the new deadline (time I3).
//!
//! A task waits on a `Sleep` shared behind a mutex; another task, or a plain thread, moves its
//! deadline earlier, later or into the past. The waiter must complete no earlier than the new
//! deadline (time I1) and must not be stranded: every wait runs under a deadline.

mod support;

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use support::{runtime, within};

/// Who moves the deadline.
#[derive(Clone, Copy, Debug)]
enum Mover {
    /// Another task on the same runtime.
    Task,
    /// A plain thread outside the runtime.
    Thread,
}

/// Starts a `Sleep` of `first`, lets a task park on it, then has `mover` reset it to
/// `now + second` (`None`: a deadline already in the past), and checks when the waiter woke.
fn reset_while_waiting(workers: usize, first: Duration, second: Option<Duration>, mover: Mover) {
    let label = format!("{workers} worker(s), {first:?} -> {second:?} by {mover:?}");
    within(Duration::from_secs(20), &label.clone(), move || {
        runtime(workers).block_on(async move {
            let sleep = Arc::new(Mutex::new(sprout::sleep(first)));
            let (parked, is_parked) = sprout::sync::oneshot::<()>();
            let mut parked = Some(parked);
            let waiting = sleep.clone();
            let waiter = sprout::spawn(async move {
                poll_fn(|cx| {
                    let mut sleep = waiting.lock().unwrap();
                    let polled = Pin::new(&mut *sleep).poll(cx);
                    if let Some(parked) = parked.take() {
                        let _ = parked.send(());
                    }
                    polled
                })
                .await;
                Instant::now()
            });
            // The waiter has returned Pending once: its waker sits in the timer queue.
            is_parked.await.expect("the waiter polled its sleep");
            let new_deadline = match second {
                Some(after) => Instant::now() + after,
                None => Instant::now() - Duration::from_millis(1),
            };
            let moving = sleep.clone();
            match mover {
                Mover::Task => {
                    sprout::spawn(async move { moving.lock().unwrap().reset(new_deadline) })
                        .await
                        .expect("the resetting task");
                }
                Mover::Thread => {
                    std::thread::spawn(move || moving.lock().unwrap().reset(new_deadline))
                        .join()
                        .expect("the resetting thread")
                }
            }
            let woke = waiter.await.expect("the waiter completed");
            assert!(
                woke >= new_deadline,
                "{label}: woke before the new deadline"
            );
            // Well before 10 s: a waiter woken by the old deadline, not the new one, fails here.
            let late = woke - new_deadline;
            assert!(
                late < Duration::from_secs(5),
                "{label}: woke {late:?} after the new deadline"
            );
        });
    });
}

/// 10 s moved to 200 ms, by a task and by a thread, on one and on two workers.
#[test]
fn a_reset_to_an_earlier_deadline_wakes_the_waiter_then() {
    for workers in [1, 2] {
        for mover in [Mover::Task, Mover::Thread] {
            reset_while_waiting(
                workers,
                Duration::from_secs(10),
                Some(Duration::from_millis(200)),
                mover,
            );
        }
    }
}

/// 50 ms moved to 300 ms: the waiter is not woken at the old deadline for good; it sleeps on.
#[test]
fn a_reset_to_a_later_deadline_wakes_the_waiter_then() {
    for workers in [1, 2] {
        for mover in [Mover::Task, Mover::Thread] {
            reset_while_waiting(
                workers,
                Duration::from_millis(50),
                Some(Duration::from_millis(300)),
                mover,
            );
        }
    }
}

/// 10 s moved into the past: the waiter completes at once.
#[test]
fn a_reset_into_the_past_wakes_the_waiter_at_once() {
    for workers in [1, 2] {
        for mover in [Mover::Task, Mover::Thread] {
            reset_while_waiting(workers, Duration::from_secs(10), None, mover);
        }
    }
}
