//! TCP: [`TcpListener`] and [`TcpStream`], with `std::net`'s names and shapes plus `.await`.
//!
//! Where it sits in the flow:
//!
//! ```text
//! [listener.accept().await] → Async::read_with(accept) → WouldBlock → Pending → waker parked in reactor → SYN arrives → epoll event → wake → [accept again → new TcpStream]
//! ```
//!
//! Porting blocking code: `use std::net::{TcpListener, TcpStream}` becomes
//! `use sprout::net::{TcpListener, TcpStream}`, and each call that can wait gets `.await`.
//! Binding and connecting are async because a name may need resolving (`addr.rs`); calls that
//! never wait (`local_addr`, `set_nodelay`, `shutdown`) stay synchronous, as in std.
//!
//! Sockets are created with `socket2` because std offers neither a non-blocking `connect` (a
//! blocking one would hold a worker or a pool thread for a whole handshake) nor a choice of
//! listen backlog (std's 128 drops connections when thousands of clients arrive at once).
//!
//! Read next: `udp.rs`, `unix.rs`, then `server.rs`.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::pin::Pin;
use std::task::{Context, Poll};

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use super::addr::{first_success, resolve, ToSocketAddrs};
use super::stream::ByteStream;
use crate::Async;

/// The listen backlog: how many finished handshakes the kernel queues for `accept`. The kernel
/// caps it at `net.core.somaxconn` (4096 on current Linux).
///
/// ```
/// assert_eq!(sprout::net::LISTEN_BACKLOG, 4096);
/// ```
pub const LISTEN_BACKLOG: i32 = 4096;

/// `connect` on a non-blocking socket reports "in progress" with this errno.
#[cfg(any(target_os = "linux", target_os = "android"))]
const EINPROGRESS: i32 = 115;
/// `connect` on a non-blocking socket reports "in progress" with this errno.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const EINPROGRESS: i32 = 36;

/// A TCP socket server, listening for connections.
///
/// ```
/// use sprout::net::{TcpListener, TcpStream};
///
/// sprout::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let addr = listener.local_addr()?;
///     let client = sprout::spawn(async move {
///         let stream = TcpStream::connect(addr).await?;
///         stream.write_all(b"hello").await
///     });
///     let (stream, _peer) = listener.accept().await?;
///     let mut greeting = [0u8; 5];
///     stream.read_exact(&mut greeting).await?;
///     assert_eq!(&greeting, b"hello");
///     client.await.unwrap()
/// })
/// .unwrap();
/// ```
pub struct TcpListener {
    /// The registered listening socket.
    io: Async<std::net::TcpListener>,
}

/// A TCP connection. Cloning gives another handle to the same socket, so a reader task and a
/// writer task can share it. Implements `futures_lite`'s `AsyncRead` and `AsyncWrite` (also on
/// `&TcpStream`); wrap it in `futures_lite::io::BufReader` for `AsyncBufRead`.
///
/// ```
/// use sprout::net::{TcpListener, TcpStream};
/// sprout::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let client = TcpStream::connect(listener.local_addr()?).await?;
///     let (server_side, _) = listener.accept().await?;
///     // Clones share the socket: one task can write while another reads.
///     let writer = client.clone();
///     sprout::spawn(async move { writer.write_all(b"ping").await }).detach();
///     let mut buf = [0u8; 4];
///     server_side.read_exact(&mut buf).await?;
///     assert_eq!(&buf, b"ping");
///     std::io::Result::Ok(())
/// }).unwrap();
/// ```
pub type TcpStream = ByteStream<std::net::TcpStream>;

