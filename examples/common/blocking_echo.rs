//! The lecture's blocking echo loop, shared by the stages that use blocking sockets
//! (`echo_blocking`, `echo_threads`, `echo_processes`): the same code, run in different places.
//! Not an example itself; each includes it with `#[path]`.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};

/// Serves one connection to the end: read what arrives (blocking), write it back (blocking),
/// until the client shuts down its side; then shut down ours.
// ANCHOR: blocking_serve
pub fn serve(mut conn: TcpStream, buffer: usize) -> std::io::Result<()> {
    // Replies go out whole and at once (no Nagle delay on small echoes).
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
// ANCHOR_END: blocking_serve
