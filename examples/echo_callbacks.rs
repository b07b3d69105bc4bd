//! The lecture's callbacks (docs chapter 4): the callback model (twisted). The event loop owns
//! everything; application code is a set of callbacks — `connection_made`, `data_received`,
//! `connection_lost` — that must never block and never wait. There are no futures here: compare
//! `Echo` below with `echo` in `common/echo_handler.rs`, where the same logic is one straight-line loop.
//!
//! ```text
//! cargo run --example echo_callbacks
//! cargo run --example echo_client -- "hello"
//! ```

#[path = "common/options.rs"]
mod options;

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;

use polling::{Event, Events, Poller};

/// What application code implements: callbacks the loop calls on events (twisted's Protocol).
trait Protocol {
    /// A client connected.
    fn connection_made(&mut self, _transport: &mut Transport) {}
    /// Bytes arrived. Reply through `transport.write`, which never blocks.
    fn data_received(&mut self, data: &[u8], transport: &mut Transport);
    /// The client went away.
    fn connection_lost(&mut self) {}
}

/// The connection as a protocol sees it: a write that queues.
struct Transport {
    /// The socket.
    conn: TcpStream,
    /// Bytes queued by `write` and not yet sent.
    outbox: Vec<u8>,
}

impl Transport {
    /// Queues `data`; the loop sends it when the socket has room.
    fn write(&mut self, data: &[u8]) {
        self.outbox.extend_from_slice(data);
    }
}

/// The echo protocol: everything received is written back.
struct Echo;

// ANCHOR: echo_protocol
impl Protocol for Echo {
    fn data_received(&mut self, data: &[u8], transport: &mut Transport) {
        transport.write(data);
    }
}
// ANCHOR_END: echo_protocol

/// A connection the loop tracks: its transport and the protocol instance driving it.
struct Connection {
    /// The socket side.
    transport: Transport,
    /// The application side.
    protocol: Box<dyn Protocol>,
}

/// A minimal reactor that calls protocols back (twisted's `reactor`).
struct EventLoop {
    /// The OS poller.
    poller: Poller,
    /// The listening socket, under key 0.
    listener: TcpListener,
    /// Makes a protocol for each new connection.
    factory: Box<dyn Fn() -> Box<dyn Protocol>>,
    /// Live connections by poller key.
    connections: HashMap<usize, Connection>,
    /// The next key to hand out.
    next_key: usize,
    /// Scratch space for reads.
    buffer: Vec<u8>,
}

impl EventLoop {
    /// Registers `source` under `key` in oneshot mode.
    fn watch(
        poller: &Poller,
        source: &impl std::os::fd::AsFd,
        key: usize,
        writable: bool,
    ) -> io::Result<()> {
        let interest = if writable {
            Event::writable(key)
        } else {
            Event::readable(key)
        };
        // SAFETY: every registered socket is deleted from the poller before it is dropped
        // (`drop_connection`, and the listener lives as long as the loop).
        #[allow(unsafe_code)]
        unsafe {
            poller.add(source.as_fd().as_raw_fd(), interest)
        }
    }

    /// Runs callbacks forever.
    fn run(&mut self) -> io::Result<()> {
        let mut events = Events::new();
        loop {
            events.clear();
            self.poller.wait(&mut events, None)?;
            for event in events.iter() {
                if event.key == 0 {
                    self.accept_all()?;
                    self.poller.modify(&self.listener, Event::readable(0))?;
                } else {
                    self.service(event.key)?;
                }
            }
        }
    }

    /// Accepts every waiting client and calls `connection_made`.
    fn accept_all(&mut self) -> io::Result<()> {
        while let Ok((conn, _)) = self.listener.accept() {
            conn.set_nonblocking(true)?;
            conn.set_nodelay(true)?;
            let key = self.next_key;
            self.next_key += 1;
            EventLoop::watch(&self.poller, &conn, key, false)?;
            let mut connection = Connection {
                transport: Transport {
                    conn,
                    outbox: Vec::new(),
                },
                protocol: (self.factory)(),
            };
            connection
                .protocol
                .connection_made(&mut connection.transport);
            self.connections.insert(key, connection);
        }
        Ok(())
    }

    /// Reads into `data_received`, sends the outbox, re-arms or closes.
    fn service(&mut self, key: usize) -> io::Result<()> {
        let Some(connection) = self.connections.get_mut(&key) else {
            return Ok(());
        };
        let Connection {
            transport,
            protocol,
        } = connection;
        let mut open = true;
        if transport.outbox.is_empty() {
            match transport.conn.read(&mut self.buffer) {
                Ok(0) => open = false,
                Ok(received) => protocol.data_received(&self.buffer[..received], transport),
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                Err(_) => open = false,
            }
        }
        while open && !transport.outbox.is_empty() {
            match transport.conn.write(&transport.outbox) {
                Ok(written) => {
                    transport.outbox.drain(..written);
                }
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => break,
                Err(_) => open = false,
            }
        }
        if !open {
            self.drop_connection(key);
            return Ok(());
        }
        let interest = if transport.outbox.is_empty() {
            Event::readable(key)
        } else {
            Event::writable(key)
        };
        self.poller.modify(&transport.conn, interest)
    }

    /// Deregisters, closes and tells the protocol.
    fn drop_connection(&mut self, key: usize) {
        if let Some(mut connection) = self.connections.remove(&key) {
            let _ = self.poller.delete(&connection.transport.conn);
            connection.protocol.connection_lost();
        }
    }
}

fn main() -> io::Result<()> {
    let options =
        options::Options::from_args("echo_callbacks [--addr HOST:PORT] [--buffer BYTES]", 4096);
    let listener = TcpListener::bind(&options.addr)?;
    listener.set_nonblocking(true)?;
    let poller = Poller::new()?;
    EventLoop::watch(&poller, &listener, 0, false)?;
    println!(
        "callback echo server listening on {}",
        listener.local_addr()?
    );
    let mut event_loop = EventLoop {
        poller,
        listener,
        factory: Box::new(|| Box::new(Echo)),
        connections: HashMap::new(),
        next_key: 1,
        buffer: vec![0u8; options.buffer],
    };
    event_loop.run()
}
