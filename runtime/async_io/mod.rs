//! `Async<T>`: makes any non-blocking I/O object with a file descriptor awaitable.
//!
//! Where it sits in the flow:
//!
//! ```text
//! spawn → run queue → poll → [try the syscall → WouldBlock → Pending → waker parked in reactor] → epoll event → wake → run queue → poll → [try again]
//! ```
//!
//! `Async::new(io)` registers the fd with the reactor once. After that, [`Async::read_with`]
//! runs your non-blocking operation; if it fails with `WouldBlock`, it clears the cached
//! readiness, parks the task until the reactor reports the fd readable again, and retries. The
//! user never sees `WouldBlock`. Everything in `sprout::net` is a thin typed layer over this.
//!
//! Invariants:
//! - I1: the fd is deregistered from the reactor before the I/O object is dropped or returned
//!   (`Drop`, `into_inner`); this is what makes the reactor's `unsafe` registration sound. No
//!   method gives out `&mut T`, so the object cannot be swapped for another while registered.
//! - I2: each successful operation spends one unit of the task's cooperative budget, so a socket
//!   that is always ready cannot monopolise a worker (`coop.rs`).
//! - I3: an operation that would wait after the runtime has shut down fails with an error
//!   instead (reactor I5): an `Async` used from a plain thread outlives its runtime without
//!   hanging that thread.
//! - I4: readiness is forgotten only when the kernel would say "would block": after a
//!   `WouldBlock`, after a short write (the send buffer is full), and — where the reactor
//!   reports a peer's FIN (`EPOLLRDHUP`) — after a short byte-stream read that left no end of
//!   stream behind. A short read with the FIN already seen keeps readability, so the reader
//!   comes back for the end of stream that no later event would announce; so does one after
//!   an event from a wait that could not see a FIN (`polling`'s, where the raw wait is not
//!   used), until a read has seen `WouldBlock`.
//!
//! Production note: this is the shape of smol's `async-io::Async`; tokio's `AsyncFd` is the
//! same idea with a readiness guard instead of closures.
//!
//! Read next: `runtime/async_io/bytes.rs`.

use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_lite::future::poll_fn;

mod bytes;

use crate::runtime::coop;
use crate::runtime::direction::Direction;
use crate::runtime::hooks::Event;
use crate::runtime::reactor::{Reactor, Source, Wait};
use crate::runtime::scheduler::context;
use crate::runtime::wait_list::Ticket;

/// A non-blocking I/O object registered with the reactor.
///
/// `T` must already be in non-blocking mode (for std sockets: `set_nonblocking(true)`); a
/// blocking fd would block the whole worker thread.
///
/// ```
/// use std::io::{Read, Write};
/// use std::os::unix::net::UnixStream;
/// use sprout::Async;
///
/// sprout::run(async {
///     let (a, b) = UnixStream::pair()?;
///     a.set_nonblocking(true)?;
///     b.set_nonblocking(true)?;
///     let (a, b) = (Async::new(a)?, Async::new(b)?);
///     b.write_with(|mut stream| stream.write(b"ping")).await?;
///     let mut buffer = [0; 4];
///     let n = a.read_with(|mut stream| stream.read(&mut buffer)).await?;
///     assert_eq!(&buffer[..n], b"ping");
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
pub struct Async<T: AsFd> {
    /// The I/O object; `None` only between `into_inner`/`Drop` taking it and the end of `self`.
    io: Option<T>,
    /// Our entry in the reactor: readiness and parked wakers.
    source: Arc<Source>,
    /// The reactor we are registered with (kept so `Drop` works from any thread).
    reactor: Arc<Reactor>,
}

impl<T: AsFd> Async<T> {
    /// Registers `io` with the current runtime's reactor.
    ///
    /// # Panics
    /// When called outside a sprout runtime.
    ///
    /// ```
    /// use std::os::unix::net::UnixStream;
    /// sprout::run(async {
    ///     let (a, _b) = UnixStream::pair()?;
    ///     a.set_nonblocking(true)?;
    ///     let a = sprout::Async::new(a)?;
    ///     assert!(a.get_ref().peer_addr().is_ok());
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    #[track_caller]
    pub fn new(io: T) -> io::Result<Async<T>> {
        let reactor = context::expect_reactor("sprout::Async::new");
        let source = reactor.register(io.as_fd())?;
        Ok(Async {
            io: Some(io),
            source,
            reactor,
        })
    }

    /// The I/O object, for calls that do not need readiness (`local_addr`, `set_nodelay`, …).
    ///
    /// ```
    /// use std::net::UdpSocket;
    /// sprout::run(async {
    ///     let socket = UdpSocket::bind("127.0.0.1:0")?;
    ///     socket.set_nonblocking(true)?;
    ///     let socket = sprout::Async::new(socket)?;
    ///     assert_eq!(socket.get_ref().local_addr()?.ip().to_string(), "127.0.0.1");
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub fn get_ref(&self) -> &T {
        self.io
            .as_ref()
            .expect("the I/O object is present until Async is consumed")
    }

