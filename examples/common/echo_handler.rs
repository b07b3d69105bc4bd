//! The echo server's per-connection handler, in a file of its own so that two runtimes run the
//! very same code: sprout (`examples/echo.rs`) and the one-file runtime of
//! `examples/tiny_runtime.rs` (docs chapter 6). Not an example itself.
//!
//! It names `super::TcpStream`: whichever `TcpStream` the including program imports. That is
//! gevent's monkey-patching made explicit — swap one import, and the same handler runs on
//! another runtime.

use std::io::ErrorKind;
use std::net::Shutdown;

use super::TcpStream;

/// One connection: read what arrives, write it back, until the client closes its side.
/// (`tests/net_tcp_echo.rs` runs this very function on sprout.)
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
            // The client shut down its write side: finish ours too (a half-close echo). If it
            // has gone altogether (a reset after its FIN), `NotConnected` says there is nothing
            // left to finish: a normal end, not a failure.
            return match stream.shutdown(Shutdown::Write) {
                Err(error) if error.kind() == ErrorKind::NotConnected => Ok(()),
                finished => finished,
            };
        }
        stream.write_all(&data).await?;
    }
}
// ANCHOR_END: echo_handler
