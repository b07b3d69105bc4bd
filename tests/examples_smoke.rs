//! Every echo example builds, starts, and echoes through `echo_client`: the lecture's stages,
//! each run as a learner would run it (on a free port).

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

use support::{example_binary, within};

/// A running example server, killed on drop.
struct Server {
    /// The server process (the group leader).
    child: Child,
    /// Where it listens, read from its first line of output.
    addr: String,
    /// The server's stdout, kept open: closing it would make the server's next `println!`
    /// fail with a broken pipe.
    _stdout: BufReader<ChildStdout>,
}

impl Server {
    /// Starts example `name` on 127.0.0.1:0 and reads the address it prints.
    fn start(name: &str) -> Server {
        Server::start_with_stderr(name, Stdio::inherit())
    }

    /// Starts example `name`, its standard error going to `stderr` (piped, for a test that
    /// reads what the server reported).
    fn start_with_stderr(name: &str, stderr: Stdio) -> Server {
        let mut child = Command::new(example_binary(name))
            .args(["--addr", "127.0.0.1:0"])
            .stdin(Stdio::piped()) // echo_select stops on a line of stdin; keep it open.
            .stdout(Stdio::piped())
            .stderr(stderr)
            .env("SPROUT_WORKERS", "1")
            .spawn()
            .expect("start the example");
        let mut line = String::new();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        stdout.read_line(&mut line).unwrap();
        let addr = line
            .split("listening on ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("{name} printed no address: {line:?}"))
            .to_string();
        Server {
            child,
            addr,
            _stdout: stdout,
        }
    }

    /// Sends the server signal `name` (`INT`, `TERM`) with `kill`.
    fn signal(&self, name: &str) {
        // A positive pid only: `kill` misreads a negative one as options.
        let status = Command::new("kill")
            .args(["-s", name, &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -s {name} failed");
    }

    /// Runs `echo_client` against this server with `args`; returns its stdout.
    fn client(&self, args: &[&str]) -> String {
        let output = Command::new(example_binary("echo_client"))
            .args(["--addr", &self.addr])
            .args(args)
            .env("SPROUT_WORKERS", "1")
            .output()
            .expect("run echo_client");
        assert!(
            output.status.success(),
            "echo_client {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // echo_processes' workers exit by themselves when their parent dies (their stdin pipe
        // closes), so killing the one process we started is enough.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One message through each lecture stage.
#[test]
fn every_stage_echoes_a_message() {
    for name in [
        "echo",
        "echo_blocking",
        "echo_select",
        "echo_threads",
        "echo_processes",
        "echo_callbacks",
        "tiny_runtime",
    ] {
        let out = within(Duration::from_secs(60), name, move || {
            let server = Server::start(name);
            server.client(&["hello from the smoke test"])
        });
        assert_eq!(out.trim(), "hello from the smoke test", "{name}");
    }
}

/// `echo_client --interactive` echoes each line typed (here piped) and ends at end of input: the
/// chapters' way to talk to a server without `nc`.
#[test]
fn the_interactive_client_echoes_each_line() {
    let out = within(Duration::from_secs(60), "interactive client", || {
        let server = Server::start("echo");
        let mut client = Command::new(example_binary("echo_client"))
            .args(["--addr", &server.addr, "--interactive"])
            .env("SPROUT_WORKERS", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("run echo_client --interactive");
        let mut stdin = client.stdin.take().unwrap();
        std::io::Write::write_all(&mut stdin, b"first line\nsecond\n").unwrap();
        drop(stdin); // end of input: the client half-closes and exits
        let output = client.wait_with_output().unwrap();
        assert!(output.status.success(), "the interactive client failed");
        String::from_utf8_lossy(&output.stdout).into_owned()
    });
    assert!(out.contains("echo: first line\necho: second\n"), "{out}");
}

/// The load and Shakespeare modes of the client run and report, against sprout's echo server and
/// against chapter 6's one-file runtime running the same handler. The load is 8 connections
/// with 64 KiB messages (each reply checked by the client, and big enough to fill socket buffers,
/// so reads and writes park in the reactor), then a bulk stream beside small clients.
#[test]
fn client_load_and_shakespeare_modes_report() {
    for name in ["echo", "tiny_runtime"] {
        let (load, bard) = within(Duration::from_secs(60), name, move || {
            let server = Server::start(name);
            let load = server.client(&["--conns", "8", "--size", "65536", "--secs", "0.5"]);
            let bard = server.client(&["--shakespeare", "--conns", "4", "--secs", "0.5"]);
            (load, bard)
        });
        assert!(
            load.contains("8 connections") && load.contains("round trips/s"),
            "{name}: {load}"
        );
        assert!(
            bard.contains("bulk stream") && bard.contains("MB/s"),
            "{name}: {bard}"
        );
    }
}

/// A load run and a Shakespeare run end as a client should: the echo server, told to stop
/// afterwards, reports no failed connection. When its time ran out, the client used to drop
/// each connection with a round trip in flight; the kernel resets a socket closed with unread
/// data, and the server printed "handler failed: Connection reset by peer" once for nearly
/// every connection of a run that had gone well.
#[test]
fn a_client_run_ends_without_a_failed_connection_on_the_server() {
    let stderr = within(Duration::from_secs(60), "clean ends", || {
        let mut server = Server::start_with_stderr("echo", Stdio::piped());
        server.client(&["--conns", "50", "--size", "64", "--secs", "0.5"]);
        server.client(&["--conns", "8", "--size", "65536", "--secs", "0.5"]);
        server.client(&["--shakespeare", "--conns", "20", "--secs", "0.5"]);
        server.signal("INT");
        server.child.wait().expect("wait for the server");
        let mut stderr = String::new();
        let mut pipe = server.child.stderr.take().expect("piped stderr");
        std::io::Read::read_to_string(&mut pipe, &mut stderr).unwrap();
        stderr
    });
    let failed: Vec<&str> = stderr
        .lines()
        .filter(|line| line.contains("failed"))
        .collect();
    assert!(
        failed.is_empty(),
        "the server reported {} failed connections after clean client runs, e.g. {:?}",
        failed.len(),
        failed.first()
    );
}

/// Ctrl-C (SIGINT) and SIGTERM stop the sprout echo server gracefully: it says so and exits 0.
#[test]
fn echo_stops_cleanly_on_sigint_and_sigterm() {
    for signal in ["INT", "TERM"] {
        let output = within(Duration::from_secs(60), signal, move || {
            let mut server = Server::start("echo");
            assert_eq!(
                server.client(&["before the signal"]).trim(),
                "before the signal"
            );
            server.signal(signal);
            let exit = server.child.wait().expect("wait for the server");
            let mut rest = String::new();
            std::io::Read::read_to_string(&mut server._stdout, &mut rest).unwrap();
            (exit, rest)
        });
        let (exit, rest) = output;
        assert!(exit.success(), "SIG{signal}: exit status {exit:?}");
        assert!(
            rest.contains("stopped cleanly"),
            "SIG{signal}: printed {rest:?}"
        );
    }
}

/// The select stage stops on a line of stdin, as in the lecture.
#[test]
fn echo_select_stops_on_a_stdin_line() {
    let (exit, rest) = within(Duration::from_secs(60), "select stdin", || {
        let mut server = Server::start("echo_select");
        assert_eq!(server.client(&["still serving"]).trim(), "still serving");
        let mut stdin = server.child.stdin.take().expect("piped stdin");
        std::io::Write::write_all(&mut stdin, b"\n").unwrap();
        let exit = server.child.wait().expect("wait for the server");
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut server._stdout, &mut rest).unwrap();
        (exit, rest)
    });
    assert!(exit.success(), "exit status {exit:?}");
    assert!(rest.contains("stopped"), "printed {rest:?}");
}
