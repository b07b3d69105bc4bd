//! The socket types beyond the echo server: ecosystem traits on `&TcpStream`, UDP, Unix
//! streams and datagrams, std conversions, and name resolution.

mod support;

use std::time::Duration;

use futures_lite::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use sprout::net::{TcpListener, TcpStream, UdpSocket, UnixDatagram, UnixListener, UnixStream};
use support::{runtime, within};

/// A reader task and a writer task share one connection through `&TcpStream` and the
/// futures-io traits; `BufReader` gives `AsyncBufRead` (line by line).
#[test]
fn futures_io_traits_on_shared_tcp_stream() {
    within(Duration::from_secs(20), "futures-io traits", || {
        runtime(2).block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let server = sprout::spawn(async move {
                let (stream, _) = listener.accept().await.unwrap();
                let mut lines = BufReader::new(&stream).lines();
                let mut seen = Vec::new();
                while let Some(line) = futures_lite::StreamExt::next(&mut lines).await {
                    seen.push(line.unwrap());
                }
                seen
            });
            let client = TcpStream::connect(addr).await.unwrap();
            let writer = client.clone();
            let writing = sprout::spawn(async move {
                let mut sink = &writer;
                for i in 0..100 {
                    sink.write_all(format!("line {i}\n").as_bytes())
                        .await
                        .unwrap();
                }
                sink.close().await.unwrap(); // AsyncWrite::close = half-close
            });
            writing.await.unwrap();
            let seen = server.await.unwrap();
            assert_eq!(seen.len(), 100);
            assert_eq!(seen[99], "line 99");
            let mut rest = Vec::new();
            client.read_to_end(&mut rest).await.unwrap();
            assert!(rest.is_empty(), "the server closed without writing");
        });
    });
}

/// `TcpStream::connect` resolves "localhost" on the blocking pool, and reports refused
/// connections as errors (no hang).
#[test]
fn connect_resolves_names_and_reports_refusals() {
    within(Duration::from_secs(20), "connect", || {
        runtime(1).block_on(async {
            let listener = TcpListener::bind("localhost:0").await.unwrap();
            let port = listener.local_addr().unwrap().port();
            let stream = TcpStream::connect(("localhost", port)).await.unwrap();
            assert_eq!(stream.peer_addr().unwrap().port(), port);
            stream.set_nodelay(true).unwrap();
            assert!(stream.nodelay().unwrap());
            let std_stream = stream.into_std().unwrap();
            assert_eq!(std_stream.peer_addr().unwrap().port(), port);
            drop(listener); // Resets the never-accepted connection too.
            let refused = TcpStream::connect(("127.0.0.1", port)).await;
            assert!(refused.is_err(), "nothing listens there any more");
            assert!(TcpStream::connect("no-such-host.invalid:80").await.is_err());
        });
    });
}

/// UDP: send_to/recv_from between two sockets, and connect/send/recv.
#[test]
fn udp_round_trips() {
    within(Duration::from_secs(20), "udp", || {
        runtime(1).block_on(async {
            let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let receiver = sprout::spawn({
                let b = b.clone();
                async move {
                    let mut buf = [0u8; 32];
                    let (n, from) = b.recv_from(&mut buf).await.unwrap();
                    (buf[..n].to_vec(), from)
                }
            });
            sprout::sleep(Duration::from_millis(5)).await; // The receiver parks first.
            a.send_to(b"datagram", b.local_addr().unwrap())
                .await
                .unwrap();
            let (data, from) = receiver.await.unwrap();
            assert_eq!(
                (data.as_slice(), from),
                (&b"datagram"[..], a.local_addr().unwrap())
            );
            a.connect(b.local_addr().unwrap()).await.unwrap();
            b.connect(a.local_addr().unwrap()).await.unwrap();
            a.send(b"again").await.unwrap();
            let mut buf = [0u8; 8];
            let n = b.recv(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"again");
        });
    });
}

/// Unix streams through a listener at a path, a stream pair, and datagram sockets.
#[test]
fn unix_sockets() {
    within(Duration::from_secs(20), "unix", || {
        runtime(1).block_on(async {
            let dir = std::env::temp_dir().join(format!("sprout-test-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let path = dir.join("stream.sock");
            let _ = std::fs::remove_file(&path);
            let listener = UnixListener::bind(&path).unwrap();
            let client = sprout::spawn({
                let path = path.clone();
                async move {
                    let stream = UnixStream::connect(path).await.unwrap();
                    stream.write_all(b"over a path").await.unwrap();
                }
            });
            let (stream, _) = listener.accept().await.unwrap();
            client.await.unwrap();
            let mut text = Vec::new();
            stream.read_to_end(&mut text).await.unwrap();
            assert_eq!(text, b"over a path");

            let (left, right) = UnixStream::pair().unwrap();
            left.write_all(b"pair").await.unwrap();
            let mut buf = [0u8; 4];
            right.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"pair");

            let (a, b) = UnixDatagram::pair().unwrap();
            a.send(b"dgram").await.unwrap();
            let mut buf = [0u8; 8];
            let n = b.recv(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"dgram");
            let named = dir.join("dgram.sock");
            let _ = std::fs::remove_file(&named);
            let receiver = UnixDatagram::bind(&named).unwrap();
            UnixDatagram::unbound()
                .unwrap()
                .send_to(b"to path", &named)
                .await
                .unwrap();
            let (n, _) = receiver.recv_from(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"to path");
            std::fs::remove_dir_all(&dir).unwrap();
        });
    });
}

/// `connect_timeout` gives up with `TimedOut` when the handshake cannot complete: a listener
/// whose accept queue is full drops new SYNs, so the connect would otherwise retry for minutes.
/// The listener is never accepted from; the queue is filled first.
#[test]
fn connect_timeout_gives_up_with_timed_out() {
    within(Duration::from_secs(30), "connect_timeout", || {
        runtime(1).block_on(async {
            let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)
                .expect("a socket");
            socket
                .bind(
                    &"127.0.0.1:0"
                        .parse::<std::net::SocketAddr>()
                        .unwrap()
                        .into(),
                )
                .expect("bind");
            socket.listen(0).expect("listen with the smallest backlog");
            let addr = socket.local_addr().unwrap().as_socket().unwrap();
            // Fill the accept queue (its real size depends on the kernel): keep connecting with
            // a short limit until one attempt times out, then check that a fresh one does too.
            let mut held = Vec::new();
            let mut timed_out = false;
            for _ in 0..64 {
                match TcpStream::connect_timeout(addr, Duration::from_millis(300)).await {
                    Ok(stream) => held.push(stream),
                    Err(error) => {
                        assert_eq!(error.kind(), std::io::ErrorKind::TimedOut, "{error}");
                        timed_out = true;
                        break;
                    }
                }
            }
            assert!(
                timed_out,
                "{} connections fit in a backlog of 0",
                held.len()
            );
            let started = std::time::Instant::now();
            let error = TcpStream::connect_timeout(addr, Duration::from_millis(300))
                .await
                .expect_err("the queue is still full");
            assert_eq!(error.kind(), std::io::ErrorKind::TimedOut);
            assert!(started.elapsed() >= Duration::from_millis(300));
            drop(socket);
        });
    });
}

