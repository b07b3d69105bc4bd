//! The reactor's wake-up: what a worker uses to interrupt the driver's `epoll_wait` — a new
//! timer earlier than the driver's timeout, a task for a worker parked in the reactor, shutdown.
//!
//! Where it sits in the flow: beside "epoll event", as the one event that is not I/O.
//!
//! ```text
//! … → [notify: a byte into the socket] → epoll event (the notifier's key) → [reset: drain, clear] → the driver looks again
//! ```
//!
//! On Linux it is sprout's own: a socket pair whose read end is registered with the poller
//! under a key no source uses (`wait::register_notifier`), rather than `polling`'s notifier,
//! whose key and notify flag are private to `polling` and could change in any release.
//! Elsewhere, and on Linux when the runtime is built with the portable reactor
//! (`Builder::portable_reactor`, `SPROUT_REACTOR=portable`), it is `polling`'s notify, which
//! `polling`'s own wait resets.
//!
//! Invariant (wait I1 in `wait.rs`, which calls [`Notifier::reset`]): a notify is never lost.
//! It writes a byte unless its flag is already set, and the wait that reports the notifier
//! drains the socket *before* it clears the flag with a swap. A notify whose swap came first
//! is seen by the reset's swap (so the driver, awake, sees what it announced); one whose swap
//! came after finds the flag clear and writes a byte that wakes the next wait.
//!
//! Read next: `runtime/reactor/source.rs`.

use std::io;
#[cfg(any(target_os = "linux", target_os = "android"))]
use std::io::{Read, Write};
#[cfg(any(target_os = "linux", target_os = "android"))]
use std::os::fd::{AsRawFd, RawFd};
#[cfg(any(target_os = "linux", target_os = "android"))]
use std::os::unix::net::UnixStream;
#[cfg(any(target_os = "linux", target_os = "android"))]
use std::sync::atomic::{AtomicBool, Ordering};

use polling::Poller;

/// What interrupts the driver's wait (wait I1): sprout's own socket pair for the raw wait,
/// `polling`'s notify for the portable one.
pub(crate) struct Notifier {
    /// `None` where the wait is `polling`'s (`WaitMode::Portable`), which resets its own notify.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    own: Option<SocketPair>,
}

/// The raw wait's wake-up: a byte in a socket, and a flag that skips the write while one is
/// pending.
#[cfg(any(target_os = "linux", target_os = "android"))]
struct SocketPair {
    /// The registered end: readable while a wake-up is pending.
    reader: UnixStream,
    /// The end `notify` writes to.
    writer: UnixStream,
    /// `true` from a notify's write until the wait that reports it has drained the socket.
    pending: AtomicBool,
}

impl Notifier {
    /// A notifier for the raw wait (`own`: a socket pair, which the reactor registers through
    /// [`Notifier::fd`]) or for the portable one (`polling`'s notify).
    pub(crate) fn new(own: bool) -> io::Result<Notifier> {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            if !own {
                return Ok(Notifier { own: None });
            }
            let (reader, writer) = UnixStream::pair()?;
            reader.set_nonblocking(true)?;
            // A full socket already holds a pending wake-up: a write that would block is moot.
            writer.set_nonblocking(true)?;
            let pending = AtomicBool::new(false);
            Ok(Notifier {
                own: Some(SocketPair {
                    reader,
                    writer,
                    pending,
                }),
            })
        }
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        {
            let _ = own; // Only Linux has a raw wait to interrupt.
            Ok(Notifier {})
        }
    }

    /// The fd to register with the poller, for input only, if the notifier is sprout's own.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub(crate) fn fd(&self) -> Option<RawFd> {
        self.own.as_ref().map(|own| own.reader.as_raw_fd())
    }

    /// Interrupts the driver's wait on `poller`, or the next one (wait I1).
    pub(crate) fn notify(&self, poller: &Poller) -> io::Result<()> {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        if let Some(own) = &self.own {
            if !own.pending.swap(true, Ordering::AcqRel) {
                match (&own.writer).write(&[1]) {
                    Ok(_) => {}
                    Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                    Err(error) => return Err(error),
                }
            }
            return Ok(());
        }
        poller.notify()
    }

    /// After a wait reported the notifier: drains the socket, then clears the flag (wait I1).
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub(crate) fn reset(&self) {
        if let Some(own) = &self.own {
            let mut bytes = [0u8; 64];
            // Until `WouldBlock` (or an error: nothing more to read either way).
            while (&own.reader).read(&mut bytes).is_ok_and(|read| read > 0) {}
            own.pending.swap(false, Ordering::AcqRel);
        }
    }
}
