//! Shutdown accountability: dropping a runtime names the tasks still alive, and a task or a
//! blocking closure that never ends cannot make the drop hang.

mod support;

use std::sync::mpsc;
use std::time::{Duration, Instant};

use support::child::{is_child, run_child_test, successful_stderr};

/// A named task that never ends (it waits on a timer forever) is listed by name and spawn
/// site when the runtime drops, and then cancelled: its destructor runs.
#[test]
fn shutdown_names_a_task_that_never_ends() {
    const TEST: &str = "shutdown_names_a_task_that_never_ends";
    if is_child(TEST) {
        let (dropped, was_dropped) = mpsc::channel::<()>();
        let runtime = support::runtime(2);
        runtime.block_on(async move {
            let _forever = sprout::TaskBuilder::new()
                .name("forever")
                .spawn(async move {
                    let _guard = Guard(dropped);
                    loop {
                        sprout::sleep(Duration::from_millis(10)).await;
                    }
                });
            sprout::sleep(Duration::from_millis(20)).await;
        });
        drop(runtime);
        assert!(
            was_dropped.recv_timeout(Duration::from_secs(5)).is_err(),
            "the channel is closed: the guard was dropped, not sent"
        );
        println!("future dropped");
        return;
    }
    let output = run_child_test(TEST, &[], Duration::from_secs(30));
    let stderr = successful_stderr(TEST, &output);
    assert!(
        stderr.contains("runtime shut down with 1 task(s) still alive; cancelling them"),
        "{stderr}"
    );
    let line = stderr
        .lines()
        .find(|line| line.contains("\"forever\""))
        .unwrap_or_else(|| panic!("the task is not named:\n{stderr}"));
    assert!(
        line.contains("spawned at tests/observe_shutdown.rs:") && line.contains("waits on a timer"),
        "name, spawn site and wait: {line}"
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("future dropped"));
}

/// Drops its sender, closing the channel, when the task's future is dropped.
struct Guard(#[allow(dead_code)] mpsc::Sender<()>);

/// A task stuck in one poll on a background worker, and a blocking closure that never returns:
/// with `shutdown_timeout(300 ms)` the drop returns in well under 3 s and names both.
#[test]
fn a_stuck_worker_and_an_endless_closure_are_named_not_waited_for() {
    const TEST: &str = "a_stuck_worker_and_an_endless_closure_are_named_not_waited_for";
    if is_child(TEST) {
        let runtime = sprout::Runtime::builder()
            .workers(2)
            .watchdog(Duration::ZERO)
            .shutdown_timeout(Duration::from_millis(300))
            .build()
            .expect("build");
        let (started, has_started) = mpsc::channel::<&str>();
        let stuck_started = started.clone();
        // Spawned from outside `block_on`: worker 1 is the only one running tasks.
        let _stuck = runtime.spawn(async move {
            stuck_started.send("stuck").expect("report");
            loop {
                std::thread::sleep(Duration::from_millis(50)); // never returns to the runtime
            }
        });
        runtime.block_on(async move {
            let _endless = sprout::TaskBuilder::new()
                .name("endless job")
                .spawn_blocking(move || {
                    started.send("endless").expect("report");
                    loop {
                        std::thread::sleep(Duration::from_millis(50));
                    }
                });
        });
        for _ in 0..2 {
            has_started
                .recv_timeout(Duration::from_secs(10))
                .expect("both started");
        }
        let before = Instant::now();
        drop(runtime);
        println!("drop took {} ms", before.elapsed().as_millis());
        return;
    }
    let output = run_child_test(TEST, &[], Duration::from_secs(30));
    let stderr = successful_stderr(TEST, &output);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let took: u64 = stdout
        .lines()
        .find_map(|line| line.split("drop took ").nth(1))
        .and_then(|text| text.strip_suffix(" ms"))
        .and_then(|number| number.parse().ok())
        .unwrap_or_else(|| panic!("no drop time in:\n{stdout}"));
    assert!(
        took < 3_000,
        "the drop was bounded by the timeout: {took} ms"
    );
    assert!(
        stderr.contains("worker 1 did not stop within 300.00 ms")
            && stderr.contains("spawned at tests/observe_shutdown.rs:"),
        "the stuck worker and its task are named:\n{stderr}"
    );
    assert!(
        stderr.contains("gave up after 300.00 ms waiting for task")
            && stderr.contains("\"endless job\" (spawn_blocking)"),
        "the endless closure is named:\n{stderr}"
    );
}
