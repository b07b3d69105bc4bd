//! The peer echo servers for `echo_bench`: tokio (current_thread), smol (one thread), and a
//! hand-written edge-triggered loop on `epoll` itself, with no runtime at all (the practical
//! limit); and tokio multi_thread with two workers (`tokio-mt`), for `echo_bench --two-workers`.
//! sprout is benchmarked as itself: the `echo` example binary with `SPROUT_WORKERS=1` (or 2).
//!
//! ```text
//! echo_server --kind tokio|tokio-mt|smol|smol-mt|epoll --addr 127.0.0.1:0 [--threads N]
//! ```
//!
//! Every server: one thread (`--threads`, default 2, for `tokio-mt` and `smol-mt`: one shared
//! `smol::Executor` run by N threads), a 64 KiB read buffer, `TCP_NODELAY`, replies written
//! whole. It prints `listening on ADDR` first.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};

/// Bytes per read, the same for every contender.
const BUFFER: usize = 64 * 1024;

fn main() -> io::Result<()> {
    let value = sprout_bench::flag;
    let kind = value("--kind").unwrap_or_else(|| "epoll".into());
    let addr: SocketAddr = value("--addr")
        .unwrap_or_else(|| "127.0.0.1:0".into())
        .parse()
        .expect("--addr IP:PORT");
    let threads: usize = value("--threads").map_or(2, |v| v.parse().expect("--threads N"));
    match kind.as_str() {
        "tokio" => tokio_server(addr, tokio::runtime::Builder::new_current_thread()),
        "tokio-mt" => {
            let mut builder = tokio::runtime::Builder::new_multi_thread();
            builder.worker_threads(threads);
            tokio_server(addr, builder)
        }
        "smol" => smol_server(addr),
        "smol-mt" => smol_mt_server(addr, threads),
        "epoll" => epoll_server(addr),
        other => panic!("unknown --kind {other}"),
    }
}

/// A listener with the same backlog as sprout's (`sprout::net::LISTEN_BACKLOG`), large enough
/// for thousands of simultaneous connects. std's `TcpListener::bind` asks for 128: `echo_load`
/// opens its connections in one burst with a 1 s connect timeout, so with 128 a peer served
/// only part of the 500 connections it was given (a lighter load, and lighter figures).
fn listener(addr: SocketAddr) -> io::Result<TcpListener> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(sprout::net::LISTEN_BACKLOG)?;
    let listener: TcpListener = socket.into();
    println!("listening on {}", listener.local_addr()?);
    Ok(listener)
}

