//! StreamServer behaviour: graceful stop, cancellation after the grace period, panics and
//! errors isolated, `max_connections`, and recovery from running out of file descriptors.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sprout::net::{StreamServer, TcpStream};
use support::net::{echo_round_trip, payload, start_echo_server};
use support::{example_binary, runtime, within};

/// Graceful stop: a client in the middle of a conversation finishes it after `stop()`, new
/// clients are refused, `serve_forever` returns, and no task is left behind.
#[test]
fn graceful_stop_drains_in_flight_connections() {
    within(Duration::from_secs(30), "graceful stop", || {
        runtime(2).block_on(async {
            let (addr, stop, serving) = start_echo_server(None).await;
            let client = TcpStream::connect(addr).await.unwrap();
            client.write_all(b"before").await.unwrap();
            let mut reply = [0u8; 6];
            client.read_exact(&mut reply).await.unwrap();
            stop.stop();
            // Wait until the listener is closed: new connections are refused from then on.
            let deadline = Instant::now() + Duration::from_secs(5);
            while TcpStream::connect(addr).await.is_ok() {
                assert!(
                    Instant::now() < deadline,
                    "the listener stayed open after stop()"
                );
                sprout::sleep(Duration::from_millis(5)).await;
            }
            // The in-flight connection is still served during the grace period.
            client.write_all(b"after").await.unwrap();
            let mut reply = [0u8; 5];
            client.read_exact(&mut reply).await.unwrap();
            assert_eq!(&reply, b"after");
            assert!(
                !serving.is_finished(),
                "serve_forever waits for the handler"
            );
            drop(client);
            serving.await.unwrap().unwrap();
            assert_eq!(sprout::stats().live_tasks, 0, "no task left behind");
        });
    });
}

/// A handler that never finishes is cancelled after the grace period (its destructors run),
/// and `serve_forever` still returns.
#[test]
fn handlers_are_cancelled_after_the_grace_period() {
    within(Duration::from_secs(30), "grace period", || {
        runtime(1).block_on(async {
            let dropped = Arc::new(AtomicUsize::new(0));
            struct Guard(Arc<AtomicUsize>);
            impl Drop for Guard {
                fn drop(&mut self) {
                    self.0.fetch_add(1, Ordering::SeqCst);
                }
            }
            let counter = dropped.clone();
            let server = StreamServer::bind("127.0.0.1:0", move |_stream: TcpStream, _peer| {
                let guard = Guard(counter.clone());
                async move {
                    let _guard = guard;
                    std::future::pending::<()>().await;
                }
            })
            .await
            .unwrap()
            .handle_signals(false)
            .grace_period(Duration::from_millis(100));
            let addr = server.local_addr().unwrap();
            let stop = server.stop_handle();
            let serving = sprout::spawn(server.serve_forever());
            let mut clients = Vec::new();
            for _ in 0..3 {
                clients.push(TcpStream::connect(addr).await.unwrap());
            }
            while sprout::stats().live_tasks < 4 {
                sprout::yield_now().await; // accept loop + 3 handlers
            }
            let start = Instant::now();
            stop.stop();
            serving.await.unwrap().unwrap();
            let took = start.elapsed();
            assert!(
                took >= Duration::from_millis(100),
                "returned before the grace period: {took:?}"
            );
            assert_eq!(
                dropped.load(Ordering::SeqCst),
                3,
                "every handler was dropped"
            );
            assert_eq!(sprout::stats().live_tasks, 0);
        });
    });
}

/// A handler that panics, and one that returns an error, are reported; everyone else is
/// still served.
#[test]
fn handler_panics_and_errors_are_isolated() {
    within(Duration::from_secs(30), "handler panic", || {
        runtime(2).block_on(async {
            let server = StreamServer::bind("127.0.0.1:0", |stream: TcpStream, _peer| async move {
                let mut first = [0u8; 1];
                stream.read_exact(&mut first).await?;
                match first[0] {
                    b'p' => panic!("deliberate handler panic"),
                    b'e' => Err(std::io::Error::other("deliberate handler error")),
                    _ => stream.write_all(b"ok").await,
                }
            })
            .await
            .unwrap()
            .handle_signals(false);
            let addr = server.local_addr().unwrap();
            let stop = server.stop_handle();
            let serving = sprout::spawn(server.serve_forever());
            for first in [b'p', b'e', b'p', b'e'] {
                let bad = TcpStream::connect(addr).await.unwrap();
                bad.write_all(&[first]).await.unwrap();
                let mut rest = Vec::new();
                let _ = bad.read_to_end(&mut rest).await; // The server closes it.
            }
            for _ in 0..10 {
                let good = TcpStream::connect(addr).await.unwrap();
                good.write_all(b"g").await.unwrap();
                let mut reply = [0u8; 2];
                good.read_exact(&mut reply).await.unwrap();
                assert_eq!(&reply, b"ok");
            }
            stop.stop();
            serving.await.unwrap().unwrap();
        });
    });
}

