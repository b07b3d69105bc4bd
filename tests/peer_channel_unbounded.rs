//! async-channel's `tests/unbounded.rs` (async-channel 2.5.0), ported onto
//! `sprout::sync::unbounded`.
//!
//! Like the original, every test drives the channel from plain threads with futures-lite's
//! `block_on` (no runtime): the case of issue 9's first defect, where the cooperative budget
//! stopped the 129th operation. Names are the same as async-channel's, and so are the error
//! types (`SendError`, `RecvError`, `TrySendError::{Full, Closed}`, `TryRecvError::{Empty,
//! Closed}`).
//!
//! Deliberate differences:
//! - No sleeps as synchronization: where the original orders two threads with `sleep(1000 ms)`
//!   and `sleep(1500 ms)`, the port uses a `Barrier` at the same points, and where it relies on
//!   a thread being blocked in `recv` before the other sends, the port polls the `recv` future
//!   once (`poll_once`, so it is parked) before letting the sender go. Same events, same order,
//!   no timing assumption; each test runs under a deadline.
//! - `easy_parallel::Parallel` is `support::parallel` (scoped threads).
//! - Not ported, because sprout has no such API: `weak` (`downgrade`/`upgrade`, weak ends).
//!   `smoke_blocking` is ported: `send_blocking`/`recv_blocking` were added for it.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Barrier;
use std::time::Duration;

use futures_lite::{future, StreamExt};
use sprout::sync::{unbounded, RecvError, SendError, TryRecvError, TrySendError};
use support::{parallel, within};

/// Runs a test body under a 60 s deadline.
fn run(name: &str, body: impl FnOnce() + Send + 'static) {
    within(Duration::from_secs(60), name, body);
}

#[test]
fn smoke() {
    run("smoke", || {
        let (s, r) = unbounded();

        s.try_send(7).unwrap();
        assert_eq!(r.try_recv(), Ok(7));

        future::block_on(s.send(8)).unwrap();
        assert_eq!(future::block_on(r.recv()), Ok(8));
        assert_eq!(r.try_recv(), Err(TryRecvError::Empty));
    });
}

#[test]
fn smoke_blocking() {
    run("smoke_blocking", || {
        let (s, r) = unbounded();

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
    let (s, r) = unbounded::<()>();
    assert_eq!(s.capacity(), None);
    assert_eq!(r.capacity(), None);
}

#[test]
#[allow(clippy::bool_assert_comparison)]
fn len_empty_full() {
    run("len_empty_full", || {
        let (s, r) = unbounded();

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

        future::block_on(r.recv()).unwrap();

        assert_eq!(s.len(), 0);
        assert_eq!(s.is_empty(), true);
        assert_eq!(s.is_full(), false);
        assert_eq!(r.len(), 0);
        assert_eq!(r.is_empty(), true);
        assert_eq!(r.is_full(), false);
    });
}

#[test]
fn try_recv() {
    run("try_recv", || {
        let (s, r) = unbounded();
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
        let (s, r) = unbounded();
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
        let (s, r) = unbounded();
        for i in 0..1000 {
            assert_eq!(s.try_send(i), Ok(()));
        }

        drop(r);
        assert_eq!(s.try_send(777), Err(TrySendError::Closed(777)));
    });
}

#[test]
fn send() {
    run("send", || {
        let (s, r) = unbounded();
        for i in 0..1000 {
            assert_eq!(future::block_on(s.send(i)), Ok(()));
        }

        drop(r);
        assert_eq!(future::block_on(s.send(777)), Err(SendError(777)));
    });
}

#[test]
fn send_after_close() {
    run("send_after_close", || {
        let (s, r) = unbounded();

        future::block_on(s.send(1)).unwrap();
        future::block_on(s.send(2)).unwrap();
        future::block_on(s.send(3)).unwrap();

        drop(r);

        assert_eq!(future::block_on(s.send(4)), Err(SendError(4)));
        assert_eq!(s.try_send(5), Err(TrySendError::Closed(5)));
    });
}

#[test]
fn recv_after_close() {
    run("recv_after_close", || {
        let (s, r) = unbounded();

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
        let (s, r) = unbounded();

        assert_eq!(s.len(), 0);
        assert_eq!(r.len(), 0);

        for i in 0..50 {
            future::block_on(s.send(i)).unwrap();
            assert_eq!(s.len(), i + 1);
        }

        for i in 0..50 {
            future::block_on(r.recv()).unwrap();
            assert_eq!(r.len(), 50 - i - 1);
        }

        assert_eq!(s.len(), 0);
        assert_eq!(r.len(), 0);
    });
}

#[test]
fn receiver_count() {
    let (s, r) = unbounded::<()>();
    let receiver_clones: Vec<_> = (0..20).map(|_| r.clone()).collect();

    assert_eq!(s.receiver_count(), 21);
    assert_eq!(r.receiver_count(), 21);

    drop(receiver_clones);

    assert_eq!(s.receiver_count(), 1);
    assert_eq!(r.receiver_count(), 1);
}

#[test]
fn sender_count() {
    let (s, r) = unbounded::<()>();
    let sender_clones: Vec<_> = (0..20).map(|_| s.clone()).collect();

    assert_eq!(s.sender_count(), 21);
    assert_eq!(r.sender_count(), 21);

    drop(sender_clones);

    assert_eq!(s.receiver_count(), 1);
    assert_eq!(r.receiver_count(), 1);
}

#[test]
fn close_wakes_receiver() {
    run("close_wakes_receiver", || {
        let (s, r) = unbounded::<()>();
        let step = &Barrier::new(2);

        parallel(vec![
            Box::new(|| {
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
fn spsc() {
    run("spsc", || {
        const COUNT: usize = 100_000;

        let (s, r) = unbounded();

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

        let (s, r) = unbounded::<usize>();
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

        assert_eq!(r.try_recv(), Err(TryRecvError::Empty));

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

        let (s, r) = unbounded::<usize>();
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

        assert_eq!(r.try_recv(), Err(TryRecvError::Empty));

        for c in v {
            assert_eq!(c.load(Ordering::SeqCst), THREADS);
        }
    });
}
