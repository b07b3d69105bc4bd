//! [`ByteStream<T>`]: the reading and writing that TCP and Unix streams share, written once.
//!
//! Where it sits in the flow:
//!
//! ```text
//! [stream.read(buf).await] → Async::read_bytes_with(recv) → WouldBlock → Pending → waker parked in reactor → epoll event → wake → [recv again → bytes]
//! ```
//!
//! `TcpStream` is `ByteStream<std::net::TcpStream>` and `UnixStream` is
//! `ByteStream<std::os::unix::net::UnixStream>`: one set of `read`/`write`/`write_all`/… methods
//! and one pair of `AsyncRead`/`AsyncWrite` impls serve both, and each protocol file adds only
//! what is its own (`connect`, `peer_addr`, `set_nodelay`, …).
//!
//! The stream is an `Arc` around `Async<T>`, so cloning it is cheap and the clones share one
//! registration: one task can read while another writes (the reactor keeps a waker per
//! direction). The same holds for `&ByteStream`, which also implements the traits.
//!
//! Invariants:
//! - I1: the fd stays registered while any clone lives; the last clone's drop deregisters it
//!   before closing it (async_io I1).
//!
//! Read next: `net/chunk.rs`.

use std::fmt;
use std::future::Future;
use std::io::{self, IoSlice, Read, Write};
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::sync::Arc;
use std::task::{Context, Poll};

use super::chunk::Chunk;
use crate::Async;

/// A std stream socket type that `ByteStream` can wrap: the three non-blocking calls it makes.
///
/// ```
/// use sprout::net::{ByteStream, StreamSocket};
/// fn takes_any_stream<T: StreamSocket>(_stream: &ByteStream<T>) {}
/// sprout::run(async {
///     let (a, _b) = sprout::net::UnixStream::pair()?;
///     takes_any_stream(&a);
///     std::io::Result::Ok(())
/// }).unwrap();
/// ```
pub trait StreamSocket: AsFd + Send + Sync + 'static {
    /// One non-blocking `read(2)`.
    fn read_bytes(&self, buf: &mut [u8]) -> io::Result<usize>;
    /// One non-blocking `send(2)`/`write(2)`.
    fn write_bytes(&self, buf: &[u8]) -> io::Result<usize>;
    /// One non-blocking `writev(2)`.
    fn write_bytes_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize>;
    /// Shuts down the read half, the write half, or both (as `std`'s `shutdown`).
    fn shutdown_socket(&self, how: Shutdown) -> io::Result<()>;
    /// Switches the socket to non-blocking mode.
    fn set_nonblocking_mode(&self) -> io::Result<()>;
}

/// Implements [`StreamSocket`] for std types whose shared references are `Read + Write`.
macro_rules! stream_socket {
    ($($socket:ty),*) => {$(
        impl StreamSocket for $socket {
            fn read_bytes(&self, buf: &mut [u8]) -> io::Result<usize> {
                (&*self).read(buf)
            }
            fn write_bytes(&self, buf: &[u8]) -> io::Result<usize> {
                (&*self).write(buf)
            }
            fn write_bytes_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
                (&*self).write_vectored(bufs)
            }
            fn shutdown_socket(&self, how: Shutdown) -> io::Result<()> {
                self.shutdown(how)
            }
            fn set_nonblocking_mode(&self) -> io::Result<()> {
                self.set_nonblocking(true)
            }
        }
    )*};
}

stream_socket!(std::net::TcpStream, std::os::unix::net::UnixStream);

/// An async byte stream over a std socket type; see `TcpStream` and `UnixStream`.
///
/// ```
/// sprout::run(async {
///     let (a, b) = sprout::net::UnixStream::pair()?; // a ByteStream<std::os::unix::net::UnixStream>
///     a.write_all(b"same API as TcpStream").await?;
///     let mut buf = [0u8; 21];
///     b.read_exact(&mut buf).await?;
///     assert_eq!(&buf, b"same API as TcpStream");
///     std::io::Result::Ok(())
/// }).unwrap();
/// ```
pub struct ByteStream<T: StreamSocket> {
    /// The registered socket, shared by all clones (I1).
    io: Arc<Async<T>>,
}

impl<T: StreamSocket> ByteStream<T> {
    /// Wraps a registered socket.
    pub(crate) fn from_async(io: Async<T>) -> Self {
        ByteStream { io: Arc::new(io) }
    }

