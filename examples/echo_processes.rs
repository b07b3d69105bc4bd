//! The lecture's processes (docs chapter 3, beside threads): a pool of worker processes. Each
//! worker is its own process with a plain blocking loop, serving one client at a time; the kernel
//! spreads new connections over the workers because each binds the same port with `SO_REUSEPORT`.
//! No memory is shared, so there is nothing to lock — and nothing cheap to share either.
//!
//! ```text
//! cargo run --example echo_processes                # 4 workers on 127.0.0.1:10000
//! cargo run --example echo_processes -- --workers 8
//! cargo run --example echo_client -- --conns 4 --secs 5
//! ```
//!
//! With N workers, N clients are served at once; client N+1 waits, as in chapter 1.

#[path = "common/blocking_echo.rs"]
mod blocking_echo;
#[path = "common/options.rs"]
mod options;

use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

/// A socket bound to `addr` with `SO_REUSEADDR` and `SO_REUSEPORT`, not yet listening.
fn reusable_socket(addr: SocketAddr) -> std::io::Result<Socket> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    socket.set_reuse_port(true)?;
    socket.bind(&SockAddr::from(addr))?;
    Ok(socket)
}

/// A worker process: listen on the shared port and serve clients one by one, until the parent
/// goes away.
fn worker(addr: SocketAddr, buffer: usize) -> std::io::Result<()> {
    // The parent holds the write end of our stdin. When the parent exits (or is killed), the
    // pipe closes, the read returns, and the worker exits too: no orphaned workers.
    std::thread::spawn(|| {
        let _ = std::io::stdin().read_to_end(&mut Vec::new());
        std::process::exit(0);
    });
    let socket = reusable_socket(addr)?;
    socket.listen(128)?;
    let listener: TcpListener = socket.into();
    println!("ready"); // The parent announces the server only once every worker listens.
    loop {
        let (conn, peer) = listener.accept()?;
        if let Err(error) = blocking_echo::serve(conn, buffer) {
            eprintln!("worker {}: {peer}: {error}", std::process::id());
        }
    }
}

fn main() -> std::io::Result<()> {
    let options = options::Options::from_args(
        "echo_processes [--addr HOST:PORT] [--buffer BYTES] [--workers N]",
        4096,
    );
    let mut workers = 4usize;
    let mut role_worker = false;
    let mut rest = options.rest.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--workers" => {
                workers = rest
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|&n| n > 0)
                    .unwrap_or(4)
            }
            "--worker" => role_worker = true,
            other => eprintln!("ignoring unknown argument {other:?}"),
        }
    }
    let requested: SocketAddr = options.addr.parse().map_err(|_| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, "--addr must be IP:PORT")
    })?;
    if role_worker {
        return worker(requested, options.buffer);
    }
    // The parent binds first (without listening): this turns port 0 into a real port and keeps
    // it reserved until the workers have bound it too.
    let reservation = reusable_socket(requested)?;
    let addr = reservation
        .local_addr()?
        .as_socket()
        .expect("a TCP socket has an IP address");
    let exe = std::env::current_exe()?;
    let children: Vec<Child> = (0..workers)
        .map(|_| {
            Command::new(&exe)
                .args([
                    "--worker",
                    "--addr",
                    &addr.to_string(),
                    "--buffer",
                    &options.buffer.to_string(),
                ])
                .stdin(Stdio::piped()) // The worker's lifeline (see `worker`).
                .stdout(Stdio::piped()) // Where it says "ready".
                .spawn()
        })
        .collect::<Result<_, _>>()?;
    let mut children = children;
    for child in &mut children {
        let mut ready = String::new();
        if let Some(stdout) = child.stdout.take() {
            BufReader::new(stdout).read_line(&mut ready)?;
        }
    }
    // Every worker now holds the port. Close the reservation before announcing: a bound
    // socket in the SO_REUSEPORT group that never listens must not be around when clients come.
    drop(reservation);
    println!("process-pool echo server listening on {addr} with {workers} worker processes");
    // Keep the write ends of the workers' stdin pipes (their lifelines) for as long as we run:
    // `Child::wait` would otherwise close each one before waiting, and the worker would exit.
    let _lifelines: Vec<_> = children
        .iter_mut()
        .filter_map(|child| child.stdin.take())
        .collect();
    // Ctrl-C reaches the whole process group, workers included; we just wait for them. If this
    // process is killed alone, the pipes close and the workers exit as well.
    for mut child in children {
        child.wait()?;
    }
    Ok(())
}
