//! The soak: the `echo` and `http` examples under mixed load for a long time, sampled every
//! 10 s, to show that nothing grows with time (issue 14).
//!
//! Load, all on loopback, every loop bounded by the run's end: ping-pong clients, a bulk
//! stream, connections reset in the middle of a write (`SO_LINGER 0`), slow clients that
//! trickle a byte at a time, idle connections opened and closed in waves, and HTTP requests
//! (small files, a large one, Range, a 404) on keep-alive connections. Each sample records the
//! server's RSS and open fds (from `/proc`) and its live tasks and pending timers (from the
//! dump it prints on SIGUSR1) into a CSV; at the end the CSV is drawn as an SVG, one panel per
//! measure.
//!
//! ```text
//! cargo build --release --example echo --example http && cargo build --release -p sprout-bench
//! target/release/soak --minutes 30 --out soak     # writes soak.csv and soak.svg
//! ```

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::process::{Child, ChildStderr, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

/// One sample of one server.
#[derive(Clone, Debug)]
struct Sample {
    /// Seconds since the start.
    at: f64,
    /// Resident set size, KiB.
    rss_kib: u64,
    /// Open file descriptors.
    fds: u64,
    /// Live tasks, from the dump.
    tasks: u64,
    /// Pending timers, from the dump.
    timers: u64,
}

/// A server under test: the child process and the dumps it prints.
struct Server {
    /// Its name in the CSV.
    name: &'static str,
    /// The process.
    child: Child,
    /// Dump reports, one `(tasks, timers)` per SIGUSR1, read from its stderr.
    dumps: mpsc::Receiver<(u64, u64)>,
}

impl Server {
    /// Starts example `example` from `target/release/examples` with `args`.
    fn start(name: &'static str, example: &str, args: &[&str]) -> Server {
        let exe = std::env::current_exe().expect("own path");
        let binary = exe.parent().unwrap().join("examples").join(example);
        let mut child = Command::new(&binary)
            .args(args)
            .env("SPROUT_WORKERS", "2")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start {binary:?} (build the examples first): {e}"));
        let stderr = child.stderr.take().expect("piped stderr");
        let (tx, dumps) = mpsc::channel();
        thread::spawn(move || read_dumps(stderr, tx));
        thread::sleep(Duration::from_millis(500)); // let it bind before the load starts
        Server { name, child, dumps }
    }

    /// Takes one sample: `/proc` for memory and fds, a SIGUSR1 dump for tasks and timers.
    fn sample(&self, at: f64) -> Sample {
        let pid = self.child.id();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let rss_kib = status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
            .unwrap_or(0);
        let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |dir| dir.count() as u64);
        let _ = Command::new("kill")
            .args(["-USR1", &pid.to_string()])
            .status();
        let (tasks, timers) = self
            .dumps
            .recv_timeout(Duration::from_secs(5))
            .unwrap_or((u64::MAX, u64::MAX));
        Sample {
            at,
            rss_kib,
            fds,
            tasks,
            timers,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads a server's stderr and reports `(live tasks, pending timers)` for every dump.
fn read_dumps(stderr: ChildStderr, dumps: mpsc::Sender<(u64, u64)>) {
    let mut tasks = None;
    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
        // "sprout runtime dump at 1.234 s: 2 worker(s), 17 live task(s)"
        if let Some(rest) = line.split(" worker(s), ").nth(1) {
            tasks = rest.split_whitespace().next().and_then(|n| n.parse().ok());
        }
        // "timers: 3 pending, next due in …"
        if let Some(rest) = line.strip_prefix("timers: ") {
            let timers = rest.split_whitespace().next().and_then(|n| n.parse().ok());
            if let (Some(tasks), Some(timers)) = (tasks.take(), timers) {
                let _ = dumps.send((tasks, timers));
            }
        }
    }
}

/// Runs `body` in a loop on its own thread until `stop`, counting errors (expected ones, such
/// as a refused connection while the server is saturated, are not failures of the soak).
fn spawn_load(
    stop: &Arc<AtomicBool>,
    errors: &Arc<AtomicU64>,
    mut body: impl FnMut() -> std::io::Result<()> + Send + 'static,
) -> thread::JoinHandle<()> {
    let (stop, errors) = (stop.clone(), errors.clone());
    thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            match body() {
                Ok(()) => {
                    DONE.fetch_add(1, Ordering::Relaxed);
                }
                Err(_) => {
                    errors.fetch_add(1, Ordering::Relaxed);
                    thread::sleep(Duration::from_millis(10)); // back off a failing loop
                }
            }
        }
    })
}

