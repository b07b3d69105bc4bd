//! Unix domain sockets: [`UnixListener`], [`UnixStream`], [`UnixDatagram`].
//!
//! Where it sits in the flow: exactly as TCP (`tcp.rs`), over a filesystem path instead of an
//! address:
//!
//! ```text
//! [listener.accept().await] → Async::read_with(accept) → WouldBlock → Pending → waker parked in reactor → connect arrives → wake → [accept again]
//! ```
//!
//! `UnixStream::connect` runs std's connect on the blocking pool: a Unix connect either
//! completes at once or fails at once, except when the listener's backlog is full, and that
//! rare wait should not hold a worker.
//!
//! Read next: `server.rs`.

use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::stream::ByteStream;
use crate::Async;

/// A Unix stream socket server.
///
/// ```
/// use sprout::net::{UnixListener, UnixStream};
///
/// sprout::run(async {
///     let path = std::env::temp_dir().join(format!("sprout-doc-{}.sock", std::process::id()));
///     let _ = std::fs::remove_file(&path);
///     let listener = UnixListener::bind(&path)?;
///     let client = sprout::spawn({
///         let path = path.clone();
///         async move { UnixStream::connect(path).await?.write_all(b"hi").await }
///     });
///     let (stream, _) = listener.accept().await?;
///     let mut text = Vec::new();
///     client.await.unwrap()?;
///     stream.read_to_end(&mut text).await?;
///     assert_eq!(text, b"hi");
///     std::fs::remove_file(&path)
/// })
/// .unwrap();
/// ```
pub struct UnixListener {
    /// The registered listening socket.
    io: Async<std::os::unix::net::UnixListener>,
}

/// A Unix stream connection; the same API as [`TcpStream`](super::TcpStream).
///
/// ```
/// use sprout::net::{UnixDatagram, UnixListener, UnixStream};
/// sprout::run(async {
///     let dir = std::env::temp_dir().join(format!("sprout-doc-{}-{}", std::process::id(), line!()));
///     std::fs::create_dir_all(&dir)?;
///     let (a, b) = UnixStream::pair()?;
///     a.write_all(b"x").await?;
///     let mut byte = [0u8; 1];
///     b.read_exact(&mut byte).await?;
///     std::fs::remove_dir_all(&dir)
/// }).unwrap();
/// ```
pub type UnixStream = ByteStream<std::os::unix::net::UnixStream>;

