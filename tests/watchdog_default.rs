//! The watchdog's default follows the build: on (500 ms) in a debug build, where learners run
//! the examples, off in a release build, where a server should pay nothing for a thread it did
//! not ask for (the SIGUSR1 dump is then answered by the reactor: `observe_sigusr1.rs`).
//! Checked by looking for the monitor thread (`sprout-monitor`) in `/proc/self/task` — alone in
//! its own test binary, so no other test's runtime is counted.

use std::time::{Duration, Instant};

/// The names of this process's threads.
fn thread_names() -> Vec<String> {
    std::fs::read_dir("/proc/self/task")
        .expect("/proc/self/task is readable on Linux")
        .filter_map(Result::ok)
        .filter_map(|task| std::fs::read_to_string(task.path().join("comm")).ok())
        .map(|name| name.trim().to_owned())
        .collect()
}

/// How many threads of this process are named `sprout-monitor`.
fn monitor_threads() -> usize {
    thread_names()
        .iter()
        .filter(|name| *name == "sprout-monitor")
        .count()
}

#[test]
fn the_watchdog_is_on_by_default_in_debug_builds_and_off_in_release_builds() {
    assert!(
        std::env::var_os("SPROUT_WATCHDOG_MS").is_none(),
        "this test checks the default; unset SPROUT_WATCHDOG_MS to run it"
    );
    assert_eq!(monitor_threads(), 0, "no runtime yet");
    let before = thread_names().len();
    let runtime = sprout::Runtime::builder().workers(1).build().unwrap();
    // One worker runs on the caller's thread: the only thread `build` may start is the monitor.
    // Counted by number, not name, because a new thread shows its name a moment after it starts.
    let started = thread_names().len() - before;
    assert_eq!(
        started,
        usize::from(cfg!(debug_assertions)),
        "threads started by build()"
    );
    // The thread is started by `build`; its name is set before it runs, but give the kernel's
    // view a bounded moment to show it.
    let deadline = Instant::now() + Duration::from_secs(5);
    let expected = usize::from(cfg!(debug_assertions));
    while monitor_threads() != expected && Instant::now() < deadline {
        std::thread::yield_now();
    }
    assert_eq!(
        monitor_threads(),
        expected,
        "debug_assertions = {}: the monitor thread should {}",
        cfg!(debug_assertions),
        if expected == 1 { "run" } else { "not exist" }
    );
    drop(runtime);
    // Dropping the runtime joins the monitor thread. A joined thread has exited, but the kernel
    // takes its entry out of `/proc/self/task` a moment later (the join returns when the
    // thread's id is cleared, before the thread is reaped); this assertion once failed for it.
    let deadline = Instant::now() + Duration::from_secs(5);
    while monitor_threads() != 0 && Instant::now() < deadline {
        std::thread::yield_now();
    }
    assert_eq!(
        monitor_threads(),
        0,
        "dropping the runtime stops the monitor"
    );
}
