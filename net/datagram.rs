//! [`Datagram<S>`]: sending and receiving datagrams, written once for UDP and Unix datagram
//! sockets.
//!
//! Where it sits in the flow:
//!
//! ```text
//! [socket.recv_from(buf).await] → Async::read_with(recv_from) → WouldBlock → Pending → waker parked in reactor → datagram arrives → wake → [recv_from again]
//! ```
//!
//! `UdpSocket` is `Datagram<std::net::UdpSocket>` and `UnixDatagram` is
//! `Datagram<std::os::unix::net::UnixDatagram>`: `send`, `recv`, `recv_from`, `local_addr`,
//! `peer_addr`, `from_std` and `into_std` exist once, and each protocol file adds what is its own
//! (how it binds and connects, `send_to` with its kind of address, UDP's `peek` and broadcast).
//! Like a stream, the socket is an `Arc` around `Async<T>`: clones share one registration.
//!
//! Read next: `net/addr.rs`.

use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::sync::Arc;

use crate::Async;

/// A std datagram socket that [`Datagram`] can wrap: the non-blocking calls it makes.
///
/// ```
/// use sprout::net::{Datagram, DatagramSocket};
/// fn takes_any_socket<S: DatagramSocket>(_socket: &Datagram<S>) {}
/// sprout::run(async {
///     let (a, _b) = sprout::net::UnixDatagram::pair()?;
///     takes_any_socket(&a);
///     std::io::Result::Ok(())
/// }).unwrap();
/// ```
pub trait DatagramSocket: AsFd + fmt::Debug + Send + Sync + 'static {
    /// The address type of the protocol.
    type Addr;
    /// One non-blocking `send(2)` to the connected peer.
    fn send_datagram(&self, buf: &[u8]) -> io::Result<usize>;
    /// One non-blocking `recv(2)` from the connected peer.
    fn recv_datagram(&self, buf: &mut [u8]) -> io::Result<usize>;
    /// One non-blocking `recvfrom(2)`.
    fn recv_datagram_from(&self, buf: &mut [u8]) -> io::Result<(usize, Self::Addr)>;
    /// The address the socket is bound to.
    fn bound_addr(&self) -> io::Result<Self::Addr>;
    /// The connected peer's address.
    fn connected_addr(&self) -> io::Result<Self::Addr>;
    /// Switches the socket to non-blocking mode.
    fn set_nonblocking_mode(&self) -> io::Result<()>;
}

/// Implements [`DatagramSocket`] for std datagram sockets, which share these method names.
macro_rules! datagram_socket {
    ($($socket:ty => $addr:ty),*) => {$(
        impl DatagramSocket for $socket {
            type Addr = $addr;
            fn send_datagram(&self, buf: &[u8]) -> io::Result<usize> {
                self.send(buf)
            }
            fn recv_datagram(&self, buf: &mut [u8]) -> io::Result<usize> {
                self.recv(buf)
            }
            fn recv_datagram_from(&self, buf: &mut [u8]) -> io::Result<(usize, $addr)> {
                self.recv_from(buf)
            }
            fn bound_addr(&self) -> io::Result<$addr> {
                self.local_addr()
            }
            fn connected_addr(&self) -> io::Result<$addr> {
                self.peer_addr()
            }
            fn set_nonblocking_mode(&self) -> io::Result<()> {
                self.set_nonblocking(true)
            }
        }
    )*};
}

datagram_socket!(
    std::net::UdpSocket => std::net::SocketAddr,
    std::os::unix::net::UnixDatagram => std::os::unix::net::SocketAddr
);

/// An async datagram socket over a std one; see `UdpSocket` and `UnixDatagram`. Cloning gives
/// another handle to the same socket.
///
/// ```
/// sprout::run(async {
///     let (a, b) = sprout::net::UnixDatagram::pair()?; // a Datagram<std::os::unix::net::UnixDatagram>
///     a.send(b"one datagram").await?;
///     let mut buf = [0u8; 32];
///     let n = b.recv(&mut buf).await?;
///     assert_eq!(&buf[..n], b"one datagram");
///     std::io::Result::Ok(())
/// }).unwrap();
/// ```
pub struct Datagram<S: DatagramSocket> {
    /// The registered socket, shared by clones.
    pub(crate) io: Arc<Async<S>>,
}