impl UnixListener {
    /// Creates a listener at `path` (synchronous, as in std: binding a path never waits).
    ///
    /// # Panics
    /// When called outside a sprout runtime.
    ///
    /// ```
    /// use sprout::net::{UnixDatagram, UnixListener, UnixStream};
    /// sprout::run(async {
    ///     let dir = std::env::temp_dir().join(format!("sprout-doc-{}-{}", std::process::id(), line!()));
    ///     std::fs::create_dir_all(&dir)?;
    ///     let listener = UnixListener::bind(dir.join("s.sock"))?;
    ///     assert!(listener.local_addr()?.as_pathname().is_some());
    ///     std::fs::remove_dir_all(&dir)
    /// }).unwrap();
    /// ```
    #[track_caller]
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        crate::runtime::expect_runtime("sprout::net::UnixListener::bind");
        UnixListener::from_std(std::os::unix::net::UnixListener::bind(path)?)
    }

    /// A listener bound to `addr`, which may be an abstract name on Linux (no file in the file
    /// system; it goes away with the last socket).
    ///
    /// ```
    /// use std::os::linux::net::SocketAddrExt;
    /// use std::os::unix::net::SocketAddr;
    /// use sprout::net::{UnixListener, UnixStream};
    /// sprout::run(async {
    ///     let name = format!("sprout-doc-{}", std::process::id());
    ///     let addr = SocketAddr::from_abstract_name(name.as_bytes())?;
    ///     let listener = UnixListener::bind_addr(&addr)?;
    ///     let _client = UnixStream::connect_addr(&addr).await?;
    ///     let (_server, _) = listener.accept().await?;
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    #[track_caller]
    pub fn bind_addr(addr: &std::os::unix::net::SocketAddr) -> io::Result<UnixListener> {
        crate::runtime::expect_runtime("sprout::net::UnixListener::bind_addr");
        UnixListener::from_std(std::os::unix::net::UnixListener::bind_addr(addr)?)
    }

    /// Wraps a std listener (switching it to non-blocking mode).
    ///
    /// ```
    /// use sprout::net::{UnixDatagram, UnixListener, UnixStream};
    /// sprout::run(async {
    ///     let dir = std::env::temp_dir().join(format!("sprout-doc-{}-{}", std::process::id(), line!()));
    ///     std::fs::create_dir_all(&dir)?;
    ///     let std_listener = std::os::unix::net::UnixListener::bind(dir.join("s.sock"))?;
    ///     let _listener = UnixListener::from_std(std_listener)?;
    ///     std::fs::remove_dir_all(&dir)
    /// }).unwrap();
    /// ```
    #[track_caller]
    pub fn from_std(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        crate::runtime::expect_runtime("sprout::net::UnixListener::from_std");
        listener.set_nonblocking(true)?;
        Ok(UnixListener {
            io: Async::new(listener)?,
        })
    }

    /// Waits for a connection.
    ///
    /// ```
    /// use sprout::net::{UnixDatagram, UnixListener, UnixStream};
    /// sprout::run(async {
    ///     let dir = std::env::temp_dir().join(format!("sprout-doc-{}-{}", std::process::id(), line!()));
    ///     std::fs::create_dir_all(&dir)?;
    ///     let path = dir.join("s.sock");
    ///     let listener = UnixListener::bind(&path)?;
    ///     let _client = UnixStream::connect(&path).await?;
    ///     let (_stream, _peer) = listener.accept().await?;
    ///     std::fs::remove_dir_all(&dir)
    /// }).unwrap();
    /// ```
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        let (stream, peer) = self.io.read_with(|listener| listener.accept()).await?;
        Ok((UnixStream::from_std(stream)?, peer))
    }

    /// A stream of incoming connections.
    ///
    /// ```
    /// use sprout::net::{UnixDatagram, UnixListener, UnixStream};
    /// sprout::run(async {
    ///     let dir = std::env::temp_dir().join(format!("sprout-doc-{}-{}", std::process::id(), line!()));
    ///     std::fs::create_dir_all(&dir)?;
    ///     use futures_lite::StreamExt;
    ///     let path = dir.join("s.sock");
    ///     let listener = UnixListener::bind(&path)?;
    ///     let _client = UnixStream::connect(&path).await?;
    ///     let _first = listener.incoming().next().await.unwrap()?;
    ///     std::fs::remove_dir_all(&dir)
    /// }).unwrap();
    /// ```
    pub fn incoming(&self) -> UnixIncoming<'_> {
        UnixIncoming { listener: self }
    }

    /// The address the listener is bound to.
    ///
    /// ```
    /// use sprout::net::{UnixDatagram, UnixListener, UnixStream};
    /// sprout::run(async {
    ///     let dir = std::env::temp_dir().join(format!("sprout-doc-{}-{}", std::process::id(), line!()));
    ///     std::fs::create_dir_all(&dir)?;
    ///     let path = dir.join("s.sock");
    ///     let listener = UnixListener::bind(&path)?;
    ///     assert_eq!(listener.local_addr()?.as_pathname(), Some(path.as_path()));
    ///     std::fs::remove_dir_all(&dir)
    /// }).unwrap();
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }
}

impl AsFd for UnixListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.as_fd()
    }
}

impl AsRawFd for UnixListener {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }
}

impl fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.io.get_ref().fmt(f)
    }
}

/// The stream returned by [`UnixListener::incoming`].
///
/// ```
/// use sprout::net::{UnixDatagram, UnixListener, UnixStream};
/// sprout::run(async {
///     let dir = std::env::temp_dir().join(format!("sprout-doc-{}-{}", std::process::id(), line!()));
///     std::fs::create_dir_all(&dir)?;
///     let listener = UnixListener::bind(dir.join("s.sock"))?;
///     let _incoming: sprout::net::UnixIncoming<'_> = listener.incoming();
///     std::fs::remove_dir_all(&dir)
/// }).unwrap();
/// ```
#[derive(Debug)]
pub struct UnixIncoming<'a> {
    /// The listener accepted from.
    listener: &'a UnixListener,
}