    /// Deregisters the fd and gives the I/O object back (still non-blocking).
    ///
    /// ```
    /// use std::os::unix::net::UnixStream;
    /// sprout::run(async {
    ///     let (a, _b) = UnixStream::pair()?;
    ///     a.set_nonblocking(true)?;
    ///     let registered = sprout::Async::new(a)?;
    ///     let plain: UnixStream = registered.into_inner()?; // no longer in the reactor
    ///     assert!(plain.peer_addr().is_ok());
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub fn into_inner(mut self) -> io::Result<T> {
        let io = self
            .io
            .take()
            .expect("the I/O object is present until Async is consumed");
        self.reactor.deregister(&self.source, io.as_fd()); // I1
        Ok(io)
    }

    /// Waits until the fd is readable: the kernel reports it readable now or later. A later read
    /// may still find nothing (another task got there first); prefer [`read_with`](Self::read_with).
    ///
    /// ```
    /// use std::io::Write;
    /// use std::os::unix::net::UnixStream;
    /// sprout::run(async {
    ///     let (a, mut b) = UnixStream::pair()?;
    ///     a.set_nonblocking(true)?;
    ///     let a = sprout::Async::new(a)?;
    ///     b.write_all(b"!")?;
    ///     a.readable().await?; // data is waiting now
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub async fn readable(&self) -> io::Result<()> {
        self.wait_fresh(Direction::Read).await
    }

    /// Waits until the fd is writable; see [`readable`](Self::readable).
    ///
    /// ```
    /// use std::os::unix::net::UnixStream;
    /// sprout::run(async {
    ///     let (a, _b) = UnixStream::pair()?;
    ///     a.set_nonblocking(true)?;
    ///     let a = sprout::Async::new(a)?;
    ///     a.writable().await?; // an empty socket buffer has room
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub async fn writable(&self) -> io::Result<()> {
        self.wait_fresh(Direction::Write).await
    }

    /// Forgets cached readiness, asks the kernel to re-report the fd's state, and waits for it.
    async fn wait_fresh(&self, direction: Direction) -> io::Result<()> {
        let tick = self.source.tick();
        self.source.clear_readiness(direction, tick);
        self.reactor.rearm(&self.source, self.get_ref().as_fd())?;
        let mut wait = Wait::new(&self.source, direction); // reactor I6
        poll_fn(|cx| self.poll_known_ready(direction, cx, wait.ticket())).await
    }

    /// `Ready` once the fd is ready in `direction` as far as the reactor knows, else parks the
    /// task's waker (`pending_unless_closed`).
    pub(crate) fn poll_known_ready(
        &self,
        direction: Direction,
        cx: &mut Context<'_>,
        ticket: Option<&mut Ticket>,
    ) -> Poll<io::Result<()>> {
        match self.source.poll_ready(direction, cx, ticket) {
            // coop I5: readiness already known answers at once, so it spends a unit.
            Poll::Ready(_) => coop::poll_proceed(cx).map(Ok),
            Poll::Pending => self.pending_unless_closed(),
        }
    }

    /// After parking a waker: `Pending`, unless the runtime has shut down, in which case nothing
    /// will ever wake it and the operation fails instead (reactor I5).
    fn pending_unless_closed<R>(&self) -> Poll<io::Result<R>> {
        if self.reactor.is_closed() {
            Poll::Ready(Err(io::Error::other(
                "the sprout runtime this I/O object belongs to has shut down",
            )))
        } else {
            Poll::Pending
        }
    }

    /// Runs the non-blocking read-side operation `op` until it does not fail with `WouldBlock`,
    /// waiting for readability in between. Also retries `Interrupted`.
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use std::os::unix::net::UnixStream;
    /// sprout::run(async {
    ///     let (a, mut b) = UnixStream::pair()?;
    ///     a.set_nonblocking(true)?;
    ///     let a = sprout::Async::new(a)?;
    ///     let reader = sprout::spawn(async move {
    ///         let mut buf = [0u8; 5];
    ///         // Retried after each WouldBlock, once the reactor reports the socket readable.
    ///         let n = a.read_with(|mut s| s.read(&mut buf)).await?;
    ///         std::io::Result::Ok(buf[..n].to_vec())
    ///     });
    ///     b.write_all(b"hello")?;
    ///     assert_eq!(reader.await.unwrap()?, b"hello");
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub async fn read_with<R>(&self, mut op: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        let mut wait = Wait::new(&self.source, Direction::Read);
        poll_fn(|cx| self.poll_io_until(cx, Direction::Read, &mut op, |_| false, wait.ticket()))
            .await
    }