impl TcpListener {
    /// Creates a listener bound to `addr` (port 0 picks a free port), with `SO_REUSEADDR` set
    /// as the lecture's servers do, so a restarted server can bind at once.
    ///
    /// ```
    /// use sprout::net::{TcpListener, TcpStream};
    /// sprout::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     assert!(listener.local_addr()?.port() > 0);
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        crate::runtime::expect_runtime("sprout::net::TcpListener::bind");
        let addrs = resolve(addr).await?;
        first_success(addrs, |addr| async move { TcpListener::bind_one(addr) }).await
    }

    /// Binds one address.
    fn bind_one(addr: SocketAddr) -> io::Result<TcpListener> {
        let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
        socket.set_reuse_address(true)?;
        socket.set_nonblocking(true)?;
        socket.bind(&SockAddr::from(addr))?;
        socket.listen(LISTEN_BACKLOG)?;
        TcpListener::from_std(socket.into())
    }

    /// Wraps a std listener (switching it to non-blocking mode).
    ///
    /// # Panics
    /// When called outside a sprout runtime.
    ///
    /// ```
    /// use sprout::net::{TcpListener, TcpStream};
    /// sprout::run(async {
    ///     let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    ///     let listener = TcpListener::from_std(std_listener)?;
    ///     assert!(listener.local_addr().is_ok());
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    #[track_caller]
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        crate::runtime::expect_runtime("sprout::net::TcpListener::from_std");
        listener.set_nonblocking(true)?;
        Ok(TcpListener {
            io: Async::new(listener)?,
        })
    }

    /// Deregisters the listener and returns the std one (still non-blocking).
    ///
    /// ```
    /// use sprout::net::{TcpListener, TcpStream};
    /// sprout::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let std_listener: std::net::TcpListener = listener.into_std()?;
    ///     assert!(std_listener.local_addr().is_ok());
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub fn into_std(self) -> io::Result<std::net::TcpListener> {
        self.io.into_inner()
    }

    /// Waits for a connection and returns it with the peer's address.
    ///
    /// ```
    /// use sprout::net::{TcpListener, TcpStream};
    /// sprout::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let addr = listener.local_addr()?;
    ///     let _client = TcpStream::connect(addr).await?;
    ///     let (_stream, peer) = listener.accept().await?;
    ///     assert_eq!(peer.ip().to_string(), "127.0.0.1");
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (stream, peer) = self.io.read_with(|listener| listener.accept()).await?;
        Ok((TcpStream::from_std(stream)?, peer))
    }

    /// The poll form of `accept`.
    ///
    /// ```
    /// use sprout::net::{TcpListener, TcpStream};
    /// sprout::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let _client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (_stream, _peer) = futures_lite::future::poll_fn(|cx| listener.poll_accept(cx)).await?;
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        match self.io.poll_read_with(cx, |listener| listener.accept()) {
            Poll::Ready(Ok((stream, peer))) => {
                Poll::Ready(TcpStream::from_std(stream).map(|s| (s, peer)))
            }
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
            Poll::Pending => Poll::Pending,
        }
    }

    /// A stream of incoming connections (never ends; errors are items).
    ///
    /// ```
    /// use sprout::net::{TcpListener, TcpStream};
    /// sprout::run(async {
    ///     use futures_lite::StreamExt;
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let _client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let mut incoming = listener.incoming();
    ///     let first = incoming.next().await.unwrap()?;
    ///     assert!(first.peer_addr().is_ok());
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub fn incoming(&self) -> Incoming<'_> {
        Incoming { listener: self }
    }

    /// The address the listener is bound to.
    ///
    /// ```
    /// use sprout::net::{TcpListener, TcpStream};
    /// sprout::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     assert_eq!(listener.local_addr()?.ip().to_string(), "127.0.0.1");
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }
}

impl AsFd for TcpListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.as_fd()
    }
}

impl AsRawFd for TcpListener {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.io.get_ref().fmt(f)
    }
}

/// The stream returned by [`TcpListener::incoming`].
///
/// ```
/// use sprout::net::{TcpListener, TcpStream};
/// sprout::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let _incoming: sprout::net::Incoming<'_> = listener.incoming();
///     std::io::Result::Ok(())
/// }).unwrap();
/// ```
#[derive(Debug)]
pub struct Incoming<'a> {
    /// The listener accepted from.
    listener: &'a TcpListener,
}

impl futures_lite::Stream for Incoming<'_> {
    type Item = io::Result<TcpStream>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.listener
            .poll_accept(cx)
            .map(|result| Some(result.map(|(stream, _)| stream)))
    }
}

impl TcpStream {
    /// Opens a connection to `addr`, trying each resolved address in turn. The handshake
    /// waits in the reactor, not in a thread.
    ///
    /// ```
    /// use sprout::net::{TcpListener, TcpStream};
    /// sprout::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let stream = TcpStream::connect(listener.local_addr()?).await?;
    ///     assert_eq!(stream.peer_addr()?, listener.local_addr()?);
    ///     assert!(TcpStream::connect("127.0.0.1:1").await.is_err(), "refused");
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub async fn connect(addr: impl ToSocketAddrs) -> io::Result<TcpStream> {
        crate::runtime::expect_runtime("sprout::net::TcpStream::connect");
        let addrs = resolve(addr).await?;
        first_success(addrs, TcpStream::connect_one).await
    }

