//! The blocking watchdog: a task that blocks its worker is named while it blocks; tasks that
//! behave are never named.

mod support;

use std::time::Duration;

use support::child::{is_child, run_child_test, successful_stderr};

/// Marker printed by the blocking task once its 2 s are over.
const BLOCK_OVER: &str = "blocking call over";

/// Two workers: a task named "sleepy" calls `std::thread::sleep(2 s)` inside its poll, while
/// twenty well-behaved tasks ("polite-0"…) sleep and yield for about a second on the other
/// worker, and the main future awaits them all.
fn block_one_worker() {
    let runtime = sprout::Runtime::builder()
        .workers(2)
        .build()
        .expect("build a runtime");
    runtime.block_on(async {
        let polite: Vec<_> = (0..20)
            .map(|i| {
                sprout::TaskBuilder::new()
                    .name(format!("polite-{i}"))
                    .spawn(async {
                        for _ in 0..50 {
                            sprout::sleep(Duration::from_millis(20)).await;
                            sprout::yield_now().await;
                        }
                    })
            })
            .collect();
        let sleepy = sprout::TaskBuilder::new().name("sleepy").spawn(async {
            std::thread::sleep(Duration::from_secs(2)); // The bug the watchdog is for.
            eprintln!("{BLOCK_OVER}");
        });
        sleepy.await.expect("sleepy finished");
        for task in polite {
            task.await.expect("a polite task finished");
        }
    });
}

/// With the default threshold (500 ms, nothing in the environment), the report names the task,
/// its name and its spawn site, and comes while it is still blocking (before its marker);
/// a second line says when it returned. The polite tasks are never named.
#[test]
fn a_task_blocking_its_worker_is_named_while_it_blocks() {
    const TEST: &str = "a_task_blocking_its_worker_is_named_while_it_blocks";
    if is_child(TEST) {
        block_one_worker();
        return;
    }
    let output = run_child_test(TEST, &[], Duration::from_secs(60));
    let stderr = successful_stderr(TEST, &output);
    let report = stderr
        .find("sprout: watchdog:")
        .unwrap_or_else(|| panic!("no watchdog report:\n{stderr}"));
    let report_line = stderr[report..].lines().next().unwrap_or_default();
    assert!(
        report_line.contains("\"sleepy\"")
            && report_line.contains("spawned at tests/observe_watchdog.rs:")
            && report_line.contains("has been running on worker")
            && report_line.contains("threshold 500.00 ms"),
        "the report names the task, its spawn site and the threshold: {report_line}"
    );
    let over = stderr
        .find(BLOCK_OVER)
        .unwrap_or_else(|| panic!("the blocking task never finished:\n{stderr}"));
    assert!(
        report < over,
        "the watchdog spoke while the task was still blocking:\n{stderr}"
    );
    let returned = stderr
        .lines()
        .find(|line| line.contains("returned to the runtime on worker"))
        .unwrap_or_else(|| panic!("no line says when the poll returned:\n{stderr}"));
    assert!(
        returned.contains("\"sleepy\"") && returned.contains("spawned at"),
        "the return is reported with the same name, though the task has finished: {returned}"
    );
    let watchdog_lines: Vec<&str> = stderr
        .lines()
        .filter(|line| line.contains("watchdog"))
        .collect();
    assert_eq!(
        watchdog_lines.len(),
        2,
        "one report while blocking, one on return:\n{stderr}"
    );
    assert!(
        !stderr.contains("polite"),
        "well-behaved tasks are never reported:\n{stderr}"
    );
}

/// Well-behaved work under a sensitive threshold (`SPROUT_WATCHDOG_MS=200`): a second of
/// sleeping, yielding and socket round trips on two workers produces no report at all.
#[test]
fn well_behaved_tasks_are_never_reported() {
    const TEST: &str = "well_behaved_tasks_are_never_reported";
    if is_child(TEST) {
        let runtime = support::runtime(2);
        runtime.block_on(async {
            let listener = sprout::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            let addr = listener.local_addr().expect("address");
            let server = sprout::spawn(async move {
                let (stream, _) = listener.accept().await.expect("accept");
                let mut buf = [0u8; 64];
                loop {
                    let n = stream.read(&mut buf).await.expect("server read");
                    if n == 0 {
                        break;
                    }
                    stream.write_all(&buf[..n]).await.expect("server write");
                }
            });
            let client = sprout::net::TcpStream::connect(addr)
                .await
                .expect("connect");
            let started = std::time::Instant::now();
            let mut buf = [0u8; 5];
            while started.elapsed() < Duration::from_secs(1) {
                client.write_all(b"hello").await.expect("client write");
                client.read_exact(&mut buf).await.expect("client read");
                sprout::yield_now().await;
            }
            drop(client);
            server.await.expect("the server task ended");
        });
        return;
    }
    let output = run_child_test(
        TEST,
        &[("SPROUT_WATCHDOG_MS", "200")],
        Duration::from_secs(60),
    );
    let stderr = successful_stderr(TEST, &output);
    assert!(
        !stderr.contains("watchdog"),
        "no report for tasks that never block:\n{stderr}"
    );
}

/// `SPROUT_WATCHDOG_MS` must be a number: anything else is a clear build error.
#[test]
fn a_malformed_threshold_is_an_error() {
    const TEST: &str = "a_malformed_threshold_is_an_error";
    if is_child(TEST) {
        let error = sprout::Runtime::builder().build().unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
        assert!(error.to_string().contains("SPROUT_WATCHDOG_MS"), "{error}");
        return;
    }
    let output = run_child_test(
        TEST,
        &[("SPROUT_WATCHDOG_MS", "soon")],
        Duration::from_secs(30),
    );
    successful_stderr(TEST, &output);
}
