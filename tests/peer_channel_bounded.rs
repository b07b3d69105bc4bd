//! async-channel's `tests/bounded.rs` (async-channel 2.5.0), ported onto
//! `sprout::sync::channel`.
//!
//! Like the original, every test drives the channel from plain threads with futures-lite's
//! `block_on` (no runtime). Names: async-channel's `bounded(n)` is `channel(n)`; the error types
//! are the same (`SendError`, `RecvError`, `TrySendError::{Full, Closed}`,
//! `TryRecvError::{Empty, Closed}`).
//!
//! Deliberate differences:
//! - No sleeps as synchronization: where the original orders threads with `sleep(..)`, the port
//!   uses a `Barrier` at the same points, and where it relies on a thread being blocked in
//!   `send`/`recv` before another acts, the port polls that future once (`poll_once`, so it is
//!   parked in the wait list) before letting the others go. Same events, same order, no timing
//!   assumption; each test runs under a deadline.
//! - `easy_parallel::Parallel` is `support::parallel` (scoped threads).
//! - `channel(0)` is a channel of one slot in sprout, where `bounded(0)` panics in
//!   async-channel; no test here uses 0.
//! - Not ported, because sprout has no such API: `closed` (`Sender::closed()`, a future that
//!   completes when the channel closes), `force_send` (send that evicts the oldest value when
//!   full) and `weak` (`downgrade`/`upgrade`). `smoke_blocking` is ported:
//!   `send_blocking`/`recv_blocking` were added for it.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Barrier;
use std::time::Duration;

use futures_lite::{future, StreamExt};
use sprout::sync::{channel as bounded, RecvError, SendError, TryRecvError, TrySendError};
use support::{parallel, within};

/// Runs a test body under a 60 s deadline.
fn run(name: &str, body: impl FnOnce() + Send + 'static) {
    within(Duration::from_secs(60), name, body);
}

#[test]
fn smoke() {
    run("smoke", || {
        let (s, r) = bounded(1);

        future::block_on(s.send(7)).unwrap();
        assert_eq!(r.try_recv(), Ok(7));

        future::block_on(s.send(8)).unwrap();
        assert_eq!(future::block_on(r.recv()), Ok(8));

        assert_eq!(r.try_recv(), Err(TryRecvError::Empty));
    });
}

#[test]
fn smoke_blocking() {
    run("smoke_blocking", || {
        let (s, r) = bounded(1);

        s.send_blocking(7).unwrap();
        assert_eq!(r.try_recv(), Ok(7));

        s.send_blocking(8).unwrap();
        assert_eq!(future::block_on(r.recv()), Ok(8));

        future::block_on(s.send(9)).unwrap();
        assert_eq!(r.recv_blocking(), Ok(9));

        assert_eq!(r.try_recv(), Err(TryRecvError::Empty));
    });
}

#[test]
fn capacity() {
    for i in 1..10 {
        let (s, r) = bounded::<()>(i);
        assert_eq!(s.capacity(), Some(i));
        assert_eq!(r.capacity(), Some(i));
    }
}

#[test]
#[allow(clippy::bool_assert_comparison)]
fn len_empty_full() {
    run("len_empty_full", || {
        let (s, r) = bounded(2);

        assert_eq!(s.len(), 0);
        assert_eq!(s.is_empty(), true);
        assert_eq!(s.is_full(), false);
        assert_eq!(r.len(), 0);
        assert_eq!(r.is_empty(), true);
        assert_eq!(r.is_full(), false);

        future::block_on(s.send(())).unwrap();

        assert_eq!(s.len(), 1);
        assert_eq!(s.is_empty(), false);
        assert_eq!(s.is_full(), false);
        assert_eq!(r.len(), 1);
        assert_eq!(r.is_empty(), false);
        assert_eq!(r.is_full(), false);

        future::block_on(s.send(())).unwrap();

        assert_eq!(s.len(), 2);
        assert_eq!(s.is_empty(), false);
        assert_eq!(s.is_full(), true);
        assert_eq!(r.len(), 2);
        assert_eq!(r.is_empty(), false);
        assert_eq!(r.is_full(), true);

        future::block_on(r.recv()).unwrap();

        assert_eq!(s.len(), 1);
        assert_eq!(s.is_empty(), false);
        assert_eq!(s.is_full(), false);
        assert_eq!(r.len(), 1);
        assert_eq!(r.is_empty(), false);
        assert_eq!(r.is_full(), false);
    });
}