    /// Connects like [`connect`](Self::connect), giving up after `limit` with an error of kind
    /// `TimedOut` (std's `TcpStream::connect_timeout`, for any address form).
    ///
    /// ```
    /// use std::time::Duration;
    /// use sprout::net::{TcpListener, TcpStream};
    /// sprout::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let stream = TcpStream::connect_timeout(listener.local_addr()?, Duration::from_secs(5)).await?;
    ///     assert_eq!(stream.peer_addr()?, listener.local_addr()?);
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub async fn connect_timeout(
        addr: impl ToSocketAddrs,
        limit: std::time::Duration,
    ) -> io::Result<TcpStream> {
        crate::runtime::expect_runtime("sprout::net::TcpStream::connect_timeout");
        match crate::timeout(limit, TcpStream::connect(addr)).await {
            Ok(connected) => connected,
            Err(_) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("connect did not complete within {limit:?}"),
            )),
        }
    }

    /// One non-blocking connect: start the handshake, wait until the socket is writable, then
    /// ask the socket whether the handshake succeeded.
    async fn connect_one(addr: SocketAddr) -> io::Result<TcpStream> {
        let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
        socket.set_nonblocking(true)?;
        match socket.connect(&SockAddr::from(addr)) {
            Ok(()) => {}
            Err(error) if error.raw_os_error() == Some(EINPROGRESS) => {}
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
            Err(error) => return Err(error),
        }
        let io = Async::new(std::net::TcpStream::from(socket))?;
        io.writable().await?;
        if let Some(error) = io.get_ref().take_error()? {
            return Err(error);
        }
        // Writable without a pending error, yet not connected, happens when the peer reset
        // during the handshake: peer_addr then reports NotConnected.
        io.get_ref().peer_addr()?;
        Ok(TcpStream::from_async(io))
    }

    /// The peer's address.
    ///
    /// ```
    /// use sprout::net::{TcpListener, TcpStream};
    /// sprout::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let stream = TcpStream::connect(listener.local_addr()?).await?;
    ///     assert_eq!(stream.peer_addr()?.port(), listener.local_addr()?.port());
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.get_ref().peer_addr()
    }

    /// This end's address.
    ///
    /// ```
    /// use sprout::net::{TcpListener, TcpStream};
    /// sprout::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let stream = TcpStream::connect(listener.local_addr()?).await?;
    ///     assert_ne!(stream.local_addr()?.port(), 0);
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.get_ref().local_addr()
    }

    /// Sets `TCP_NODELAY`: send small writes at once instead of waiting to coalesce them
    /// (Nagle). Request/response protocols want it on; see docs/ on the 40 ms stall.
    ///
    /// ```
    /// use sprout::net::{TcpListener, TcpStream};
    /// sprout::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let stream = TcpStream::connect(listener.local_addr()?).await?;
    ///     stream.set_nodelay(true)?;
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.get_ref().set_nodelay(nodelay)
    }

    /// Whether `TCP_NODELAY` is set.
    ///
    /// ```
    /// use sprout::net::{TcpListener, TcpStream};
    /// sprout::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let stream = TcpStream::connect(listener.local_addr()?).await?;
    ///     stream.set_nodelay(true)?;
    ///     assert!(stream.nodelay()?);
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub fn nodelay(&self) -> io::Result<bool> {
        self.get_ref().nodelay()
    }

    /// Reads without consuming: the bytes stay for the next `read`.
    ///
    /// ```
    /// use sprout::net::{TcpListener, TcpStream};
    /// sprout::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (server_side, _) = listener.accept().await?;
    ///     client.write_all(b"abc").await?;
    ///     let mut buf = [0u8; 3];
    ///     server_side.peek(&mut buf).await?;
    ///     server_side.read_exact(&mut buf).await?; // the same bytes again
    ///     assert_eq!(&buf, b"abc");
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.registered().read_with(|s| s.peek(buf)).await
    }
}
