//! Every program output that README.md and the book quote — traces, dumps, reports, what an
//! example prints — comes from a run this file can repeat, and must still match it. A quote
//! sits under `<!-- capture NAME -->`; this test runs capture NAME afresh and checks the quote
//! against it, both masked (times, ports, fds, ids, source lines; `support/captures.rs`). The
//! runs are scripted, not timed: the client waits for the trace line that says the server got
//! where the story needs it before it takes its next step, so each capture tells the same story
//! every time.
//!
//! One command writes every fresh capture to `target/captures/NAME.txt`, to quote from:
//!
//! ```text
//! SPROUT_WRITE_CAPTURES=1 cargo test --test book_captures
//! ```
//!
//! (The outputs of the exercises are quoted as `<!-- capture exercise:NAME -->` and checked by
//! `tests/book_exercises.rs`, which runs them.)

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use support::captures;
use support::example_binary;

/// How long any one step of a capture may take before the test fails, naming the step.
const STEP: Duration = Duration::from_secs(30);

#[test]
fn every_quoted_output_matches_a_fresh_capture() {
    let names: Vec<String> = captures::quoted_names()
        .into_iter()
        .filter(|name| !name.starts_with("exercise:"))
        .collect();
    assert!(
        names.len() >= 5,
        "only {names:?} quoted: did the marker change?"
    );
    let write_to = std::env::var_os("SPROUT_WRITE_CAPTURES")
        .map(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/captures"));
    let mut problems = Vec::new();
    for name in &names {
        let fresh = capture(name);
        if let Some(folder) = &write_to {
            std::fs::create_dir_all(folder).expect("create target/captures");
            std::fs::write(folder.join(format!("{name}.txt")), &fresh).expect("write a capture");
        }
        for quote in captures::quotes_of(name) {
            if let Err(problem) = captures::check(&quote, &fresh) {
                problems.push(format!("capture {name}: {problem}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// Runs capture `name` and returns what it printed.
fn capture(name: &str) -> String {
    match name {
        "hand_future" => {
            let output = Command::new(example_binary("hand_future"))
                .output()
                .expect("run hand_future");
            assert!(output.status.success(), "hand_future failed: {output:?}");
            String::from_utf8_lossy(&output.stdout).into_owned()
        }
        "echo-trace" => one_message(&[], b"hi\n", false),
        "echo-trace-buffer-4" => one_message(&["--buffer", "4"], b"hello, sprout", true),
        "echo-dump" => dump_with_one_idle_client(),
        "shutdown-report-all" => child_of(
            "observe_shutdown",
            "shutdown_names_a_task_that_never_ends",
            &[("SPROUT_SHUTDOWN_REPORT", "all")],
        ),
        "shutdown-report-leaks" => child_of(
            "observe_shutdown",
            "a_stuck_worker_and_an_endless_closure_are_named_not_waited_for",
            &[("SPROUT_SHUTDOWN_REPORT", "all")],
        ),
        other => panic!("no capture named {other:?}: add it to tests/book_captures.rs"),
    }
}

/// The echo example with the trace on and one worker, and one client that connects, waits
/// until its task has parked, sends `message`, and hangs up — at once if `hang_up_at_once`,
/// else after its echo came back and the task parked again.
fn one_message(args: &[&str], message: &[u8], hang_up_at_once: bool) -> String {
    let mut server = Server::start(args);
    server.wait_for("parks in epoll_wait", 2);
    let mut client = TcpStream::connect(&server.addr).expect("connect");
    client.set_nodelay(true).expect("nodelay");
    server.wait_for_the_task_to_park();
    client.write_all(message).expect("send");
    if hang_up_at_once {
        client.shutdown(Shutdown::Write).expect("half-close");
    }
    let mut echoed = vec![0; message.len()];
    client.read_exact(&mut echoed).expect("read the echo");
    assert_eq!(echoed, message);
    if !hang_up_at_once {
        server.wait_for("returned Pending after", 2);
        client.shutdown(Shutdown::Write).expect("half-close");
    }
    assert_eq!(client.read(&mut [0; 1]).expect("read the end"), 0);
    server.wait_for("returned Ready after", 1);
    server.stop()
}

/// The dump (SIGUSR1) of the echo example with the trace on, one worker, and one client that
/// has had one echo and is waiting.
fn dump_with_one_idle_client() -> String {
    let mut server = Server::start(&[]);
    server.wait_for("parks in epoll_wait", 2);
    let mut client = TcpStream::connect(&server.addr).expect("connect");
    server.wait_for_the_task_to_park();
    client.write_all(b"hi\n").expect("send");
    client.read_exact(&mut [0; 3]).expect("read the echo");
    server.wait_for("returned Pending after", 2);
    server.signal("-USR1");
    server.wait_for("blocking pool:", 1);
    drop(client);
    server.wait_for("returned Ready after", 1);
    server.stop()
}

/// An example echo server whose stderr is read line by line as it comes.
struct Server {
    child: Child,
    addr: String,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Server {
    /// Starts the echo example on a free port with the trace on and one worker.
    fn start(args: &[&str]) -> Server {
        let mut child = Command::new(example_binary("echo"))
            .args(["--addr", "127.0.0.1:0"])
            .args(args)
            .env("SPROUT_TRACE", "1")
            .env("SPROUT_WORKERS", "1")
            .env_remove("SPROUT_WATCHDOG_MS")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the echo example");
        let (sender, lines) = mpsc::channel();
        let stderr = child.stderr.take().expect("piped stderr");
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    return;
                }
            }
        });
        let (address, first_line) = mpsc::channel();
        let stdout = child.stdout.take().expect("piped stdout");
        std::thread::spawn(move || {
            let mut stdout = BufReader::new(stdout);
            let mut line = String::new();
            let _ = stdout.read_line(&mut line);
            let _ = address.send(line);
            let _ = std::io::copy(&mut stdout, &mut std::io::sink()); // keep it drained
        });
        let line = first_line
            .recv_timeout(STEP)
            .expect("the server printed its address");
        let addr = line
            .split_whitespace()
            .find(|word| word.starts_with("127.0.0.1:"))
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .to_string();
        Server {
            child,
            addr,
            lines,
            seen: Vec::new(),
        }
    }

    /// Reads stderr until the `count`th line so far that contains `pattern`.
    fn wait_for(&mut self, pattern: &str, count: usize) {
        let deadline = Instant::now() + STEP;
        while self.seen.iter().filter(|l| l.contains(pattern)).count() < count {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.seen.push(line),
                Err(_) => panic!(
                    "waited {STEP:?} for line {count} with {pattern:?}; the server said:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }

    /// After a client connected: waits until the connection's task has parked and the worker
    /// has taken the new socket's first event (writable, as a fresh registration reports) and
    /// parked again, so bytes sent now arrive in an event of their own.
    fn wait_for_the_task_to_park(&mut self) {
        self.wait_for("returned Pending after", 1);
        self.wait_for("parks in epoll_wait", 4);
    }

    /// Sends `signal` (`-INT`, `-USR1`) to the server.
    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill {signal} failed");
    }

    /// Stops the server with Ctrl-C and returns everything it wrote on stderr.
    fn stop(mut self) -> String {
        self.signal("-INT");
        let deadline = Instant::now() + STEP;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.seen.push(line),
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    let _ = self.child.kill();
                    panic!("the server did not stop on Ctrl-C within {STEP:?}");
                }
            }
        }
        let status = self.child.wait().expect("wait for the server");
        assert!(status.success(), "the server exited with {status}");
        std::mem::take(&mut self.seen).join("\n")
    }
}

impl Drop for Server {
    /// A capture that failed half-way must not leave its server running.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The stderr of test `test` of the test binary `binary`, run as that binary runs it as its
/// own child (`support/child.rs`), with `env`. Plain `cargo test` builds the binary first; a
/// missing or stale one is refused, as `example_binary` refuses an example.
fn child_of(binary: &str, test: &str, env: &[(&str, &str)]) -> String {
    let path = test_binary(binary);
    let mut command = Command::new(path);
    command
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env("SPROUT_TEST_CHILD", test)
        .env_remove("SPROUT_TRACE")
        .env_remove("SPROUT_WATCHDOG_MS")
        .env_remove("SPROUT_WORKERS")
        .envs(env.iter().copied());
    let output = support::within(STEP, test, move || command.output().expect("run the child"));
    assert!(output.status.success(), "{test} failed: {output:?}");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The newest built test binary `name` beside this one (`target/debug/deps/NAME-HASH`).
fn test_binary(name: &str) -> PathBuf {
    let here = std::env::current_exe().expect("this test binary's path");
    let deps = here.parent().expect("deps/");
    let prefix = format!("{name}-");
    let newest = std::fs::read_dir(deps)
        .expect("read deps/")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            let file = path.file_name().unwrap_or_default().to_string_lossy();
            file.starts_with(&prefix) && path.extension().is_none()
        })
        .max_by_key(|path| std::fs::metadata(path).and_then(|m| m.modified()).ok())
        .unwrap_or_else(|| panic!("test binary {name} not built: run plain `cargo test`"));
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/{name}.rs"));
    let modified = |path: &Path| std::fs::metadata(path).and_then(|m| m.modified()).unwrap();
    assert!(
        modified(&newest) >= modified(&source),
        "{newest:?} is older than {source:?}: run plain `cargo test`"
    );
    newest
}
