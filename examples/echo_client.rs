//! The client for every echo server in `examples/`: one message, a load test, or the lecture's
//! Shakespeare demonstration.
//!
//! ```text
//! cargo run --example echo_client -- "hello"                         # one message
//! cargo run --example echo_client -- --interactive                   # type lines; each comes back
//! echo hello | cargo run --example echo_client                       # from stdin
//! cargo run --example echo_client -- --conns 50 --size 64 --secs 5   # load: round trips/s, latency
//! cargo run --example echo_client -- --shakespeare --conns 20 --secs 5
//! ```
//!
//! Every mode checks the bytes that come back, and every connection ends cleanly: the client
//! half-closes it and reads until the server closes too, so the server sees a normal end.
//! `--addr` picks the server (default 127.0.0.1:10000). The client itself runs on sprout:
//! `SPROUT_WORKERS` sets its threads.

#[path = "common/options.rs"]
mod options;

use std::io::Read;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sprout::net::TcpStream;

/// What the client was asked to do.
struct Plan {
    /// Server address.
    addr: String,
    /// Connections for the load modes.
    conns: usize,
    /// Message size for the load modes.
    size: usize,
    /// Duration of the load modes.
    secs: f64,
    /// Run the Shakespeare demonstration.
    shakespeare: bool,
    /// The single message to send, if any.
    message: Option<String>,
    /// Read lines from the terminal and echo each (what `nc` would do).
    interactive: bool,
}

fn parse() -> Plan {
    let options = options::Options::from_args(
        "echo_client [--addr HOST:PORT] [MESSAGE | --interactive | --conns N --size BYTES --secs T [--shakespeare]]",
        4096,
    );
    let mut plan = Plan {
        addr: options.addr,
        conns: 0,
        size: 64,
        secs: 5.0,
        shakespeare: false,
        message: None,
        interactive: false,
    };
    let mut rest = options.rest.into_iter();
    let number = |value: Option<String>, flag: &str| -> f64 {
        value
            .and_then(|v| v.parse().ok())
            .filter(|&n: &f64| n > 0.0)
            .unwrap_or_else(|| {
                eprintln!("{flag} needs a positive number");
                std::process::exit(2)
            })
    };
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--conns" => plan.conns = number(rest.next(), "--conns") as usize,
            "--size" => plan.size = number(rest.next(), "--size") as usize,
            "--secs" => plan.secs = number(rest.next(), "--secs"),
            "--shakespeare" => plan.shakespeare = true,
            "--interactive" => plan.interactive = true,
            _ => plan.message = Some(arg),
        }
    }
    plan
}

fn main() {
    let plan = parse();
    let outcome = sprout::run(async move {
        let addr: SocketAddr = match plan.addr.parse() {
            Ok(addr) => addr,
            Err(_) => return Err(std::io::Error::other(format!("bad --addr {:?}", plan.addr))),
        };
        if plan.shakespeare {
            shakespeare(addr, plan.conns.max(1), plan.secs).await
        } else if plan.conns > 0 {
            load(addr, plan.conns, plan.size, plan.secs).await
        } else if plan.interactive {
            interactive(addr).await
        } else {
            one_message(addr, plan.message).await
        }
    });
    if let Err(error) = outcome {
        eprintln!("echo_client: {error}");
        std::process::exit(1);
    }
}

/// Sends one message (argument or stdin), prints the echo.
async fn one_message(addr: SocketAddr, message: Option<String>) -> std::io::Result<()> {
    let text = match message {
        Some(text) => text.into_bytes(),
        None => {
            sprout::spawn_blocking(|| {
                let mut input = Vec::new();
                std::io::stdin().read_to_end(&mut input).map(|_| input)
            })
            .await??
        }
    };
    let stream = TcpStream::connect(addr).await?;
    stream.write_all(&text).await?;
    stream.shutdown(std::net::Shutdown::Write)?;
    let mut echoed = Vec::new();
    stream.read_to_end(&mut echoed).await?;
    println!("{}", String::from_utf8_lossy(&echoed));
    if echoed != text {
        return Err(std::io::Error::other("the echo differs from what was sent"));
    }
    Ok(())
}

