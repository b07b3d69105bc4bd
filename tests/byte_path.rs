//! The byte path of ARCHITECTURE.md ("One echoed byte"), recorded from a real run.
//!
//! The echo example's handler (`examples/common/echo_handler.rs`, the very function the echo
//! server runs) serves one connection on a runtime with the release defaults (no watchdog, no
//! trace). Three probes, none of them inside the library, take a backtrace at each step a byte
//! travels through:
//! - **the read**: the socket is a `StreamSocket` of this test's, whose `read_bytes` records;
//! - **the park** and **the wake**: the handler's future is polled with a waker of this test's,
//!   which records when the reactor clones it (parks it) and when it wakes it — the wake's
//!   backtrace runs through the worker's **wait** in the reactor;
//! - **the next poll**: the same wrapper records each poll of the handler.
//!
//! The library functions on those backtraces, from the worker's loop down to a probe, are the
//! path. The test fails if it differs from the list ARCHITECTURE.md documents (its
//! `byte-path` block, which `scripts/byte_path.py` counts too), or enters more than 12 library
//! files.

use std::backtrace::Backtrace;
use std::collections::BTreeSet;
use std::future::Future;
use std::io::{self, IoSlice, Read, Write};
use std::net::Shutdown;
use std::os::fd::{AsFd, BorrowedFd};
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};
use std::time::Duration;

use sprout::net::{ByteStream, Chunk, StreamSocket};

mod support;

/// The echo example's handler, compiled against this file's [`TcpStream`] (`support` compiles
/// it too, against sprout's: two different programs from the one source, on purpose).
#[allow(clippy::duplicate_mod)]
#[path = "../examples/common/echo_handler.rs"]
mod echo_handler;

/// The backtraces taken so far, each with the step it was taken at; recording only while on.
#[derive(Default)]
struct Recorder {
    on: bool,
    traces: Vec<(&'static str, String)>,
}

static RECORDER: Mutex<Recorder> = Mutex::new(Recorder {
    on: false,
    traces: Vec::new(),
});

/// Signalled at each recording.
static RECORDED: Condvar = Condvar::new();

/// Records a backtrace for `step`, if recording is on.
fn record(step: &'static str) {
    let mut recorder = RECORDER.lock().unwrap();
    if recorder.on {
        let trace = Backtrace::force_capture().to_string();
        recorder.traces.push((step, trace));
        RECORDED.notify_all();
    }
}

/// Waits until `count` parks are recorded; panics naming `what` after 10 s.
fn wait_for_parks(count: usize, what: &str) {
    let recorder = RECORDER.lock().unwrap();
    let parks = |recorder: &mut Recorder| {
        recorder
            .traces
            .iter()
            .filter(|(step, _)| *step == "park")
            .count()
    };
    let (_recorder, waited) = RECORDED
        .wait_timeout_while(recorder, Duration::from_secs(10), |recorder| {
            parks(recorder) < count
        })
        .unwrap();
    assert!(!waited.timed_out(), "{what}: not within 10 s");
}

/// A loopback TCP socket whose reads are recorded.
struct ProbeSocket(std::net::TcpStream);

impl AsFd for ProbeSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.0.as_fd()
    }
}

impl StreamSocket for ProbeSocket {
    fn read_bytes(&self, buf: &mut [u8]) -> io::Result<usize> {
        record("read");
        (&self.0).read(buf)
    }
    fn write_bytes(&self, buf: &[u8]) -> io::Result<usize> {
        (&self.0).write(buf)
    }
    fn write_bytes_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        (&self.0).write_vectored(bufs)
    }
    fn shutdown_socket(&self, how: Shutdown) -> io::Result<()> {
        self.0.shutdown(how)
    }
    fn set_nonblocking_mode(&self) -> io::Result<()> {
        self.0.set_nonblocking(true)
    }
}

/// What the echo handler calls `TcpStream`: the four methods it uses, on the probe socket.
pub struct TcpStream(ByteStream<ProbeSocket>);

impl TcpStream {
    pub fn set_nodelay(&self, _: bool) -> io::Result<()> {
        Ok(())
    }
    pub fn read_chunk(&self, size: usize) -> impl Future<Output = io::Result<Chunk>> + '_ {
        self.0.read_chunk(size)
    }
    pub fn write_all<'a>(&'a self, buf: &'a [u8]) -> impl Future<Output = io::Result<()>> + 'a {
        self.0.write_all(buf)
    }
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.0.shutdown(how)
    }
}