/// Load loops completed (a ping-pong connection's 1,000 round trips, one bulk transfer, …).
static DONE: AtomicU64 = AtomicU64::new(0);

/// A connected client with a read timeout, so no load thread can hang.
fn client(addr: SocketAddr) -> std::io::Result<TcpStream> {
    let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// Sends an HTTP/1.1 GET for `path` and reads the whole response; `Ok(status)`.
fn http_get(stream: &mut TcpStream, path: &str, extra: &str) -> std::io::Result<u16> {
    write!(stream, "GET {path} HTTP/1.1\r\nHost: soak\r\n{extra}\r\n")?;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).to_string();
    let status = head[9..12].parse().unwrap_or(0);
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body)?;
    Ok(status)
}

/// Starts every kind of load against the echo server at `echo` and the HTTP server at `http`.
fn start_load(
    echo: SocketAddr,
    http: SocketAddr,
    stop: &Arc<AtomicBool>,
    errors: &Arc<AtomicU64>,
) -> Vec<thread::JoinHandle<()>> {
    let mut load = Vec::new();
    for _ in 0..4 {
        // Ping-pong: a connection lives for 1,000 round trips, then the next one opens.
        load.push(spawn_load(stop, errors, move || {
            let mut stream = client(echo)?;
            let mut reply = [0u8; 64];
            for _ in 0..1_000 {
                stream.write_all(&[7u8; 64])?;
                stream.read_exact(&mut reply)?;
            }
            Ok(())
        }));
    }
    // Bulk: 4 MiB each way per connection.
    load.push(spawn_load(stop, errors, move || {
        let stream = client(echo)?;
        let mut writer = stream.try_clone()?;
        let sender = thread::spawn(move || -> std::io::Result<()> {
            let chunk = vec![1u8; 64 * 1024];
            for _ in 0..64 {
                writer.write_all(&chunk)?;
            }
            writer.shutdown(Shutdown::Write)
        });
        let mut reader = stream;
        let mut echoed = Vec::new();
        reader.read_to_end(&mut echoed)?;
        sender.join().expect("the bulk sender")?;
        (echoed.len() == 4 << 20)
            .then_some(())
            .ok_or_else(|| std::io::Error::other("bulk echo short"))
    }));
    // Resets: write 256 KiB and close with SO_LINGER 0 before reading: an RST mid-write.
    load.push(spawn_load(stop, errors, move || {
        let stream = client(echo)?;
        socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO))?;
        let mut writer = &stream;
        writer.write_all(&[3u8; 256 * 1024])?;
        drop(stream);
        thread::sleep(Duration::from_millis(20));
        Ok(())
    }));
    // Slow clients: a byte every 20 ms, 50 bytes, read back.
    for _ in 0..2 {
        load.push(spawn_load(stop, errors, move || {
            let mut stream = client(echo)?;
            let mut byte = [0u8; 1];
            for _ in 0..50 {
                stream.write_all(b"s")?;
                stream.read_exact(&mut byte)?;
                thread::sleep(Duration::from_millis(20));
            }
            Ok(())
        }));
    }
    // Idle connections coming and going: 200 opened, held 2 s, closed.
    load.push(spawn_load(stop, errors, move || {
        let held: Vec<TcpStream> = (0..200).filter_map(|_| client(echo).ok()).collect();
        thread::sleep(Duration::from_secs(2));
        drop(held);
        thread::sleep(Duration::from_millis(500));
        Ok(())
    }));
    // HTTP: keep-alive connections, 100 requests each over a mix of paths.
    for _ in 0..2 {
        load.push(spawn_load(stop, errors, move || {
            let mut stream = client(http)?;
            let requests = [
                ("/", ""),
                ("/hello.txt", ""),
                ("/hello.txt", "Range: bytes=0-3\r\n"),
                ("/missing", ""),
                ("/docs/", ""),
            ];
            for i in 0..100 {
                let (path, extra) = requests[i % requests.len()];
                let status = http_get(&mut stream, path, extra)?;
                if ![200, 206, 404].contains(&status) {
                    return Err(std::io::Error::other(format!("{path}: {status}")));
                }
            }
            Ok(())
        }));
    }
    load
}