/// Reads lines from the terminal (on the blocking pool: a terminal read never suits a worker),
/// sends each, and prints its echo, until end of input (Ctrl-D). What the chapters once used
/// `nc` for.
async fn interactive(addr: SocketAddr) -> std::io::Result<()> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    println!("connected to {addr}: type lines, Ctrl-D to finish");
    loop {
        let line = sprout::spawn_blocking(|| {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).map(|_| line)
        })
        .await??;
        if line.is_empty() {
            // End of input: say so to the server, as `nc` does, and leave.
            return stream.shutdown(std::net::Shutdown::Write);
        }
        stream.write_all(line.as_bytes()).await?;
        let mut echoed = vec![0u8; line.len()];
        stream.read_exact(&mut echoed).await?;
        if echoed != line.as_bytes() {
            return Err(std::io::Error::other("the echo differs from what was sent"));
        }
        print!("echo: {line}");
    }
}

/// Ping-pong on `conns` connections for `secs`: prints round trips/s, latency percentiles, and
/// how fairly the server shared itself among the connections.
async fn load(addr: SocketAddr, conns: usize, size: usize, secs: f64) -> std::io::Result<()> {
    let mut streams = Vec::with_capacity(conns);
    for _ in 0..conns {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        streams.push(stream);
    }
    let until = Instant::now() + Duration::from_secs_f64(secs);
    let workers: Vec<_> = streams
        .into_iter()
        .map(|stream| sprout::spawn(ping_pong(stream, size, Instant::now(), until)))
        .collect();
    let mut talks = Vec::new();
    for result in sprout::join_all(workers).await {
        talks.push(result??);
    }
    report(
        &format!("{conns} connections, {size}-byte messages"),
        &talks,
        secs,
    );
    Ok(())
}

/// What one connection saw: each round trip's latency, and how long its last message had
/// waited unanswered when time ran out (a server that never serves it leaves only that).
struct Talk {
    latencies: Vec<Duration>,
    unanswered: Option<Duration>,
}

/// Round trips on one connection until `until`, then a clean end ([`finish`]).
async fn ping_pong(
    stream: TcpStream,
    size: usize,
    since: Instant,
    until: Instant,
) -> std::io::Result<Talk> {
    let talk = round_trips(&stream, size, since, until).await?;
    finish(&stream, until + GRACE).await;
    Ok(talk)
}

/// How long after the run a connection may take to end cleanly ([`finish`]), and the bulk
/// stream's reader to collect the echo's tail.
const GRACE: Duration = Duration::from_secs(1);

/// Ends a connection as a client should: half-closes it, then reads and discards what the
/// server still sends until the server closes too, giving up at `deadline`. A socket dropped
/// with data unread makes the kernel reset the connection, and a run cut off by its clock
/// nearly always leaves an echo in flight: the server then reported each such connection as
/// failed (`tests/examples_smoke.rs` checks it does not). The deadline keeps a server that
/// never answers from hanging the client.
async fn finish(stream: &TcpStream, deadline: Instant) {
    if stream.shutdown(std::net::Shutdown::Write).is_err() {
        return; // Already reset or closed: nothing left to end cleanly.
    }
    let mut sink = [0u8; 4096];
    let drain = async { while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {} };
    let left = deadline.saturating_duration_since(Instant::now());
    let _ = sprout::timeout(left, drain).await;
}

/// The round trips of [`ping_pong`]. A reply still missing at `until` ends them: a server that
/// serves one client at a time must not hang the client. `since` is when the connection was
/// asked for: one that gets no turn before `until` waited from then.
async fn round_trips(
    stream: &TcpStream,
    size: usize,
    since: Instant,
    until: Instant,
) -> std::io::Result<Talk> {
    let message: Vec<u8> = (0..size).map(|i| b'a' + (i % 26) as u8).collect();
    let mut reply = vec![0u8; size];
    let mut latencies = Vec::new();
    while Instant::now() < until {
        let start = Instant::now();
        let round_trip = async {
            stream.write_all(&message).await?;
            stream.read_exact(&mut reply).await
        };
        match sprout::timeout(until.saturating_duration_since(start), round_trip).await {
            Ok(result) => result?,
            Err(_elapsed) => {
                let unanswered = Some(start.elapsed());
                return Ok(Talk {
                    latencies,
                    unanswered,
                });
            }
        }
        latencies.push(start.elapsed());
        if reply != message {
            return Err(std::io::Error::other("echo mismatch"));
        }
    }
    // Time ran out before this connection's first turn.
    let unanswered = latencies.is_empty().then(|| since.elapsed());
    Ok(Talk {
        latencies,
        unanswered,
    })
}

