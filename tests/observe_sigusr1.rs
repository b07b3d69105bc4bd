//! `kill -USR1 <pid>` prints a dump, in debug and release builds alike (`.ci/run` runs this
//! file in both). Alone in its binary: it starts a child process and a reader thread.

mod support;

use std::time::{Duration, Instant};

/// `kill -USR1 <pid>` prints a dump in debug and release builds alike (README's promise), with
/// the watchdog at its default: in a release build it used to end the process (status 138),
/// no handler being installed while the watchdog was off. Both answerers are checked: the
/// watchdog's thread, and the reactor (`SPROUT_WATCHDOG_MS=0`, a release build's default). The
/// child runs a runtime until its stdin closes; the parent signals it, waits for the dump on its
/// stderr, then lets it finish.
#[test]
fn sigusr1_prints_a_dump_and_the_process_lives_on() {
    if support::child::is_child(TEST) {
        let runtime = sprout::Runtime::builder().workers(1).build().unwrap();
        runtime.block_on(async {
            eprintln!("ready for SIGUSR1");
            let stdin_closed = sprout::spawn_blocking(|| {
                let mut line = String::new();
                while std::io::stdin()
                    .read_line(&mut line)
                    .is_ok_and(|read| read > 0)
                {}
            });
            stdin_closed.await.unwrap();
        });
        drop(runtime);
        eprintln!("still alive after SIGUSR1");
        return;
    }
    dump_on_sigusr1(&[("SPROUT_WATCHDOG_MS", "500")]);
    dump_on_sigusr1(&[("SPROUT_WATCHDOG_MS", "0")]);
}

/// The test's name, which its child runs.
const TEST: &str = "sigusr1_prints_a_dump_and_the_process_lives_on";

/// One child, with `env` added: signalled once, it must print a dump and live on.
fn dump_on_sigusr1(env: &[(&str, &str)]) {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let mut child = support::child::child_command(TEST)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the child");
    let pid = child.id().to_string();
    let child_stdin = child.stdin.take().expect("piped stdin");
    let (lines, seen) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().expect("piped stderr");
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    let wait_for = |text: &str| {
        let mut got = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match seen.recv_timeout(left) {
                Ok(line) if line.contains(text) => return got,
                Ok(line) => got.push(line),
                Err(_) => {
                    let _ = std::process::Command::new("kill")
                        .args(["-9", &pid])
                        .status();
                    panic!(
                        "the child never printed {text:?}; its stderr:\n{}",
                        got.join("\n")
                    );
                }
            }
        }
    };
    wait_for("ready for SIGUSR1");
    let sent = std::process::Command::new("kill")
        .args(["-USR1", &pid])
        .status()
        .expect("run kill");
    assert!(sent.success(), "kill -USR1 failed");
    wait_for("sprout runtime dump");
    drop(child_stdin); // The child's runtime finishes now.
    wait_for("still alive after SIGUSR1");
    let status = child.wait().expect("the child's status");
    assert!(
        status.success(),
        "the child ({env:?}) did not survive SIGUSR1: {status}"
    );
}
