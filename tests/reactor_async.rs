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

/// The wakers parked on `fd`, readers and writers, as the dump sees them.
fn parked_on(fd: std::os::fd::RawFd) -> (usize, usize) {
    let dump = sprout::dump();
    let source = dump.sources.iter().find(|source| source.fd == fd);
    let source = source.expect("the fd is registered");
    (source.waiting_readers, source.waiting_writers)
}

/// Runs `tasks` short-lived tasks that each start `wait` on an fd that sees no event and abandon
/// it for `yield_now`, the way a `select` or a `timeout` abandons its loser.
async fn abandon_waits<F>(tasks: usize, wait: impl Fn() -> F)
where
    F: std::future::Future + Send + 'static,
{
    for _ in 0..tasks {
        let wait = wait();
        sprout::spawn(async move {
            futures_lite::future::or(
                async {
                    wait.await;
                },
                sprout::yield_now(),
            )
            .await;
        })
        .await
        .unwrap();
    }
}

/// A wait that is abandoned takes its waker back out of the reactor (reactor I6): 2,000 tasks
/// abandon a read, a `read_chunk`, a UDP `recv`, an `accept`, a `readable()` and a write on
/// fds that see no event, and no waker stays parked. They used to stay until the fd's next
/// event, each task's whole allocation with them, and every park scanned all of them.
#[test]
fn abandoned_waits_leave_no_waker_on_an_idle_fd() {
    use std::os::fd::AsRawFd;
    within(Duration::from_secs(60), "abandoned waits", || {
        runtime(2).block_on(async {
            const TASKS: usize = 2_000;
            let (a, _b) = sprout::net::UnixStream::pair().unwrap();
            let a = std::sync::Arc::new(a);
            let fd = a.as_raw_fd();
            let reader = a.clone();
            abandon_waits(TASKS, || {
                let reader = reader.clone();
                async move { reader.read(&mut [0u8; 16]).await }
            })
            .await;
            abandon_waits(TASKS, || {
                let reader = reader.clone();
                async move { reader.read_chunk(16).await.map(|chunk| chunk.len()) }
            })
            .await;
            assert_eq!(
                parked_on(fd),
                (0, 0),
                "read and read_chunk left wakers parked"
            );

            let udp =
                std::sync::Arc::new(sprout::net::UdpSocket::bind("127.0.0.1:0").await.unwrap());
            abandon_waits(TASKS, || {
                let udp = udp.clone();
                async move { udp.recv(&mut [0u8; 16]).await }
            })
            .await;
            assert_eq!(
                parked_on(udp.as_raw_fd()),
                (0, 0),
                "UDP recv left wakers parked"
            );

            let listener =
                std::sync::Arc::new(sprout::net::TcpListener::bind("127.0.0.1:0").await.unwrap());
            abandon_waits(TASKS, || {
                let listener = listener.clone();
                async move { listener.accept().await.map(|(_, peer)| peer) }
            })
            .await;
            assert_eq!(
                parked_on(listener.as_raw_fd()),
                (0, 0),
                "accept left wakers parked"
            );

            let (x, _y) = pair();
            let x = std::sync::Arc::new(x);
            abandon_waits(TASKS, || {
                let x = x.clone();
                async move { x.readable().await }
            })
            .await;
            assert_eq!(
                parked_on(x.as_raw_fd()),
                (0, 0),
                "readable() left wakers parked"
            );

            // A full socket: writes wait for room that never comes while nobody reads.
            let chunk = vec![0u8; 64 * 1024];
            while futures_lite::future::poll_once(a.write(&chunk))
                .await
                .is_some()
            {}
            abandon_waits(TASKS, || {
                let writer = a.clone();
                async move { writer.write_all(b"more").await }
            })
            .await;
            assert_eq!(parked_on(fd), (0, 0), "write_all left wakers parked");
        });
    });
}
