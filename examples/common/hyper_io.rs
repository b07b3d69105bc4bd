//! hyper's runtime traits answered by sprout: [`SproutIo`] (`rt::Read`/`rt::Write` over a sprout
//! `TcpStream`) and [`SproutExecutor`] (`rt::Executor` with `sprout::spawn`). Shared by the
//! `hyper_hello` server and the `hyper_client` example; each includes it with `#[path]`.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_lite::io::{AsyncRead, AsyncWrite};
use hyper::rt::{Executor, ReadBufCursor};
use sprout::net::TcpStream;

/// A sprout `TcpStream` seen through hyper's I/O traits.
pub struct SproutIo(pub TcpStream);

impl hyper::rt::Read for SproutIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        // hyper hands out uninitialised memory, which only `unsafe` code may write into
        // directly. Reading into a scratch buffer and copying with the safe `put_slice` costs
        // one copy and keeps this adapter free of `unsafe`. The buffer is per thread and reused:
        // a fresh zeroed 8 KiB array per call measurably slowed small requests.
        thread_local! {
            static SCRATCH: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(vec![0u8; 8 * 1024]);
        }
        SCRATCH.with(|scratch| {
            let mut chunk = scratch.borrow_mut();
            let want = buf.remaining().min(chunk.len());
            match Pin::new(&mut &self.0).poll_read(cx, &mut chunk[..want]) {
                Poll::Ready(Ok(read)) => {
                    buf.put_slice(&chunk[..read]);
                    Poll::Ready(Ok(()))
                }
                Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
                Poll::Pending => Poll::Pending,
            }
        })
    }
}

impl hyper::rt::Write for SproutIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &self.0).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut &self.0).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut &self.0).poll_close(cx)
    }
}

/// hyper's executor trait, answered with `sprout::spawn`.
#[derive(Clone, Copy, Debug, Default)]
pub struct SproutExecutor;

impl<F> Executor<F> for SproutExecutor
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn execute(&self, future: F) {
        sprout::spawn(future).detach();
    }
}
