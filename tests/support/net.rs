//! Network helpers for the tests: an echo server on a loopback port, payloads, a client.

use std::net::SocketAddr;

use sprout::net::{StopHandle, StreamServer, TcpStream};

#[path = "../../examples/echo.rs"]
#[allow(dead_code)]
mod echo_example;

/// Starts the echo example's handler in a `StreamServer` on 127.0.0.1 (a free port), as a task.
/// Returns the address, the stop handle, and the serving task.
pub async fn start_echo_server(
    max_connections: Option<usize>,
) -> (
    SocketAddr,
    StopHandle,
    sprout::JoinHandle<std::io::Result<()>>,
) {
    let mut server = StreamServer::bind("127.0.0.1:0", |stream, _peer| {
        echo_example::echo(stream, 64 * 1024)
    })
    .await
    .expect("bind the echo server")
    .handle_signals(false);
    if let Some(limit) = max_connections {
        server = server.max_connections(limit);
    }
    let addr = server.local_addr().unwrap();
    let stop = server.stop_handle();
    (addr, stop, sprout::spawn(server.serve_forever()))
}

/// Runs the echo example's handler on `stream` until it returns, for a test that puts the
/// connection in some state first.
pub async fn run_echo_handler(stream: TcpStream) -> std::io::Result<()> {
    echo_example::echo(stream, 64 * 1024).await
}

/// The size of the echo example's handler future for `stream`: the state machine the compiler
/// wrote for it, which is what a connection's task stores (docs chapter 5).
pub fn echo_future_size(stream: TcpStream) -> usize {
    std::mem::size_of_val(&echo_example::echo(stream, 64 * 1024))
}

/// A deterministic pseudo-random payload (xorshift), so failures are reproducible.
pub fn payload(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

/// Sends `data` while reading the echo concurrently (so neither side's buffers fill up),
/// half-closes, and returns everything echoed until EOF.
pub async fn echo_round_trip(addr: SocketAddr, data: Vec<u8>) -> std::io::Result<Vec<u8>> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let writer = stream.clone();
    let sending = sprout::spawn(async move {
        writer.write_all(&data).await?;
        writer.shutdown(std::net::Shutdown::Write)
    });
    let mut echoed = Vec::new();
    stream.read_to_end(&mut echoed).await?;
    sending.await.expect("the writer task")?;
    Ok(echoed)
}
