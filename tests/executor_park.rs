//! Parking: idle workers burn no CPU, and wake-ups from other threads reach a parked worker.

mod support;

use std::time::Duration;

use support::{process_cpu_time, runtime, within};

/// With every worker parked (one in epoll, one on its condvar), the process uses < 10 ms of
/// CPU over a full second. Measured in a child process that runs only this test, so the other
/// tests' threads do not count.
#[test]
fn idle_runtime_uses_no_cpu() {
    if std::env::var("SPROUT_IDLE_CHILD").is_err() {
        let output = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "idle_runtime_uses_no_cpu",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("SPROUT_IDLE_CHILD", "1")
            .output()
            .expect("run the child test");
        assert!(
            output.status.success(),
            "child failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        return;
    }
    let used = within(Duration::from_secs(20), "idle runtime", || {
        let rt = runtime(2);
        rt.block_on(async {
            // Warm up: let the background worker start and park.
            sprout::sleep(Duration::from_millis(50)).await;
            let before = process_cpu_time();
            // Main sleeps one second: worker 0 waits in the reactor for the timer, worker 1 on
            // its condvar. Nothing should spin.
            sprout::sleep(Duration::from_secs(1)).await;
            process_cpu_time().saturating_sub(before)
        })
    });
    eprintln!("idle runtime used {used:?} of CPU in 1 s");
    assert!(
        used < Duration::from_millis(10),
        "idle runtime used {used:?} of CPU in 1 s"
    );
}

/// A plain std thread sends on a channel; the worker parked in `recv` wakes and gets it.
#[test]
fn wake_from_a_foreign_thread_reaches_a_parked_worker() {
    for workers in [1, 2] {
        let got = within(Duration::from_secs(10), "foreign wake", move || {
            runtime(workers).block_on(async {
                let (tx, rx) = sprout::sync::channel(1);
                let sender = std::thread::spawn(move || {
                    // No runtime on this thread: the wake-up must cross threads.
                    std::thread::sleep(Duration::from_millis(50));
                    futures_lite::future::block_on(tx.send(42)).unwrap();
                });
                let value = rx.recv().await.unwrap();
                sender.join().unwrap();
                value
            })
        });
        assert_eq!(got, 42, "with {workers} worker(s)");
    }
}

/// A task woken from a foreign thread while *all* workers are parked on a multi-worker runtime
/// (main is waiting on the task's handle).
#[test]
fn foreign_wake_of_a_spawned_task() {
    let got = within(Duration::from_secs(10), "foreign wake of task", || {
        runtime(2).block_on(async {
            let (tx, rx) = sprout::sync::oneshot();
            let task = sprout::spawn(async move { rx.await.unwrap() * 2 });
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(50));
                tx.send(21).unwrap();
            });
            task.await.unwrap()
        })
    });
    assert_eq!(got, 42);
}

/// A task woken by the reactor poll of a worker's maintenance tick is never stranded in the
/// worker's LIFO slot while the worker sleeps (worker I3). Each round, the main future writes
/// one byte (so the fd is ready before the worker next polls the reactor) and waits for the
/// reading task's reply; rounds shift the worker's tick, so within 1,000 rounds the maintenance
/// poll is the one that wakes the reader. With the bug, the worker then slept in epoll with the
/// reader in its slot, and this deadlocked.
#[test]
fn a_task_woken_by_a_maintenance_poll_is_not_stranded() {
    use std::io::Write;
    use std::os::unix::net::UnixStream;
    within(Duration::from_secs(60), "maintenance-poll wake-up", || {
        runtime(1).block_on(async {
            let (reader, mut writer) = UnixStream::pair().unwrap();
            reader.set_nonblocking(true).unwrap();
            let reader = sprout::net::UnixStream::from_std(reader).unwrap();
            let (tx, rx) = sprout::sync::unbounded();
            let task = sprout::spawn(async move {
                let mut byte = [0u8; 1];
                while reader.read(&mut byte).await.unwrap() == 1 {
                    tx.send(byte[0]).await.unwrap();
                }
            });
            for round in 0..1_000u32 {
                writer.write_all(&[round as u8]).unwrap();
                assert_eq!(rx.recv().await.unwrap(), round as u8);
            }
            drop(writer);
            task.await.unwrap();
        });
    });
}

/// A single-worker echo server and one blocking client on a plain thread, 20,000 sequential
/// round trips. Nothing else can wake the worker, so a task stranded anywhere the worker does
/// not look before sleeping (it happened: the LIFO slot after a maintenance poll, worker I3)
/// stops the client for good, and the deadline reports it.
#[test]
fn one_connection_never_stalls_on_a_single_worker() {
    use std::io::{Read, Write};
    within(
        Duration::from_secs(120),
        "single-connection ping-pong",
        || {
            let rt = runtime(1);
            let listener = rt
                .block_on(sprout::net::TcpListener::bind("127.0.0.1:0"))
                .unwrap();
            let addr = listener.local_addr().unwrap();
            let client = std::thread::spawn(move || {
                let mut stream = std::net::TcpStream::connect(addr).unwrap();
                stream.set_nodelay(true).unwrap();
                let mut reply = [0u8; 8];
                for round in 0..20_000u64 {
                    stream.write_all(&round.to_le_bytes()).unwrap();
                    stream.read_exact(&mut reply).unwrap();
                    assert_eq!(u64::from_le_bytes(reply), round);
                }
            });
            rt.block_on(async {
                let (stream, _) = listener.accept().await.unwrap();
                let mut buf = [0u8; 64];
                loop {
                    let n = stream.read(&mut buf).await.unwrap();
                    if n == 0 {
                        break;
                    }
                    stream.write_all(&buf[..n]).await.unwrap();
                }
            });
            client.join().unwrap();
        },
    );
}
