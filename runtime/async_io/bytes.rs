//! `Async<T>` for byte streams: a read or write that also charges the task's cooperative budget
//! by the bytes moved, and traces them; and `poll_read_ready`, for a reader that borrows its
//! buffer only once there is something to read (`ByteStream::read_chunk`).
//!
//! Where it sits in the flow: the same retry loop as every `Async` operation (`async_io/mod.rs`),
//! plus a charge on the way out:
//!
//! ```text
//! poll → [try read → n bytes → charge n bytes to the budget] → … → budget spent → yield → run queue
//! ```
//!
//! Read next: `runtime/time/mod.rs` (the futures built on the timer queue).

use std::future::Future;
use std::io;
use std::os::fd::AsFd;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::Async;
use crate::runtime::coop;
use crate::runtime::direction::Direction;
use crate::runtime::hooks::Event;
use crate::runtime::wait_list::Ticket;

impl<T: AsFd> Async<T> {
    /// `Ready` once the fd is readable as far as the reactor knows; else parks the task's waker
    /// and returns `Pending`. Unlike [`readable`](Self::readable) it trusts cached readiness (no
    /// re-arm), so a read after it may still find nothing and wait. For a reader that prepares
    /// something before each read and would rather not when the read would only wait:
    /// `TcpStream::read_chunk` borrows its buffer after this says "ready".
    ///
    /// ```
    /// use std::io::Write;
    /// use std::os::unix::net::UnixStream;
    /// use futures_lite::future::poll_fn;
    /// sprout::run(async {
    ///     let (a, mut b) = UnixStream::pair()?;
    ///     a.set_nonblocking(true)?;
    ///     let a = sprout::Async::new(a)?;
    ///     b.write_all(b"?")?;
    ///     poll_fn(|cx| a.poll_read_ready(cx)).await?;
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_known_ready(Direction::Read, cx, None)
    }

    /// For byte-stream sockets: reads into `buf` with `op`, like
    /// [`poll_read_with`](Self::poll_read_with), and charges the task's cooperative budget for the
    /// bytes read (`coop.rs`), so a bulk transfer yields as often as small requests do. A read
    /// shorter than `buf` is taken to have emptied the stream (async_io I4), so message-oriented
    /// fds (`SOCK_SEQPACKET`, where one read returns one message) must use `poll_read_with`.
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use std::os::unix::net::UnixStream;
    /// use futures_lite::future::poll_fn;
    /// sprout::run(async {
    ///     let (a, mut b) = UnixStream::pair()?;
    ///     a.set_nonblocking(true)?;
    ///     let a = sprout::Async::new(a)?;
    ///     b.write_all(b"abc")?;
    ///     let mut buf = [0u8; 8];
    ///     let n = poll_fn(|cx| a.poll_read_into(cx, &mut buf, |mut s, buf| s.read(buf))).await?;
    ///     assert_eq!(&buf[..n], b"abc");
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub fn poll_read_into(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
        mut op: impl FnMut(&T, &mut [u8]) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        let room = buf.len();
        let read = |io: &T| op(io, buf).map(|bytes| (bytes, bytes));
        self.poll_read_counted(cx, room, read, None)
    }

    /// The future twin of [`poll_read_into`](Self::poll_read_into), for a reader that makes
    /// its buffer only once the fd is readable: `op` reads into up to `room` bytes and returns
    /// what it made with the count it read (`sprout::net`'s `read_chunk` borrows a pooled
    /// buffer inside `op`, so a connection that waits holds none). Dropped before it completes
    /// — by a `timeout`, or as the loser of a `select` — it takes its waker back out of the
    /// reactor (reactor I6), where a poll-API caller's waker stays until the next event.
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use std::os::unix::net::UnixStream;
    /// sprout::run(async {
    ///     let (a, mut b) = UnixStream::pair()?;
    ///     a.set_nonblocking(true)?;
    ///     let a = sprout::Async::new(a)?;
    ///     b.write_all(b"abc")?;
    ///     let text = a
    ///         .read_bytes_with(8, |mut s| {
    ///             let mut buf = vec![0u8; 8];
    ///             let n = s.read(&mut buf)?;
    ///             buf.truncate(n);
    ///             Ok((buf, n))
    ///         })
    ///         .await?;
    ///     assert_eq!(text, b"abc");
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub fn read_bytes_with<'a, R>(
        &'a self,
        room: usize,
        op: impl FnMut(&T) -> io::Result<(R, usize)> + 'a,
    ) -> impl Future<Output = io::Result<R>> + 'a {
        ReadBytes {
            io: self,
            room,
            op,
            ticket: None,
        }
    }

    /// One byte-stream read of up to `room` bytes: the shared core of the two above.
    fn poll_read_counted<R>(
        &self,
        cx: &mut Context<'_>,
        room: usize,
        op: impl FnMut(&T) -> io::Result<(R, usize)>,
        ticket: Option<&mut Ticket>,
    ) -> Poll<io::Result<R>> {
        // A short read emptied the socket's receive buffer: forget the readability now, and skip
        // the `recv` that would only fail with `EAGAIN` — unless the peer has closed its side, or
        // may have (an event from a wait that cannot tell), whose end of stream no later event
        // would announce (I4).
        let drained = |&(_, bytes): &(R, usize)| {
            self.reactor.reports_read_closed()
                && bytes > 0
                && bytes < room
                && !self.source.end_of_stream_possible()
        };
        let read = self.poll_io_until(cx, Direction::Read, op, drained, ticket);
        read.map_ok(|(value, bytes)| {
            coop::charge_bytes(bytes);
            let fd = self.source.fd();
            self.reactor.report(|| Event::Read { fd, bytes });
            value
        })
    }

    /// For byte-stream sockets: writes `buf` with `op`, like
    /// [`poll_write_with`](Self::poll_write_with), charging the budget for the bytes written
    /// (see [`poll_read_into`](Self::poll_read_into)). A short write proves the socket's send buffer
    /// is full, so the cached writability is cleared at once: the next write waits for the
    /// reactor's "writable" edge (which comes when the peer's ACKs free space, or when the
    /// socket closes) instead of first trying a `send` that would fail with `WouldBlock`.
    ///
    /// Reads do the same after a *short* read, on Linux: the reactor registers fds with
    /// `EPOLLRDHUP`, which records a peer's FIN as sticky "read closed" readiness, so a short
    /// read that left an end of stream behind keeps the readability (async_io I4;
    /// `tests/net_tcp_echo.rs::data_and_fin_in_one_burst_still_reach_eof`).
    ///
    /// ```
    /// use std::io::Write;
    /// use std::os::unix::net::UnixStream;
    /// use futures_lite::future::poll_fn;
    /// sprout::run(async {
    ///     let (a, _b) = UnixStream::pair()?;
    ///     a.set_nonblocking(true)?;
    ///     let a = sprout::Async::new(a)?;
    ///     let n = poll_fn(|cx| a.poll_write_from(cx, b"data", |mut s, buf| s.write(buf))).await?;
    ///     assert_eq!(n, 4);
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub fn poll_write_from(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        op: impl FnMut(&T, &[u8]) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        self.poll_write_counted(cx, buf, op, None)
    }

    /// The future twin of [`poll_write_from`](Self::poll_write_from): dropped before it
    /// completes, it takes its waker back out of the reactor (reactor I6).
    ///
    /// ```
    /// use std::io::Write;
    /// use std::os::unix::net::UnixStream;
    /// sprout::run(async {
    ///     let (a, _b) = UnixStream::pair()?;
    ///     a.set_nonblocking(true)?;
    ///     let a = sprout::Async::new(a)?;
    ///     let n = a.write_from(b"data", |mut s, buf| s.write(buf)).await?;
    ///     assert_eq!(n, 4);
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub fn write_from<'a>(
        &'a self,
        buf: &'a [u8],
        op: impl FnMut(&T, &[u8]) -> io::Result<usize> + 'a,
    ) -> impl Future<Output = io::Result<usize>> + 'a {
        WriteFrom::<_, _, false> {
            io: self,
            buf,
            op,
            ticket: None,
        }
    }

    /// Like [`write_from`](Self::write_from), but writes the whole of `buf`, waiting for room
    /// as needed; `WriteZero` if `op` writes nothing. One future around the whole loop: a
    /// connection's task holds it while the peer is slow to read.
    ///
    /// ```
    /// use std::io::Write;
    /// use std::os::unix::net::UnixStream;
    /// sprout::run(async {
    ///     let (a, _b) = UnixStream::pair()?;
    ///     a.set_nonblocking(true)?;
    ///     let a = sprout::Async::new(a)?;
    ///     a.write_all_from(b"data", |mut s, buf| s.write(buf)).await?;
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub fn write_all_from<'a>(
        &'a self,
        buf: &'a [u8],
        op: impl FnMut(&T, &[u8]) -> io::Result<usize> + 'a,
    ) -> impl Future<Output = io::Result<()>> + 'a {
        WriteFrom::<_, _, true> {
            io: self,
            buf,
            op,
            ticket: None,
        }
    }

    /// One byte-stream write: the shared core of the two above.
    fn poll_write_counted(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        mut op: impl FnMut(&T, &[u8]) -> io::Result<usize>,
        ticket: Option<&mut Ticket>,
    ) -> Poll<io::Result<usize>> {
        let len = buf.len();
        let full = |&n: &usize| n < len;
        let written = self.poll_io_until(cx, Direction::Write, |io| op(io, buf), full, ticket);
        if let Poll::Ready(Ok(bytes)) = written {
            coop::charge_bytes(bytes);
            let fd = self.source.fd();
            self.reactor.report(|| Event::Wrote { fd, bytes, len });
        }
        written
    }
}

