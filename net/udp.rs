//! UDP: [`UdpSocket`], std's datagram socket with `.await` on the calls that wait.
//!
//! Where it sits in the flow:
//!
//! ```text
//! [socket.recv_from(buf).await] → Async::read_with(recv_from) → WouldBlock → Pending → waker parked in reactor → datagram arrives → wake → [recv_from again]
//! ```
//!
//! Read next: `net/unix.rs`.

use std::io;
use std::net::SocketAddr;

use super::addr::{first_success, resolve, ToSocketAddrs};
use super::datagram::Datagram;

/// A UDP socket: a [`Datagram`] over std's socket, with binding, connecting, `send_to`,
/// `peek` and broadcast added here. Cloning gives another handle to the same socket.
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
pub type UdpSocket = Datagram<std::net::UdpSocket>;

impl Datagram<std::net::UdpSocket> {
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
        super::expect_runtime::<std::net::UdpSocket>("bind");
        let addrs = resolve(addr).await?;
        first_success(addrs, |addr| async move {
            Datagram::from_std(std::net::UdpSocket::bind(addr)?)
        })
        .await
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