/// `max_connections(2)`: never more than two handlers at once; the rest wait their turn and
/// are all served.
#[test]
fn max_connections_limits_concurrent_handlers() {
    within(Duration::from_secs(30), "max connections", || {
        runtime(2).block_on(async {
            let inside = Arc::new(AtomicUsize::new(0));
            let most = Arc::new(AtomicUsize::new(0));
            let (i2, m2) = (inside.clone(), most.clone());
            let server = StreamServer::bind("127.0.0.1:0", move |stream: TcpStream, _peer| {
                let (inside, most) = (i2.clone(), m2.clone());
                async move {
                    let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    sprout::sleep(Duration::from_millis(20)).await;
                    inside.fetch_sub(1, Ordering::SeqCst);
                    stream.write_all(b"done").await
                }
            })
            .await
            .unwrap()
            .handle_signals(false)
            .max_connections(2);
            let addr = server.local_addr().unwrap();
            let stop = server.stop_handle();
            let serving = sprout::spawn(server.serve_forever());
            let clients: Vec<_> = (0..10)
                .map(|_| {
                    sprout::spawn(async move {
                        let stream = TcpStream::connect(addr).await?;
                        let mut reply = Vec::new();
                        stream.read_to_end(&mut reply).await?;
                        Ok::<_, std::io::Error>(reply)
                    })
                })
                .collect();
            for reply in sprout::join_all(clients).await {
                assert_eq!(reply.unwrap().unwrap(), b"done");
            }
            assert_eq!(most.load(Ordering::SeqCst), 2);
            stop.stop();
            serving.await.unwrap().unwrap();
        });
    });
}

/// CPU time (user + system) of process `pid`, from all its threads' schedstat (nanoseconds).
fn cpu_time_of(pid: u32) -> Duration {
    let mut total = 0u64;
    for entry in std::fs::read_dir(format!("/proc/{pid}/task")).unwrap() {
        if let Ok(text) = std::fs::read_to_string(entry.unwrap().path().join("schedstat")) {
            total += text
                .split_whitespace()
                .next()
                .and_then(|f| f.parse::<u64>().ok())
                .unwrap_or(0);
        }
    }
    Duration::from_nanos(total)
}

/// EMFILE: the echo server runs in a child process limited to 48 descriptors. We open more
/// connections than it can accept; while it is out of descriptors its CPU stays low (it backs
/// off instead of spinning), and once our first clients disconnect it accepts and serves the
/// ones that waited.
#[test]
fn out_of_descriptors_backs_off_and_recovers() {
    let (mut child, stdout, addr) = start_limited_echo(48);
    let pid = child.id();

    let outcome = within(Duration::from_secs(60), "EMFILE", move || {
        // 60 connections: the kernel completes their handshakes (backlog), the server can only
        // accept the ~40 its limit leaves room for.
        let mut clients: Vec<std::net::TcpStream> = (0..60)
            .map(|_| std::net::TcpStream::connect(addr).expect("connect (kernel backlog)"))
            .collect();
        for client in &clients {
            client
                .set_read_timeout(Some(Duration::from_secs(20)))
                .unwrap();
        }
        std::thread::sleep(Duration::from_millis(300)); // let it hit the limit
        let before = cpu_time_of(pid);
        std::thread::sleep(Duration::from_secs(1));
        let used = cpu_time_of(pid) - before;
        // The last client was surely not accepted; after freeing descriptors it must be served.
        let mut waiting = clients.pop().unwrap();
        drop(clients);
        waiting.write_all(b"ping").unwrap();
        let mut reply = [0u8; 4];
        waiting.read_exact(&mut reply).unwrap();
        (used, reply)
    });
    let _ = child.kill();
    let _ = child.wait();
    drop(stdout);
    let (used, reply) = outcome;
    assert_eq!(&reply, b"ping", "served after descriptors freed");
    assert!(
        used < Duration::from_millis(100),
        "out of descriptors, the server used {used:?} of CPU in 1 s"
    );
}

