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

use std::time::Duration;

use sprout::net::{StreamServer, TcpStream};

#[path = "common/options.rs"]
mod options;

/// One connection: read what arrives, write it back, until the client closes its side. The
/// handler is in its own file so that chapter 6's tiny runtime can run the very same code; it
/// uses the `TcpStream` imported above.
#[path = "common/echo_handler.rs"]
mod echo_handler;
pub use echo_handler::echo;

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