/// The lecture's Shakespeare: one client streams bulk data flat out while `small` others send
/// 64-byte messages; prints the small messages' latency and the bulk stream's throughput.
async fn shakespeare(addr: SocketAddr, small: usize, secs: f64) -> std::io::Result<()> {
    // Every connection is made before the clock starts, the bulk stream's first (as in the
    // lecture: the big client arrives first). So what is measured is the server sharing itself,
    // not this client's own tasks competing with its connects.
    let bulk = TcpStream::connect(addr).await?;
    let mut small_streams = Vec::with_capacity(small);
    for _ in 0..small {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        small_streams.push(stream);
    }
    let until = Instant::now() + Duration::from_secs_f64(secs);
    let bulk_reader = bulk.clone();
    // The stream repeats bytes 0..251; `pattern[p % 251..]` is the stream from position p on.
    let pattern: Vec<u8> = (0..64 * 1024 + 251).map(|i| (i % 251) as u8).collect();
    let chunk = pattern[..64 * 1024].to_vec();
    // Both directions of the bulk stream are bounded too: a server that never reads it must
    // not hang the client. The reader gets `GRACE` after `until` for the echo's tail.
    let writer = sprout::spawn(async move {
        while Instant::now() < until {
            let left = until.saturating_duration_since(Instant::now());
            if sprout::timeout(left, bulk.write_all(&chunk)).await.is_err() {
                break;
            }
        }
        bulk.shutdown(std::net::Shutdown::Write)
    });
    let reader = sprout::spawn(async move {
        let mut buffer = vec![0u8; 64 * 1024];
        let mut total = 0usize;
        let give_up = until + GRACE;
        loop {
            let left = give_up.saturating_duration_since(Instant::now());
            let Ok(read) = sprout::timeout(left, bulk_reader.read(&mut buffer)).await else {
                return Ok::<_, std::io::Error>(total);
            };
            match read? {
                0 => return Ok(total),
                n => {
                    // Check the pattern as it streams by: a fast echo that corrupts is not fast.
                    if !matches_stream(&buffer[..n], total, &pattern) {
                        return Err(std::io::Error::other("bulk stream corrupted"));
                    }
                    total += n;
                }
            }
        }
    });
    let connected = Instant::now();
    let talkers: Vec<_> = small_streams
        .into_iter()
        .map(|stream| sprout::spawn(ping_pong(stream, 64, connected, until)))
        .collect();
    let mut talks = Vec::new();
    for result in sprout::join_all(talkers).await {
        talks.push(result??);
    }
    writer.await??;
    let streamed = reader.await??;
    report(
        &format!("{small} small clients beside one bulk stream"),
        &talks,
        secs,
    );
    println!(
        "bulk stream: {:.0} MB/s echoed",
        streamed as f64 / secs / 1e6
    );
    Ok(())
}

/// `true` if `data` is what the bulk stream carries from byte `position` on: chunks of 64 KiB,
/// byte `i` of each being `i % 251`.
fn matches_stream(data: &[u8], position: usize, pattern: &[u8]) -> bool {
    const CHUNK: usize = 64 * 1024;
    let mut at = position;
    let mut rest = data;
    while !rest.is_empty() {
        let offset = at % CHUNK;
        let run = rest.len().min(CHUNK - offset);
        let expected = &pattern[offset % 251..offset % 251 + run];
        if rest[..run] != *expected {
            return false;
        }
        (at, rest) = (at + run, &rest[run..]);
    }
    true
}

/// Prints the rate and latency percentiles over `secs`, then fairness: how many connections
/// got any reply, the fewest round trips any connection made, and the longest any message
/// waited (answered or not) — where a server that serves one client at a time shows.
fn report(what: &str, talks: &[Talk], secs: f64) {
    let mut latencies: Vec<Duration> = talks.iter().flat_map(|t| t.latencies.clone()).collect();
    latencies.sort_unstable();
    let at = |q: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * q) as usize)
            .copied()
            .unwrap_or_default()
    };
    println!(
        "{what}: {:.0} round trips/s; latency p50 {:?}, p99 {:?}, max {:?} ({} round trips)",
        latencies.len() as f64 / secs,
        at(0.50),
        at(0.99),
        at(1.0),
        latencies.len()
    );
    let served = talks.iter().filter(|t| !t.latencies.is_empty()).count();
    let fewest = talks.iter().map(|t| t.latencies.len()).min().unwrap_or(0);
    let worst_wait = talks
        .iter()
        .flat_map(|t| t.latencies.iter().chain(&t.unanswered))
        .max()
        .copied()
        .unwrap_or_default();
    println!(
        "fairness: {served} of {} connections served; fewest round trips on one: {fewest}; worst wait {worst_wait:?}",
        talks.len()
    );
}
