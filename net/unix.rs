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
pub type UnixStream = ByteStream<std::os::unix::net::UnixStream>;

impl UnixListener {
    /// Creates a listener at `path` (synchronous, as in std: binding a path never waits).
    ///
    /// # Panics
    /// When called outside a sprout runtime.
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        UnixListener::from_std(std::os::unix::net::UnixListener::bind(path)?)
    }

    /// Wraps a std listener (switching it to non-blocking mode).
    pub fn from_std(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        listener.set_nonblocking(true)?;
        Ok(UnixListener {
            io: Async::new(listener)?,
        })
    }

    /// Waits for a connection.
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        let (stream, peer) = self.io.read_with(|listener| listener.accept()).await?;
        Ok((UnixStream::from_std(stream)?, peer))
    }

    /// A stream of incoming connections.
    pub fn incoming(&self) -> UnixIncoming<'_> {
        UnixIncoming { listener: self }
    }

    /// The address the listener is bound to.
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
    pub async fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        let path: PathBuf = path.as_ref().to_owned();
        let stream = crate::spawn_blocking(move || std::os::unix::net::UnixStream::connect(path))
            .await
            .map_err(|error| io::Error::other(format!("connect failed: {error}")))??;
        UnixStream::from_std(stream)
    }

    /// A connected pair of streams.
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = std::os::unix::net::UnixStream::pair()?;
        Ok((UnixStream::from_std(a)?, UnixStream::from_std(b)?))
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.get_ref().peer_addr()
    }

    /// This end's address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.get_ref().local_addr()
    }
}

/// A Unix datagram socket. Cloning gives another handle to the same socket.
#[derive(Clone)]
pub struct UnixDatagram {
    /// The registered socket, shared by clones.
    io: Arc<Async<std::os::unix::net::UnixDatagram>>,
}

impl UnixDatagram {
    /// A socket bound to `path`.
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixDatagram> {
        UnixDatagram::from_std(std::os::unix::net::UnixDatagram::bind(path)?)
    }

    /// A socket bound to no path (it can still send, and receive once connected).
    pub fn unbound() -> io::Result<UnixDatagram> {
        UnixDatagram::from_std(std::os::unix::net::UnixDatagram::unbound()?)
    }

    /// A connected pair of sockets.
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = std::os::unix::net::UnixDatagram::pair()?;
        Ok((UnixDatagram::from_std(a)?, UnixDatagram::from_std(b)?))
    }

    /// Wraps a std socket (switching it to non-blocking mode).
    pub fn from_std(socket: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        socket.set_nonblocking(true)?;
        Ok(UnixDatagram {
            io: Arc::new(Async::new(socket)?),
        })
    }

    /// Sets the default peer (synchronous, as in std).
    pub fn connect(&self, path: impl AsRef<Path>) -> io::Result<()> {
        self.io.get_ref().connect(path)
    }

    /// Sends to the connected peer.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.write_with(|socket| socket.send(buf)).await
    }

    /// Receives from the connected peer.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.read_with(|socket| socket.recv(buf)).await
    }

    /// Sends to the socket at `path`.
    pub async fn send_to(&self, buf: &[u8], path: impl AsRef<Path>) -> io::Result<usize> {
        let path = path.as_ref();
        self.io.write_with(|socket| socket.send_to(buf, path)).await
    }

    /// Receives a datagram and the address it came from.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.read_with(|socket| socket.recv_from(buf)).await
    }

    /// This socket's address.
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
