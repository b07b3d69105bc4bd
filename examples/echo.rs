//! The headline: the lecture's echo server, concurrent, with handlers that read like blocking
//! code. Every connection gets its own task; a slow client never holds up the others.
//!
//! Flow stages exercised: all of them — accept → spawn → read → Pending → epoll → wake → write.
//!
//! Run it, then talk to it from a second terminal:
//!
//! ```text
//! cargo run --example echo                      # serves on 127.0.0.1:10000
//! cargo run --example echo -- --addr 127.0.0.1:9000 --buffer 16
//! cargo run --example echo_client -- --interactive   # type lines; they come back
//! cargo run --example echo_client -- "hello"    # one message, echoed
//! ```
//!
//! Ctrl-C stops it gracefully: no new connections, in-flight ones get a grace period.

use std::net::Shutdown;
use std::time::Duration;

use sprout::net::{StreamServer, TcpStream};

#[path = "common/options.rs"]
mod options;

/// One connection: read what arrives, write it back, until the client closes its side.
/// (`tests/net_tcp_echo.rs` runs this very function.)
///
/// The buffer is borrowed only while there is something in it: `read_chunk` waits for data
/// first, then reads into a buffer from the worker's pool, and dropping the chunk gives it back.
/// So a connection that waits for its next message holds no buffer, and ten thousand idle
/// clients cost ten thousand small tasks, not ten thousand buffers.
// ANCHOR: echo_handler
pub async fn echo(stream: TcpStream, buffer: usize) -> std::io::Result<()> {
    // Replies go out whole and at once; without this, Nagle's algorithm and delayed ACKs make
    // every small round trip wait ~40 ms.
    stream.set_nodelay(true)?;
    loop {
        let data = stream.read_chunk(buffer).await?;
        if data.is_empty() {
            // The client shut down its write side: finish ours too (a half-close echo).
            return stream.shutdown(Shutdown::Write);
        }
        stream.write_all(&data).await?;
    }
}
// ANCHOR_END: echo_handler

fn main() {
    let options =
        options::Options::from_args("echo [--addr HOST:PORT] [--buffer BYTES]", 64 * 1024);
    if let Some(unknown) = options.rest.first() {
        eprintln!("unknown argument {unknown:?} (try --help)");
        std::process::exit(2);
    }
    let buffer = options.buffer;
    let outcome = sprout::run(async move {
        let server = StreamServer::bind(options.addr.as_str(), move |stream, _peer| {
            echo(stream, buffer)
        })
        .await?
        .grace_period(Duration::from_secs(5));
        let addr = server.local_addr()?;
        println!("sprout echo server listening on {addr}");
        println!(
            "try: cargo run --example echo_client -- --addr {addr} --interactive (Ctrl-C to stop)"
        );
        server.serve_forever().await?;
        println!("stopped cleanly");
        std::io::Result::Ok(())
    });
    if let Err(error) = outcome {
        eprintln!("echo server failed: {error}");
        std::process::exit(1);
    }
}
