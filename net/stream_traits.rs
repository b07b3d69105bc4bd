//! `ByteStream<T>` as `futures_lite`'s `AsyncRead` and `AsyncWrite`, on the stream and on a
//! shared reference to it, so the ecosystem's adapters (`BufReader`, `copy`, codecs, hyper's
//! I/O glue) work on sprout's sockets.
//!
//! Where it sits in the flow: the same as `ByteStream::read`/`write` (`stream.rs`), which these
//! impls call; `poll_flush` has nothing to do (no user-space buffer) and `poll_close` shuts the
//! write half down, as a socket's close does.
//!
//! ```text
//! [AsyncRead::poll_read] → ByteStream::poll_read_some → Async::poll_read_into → WouldBlock → Pending → waker parked in reactor → …
//! ```
//!
//! Read next: `net/listener.rs`.

use std::io::{self, IoSlice};
use std::net::Shutdown;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_lite::io::{AsyncRead, AsyncWrite};

use super::stream::{ByteStream, StreamSocket};

impl<T: StreamSocket> AsyncRead for &ByteStream<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_read_some(cx, buf)
    }
}

impl<T: StreamSocket> AsyncWrite for &ByteStream<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_some(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.registered()
            .poll_write_with(cx, |socket| socket.write_bytes_vectored(bufs))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(())) // Nothing is buffered: writes go straight to the socket.
    }

    /// A half-close of the write side; a socket the peer already reset counts as closed.
    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.shutdown(Shutdown::Write) {
            Err(error) if error.kind() != io::ErrorKind::NotConnected => Poll::Ready(Err(error)),
            _ => Poll::Ready(Ok(())),
        }
    }
}

impl<T: StreamSocket> AsyncRead for ByteStream<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self).poll_read(cx, buf)
    }
}

impl<T: StreamSocket> AsyncWrite for ByteStream<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut &*self).poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut &*self).poll_close(cx)
    }
}
