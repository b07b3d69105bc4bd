//! The lecture's select server (docs chapter 2): one thread, many clients, with a readiness loop.
//! The lecture uses `select.select`; this is the same loop on the `polling` crate (epoll), the very
//! poller inside sprout's reactor. A line on stdin stops the server, as in the lecture.
//!
//! ```text
//! cargo run --example echo_select
//! cargo run --example echo_client -- "hello"       # from a second terminal
//! ```
//!
//! Compare with `echo.rs`: here *we* keep each client's pending output and decide what to wait
//! for next; in sprout the task's own code does that, and the runtime does the waiting.

#[path = "common/options.rs"]
mod options;

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsFd;

use polling::{Event, Events, Poller};

/// The poller key of the listening socket.
const LISTENER: usize = 0;
/// The poller key of stdin.
const STDIN: usize = 1;

/// One client and the echo bytes it has not been able to take yet.
struct Client {
    /// The connection.
    conn: TcpStream,
    /// Bytes read but not yet written back.
    pending: Vec<u8>,
}

fn main() -> io::Result<()> {
    let options =
        options::Options::from_args("echo_select [--addr HOST:PORT] [--buffer BYTES]", 4096);
    let listener = TcpListener::bind(&options.addr)?;
    listener.set_nonblocking(true)?;
    println!(
        "select-loop echo server listening on {} (a line on stdin stops it)",
        listener.local_addr()?
    );
    let poller = Poller::new()?;
    let mut events = Events::new();
    let mut clients: HashMap<usize, Client> = HashMap::new();
    let mut next_key = STDIN + 1;
    let mut data = vec![0u8; options.buffer];

    // SAFETY: the listener and stdin outlive the poller's use of them: both are deleted from the
    // poller at the end of main, before they are dropped.
    #[allow(unsafe_code)]
    unsafe {
        poller.add(&listener, Event::readable(LISTENER))?;
        // Stdin can be polled when it is a terminal or a pipe; not when it is /dev/null.
        if poller.add(&io::stdin(), Event::readable(STDIN)).is_err() {
            println!("(stdin is not pollable here; stop with Ctrl-C)");
        }
    }

    // ANCHOR: select_loop
    'serve: loop {
        events.clear();
        poller.wait(&mut events, None)?; // The "select" call.
        for event in events.iter() {
            match event.key {
                LISTENER => {
                    // Oneshot mode: re-arm after every event.
                    poller.modify(&listener, Event::readable(LISTENER))?;
                    while let Ok((conn, _)) = listener.accept() {
                        conn.set_nonblocking(true)?;
                        conn.set_nodelay(true)?;
                        let key = next_key;
                        next_key += 1;
                        // SAFETY: the connection is deleted from the poller before it is dropped
                        // (see `close` below).
                        #[allow(unsafe_code)]
                        unsafe {
                            poller.add(&conn, Event::readable(key))?
                        };
                        clients.insert(
                            key,
                            Client {
                                conn,
                                pending: Vec::new(),
                            },
                        );
                    }
                }
                STDIN => break 'serve,
                key => {
                    let Some(client) = clients.get_mut(&key) else {
                        continue;
                    };
                    let keep = serve_client(client, &mut data).unwrap_or(false);
                    if keep {
                        // Wait for room to write if output is pending, else for more input.
                        let interest = if client.pending.is_empty() {
                            Event::readable(key)
                        } else {
                            Event::writable(key)
                        };
                        poller.modify(&client.conn, interest)?;
                    } else if let Some(client) = clients.remove(&key) {
                        close(&poller, client);
                    }
                }
            }
        }
    }
    // ANCHOR_END: select_loop
    for (_, client) in clients.drain() {
        close(&poller, client);
    }
    poller.delete(&listener)?;
    let _ = poller.delete(io::stdin().as_fd());
    println!("stopped");
    Ok(())
}

/// Reads per wake-up before moving on to other clients, so one fast client cannot hog the loop.
const READS_PER_TURN: usize = 16;

/// Moves bytes for one ready client. `Ok(false)` when the client is done.
fn serve_client(client: &mut Client, data: &mut [u8]) -> io::Result<bool> {
    for _ in 0..READS_PER_TURN {
        // First flush what is pending, then read more (only when nothing is pending, so a
        // client that does not read its echo cannot make us buffer without bound).
        while !client.pending.is_empty() {
            match client.conn.write(&client.pending) {
                Ok(written) => {
                    client.pending.drain(..written);
                }
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => return Ok(true),
                Err(error) => return Err(error),
            }
        }
        match client.conn.read(data) {
            Ok(0) => return Ok(false),
            Ok(received) => client.pending.extend_from_slice(&data[..received]),
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => return Ok(true),
            Err(error) => return Err(error),
        }
    }
    Ok(true) // Still busy: the re-armed interest fires again at once.
}

/// Deregisters and closes a client.
fn close(poller: &Poller, client: Client) {
    let _ = poller.delete(&client.conn);
    drop(client.conn);
}
