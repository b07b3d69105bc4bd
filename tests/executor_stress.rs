//! Stress on several workers: wake-ups that cross workers, stealing, the LIFO slot, deferral and
//! cancellation all at once. A lost wake-up anywhere stops the ring, and the deadline reports it.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use support::{runtime, within};

/// A token passed 20,000 times around a ring of 100 tasks (each hop a channel send that wakes
/// the next task, possibly on the other worker), while other tasks sleep, yield and get
/// cancelled from a foreign thread. Every hop must arrive, and every cancelled task's
/// destructor must run.
#[test]
fn ring_of_tasks_with_timers_and_cancellations_on_two_workers() {
    const TASKS: usize = 100;
    const HOPS: usize = 20_000;
    for attempt in 0..3 {
        let dropped = Arc::new(AtomicUsize::new(0));
        let dropped_in = dropped.clone();
        within(
            Duration::from_secs(60),
            &format!("ring attempt {attempt}"),
            move || {
                runtime(2).block_on(async move {
                    // The ring: task i receives on channel i and sends on channel i + 1.
                    let channels: Vec<_> = (0..TASKS)
                        .map(|_| sprout::sync::channel::<usize>(1))
                        .collect();
                    let senders: Vec<_> = channels.iter().map(|(tx, _)| tx.clone()).collect();
                    let mut ring = Vec::new();
                    for (i, (_, rx)) in channels.into_iter().enumerate() {
                        let next = senders[(i + 1) % TASKS].clone();
                        ring.push(sprout::spawn(async move {
                            while let Ok(hop) = rx.recv().await {
                                if hop == HOPS {
                                    return true; // This task saw the last hop.
                                }
                                if hop % 97 == 0 {
                                    sprout::yield_now().await; // exercise deferral
                                }
                                if next.send(hop + 1).await.is_err() {
                                    return false;
                                }
                            }
                            false
                        }));
                    }
                    // Noise: sleepers, half of them cancelled from a foreign thread.
                    struct Guard(Arc<AtomicUsize>);
                    impl Drop for Guard {
                        fn drop(&mut self) {
                            self.0.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                    let sleepers: Vec<_> = (0..200)
                        .map(|i| {
                            let guard = Guard(dropped_in.clone());
                            sprout::spawn(async move {
                                let _guard = guard;
                                sprout::sleep(Duration::from_millis(1 + (i % 5) as u64)).await;
                                if i % 2 == 0 {
                                    std::future::pending::<()>().await; // only cancel ends these
                                }
                            })
                        })
                        .collect();
                    let to_cancel: Vec<_> = sleepers.iter().step_by(2).map(|h| h.id()).collect();
                    let (handles_tx, handles_rx) = std::sync::mpsc::channel();
                    let canceller = std::thread::spawn(move || {
                        let handles: Vec<sprout::JoinHandle<()>> = handles_rx.recv().unwrap();
                        for handle in &handles {
                            handle.cancel(); // from a thread outside the runtime
                        }
                        handles
                    });
                    let (even, odd): (Vec<_>, Vec<_>) = sleepers
                        .into_iter()
                        .partition(|h| to_cancel.contains(&h.id()));
                    handles_tx.send(even).unwrap();
                    senders[0].send(0).await.unwrap(); // start the token
                    drop(senders);
                    let mut finishers = 0;
                    for task in ring {
                        finishers += usize::from(task.await.unwrap_or(false));
                        if finishers == 1 {
                            break; // the others wait on channels whose senders live in the ring
                        }
                    }
                    assert_eq!(finishers, 1, "the token made all {HOPS} hops");
                    for handle in canceller.join().unwrap() {
                        assert!(handle.await.unwrap_err().is_cancelled());
                    }
                    for handle in odd {
                        handle.await.unwrap();
                    }
                });
            },
        );
        assert_eq!(
            dropped.load(Ordering::SeqCst),
            200,
            "every sleeper's destructor ran"
        );
    }
}