impl futures_lite::Stream for UnixIncoming<'_> {
    type Item = io::Result<UnixStream>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match self
            .listener
            .io
            .poll_read_with(cx, |listener| listener.accept())
        {
            Poll::Ready(result) => Poll::Ready(Some(
                result.and_then(|(stream, _)| UnixStream::from_std(stream)),
            )),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl UnixStream {
    /// Connects to the listener at `path`.
    ///
    /// ```
    /// use sprout::net::{UnixDatagram, UnixListener, UnixStream};
    /// sprout::run(async {
    ///     let dir = std::env::temp_dir().join(format!("sprout-doc-{}-{}", std::process::id(), line!()));
    ///     std::fs::create_dir_all(&dir)?;
    ///     let path = dir.join("s.sock");
    ///     let _listener = UnixListener::bind(&path)?;
    ///     let stream = UnixStream::connect(&path).await?;
    ///     assert!(stream.peer_addr()?.as_pathname().is_some());
    ///     std::fs::remove_dir_all(&dir)
    /// }).unwrap();
    /// ```
    pub async fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        crate::runtime::expect_runtime("sprout::net::UnixStream::connect");
        let path: PathBuf = path.as_ref().to_owned();
        let stream = crate::spawn_blocking(move || std::os::unix::net::UnixStream::connect(path))
            .await
            .map_err(|error| io::Error::other(format!("connect failed: {error}")))??;
        UnixStream::from_std(stream)
    }

    /// Connects to `addr`, which may be an abstract name on Linux (see
    /// [`UnixListener::bind_addr`]); like [`connect`](Self::connect), on the blocking pool.
    pub async fn connect_addr(addr: &std::os::unix::net::SocketAddr) -> io::Result<UnixStream> {
        crate::runtime::expect_runtime("sprout::net::UnixStream::connect_addr");
        let addr = addr.clone();
        let stream =
            crate::spawn_blocking(move || std::os::unix::net::UnixStream::connect_addr(&addr))
                .await
                .map_err(|error| io::Error::other(format!("connect failed: {error}")))??;
        UnixStream::from_std(stream)
    }

    /// A connected pair of streams.
    ///
    /// ```
    /// use sprout::net::{UnixDatagram, UnixListener, UnixStream};
    /// sprout::run(async {
    ///     let dir = std::env::temp_dir().join(format!("sprout-doc-{}-{}", std::process::id(), line!()));
    ///     std::fs::create_dir_all(&dir)?;
    ///     let (a, b) = UnixStream::pair()?;
    ///     a.write_all(b"both ends here").await?;
    ///     drop(a);
    ///     let mut text = Vec::new();
    ///     b.read_to_end(&mut text).await?;
    ///     std::fs::remove_dir_all(&dir)
    /// }).unwrap();
    /// ```
    #[track_caller]
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        crate::runtime::expect_runtime("sprout::net::UnixStream::pair");
        let (a, b) = std::os::unix::net::UnixStream::pair()?;
        Ok((UnixStream::from_std(a)?, UnixStream::from_std(b)?))
    }

    /// The peer's address.
    ///
    /// ```
    /// use sprout::net::{UnixDatagram, UnixListener, UnixStream};
    /// sprout::run(async {
    ///     let dir = std::env::temp_dir().join(format!("sprout-doc-{}-{}", std::process::id(), line!()));
    ///     std::fs::create_dir_all(&dir)?;
    ///     let (a, _b) = UnixStream::pair()?;
    ///     assert!(a.peer_addr()?.as_pathname().is_none(), "a pair is unnamed");
    ///     std::fs::remove_dir_all(&dir)
    /// }).unwrap();
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.get_ref().peer_addr()
    }

    /// This end's address.
    ///
    /// ```
    /// use sprout::net::{UnixDatagram, UnixListener, UnixStream};
    /// sprout::run(async {
    ///     let dir = std::env::temp_dir().join(format!("sprout-doc-{}-{}", std::process::id(), line!()));
    ///     std::fs::create_dir_all(&dir)?;
    ///     let (a, _b) = UnixStream::pair()?;
    ///     assert!(a.local_addr().is_ok());
    ///     std::fs::remove_dir_all(&dir)
    /// }).unwrap();
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.get_ref().local_addr()
    }
}

/// A Unix datagram socket. Cloning gives another handle to the same socket.
///
/// ```
/// use sprout::net::{UnixDatagram, UnixListener, UnixStream};
/// sprout::run(async {
///     let dir = std::env::temp_dir().join(format!("sprout-doc-{}-{}", std::process::id(), line!()));
///     std::fs::create_dir_all(&dir)?;
///     let (a, b) = UnixDatagram::pair()?;
///     a.send(b"one datagram").await?;
///     let mut buf = [0u8; 32];
///     assert_eq!(b.recv(&mut buf).await?, 12);
///     std::fs::remove_dir_all(&dir)
/// }).unwrap();
/// ```
#[derive(Clone)]
pub struct UnixDatagram {
    /// The registered socket, shared by clones.
    io: Arc<Async<std::os::unix::net::UnixDatagram>>,
}

