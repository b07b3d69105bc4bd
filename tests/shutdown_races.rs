//! Shutdown and fault races (after tokio's `rt_common`): what happens at the edges of a
//! runtime's life and a connection's. None may panic, hang or lose a destructor.

mod support;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream as StdUnixStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::time::Duration;

use sprout::sync::Event;
use support::{runtime, within};

/// Counts drops of the futures that hold it.
struct Dropped(Arc<AtomicUsize>);

impl Drop for Dropped {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Sets an `Event` when dropped: a destructor that wakes another task. (Its `Dropped` counts
/// the drop itself.)
struct WakesOnDrop(Arc<Event>, #[allow(dead_code)] Dropped);

impl Drop for WakesOnDrop {
    fn drop(&mut self) {
        self.0.set();
    }
}

/// A task whose destructor wakes another task, while the runtime drops both: no panic, no
/// hang, both futures dropped exactly once. 50 rounds on 2 workers.
#[test]
fn a_destructor_that_wakes_another_task_during_shutdown() {
    within(Duration::from_secs(60), "wake during shutdown", || {
        for _ in 0..50 {
            let dropped = Arc::new(AtomicUsize::new(0));
            let rt = runtime(2);
            rt.block_on(async {
                let event = Arc::new(Event::new());
                let waiter = {
                    let (event, guard) = (event.clone(), Dropped(dropped.clone()));
                    sprout::spawn(async move {
                        let _guard = guard;
                        event.wait().await;
                        std::future::pending::<()>().await;
                    })
                };
                let waker = WakesOnDrop(event, Dropped(dropped.clone()));
                sprout::spawn(async move {
                    let _waker = waker;
                    std::future::pending::<()>().await;
                })
                .detach();
                waiter.detach();
                sprout::yield_now().await;
            });
            drop(rt);
            assert_eq!(
                dropped.load(Ordering::SeqCst),
                2,
                "each future dropped once"
            );
        }
    });
}

/// Readiness keeps arriving (a thread writes) while the runtime shuts down with a task
/// reading: no panic, no hang. 50 rounds on 2 workers.
#[test]
fn readiness_arriving_during_shutdown() {
    within(Duration::from_secs(60), "readiness during shutdown", || {
        for _ in 0..50 {
            let (ours, mut theirs) = StdUnixStream::pair().unwrap();
            let rt = runtime(2);
            rt.block_on(async {
                let stream = sprout::net::UnixStream::from_std(ours).unwrap();
                sprout::spawn(async move {
                    let mut buf = [0u8; 64];
                    while stream.read(&mut buf).await.is_ok_and(|n| n > 0) {}
                })
                .detach();
                sprout::yield_now().await;
            });
            let writer = std::thread::spawn(move || {
                for _ in 0..200 {
                    if theirs.write_all(b"data").is_err() {
                        break; // the reader's socket is gone: shutdown dropped it
                    }
                }
            });
            drop(rt);
            writer.join().expect("the writer thread");
        }
    });
}

/// A plain thread waiting on an `Async` read when the runtime goes away is woken and gets an
/// error, instead of waiting forever for a reactor nobody drives (reactor I5).
#[test]
fn pending_io_outside_the_runtime_fails_when_the_runtime_goes_away() {
    within(Duration::from_secs(30), "pending I/O at shutdown", || {
        let rt = runtime(2);
        let (ours, _theirs) = StdUnixStream::pair().unwrap();
        ours.set_nonblocking(true).unwrap();
        let reader = rt.block_on(async { sprout::Async::new(ours).unwrap() });
        let (parked, is_parked) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let mut first = true;
            futures_lite::future::block_on(std::future::poll_fn(|cx| {
                let mut buf = [0u8; 8];
                let polled = reader.poll_read_with(cx, |mut s| s.read(&mut buf));
                if first && polled.is_pending() {
                    first = false;
                    parked.send(()).unwrap();
                }
                polled
            }))
        });
        is_parked
            .recv_timeout(Duration::from_secs(10))
            .expect("the thread parked its read");
        drop(rt);
        let outcome = thread.join().expect("the reading thread");
        let error = outcome.expect_err("no data ever came: the read must fail, not succeed");
        assert!(error.to_string().contains("shut down"), "{error}");
    });
}

/// A task's waker kept by a foreign thread and used after the runtime was dropped: nothing
/// happens (the task is gone), and nothing panics.
#[test]
fn a_waker_used_after_its_runtime_is_dropped() {
    within(Duration::from_secs(10), "late waker", || {
        let kept: Arc<Mutex<Option<Waker>>> = Arc::new(Mutex::new(None));
        let rt = runtime(2);
        let dropped = Arc::new(AtomicUsize::new(0));
        rt.block_on(async {
            let (slot, guard) = (kept.clone(), Dropped(dropped.clone()));
            sprout::spawn(async move {
                let _guard = guard;
                std::future::poll_fn(|cx| {
                    *slot.lock().unwrap() = Some(cx.waker().clone());
                    Poll::<()>::Pending
                })
                .await;
            })
            .detach();
            while kept.lock().unwrap().is_none() {
                sprout::yield_now().await;
            }
        });
        drop(rt);
        assert_eq!(dropped.load(Ordering::SeqCst), 1);
        let waker = kept.lock().unwrap().take().expect("the task's waker");
        waker.wake_by_ref();
        waker.wake();
    });
}

/// The peer resets the connection in the middle of a 64 MiB write: the writer gets an error
/// (reset or broken pipe), promptly, on 1 and 2 workers.
#[test]
fn a_peer_reset_in_the_middle_of_a_large_write() {
    for workers in [1, 2] {
        within(Duration::from_secs(30), "reset mid-write", move || {
            runtime(workers).block_on(async {
                let listener = sprout::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                let addr = listener.local_addr().unwrap();
                let peer = std::thread::spawn(move || {
                    let mut stream = std::net::TcpStream::connect(addr).unwrap();
                    let mut some = [0u8; 64 * 1024];
                    stream.read_exact(&mut some).unwrap();
                    socket2::SockRef::from(&stream)
                        .set_linger(Some(Duration::ZERO))
                        .unwrap();
                    drop(stream); // RST: unread data and a zero linger
                });
                let (stream, _) = listener.accept().await.unwrap();
                let big = vec![9u8; 64 << 20];
                let outcome = stream.write_all(&big).await;
                peer.join().unwrap();
                let error = outcome.expect_err("64 MiB cannot all be written to a reset peer");
                assert!(
                    matches!(
                        error.kind(),
                        std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe
                    ),
                    "{workers} worker(s): {error}"
                );
            });
        });
    }
}

thread_local! {
    /// `true` while a [`WakesOtherOnDrop`] destructor runs on this thread.
    static IN_A_DESTRUCTOR: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Wakes the other task (sets its event) from its destructor, and records whether it was
/// itself dropped inside the other's destructor: inside the wake-up that destructor made.
struct WakesOtherOnDrop {
    other: Arc<Event>,
    nested: Arc<AtomicUsize>,
}

impl Drop for WakesOtherOnDrop {
    fn drop(&mut self) {
        if IN_A_DESTRUCTOR.with(|flag| flag.get()) {
            self.nested.fetch_add(1, Ordering::SeqCst);
            return;
        }
        IN_A_DESTRUCTOR.with(|flag| flag.set(true));
        self.other.set();
        IN_A_DESTRUCTOR.with(|flag| flag.set(false));
    }
}

/// A wake-up made after shutdown began never drops the woken task's future inside the waker's
/// call (scheduler I1). The waker's caller may hold a lock — a server's list of connections, a
/// channel's state — that the woken future's destructors take, and then the thread deadlocks on
/// itself. Two tasks here wake each other from their destructors; whichever the shutdown drops
/// first wakes the other, which must be dropped later, by the drain, not nested inside.
#[test]
fn a_wake_during_shutdown_never_drops_the_woken_future_inside_the_waker() {
    within(Duration::from_secs(30), "wake inside a destructor", || {
        for workers in [1, 2] {
            let nested = Arc::new(AtomicUsize::new(0));
            let rt = runtime(workers);
            rt.block_on(async {
                let (event_a, event_b) = (Arc::new(Event::new()), Arc::new(Event::new()));
                for (mine, other) in [(&event_a, &event_b), (&event_b, &event_a)] {
                    let guard = WakesOtherOnDrop {
                        other: other.clone(),
                        nested: nested.clone(),
                    };
                    let mine = mine.clone();
                    sprout::spawn(async move {
                        let _guard = guard;
                        mine.wait().await;
                        std::future::pending::<()>().await;
                    })
                    .detach();
                }
                sprout::yield_now().await; // Both are parked on their events now.
            });
            drop(rt);
            assert_eq!(
                nested.load(Ordering::SeqCst),
                0,
                "with {workers} worker(s), a future was dropped inside the wake-up of another \
                 task's destructor (scheduler I1)"
            );
        }
    });
}

/// The last `Arc<Runtime>` dropped by one of its own tasks, or by one of its `spawn_blocking`
/// closures, returns at once and still shuts the runtime down (runtime I3): every other task's
/// future is dropped. It used to wait for its own thread until the shutdown timeout and then
/// report that thread as stuck.
#[test]
fn the_last_runtime_dropped_on_its_own_thread_shuts_down_without_stalling() {
    within(Duration::from_secs(60), "drop on an own thread", || {
        for on_pool in [false, true] {
            let rt = Arc::new(
                sprout::Runtime::builder()
                    .workers(2)
                    .shutdown_timeout(Duration::from_secs(20))
                    .build()
                    .unwrap(),
            );
            let other_dropped = Arc::new(AtomicUsize::new(0));
            let guard = Dropped(other_dropped.clone());
            rt.spawn(async move {
                let _guard = guard;
                std::future::pending::<()>().await;
            })
            .detach();
            let go = Arc::new(Event::new());
            let (took, drop_took) = std::sync::mpsc::channel();
            let (holder, waiting) = (rt.clone(), go.clone());
            rt.spawn(async move {
                waiting.wait().await;
                let drop_last = move || {
                    let started = std::time::Instant::now();
                    drop(holder);
                    let _ = took.send(started.elapsed());
                };
                if on_pool {
                    sprout::spawn_blocking(drop_last).detach();
                } else {
                    drop_last();
                }
            })
            .detach();
            drop(rt); // The task's clone is the last one now.
            go.set();
            let took = drop_took
                .recv_timeout(Duration::from_secs(15))
                .expect("the last Runtime was never dropped");
            assert!(
                took < Duration::from_secs(5),
                "on_pool = {on_pool}: dropping the last Runtime on its own thread took {took:?} \
                 (its shutdown timeout is 20 s)"
            );
            let deadline = std::time::Instant::now() + Duration::from_secs(15);
            while other_dropped.load(Ordering::SeqCst) == 0 {
                assert!(
                    std::time::Instant::now() < deadline,
                    "on_pool = {on_pool}: the runtime was never shut down"
                );
                std::thread::yield_now();
            }
        }
    });
}
