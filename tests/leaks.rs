//! Nothing leaks: with a counting global allocator, creating and dropping 100,000 `Async`
//! sockets, 100,000 tasks and 100,000 timers brings the live heap back to where it started.
//!
//! One test in its own binary, since the allocator counts every thread of the process.

mod support;

use std::future::Future;
use std::os::unix::net::UnixStream;
use std::pin::pin;
use std::sync::atomic::Ordering;
use std::task::{Context, Waker};
use std::time::Duration;

use support::counting_alloc::{Counting, LIVE};
use support::within;

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `round` once to warm up (queues, slabs and thread-locals reach their working size),
/// then `times` more times, and returns how many bytes stayed allocated across those.
async fn growth(times: usize, mut round: impl AsyncFnMut()) -> isize {
    round().await;
    let before = LIVE.load(Ordering::SeqCst);
    for _ in 0..times {
        round().await;
    }
    LIVE.load(Ordering::SeqCst) - before
}

/// Less than this may stay allocated after 100,000 rounds (a vector that grew once, a
/// thread-local initialised late): a leak of even one byte per round would be 100 KB.
const TOLERANCE: isize = 16 * 1024;

#[test]
fn sockets_tasks_and_timers_leave_nothing_behind() {
    within(Duration::from_secs(300), "leak check", || {
        // No watchdog thread: it would allocate on its own schedule.
        let rt = sprout::Runtime::builder()
            .workers(1)
            .watchdog(Duration::ZERO)
            .build()
            .expect("a runtime");
        let (sockets, tasks, timers) = rt.block_on(async {
            let sockets = growth(100_000, async || {
                let (a, _b) = UnixStream::pair().expect("a socket pair");
                a.set_nonblocking(true).expect("non-blocking");
                let registered = sprout::Async::new(a).expect("register");
                drop(registered);
            })
            .await;
            let tasks = growth(100_000, async || {
                let handle = sprout::spawn(async { 7u64 });
                assert_eq!(handle.await.expect("the task"), 7);
            })
            .await;
            let timers = growth(100_000, async || {
                // Registered (polled once, Pending), then dropped: the entry must go too.
                let mut nap = pin!(sprout::sleep(Duration::from_secs(3600)));
                let mut cx = Context::from_waker(Waker::noop());
                assert!(nap.as_mut().poll(&mut cx).is_pending());
            })
            .await;
            (sockets, tasks, timers)
        });
        drop(rt);
        assert!(
            sockets < TOLERANCE,
            "100,000 Async sockets left {sockets} bytes"
        );
        assert!(tasks < TOLERANCE, "100,000 tasks left {tasks} bytes");
        assert!(timers < TOLERANCE, "100,000 timers left {timers} bytes");
    });
}
