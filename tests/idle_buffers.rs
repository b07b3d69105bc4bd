//! Idle connections are nearly free: the echo example's handler holds no buffer while it waits
//! for its next message (`ByteStream::read_chunk`, `net/chunk.rs`). With a counting global
//! allocator, 400 connections that have each echoed one message and now wait add less than
//! 4 KiB each to the live heap — with a 64 KiB buffer per connection, as the handler had
//! before, they added 64 KiB each.
//!
//! One test in its own binary, since the allocator counts every thread of the process.

mod support;

use std::sync::atomic::Ordering;
use std::time::Duration;

use sprout::net::TcpStream;
use support::counting_alloc::{Counting, LIVE};
use support::net::start_echo_server;
use support::within;

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Connections held open at once (800 fds with the server's side).
const CONNECTIONS: usize = 400;

/// The target for an idle connection that has echoed one message.
const MOST_BYTES_PER_IDLE_CONNECTION: isize = 4 * 1024;

#[test]
fn an_idle_echo_connection_holds_no_buffer() {
    within(Duration::from_secs(120), "idle connections", || {
        // No watchdog thread: it would allocate on its own schedule.
        let rt = sprout::Runtime::builder()
            .workers(1)
            .watchdog(Duration::ZERO)
            .build()
            .expect("a runtime");
        rt.block_on(async {
            let (addr, stop, serving) = start_echo_server(None).await;
            // One connection first, so the server's one-time allocations (its task, its
            // connection table's first slots, the worker's pooled buffer) are not counted.
            let warm = TcpStream::connect(addr).await.unwrap();
            echo_once(&warm).await;
            let before = LIVE.load(Ordering::SeqCst);
            let mut clients = Vec::with_capacity(CONNECTIONS);
            for _ in 0..CONNECTIONS {
                let client = TcpStream::connect(addr).await.unwrap();
                echo_once(&client).await;
                clients.push(client);
            }
            // The clients' own side is counted too (a `TcpStream` each, and the vector):
            // the bound is on everything one more idle connection costs this process.
            let grown = LIVE.load(Ordering::SeqCst) - before;
            let each = grown / CONNECTIONS as isize;
            assert!(
                each < MOST_BYTES_PER_IDLE_CONNECTION,
                "{CONNECTIONS} idle connections grew the heap by {grown} bytes: {each} each"
            );
            drop(clients);
            drop(warm);
            stop.stop();
            serving.await.unwrap().unwrap();
        });
    });
}

/// Sends one 64-byte message and waits for its echo: afterwards the handler waits for the next.
async fn echo_once(client: &TcpStream) {
    let message = [7u8; 64];
    client.write_all(&message).await.unwrap();
    let mut reply = [0u8; 64];
    client.read_exact(&mut reply).await.unwrap();
    assert_eq!(reply, message);
}