/// Starts the echo example in a child process limited to `limit` file descriptors, on one
/// worker. Returns the child, its stdout (keep it open: a closed pipe would make the server's
/// next `println!` fail with EPIPE and take it down), and its address.
fn start_limited_echo(
    limit: u32,
) -> (
    std::process::Child,
    BufReader<std::process::ChildStdout>,
    SocketAddr,
) {
    let server_path = example_binary("echo");
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -n {limit} && exec \"$0\" --addr 127.0.0.1:0"
        ))
        .arg(&server_path)
        .env("SPROUT_WORKERS", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the echo example");
    let mut first_line = String::new();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    stdout.read_line(&mut first_line).unwrap();
    let addr: SocketAddr = first_line
        .trim()
        .rsplit(' ')
        .next()
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(|| panic!("no address in {first_line:?}"));
    (child, stdout, addr)
}

/// EMFILE while connections churn: idle clients use up the server's 48 descriptors, four
/// threads keep opening short connections (connect, one round trip, close) that must wait in
/// the kernel's backlog, and the idle clients leave a few at a time. Every churned round trip
/// completes, and the server is still serving at the end.
#[test]
fn accept_under_emfile_while_connections_churn() {
    let (mut child, stdout, addr) = start_limited_echo(48);
    let outcome = within(Duration::from_secs(90), "EMFILE churn", move || {
        let mut idle: Vec<std::net::TcpStream> = (0..45)
            .map(|_| std::net::TcpStream::connect(addr).expect("connect (kernel backlog)"))
            .collect();
        let churners: Vec<_> = (0..4u8)
            .map(|id| {
                std::thread::spawn(move || {
                    for round in 0..25u8 {
                        let mut stream = std::net::TcpStream::connect(addr)?;
                        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
                        stream.write_all(&[id, round])?;
                        let mut reply = [0u8; 2];
                        stream.read_exact(&mut reply)?;
                        assert_eq!(reply, [id, round], "churner {id}, round {round}");
                    }
                    std::io::Result::Ok(())
                })
            })
            .collect();
        // Free descriptors a few at a time while the churners wait and run.
        while !idle.is_empty() {
            std::thread::sleep(Duration::from_millis(50)); // pacing the load, not synchronising
            let keep = idle.len().saturating_sub(5);
            idle.truncate(keep);
        }
        for (id, churner) in churners.into_iter().enumerate() {
            churner
                .join()
                .expect("a churner thread")
                .unwrap_or_else(|error| panic!("churner {id}: {error}"));
        }
        let mut last = std::net::TcpStream::connect(addr).unwrap();
        last.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        last.write_all(b"still").unwrap();
        let mut reply = [0u8; 5];
        last.read_exact(&mut reply).unwrap();
        reply
    });
    let _ = child.kill();
    let _ = child.wait();
    drop(stdout);
    assert_eq!(&outcome, b"still");
}

/// A sanity check of the shared helpers: a round trip through the echo server.
#[test]
fn echo_helper_round_trip() {
    within(Duration::from_secs(30), "helper", || {
        runtime(1).block_on(async {
            let (addr, stop, serving) = start_echo_server(Some(4)).await;
            let data = payload(5, 10_000);
            assert!(echo_round_trip(addr, data.clone()).await.unwrap() == data);
            stop.stop();
            serving.await.unwrap().unwrap();
        });
    });
}