/// tokio, on the runtime `builder` makes (current_thread, or multi_thread): a task per
/// connection.
fn tokio_server(addr: SocketAddr, mut builder: tokio::runtime::Builder) -> io::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let runtime = builder.enable_all().build()?;
    runtime.block_on(async {
        let std_listener = listener(addr)?;
        std_listener.set_nonblocking(true)?;
        let listener = tokio::net::TcpListener::from_std(std_listener)?;
        loop {
            let (mut stream, _) = listener.accept().await?;
            stream.set_nodelay(true)?;
            tokio::spawn(async move {
                let mut data = vec![0u8; BUFFER];
                loop {
                    match stream.read(&mut data).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => {
                            if stream.write_all(&data[..n]).await.is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
    })
}

/// smol on one thread: a `LocalExecutor` run by `smol::block_on`, a task per connection.
fn smol_server(addr: SocketAddr) -> io::Result<()> {
    let executor = smol::LocalExecutor::new();
    smol::block_on(executor.run(smol_accept(addr, |stream| {
        executor.spawn(smol_echo(stream)).detach()
    })))
}

/// smol's accept loop: each connection, with `TCP_NODELAY`, goes to `spawn`.
async fn smol_accept(addr: SocketAddr, spawn: impl Fn(smol::net::TcpStream)) -> io::Result<()> {
    let listener = smol::net::TcpListener::try_from(listener(addr)?)?;
    loop {
        let (stream, _) = listener.accept().await?;
        stream.set_nodelay(true)?;
        spawn(stream);
    }
}

/// One smol connection: read up to `BUFFER` bytes, write them back whole, until the end.
async fn smol_echo(mut stream: smol::net::TcpStream) {
    use smol::io::{AsyncReadExt, AsyncWriteExt};
    let mut data = vec![0u8; BUFFER];
    loop {
        match stream.read(&mut data).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if stream.write_all(&data[..n]).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// smol on `threads` threads: one `Executor` that each thread runs (smol's own recipe for a
/// multi-threaded executor), a task per connection.
fn smol_mt_server(addr: SocketAddr, threads: usize) -> io::Result<()> {
    let executor: &'static smol::Executor<'static> = Box::leak(Box::new(smol::Executor::new()));
    for _ in 1..threads {
        std::thread::spawn(move || smol::block_on(executor.run(smol::future::pending::<()>())));
    }
    smol::block_on(executor.run(smol_accept(addr, |stream| {
        executor.spawn(smol_echo(stream)).detach()
    })))
}

/// One connection of the raw loop: the socket and the echo bytes it has not taken yet.
struct Connection {
    /// The socket.
    stream: TcpStream,
    /// Bytes read but not yet written back.
    pending: Vec<u8>,
}

/// The raw loop: `epoll` called directly (no `polling` wrapper, which re-arms a timerfd and its
/// notifier on every wait), edge-triggered, each fd registered once; no tasks, no wakers. The
/// practical limit for one thread.
fn epoll_server(addr: SocketAddr) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let listener = listener(addr)?;
    listener.set_nonblocking(true)?;
    // SAFETY: plain syscalls on fds we own; `epoll_event` is plain data. Every registered fd is
    // removed from `connections` (and so closed) only after EPOLL_CTL_DEL.
    #[allow(unsafe_code)]
    unsafe {
        let epoll = libc::epoll_create1(libc::EPOLL_CLOEXEC);
        if epoll < 0 {
            return Err(io::Error::last_os_error());
        }
        let add = |fd: i32, flags: u32| {
            let mut event = libc::epoll_event {
                events: flags,
                u64: fd as u64,
            };
            if libc::epoll_ctl(epoll, libc::EPOLL_CTL_ADD, fd, &mut event) < 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        };
        let listener_fd = listener.as_raw_fd();
        add(listener_fd, (libc::EPOLLIN | libc::EPOLLET) as u32)?;
        let mut connections: HashMap<i32, Connection> = HashMap::new();
        let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; 1024];
        let mut data = vec![0u8; BUFFER];
        loop {
            let ready = libc::epoll_wait(epoll, events.as_mut_ptr(), events.len() as i32, -1);
            if ready < 0 {
                let error = io::Error::last_os_error();
                if error.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(error);
            }
            for event in &events[..ready as usize] {
                let fd = event.u64 as i32;
                if fd == listener_fd {
                    while let Ok((stream, _)) = listener.accept() {
                        stream.set_nonblocking(true)?;
                        stream.set_nodelay(true)?;
                        let conn_fd = stream.as_raw_fd();
                        add(
                            conn_fd,
                            (libc::EPOLLIN | libc::EPOLLOUT | libc::EPOLLET) as u32,
                        )?;
                        connections.insert(
                            conn_fd,
                            Connection {
                                stream,
                                pending: Vec::new(),
                            },
                        );
                    }
                    continue;
                }
                let Some(connection) = connections.get_mut(&fd) else {
                    continue;
                };
                if !serve(connection, &mut data) {
                    libc::epoll_ctl(epoll, libc::EPOLL_CTL_DEL, fd, std::ptr::null_mut());
                    connections.remove(&fd);
                }
            }
        }
    }
}

/// Moves all available bytes for one connection (edge-triggered: until `WouldBlock`).
/// Returns `false` when the connection is finished.
fn serve(connection: &mut Connection, data: &mut [u8]) -> bool {
    loop {
        while !connection.pending.is_empty() {
            match connection.stream.write(&connection.pending) {
                Ok(n) => {
                    connection.pending.drain(..n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return true,
                Err(_) => return false,
            }
        }
        match connection.stream.read(data) {
            Ok(0) => return false,
            Ok(n) => match connection.stream.write(&data[..n]) {
                Ok(written) => connection.pending.extend_from_slice(&data[written..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    connection.pending.extend_from_slice(&data[..n])
                }
                Err(_) => return false,
            },
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return true,
            Err(_) => return false,
        }
    }
}