    /// Runs the non-blocking write-side operation `op`; see [`read_with`](Self::read_with).
    ///
    /// ```
    /// use std::io::Write;
    /// use std::os::unix::net::UnixStream;
    /// sprout::run(async {
    ///     let (a, _b) = UnixStream::pair()?;
    ///     a.set_nonblocking(true)?;
    ///     let a = sprout::Async::new(a)?;
    ///     let written = a.write_with(|mut s| s.write(b"ping")).await?;
    ///     assert_eq!(written, 4);
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub async fn write_with<R>(&self, mut op: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        let mut wait = Wait::new(&self.source, Direction::Write);
        poll_fn(|cx| self.poll_io_until(cx, Direction::Write, &mut op, |_| false, wait.ticket()))
            .await
    }

    /// The poll form of [`read_with`](Self::read_with), for `AsyncRead` implementations.
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use std::os::unix::net::UnixStream;
    /// use futures_lite::future::poll_fn;
    /// sprout::run(async {
    ///     let (a, mut b) = UnixStream::pair()?;
    ///     a.set_nonblocking(true)?;
    ///     let a = sprout::Async::new(a)?;
    ///     b.write_all(b"x")?;
    ///     let mut buf = [0u8; 1];
    ///     let n = poll_fn(|cx| a.poll_read_with(cx, |mut s| s.read(&mut buf))).await?;
    ///     assert_eq!(n, 1);
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub fn poll_read_with<R>(
        &self,
        cx: &mut Context<'_>,
        op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.poll_io(cx, Direction::Read, op)
    }

    /// The poll form of [`write_with`](Self::write_with), for `AsyncWrite` implementations.
    ///
    /// ```
    /// use std::io::Write;
    /// use std::os::unix::net::UnixStream;
    /// use futures_lite::future::poll_fn;
    /// sprout::run(async {
    ///     let (a, _b) = UnixStream::pair()?;
    ///     a.set_nonblocking(true)?;
    ///     let a = sprout::Async::new(a)?;
    ///     let n = poll_fn(|cx| a.poll_write_with(cx, |mut s| s.write(b"y"))).await?;
    ///     assert_eq!(n, 1);
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub fn poll_write_with<R>(
        &self,
        cx: &mut Context<'_>,
        op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.poll_io(cx, Direction::Write, op)
    }

    /// The retry loop shared by both directions.
    fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.poll_io_until(cx, direction, op, |_| false, None)
    }

    /// The retry loop: spend a budget unit (I2), wait for cached readiness, try `op`; on
    /// `WouldBlock` forget the readiness (at the tick it was seen, so a newer event survives) and
    /// wait; on success, also forget it if `drained` says the result proves the socket drained.
    // ANCHOR: poll_io
    pub(super) fn poll_io_until<R>(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        mut op: impl FnMut(&T) -> io::Result<R>,
        drained: impl Fn(&R) -> bool,
        mut ticket: Option<&mut Ticket>,
    ) -> Poll<io::Result<R>> {
        let proceed = match direction {
            Direction::Read => coop::poll_proceed(cx),
            // A refused write would look like a full socket to a buffering writer (coop I4).
            Direction::Write => coop::poll_proceed_write(cx),
        };
        if proceed.is_pending() {
            return Poll::Pending; // I2
        }
        let io = self.get_ref();
        loop {
            let Poll::Ready(tick) = self.source.poll_ready(direction, cx, ticket.as_deref_mut())
            else {
                return self.pending_unless_closed();
            };
            match op(io) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.source.clear_readiness(direction, tick);
                    let fd = self.source.fd();
                    self.reactor.report(|| Event::WouldBlock { fd, direction });
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Ok(value) => {
                    if drained(&value) {
                        self.source.clear_readiness(direction, tick);
                    }
                    return Poll::Ready(Ok(value));
                }
                Err(error) => return Poll::Ready(Err(error)),
            }
        }
    }
    // ANCHOR_END: poll_io
}

impl<T: AsFd> AsFd for Async<T> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.get_ref().as_fd()
    }
}

impl<T: AsFd> AsRawFd for Async<T> {
    fn as_raw_fd(&self) -> RawFd {
        self.get_ref().as_fd().as_raw_fd()
    }
}

impl<T: AsFd> Drop for Async<T> {
    fn drop(&mut self) {
        if let Some(io) = self.io.take() {
            self.reactor.deregister(&self.source, io.as_fd()); // I1
            drop(io);
        }
    }
}

impl<T: AsFd + fmt::Debug> fmt::Debug for Async<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Async").field("io", &self.io).finish()
    }
}
