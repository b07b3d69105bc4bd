//! One reactor wait in one syscall: `epoll_wait` on the poller's own epoll fd, instead of the
//! five syscalls `polling`'s `wait` spends.
//!
//! Where it sits in the flow: at "epoll event", the moment a parked worker sleeps.
//!
//! ```text
//! … → waker parked in reactor → [epoll_wait: one syscall] → epoll event → wake → run queue → …
//! ```
//!
//! `polling` makes each `wait` exact and interruptible at a cost: it arms a timerfd for the
//! timeout (`timerfd_settime` and an `epoll_ctl`), then waits, then clears and re-arms its
//! notifier (a `read` of the eventfd and another `epoll_ctl`) — five syscalls where tokio's mio
//! spends one (`strace -c` of the echo server, docs/ chapter 12). Here the driving worker calls
//! `epoll_wait` itself on the poller's epoll fd, with the timeout rounded *up* to a millisecond
//! (so a timer is never early; `Sleep` checks the clock anyway, time I1), and hands the events
//! to `dispatch` as they are. Adding and re-arming a source's fd is done here too
//! ([`epoll_ctl`]), because only a raw registration can ask for `EPOLLRDHUP` — the peer's FIN as
//! its own, sticky readiness, which lets a reader skip the `recv` that would fail with `EAGAIN`
//! after a short read (async_io I4). Removal stays with `polling`.
//!
//! The wake-up is sprout's own ([`Notifier`], `notifier.rs`), registered under a key no
//! source uses ([`NOTIFIER_KEY`]), so the raw wait relies on nothing private to `polling`;
//! a notify costs one `write`, its reset one `read`. (`polling` keeps a notifier of its own,
//! which nobody fires in this mode.) Elsewhere — and on Linux in the portable mode
//! ([`WaitMode::Portable`]: `Builder::portable_reactor`, `SPROUT_REACTOR=portable`), which is how
//! the tests run the other platforms' path here — the wait, the registration and the notify are
//! `polling`'s.
//!
//! Invariants:
//! - I1: a `notify` is never lost: the wait that reports the notifier resets it (drains its
//!   socket, then clears its flag) before the events are dispatched; `notifier.rs` says why
//!   that order.
//! - I2 (the first `unsafe` block): `epoll_wait` writes at most `buffer.len()` entries into
//!   `buffer`, a `Vec` of initialised `epoll_event`s that outlives the call, on an epoll fd
//!   owned by the `Poller` borrowed for the call.
//! - I3 (the second): `epoll_ctl` reads one initialised `epoll_event` that outlives the call,
//!   on the poller's epoll fd; the fd it registers stays open until `Reactor::deregister`
//!   deletes it (reactor I1) — the notifier's, until after the epoll fd itself is closed — so
//!   no later fd with the same number inherits its events.
//!
//! Read next: `runtime/reactor/notifier.rs`.

use std::io;
#[cfg(any(target_os = "linux", target_os = "android"))]
use std::os::fd::{AsRawFd, RawFd};
#[cfg(all(test, any(target_os = "linux", target_os = "android")))]
use std::os::unix::net::UnixStream;
use std::time::Duration;

use polling::{Events, Poller};

use super::notifier::Notifier;

/// The key sprout's notifier is registered under: above any source's key (a slab index).
#[cfg(any(target_os = "linux", target_os = "android"))]
const NOTIFIER_KEY: u64 = u64::MAX - 1;

/// Events per wait; more wait for the next one (edge-triggered events stay queued).
#[cfg(any(target_os = "linux", target_os = "android"))]
const CAPACITY: usize = 1024;

