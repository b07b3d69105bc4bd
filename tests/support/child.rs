//! Running one test of the current test binary again, in a child process, under a deadline:
//! for what must be seen from outside (stderr reports, signals, threads left behind).

use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The environment variable that tells a re-run test it is the child.
const CHILD_ENV: &str = "SPROUT_TEST_CHILD";

/// `true` inside the child started by [`run_child_test`] for `test`.
pub fn is_child(test: &str) -> bool {
    std::env::var(CHILD_ENV).is_ok_and(|name| name == test)
}

/// A command that runs only test `test` of this binary as a child (see [`is_child`]), with
/// the runtime's environment switches cleared so the parent decides them.
pub fn child_command(test: &str) -> Command {
    let mut command = Command::new(std::env::current_exe().expect("the test binary's path"));
    command
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, test)
        .env_remove("SPROUT_TRACE")
        .env_remove("SPROUT_WATCHDOG_MS")
        .env_remove("SPROUT_WORKERS")
        .env_remove("SPROUT_SHUTDOWN_REPORT");
    command
}

/// Runs test `test` as a child with `env` added and returns its output; kills it and fails if
/// it takes longer than `limit`.
pub fn run_child_test(test: &str, env: &[(&str, &str)], limit: Duration) -> Output {
    let mut command = child_command(test);
    command.envs(env.iter().copied());
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the child test");
    let pid = child.id();
    let (done, result) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(child.wait_with_output());
    });
    match result.recv_timeout(limit) {
        Ok(output) => output.expect("collect the child's output"),
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            panic!("child test {test} did not finish within {limit:?}");
        }
    }
}

/// The child's stderr as text, asserting first that it exited successfully.
pub fn successful_stderr(test: &str, output: &Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "child test {test} failed ({}):\nstdout:\n{}\nstderr:\n{stderr}",
        output.status,
        String::from_utf8_lossy(&output.stdout)
    );
    stderr
}
