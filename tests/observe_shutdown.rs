//! Shutdown accountability: dropping a runtime names what it could not stop (and, when asked,
//! every task it cancels), an ordinary exit says nothing, and a task or a blocking closure that
//! never ends cannot make the drop hang.

mod support;

use std::sync::mpsc;
use std::time::{Duration, Instant};

use support::child::{is_child, run_child_test, successful_stderr};

/// With `SPROUT_SHUTDOWN_REPORT=all`, a named task that never ends (it waits on a timer
/// forever) is listed by name and spawn site when the runtime drops, and then cancelled: its
/// destructor runs.
#[test]
fn shutdown_names_a_task_that_never_ends() {
    const TEST: &str = "shutdown_names_a_task_that_never_ends";
    if is_child(TEST) {
        let (dropped, was_dropped) = mpsc::channel::<()>();
        let runtime = support::runtime(2);
        runtime.block_on(async move {
            let forever = sprout::TaskBuilder::new()
                .name("forever")
                .spawn(async move {
                    let _guard = Guard(dropped);
                    loop {
                        sprout::sleep(Duration::from_secs(3600)).await;
                    }
                });
            // Return only once the task is parked on its timer: the report then shows it
            // idle and waiting (a short sleep loop here made the test race its own timer).
            let parked = || {
                sprout::dump().tasks.iter().any(|task| {
                    task.id == forever.id() && task.state == sprout::runtime::TaskState::Idle
                })
            };
            while !parked() {
                sprout::yield_now().await;
            }
        });
        drop(runtime);
        assert!(
            was_dropped.recv_timeout(Duration::from_secs(5)).is_err(),
            "the channel is closed: the guard was dropped, not sent"
        );
        println!("future dropped");
        return;
    }
    let output = run_child_test(
        TEST,
        &[("SPROUT_SHUTDOWN_REPORT", "all")],
        Duration::from_secs(30),
    );
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
        return leave_a_stuck_worker_and_an_endless_closure();
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

/// The child of the stuck-worker tests: a task stuck in one poll on worker 1 and a blocking
/// closure that never returns, then the runtime dropped with a 300 ms timeout.
fn leave_a_stuck_worker_and_an_endless_closure() {
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
}

/// With the report off, even what shutdown could not stop goes unsaid (and the drop is still
/// bounded).
#[test]
fn the_report_can_be_turned_off() {
    const TEST: &str = "the_report_can_be_turned_off";
    if is_child(TEST) {
        return leave_a_stuck_worker_and_an_endless_closure();
    }
    let output = run_child_test(
        TEST,
        &[("SPROUT_SHUTDOWN_REPORT", "off")],
        Duration::from_secs(30),
    );
    let stderr = successful_stderr(TEST, &output);
    assert!(!stderr.contains("sprout:"), "the report was off:\n{stderr}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("drop took"));
}

/// A program that cancels some tasks, detaches another, leaves one sleeping and returns says
/// nothing on stderr by default, and every task's future is dropped.
#[test]
fn an_ordinary_exit_is_silent() {
    const TEST: &str = "an_ordinary_exit_is_silent";
    if is_child(TEST) {
        let (dropped, all_dropped) = mpsc::channel::<()>();
        let runtime = support::runtime(2);
        runtime.block_on(async move {
            let sleeper = dropped.clone();
            let _sleeping = sprout::spawn(async move {
                let _guard = Guard(sleeper);
                sprout::sleep(Duration::from_secs(3600)).await;
            });
            let detached = dropped.clone();
            sprout::spawn(async move {
                let _guard = Guard(detached);
                std::future::pending::<()>().await;
            })
            .detach();
            for _ in 0..10 {
                let cancelled = dropped.clone();
                let helper = sprout::spawn(async move {
                    let _guard = Guard(cancelled);
                    std::future::pending::<()>().await;
                });
                sprout::yield_now().await;
                helper.cancel(); // Completes asynchronously: the runtime may drop first.
            }
            drop(dropped);
        });
        drop(runtime);
        assert!(
            all_dropped.recv_timeout(Duration::from_secs(5)).is_err(),
            "every guard was dropped: the channel is closed"
        );
        println!("all futures dropped");
        return;
    }
    let output = run_child_test(TEST, &[], Duration::from_secs(30));
    let stderr = successful_stderr(TEST, &output);
    assert!(
        !stderr.contains("sprout:"),
        "an ordinary exit printed:\n{stderr}"
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("all futures dropped"));
}

/// A malformed `SPROUT_SHUTDOWN_REPORT` is an `InvalidInput` error naming the variable.
#[test]
fn a_malformed_report_setting_is_an_error() {
    const TEST: &str = "a_malformed_report_setting_is_an_error";
    if is_child(TEST) {
        let error = sprout::Runtime::builder()
            .build()
            .expect_err("`loud` is not a report setting");
        assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
        assert!(
            error.to_string().contains("SPROUT_SHUTDOWN_REPORT"),
            "{error}"
        );
        println!("refused");
        return;
    }
    let output = run_child_test(
        TEST,
        &[("SPROUT_SHUTDOWN_REPORT", "loud")],
        Duration::from_secs(30),
    );
    successful_stderr(TEST, &output);
    assert!(String::from_utf8_lossy(&output.stdout).contains("refused"));
}
