//! The lecture's first server (docs chapter 1): the blocking echo server. One client at a time:
//! while it serves one connection, every other client waits in the listen backlog.
//!
//! No sprout at all — this is the baseline the other stages improve on.
//!
//! ```text
//! cargo run --example echo_blocking                 # 127.0.0.1:10000, 16-byte reads
//! cargo run --example echo_client -- "hello"        # from a second terminal
//! ```
//!
//! Try two `cargo run --example echo_client -- --interactive` at once: the second gets no echo
//! until the first quits.
//!
//! The loop itself is in `common/blocking_echo.rs`, shared with `echo_threads` and
//! `echo_processes`: the same code, run in different places.

#[path = "common/blocking_echo.rs"]
mod blocking_echo;
#[path = "common/options.rs"]
mod options;

use std::net::TcpListener;

fn main() -> std::io::Result<()> {
    let options =
        options::Options::from_args("echo_blocking [--addr HOST:PORT] [--buffer BYTES]", 16);
    // std sets SO_REUSEADDR on Unix, as the lecture's setsockopt call does.
    let listener = TcpListener::bind(&options.addr)?;
    println!(
        "blocking echo server listening on {}",
        listener.local_addr()?
    );
    // ANCHOR: accept_loop
    loop {
        let (conn, peer) = listener.accept()?; // blocks
        if let Err(error) = blocking_echo::serve(conn, options.buffer) {
            eprintln!("{peer}: {error}");
        }
    }
    // ANCHOR_END: accept_loop
}