/// Abstract Unix socket names (Linux): bind and connect by `SocketAddr`, no file involved.
#[test]
fn abstract_unix_names() {
    use std::os::linux::net::SocketAddrExt;
    within(Duration::from_secs(20), "abstract names", || {
        runtime(1).block_on(async {
            let name = format!("sprout-test-abstract-{}", std::process::id());
            let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())
                .expect("an abstract address");
            let listener = UnixListener::bind_addr(&addr).expect("bind the abstract name");
            let client = UnixStream::connect_addr(&addr).await.expect("connect");
            let (server, _) = listener.accept().await.expect("accept");
            client.write_all(b"abstract").await.unwrap();
            let mut buf = [0u8; 8];
            server.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"abstract");
            let datagram_name = format!("sprout-test-abstract-dgram-{}", std::process::id());
            let datagram_addr =
                std::os::unix::net::SocketAddr::from_abstract_name(datagram_name.as_bytes())
                    .unwrap();
            let receiver = UnixDatagram::bind_addr(&datagram_addr).expect("bind a datagram");
            let local = receiver.local_addr().unwrap();
            assert_eq!(local.as_abstract_name(), Some(datagram_name.as_bytes()));
        });
    });
}

/// Fills `path`'s listen backlog with non-blocking connects that nobody accepts; returns them.
fn fill_unix_backlog(path: &std::path::Path) -> Vec<socket2::Socket> {
    use socket2::{Domain, SockAddr, Socket, Type};
    let addr = SockAddr::unix(path).unwrap();
    let mut queued = Vec::new();
    for _ in 0..10_000 {
        let socket = Socket::new(Domain::UNIX, Type::STREAM, None).unwrap();
        socket.set_nonblocking(true).unwrap();
        match socket.connect(&addr) {
            Ok(()) => queued.push(socket),
            Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => return queued,
            Err(error) => panic!("filling the backlog: {error}"),
        }
    }
    panic!("the backlog never filled after 10,000 connects");
}

/// A `UnixStream::connect` against a full backlog that is cancelled leaves nothing behind: it
/// used to run a blocking `connect` on the pool, and eight cancelled ones held all eight pool
/// threads until the listener accepted, hanging every later `spawn_blocking`. A connect that
/// waits completes once the backlog has room.
#[test]
fn a_cancelled_unix_connect_holds_no_pool_thread() {
    within(
        Duration::from_secs(30),
        "unix connect against a full backlog",
        || {
            let dir = std::env::temp_dir().join(format!("sprout-backlog-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let path = dir.join("full.sock");
            let rt = sprout::Runtime::builder()
                .workers(1)
                .max_blocking_threads(8)
                .build()
                .unwrap();
            rt.block_on(async {
                let listener = UnixListener::bind(&path).unwrap();
                let queued = fill_unix_backlog(&path);
                for _ in 0..8 {
                    let attempt =
                        sprout::timeout(Duration::from_millis(20), UnixStream::connect(&path))
                            .await;
                    assert!(
                        attempt.is_err(),
                        "a connect to a full backlog completed: {attempt:?}"
                    );
                }
                assert_eq!(
                    sprout::stats().blocking_busy,
                    0,
                    "cancelled connects hold pool threads"
                );
                let job =
                    sprout::timeout(Duration::from_secs(5), sprout::spawn_blocking(|| 42)).await;
                assert!(matches!(job, Ok(Ok(42))), "the pool is blocked: {job:?}");
                // A connect that waits gets through once an accept makes room.
                let waiting = sprout::spawn({
                    let path = path.clone();
                    async move { UnixStream::connect(&path).await }
                });
                sprout::yield_now().await;
                let _first = listener.accept().await.unwrap();
                let connected = sprout::timeout(Duration::from_secs(5), waiting).await;
                assert!(matches!(connected, Ok(Ok(Ok(_)))), "{connected:?}");
                drop(queued);
            });
            std::fs::remove_dir_all(&dir).unwrap();
        },
    );
}
