//! [`Listener<L>`]: accepting connections, written once for TCP and Unix listeners.
//!
//! Where it sits in the flow:
//!
//! ```text
//! [listener.accept().await] → Async::read_with(accept) → WouldBlock → Pending → waker parked in reactor → a connection arrives → epoll event → wake → [accept again → new stream]
//! ```
//!
//! `TcpListener` is `Listener<std::net::TcpListener>` and `UnixListener` is
//! `Listener<std::os::unix::net::UnixListener>`, as the streams are `ByteStream<T>`
//! (`stream.rs`): `accept`, `poll_accept`, `incoming`, `local_addr`, `from_std` and `into_std`
//! exist once, and each protocol file adds only how its listener is bound (`tcp.rs`,
//! `unix.rs`).
//!
//! Read next: `net/datagram.rs`.

use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::stream::{ByteStream, StreamSocket};
use crate::Async;

/// A std listening socket that [`Listener`] can wrap: what it accepts and how.
///
/// ```
/// use sprout::net::{ListenSocket, Listener};
/// fn takes_any_listener<L: ListenSocket>(_listener: &Listener<L>) {}
/// sprout::run(async {
///     let listener = sprout::net::TcpListener::bind("127.0.0.1:0").await?;
///     takes_any_listener(&listener);
///     std::io::Result::Ok(())
/// }).unwrap();
/// ```
pub trait ListenSocket: AsFd + fmt::Debug + Send + Sync + 'static {
    /// The connected socket an accept returns.
    type Stream: StreamSocket;
    /// The address type of the protocol.
    type Addr;
    /// One non-blocking `accept(2)`.
    fn accept_socket(&self) -> io::Result<(Self::Stream, Self::Addr)>;
    /// The address the socket is bound to.
    fn bound_addr(&self) -> io::Result<Self::Addr>;
    /// Switches the socket to non-blocking mode.
    fn set_nonblocking_mode(&self) -> io::Result<()>;
}

/// Implements [`ListenSocket`] for std listeners, which all have the same three methods.
macro_rules! listen_socket {
    ($($socket:ty => $stream:ty, $addr:ty),*) => {$(
        impl ListenSocket for $socket {
            type Stream = $stream;
            type Addr = $addr;
            fn accept_socket(&self) -> io::Result<($stream, $addr)> {
                self.accept()
            }
            fn bound_addr(&self) -> io::Result<$addr> {
                self.local_addr()
            }
            fn set_nonblocking_mode(&self) -> io::Result<()> {
                self.set_nonblocking(true)
            }
        }
    )*};
}

listen_socket!(
    std::net::TcpListener => std::net::TcpStream, std::net::SocketAddr,
    std::os::unix::net::UnixListener => std::os::unix::net::UnixStream,
        std::os::unix::net::SocketAddr
);

/// What an accept gives: the new connection and its peer's address.
pub type Accepted<L> = (
    ByteStream<<L as ListenSocket>::Stream>,
    <L as ListenSocket>::Addr,
);

/// An async listener over a std listening socket; see `TcpListener` and `UnixListener`.
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
pub struct Listener<L: ListenSocket> {
    /// The registered listening socket.
    io: Async<L>,
}

impl<L: ListenSocket> Listener<L> {
    /// Wraps a std listener (switching it to non-blocking mode).
    ///
    /// # Panics
    /// When called outside a sprout runtime.
    ///
    /// ```
    /// use sprout::net::TcpListener;
    /// sprout::run(async {
    ///     let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    ///     let listener = TcpListener::from_std(std_listener)?;
    ///     assert!(listener.local_addr().is_ok());
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    #[track_caller]
    pub fn from_std(listener: L) -> io::Result<Self> {
        super::expect_runtime::<L>("from_std");
        listener.set_nonblocking_mode()?;
        Ok(Listener {
            io: Async::new(listener)?,
        })
    }

    /// Deregisters the listener and returns the std one (still non-blocking).
    ///
    /// ```
    /// use sprout::net::TcpListener;
    /// sprout::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let std_listener: std::net::TcpListener = listener.into_std()?;
    ///     assert!(std_listener.local_addr().is_ok());
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub fn into_std(self) -> io::Result<L> {
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
    pub async fn accept(&self) -> io::Result<Accepted<L>> {
        // The future form, not `poll_accept`: dropped before a client comes (a stop signal, a
        // `select`), it takes its waker back out of the reactor (reactor I6).
        let (stream, peer) = self.io.read_with(L::accept_socket).await?;
        Ok((ByteStream::from_std(stream)?, peer))
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
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<Accepted<L>>> {
        match self.io.poll_read_with(cx, L::accept_socket) {
            Poll::Ready(Ok((stream, peer))) => {
                Poll::Ready(ByteStream::from_std(stream).map(|s| (s, peer)))
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
    pub fn incoming(&self) -> Incoming<'_, L> {
        Incoming { listener: self }
    }

    /// The address the listener is bound to.
    ///
    /// ```
    /// use sprout::net::TcpListener;
    /// sprout::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     assert_eq!(listener.local_addr()?.ip().to_string(), "127.0.0.1");
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub fn local_addr(&self) -> io::Result<L::Addr> {
        self.io.get_ref().bound_addr()
    }
}

impl<L: ListenSocket> AsFd for Listener<L> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.as_fd()
    }
}

impl<L: ListenSocket> AsRawFd for Listener<L> {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }
}

impl<L: ListenSocket> fmt::Debug for Listener<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.io.get_ref().fmt(f)
    }
}

/// The stream returned by [`Listener::incoming`] (TCP's by default; `UnixIncoming` is the Unix
/// one).
///
/// ```
/// use sprout::net::TcpListener;
/// sprout::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let _incoming: sprout::net::Incoming<'_> = listener.incoming();
///     std::io::Result::Ok(())
/// }).unwrap();
/// ```
pub struct Incoming<'a, L: ListenSocket = std::net::TcpListener> {
    /// The listener accepted from.
    listener: &'a Listener<L>,
}

impl<L: ListenSocket> futures_lite::Stream for Incoming<'_, L> {
    type Item = io::Result<ByteStream<L::Stream>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.listener
            .poll_accept(cx)
            .map(|result| Some(result.map(|(stream, _)| stream)))
    }
}

impl<L: ListenSocket> fmt::Debug for Incoming<'_, L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Incoming")
            .field("listener", self.listener)
            .finish()
    }
}
