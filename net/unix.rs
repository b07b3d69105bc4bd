//! Unix domain sockets: [`UnixListener`], [`UnixStream`], [`UnixDatagram`].
//!
//! Where it sits in the flow: exactly as TCP (`tcp.rs`), over a filesystem path instead of an
//! address:
//!
//! ```text
//! [listener.accept().await] → Async::read_with(accept) → WouldBlock → Pending → waker parked in reactor → connect arrives → wake → [accept again]
//! ```
//!
//! `UnixStream::connect` is a non-blocking `connect`: a Unix connect either completes at once
//! or fails at once, except when the listener's backlog is full (`EAGAIN`). The kernel offers
//! no readiness event for room in another socket's backlog, so that rare case retries on a
//! timer, backing off from 1 ms to 64 ms; a cancelled connect (a `timeout`) leaves nothing
//! behind, where a blocking `connect` on the pool would hold a pool thread until the listener
//! accepted.
//!
//! Read next: `net/signal.rs`.

use std::io;
use std::os::unix::net::SocketAddr;
use std::os::unix::net::{
    UnixDatagram as StdUnixDatagram, UnixListener as StdUnixListener, UnixStream as StdUnixStream,
};
use std::path::Path;
use std::time::Duration;

use socket2::{Domain, SockAddr, Socket, Type};

use super::datagram::Datagram;
use super::listener::{Incoming, Listener};
use super::stream::ByteStream;

/// A Unix stream socket server: a [`Listener`] over std's listener, with
/// [`bind`](UnixListener::bind) and [`bind_addr`](UnixListener::bind_addr) added here.
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
pub type UnixListener = Listener<std::os::unix::net::UnixListener>;

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

impl Listener<std::os::unix::net::UnixListener> {
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
        super::expect_runtime::<StdUnixListener>("bind");
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
        super::expect_runtime::<StdUnixListener>("bind_addr");
        UnixListener::from_std(std::os::unix::net::UnixListener::bind_addr(addr)?)
    }
}

/// The stream returned by [`UnixListener::incoming`].
///
/// ```
/// use sprout::net::UnixListener;
/// sprout::run(async {
///     let dir = std::env::temp_dir().join(format!("sprout-doc-{}-{}", std::process::id(), line!()));
///     std::fs::create_dir_all(&dir)?;
///     let listener = UnixListener::bind(dir.join("s.sock"))?;
///     let _incoming: sprout::net::UnixIncoming<'_> = listener.incoming();
///     std::fs::remove_dir_all(&dir)
/// }).unwrap();
/// ```
pub type UnixIncoming<'a> = Incoming<'a, std::os::unix::net::UnixListener>;

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
        super::expect_runtime::<StdUnixStream>("connect");
        UnixStream::connect_to(SockAddr::unix(path)?).await
    }

    /// Connects to `addr`, which may be an abstract name on Linux (see
    /// [`UnixListener::bind_addr`]); like [`connect`](Self::connect).
    pub async fn connect_addr(addr: &std::os::unix::net::SocketAddr) -> io::Result<UnixStream> {
        super::expect_runtime::<StdUnixStream>("connect_addr");
        UnixStream::connect_to(unix_sockaddr(addr)?).await
    }

    /// One non-blocking connect, retried on a timer while the listener's backlog is full.
    async fn connect_to(addr: SockAddr) -> io::Result<UnixStream> {
        let socket = Socket::new(Domain::UNIX, Type::STREAM, None)?;
        socket.set_nonblocking(true)?;
        let mut backoff = Duration::from_millis(1);
        loop {
            match socket.connect(&addr) {
                Ok(()) => break,
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                    crate::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_millis(64));
                }
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        }
        let fd = std::os::fd::OwnedFd::from(socket);
        UnixStream::from_std(std::os::unix::net::UnixStream::from(fd))
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
        super::expect_runtime::<StdUnixStream>("pair");
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
pub type UnixDatagram = Datagram<std::os::unix::net::UnixDatagram>;

impl Datagram<std::os::unix::net::UnixDatagram> {
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
        super::expect_runtime::<StdUnixDatagram>("bind");
        Datagram::from_std(std::os::unix::net::UnixDatagram::bind(path)?)
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
        super::expect_runtime::<StdUnixDatagram>("bind_addr");
        Datagram::from_std(std::os::unix::net::UnixDatagram::bind_addr(addr)?)
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
        super::expect_runtime::<StdUnixDatagram>("unbound");
        Datagram::from_std(std::os::unix::net::UnixDatagram::unbound()?)
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
        super::expect_runtime::<StdUnixDatagram>("pair");
        let (a, b) = std::os::unix::net::UnixDatagram::pair()?;
        Ok((Datagram::from_std(a)?, Datagram::from_std(b)?))
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
}

/// `addr` as `socket2` takes it: a path, or on Linux an abstract name (a leading NUL byte).
fn unix_sockaddr(addr: &SocketAddr) -> io::Result<SockAddr> {
    if let Some(path) = addr.as_pathname() {
        return SockAddr::unix(path);
    }
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        #[cfg(target_os = "android")]
        use std::os::android::net::SocketAddrExt;
        #[cfg(target_os = "linux")]
        use std::os::linux::net::SocketAddrExt;
        use std::os::unix::ffi::OsStrExt;
        if let Some(name) = addr.as_abstract_name() {
            let bytes = [&[0u8][..], name].concat();
            return SockAddr::unix(std::ffi::OsStr::from_bytes(&bytes));
        }
    }
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        "an unnamed Unix socket address cannot be connected to",
    ))
}
