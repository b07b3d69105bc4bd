//! The portable reactor — `polling`'s `add`, `modify`, `wait` and `notify` only, the path every
//! platform but Linux takes — chosen on Linux with `Builder::portable_reactor(true)` or
//! `SPROUT_REACTOR=portable`, so that path runs where the tests run. `.ci/run` also runs every
//! integration test once with `SPROUT_REACTOR=portable`; these tests check the switch itself
//! and the parts of the path that differ: the FIN an event may carry unnamed, the notify, the
//! registration and re-arming.

mod support;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener as StdListener, TcpStream as StdStream};
use std::time::{Duration, Instant};

use support::child::{is_child, run_child_test};
use support::within;

fn portable(workers: usize) -> sprout::Runtime {
    sprout::Runtime::builder()
        .workers(workers)
        .portable_reactor(true)
        .build()
        .expect("a runtime with the portable reactor")
}

#[test]
fn the_builder_and_the_environment_choose_the_reactor() {
    const TEST: &str = "the_builder_and_the_environment_choose_the_reactor";
    if is_child(TEST) {
        // The child runs with SPROUT_REACTOR=portable: the default follows it, the builder
        // overrides it.
        let from_environment = sprout::Runtime::builder().workers(1).build().unwrap();
        assert!(from_environment.stats().portable_reactor);
        let raw = sprout::Runtime::builder()
            .workers(1)
            .portable_reactor(false)
            .build()
            .unwrap();
        assert_eq!(raw.stats().portable_reactor, cfg!(not(target_os = "linux")));
        println!("chosen as asked");
        return;
    }
    assert!(portable(1).stats().portable_reactor);
    let output = run_child_test(
        TEST,
        &[("SPROUT_REACTOR", "portable")],
        Duration::from_secs(30),
    );
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("chosen as asked"),
        "the child failed: {output:?}"
    );
}

#[test]
fn a_malformed_sprout_reactor_is_refused_by_name() {
    const TEST: &str = "a_malformed_sprout_reactor_is_refused_by_name";
    if is_child(TEST) {
        let error = sprout::Runtime::builder().build().unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
        assert!(error.to_string().contains("SPROUT_REACTOR"), "{error}");
        println!("refused: {error}");
        return;
    }
    let output = run_child_test(
        TEST,
        &[("SPROUT_REACTOR", "epoll")],
        Duration::from_secs(30),
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("refused: SPROUT_REACTOR must be"),
        "{output:?}"
    );
}

/// Data and the FIN in one burst: `polling`'s event cannot say the peer closed, so the reader
/// must not take the short read as "drained" and must read on to the end of the stream.
#[test]
fn data_and_fin_in_one_burst_reach_the_end_of_the_stream() {
    within(Duration::from_secs(30), "data and FIN, portable", || {
        portable(1).block_on(async {
            let listener = sprout::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let client = std::thread::spawn(move || {
                let mut stream = StdStream::connect(addr).unwrap();
                stream.write_all(b"the whole message").unwrap();
                stream.shutdown(Shutdown::Write).unwrap();
            });
            let (stream, _) = listener.accept().await.unwrap();
            let mut received = Vec::new();
            loop {
                let chunk = stream.read_chunk(4096).await.unwrap();
                if chunk.is_empty() {
                    break;
                }
                received.extend_from_slice(&chunk);
            }
            assert_eq!(received, b"the whole message");
            client.join().unwrap();
        });
    });
}

/// A worker parked in `polling`'s wait is woken by `polling`'s notify: a timer due soon, and
/// a task woken a hundred times from a thread outside the runtime, on two workers.
#[test]
fn timers_and_foreign_wake_ups_reach_a_parked_worker() {
    within(
        Duration::from_secs(30),
        "timers and foreign wake-ups, portable",
        || {
            let runtime = portable(2);
            runtime.block_on(async {
                let start = Instant::now();
                sprout::sleep(Duration::from_millis(20)).await;
                assert!(start.elapsed() >= Duration::from_millis(20));
                // A ping-pong with a thread outside the runtime: each round, a worker waits
                // (parked, most rounds) for a value only that thread sends.
                let (to_thread, from_runtime) = std::sync::mpsc::channel::<u32>();
                let (to_runtime, receiver) = sprout::sync::channel::<u32>(1);
                let outside = std::thread::spawn(move || {
                    for value in from_runtime {
                        to_runtime.send_blocking(value + 1).unwrap();
                    }
                });
                for round in 0..100 {
                    to_thread.send(round).unwrap();
                    assert_eq!(receiver.recv().await.unwrap(), round + 1);
                }
                drop(to_thread);
                outside.join().unwrap();
            });
        },
    );
}

/// A socket written until it is full parks its writer; the reader drains it, and the writable
/// edge the portable registration reports wakes the writer again.
#[test]
fn a_full_socket_wakes_its_writer_when_drained() {
    within(Duration::from_secs(30), "full socket, portable", || {
        let listener = StdListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        const TOTAL: usize = 8 << 20;
        let reader = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut buffer = vec![0; 1 << 16];
            let mut total = 0;
            loop {
                match stream.read(&mut buffer).unwrap() {
                    0 => return total,
                    read => total += read,
                }
            }
        });
        portable(1).block_on(async {
            let stream = sprout::net::TcpStream::connect(addr).await.unwrap();
            stream.write_all(&vec![1u8; TOTAL]).await.unwrap();
            stream.shutdown(Shutdown::Write).unwrap();
        });
        assert_eq!(reader.join().unwrap(), TOTAL);
    });
}