    /// Wraps a connected std stream, switching it to non-blocking mode and registering it.
    ///
    /// # Panics
    /// When called outside a sprout runtime.
    ///
    /// ```
    /// sprout::run(async {
    ///     let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    ///     let std_stream = std::net::TcpStream::connect(listener.local_addr()?)?;
    ///     let stream = sprout::net::TcpStream::from_std(std_stream)?;
    ///     assert!(stream.peer_addr().is_ok());
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    #[track_caller]
    pub fn from_std(socket: T) -> io::Result<Self> {
        super::expect_runtime::<T>("from_std");
        socket.set_nonblocking_mode()?;
        Ok(Self::from_async(Async::new(socket)?))
    }

    /// The registered socket, for protocol-specific operations (`peek`, …).
    pub(crate) fn registered(&self) -> &Async<T> {
        &self.io
    }

    /// Deregisters the socket and returns the std one (still non-blocking). Fails if other
    /// clones of this stream are alive, since they still use the registration.
    ///
    /// ```
    /// sprout::run(async {
    ///     let (a, _b) = sprout::net::UnixStream::pair()?;
    ///     let other_handle = a.clone();
    ///     assert!(a.clone().into_std().is_err(), "other clones are alive");
    ///     drop(other_handle);
    ///     let plain: std::os::unix::net::UnixStream = a.into_std()?;
    ///     assert!(plain.peer_addr().is_ok());
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub fn into_std(self) -> io::Result<T> {
        match Arc::try_unwrap(self.io) {
            Ok(io) => io.into_inner(),
            Err(_) => Err(io::Error::other(
                "into_std: other clones of this stream are still alive",
            )),
        }
    }

    /// The std socket, for calls that need no waiting.
    ///
    /// ```
    /// sprout::run(async {
    ///     let (a, _b) = sprout::net::UnixStream::pair()?;
    ///     let std_socket: &std::os::unix::net::UnixStream = a.get_ref();
    ///     assert!(std_socket.peer_addr().is_ok());
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub fn get_ref(&self) -> &T {
        self.io.get_ref()
    }

    /// Reads some bytes into `buf`; `Ok(0)` means the peer closed its write half (EOF).
    ///
    /// ```
    /// sprout::run(async {
    ///     let (a, b) = sprout::net::UnixStream::pair()?;
    ///     a.write_all(b"hi").await?;
    ///     let mut buf = [0u8; 16];
    ///     let n = b.read(&mut buf).await?; // waits until something arrives
    ///     assert_eq!(&buf[..n], b"hi");
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub fn read<'a>(&'a self, buf: &'a mut [u8]) -> impl Future<Output = io::Result<usize>> + 'a {
        let room = buf.len();
        let read = |socket: &T| socket.read_bytes(buf).map(|bytes| (bytes, bytes));
        self.io.read_bytes_with(room, read)
    }

