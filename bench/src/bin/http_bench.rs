//! The HTTP benchmark: sprout's file server and hyper on sprout against hyper on tokio, nginx and
//! Python's `http.server` (chapter 13's starting point), with `wrk -t1` (server on CPU 0, wrk on
//! CPU 1, contenders alternating).
//!
//! ```text
//! apt-get install -y wrk nginx-light
//! cargo build --release --example http --example hyper_hello && cargo build --release -p sprout-bench
//! target/release/http_bench --rounds 2 --secs 5
//! target/release/http_bench --big-file      # one 1 GiB download: MB/s and the server's peak RSS
//! ```
//!
//! Scenarios: (a) "Hello, World!" at 64 connections (hyper services answer every path; the file
//! servers serve a 13-byte `hello.txt`); (b) a 1 KiB static file at 64 connections (file
//! servers only); (c) "Hello, World!" at 1,000 connections (not Python: a thread per
//! connection, and HTTP/1.0, so every request is a new connection). `wrk -t1` tops out near
//! 170–180k requests/s on this machine: figures at that ceiling measure wrk, not the server.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A scenario: name, path per kind of contender (`None`: skipped), and wrk connections.
struct Scenario {
    name: &'static str,
    file_path: &'static str,
    hyper_path: Option<&'static str>,
    connections: u32,
}

const SCENARIOS: [Scenario; 3] = [
    Scenario {
        name: "(a) Hello, World!, 64 connections",
        file_path: "/hello.txt",
        hyper_path: Some("/"),
        connections: 64,
    },
    Scenario {
        name: "(b) 1 KiB static file, 64 connections",
        file_path: "/1k.txt",
        hyper_path: None,
        connections: 64,
    },
    Scenario {
        name: "(c) Hello, World!, 1,000 connections",
        file_path: "/hello.txt",
        hyper_path: Some("/"),
        connections: 1000,
    },
];

const CONTENDERS: [&str; 5] = [
    "sprout-http",
    "sprout-hyper",
    "tokio-hyper",
    "nginx",
    "python",
];

fn main() {
    let rounds: usize = sprout_bench::flag("--rounds").map_or(2, |r| r.parse().expect("--rounds"));
    let secs = sprout_bench::flag("--secs").unwrap_or_else(|| "5".into());
    let dir = std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf();
    let site = std::env::temp_dir().join(format!("sprout-http-bench-{}", std::process::id()));
    std::fs::create_dir_all(&site).unwrap();
    std::fs::write(site.join("hello.txt"), b"Hello, World!").unwrap();
    std::fs::write(site.join("1k.txt"), vec![b'x'; 1024]).unwrap();
    if sprout_bench::switch("--big-file") {
        big_file(&dir, &site);
        let _ = std::fs::remove_dir_all(&site);
        return;
    }
    println!("http_bench: {rounds} rounds of {secs} s; server on CPU 0, wrk -t1 on CPU 1");
    for scenario in &SCENARIOS {
        let mut results: Vec<(&str, Vec<f64>, f64)> = Vec::new();
        for &contender in &CONTENDERS {
            results.push((contender, Vec::new(), 0.0));
        }
        for _ in 0..rounds {
            for (contender, rates, errors) in results.iter_mut() {
                let is_hyper = contender.ends_with("hyper");
                if *contender == "python" && scenario.connections > 64 {
                    continue;
                }
                let Some(path) = (if is_hyper {
                    scenario.hyper_path
                } else {
                    Some(scenario.file_path)
                }) else {
                    continue;
                };
                let (mut server, addr) = start(contender, &dir, &site);
                let output = Command::new("taskset")
                    .args([
                        "-c",
                        "1",
                        "wrk",
                        "-t1",
                        &format!("-c{}", scenario.connections),
                        &format!("-d{secs}s"),
                    ])
                    .arg(format!("http://{addr}{path}"))
                    .output()
                    .expect("run wrk (apt-get install -y wrk)");
                let _ = server.kill();
                let _ = server.wait();
                let text = String::from_utf8_lossy(&output.stdout);
                let rate = text
                    .lines()
                    .find_map(|l| l.strip_prefix("Requests/sec:"))
                    .and_then(|v| v.trim().parse::<f64>().ok())
                    .unwrap_or(0.0);
                rates.push(rate);
                *errors += text
                    .lines()
                    .filter(|l| l.contains("Socket errors") || l.contains("Non-2xx"))
                    .map(|l| {
                        l.split(|c: char| !c.is_ascii_digit())
                            .filter_map(|n| n.parse::<f64>().ok())
                            .sum::<f64>()
                    })
                    .sum::<f64>();
            }
        }
        println!("\n{}:", scenario.name);
        println!("| server | requests/s: median (min – max) | errors and timeouts |");
        println!("|--------|------------:|----:|");
        for (contender, rates, errors) in &results {
            if rates.is_empty() {
                continue;
            }
            let mut sorted = rates.clone();
            sorted.sort_by(f64::total_cmp);
            let median = sorted[sorted.len() / 2];
            // Thousands, with a decimal below 10k (Python's rates would all read "2k").
            let k = |rate: f64| match rate < 1e4 {
                true => format!("{:.1}k", rate / 1e3),
                false => format!("{:.0}k", rate / 1e3),
            };
            let (low, high) = (sorted[0], sorted[sorted.len() - 1]);
            println!(
                "| {contender} | {} ({} – {}) | {errors:.0} |",
                k(median),
                k(low),
                k(high)
            );
        }
    }
    let _ = std::fs::remove_dir_all(&site);
}

