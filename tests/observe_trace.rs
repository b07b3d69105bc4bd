//! The trace (`SPROUT_TRACE=1`): one read on a socket tells its whole story, in order.

mod support;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use support::child::{is_child, run_child_test, successful_stderr};

/// The fixed program: one worker; a task named "reader" reads from a socket pair with nothing
/// in it yet (so it parks on the fd); then the main future writes 4 bytes into the other end.
fn read_one_message() {
    let runtime = sprout::Runtime::builder()
        .workers(1)
        .build()
        .expect("build a runtime");
    runtime.block_on(async {
        let (ours, mut theirs) = UnixStream::pair().expect("a socket pair");
        ours.set_nonblocking(true).expect("non-blocking");
        let reader = sprout::TaskBuilder::new().name("reader").spawn(async move {
            let socket = sprout::Async::new(ours).expect("register the socket");
            let mut buf = [0u8; 16];
            socket
                .read_with(|mut s| s.read(&mut buf))
                .await
                .expect("read")
        });
        // One worker: the reader runs (and parks on its fd) before the main future goes on.
        sprout::yield_now().await;
        theirs.write_all(b"ping").expect("write");
        assert_eq!(reader.await.expect("the reader finished"), 4);
    });
}

/// The index of the first line at or after `from` that contains every one of `parts`.
fn find(lines: &[&str], from: usize, parts: &[&str], trace: &str) -> usize {
    lines[from..]
        .iter()
        .position(|line| parts.iter().all(|part| line.contains(part)))
        .map(|offset| from + offset)
        .unwrap_or_else(|| panic!("no trace line after line {from} contains {parts:?}:\n{trace}"))
}

/// spawn → poll → Pending on the readable fd → epoll event on that fd → wake by that fd →
/// poll → Ready, in that order, each on its own line, with the task's name and spawn site.
/// Run in a child process with `SPROUT_TRACE=1` in its environment, so the switch itself is
/// what is tested.
#[test]
fn one_read_tells_its_whole_story_in_order() {
    const TEST: &str = "one_read_tells_its_whole_story_in_order";
    if is_child(TEST) {
        read_one_message();
        return;
    }
    let output = run_child_test(TEST, &[("SPROUT_TRACE", "1")], Duration::from_secs(30));
    let trace = successful_stderr(TEST, &output);
    let lines: Vec<&str> = trace.lines().collect();

    let spawned = find(
        &lines,
        0,
        &["\"reader\" spawned at tests/observe_trace.rs:"],
        &trace,
    );
    let id = lines[spawned]
        .split("task ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the spawn line names the task id");
    let task = format!("task {id} \"reader\"");
    let first_poll = find(&lines, spawned, &[&task, "polled (poll 1)"], &trace);
    let pending = find(
        &lines,
        first_poll,
        &[&task, "returned Pending", "waits on fd"],
        &trace,
    );
    let fd = lines[pending]
        .split("waits on fd ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the Pending line names the fd");
    let readable = format!("fd {fd} readable");
    assert!(
        lines[pending].contains(&readable),
        "the reader waits to read: {}",
        lines[pending]
    );
    let event = find(&lines, pending, &["epoll_wait returned", &readable], &trace);
    let woken = find(&lines, event, &[&task, "woken by", &readable], &trace);
    let second_poll = find(&lines, woken, &[&task, "polled (poll 2)"], &trace);
    let ready = find(&lines, second_poll, &[&task, "returned Ready"], &trace);
    assert!(spawned < first_poll && first_poll < pending && pending < event);
    assert!(event < woken && woken < second_poll && second_poll < ready);
    // Every line starts with the seconds since the runtime started and the thread.
    for line in &lines[spawned..=ready] {
        let seconds = line.split_whitespace().next().unwrap_or_default();
        assert!(
            seconds.parse::<f64>().is_ok(),
            "a trace line starts with a time: {line}"
        );
        assert!(
            line.contains("worker 0"),
            "one worker did everything: {line}"
        );
    }
}

/// Without `SPROUT_TRACE`, the same program prints nothing at all.
#[test]
fn without_the_switch_nothing_is_printed() {
    const TEST: &str = "without_the_switch_nothing_is_printed";
    if is_child(TEST) {
        read_one_message();
        return;
    }
    let output = run_child_test(TEST, &[], Duration::from_secs(30));
    let stderr = successful_stderr(TEST, &output);
    assert!(
        !stderr.contains("polled") && !stderr.contains("epoll_wait"),
        "no trace without SPROUT_TRACE:\n{stderr}"
    );
}
