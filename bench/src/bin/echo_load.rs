//! The load generator for `echo_bench`: one thread, edge-triggered epoll (no runtime), so it
//! costs the same against every server. Every byte that comes back is checked.
//!
//! ```text
//! echo_load --addr A --mode pingpong --conns 50 --size 64 --secs 10 [--server-pid P]
//! echo_load --addr A --mode shakespeare --conns 20 --secs 10 [--server-pid P]
//! echo_load --addr A --mode hold --conns 10000 [--server-pid P]
//! ```
//!
//! Prints one line of `key=value` figures. With `--server-pid`, it also reports the server's
//! CPU time (user + system, from `/proc/PID/stat`) over exactly the measuring window, per round
//! trip — a figure the load generator's own speed cannot cap.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use polling::{Event, Events, PollMode, Poller};

/// Size of the bulk stream's chunks in Shakespeare mode.
const CHUNK: usize = 64 * 1024;

/// One ping-pong connection.
struct Talker {
    /// The socket.
    stream: TcpStream,
    /// Bytes of the current reply received so far.
    received: usize,
    /// When the current message was sent.
    sent_at: Instant,
    /// Round trips completed on this connection (the fairness figures).
    round_trips: u64,
}

/// The bulk connection of Shakespeare mode.
struct Bulk {
    /// The socket.
    stream: TcpStream,
    /// Bytes written so far (the pattern position of the next write).
    written: usize,
    /// Bytes echoed back so far (the pattern position of the next read).
    echoed: usize,
}

fn main() -> io::Result<()> {
    let value = sprout_bench::flag;
    let addr: SocketAddr = value("--addr")
        .expect("--addr")
        .parse()
        .expect("--addr IP:PORT");
    let mode = value("--mode").unwrap_or_else(|| "pingpong".into());
    let conns: usize = value("--conns").map_or(50, |v| v.parse().expect("--conns"));
    let size: usize = value("--size").map_or(64, |v| v.parse().expect("--size"));
    let secs: f64 = value("--secs").map_or(10.0, |v| v.parse().expect("--secs"));
    let server: Option<u32> = value("--server-pid").map(|v| v.parse().expect("--server-pid"));
    match mode.as_str() {
        "pingpong" => pingpong(addr, conns, size, secs, server, None),
        "shakespeare" => pingpong(addr, conns, 64, secs, server, Some(connect(addr)?)),
        "hold" => hold(addr, conns, server),
        other => panic!("unknown --mode {other}"),
    }
}

/// A non-blocking, no-delay connection. The connect is bounded: a server whose backlog is full
/// (one that stopped accepting) must fail the run, not hang it.
fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
    let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(1))?;
    stream.set_nodelay(true)?;
    stream.set_nonblocking(true)?;
    Ok(stream)
}

/// The byte at `position` of the pattern every message and the bulk stream carry.
fn pattern(position: usize) -> u8 {
    (position % 251) as u8
}

/// Server CPU time so far (user + system), from /proc/PID/stat, in seconds.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks: f64 = fields
        .get(11)
        .and_then(|u| u.parse::<f64>().ok())
        .unwrap_or(0.0)
        + fields
            .get(12)
            .and_then(|s| s.parse::<f64>().ok())
            .unwrap_or(0.0);
    ticks / 100.0 // USER_HZ is 100 on Linux.
}

/// Resident memory of process `pid`, in bytes.
fn resident_bytes(pid: u32) -> usize {
    let statm = std::fs::read_to_string(format!("/proc/{pid}/statm")).unwrap_or_default();
    statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(0)
        * 4096
}

/// The pattern from position 0, long enough to slice a chunk starting at any phase of it.
fn pattern_buffer() -> Vec<u8> {
    (0..CHUNK + 251).map(pattern).collect()
}