/// The waker the handler sees: a [`Waker`] of the task's own, behind a vtable of this test's
/// that records each clone (the reactor parking it) and each wake-up, then passes them on.
/// `std::task::Wake` cannot see a clone, hence the raw vtable.
fn probe_waker(task: Waker) -> Waker {
    let data = Arc::into_raw(Arc::new(task)).cast::<()>();
    // SAFETY: `data` is an `Arc<Waker>` turned into a raw pointer, which is what every function
    // of `PROBE` expects; the new `Waker` owns that one strong count.
    unsafe { Waker::from_raw(RawWaker::new(data, &PROBE)) }
}

/// The probe waker's functions: `data` is always an `Arc<Waker>` from `Arc::into_raw`.
static PROBE: RawWakerVTable =
    RawWakerVTable::new(clone_probe, wake_probe, wake_probe_by_ref, drop_probe);

fn clone_probe(data: *const ()) -> RawWaker {
    record("park");
    // SAFETY: `data` is a live `Arc<Waker>` (see `PROBE`); the clone takes one more count.
    unsafe { Arc::increment_strong_count(data.cast::<Waker>()) };
    RawWaker::new(data, &PROBE)
}

fn wake_probe(data: *const ()) {
    wake_probe_by_ref(data);
    drop_probe(data);
}

fn wake_probe_by_ref(data: *const ()) {
    record("wake");
    // SAFETY: `data` is a live `Arc<Waker>`, borrowed for the call.
    let task = unsafe { &*data.cast::<Waker>() };
    task.wake_by_ref();
}

fn drop_probe(data: *const ()) {
    // SAFETY: `data` is an `Arc<Waker>` whose count this waker owned; given back here once.
    drop(unsafe { Arc::from_raw(data.cast::<Waker>()) });
}

/// The handler's future, polled with a probe waker; each poll recorded.
struct Probed<F>(Pin<Box<F>>);

impl<F: Future> Future for Probed<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        record("poll");
        let waker = probe_waker(cx.waker().clone());
        self.0.as_mut().poll(&mut Context::from_waker(&waker))
    }
}

/// A library function on a recorded backtrace: its file (from the repository root) and its
/// name, `Type::method` or `function`.
type Frame = (String, String);

/// The library frames of `trace`, from the worker's loop down to the probe.
fn library_frames(trace: &str) -> Vec<Frame> {
    let mut frames = Vec::new();
    let mut symbol = "";
    for line in trace.lines() {
        let line = line.trim();
        if let Some(location) = line.strip_prefix("at ./") {
            let file = location.split(':').next().unwrap_or_default();
            if file.starts_with("runtime/") || file.starts_with("net/") {
                frames.push((file.to_owned(), function_name(symbol)));
            }
        } else if let Some((number, name)) = line.split_once(": ") {
            if number.chars().all(|c| c.is_ascii_digit()) {
                symbol = name;
            }
        }
    }
    // Innermost first in a backtrace; the worker's loop is where the path starts (what lies
    // above it starts the thread).
    let start = frames
        .iter()
        .position(|(_, name)| name == "Worker::run_until_shutdown")
        .expect("every probe runs on a background worker");
    frames.truncate(start + 1);
    frames.reverse();
    frames
}

/// `Type::method` or `function` from a demangled symbol such as
/// `<sprout::runtime::task::cell::TaskCell<F,S> as sprout::…::Schedulable>::run::{{closure}}`.
fn function_name(symbol: &str) -> String {
    let mut symbol = symbol;
    while let Some(outer) = symbol.strip_suffix("::{{closure}}") {
        symbol = outer;
    }
    // Split on the `::` outside angle brackets.
    let mut segments = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    let bytes = symbol.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'<' => depth += 1,
            b'>' => depth -= 1,
            b':' if depth == 0 && bytes.get(i + 1) == Some(&b':') => {
                segments.push(&symbol[start..i]);
                start = i + 2;
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    segments.push(&symbol[start..]);
    let name = segments.pop().unwrap_or_default();
    let owner = segments.pop().map(|owner| {
        let owner = owner.trim_start_matches('<').trim_end_matches('>');
        let owner = owner.trim_start_matches("impl ");
        let owner = owner.split(" as ").next().unwrap_or_default();
        let owner = owner.split('<').next().unwrap_or_default();
        owner.rsplit("::").next().unwrap_or_default().to_owned()
    });
    match owner {
        Some(owner) if owner.starts_with(|c: char| c.is_ascii_uppercase()) => {
            format!("{owner}::{name}")
        }
        _ => name.to_owned(),
    }
}

/// A block of ARCHITECTURE.md's byte path (`byte-path`: the recorded stacks;
/// `byte-path-between`: the calls that return between probes), one `file function` per line.
fn documented(block: &str) -> Vec<Frame> {
    let map =
        std::fs::read_to_string(repository_file("ARCHITECTURE.md")).expect("read ARCHITECTURE.md");
    let block = map
        .split(&format!("```text {block}\n"))
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .unwrap_or_else(|| panic!("ARCHITECTURE.md has no {block} block"));
    block
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            Some((words.next()?.to_owned(), words.next()?.to_owned()))
        })
        .collect()
}

