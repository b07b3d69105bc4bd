//! Every public entry point used outside a runtime panics with a message that names the
//! function the user called, at the user's line (`#[track_caller]` all the way down), not at a
//! line inside sprout and not under the name of an internal function (`Async::new`).
//!
//! One test in its own binary: it installs a panic hook, which is process-wide.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the panic hook saw: the panic's file, line and message.
#[derive(Debug, Clone)]
struct Seen {
    file: String,
    line: u32,
    message: String,
}

/// Runs `call` (expected to panic) and returns where and why it panicked.
fn panic_of<R>(seen: &Arc<Mutex<Option<Seen>>>, call: impl FnOnce() -> R) -> Seen {
    *seen.lock().unwrap() = None;
    let outcome = catch_unwind(AssertUnwindSafe(call));
    assert!(outcome.is_err(), "the call did not panic");
    seen.lock().unwrap().take().expect("the hook saw the panic")
}

/// Polls `future` to completion on this plain thread with futures-lite's `block_on`.
fn poll_outside<F: Future>(future: F) -> F::Output {
    futures_lite::future::block_on(future)
}

// Closures around plain calls on purpose: passing `sprout::dump` itself would make the standard
// library's `FnOnce::call_once` the caller that `#[track_caller]` reports.
#[allow(clippy::redundant_closure)]
#[test]
fn entry_points_outside_a_runtime_name_themselves_at_the_callers_line() {
    let seen: Arc<Mutex<Option<Seen>>> = Arc::new(Mutex::new(None));
    let hook_seen = seen.clone();
    std::panic::set_hook(Box::new(move |info| {
        let location = info.location().expect("a panic location");
        let message = info
            .payload()
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| info.payload().downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        *hook_seen.lock().unwrap() = Some(Seen {
            file: location.file().to_owned(),
            line: location.line(),
            message,
        });
    }));

    // Synchronous entry points: the panic is located on the line that called them.
    let here = file!();
    let cases: Vec<(&str, u32, Seen)> = vec![
        (
            "sprout::spawn",
            line!(),
            panic_of(&seen, || sprout::spawn(async {})),
        ),
        (
            "sprout::spawn_blocking",
            line!(),
            panic_of(&seen, || sprout::spawn_blocking(|| ())),
        ),
        (
            "sprout::spawn_local",
            line!(),
            panic_of(&seen, || sprout::spawn_local(async {})),
        ),
        (
            "sprout::TaskBuilder::spawn",
            line!(),
            panic_of(&seen, || sprout::TaskBuilder::new().spawn(async {})),
        ),
        (
            "sprout::spawn_local",
            line!(),
            panic_of(&seen, || sprout::TaskBuilder::new().spawn_local(async {})),
        ),
        (
            "sprout::spawn_blocking",
            line!(),
            panic_of(&seen, || sprout::TaskBuilder::new().spawn_blocking(|| ())),
        ),
        ("sprout::dump", line!(), panic_of(&seen, || sprout::dump())),
        (
            "sprout::stats",
            line!(),
            panic_of(&seen, || sprout::stats()),
        ),
        (
            "sprout::Async::new",
            line!(),
            panic_of(&seen, || {
                sprout::Async::new(std::net::UdpSocket::bind("127.0.0.1:0").unwrap())
            }),
        ),
        (
            "sprout::net::UnixStream::pair",
            line!(),
            panic_of(&seen, || sprout::net::UnixStream::pair()),
        ),
        (
            "sprout::net::UnixDatagram::unbound",
            line!(),
            panic_of(&seen, || sprout::net::UnixDatagram::unbound()),
        ),
        (
            "sprout::net::UnixDatagram::pair",
            line!(),
            panic_of(&seen, || sprout::net::UnixDatagram::pair()),
        ),
        (
            "sprout::net::UnixListener::bind",
            line!(),
            panic_of(&seen, || {
                sprout::net::UnixListener::bind("/nonexistent/socket")
            }),
        ),
        (
            "sprout::net::UdpSocket::from_std",
            line!(),
            panic_of(&seen, || {
                sprout::net::UdpSocket::from_std(std::net::UdpSocket::bind("127.0.0.1:0").unwrap())
            }),
        ),
        (
            "sprout::net::TcpStream::from_std",
            line!(),
            panic_of(&seen, || {
                let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
                let stream = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
                sprout::net::TcpStream::from_std(stream)
            }),
        ),
        (
            "sprout::net::TcpListener::from_std",
            line!(),
            panic_of(&seen, || {
                sprout::net::TcpListener::from_std(
                    std::net::TcpListener::bind("127.0.0.1:0").unwrap(),
                )
            }),
        ),
    ];
    // Async entry points panic when first polled, inside the future; the message names the
    // function the user called, never the `Async::new` beneath it.
    let async_cases = [
        (
            "sprout::net::TcpStream::connect",
            panic_of(&seen, || {
                poll_outside(sprout::net::TcpStream::connect("127.0.0.1:1"))
            }),
        ),
        (
            "sprout::net::TcpListener::bind",
            panic_of(&seen, || {
                poll_outside(sprout::net::TcpListener::bind("127.0.0.1:0"))
            }),
        ),
        (
            "sprout::net::UdpSocket::bind",
            panic_of(&seen, || {
                poll_outside(sprout::net::UdpSocket::bind("127.0.0.1:0"))
            }),
        ),
        (
            "sprout::net::UnixStream::connect",
            panic_of(&seen, || {
                poll_outside(sprout::net::UnixStream::connect("/nonexistent"))
            }),
        ),
        (
            "sprout::net::TcpStream::connect_timeout",
            panic_of(&seen, || {
                poll_outside(sprout::net::TcpStream::connect_timeout(
                    "127.0.0.1:1",
                    Duration::from_secs(1),
                ))
            }),
        ),
        (
            "sprout::net::StreamServer::bind",
            panic_of(&seen, || {
                poll_outside(sprout::net::StreamServer::bind(
                    "127.0.0.1:0",
                    |_stream, _peer| async { std::io::Result::Ok(()) },
                ))
            }),
        ),
    ];

    // A sleep is created in one place and polled in another: the message names its creation.
    let sleep_line = line!() + 1;
    let nap = sprout::sleep(Duration::from_millis(1));
    let seen_sleep = panic_of(&seen, || poll_outside(nap));
    let timeout_line = line!() + 1;
    let limited = sprout::timeout(Duration::from_millis(1), std::future::pending::<()>());
    let seen_timeout = panic_of(&seen, || poll_outside(limited));

    // Back to the default hook, so that a failed assertion below reports itself.
    let _ = std::panic::take_hook();
    for (name, line, seen) in &cases {
        assert!(
            seen.message
                .contains(&format!("{name} was called outside of a sprout runtime")),
            "{name}: {seen:?}"
        );
        assert_eq!(seen.file, here, "{name} panicked inside sprout: {seen:?}");
        // The call sits on the line of `line!()` or within the next few (rustfmt's layout).
        assert!(
            (*line..line + 6).contains(&seen.line),
            "{name}: panicked at line {} for a call near line {line}",
            seen.line
        );
    }

    for (name, seen) in &async_cases {
        assert!(
            seen.message
                .contains(&format!("{name} was called outside of a sprout runtime")),
            "{name}: {seen:?}"
        );
        assert!(!seen.message.contains("Async::new"), "{name}: {seen:?}");
    }
    assert!(
        seen_sleep
            .message
            .contains(&format!("sprout::sleep created at {here}:{sleep_line}:")),
        "{seen_sleep:?}"
    );
    assert!(
        seen_timeout
            .message
            .contains(&format!("created at {here}:{timeout_line}:")),
        "{seen_timeout:?}"
    );
}