/// What the kernel said about one registered fd.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Readiness {
    /// The source's key.
    pub(crate) key: usize,
    /// Readable, hung up or in error (as `polling` reads the flags).
    pub(crate) readable: bool,
    /// Writable, hung up or in error.
    pub(crate) writable: bool,
    /// The peer closed its writing side, or the fd hung up (`EPOLLRDHUP`, `EPOLLHUP`): every
    /// read from now on returns what is left, then end of stream, with no further event.
    /// Always `false` where the wait cannot tell ([`WaitMode::Portable`]).
    pub(crate) read_closed: bool,
    /// The event came through `polling`'s wait (the portable mode), which hides
    /// `EPOLLRDHUP`: it may carry the peer's FIN without saying so. A reader must not take a
    /// short read after such an event as "drained" (async_io I4).
    pub(crate) closed_unknown: bool,
}

/// How the reactor registers fds and waits: with sprout's own `epoll_ctl` and `epoll_wait`
/// (Linux only), or only through `polling`'s portable API — the path every other platform
/// takes, selectable on Linux too (`Builder::portable_reactor`, `SPROUT_REACTOR=portable`) so
/// that it is tested where the tests run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WaitMode {
    /// One `epoll_wait` per wait, fds registered with `EPOLLRDHUP`, sprout's own notifier.
    Raw,
    /// `polling`'s `add`, `modify`, `wait` and `notify`: five syscalls per wait on Linux.
    Portable,
}

impl WaitMode {
    /// The default: raw where it exists (Linux), portable elsewhere.
    pub(crate) const DEFAULT: WaitMode = if cfg!(any(target_os = "linux", target_os = "android")) {
        WaitMode::Raw
    } else {
        WaitMode::Portable
    };

    /// `true` where the wait reports [`Readiness::read_closed`] (fds registered with
    /// `EPOLLRDHUP`). Only then may a reader treat a short read as "drained" (async_io I4).
    pub(crate) fn reports_read_closed(self) -> bool {
        self == WaitMode::Raw
    }
}

/// The buffers of the driving worker's waits.
pub(crate) struct Waiter {
    /// Where `epoll_wait` writes (I2); empty in the portable mode.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    raw: Vec<libc::epoll_event>,
    /// `polling`'s events, for its wait in the portable mode.
    portable: Events,
}

impl Waiter {
    /// Buffers for waits of up to [`CAPACITY`] events in `mode`.
    pub(crate) fn new(mode: WaitMode) -> Waiter {
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        let _ = mode;
        Waiter {
            #[cfg(any(target_os = "linux", target_os = "android"))]
            raw: match mode {
                WaitMode::Raw => vec![libc::epoll_event { events: 0, u64: 0 }; CAPACITY],
                WaitMode::Portable => Vec::new(),
            },
            portable: Events::new(),
        }
    }

    /// Waits on `poller` until an event or `timeout` (`None`: until an event or a notify) and
    /// appends what happened to `ready`: one `epoll_wait` in the raw mode, `polling`'s wait
    /// in the portable one (which resets its own notify).
    pub(crate) fn wait(
        &mut self,
        mode: WaitMode,
        poller: &Poller,
        notifier: &Notifier,
        timeout: Option<Duration>,
        ready: &mut Vec<Readiness>,
    ) -> io::Result<()> {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        if mode == WaitMode::Raw {
            return self.epoll_wait(poller, notifier, timeout, ready);
        }
        let _ = (mode, notifier);
        self.polling_wait(poller, timeout, ready)
    }

