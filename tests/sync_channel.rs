//! Channels under load: many producers and consumers on several workers; nothing lost,
//! nothing duplicated, closing semantics exact.

mod support;

use std::time::Duration;

use sprout::sync::{channel, unbounded, RecvError, TryRecvError, TrySendError};
use support::{runtime, within};

/// 8 producers × 10,000 values through a channel of capacity 16 to 8 consumers on 2 workers:
/// every value arrives exactly once.
#[test]
fn many_producers_and_consumers_lose_and_duplicate_nothing() {
    const PRODUCERS: u64 = 8;
    const PER_PRODUCER: u64 = 10_000;
    let mut received = within(Duration::from_secs(60), "mpmc", || {
        runtime(2).block_on(async {
            let (tx, rx) = channel::<u64>(16);
            let producers: Vec<_> = (0..PRODUCERS)
                .map(|p| {
                    let tx = tx.clone();
                    sprout::spawn(async move {
                        for i in 0..PER_PRODUCER {
                            tx.send(p * PER_PRODUCER + i).await.unwrap();
                        }
                    })
                })
                .collect();
            drop(tx);
            let consumers: Vec<_> = (0..8)
                .map(|_| {
                    let rx = rx.clone();
                    sprout::spawn(async move {
                        let mut got = Vec::new();
                        while let Ok(value) = rx.recv().await {
                            got.push(value);
                        }
                        got
                    })
                })
                .collect();
            drop(rx);
            sprout::join_all(producers).await;
            let mut all = Vec::new();
            for got in sprout::join_all(consumers).await {
                all.extend(got.unwrap());
            }
            all
        })
    });
    received.sort_unstable();
    assert_eq!(received.len() as u64, PRODUCERS * PER_PRODUCER, "count");
    assert!(
        received.iter().copied().eq(0..PRODUCERS * PER_PRODUCER),
        "each value once"
    );
}

/// Receivers see every queued value before the close; senders get their value back once the
/// receivers are gone; try_ forms report Full/Empty/Closed.
#[test]
fn closing_and_try_forms() {
    within(Duration::from_secs(10), "closing", || {
        runtime(1).block_on(async {
            let (tx, rx) = channel(1);
            tx.try_send(1).unwrap();
            assert!(matches!(tx.try_send(2), Err(TrySendError::Full(2))));
            drop(tx);
            assert_eq!(
                rx.recv().await,
                Ok(1),
                "queued values survive the last sender"
            );
            assert_eq!(rx.recv().await, Err(RecvError));
            assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));

            let (tx, rx) = unbounded::<&str>();
            assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
            drop(rx);
            assert!(tx.is_closed());
            assert_eq!(tx.send("back").await.unwrap_err().0, "back");
        });
    });
}

/// A sender waiting on a full channel is woken when a receiver makes room, and one waiting
/// receiver is woken by the last sender's drop.
#[test]
fn waiting_senders_and_receivers_are_woken() {
    within(Duration::from_secs(10), "waiters", || {
        runtime(2).block_on(async {
            let (tx, rx) = channel(1);
            tx.send(0).await.unwrap();
            let blocked = sprout::spawn({
                let tx = tx.clone();
                async move { tx.send(1).await }
            });
            sprout::sleep(Duration::from_millis(10)).await;
            assert!(!blocked.is_finished(), "the channel is full");
            assert_eq!(rx.recv().await, Ok(0));
            blocked.await.unwrap().unwrap();
            assert_eq!(rx.recv().await, Ok(1));
            let waiting = sprout::spawn(async move { rx.recv().await });
            sprout::sleep(Duration::from_millis(10)).await;
            drop(tx);
            assert_eq!(waiting.await.unwrap(), Err(RecvError));
        });
    });
}

/// A receiver cancelled after being woken passes the wake-up on: the value reaches the other
/// receiver instead of sitting in the queue.
#[test]
fn a_cancelled_receiver_passes_its_wakeup_on() {
    within(Duration::from_secs(10), "wake-up handoff", || {
        runtime(1).block_on(async {
            let (tx, rx) = unbounded::<u8>();
            let first = sprout::spawn({
                let rx = rx.clone();
                async move { rx.recv().await }
            });
            let second = sprout::spawn({
                let rx = rx.clone();
                async move { rx.recv().await }
            });
            sprout::yield_now().await; // Both park, first in line first.
            tx.send(9).await.unwrap(); // Wakes `first`…
            first.cancel(); // …which is cancelled before it runs.
            assert!(first.await.unwrap_err().is_cancelled());
            assert_eq!(second.await.unwrap(), Ok(9));
        });
    });
}

/// `send_blocking`/`recv_blocking` refuse to run on a worker thread (they would block the
/// tasks behind them) with a message naming the async form; in `spawn_blocking` they work.
#[test]
fn blocking_calls_refuse_worker_threads_and_work_in_spawn_blocking() {
    within(Duration::from_secs(20), "blocking channel calls", || {
        support::runtime(2).block_on(async {
            let (tx, rx) = sprout::sync::channel::<u32>(1);
            let on_worker = sprout::spawn(async move { rx.recv_blocking() }).await;
            let error = on_worker.expect_err("recv_blocking on a worker panics");
            let message = error.panic_message().unwrap_or_default().to_owned();
            assert!(
                message.contains("recv_blocking") && message.contains("recv().await"),
                "{message}"
            );
            let (tx2, rx2) = sprout::sync::channel::<u32>(1);
            let receiver = sprout::spawn_blocking(move || rx2.recv_blocking());
            let sender = sprout::spawn_blocking(move || tx2.send_blocking(5));
            assert_eq!(sender.await.expect("the sending job"), Ok(()));
            assert_eq!(receiver.await.expect("the receiving job"), Ok(5));
            drop(tx);
        });
    });
}

/// The actor pattern: a request carries a oneshot for its reply. When the actor's receiver goes
/// away with the request still queued, the queued reply sender is dropped with it, so the
/// requester hears at once — while other senders of the request channel are still alive.
#[test]
fn the_last_receiver_drops_the_queued_messages() {
    within(Duration::from_secs(10), "queued reply senders", || {
        runtime(1).block_on(async {
            let (requests, actor_inbox) = unbounded::<(u32, sprout::sync::OneshotSender<u32>)>();
            let _another_client = requests.clone();
            let (reply_to, reply) = sprout::sync::oneshot();
            requests.send((1, reply_to)).await.unwrap();
            drop(actor_inbox); // The actor stops before reading its inbox.
            let answer = sprout::timeout(Duration::from_secs(5), reply).await;
            assert!(
                matches!(answer, Ok(Err(_))),
                "the requester still waits for a reply its dropped actor can never send: \
                 {answer:?}"
            );
            assert!(
                requests.is_empty(),
                "the queue was emptied with its last receiver"
            );
        });
    });
}