impl UnixDatagram {
    /// A socket bound to `path`.
    ///
    /// ```
    /// use sprout::net::{UnixDatagram, UnixListener, UnixStream};
    /// sprout::run(async {
    ///     let dir = std::env::temp_dir().join(format!("sprout-doc-{}-{}", std::process::id(), line!()));
    ///     std::fs::create_dir_all(&dir)?;
    ///     let socket = UnixDatagram::bind(dir.join("d.sock"))?;
    ///     assert!(socket.local_addr()?.as_pathname().is_some());
    ///     std::fs::remove_dir_all(&dir)
    /// }).unwrap();
    /// ```
    #[track_caller]
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixDatagram> {
        crate::runtime::expect_runtime("sprout::net::UnixDatagram::bind");
        UnixDatagram::from_std(std::os::unix::net::UnixDatagram::bind(path)?)
    }

    /// A socket bound to `addr`, which may be an abstract name on Linux.
    ///
    /// ```
    /// use std::os::linux::net::SocketAddrExt;
    /// use std::os::unix::net::SocketAddr;
    /// use sprout::net::UnixDatagram;
    /// sprout::run(async {
    ///     let name = format!("sprout-doc-dgram-{}", std::process::id());
    ///     let socket = UnixDatagram::bind_addr(&SocketAddr::from_abstract_name(name.as_bytes())?)?;
    ///     assert!(socket.local_addr()?.as_abstract_name().is_some());
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    #[track_caller]
    pub fn bind_addr(addr: &std::os::unix::net::SocketAddr) -> io::Result<UnixDatagram> {
        crate::runtime::expect_runtime("sprout::net::UnixDatagram::bind_addr");
        UnixDatagram::from_std(std::os::unix::net::UnixDatagram::bind_addr(addr)?)
    }

    /// A socket bound to no path (it can still send, and receive once connected).
    ///
    /// ```
    /// use sprout::net::{UnixDatagram, UnixListener, UnixStream};
    /// sprout::run(async {
    ///     let dir = std::env::temp_dir().join(format!("sprout-doc-{}-{}", std::process::id(), line!()));
    ///     std::fs::create_dir_all(&dir)?;
    ///     let socket = UnixDatagram::unbound()?;
    ///     assert!(socket.local_addr()?.as_pathname().is_none());
    ///     std::fs::remove_dir_all(&dir)
    /// }).unwrap();
    /// ```
    #[track_caller]
    pub fn unbound() -> io::Result<UnixDatagram> {
        crate::runtime::expect_runtime("sprout::net::UnixDatagram::unbound");
        UnixDatagram::from_std(std::os::unix::net::UnixDatagram::unbound()?)
    }