/// The future of [`Async::read_bytes_with`]. A named type rather than an `async fn`, so each
/// field is stored once: it is what an idle connection's task holds while it waits.
struct ReadBytes<'a, T: AsFd, F> {
    /// The registered fd.
    io: &'a Async<T>,
    /// How many bytes a read may bring.
    room: usize,
    /// The read itself.
    op: F,
    /// Our place in the source's read list, while parked (reactor I6).
    ticket: Ticket,
}

// No field is pinned: `poll` only borrows them, so the future may move freely.
impl<T: AsFd, F> Unpin for ReadBytes<'_, T, F> {}

impl<T: AsFd, R, F: FnMut(&T) -> io::Result<(R, usize)>> Future for ReadBytes<'_, T, F> {
    type Output = io::Result<R>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<R>> {
        let this = self.get_mut();
        let ticket = Some(&mut this.ticket);
        this.io
            .poll_read_counted(cx, this.room, &mut this.op, ticket)
    }
}

impl<T: AsFd, F> Drop for ReadBytes<'_, T, F> {
    fn drop(&mut self) {
        self.io.source.forget(Direction::Read, &mut self.ticket); // reactor I6
    }
}

/// The future of [`Async::write_from`] (`WHOLE = false`) and [`Async::write_all_from`]
/// (`WHOLE = true`); see [`ReadBytes`].
struct WriteFrom<'a, T: AsFd, F, const WHOLE: bool> {
    /// The registered fd.
    io: &'a Async<T>,
    /// What is left to write.
    buf: &'a [u8],
    /// The write itself.
    op: F,
    /// Our place in the source's write list, while parked (reactor I6).
    ticket: Ticket,
}

// No field is pinned: `poll` only borrows them, so the future may move freely.
impl<T: AsFd, F, const WHOLE: bool> Unpin for WriteFrom<'_, T, F, WHOLE> {}

impl<T: AsFd, F: FnMut(&T, &[u8]) -> io::Result<usize>> Future for WriteFrom<'_, T, F, false> {
    type Output = io::Result<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let ticket = Some(&mut this.ticket);
        this.io
            .poll_write_counted(cx, this.buf, &mut this.op, ticket)
    }
}

impl<T: AsFd, F: FnMut(&T, &[u8]) -> io::Result<usize>> Future for WriteFrom<'_, T, F, true> {
    type Output = io::Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        while !this.buf.is_empty() {
            let ticket = Some(&mut this.ticket);
            match this
                .io
                .poll_write_counted(cx, this.buf, &mut this.op, ticket)
            {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(written)) => this.buf = &this.buf[written..],
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl<T: AsFd, F, const WHOLE: bool> Drop for WriteFrom<'_, T, F, WHOLE> {
    fn drop(&mut self) {
        self.io.source.forget(Direction::Write, &mut self.ticket); // reactor I6
    }
}
