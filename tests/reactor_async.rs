//! `Async<T>` on the reactor: readiness wakes the right task, reads and writes retry on
//! `WouldBlock`, and dropping deregisters the fd.

mod support;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use sprout::Async;
use support::{runtime, within};

/// A non-blocking socket pair wrapped in `Async`.
fn pair() -> (Async<UnixStream>, Async<UnixStream>) {
    let (a, b) = UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    b.set_nonblocking(true).unwrap();
    (Async::new(a).unwrap(), Async::new(b).unwrap())
}

/// A reader parked on an empty socket is woken by the reactor when a writer task sends, across
/// workers; 4 MiB through a socket buffer far smaller exercises both directions' waits.
#[test]
fn reader_and_writer_tasks_wake_each_other() {
    for workers in [1, 2] {
        within(Duration::from_secs(30), "reader/writer", move || {
            runtime(workers).block_on(async {
                let (left, right) = pair();
                const TOTAL: usize = 4 << 20;
                let writer = sprout::spawn(async move {
                    let chunk: Vec<u8> = (0..65_536u32).map(|i| (i % 251) as u8).collect();
                    let mut sent = 0;
                    while sent < TOTAL {
                        let n = left
                            .write_with(|mut s| {
                                // Continue the pattern where the last (partial) write stopped.
                                let start = sent % chunk.len();
                                let end = chunk.len().min(start + TOTAL - sent);
                                s.write(&chunk[start..end])
                            })
                            .await
                            .unwrap();
                        sent += n;
                    }
                });
                let mut received = 0usize;
                let mut checksum = 0u64;
                let mut buffer = vec![0u8; 32_768];
                while received < TOTAL {
                    let n = right.read_with(|mut s| s.read(&mut buffer)).await.unwrap();
                    assert!(n > 0, "unexpected EOF after {received} bytes");
                    for (offset, byte) in buffer[..n].iter().enumerate() {
                        let expected = ((received + offset) % 65_536 % 251) as u8;
                        assert_eq!(*byte, expected, "byte {}", received + offset);
                        checksum += *byte as u64;
                    }
                    received += n;
                }
                writer.await.unwrap();
                assert!(checksum > 0);
            });
        });
    }
}

/// `readable()` waits for real data (not a stale cached readiness), then resolves.
#[test]
fn readable_waits_for_data() {
    within(Duration::from_secs(10), "readable", || {
        runtime(1).block_on(async {
            let (left, right) = pair();
            let waiting = sprout::spawn(async move {
                right.readable().await.unwrap();
                let mut byte = [0u8; 1];
                right.read_with(|mut s| s.read(&mut byte)).await.unwrap();
                byte[0]
            });
            sprout::sleep(Duration::from_millis(20)).await;
            assert!(!waiting.is_finished(), "nothing was written yet");
            left.write_with(|mut s| s.write(b"z")).await.unwrap();
            assert_eq!(waiting.await.unwrap(), b'z');
            left.writable().await.unwrap();
        });
    });
}

/// Dropping an `Async` deregisters it; `into_inner` gives the object back unregistered.
#[test]
fn drop_and_into_inner_deregister() {
    within(Duration::from_secs(10), "deregister", || {
        runtime(1).block_on(async {
            let before = sprout::stats().registered_sources;
            let (left, right) = pair();
            assert_eq!(sprout::stats().registered_sources, before + 2);
            drop(left);
            let inner = right.into_inner().unwrap();
            assert_eq!(sprout::stats().registered_sources, before);
            let mut buffer = [0u8; 1];
            // The peer is closed: a plain read now sees EOF.
            assert_eq!((&inner).read(&mut buffer).unwrap(), 0);
        });
    });
}