    /// The Linux wait: one `epoll_wait` (I2), then the notifier's reset if it fired (I1).
    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn epoll_wait(
        &mut self,
        poller: &Poller,
        notifier: &Notifier,
        timeout: Option<Duration>,
        ready: &mut Vec<Readiness>,
    ) -> io::Result<()> {
        let millis = match timeout {
            None => -1,
            // Rounded up: a wait never ends before the timer it waits for.
            Some(timeout) => {
                i32::try_from(timeout.as_nanos().div_ceil(1_000_000)).unwrap_or(i32::MAX)
            }
        };
        let count = loop {
            // SAFETY: I2 — `raw` holds `raw.len()` initialised entries and lives across the
            // call; the epoll fd belongs to `poller`, which is borrowed for the call.
            #[allow(unsafe_code)]
            let count = unsafe {
                libc::epoll_wait(
                    poller.as_raw_fd(),
                    self.raw.as_mut_ptr(),
                    self.raw.len() as i32,
                    millis,
                )
            };
            match usize::try_from(count) {
                Ok(count) => break count,
                Err(_) if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return Err(io::Error::last_os_error()),
            }
        };
        let mut notified = false;
        for event in &self.raw[..count] {
            // Copied out: the struct is packed on x86-64.
            let (flags, key) = (event.events as i32, event.u64);
            if key == NOTIFIER_KEY {
                notified = true;
                continue;
            }
            let failed = flags & (libc::EPOLLHUP | libc::EPOLLERR) != 0;
            ready.push(Readiness {
                key: key as usize,
                readable: failed || flags & (libc::EPOLLIN | libc::EPOLLPRI) != 0,
                writable: failed || flags & libc::EPOLLOUT != 0,
                read_closed: flags & (libc::EPOLLRDHUP | libc::EPOLLHUP) != 0,
                closed_unknown: false,
            });
        }
        if notified {
            notifier.reset(); // I1
        }
        Ok(())
    }

    /// One `polling` wait, its events appended to `ready`.
    fn polling_wait(
        &mut self,
        poller: &Poller,
        timeout: Option<Duration>,
        ready: &mut Vec<Readiness>,
    ) -> io::Result<()> {
        self.portable.clear();
        poller.wait(&mut self.portable, timeout)?;
        ready.extend(self.portable.iter().map(|event| Readiness {
            key: event.key,
            readable: event.readable,
            writable: event.writable,
            // `polling` does not report EPOLLRDHUP (it folds it into "readable"), so a readable
            // event may be a FIN it does not name.
            read_closed: false,
            closed_unknown: event.readable,
        }));
        Ok(())
    }
}

/// Adds (`modify == false`) or re-arms (`true`) `fd` on `poller`'s epoll instance under `key`:
/// edge-triggered, readable and writable, with `EPOLLRDHUP` (see the module doc). Re-arming
/// makes the kernel report the fd's current state again (`Reactor::rearm`).
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn epoll_ctl(poller: &Poller, fd: RawFd, key: usize, modify: bool) -> io::Result<()> {
    let interest = libc::EPOLLIN | libc::EPOLLOUT | libc::EPOLLRDHUP | libc::EPOLLET;
    epoll_ctl_with(poller, fd, key, modify, interest)
}

/// Registers the notifier's socket `fd` under [`NOTIFIER_KEY`], for input only.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(super) fn register_notifier(poller: &Poller, fd: RawFd) -> io::Result<()> {
    let interest = libc::EPOLLIN | libc::EPOLLET;
    epoll_ctl_with(poller, fd, NOTIFIER_KEY as usize, false, interest)
}