/// Starts a contender on CPU 0 and returns it with its address.
fn start(contender: &str, dir: &Path, site: &Path) -> (Child, String) {
    if contender == "nginx" {
        return start_nginx(site);
    }
    if contender == "python" {
        return start_python(site);
    }
    let mut command = Command::new("taskset");
    command.args(["-c", "0"]);
    match contender {
        "sprout-http" => {
            command
                .arg(dir.join("examples/http"))
                .args(["--quiet", "--root"])
                .arg(site)
                .env("SPROUT_WORKERS", "1");
        }
        "sprout-hyper" => {
            command
                .arg(dir.join("examples/hyper_hello"))
                .env("SPROUT_WORKERS", "1");
        }
        _ => {
            command.arg(dir.join("hyper_tokio"));
        }
    }
    let mut child = command
        .args(["--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start a server");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .split_whitespace()
        .find_map(|word| {
            let word = word.trim_start_matches("http://").trim_end_matches('/');
            word.parse::<std::net::SocketAddr>().ok()
        })
        .unwrap_or_else(|| panic!("{contender} printed {line:?}"))
        .to_string();
    std::thread::sleep(std::time::Duration::from_millis(100));
    (child, addr)
}

/// A free port on 127.0.0.1 (for the servers that cannot be told to pick one and say which).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until something accepts on `addr` (at most 2 s).
fn wait_until_listening(addr: &str) {
    for _ in 0..100 {
        if std::net::TcpStream::connect(addr).is_ok() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Python's `http.server` (a thread per connection, HTTP/1.0) pinned to CPU 0, serving `site`.
fn start_python(site: &Path) -> (Child, String) {
    let port = free_port();
    let child = Command::new("taskset")
        .args([
            "-c",
            "0",
            "python3",
            "-m",
            "http.server",
            "--bind",
            "127.0.0.1",
        ])
        .arg(port.to_string())
        .arg("--directory")
        .arg(site)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start python3 -m http.server");
    let addr = format!("127.0.0.1:{port}");
    wait_until_listening(&addr);
    (child, addr)
}

/// Chapter 13's large file: sprout's file server (one worker, CPU 0) sends a 1 GiB file to
/// `curl` (CPU 1); prints the rate and the server's peak resident memory before and after. The
/// file is sparse, so the disk is not what is measured: the blocking pool's reads and the
/// socket writes are.
fn big_file(dir: &Path, site: &Path) {
    let big = site.join("big.bin");
    std::fs::File::create(&big)
        .and_then(|file| file.set_len(1 << 30))
        .expect("create the sparse 1 GiB file");
    let (mut server, addr) = start("sprout-http", dir, site);
    let peak = |pid: u32| -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .unwrap_or(f64::NAN)
            / 1e3
    };
    // `taskset` execs the server, so the child's pid is the server's.
    let before = peak(server.id());
    let output = Command::new("taskset")
        .args(["-c", "1", "curl", "-s", "-o", "/dev/null", "-w"])
        .arg("%{speed_download} %{size_download}")
        .arg(format!("http://{addr}/big.bin"))
        .output()
        .expect("run curl");
    let after = peak(server.id());
    let _ = server.kill();
    let _ = server.wait();
    let text = String::from_utf8_lossy(&output.stdout);
    let mut fields = text
        .split_whitespace()
        .map(|f| f.parse::<f64>().unwrap_or(f64::NAN));
    let (speed, size) = (
        fields.next().unwrap_or(f64::NAN),
        fields.next().unwrap_or(0.0),
    );
    println!(
        "1 GiB file: {:.0} MB/s ({size:.0} bytes); server peak RSS {before:.2} MB before, {after:.2} MB after",
        speed / 1e6
    );
}

/// nginx with one worker process pinned to CPU 0, serving `site` on a free port.
fn start_nginx(site: &Path) -> (Child, String) {
    let port = free_port();
    let prefix: PathBuf = site.join("nginx");
    std::fs::create_dir_all(prefix.join("logs")).unwrap();
    let config = format!(
        "master_process off; worker_processes 1; daemon off; error_log {0}/logs/error.log; pid {0}/nginx.pid;\n\
         events {{ worker_connections 4096; }}\n\
         http {{ access_log off; sendfile on; tcp_nodelay on; keepalive_requests 1000000;\n\
           server {{ listen 127.0.0.1:{port}; root {1}; }} }}\n",
        prefix.display(),
        site.display()
    );
    let config_path = prefix.join("nginx.conf");
    std::fs::write(&config_path, config).unwrap();
    let child = Command::new("taskset")
        .args(["-c", "0", "nginx", "-c"])
        .arg(&config_path)
        .arg("-p")
        .arg(&prefix)
        .stderr(Stdio::null())
        .spawn()
        .expect("start nginx (apt-get install -y nginx-light)");
    let addr = format!("127.0.0.1:{port}");
    wait_until_listening(&addr);
    (child, addr)
}