/// Runs the echo handler on one connection, records one byte's trip (the read, the park, the
/// wait and wake, the next poll), and returns the recorded traces.
fn record_one_echo() -> Vec<(&'static str, String)> {
    let runtime = sprout::Runtime::builder()
        .workers(2)
        .watchdog(Duration::ZERO)
        .portable_reactor(false)
        .build()
        .expect("build");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let mut client = std::net::TcpStream::connect(listener.local_addr().unwrap()).expect("connect");
    client
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("a deadline on the echo");
    let (server, _) = listener.accept().expect("accept");
    RECORDER.lock().unwrap().on = true;
    // From outside `block_on`, worker 1 runs the task and drives the reactor.
    let handler = runtime.spawn(async move {
        let stream = TcpStream(ByteStream::from_std(ProbeSocket(server)).expect("register"));
        Probed(Box::pin(echo_handler::echo(stream, 4096))).await
    });
    wait_for_parks(1, "the handler waits for data");
    client.write_all(b"x").expect("send a byte");
    let mut byte = [0u8];
    client.read_exact(&mut byte).expect("the byte comes back");
    assert_eq!(&byte, b"x");
    wait_for_parks(2, "the handler waits again");
    let traces = {
        let mut recorder = RECORDER.lock().unwrap();
        recorder.on = false;
        std::mem::take(&mut recorder.traces)
    };
    drop(client);
    support::within(Duration::from_secs(10), "the handler ends", move || {
        runtime
            .block_on(handler)
            .expect("the handler task")
            .expect("a clean end");
    });
    traces
}

/// The documented byte path is the recorded one, function for function, and it enters at most
/// 12 library files.
#[test]
fn the_documented_byte_path_is_the_recorded_one() {
    let traces = record_one_echo();
    let mut recorded: Vec<Frame> = Vec::new();
    for step in ["read", "park", "wake", "poll"] {
        let trace = traces
            .iter()
            .find(|(taken, _)| *taken == step)
            .unwrap_or_else(|| panic!("no {step} was recorded"));
        for frame in library_frames(&trace.1) {
            if !recorded.contains(&frame) {
                recorded.push(frame);
            }
        }
    }
    let documented = documented("byte-path");
    let as_block = |path: &[Frame]| {
        path.iter()
            .map(|(file, name)| format!("{file:<29} {name}\n"))
            .collect::<String>()
    };
    let sorted = |path: &[Frame]| path.iter().cloned().collect::<BTreeSet<Frame>>();
    assert!(
        sorted(&recorded) == sorted(&documented),
        "ARCHITECTURE.md's byte-path block differs from the path recorded; recorded:\n{}",
        as_block(&recorded)
    );
    let files: BTreeSet<&str> = recorded.iter().map(|(file, _)| file.as_str()).collect();
    assert!(
        files.len() <= 12,
        "the byte path enters {} library files: {files:?}",
        files.len()
    );
}

/// Each call the map lists between the probes is a function of the file it names.
#[test]
fn the_calls_between_the_probes_are_where_the_map_says() {
    let between = documented("byte-path-between");
    assert!(!between.is_empty());
    for (file, name) in between {
        let source = std::fs::read_to_string(repository_file(&file))
            .unwrap_or_else(|error| panic!("{file}: {error}"));
        let function = name.rsplit("::").next().unwrap_or_default();
        let defined = source.lines().any(|line| {
            let line = line.trim_start();
            let line = ["pub(crate) ", "pub(super) ", "pub "]
                .iter()
                .fold(line, |line, visibility| {
                    line.strip_prefix(visibility).unwrap_or(line)
                });
            line.starts_with(&format!("fn {function}("))
                || line.starts_with(&format!("fn {function}<"))
        });
        assert!(
            defined,
            "ARCHITECTURE.md names {name} in {file}, which has no fn {function}"
        );
    }
}

/// A file of the repository, by its path from the root.
fn repository_file(path: &str) -> String {
    format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))
}