    /// A connected pair of sockets.
    ///
    /// ```
    /// use sprout::net::{UnixDatagram, UnixListener, UnixStream};
    /// sprout::run(async {
    ///     let dir = std::env::temp_dir().join(format!("sprout-doc-{}-{}", std::process::id(), line!()));
    ///     std::fs::create_dir_all(&dir)?;
    ///     let (a, b) = UnixDatagram::pair()?;
    ///     a.send(b"x").await?;
    ///     let mut buf = [0u8; 1];
    ///     b.recv(&mut buf).await?;
    ///     std::fs::remove_dir_all(&dir)
    /// }).unwrap();
    /// ```
    #[track_caller]
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        crate::runtime::expect_runtime("sprout::net::UnixDatagram::pair");
        let (a, b) = std::os::unix::net::UnixDatagram::pair()?;
        Ok((UnixDatagram::from_std(a)?, UnixDatagram::from_std(b)?))
    }

    /// Wraps a std socket (switching it to non-blocking mode).
    ///
    /// ```
    /// use sprout::net::{UnixDatagram, UnixListener, UnixStream};
    /// sprout::run(async {
    ///     let dir = std::env::temp_dir().join(format!("sprout-doc-{}-{}", std::process::id(), line!()));
    ///     std::fs::create_dir_all(&dir)?;
    ///     let (a, _b) = std::os::unix::net::UnixDatagram::pair()?;
    ///     let _a = UnixDatagram::from_std(a)?;
    ///     std::fs::remove_dir_all(&dir)
    /// }).unwrap();
    /// ```
    #[track_caller]
    pub fn from_std(socket: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        crate::runtime::expect_runtime("sprout::net::UnixDatagram::from_std");
        socket.set_nonblocking(true)?;
        Ok(UnixDatagram {
            io: Arc::new(Async::new(socket)?),
        })
    }

    /// Sets the default peer (synchronous, as in std).
    ///
    /// ```
    /// use sprout::net::{UnixDatagram, UnixListener, UnixStream};
    /// sprout::run(async {
    ///     let dir = std::env::temp_dir().join(format!("sprout-doc-{}-{}", std::process::id(), line!()));
    ///     std::fs::create_dir_all(&dir)?;
    ///     let path = dir.join("d.sock");
    ///     let _receiver = UnixDatagram::bind(&path)?;
    ///     let sender = UnixDatagram::unbound()?;
    ///     sender.connect(&path)?;
    ///     sender.send(b"connected").await?;
    ///     std::fs::remove_dir_all(&dir)
    /// }).unwrap();
    /// ```
    pub fn connect(&self, path: impl AsRef<Path>) -> io::Result<()> {
        self.io.get_ref().connect(path)
    }

    /// Sends to the connected peer.
    ///
    /// ```
    /// use sprout::net::{UnixDatagram, UnixListener, UnixStream};
    /// sprout::run(async {
    ///     let dir = std::env::temp_dir().join(format!("sprout-doc-{}-{}", std::process::id(), line!()));
    ///     std::fs::create_dir_all(&dir)?;
    ///     let (a, _b) = UnixDatagram::pair()?;
    ///     assert_eq!(a.send(b"abc").await?, 3);
    ///     std::fs::remove_dir_all(&dir)
    /// }).unwrap();
    /// ```
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.write_with(|socket| socket.send(buf)).await
    }

    /// Receives from the connected peer.
    ///
    /// ```
    /// use sprout::net::{UnixDatagram, UnixListener, UnixStream};
    /// sprout::run(async {
    ///     let dir = std::env::temp_dir().join(format!("sprout-doc-{}-{}", std::process::id(), line!()));
    ///     std::fs::create_dir_all(&dir)?;
    ///     let (a, b) = UnixDatagram::pair()?;
    ///     a.send(b"abc").await?;
    ///     let mut buf = [0u8; 8];
    ///     assert_eq!(b.recv(&mut buf).await?, 3);
    ///     std::fs::remove_dir_all(&dir)
    /// }).unwrap();
    /// ```
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.read_with(|socket| socket.recv(buf)).await
    }

    /// Sends to the socket at `path`.
    ///
    /// ```
    /// use sprout::net::{UnixDatagram, UnixListener, UnixStream};
    /// sprout::run(async {
    ///     let dir = std::env::temp_dir().join(format!("sprout-doc-{}-{}", std::process::id(), line!()));
    ///     std::fs::create_dir_all(&dir)?;
    ///     let path = dir.join("d.sock");
    ///     let receiver = UnixDatagram::bind(&path)?;
    ///     UnixDatagram::unbound()?.send_to(b"to a path", &path).await?;
    ///     let mut buf = [0u8; 16];
    ///     assert_eq!(receiver.recv(&mut buf).await?, 9);
    ///     std::fs::remove_dir_all(&dir)
    /// }).unwrap();
    /// ```
    pub async fn send_to(&self, buf: &[u8], path: impl AsRef<Path>) -> io::Result<usize> {
        let path = path.as_ref();
        self.io.write_with(|socket| socket.send_to(buf, path)).await
    }

    /// Receives a datagram and the address it came from.
    ///
    /// ```
    /// use sprout::net::{UnixDatagram, UnixListener, UnixStream};
    /// sprout::run(async {
    ///     let dir = std::env::temp_dir().join(format!("sprout-doc-{}-{}", std::process::id(), line!()));
    ///     std::fs::create_dir_all(&dir)?;
    ///     let (a, b) = UnixDatagram::pair()?;
    ///     a.send(b"who").await?;
    ///     let mut buf = [0u8; 8];
    ///     let (n, _from) = b.recv_from(&mut buf).await?;
    ///     assert_eq!(n, 3);
    ///     std::fs::remove_dir_all(&dir)
    /// }).unwrap();
    /// ```
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.read_with(|socket| socket.recv_from(buf)).await
    }

    /// This socket's address.
    ///
    /// ```
    /// use sprout::net::{UnixDatagram, UnixListener, UnixStream};
    /// sprout::run(async {
    ///     let dir = std::env::temp_dir().join(format!("sprout-doc-{}-{}", std::process::id(), line!()));
    ///     std::fs::create_dir_all(&dir)?;
    ///     let socket = UnixDatagram::bind(dir.join("d.sock"))?;
    ///     assert!(socket.local_addr()?.as_pathname().is_some());
    ///     std::fs::remove_dir_all(&dir)
    /// }).unwrap();
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }
}

impl AsFd for UnixDatagram {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.as_fd()
    }
}

impl fmt::Debug for UnixDatagram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.io.get_ref().fmt(f)
    }
}