#[test]
fn try_recv() {
    run("try_recv", || {
        let (s, r) = bounded(100);
        let step = &Barrier::new(2);

        parallel(vec![
            Box::new(|| {
                assert_eq!(r.try_recv(), Err(TryRecvError::Empty));
                step.wait(); // original: sleep(1500 ms), past the send at 1000 ms
                step.wait();
                assert_eq!(r.try_recv(), Ok(7));
                step.wait(); // original: sleep(500 ms), past the sender's drop
                step.wait();
                assert_eq!(r.try_recv(), Err(TryRecvError::Closed));
            }),
            Box::new(move || {
                step.wait(); // original: sleep(1000 ms)
                future::block_on(s.send(7)).unwrap();
                step.wait();
                step.wait();
                drop(s);
                step.wait();
            }),
        ]);
    });
}

#[test]
fn recv() {
    run("recv", || {
        let (s, r) = bounded(100);
        let step = &Barrier::new(2);

        parallel(vec![
            Box::new(|| {
                let mut first = std::pin::pin!(r.recv());
                assert!(future::block_on(future::poll_once(&mut first)).is_none());
                step.wait(); // parked in recv before anything is sent
                assert_eq!(future::block_on(first), Ok(7));
                assert_eq!(future::block_on(r.recv()), Ok(8));
                assert_eq!(future::block_on(r.recv()), Ok(9));
                assert_eq!(future::block_on(r.recv()), Err(RecvError));
            }),
            Box::new(move || {
                step.wait(); // original: sleep(1500 ms)
                future::block_on(s.send(7)).unwrap();
                future::block_on(s.send(8)).unwrap();
                future::block_on(s.send(9)).unwrap();
            }),
        ]);
    });
}

#[test]
fn try_send() {
    run("try_send", || {
        let (s, r) = bounded(1);
        let step = &Barrier::new(2);

        parallel(vec![
            Box::new(move || {
                assert_eq!(s.try_send(1), Ok(()));
                assert_eq!(s.try_send(2), Err(TrySendError::Full(2)));
                step.wait(); // original: sleep(1500 ms), past the receiver's try_recvs
                step.wait();
                assert_eq!(s.try_send(3), Ok(()));
                step.wait(); // original: sleep(500 ms), past the receiver's end
                assert_eq!(s.try_send(4), Err(TrySendError::Closed(4)));
            }),
            Box::new(move || {
                step.wait(); // original: sleep(1000 ms)
                assert_eq!(r.try_recv(), Ok(1));
                assert_eq!(r.try_recv(), Err(TryRecvError::Empty));
                step.wait();
                assert_eq!(future::block_on(r.recv()), Ok(3));
                drop(r); // the original's closure ends here, dropping `r`
                step.wait();
            }),
        ]);
    });
}

#[test]
fn send() {
    run("send", || {
        let (s, r) = bounded(1);
        let step = &Barrier::new(2);

        parallel(vec![
            Box::new(|| {
                future::block_on(s.send(7)).unwrap();
                let mut second = std::pin::pin!(s.send(8));
                assert!(
                    future::block_on(future::poll_once(&mut second)).is_none(),
                    "full"
                );
                step.wait(); // parked in send before the receiver starts
                future::block_on(second).unwrap();
                future::block_on(s.send(9)).unwrap();
                future::block_on(s.send(10)).unwrap();
            }),
            Box::new(|| {
                step.wait(); // original: sleep(1500 ms)
                assert_eq!(future::block_on(r.recv()), Ok(7));
                assert_eq!(future::block_on(r.recv()), Ok(8));
                assert_eq!(future::block_on(r.recv()), Ok(9));
            }),
        ]);
    });
}

#[test]
fn send_after_close() {
    run("send_after_close", || {
        let (s, r) = bounded(100);

        future::block_on(s.send(1)).unwrap();
        future::block_on(s.send(2)).unwrap();
        future::block_on(s.send(3)).unwrap();

        drop(r);

        assert_eq!(future::block_on(s.send(4)), Err(SendError(4)));
        assert_eq!(s.try_send(5), Err(TrySendError::Closed(5)));
        assert_eq!(future::block_on(s.send(6)), Err(SendError(6)));
    });
}

#[test]
fn recv_after_close() {
    run("recv_after_close", || {
        let (s, r) = bounded(100);

        future::block_on(s.send(1)).unwrap();
        future::block_on(s.send(2)).unwrap();
        future::block_on(s.send(3)).unwrap();

        drop(s);

        assert_eq!(future::block_on(r.recv()), Ok(1));
        assert_eq!(future::block_on(r.recv()), Ok(2));
        assert_eq!(future::block_on(r.recv()), Ok(3));
        assert_eq!(future::block_on(r.recv()), Err(RecvError));
    });
}

