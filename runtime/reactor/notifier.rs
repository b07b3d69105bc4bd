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
//! Elsewhere it is `polling`'s notify, which `polling`'s own wait resets.
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

/// What interrupts the driver's wait (wait I1).
pub(crate) struct Notifier {
    /// The registered end: readable while a wake-up is pending.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    reader: UnixStream,
    /// The end `notify` writes to.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    writer: UnixStream,
    /// `true` from a notify's write until the wait that reports it has drained the socket.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pending: AtomicBool,
}

impl Notifier {
    /// A notifier, not yet registered: on Linux the reactor registers [`Notifier::fd`].
    pub(crate) fn new() -> io::Result<Notifier> {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            let (reader, writer) = UnixStream::pair()?;
            reader.set_nonblocking(true)?;
            // A full socket already holds a pending wake-up: a write that would block is moot.
            writer.set_nonblocking(true)?;
            Ok(Notifier {
                reader,
                writer,
                pending: AtomicBool::new(false),
            })
        }
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        {
            Ok(Notifier {})
        }
    }

    /// The fd to register with the poller, for input only.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub(crate) fn fd(&self) -> RawFd {
        self.reader.as_raw_fd()
    }

    /// Interrupts the driver's wait on `poller`, or the next one (wait I1).
    pub(crate) fn notify(&self, poller: &Poller) -> io::Result<()> {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            let _ = poller;
            if !self.pending.swap(true, Ordering::AcqRel) {
                match (&self.writer).write(&[1]) {
                    Ok(_) => {}
                    Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                    Err(error) => return Err(error),
                }
            }
            Ok(())
        }
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        {
            poller.notify()
        }
    }

    /// After a wait reported the notifier: drains the socket, then clears the flag (wait I1).
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub(crate) fn reset(&self) {
        let mut bytes = [0u8; 64];
        // Until `WouldBlock` (or an error: nothing more to read either way).
        while (&self.reader).read(&mut bytes).is_ok_and(|read| read > 0) {}
        self.pending.swap(false, Ordering::AcqRel);
    }
}
