//! async-io's `tests/async.rs` (async-io 2.6.0), ported onto sprout's `net` types: the peer's
//! test suite as our regression net.
//!
//! Each test keeps the assertions of the original; only names and the documented differences
//! below are adapted. Names: async-io's `Async::<TcpListener>::bind` is
//! `sprout::net::TcpListener::bind(..).await` (likewise `TcpStream`, `UdpSocket`, `Unix*`), and
//! `get_ref().local_addr()` is `local_addr()`.
//!
//! Deliberate differences:
//! - Runtime: async-io's reactor runs without an executor, so its tests drive futures with
//!   `future::block_on` and its `spawn` helper starts a thread per future. sprout's sockets and
//!   timers belong to a runtime, so every test body runs in `Runtime::block_on` (2 workers) and
//!   the helper spawns a sprout task. Every test also runs under a deadline (`within`).
//! - Timers: `Timer::after` is `sprout::sleep`; the hang-up tests wait 100 ms instead of 1 s
//!   before dropping the peer (the meaning — "the other side closes while we are blocked" —
//!   is the same, and `cargo test` stays fast).
//! - Temporary directories: a folder under `std::env::temp_dir()` instead of the `tempfile`
//!   crate (one dependency fewer).
//! - `UnixDatagram::unbound` and `UdpSocket::peek` exist in sprout as in async-io (`peek` was
//!   added when this port found it missing).
//! - `duplicate_socket_insert` registers the listener's fd a second time through
//!   `sprout::Async::new(&listener)`, exactly as the original does with async-io's `Async::new`.
//! - `abstract_socket`: sprout's `UnixStream::connect` takes a path, and a path cannot name an
//!   abstract socket (std refuses the leading NUL). The port connects with std's
//!   `connect_addr` and wraps the stream with `UnixStream::from_std`; the listener side is
//!   `UnixListener::from_std`, as in the original (`Async::new`). A sprout API for abstract names
//!   is not there yet.

mod support;

use std::io;
use std::net::Shutdown;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures_lite::{future, StreamExt};
use sprout::net::{TcpListener, TcpStream, UdpSocket, UnixDatagram, UnixListener, UnixStream};
use sprout::JoinHandle;
use support::{runtime, within};

const LOREM_IPSUM: &[u8] = b"
Lorem ipsum dolor sit amet, consectetur adipiscing elit.
Donec pretium ante erat, vitae sodales mi varius quis.
Etiam vestibulum lorem vel urna tempor, eu fermentum odio aliquam.
Aliquam consequat urna vitae ipsum pulvinar, in blandit purus eleifend.
";

/// The hang-up tests' delay before the peer is dropped (async-io: 1 s).
const HANGUP_DELAY: Duration = Duration::from_millis(100);

/// Runs `body` on a two-worker runtime under a 30 s deadline.
fn run<F>(name: &str, body: impl FnOnce() -> F + Send + 'static) -> io::Result<()>
where
    F: std::future::Future<Output = io::Result<()>>,
{
    within(Duration::from_secs(30), name, move || {
        runtime(2).block_on(body())
    })
}

/// async-io's `spawn` helper: here a sprout task whose output the caller awaits.
fn spawn<T: Send + 'static>(
    f: impl std::future::Future<Output = T> + Send + 'static,
) -> impl std::future::Future<Output = T> + Send + 'static {
    let handle: JoinHandle<T> = sprout::spawn(f);
    async move { handle.await.expect("the spawned task") }
}

/// A fresh directory for Unix socket paths (async-io: `tempfile::tempdir()`).
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> io::Result<TempDir> {
        let path = std::env::temp_dir().join(format!("sprout-peer-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path)?;
        Ok(TempDir(path))
    }

    fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn tcp_connect() -> io::Result<()> {
    run("tcp_connect", || async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let task = spawn(async move { listener.accept().await });

        let stream2 = TcpStream::connect(addr).await?;
        let stream1 = task.await?.0;

        assert_eq!(stream1.peer_addr()?, stream2.local_addr()?);
        assert_eq!(stream2.peer_addr()?, stream1.local_addr()?);

        // Now that the listener is closed, connect should fail.
        let err = TcpStream::connect(addr).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);

        Ok(())
    })
}

#[test]
fn tcp_peek_read() -> io::Result<()> {
    run("tcp_peek_read", || async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;

        let stream = TcpStream::connect(addr).await?;
        stream.write_all(LOREM_IPSUM).await?;

        let mut buf = [0; 1024];
        let mut incoming = Box::pin(listener.incoming());
        let stream = incoming.next().await.unwrap()?;

        let n = stream.peek(&mut buf).await?;
        assert_eq!(&buf[..n], LOREM_IPSUM);
        let n = stream.read(&mut buf).await?;
        assert_eq!(&buf[..n], LOREM_IPSUM);

        Ok(())
    })
}

