//! hyper 1.x on sprout: the ecosystem's HTTP implementation, unchanged, running on a sprout
//! `TcpListener` through two small adapters.
//!
//! - [`SproutIo`] implements hyper's `rt::Read` and `rt::Write` over a sprout `TcpStream`.
//! - [`SproutExecutor`] implements hyper's `rt::Executor` with `sprout::spawn`; here it runs each
//!   connection's future (HTTP/2 would also hand it its background tasks).
//!
//! ```text
//! cargo run --example hyper_hello                      # http://127.0.0.1:3000/
//! curl http://127.0.0.1:3000/                          # Hello, World!
//! ```
//!
//! Flow stages: accept → spawn (through the executor) → hyper polls `SproutIo` →
//! `TcpStream::poll_read` → Pending → reactor → wake → hyper writes the response.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_lite::io::{AsyncRead, AsyncWrite};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::rt::{Executor, ReadBufCursor};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use sprout::net::{TcpListener, TcpStream};

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

/// The service: "Hello, World!" for every request.
async fn hello(_request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(
        b"Hello, World!",
    ))))
}

/// Accepts connections on `listener` and serves each with hyper, forever.
pub async fn serve(listener: TcpListener) -> io::Result<()> {
    loop {
        let (stream, _peer) = listener.accept().await?;
        stream.set_nodelay(true)?;
        SproutExecutor.execute(async move {
            let connection =
                http1::Builder::new().serve_connection(SproutIo(stream), service_fn(hello));
            if let Err(error) = connection.await {
                eprintln!("hyper connection error: {error}");
            }
        });
    }
}

#[allow(dead_code)] // `tests/hyper_hello.rs` includes this file and uses `serve` only.
fn main() {
    let addr = std::env::args()
        .nth(2)
        .filter(|_| std::env::args().nth(1).as_deref() == Some("--addr"));
    let addr = addr.unwrap_or_else(|| "127.0.0.1:3000".to_string());
    let outcome = sprout::run(async move {
        let listener = TcpListener::bind(addr.as_str()).await?;
        println!(
            "hyper on sprout listening on http://{}/",
            listener.local_addr()?
        );
        let signals = sprout::net::shutdown_signal()?;
        // Serve until Ctrl-C/SIGTERM.
        futures_lite::future::or(serve(listener), async {
            signals.recv().await?;
            println!("stopped");
            Ok(())
        })
        .await
    });
    if let Err(error) = outcome {
        eprintln!("hyper_hello: {error}");
        std::process::exit(1);
    }
}