/// Draws the samples as an SVG: for each measure a panel with one line per server.
fn draw(samples: &[(&'static str, Sample)], title: &str) -> String {
    type Measure = (&'static str, fn(&Sample) -> f64);
    let measures: [Measure; 4] = [
        ("RSS (MiB)", |s| s.rss_kib as f64 / 1024.0),
        ("open fds", |s| s.fds as f64),
        ("live tasks", |s| s.tasks as f64),
        ("pending timers", |s| s.timers as f64),
    ];
    let (width, panel, left, top) = (900.0, 180.0, 70.0, 40.0);
    let end = samples.iter().map(|(_, s)| s.at).fold(1.0, f64::max);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n<text x=\"{left}\" y=\"24\" font-size=\"16\">{title}</text>\n",
        top + 4.0 * (panel + 30.0)
    );
    for (row, (label, value)) in measures.iter().enumerate() {
        let y0 = top + row as f64 * (panel + 30.0);
        let valid: Vec<f64> = samples
            .iter()
            .map(|(_, s)| value(s))
            .filter(|v| *v < 1e15)
            .collect();
        let high = valid.iter().copied().fold(1.0, f64::max) * 1.1;
        svg += &format!(
            "<rect x=\"{left}\" y=\"{y0}\" width=\"{}\" height=\"{panel}\" fill=\"none\" stroke=\"#999\"/>\n\
             <text x=\"{left}\" y=\"{}\">{label}</text><text x=\"5\" y=\"{}\">{high:.0}</text><text x=\"5\" y=\"{}\">0</text>\n",
            width - left - 20.0,
            y0 - 4.0,
            y0 + 12.0,
            y0 + panel
        );
        for (server, colour) in [("echo", "#1f77b4"), ("http", "#d62728")] {
            let points: Vec<String> = samples
                .iter()
                .filter(|(name, s)| *name == server && value(s) < 1e15)
                .map(|(_, s)| {
                    let x = left + s.at / end * (width - left - 20.0);
                    let y = y0 + panel - value(s) / high * panel;
                    format!("{x:.1},{y:.1}")
                })
                .collect();
            svg += &format!(
                "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\" points=\"{}\"/>\n",
                points.join(" ")
            );
        }
    }
    let legend_y = top + 4.0 * (panel + 30.0) - 12.0;
    svg += &format!(
        "<text x=\"{left}\" y=\"{legend_y}\" fill=\"#1f77b4\">echo example</text>\
         <text x=\"{}\" y=\"{legend_y}\" fill=\"#d62728\">http example</text>\
         <text x=\"{}\" y=\"{legend_y}\">time: 0 to {:.0} s</text>\n</svg>\n",
        left + 120.0,
        left + 240.0,
        end
    );
    svg
}

fn main() {
    let minutes: f64 = sprout_bench::flag("--minutes")
        .and_then(|m| m.parse().ok())
        .unwrap_or(30.0);
    let out = sprout_bench::flag("--out").unwrap_or_else(|| "soak".to_string());
    let root = std::env::current_dir().unwrap().join("examples/http/www");
    let echo = Server::start("echo", "echo", &["--addr", "127.0.0.1:17000"]);
    let http = Server::start(
        "http",
        "http",
        &[
            "--addr",
            "127.0.0.1:17080",
            "--quiet",
            "--root",
            root.to_str().unwrap(),
        ],
    );
    let stop = Arc::new(AtomicBool::new(false));
    let errors = Arc::new(AtomicU64::new(0));
    let load = start_load(
        "127.0.0.1:17000".parse().unwrap(),
        "127.0.0.1:17080".parse().unwrap(),
        &stop,
        &errors,
    );
    let started = Instant::now();
    let length = Duration::from_secs_f64(minutes * 60.0);
    let mut samples: Vec<(&'static str, Sample)> = Vec::new();
    let mut csv = String::from("seconds,server,rss_kib,fds,tasks,timers\n");
    while started.elapsed() < length {
        let at = started.elapsed().as_secs_f64();
        for server in [&echo, &http] {
            let sample = server.sample(at);
            csv += &format!(
                "{:.0},{},{},{},{},{}\n",
                sample.at, server.name, sample.rss_kib, sample.fds, sample.tasks, sample.timers
            );
            println!(
                "{:>6.0} s  {:<4}  rss {:>7} KiB  fds {:>5}  tasks {:>5}  timers {:>5}",
                sample.at, server.name, sample.rss_kib, sample.fds, sample.tasks, sample.timers
            );
            samples.push((server.name, sample));
        }
        std::fs::write(format!("{out}.csv"), &csv).expect("write the CSV");
        thread::sleep(Duration::from_secs(10));
    }
    stop.store(true, Ordering::Relaxed);
    for thread in load {
        let _ = thread.join();
    }
    let title = format!("sprout soak: {minutes} min of mixed load, sampled every 10 s");
    std::fs::write(format!("{out}.svg"), draw(&samples, &title)).expect("write the SVG");
    println!(
        "wrote {out}.csv and {out}.svg; load loops completed: {}, failed: {}",
        DONE.load(Ordering::Relaxed),
        errors.load(Ordering::Relaxed)
    );
}