#[test]
fn tcp_reader_hangup() -> io::Result<()> {
    run("tcp_reader_hangup", || async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let task = spawn(async move { listener.accept().await });

        let stream2 = TcpStream::connect(addr).await?;
        let stream1 = task.await?.0;

        let task = spawn(async move {
            sprout::sleep(HANGUP_DELAY).await;
            drop(stream1);
        });

        while stream2.write_all(LOREM_IPSUM).await.is_ok() {}
        task.await;

        Ok(())
    })
}

#[test]
fn tcp_writer_hangup() -> io::Result<()> {
    run("tcp_writer_hangup", || async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let task = spawn(async move { listener.accept().await });

        let stream2 = TcpStream::connect(addr).await?;
        let stream1 = task.await?.0;

        let task = spawn(async move {
            sprout::sleep(HANGUP_DELAY).await;
            drop(stream1);
        });

        let mut v = vec![];
        stream2.read_to_end(&mut v).await?;
        assert!(v.is_empty());

        task.await;
        Ok(())
    })
}

#[test]
fn udp_send_recv() -> io::Result<()> {
    run("udp_send_recv", || async {
        let socket1 = UdpSocket::bind("127.0.0.1:0").await?;
        let socket2 = UdpSocket::bind("127.0.0.1:0").await?;
        socket1.connect(socket2.local_addr()?).await?;

        let mut buf = [0u8; 1024];

        socket1.send(LOREM_IPSUM).await?;
        let n = socket2.peek(&mut buf).await?;
        assert_eq!(&buf[..n], LOREM_IPSUM);
        let n = socket2.recv(&mut buf).await?;
        assert_eq!(&buf[..n], LOREM_IPSUM);

        socket2.send_to(LOREM_IPSUM, socket1.local_addr()?).await?;
        let n = socket1.peek_from(&mut buf).await?.0;
        assert_eq!(&buf[..n], LOREM_IPSUM);
        let n = socket1.recv_from(&mut buf).await?.0;
        assert_eq!(&buf[..n], LOREM_IPSUM);

        Ok(())
    })
}

#[test]
fn udp_connect() -> io::Result<()> {
    run("udp_connect", || async {
        let dir = TempDir::new("udp_connect")?;
        let path = dir.path().join("socket");

        let listener = UnixListener::bind(&path)?;

        let stream = UnixStream::connect(&path).await?;
        stream.write_all(LOREM_IPSUM).await?;

        let mut buf = [0; 1024];
        let mut incoming = Box::pin(listener.incoming());
        let stream = incoming.next().await.unwrap()?;

        let n = stream.read(&mut buf).await?;
        assert_eq!(&buf[..n], LOREM_IPSUM);

        Ok(())
    })
}

#[test]
fn uds_connect() -> io::Result<()> {
    run("uds_connect", || async {
        let dir = TempDir::new("uds_connect")?;
        let path = dir.path().join("socket");
        let listener = UnixListener::bind(&path)?;

        let addr = listener.local_addr()?;
        let task = spawn(async move { listener.accept().await });

        let stream2 = UnixStream::connect(addr.as_pathname().unwrap()).await?;
        let stream1 = task.await?.0;

        assert_eq!(
            stream1.peer_addr()?.as_pathname(),
            stream2.local_addr()?.as_pathname(),
        );
        assert_eq!(
            stream2.peer_addr()?.as_pathname(),
            stream1.local_addr()?.as_pathname(),
        );

        // Now that the listener is closed, connect should fail.
        let err = UnixStream::connect(addr.as_pathname().unwrap())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);

        Ok(())
    })
}

#[test]
fn uds_send_recv() -> io::Result<()> {
    run("uds_send_recv", || async {
        let (socket1, socket2) = UnixDatagram::pair()?;

        socket1.send(LOREM_IPSUM).await?;
        let mut buf = [0; 1024];
        let n = socket2.recv(&mut buf).await?;
        assert_eq!(&buf[..n], LOREM_IPSUM);

        Ok(())
    })
}

#[test]
fn uds_send_to_recv_from() -> io::Result<()> {
    run("uds_send_to_recv_from", || async {
        let dir = TempDir::new("uds_send_to_recv_from")?;
        let path = dir.path().join("socket");
        let socket1 = UnixDatagram::bind(&path)?;
        let socket2 = UnixDatagram::unbound()?;

        socket2.send_to(LOREM_IPSUM, &path).await?;
        let mut buf = [0; 1024];
        let n = socket1.recv_from(&mut buf).await?.0;
        assert_eq!(&buf[..n], LOREM_IPSUM);

        Ok(())
    })
}

#[test]
fn uds_reader_hangup() -> io::Result<()> {
    run("uds_reader_hangup", || async {
        let (socket1, socket2) = UnixStream::pair()?;

        let task = spawn(async move {
            sprout::sleep(HANGUP_DELAY).await;
            drop(socket1);
        });

        while socket2.write_all(LOREM_IPSUM).await.is_ok() {}
        task.await;

        Ok(())
    })
}

