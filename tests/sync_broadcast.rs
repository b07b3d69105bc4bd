//! The broadcast channel: every receiver sees every message, in order; a slow receiver is told
//! how many it missed and goes on; the last sender's drop ends every waiting receiver.

mod support;

use std::time::Duration;

use sprout::sync::broadcast::{self, RecvError};
use support::{runtime, within};

/// Eight receiver tasks on two workers, 10,000 messages through a buffer large enough for all:
/// each receiver sees exactly 0..10,000 in order, then `Closed`.
#[test]
fn every_receiver_sees_every_message_in_order() {
    within(Duration::from_secs(30), "broadcast fan-out", || {
        runtime(2).block_on(async {
            const MESSAGES: u32 = 10_000;
            let (tx, first) = broadcast::channel::<u32>(MESSAGES as usize);
            let receivers: Vec<_> = (0..8)
                .map(|i| {
                    let mut rx = if i == 0 {
                        first.clone()
                    } else {
                        tx.subscribe()
                    };
                    sprout::spawn(async move {
                        let mut seen = Vec::new();
                        loop {
                            match rx.recv().await {
                                Ok(n) => seen.push(n),
                                Err(RecvError::Closed) => return seen,
                                Err(other) => panic!("receiver {i}: {other}"),
                            }
                        }
                    })
                })
                .collect();
            drop(first);
            for n in 0..MESSAGES {
                assert_eq!(tx.send(n), Ok(8));
                if n % 100 == 0 {
                    sprout::yield_now().await; // let receivers run while sending
                }
            }
            drop(tx);
            for (i, receiver) in receivers.into_iter().enumerate() {
                let seen = receiver.await.expect("a receiver task");
                assert_eq!(seen, (0..MESSAGES).collect::<Vec<_>>(), "receiver {i}");
            }
        });
    });
}

/// A receiver that falls behind a buffer of 4 learns how many it missed, then reads the four
/// kept messages, then waits for new ones; a receiver that kept up missed nothing.
#[test]
fn a_slow_receiver_is_told_what_it_missed() {
    within(Duration::from_secs(10), "lagging receiver", || {
        runtime(1).block_on(async {
            let (tx, mut slow) = broadcast::channel(4);
            let mut keeping_up = tx.subscribe();
            for n in 0..10 {
                tx.send(n).unwrap();
                assert_eq!(keeping_up.recv().await, Ok(n));
            }
            assert_eq!(slow.recv().await, Err(RecvError::Lagged(6)));
            for n in 6..10 {
                assert_eq!(slow.recv().await, Ok(n));
            }
            assert!(slow.try_recv().is_none(), "nothing new yet");
            let waiting = sprout::spawn(async move { slow.recv().await });
            sprout::yield_now().await;
            tx.send(10).unwrap();
            assert_eq!(waiting.await.unwrap(), Ok(10));
        });
    });
}

/// Dropping the last sender ends receivers that were parked; a parked `recv` that is dropped
/// does not keep later receivers from their messages.
#[test]
fn closing_ends_parked_receivers() {
    within(Duration::from_secs(10), "broadcast close", || {
        runtime(2).block_on(async {
            let (tx, rx) = broadcast::channel::<u8>(1);
            let parked: Vec<_> = (0..4)
                .map(|_| {
                    let mut rx = rx.clone();
                    sprout::spawn(async move { rx.recv().await })
                })
                .collect();
            let mut abandoned = rx.clone();
            let gave_up = sprout::timeout(Duration::from_millis(20), abandoned.recv()).await;
            assert!(gave_up.is_err(), "nothing was sent");
            drop(tx);
            for receiver in parked {
                assert_eq!(receiver.await.unwrap(), Err(RecvError::Closed));
            }
            assert_eq!(abandoned.recv().await, Err(RecvError::Closed));
        });
    });
}
