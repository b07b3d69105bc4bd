//! Stage 1 of the lecture: the blocking echo server. One client at a time: while it serves one
//! connection, every other client waits in the listen backlog.
//!
//! No sprout at all — this is the baseline the other stages improve on.
//!
//! ```text
//! cargo run --example echo_blocking                 # 127.0.0.1:10000, 16-byte reads
//! cargo run --example echo_client -- "hello"        # from a second terminal
//! ```
//!
//! Try two `nc 127.0.0.1 10000` at once: the second gets no echo until the first quits.

#[path = "common/options.rs"]
mod options;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};

/// Serves one connection to the end: the blocking loop of the lecture.
fn serve(mut conn: TcpStream, buffer: usize) -> std::io::Result<()> {
    conn.set_nodelay(true)?;
    let mut data = vec![0u8; buffer];
    loop {
        let received = conn.read(&mut data)?; // blocks
        if received == 0 {
            return conn.shutdown(Shutdown::Write);
        }
        conn.write_all(&data[..received])?; // blocks
    }
}

fn main() -> std::io::Result<()> {
    let options =
        options::Options::from_args("echo_blocking [--addr HOST:PORT] [--buffer BYTES]", 16);
    // std sets SO_REUSEADDR on Unix, as the lecture's setsockopt call does.
    let listener = TcpListener::bind(&options.addr)?;
    println!(
        "blocking echo server listening on {}",
        listener.local_addr()?
    );
    loop {
        let (conn, peer) = listener.accept()?; // blocks
        if let Err(error) = serve(conn, options.buffer) {
            eprintln!("{peer}: {error}");
        }
    }
}