#[test]
fn len() {
    run("len", || {
        const COUNT: usize = 25_000;
        const CAP: usize = 1000;

        let (s, r) = bounded(CAP);

        assert_eq!(s.len(), 0);
        assert_eq!(r.len(), 0);

        for _ in 0..CAP / 10 {
            for i in 0..50 {
                future::block_on(s.send(i)).unwrap();
                assert_eq!(s.len(), i + 1);
            }

            for i in 0..50 {
                future::block_on(r.recv()).unwrap();
                assert_eq!(r.len(), 50 - i - 1);
            }
        }

        assert_eq!(s.len(), 0);
        assert_eq!(r.len(), 0);

        for i in 0..CAP {
            future::block_on(s.send(i)).unwrap();
            assert_eq!(s.len(), i + 1);
        }

        for _ in 0..CAP {
            future::block_on(r.recv()).unwrap();
        }

        assert_eq!(s.len(), 0);
        assert_eq!(r.len(), 0);

        parallel(vec![
            Box::new(|| {
                for i in 0..COUNT {
                    assert_eq!(future::block_on(r.recv()), Ok(i));
                    let len = r.len();
                    assert!(len <= CAP);
                }
            }),
            Box::new(|| {
                for i in 0..COUNT {
                    future::block_on(s.send(i)).unwrap();
                    let len = s.len();
                    assert!(len <= CAP);
                }
            }),
        ]);

        assert_eq!(s.len(), 0);
        assert_eq!(r.len(), 0);
    });
}

#[test]
fn receiver_count() {
    let (s, r) = bounded::<()>(5);
    let receiver_clones: Vec<_> = (0..20).map(|_| r.clone()).collect();

    assert_eq!(s.receiver_count(), 21);
    assert_eq!(r.receiver_count(), 21);

    drop(receiver_clones);

    assert_eq!(s.receiver_count(), 1);
    assert_eq!(r.receiver_count(), 1);
}

#[test]
fn sender_count() {
    let (s, r) = bounded::<()>(5);
    let sender_clones: Vec<_> = (0..20).map(|_| s.clone()).collect();

    assert_eq!(s.sender_count(), 21);
    assert_eq!(r.sender_count(), 21);

    drop(sender_clones);

    assert_eq!(s.receiver_count(), 1);
    assert_eq!(r.receiver_count(), 1);
}

#[test]
fn close_wakes_sender() {
    run("close_wakes_sender", || {
        let (s, r) = bounded(1);
        let step = &Barrier::new(2);

        parallel(vec![
            Box::new(move || {
                assert_eq!(future::block_on(s.send(())), Ok(()));
                let mut second = std::pin::pin!(s.send(()));
                assert!(
                    future::block_on(future::poll_once(&mut second)).is_none(),
                    "full"
                );
                step.wait(); // parked before the receiver goes
                assert_eq!(future::block_on(second), Err(SendError(())));
            }),
            Box::new(move || {
                step.wait(); // original: sleep(1000 ms)
                drop(r);
            }),
        ]);
    });
}

#[test]
fn close_wakes_receiver() {
    run("close_wakes_receiver", || {
        let (s, r) = bounded::<()>(1);
        let step = &Barrier::new(2);

        parallel(vec![
            Box::new(move || {
                let mut waiting = std::pin::pin!(r.recv());
                assert!(future::block_on(future::poll_once(&mut waiting)).is_none());
                step.wait(); // parked before the sender goes
                assert_eq!(future::block_on(waiting), Err(RecvError));
            }),
            Box::new(move || {
                step.wait(); // original: sleep(1000 ms)
                drop(s);
            }),
        ]);
    });
}

#[test]
fn forget_blocked_sender() {
    run("forget_blocked_sender", || {
        let (s1, r) = bounded(2);
        let s2 = s1.clone();
        let step = &Barrier::new(3);

        parallel(vec![
            Box::new(move || {
                assert!(future::block_on(s1.send(3)).is_ok());
                assert!(future::block_on(s1.send(7)).is_ok());
                let s1_fut = s1.send(13);
                futures_lite::pin!(s1_fut);
                // Poll but keep the future alive.
                assert_eq!(future::block_on(future::poll_once(s1_fut)), None);
                step.wait(); // (a) parked first
                step.wait(); // (b)
                step.wait(); // (c)
                step.wait(); // (d) original: sleep(500 ms), alive until the receiver is done
            }),
            Box::new(move || {
                step.wait(); // (a) original: sleep(100 ms)
                let mut send = std::pin::pin!(s2.send(42));
                assert!(
                    future::block_on(future::poll_once(&mut send)).is_none(),
                    "full"
                );
                step.wait(); // (b) parked second
                assert!(future::block_on(send).is_ok());
                step.wait(); // (c)
                step.wait(); // (d)
            }),
            Box::new(move || {
                step.wait(); // (a) original: sleep(200 ms)
                step.wait(); // (b)
                assert_eq!(future::block_on(r.recv()), Ok(3));
                assert_eq!(future::block_on(r.recv()), Ok(7));
                step.wait(); // (c) original: sleep(100 ms), past s2's send
                assert_eq!(r.try_recv(), Ok(42));
                step.wait(); // (d)
            }),
        ]);
    });
}