#[test]
fn uds_writer_hangup() -> io::Result<()> {
    run("uds_writer_hangup", || async {
        let (socket1, socket2) = UnixStream::pair()?;

        let task = spawn(async move {
            sprout::sleep(HANGUP_DELAY).await;
            drop(socket1);
        });

        let mut v = vec![];
        socket2.read_to_end(&mut v).await?;
        assert!(v.is_empty());

        task.await;
        Ok(())
    })
}

// Test that we correctly re-register interests after we've previously been
// interested in both readable and writable events and then we get only one of
// those (we need to re-register interest on the other).
#[test]
fn tcp_duplex() -> io::Result<()> {
    run("tcp_duplex", || async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let stream1 = Arc::new(TcpStream::connect(listener.local_addr()?).await?);
        let stream2 = Arc::new(listener.accept().await?.0);

        async fn do_read(s: Arc<TcpStream>) -> io::Result<()> {
            let mut buf = vec![0u8; 4096];
            loop {
                let len = s.read(&mut buf).await?;
                if len == 0 {
                    return Ok(());
                }
            }
        }

        async fn do_write(s: Arc<TcpStream>) -> io::Result<()> {
            let buf = vec![0u8; 4096];
            for _ in 0..4096 {
                s.write_all(&buf).await?;
            }
            s.shutdown(Shutdown::Write)?;
            Ok(())
        }

        // Read from and write to stream1.
        let r1 = spawn(do_read(stream1.clone()));
        let w1 = spawn(do_write(stream1));

        // Sleep a bit, so that reading and writing are both blocked.
        sprout::sleep(Duration::from_millis(5)).await;

        // Start reading stream2, make stream1 writable.
        let r2 = spawn(do_read(stream2.clone()));

        // Finish writing to stream1.
        w1.await?;
        r2.await?;

        // Start writing to stream2, make stream1 readable.
        let w2 = spawn(do_write(stream2));

        // Will r1 be correctly woken?
        r1.await?;
        w2.await?;

        Ok(())
    })
}

#[test]
fn shutdown() -> io::Result<()> {
    run("shutdown", || async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let ((reader, _), writer) =
            future::try_zip(listener.accept(), TcpStream::connect(addr)).await?;

        // The writer must be closed in order for `read_to_end()` to finish.
        let mut buf = Vec::new();
        future::try_zip(reader.read_to_end(&mut buf), async {
            writer.shutdown(Shutdown::Write)
        })
        .await?;

        Ok(())
    })
}

// prevent source from unregistering by trying to register it twice
#[test]
fn duplicate_socket_insert() -> io::Result<()> {
    run("duplicate_socket_insert", || async {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let addr = std_listener.local_addr()?;
        let listener = TcpListener::from_std(std_listener)?;

        // attempt to register twice
        assert!(
            sprout::Async::new(&listener).is_err(),
            "fails upon second insert"
        );

        // Read and Write to confirm socket did not deregister on duplication attempt
        // Write to stream_w
        let stream_w = TcpStream::connect(addr).await?;
        stream_w.write(LOREM_IPSUM).await?;
        stream_w.shutdown(Shutdown::Write)?;

        // Read from stream_r
        let stream_r = listener.accept().await?.0;
        let mut buffer = vec![0; LOREM_IPSUM.len()];
        stream_r.read_exact(&mut buffer).await?;

        assert_eq!(buffer, LOREM_IPSUM);

        Ok(())
    })
}

#[test]
fn abstract_socket() -> io::Result<()> {
    use std::os::linux::net::SocketAddrExt;
    use std::os::unix::net::SocketAddr;

    run("abstract_socket", || async {
        // Bind a listener to a socket (a name unique to this process, so parallel runs of the
        // suite do not collide).
        let name = format!("sproutabstract-{}", std::process::id());
        let addr = SocketAddr::from_abstract_name(name.as_bytes())?;
        let listener = UnixListener::from_std(std::os::unix::net::UnixListener::bind_addr(&addr)?)?;

        // Future that connects to the listener.
        let connector = async {
            // Connect to the socket.
            let stream =
                UnixStream::from_std(std::os::unix::net::UnixStream::connect_addr(&addr)?)?;

            // Write some bytes to the stream.
            stream.write_all(LOREM_IPSUM).await?;

            // Read some bytes from the stream.
            let mut buf = vec![0; LOREM_IPSUM.len()];
            stream.read_exact(&mut buf).await?;
            assert_eq!(buf.as_slice(), LOREM_IPSUM);

            io::Result::Ok(())
        };

        // Future that drives the listener.
        let driver = async {
            // Wait for a new connection.
            let (stream, _) = listener.accept().await?;

            // Read some bytes from the stream.
            let mut buf = vec![0; LOREM_IPSUM.len()];
            stream.read_exact(&mut buf).await?;
            assert_eq!(buf.as_slice(), LOREM_IPSUM);

            // Write some bytes to the stream.
            stream.write_all(LOREM_IPSUM).await?;

            io::Result::Ok(())
        };

        // Run both in parallel.
        future::try_zip(connector, driver).await?;

        Ok(())
    })
}