/// Ping-pong on `conns` connections (plus, in Shakespeare mode, one bulk stream at full speed).
fn pingpong(
    addr: SocketAddr,
    conns: usize,
    size: usize,
    secs: f64,
    server: Option<u32>,
    bulk: Option<TcpStream>,
) -> io::Result<()> {
    // The sockets are declared before the poller, so on every return path the poller is
    // dropped first and no socket is closed while registered (polling's `add` contract).
    let mut talkers = HashMap::new();
    let bulk_key = conns;
    let mut bulk = bulk.map(|stream| Bulk {
        stream,
        written: 0,
        echoed: 0,
    });
    let poller = Poller::new()?;
    let patterns = pattern_buffer();
    let message = &patterns[..size];
    // A server that stops accepting (the blocking stages, past their listen backlog) leaves
    // connects timing out: the first timeout ends the connecting, and the rest count as
    // connections never served.
    let mut unconnected = 0;
    for key in 0..conns {
        let stream = match connect(addr) {
            Ok(stream) => stream,
            Err(error) if error.kind() == io::ErrorKind::TimedOut => {
                unconnected = conns - key;
                break;
            }
            Err(error) => return Err(error),
        };
        // SAFETY: the stream outlives the poller (see above).
        #[allow(unsafe_code)]
        unsafe {
            poller.add_with_mode(&stream, Event::readable(key), PollMode::Edge)?;
        }
        talkers.insert(
            key,
            Talker {
                stream,
                received: 0,
                sent_at: Instant::now(),
                round_trips: 0,
            },
        );
    }
    if let Some(bulk) = &bulk {
        // SAFETY: the bulk stream outlives the poller (see above).
        #[allow(unsafe_code)]
        unsafe {
            // Level-triggered, so the pump may stop after a batch and still be called again:
            // the one load thread must not spend milliseconds on the bulk stream at a time.
            poller.add_with_mode(&bulk.stream, Event::all(bulk_key), PollMode::Level)?;
        }
    }
    let mut latencies: Vec<u32> = Vec::with_capacity(4_000_000);
    let mut buffer = vec![0u8; CHUNK];
    let mut errors = 0usize;
    let start = Instant::now();
    let cpu_start = server.map(cpu_seconds);
    for talker in talkers.values_mut() {
        talker.sent_at = Instant::now();
        talker.stream.write_all(message)?;
    }
    if let Some(bulk) = &mut bulk {
        pump_bulk(bulk, &patterns, &mut buffer, &mut errors);
    }
    let deadline = start + Duration::from_secs_f64(secs);
    let mut events = Events::new();
    let (mut waits, mut empty_waits) = (0u64, 0u64);
    while Instant::now() < deadline {
        events.clear();
        poller.wait(&mut events, Some(Duration::from_millis(50)))?;
        waits += 1;
        if events.is_empty() {
            empty_waits += 1;
        }
        for event in events.iter() {
            if event.key == bulk_key {
                if let Some(bulk) = &mut bulk {
                    pump_bulk(bulk, &patterns, &mut buffer, &mut errors);
                }
                continue;
            }
            let talker = talkers.get_mut(&event.key).expect("registered key");
            loop {
                match talker.stream.read(&mut buffer[..size - talker.received]) {
                    Ok(0) => {
                        errors += 1;
                        break;
                    }
                    Ok(n) => {
                        if buffer[..n] != message[talker.received..talker.received + n] {
                            errors += 1;
                        }
                        talker.received += n;
                        if talker.received == size {
                            latencies.push(talker.sent_at.elapsed().as_micros() as u32);
                            talker.round_trips += 1;
                            talker.received = 0;
                            talker.sent_at = Instant::now();
                            // Small messages fit the empty socket buffer: one write suffices.
                            talker.stream.write_all(message)?;
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(_) => {
                        errors += 1;
                        break;
                    }
                }
            }
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    // Fairness: connections that got any reply, the fewest round trips on one, and the longest
    // any message waited — answered, or still waiting now (a server that serves one client at
    // a time leaves the others waiting the whole run).
    let served = talkers.values().filter(|t| t.round_trips > 0).count();
    let fewest = match unconnected {
        0 => talkers.values().map(|t| t.round_trips).min().unwrap_or(0),
        _ => 0,
    };
    let still_waiting = talkers
        .values()
        .map(|t| t.sent_at.elapsed().as_micros() as u32);
    let mut worst_wait = latencies
        .iter()
        .copied()
        .chain(still_waiting)
        .max()
        .unwrap_or(0);
    if unconnected > 0 {
        worst_wait = worst_wait.max(start.elapsed().as_micros() as u32);
    }
    let cpu = match (server, cpu_start) {
        (Some(pid), Some(before)) => cpu_seconds(pid) - before,
        _ => f64::NAN,
    };
    latencies.sort_unstable();
    let at = |q: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * q) as usize)
            .copied()
            .unwrap_or(0)
    };
    let round_trips = latencies.len() as f64;
    print!(
        "rtps={:.0} p50_us={} p99_us={} max_us={} errors={} server_cpu_us_per_rt={:.2}",
        round_trips / elapsed,
        at(0.5),
        at(0.99),
        at(1.0),
        errors,
        cpu * 1e6 / round_trips
    );
    print!(" conns={conns} served={served} unconnected={unconnected} fewest={fewest} worst_wait_us={worst_wait}");
    if let Some(bulk) = &bulk {
        print!(" bulk_mbps={:.0}", bulk.echoed as f64 / elapsed / 1e6);
    }
    let measured: u64 = latencies.iter().map(|&l| u64::from(l)).sum();
    // Waits per round trip: how often this generator went back to `epoll_wait` having handled
    // every reply it had. Where it then sleeps, the server's next send wakes it, a wake-up the
    // server's CPU pays for in the kernel.
    print!(
        " in_round_trips={:.2} waits={waits} empty_waits={empty_waits} waits_per_rt={:.4}",
        measured as f64 / 1e6 / elapsed,
        waits as f64 / round_trips
    );
    println!();
    Ok(())
}

/// Chunk writes/reads the bulk stream gets per wake-up, at most.
const BULK_BATCH: usize = 8;

/// Writes and reads the bulk stream for a bounded batch (or until both directions would
/// block), checking the echo against the pattern at its stream position.
fn pump_bulk(bulk: &mut Bulk, patterns: &[u8], buffer: &mut [u8], errors: &mut usize) {
    for _ in 0..BULK_BATCH {
        let mut progressed = false;
        let phase = bulk.written % 251;
        match bulk.stream.write(&patterns[phase..phase + CHUNK]) {
            Ok(n) => {
                bulk.written += n;
                progressed = true;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(_) => *errors += 1,
        }
        match bulk.stream.read(buffer) {
            Ok(0) => *errors += 1,
            Ok(n) => {
                let phase = bulk.echoed % 251;
                if buffer[..n] != patterns[phase..phase + n] {
                    *errors += 1;
                }
                bulk.echoed += n;
                progressed = true;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(_) => *errors += 1,
        }
        if !progressed {
            return;
        }
    }
}

/// Opens `conns` connections, echoes one byte on each, holds them, and reports the server's
/// resident memory per connection.
fn hold(addr: SocketAddr, conns: usize, server: Option<u32>) -> io::Result<()> {
    let before = server.map_or(0, resident_bytes);
    let mut held = Vec::with_capacity(conns);
    for _ in 0..conns {
        let mut stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        stream.write_all(b"x")?;
        let mut byte = [0u8; 1];
        stream.read_exact(&mut byte)?;
        held.push(stream);
    }
    std::thread::sleep(Duration::from_millis(500));
    let after = server.map_or(0, resident_bytes);
    // One more round trip on every connection: all of them are still served.
    let mut alive = 0;
    for stream in &mut held {
        let mut byte = [0u8; 1];
        if stream.write_all(b"y").is_ok() && stream.read_exact(&mut byte).is_ok() && byte[0] == b'y'
        {
            alive += 1;
        }
    }
    println!(
        "held={} alive={} server_rss_growth_bytes={} bytes_per_conn={:.0}",
        held.len(),
        alive,
        after.saturating_sub(before),
        after.saturating_sub(before) as f64 / conns as f64
    );
    Ok(())
}
