//! hyper 1.x on sprout: the ecosystem's HTTP implementation, unchanged, running on a sprout
//! `TcpListener` through two small adapters (in `common/hyper_io.rs`, shared with
//! `hyper_client`).
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
use std::io;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::rt::Executor;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use sprout::net::TcpListener;

#[path = "common/hyper_io.rs"]
mod hyper_io;
pub use hyper_io::{SproutExecutor, SproutIo};

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