    /// Waits for data and reads it into a buffer of `size` bytes borrowed from this thread's pool
    /// ([`Chunk`]); an empty chunk means the end of the stream. While there is nothing to read,
    /// no buffer is held: a connection waiting for its next message costs its task's few bytes,
    /// not a buffer's worth (`cargo run --example echo` reads this way).
    ///
    /// # Panics
    /// If `size` is 0 (an empty read would look like the end of the stream).
    ///
    /// ```
    /// sprout::run(async {
    ///     let (a, b) = sprout::net::UnixStream::pair()?;
    ///     a.write_all(b"hello").await?;
    ///     drop(a);
    ///     let chunk = b.read_chunk(64 * 1024).await?;
    ///     assert_eq!(&chunk[..], b"hello");
    ///     assert!(b.read_chunk(64 * 1024).await?.is_empty(), "the end of the stream");
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub fn read_chunk(&self, size: usize) -> impl Future<Output = io::Result<Chunk>> + '_ {
        assert!(size > 0, "read_chunk needs room for at least one byte");
        // The buffer is borrowed inside the read, which runs only once the socket is readable:
        // a connection whose data has not come waits without one, and a read that finds
        // nothing gives it back before the task waits (chunk I1).
        self.io.read_bytes_with(size, move |socket| {
            let mut chunk = Chunk::borrow(size);
            let bytes = socket.read_bytes(chunk.space(size))?;
            Ok((chunk.filled(bytes), bytes))
        })
    }

    /// Writes some of `buf`; returns how many bytes were written.
    ///
    /// ```
    /// sprout::run(async {
    ///     let (a, _b) = sprout::net::UnixStream::pair()?;
    ///     let n = a.write(b"partial writes are possible").await?;
    ///     assert!(n > 0);
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub fn write<'a>(&'a self, buf: &'a [u8]) -> impl Future<Output = io::Result<usize>> + 'a {
        self.io
            .write_from(buf, |socket, buf| socket.write_bytes(buf))
    }

    /// One read (charged to the cooperative budget by its size).
    pub(super) fn poll_read_some(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.io
            .poll_read_into(cx, buf, |socket, buf| socket.read_bytes(buf))
    }

    /// One write, a plain `send` (measurably cheaper in the kernel than a one-element
    /// `writev`); a short write marks the socket full.
    pub(super) fn poll_write_some(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.io
            .poll_write_from(cx, buf, |socket, buf| socket.write_bytes(buf))
    }

    /// Writes all of `buf`, waiting for room in the socket buffer as needed.
    ///
    /// ```
    /// sprout::run(async {
    ///     let (a, b) = sprout::net::UnixStream::pair()?;
    ///     let big = vec![7u8; 1 << 20]; // larger than the socket buffer: write_all waits for room
    ///     let writer = sprout::spawn(async move { a.write_all(&big).await });
    ///     let mut got = vec![0u8; 1 << 20];
    ///     b.read_exact(&mut got).await?;
    ///     writer.await.unwrap()?;
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub fn write_all<'a>(&'a self, buf: &'a [u8]) -> impl Future<Output = io::Result<()>> + 'a {
        self.io
            .write_all_from(buf, |socket, buf| socket.write_bytes(buf))
    }

    /// Reads exactly `buf.len()` bytes; `UnexpectedEof` if the stream ends first.
    ///
    /// ```
    /// sprout::run(async {
    ///     let (a, b) = sprout::net::UnixStream::pair()?;
    ///     a.write_all(b"12345678").await?;
    ///     let mut header = [0u8; 4];
    ///     b.read_exact(&mut header).await?;
    ///     assert_eq!(&header, b"1234");
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub async fn read_exact(&self, mut buf: &mut [u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match self.read(buf).await? {
                0 => return Err(io::ErrorKind::UnexpectedEof.into()),
                read => buf = &mut buf[read..],
            }
        }
        Ok(())
    }

    /// Reads until EOF, appending to `buf`; returns how many bytes were read.
    ///
    /// ```
    /// sprout::run(async {
    ///     let (a, b) = sprout::net::UnixStream::pair()?;
    ///     a.write_all(b"all of it").await?;
    ///     drop(a); // EOF
    ///     let mut text = Vec::new();
    ///     b.read_to_end(&mut text).await?;
    ///     assert_eq!(text, b"all of it");
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub async fn read_to_end(&self, buf: &mut Vec<u8>) -> io::Result<usize> {
        let start = buf.len();
        let mut chunk = [0u8; 16 * 1024];
        loop {
            match self.read(&mut chunk).await? {
                0 => return Ok(buf.len() - start),
                read => buf.extend_from_slice(&chunk[..read]),
            }
        }
    }

    /// Does nothing: writes go straight to the socket. Present so code ported from `std` keeps
    /// its `flush` calls.
    ///
    /// ```
    /// sprout::run(async {
    ///     let (a, _b) = sprout::net::UnixStream::pair()?;
    ///     a.write_all(b"x").await?;
    ///     a.flush().await // a no-op, kept for ported code
    /// }).unwrap();
    /// ```
    pub async fn flush(&self) -> io::Result<()> {
        Ok(())
    }

    /// Shuts down the read half, the write half, or both. Synchronous, as in `std`: it never
    /// waits. Shutting down `Write` sends EOF to the peer while reading goes on (a half-close).
    ///
    /// ```
    /// use std::net::Shutdown;
    /// sprout::run(async {
    ///     let (a, b) = sprout::net::UnixStream::pair()?;
    ///     a.write_all(b"last words").await?;
    ///     a.shutdown(Shutdown::Write)?; // the peer sees EOF after the data
    ///     let mut text = Vec::new();
    ///     b.read_to_end(&mut text).await?;
    ///     assert_eq!(text, b"last words");
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.get_ref().shutdown_socket(how)
    }
}

impl<T: StreamSocket> Clone for ByteStream<T> {
    /// Another handle to the same socket (I1).
    fn clone(&self) -> Self {
        ByteStream {
            io: self.io.clone(),
        }
    }
}

// The traits are implemented on `&ByteStream` (reading and writing need only `&self`), and
// the owned stream delegates to that, so each poll function is written once.

impl<T: StreamSocket> AsFd for ByteStream<T> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.get_ref().as_fd()
    }
}

impl<T: StreamSocket> AsRawFd for ByteStream<T> {
    fn as_raw_fd(&self) -> RawFd {
        self.get_ref().as_fd().as_raw_fd()
    }
}

impl<T: StreamSocket + fmt::Debug> fmt::Debug for ByteStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.get_ref().fmt(f)
    }
}
