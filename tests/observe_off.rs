//! Built only without the glass box (`cargo test --no-default-features --test observe_off`,
//! which `.ci/run` runs): the runtime works, shutdown still drops every live task, and asking
//! for what is not compiled in — `SPROUT_TRACE`, `SPROUT_SHUTDOWN_REPORT`, a watchdog — is
//! answered on stderr, not silently ignored.
#![cfg(not(feature = "observe"))]

mod support;

use std::sync::mpsc;
use std::time::Duration;

use support::child::{is_child, run_child_test};

#[test]
fn a_runtime_without_the_glass_box_runs_and_drops_its_tasks() {
    support::within(Duration::from_secs(30), "observe off", || {
        let (dropped, was_dropped) = mpsc::channel::<()>();
        let runtime = sprout::Runtime::builder().workers(2).build().unwrap();
        let answer = runtime.block_on(async move {
            let guard = Guard(dropped);
            let _forever = sprout::spawn(async move {
                let _guard = guard;
                std::future::pending::<()>().await;
            });
            sprout::spawn(async { 6 * 7 }).await.unwrap()
        });
        assert_eq!(answer, 42);
        drop(runtime);
        assert!(
            was_dropped.recv_timeout(Duration::from_secs(5)).is_err(),
            "the pending task's future was dropped at shutdown"
        );
    });
}

/// Drops its sender, closing the channel, when the future that owns it is dropped.
struct Guard(#[allow(dead_code)] mpsc::Sender<()>);

#[test]
fn asking_for_the_glass_box_says_it_is_not_there() {
    const TEST: &str = "asking_for_the_glass_box_says_it_is_not_there";
    if is_child(TEST) {
        let runtime = sprout::Runtime::builder()
            .workers(1)
            .watchdog(Duration::from_millis(100))
            .build()
            .unwrap();
        runtime.block_on(async {});
        return;
    }
    let output = run_child_test(
        TEST,
        &[("SPROUT_TRACE", "1"), ("SPROUT_SHUTDOWN_REPORT", "all")],
        Duration::from_secs(30),
    );
    assert!(output.status.success(), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    for asked in ["SPROUT_TRACE", "SPROUT_SHUTDOWN_REPORT", "a watchdog"] {
        assert!(
            stderr.contains(&format!("sprout: {asked}"))
                && stderr.contains("the cargo feature `observe` is off"),
            "{asked} is not answered:\n{stderr}"
        );
    }
}