#[test]
fn forget_blocked_receiver() {
    run("forget_blocked_receiver", || {
        let (s, r1) = bounded(2);
        let r2 = r1.clone();
        let step = &Barrier::new(3);

        parallel(vec![
            Box::new(move || {
                let r1_fut = r1.recv();
                // Poll but keep the future alive.
                futures_lite::pin!(r1_fut);
                assert_eq!(future::block_on(future::poll_once(&mut r1_fut)), None);
                step.wait(); // (a) parked first
                step.wait(); // (b)
                step.wait(); // (c)
                step.wait(); // (d) original: sleep(500 ms), `r1` alive past the try_send
            }),
            Box::new(move || {
                step.wait(); // (a) original: sleep(100 ms)
                let mut recv = std::pin::pin!(r2.recv());
                assert!(future::block_on(future::poll_once(&mut recv)).is_none());
                step.wait(); // (b) parked second
                assert_eq!(future::block_on(recv), Ok(3));
                step.wait(); // (c)
                step.wait(); // (d)
            }),
            Box::new(move || {
                step.wait(); // (a) original: sleep(200 ms)
                step.wait(); // (b)
                assert!(future::block_on(s.send(3)).is_ok());
                assert!(future::block_on(s.send(7)).is_ok());
                step.wait(); // (c) original: sleep(100 ms), past r2's receive
                assert!(s.try_send(42).is_ok());
                step.wait(); // (d)
            }),
        ]);
    });
}

#[test]
fn spsc() {
    run("spsc", || {
        const COUNT: usize = 100_000;

        let (s, r) = bounded(3);

        parallel(vec![
            Box::new(move || {
                for i in 0..COUNT {
                    assert_eq!(future::block_on(r.recv()), Ok(i));
                }
                assert_eq!(future::block_on(r.recv()), Err(RecvError));
            }),
            Box::new(move || {
                for i in 0..COUNT {
                    future::block_on(s.send(i)).unwrap();
                }
            }),
        ]);
    });
}

#[test]
fn mpmc() {
    run("mpmc", || {
        const COUNT: usize = 25_000;
        const THREADS: usize = 4;

        let (s, r) = bounded::<usize>(3);
        let v = (0..COUNT).map(|_| AtomicUsize::new(0)).collect::<Vec<_>>();

        let mut threads: Vec<Box<dyn FnOnce() + Send + '_>> = Vec::new();
        for _ in 0..THREADS {
            threads.push(Box::new(|| {
                for _ in 0..COUNT {
                    let n = future::block_on(r.recv()).unwrap();
                    v[n].fetch_add(1, Ordering::SeqCst);
                }
            }));
            threads.push(Box::new(|| {
                for i in 0..COUNT {
                    future::block_on(s.send(i)).unwrap();
                }
            }));
        }
        parallel(threads);

        for c in v {
            assert_eq!(c.load(Ordering::SeqCst), THREADS);
        }
    });
}

#[test]
fn mpmc_stream() {
    run("mpmc_stream", || {
        const COUNT: usize = 25_000;
        const THREADS: usize = 4;

        let (s, r) = bounded::<usize>(3);
        let v = (0..COUNT).map(|_| AtomicUsize::new(0)).collect::<Vec<_>>();
        let v = &v;

        let mut threads: Vec<Box<dyn FnOnce() + Send + '_>> = Vec::new();
        for _ in 0..THREADS {
            let mut r = r.clone();
            threads.push(Box::new(move || {
                for _ in 0..COUNT {
                    let n = future::block_on(r.next()).unwrap();
                    v[n].fetch_add(1, Ordering::SeqCst);
                }
            }));
            threads.push(Box::new(|| {
                for i in 0..COUNT {
                    future::block_on(s.send(i)).unwrap();
                }
            }));
        }
        parallel(threads);

        for c in v {
            assert_eq!(c.load(Ordering::SeqCst), THREADS);
        }
    });
}
