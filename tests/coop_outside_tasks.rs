//! The cooperative budget throttles only what a sprout worker polls (coop I3).
//!
//! A plain thread, or a `spawn_blocking` closure, may drive sprout's channels, `Async` sockets,
//! `Event` and `Semaphore` with any `block_on` (futures-lite's here). Nothing there resets a
//! budget, so if one were charged the 129th operation would answer `Pending` forever and spin.
//! Each test below performs 100,000 operations of one kind and must finish under a deadline.

mod support;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use futures_lite::future::block_on;
use sprout::sync::{unbounded, Event, Semaphore};

use support::{runtime, within};

const OPERATIONS: usize = 100_000;
const LIMIT: Duration = Duration::from_secs(30);

/// Sends and receives `OPERATIONS` values through an unbounded channel with futures-lite's
/// `block_on`, on the current thread.
fn channel_round_trips() {
    let (tx, rx) = unbounded::<usize>();
    for i in 0..OPERATIONS {
        block_on(tx.send(i)).expect("the receiver is alive");
        assert_eq!(block_on(rx.recv()).expect("the sender is alive"), i);
    }
}

/// Sets and awaits an `Event`, and acquires a `Semaphore` permit, `OPERATIONS` times each.
fn event_and_semaphore_round_trips() {
    let event = Event::new();
    let semaphore = Semaphore::new(1);
    for _ in 0..OPERATIONS {
        event.set();
        block_on(event.wait());
        event.clear();
        drop(block_on(semaphore.acquire()));
    }
    assert_eq!(semaphore.available_permits(), 1);
}

/// Reads `OPERATIONS` single bytes from an `Async` socket with futures-lite's `block_on`, while a
/// helper thread writes them. Needs a running sprout runtime to drive the reactor when a read
/// waits.
fn async_reads(reader: sprout::Async<UnixStream>, mut writer: UnixStream) {
    let feeder = std::thread::spawn(move || {
        let bytes: Vec<u8> = (0..OPERATIONS).map(|i| i as u8).collect();
        writer.write_all(&bytes).expect("write to the socket pair");
    });
    let mut byte = [0u8; 1];
    for i in 0..OPERATIONS {
        let n = block_on(reader.read_with(|mut socket| socket.read(&mut byte)))
            .expect("read from the socket pair");
        assert_eq!(n, 1, "read {i} found the end of the stream");
        assert_eq!(byte[0], i as u8, "byte {i} out of order");
    }
    feeder.join().expect("the writer thread");
}

/// A non-blocking socket pair with its reading end registered with the current runtime.
fn async_pair() -> (sprout::Async<UnixStream>, UnixStream) {
    let (reader, writer) = UnixStream::pair().expect("a socket pair");
    reader.set_nonblocking(true).expect("non-blocking");
    (sprout::Async::new(reader).expect("register"), writer)
}

/// Runs `work` on a plain thread while a two-worker runtime runs, and waits for it from the
/// runtime's main future.
fn on_plain_thread(work: impl FnOnce() + Send + 'static) {
    runtime(2).block_on(async {
        let (done, finished) = sprout::sync::oneshot::<()>();
        let thread = std::thread::spawn(move || {
            work();
            let _ = done.send(());
        });
        finished.await.expect("the plain thread finished its work");
        thread.join().expect("the plain thread did not panic");
    });
}

/// Channel sends and receives from a plain thread all complete.
#[test]
fn channels_driven_from_a_plain_thread_are_never_throttled() {
    within(
        LIMIT,
        "100,000 channel round trips on a plain thread",
        || {
            channel_round_trips();
            // And once more while a runtime is running beside the thread.
            on_plain_thread(channel_round_trips);
        },
    );
}

/// The same from inside a `spawn_blocking` closure, which the pool runs inside a task poll.
#[test]
fn channels_driven_from_spawn_blocking_are_never_throttled() {
    within(
        LIMIT,
        "100,000 channel round trips in spawn_blocking",
        || {
            runtime(1).block_on(async {
                sprout::spawn_blocking(channel_round_trips)
                    .await
                    .expect("the blocking job completed");
            });
        },
    );
}

/// `Event` and `Semaphore` from a plain thread and from a `spawn_blocking` closure.
#[test]
fn event_and_semaphore_outside_tasks_are_never_throttled() {
    within(LIMIT, "100,000 Event and Semaphore operations", || {
        on_plain_thread(event_and_semaphore_round_trips);
        runtime(1).block_on(async {
            sprout::spawn_blocking(event_and_semaphore_round_trips)
                .await
                .expect("the blocking job completed");
        });
    });
}

/// `Async` reads from a plain thread and from a `spawn_blocking` closure.
#[test]
fn async_reads_outside_tasks_are_never_throttled() {
    within(LIMIT, "100,000 Async reads outside tasks", || {
        let rt = runtime(2);
        let (reader, writer) = rt.block_on(async { async_pair() });
        rt.block_on(async move {
            let (done, finished) = sprout::sync::oneshot::<()>();
            let thread = std::thread::spawn(move || {
                async_reads(reader, writer);
                let _ = done.send(());
            });
            finished.await.expect("the plain thread finished its reads");
            thread.join().expect("the plain thread did not panic");
        });
        rt.block_on(async {
            let (reader, writer) = async_pair();
            sprout::spawn_blocking(move || async_reads(reader, writer))
                .await
                .expect("the blocking job completed");
        });
    });
}
