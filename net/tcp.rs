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
//! Read next: `net/udp.rs`.

use std::io;
use std::net::SocketAddr;

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use super::addr::{first_success, resolve, ToSocketAddrs};
use super::listener::Listener;
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

/// A TCP socket server, listening for connections: a [`Listener`] over std's listener, with
/// [`bind`](TcpListener::bind) added here.
///
/// ```
/// use sprout::net::{TcpListener, TcpStream};
/// sprout::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let _client = TcpStream::connect(listener.local_addr()?).await?;
///     let (_stream, peer) = listener.accept().await?;
///     assert!(peer.ip().is_loopback());
///     std::io::Result::Ok(())
/// }).unwrap();
/// ```
pub type TcpListener = Listener<std::net::TcpListener>;

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

impl Listener<std::net::TcpListener> {
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
        super::expect_runtime::<std::net::TcpListener>("bind");
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
        super::expect_runtime::<std::net::TcpStream>("connect");
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
        super::expect_runtime::<std::net::TcpStream>("connect_timeout");
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
