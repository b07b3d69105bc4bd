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