impl<S: DatagramSocket> Datagram<S> {
    /// Wraps a std socket (switching it to non-blocking mode).
    ///
    /// # Panics
    /// When called outside a sprout runtime.
    ///
    /// ```
    /// use sprout::net::UdpSocket;
    /// sprout::run(async {
    ///     let socket = UdpSocket::from_std(std::net::UdpSocket::bind("127.0.0.1:0")?)?;
    ///     assert!(socket.local_addr().is_ok());
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    #[track_caller]
    pub fn from_std(socket: S) -> io::Result<Self> {
        super::expect_runtime::<S>("from_std");
        socket.set_nonblocking_mode()?;
        Ok(Datagram {
            io: Arc::new(Async::new(socket)?),
        })
    }

    /// Deregisters the socket and returns the std one; fails while other clones are alive.
    ///
    /// ```
    /// use sprout::net::UdpSocket;
    /// sprout::run(async {
    ///     let socket = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let std_socket: std::net::UdpSocket = socket.into_std()?;
    ///     assert!(std_socket.local_addr().is_ok());
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub fn into_std(self) -> io::Result<S> {
        Arc::try_unwrap(self.io)
            .map_err(|_| io::Error::other("into_std: other clones of this socket are still alive"))?
            .into_inner()
    }

    /// Sends `buf` to the connected peer.
    ///
    /// ```
    /// use sprout::net::UdpSocket;
    /// sprout::run(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let b = UdpSocket::bind("127.0.0.1:0").await?;
    ///     a.connect(b.local_addr()?).await?;
    ///     assert_eq!(a.send(b"hi").await?, 2);
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.write_with(|socket| socket.send_datagram(buf)).await
    }

    /// Receives one datagram from the connected peer.
    ///
    /// ```
    /// use sprout::net::UdpSocket;
    /// sprout::run(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let b = UdpSocket::bind("127.0.0.1:0").await?;
    ///     b.connect(a.local_addr()?).await?;
    ///     a.send_to(b"hi", b.local_addr()?).await?;
    ///     let mut buf = [0u8; 8];
    ///     assert_eq!(b.recv(&mut buf).await?, 2);
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.read_with(|socket| socket.recv_datagram(buf)).await
    }

    /// Receives one datagram and the address it came from.
    ///
    /// ```
    /// use sprout::net::UdpSocket;
    /// sprout::run(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let b = UdpSocket::bind("127.0.0.1:0").await?;
    ///     a.send_to(b"hi", b.local_addr()?).await?;
    ///     let mut buf = [0u8; 8];
    ///     let (n, from) = b.recv_from(&mut buf).await?;
    ///     assert_eq!((n, from), (2, a.local_addr()?));
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, S::Addr)> {
        self.io
            .read_with(|socket| socket.recv_datagram_from(buf))
            .await
    }

    /// This socket's address.
    ///
    /// ```
    /// use sprout::net::UdpSocket;
    /// sprout::run(async {
    ///     let socket = UdpSocket::bind("127.0.0.1:0").await?;
    ///     assert!(socket.local_addr()?.port() > 0);
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub fn local_addr(&self) -> io::Result<S::Addr> {
        self.io.get_ref().bound_addr()
    }

    /// The connected peer's address.
    ///
    /// ```
    /// use sprout::net::UdpSocket;
    /// sprout::run(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let b = UdpSocket::bind("127.0.0.1:0").await?;
    ///     a.connect(b.local_addr()?).await?;
    ///     assert_eq!(a.peer_addr()?, b.local_addr()?);
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub fn peer_addr(&self) -> io::Result<S::Addr> {
        self.io.get_ref().connected_addr()
    }
}

impl<S: DatagramSocket> Clone for Datagram<S> {
    fn clone(&self) -> Self {
        Datagram {
            io: self.io.clone(),
        }
    }
}

impl<S: DatagramSocket> AsFd for Datagram<S> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.as_fd()
    }
}

impl<S: DatagramSocket> AsRawFd for Datagram<S> {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }
}

impl<S: DatagramSocket> fmt::Debug for Datagram<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.io.get_ref().fmt(f)
    }
}