/// [`epoll_ctl`] with the events of `interest` (the notifier wants only `EPOLLIN`: its read
/// end is writable from the start, and that edge would wake the first wait for nothing).
#[cfg(any(target_os = "linux", target_os = "android"))]
fn epoll_ctl_with(
    poller: &Poller,
    fd: RawFd,
    key: usize,
    modify: bool,
    interest: i32,
) -> io::Result<()> {
    let op = if modify {
        libc::EPOLL_CTL_MOD
    } else {
        libc::EPOLL_CTL_ADD
    };
    let mut event = libc::epoll_event {
        events: interest as u32,
        u64: key as u64,
    };
    // SAFETY: I3 — `event` is initialised and outlives the call; the epoll fd belongs to
    // `poller`, borrowed for the call; `fd` stays registered only while open (reactor I1).
    #[allow(unsafe_code)]
    let done = unsafe { libc::epoll_ctl(poller.as_raw_fd(), op, fd, &mut event) };
    match done {
        0 => Ok(()),
        _ => Err(io::Error::last_os_error()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    /// Both modes this platform has: raw (Linux) and portable.
    const MODES: [WaitMode; 2] = [WaitMode::DEFAULT, WaitMode::Portable];

    /// A notifier for `mode`, registered with `poller` as `Reactor::new` does it.
    fn registered_notifier(poller: &Poller, mode: WaitMode) -> Notifier {
        let notifier = Notifier::new(mode == WaitMode::Raw).unwrap();
        #[cfg(any(target_os = "linux", target_os = "android"))]
        if let Some(fd) = notifier.fd() {
            register_notifier(poller, fd).unwrap();
        }
        notifier
    }

    /// I1: each notify wakes a wait, also the second and third (a notify skips its write
    /// while the flag from the last one is still set, and only the wait's reset clears it),
    /// in either mode.
    #[test]
    fn every_notify_wakes_a_wait() {
        for mode in MODES {
            let poller = Poller::new().unwrap();
            let notifier = registered_notifier(&poller, mode);
            let mut waiter = Waiter::new(mode);
            let mut ready = Vec::new();
            for round in 0..3 {
                notifier.notify(&poller).unwrap();
                notifier.notify(&poller).unwrap(); // Coalesced with the first.
                let start = Instant::now();
                let timeout = Some(Duration::from_secs(10));
                waiter
                    .wait(mode, &poller, &notifier, timeout, &mut ready)
                    .unwrap();
                assert!(
                    start.elapsed() < Duration::from_secs(5),
                    "{mode:?}: notify {round} was lost: the wait ran to its timeout"
                );
            }
            assert!(ready.is_empty(), "{mode:?}: a notify is not an I/O event");
        }
    }

    /// A FIN left past one wait's buffer comes out in the next wait, with its "read closed"
    /// flag (async_io I4): the raw wait hands over every event it takes, and the rest stay
    /// queued in the kernel, edge-triggered or not.
    #[test]
    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn a_fin_past_the_buffer_comes_in_the_next_wait_with_its_flag() {
        use std::io::Write;
        let poller = Poller::new().unwrap();
        let notifier = registered_notifier(&poller, WaitMode::Raw);
        // Registered, an empty socket is writable at once: these become ready in this order,
        // and the raw wait takes the first CAPACITY events in that order.
        let mut fillers = Vec::new();
        for key in 0..CAPACITY {
            let (a, b) = UnixStream::pair().unwrap();
            epoll_ctl(&poller, a.as_raw_fd(), key, false).unwrap();
            fillers.push((a, b));
        }
        let (reader, mut writer) = UnixStream::pair().unwrap();
        let fin_key = CAPACITY + 7;
        writer.write_all(b"the last bytes").unwrap();
        writer.shutdown(std::net::Shutdown::Write).unwrap();
        epoll_ctl(&poller, reader.as_raw_fd(), fin_key, false).unwrap();
        let mut ready = Vec::new();
        let mut waiter = Waiter::new(WaitMode::Raw);
        for _ in 0..3 {
            let zero = Some(Duration::ZERO);
            waiter
                .wait(WaitMode::Raw, &poller, &notifier, zero, &mut ready)
                .unwrap();
        }
        let fin = ready
            .iter()
            .find(|event| event.key == fin_key)
            .expect("the FIN's event is reported by a later wait");
        assert!(fin.readable);
        assert!(
            fin.read_closed,
            "the FIN came out as a plain readable: {fin:?}"
        );
        // The epoll fd closes first, so no registered fd outlives it (reactor I1).
        drop(poller);
    }

    /// A timeout is never shortened: rounding goes up to the next millisecond, in either mode.
    #[test]
    fn a_wait_lasts_at_least_its_timeout() {
        for mode in MODES {
            let poller = Poller::new().unwrap();
            let notifier = registered_notifier(&poller, mode);
            let mut waiter = Waiter::new(mode);
            let timeout = Duration::from_micros(1_500);
            let start = Instant::now();
            waiter
                .wait(mode, &poller, &notifier, Some(timeout), &mut Vec::new())
                .unwrap();
            let took = start.elapsed();
            assert!(took >= timeout, "{mode:?}: woke after {took:?}");
        }
    }
}
