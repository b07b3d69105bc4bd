//! UDP: [`UdpSocket`], std's datagram socket with `.await` on the calls that wait.
//!
//! Where it sits in the flow:
//!
//! ```text
//! [socket.recv_from(buf).await] → Async::read_with(recv_from) → WouldBlock → Pending → waker parked in reactor → datagram arrives → wake → [recv_from again]
//! ```
//!
//! Read next: `unix.rs`.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::sync::Arc;

use super::addr::{first_success, resolve, ToSocketAddrs};
use crate::Async;

/// A UDP socket. Cloning gives another handle to the same socket.
///
/// ```
/// use sprout::net::UdpSocket;
///
/// sprout::run(async {
///     let a = UdpSocket::bind("127.0.0.1:0").await?;
///     let b = UdpSocket::bind("127.0.0.1:0").await?;
///     a.send_to(b"ping", b.local_addr()?).await?;
///     let mut buf = [0u8; 16];
///     let (n, from) = b.recv_from(&mut buf).await?;
///     assert_eq!((&buf[..n], from), (&b"ping"[..], a.local_addr()?));
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
#[derive(Clone)]
pub struct UdpSocket {
    /// The registered socket, shared by clones.
    io: Arc<Async<std::net::UdpSocket>>,
}

impl UdpSocket {
    /// Creates a socket bound to `addr` (port 0 picks a free port).
    ///
    /// ```
    /// use sprout::net::UdpSocket;
    /// sprout::run(async {
    ///     let socket = UdpSocket::bind("127.0.0.1:0").await?;
    ///     assert!(socket.local_addr()?.port() > 0);
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<UdpSocket> {
        crate::runtime::expect_runtime("sprout::net::UdpSocket::bind");
        let addrs = resolve(addr).await?;
        first_success(addrs, |addr| async move {
            UdpSocket::from_std(std::net::UdpSocket::bind(addr)?)
        })
        .await
    }

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
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        crate::runtime::expect_runtime("sprout::net::UdpSocket::from_std");
        socket.set_nonblocking(true)?;
        Ok(UdpSocket {
            io: Arc::new(Async::new(socket)?),
        })
    }

    /// Deregisters the socket and returns the std one; fails while other clones are alive.
    ///
    /// ```
    /// use sprout::net::UdpSocket;
    /// sprout::run(async {
    ///     let socket = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let plain: std::net::UdpSocket = socket.into_std()?;
    ///     assert!(plain.local_addr().is_ok());
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub fn into_std(self) -> io::Result<std::net::UdpSocket> {
        Arc::try_unwrap(self.io)
            .map_err(|_| io::Error::other("into_std: other clones of this socket are still alive"))?
            .into_inner()
    }

    /// Sets the default peer for `send` and `recv`, and filters out datagrams from others.
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
    pub async fn connect(&self, addr: impl ToSocketAddrs) -> io::Result<()> {
        let addrs = resolve(addr).await?;
        first_success(addrs, |addr| async move { self.io.get_ref().connect(addr) }).await
    }

    /// Sends `buf` to the connected peer.
    ///
    /// ```
    /// use sprout::net::UdpSocket;
    /// sprout::run(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let b = UdpSocket::bind("127.0.0.1:0").await?;
    ///     a.connect(b.local_addr()?).await?;
    ///     assert_eq!(a.send(b"datagram").await?, 8);
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.write_with(|socket| socket.send(buf)).await
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
    ///     let n = b.recv(&mut buf).await?;
    ///     assert_eq!(&buf[..n], b"hi");
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.read_with(|socket| socket.recv(buf)).await
    }

    /// Sends `buf` to `addr` (the first address it resolves to).
    ///
    /// ```
    /// use sprout::net::UdpSocket;
    /// sprout::run(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let b = UdpSocket::bind("127.0.0.1:0").await?;
    ///     a.send_to(b"to b", b.local_addr()?).await?;
    ///     let mut buf = [0u8; 8];
    ///     assert_eq!(b.recv_from(&mut buf).await?.0, 4);
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub async fn send_to(&self, buf: &[u8], addr: impl ToSocketAddrs) -> io::Result<usize> {
        let target = resolve(addr).await?[0];
        self.io
            .write_with(|socket| socket.send_to(buf, target))
            .await
    }

    /// Receives one datagram and the address it came from.
    ///
    /// ```
    /// use sprout::net::UdpSocket;
    /// sprout::run(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let b = UdpSocket::bind("127.0.0.1:0").await?;
    ///     a.send_to(b"who?", b.local_addr()?).await?;
    ///     let mut buf = [0u8; 8];
    ///     let (_, from) = b.recv_from(&mut buf).await?;
    ///     assert_eq!(from, a.local_addr()?);
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.read_with(|socket| socket.recv_from(buf)).await
    }

    /// Receives a datagram without consuming it.
    ///
    /// ```
    /// use sprout::net::UdpSocket;
    /// sprout::run(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let b = UdpSocket::bind("127.0.0.1:0").await?;
    ///     a.send_to(b"peek", b.local_addr()?).await?;
    ///     let mut buf = [0u8; 8];
    ///     let (n, _) = b.peek_from(&mut buf).await?;
    ///     assert_eq!(b.recv_from(&mut buf).await?.0, n); // still there
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub async fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.read_with(|socket| socket.peek_from(buf)).await
    }

    /// Receives a datagram from the connected peer without consuming it.
    ///
    /// ```
    /// use sprout::net::UdpSocket;
    /// sprout::run(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let b = UdpSocket::bind("127.0.0.1:0").await?;
    ///     b.connect(a.local_addr()?).await?;
    ///     a.send_to(b"peek", b.local_addr()?).await?;
    ///     let mut buf = [0u8; 8];
    ///     let n = b.peek(&mut buf).await?;
    ///     assert_eq!(b.recv(&mut buf).await?, n); // still there
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.read_with(|socket| socket.peek(buf)).await
    }

    /// This socket's address.
    ///
    /// ```
    /// use sprout::net::UdpSocket;
    /// sprout::run(async {
    ///     let socket = UdpSocket::bind("127.0.0.1:0").await?;
    ///     assert_eq!(socket.local_addr()?.ip().to_string(), "127.0.0.1");
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The connected peer's address.
    ///
    /// ```
    /// use sprout::net::UdpSocket;
    /// sprout::run(async {
    ///     let socket = UdpSocket::bind("127.0.0.1:0").await?;
    ///     assert!(socket.peer_addr().is_err(), "not connected yet");
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Allows sending to broadcast addresses.
    ///
    /// ```
    /// use sprout::net::UdpSocket;
    /// sprout::run(async {
    ///     let socket = UdpSocket::bind("127.0.0.1:0").await?;
    ///     socket.set_broadcast(true)?;
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.io.get_ref().set_broadcast(on)
    }
}

impl AsFd for UdpSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.as_fd()
    }
}

impl AsRawFd for UdpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.io.get_ref().fmt(f)
    }
}