/// Dropping the runtime while a `StreamServer` accepts returns within the shutdown timeout: the
/// issue's reproduction (two workers, three threads connecting in a loop, the drop while it accepts),
/// 25 times. The accept loop used to spawn each handler under its list's lock; after shutdown
/// began the new task was dropped inside the spawn, and its guard locked the list again.
#[test]
fn dropping_the_runtime_while_a_server_accepts_returns() {
    within(Duration::from_secs(120), "drop while accepting", || {
        for round in 0..25 {
            let rt = sprout::Runtime::builder()
                .workers(2)
                .shutdown_timeout(Duration::from_secs(2))
                .build()
                .unwrap();
            let accepted = Arc::new(AtomicUsize::new(0));
            let addr = rt.block_on(async {
                let accepted = accepted.clone();
                let server = StreamServer::bind("127.0.0.1:0", move |s: TcpStream, _| {
                    accepted.fetch_add(1, Ordering::SeqCst);
                    async move {
                        let mut buf = [0u8; 16];
                        let _ = s.read(&mut buf).await;
                    }
                })
                .await
                .unwrap()
                .handle_signals(false);
                let addr = server.local_addr().unwrap();
                sprout::spawn(server.serve_forever()).detach();
                addr
            });
            let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
            let clients: Vec<_> = (0..3)
                .map(|_| {
                    let stop = stop.clone();
                    std::thread::spawn(move || {
                        let mut made = 0;
                        while !stop.load(Ordering::SeqCst) && made < 5_000 {
                            let _ = std::net::TcpStream::connect(addr);
                            made += 1;
                        }
                    })
                })
                .collect();
            // Drop while the server is busy accepting on its own worker (block_on has returned).
            let deadline = Instant::now() + Duration::from_secs(10);
            while accepted.load(Ordering::SeqCst) < 20 {
                assert!(
                    Instant::now() < deadline,
                    "round {round}: the server accepted nothing"
                );
                std::thread::yield_now();
            }
            let started = Instant::now();
            drop(rt);
            let took = started.elapsed();
            stop.store(true, Ordering::SeqCst);
            for client in clients {
                client.join().unwrap();
            }
            assert!(
                took < Duration::from_secs(4),
                "round {round}: dropping the runtime took {took:?}, past its 2 s shutdown timeout"
            );
        }
    });
}

/// A server that never accepted a connection stops at once, not after its grace period
/// (`serve_forever`'s promise; Ctrl-C on an idle echo server used to take the whole 5 s).
#[test]
fn stopping_a_server_that_never_accepted_returns_at_once() {
    within(Duration::from_secs(30), "stop an idle server", || {
        runtime(1).block_on(async {
            let server = StreamServer::bind("127.0.0.1:0", |_s: TcpStream, _| async {})
                .await
                .unwrap()
                .handle_signals(false)
                .grace_period(Duration::from_secs(20));
            let stop = server.stop_handle();
            let serving = sprout::spawn(server.serve_forever());
            sprout::yield_now().await;
            stop.stop();
            let stopped = sprout::timeout(Duration::from_secs(10), serving).await;
            assert!(
                matches!(stopped, Ok(Ok(Ok(())))),
                "serve_forever did not return at once after stop() with no connection ever \
                 accepted (it waited for its 20 s grace period): {stopped:?}"
            );
        });
    });
}

/// After one server with signal handling stops through its `StopHandle`, a second one still
/// gets a graceful first Ctrl-C (signal I1, I2): the first one's "terminate on the next
/// signal" used to stay registered and armed, so the SIGINT killed the process (status 130)
/// and the second server never drained. Run in a child process, which signals itself.
#[test]
fn a_second_server_drains_on_ctrl_c_after_the_first_stopped() {
    const TEST: &str = "a_second_server_drains_on_ctrl_c_after_the_first_stopped";
    if support::child::is_child(TEST) {
        runtime(1).block_on(async {
            let first = StreamServer::bind("127.0.0.1:0", |_s: TcpStream, _| async {})
                .await
                .unwrap();
            let stop = first.stop_handle();
            let serving = sprout::spawn(first.serve_forever());
            sprout::yield_now().await; // Its signals are registered now.
            stop.stop();
            serving.await.unwrap().unwrap();

            let second = StreamServer::bind("127.0.0.1:0", |_s: TcpStream, _| async {})
                .await
                .unwrap();
            let serving = sprout::spawn(second.serve_forever());
            sprout::yield_now().await;
            let pid = std::process::id().to_string();
            let sent = Command::new("kill").args(["-INT", &pid]).status().unwrap();
            assert!(sent.success(), "kill -INT failed");
            let drained = sprout::timeout(Duration::from_secs(10), serving).await;
            assert!(
                matches!(drained, Ok(Ok(Ok(())))),
                "the second server did not stop on SIGINT: {drained:?}"
            );
            eprintln!("the second server drained");
        });
        return;
    }
    let output = support::child::run_child_test(TEST, &[], Duration::from_secs(60));
    let stderr = support::child::successful_stderr(TEST, &output);
    assert!(stderr.contains("the second server drained"), "{stderr}");
}
