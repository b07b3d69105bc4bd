//! SIGUSR1 answered without a thread: while the watchdog is off (release builds, by default),
//! the reactor itself prints the dump, and a one-worker program stays single-threaded.
//!
//! Where it sits: beside the flow, riding on it. The signal handler (signal-hook's, which may
//! only do async-signal-safe things) writes a byte into a socket pair whose read end is
//! registered with the reactor like any fd. The waker parked on it is not a task's: it is a
//! [`DumpOnWake`], and waking it prints the dump, on whichever worker dispatched the event.
//!
//! ```text
//! kill -USR1 → handler writes a byte → epoll event → [wake: DumpOnWake prints the dump, parks again]
//! ```
//!
//! Why not the monitor thread, which answers the signal while the watchdog runs: a second
//! thread makes a one-worker process take the kernel's and glibc's multi-threaded paths on every
//! syscall and `malloc` (docs/ chapter 14). The price of the reactor: the dump waits for a worker
//! to look at the reactor — at once on an idle runtime, at its next maintenance turn on a busy
//! one, never on a runtime whose every worker is stuck, which is the watchdog's case.
//!
//! Invariants:
//! - I1: the fd leaves the reactor before it is closed (reactor I1): [`SignalDump::stop`]
//!   deregisters it, once, and only then is the socket dropped.
//! - I2: until shutdown, the dump's waker is parked or running: each answer drains the socket,
//!   forgets the readiness at the tick it saw (reactor I2), prints, and parks again; a byte that
//!   came meanwhile shows as readiness, and it answers again.
//!
//! Read next: `runtime/observe/shutdown_report.rs`.

use std::io::{self, Read};
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Weak};
use std::task::{Context, Wake, Waker};

use signal_hook::consts::SIGUSR1;
use signal_hook::SigId;

use super::dump::RuntimeDump;
use crate::runtime::direction::Direction;
use crate::runtime::reactor::{Reactor, Source};
use crate::runtime::scheduler::Shared;

/// The SIGUSR1 dump of one runtime, answered by its reactor; stopped by [`SignalDump::stop`].
pub(crate) struct SignalDump {
    /// The handler's registration, once installed; `None` again once stopped.
    signal: Option<SigId>,
    /// The waker parked on the socket, which owns the socket (I1).
    answer: Arc<DumpOnWake>,
    /// The reactor the socket is registered with (not in the waker: the reactor holds that).
    reactor: Arc<Reactor>,
    /// Set by the first `stop`: the fd is deregistered once (I1).
    stopped: bool,
}

/// The waker parked on the signal's socket: waking it prints the dump (I2).
struct DumpOnWake {
    /// The runtime to dump (weak: the reactor holds this waker, and the runtime the reactor).
    shared: Weak<Shared>,
    /// The read end of the socket pair the handler writes into.
    reader: UnixStream,
    /// `reader` as the reactor knows it.
    source: Arc<Source>,
}

impl SignalDump {
    /// Registers the socket with `shared`'s reactor, parks the dump's waker on it, and installs
    /// the SIGUSR1 handler that writes into it.
    pub(crate) fn start(shared: &Arc<Shared>) -> io::Result<SignalDump> {
        let (reader, writer) = UnixStream::pair()?;
        reader.set_nonblocking(true)?;
        // The handler must never block on a full socket; a lost extra byte is harmless.
        writer.set_nonblocking(true)?;
        let source = shared.reactor.register(reader.as_fd())?;
        let answer = Arc::new(DumpOnWake {
            shared: Arc::downgrade(shared),
            reader,
            source,
        });
        // A new source starts out "readable": this first answer finds nothing to read, forgets
        // that, and parks (I2).
        answer.answer();
        // From here on, dropping `dump` deregisters the fd before closing it (I1).
        let mut dump = SignalDump {
            signal: None,
            answer,
            reactor: shared.reactor.clone(),
            stopped: false,
        };
        dump.signal = Some(signal_hook::low_level::pipe::register(SIGUSR1, writer)?);
        Ok(dump)
    }

    /// Removes the handler, then the fd from the reactor (I1); the parked waker, woken by the
    /// deregistration, sees the shutdown and does nothing. Idempotent.
    pub(crate) fn stop(&mut self) {
        if std::mem::replace(&mut self.stopped, true) {
            return;
        }
        if let Some(signal) = self.signal.take() {
            signal_hook::low_level::unregister(signal);
        }
        let answer = &self.answer;
        self.reactor
            .deregister(&answer.source, answer.reader.as_fd());
    }
}

impl Drop for SignalDump {
    fn drop(&mut self) {
        self.stop();
    }
}

impl DumpOnWake {
    /// Drains the socket, forgets its readiness at the tick seen, prints the dump if a signal
    /// came, and parks again (I2).
    fn answer(self: &Arc<Self>) {
        let Some(shared) = self.shared.upgrade() else {
            return;
        };
        let waker = Waker::from(self.clone());
        let mut cx = Context::from_waker(&waker);
        loop {
            if shared.is_shutting_down() {
                return;
            }
            let tick = self.source.tick();
            let mut signalled = false;
            let mut bytes = [0u8; 64];
            // Until `WouldBlock` (or an error: nothing more to read either way).
            while let Ok(read) = (&self.reader).read(&mut bytes) {
                if read == 0 {
                    return; // The handler's end is gone: no signal will come.
                }
                signalled = true;
            }
            self.source.clear_readiness(Direction::Read, tick);
            if signalled {
                eprint!("{}", RuntimeDump::take(&shared));
            }
            if self
                .source
                .poll_ready(Direction::Read, &mut cx, None)
                .is_pending()
            {
                return;
            }
        }
    }
}

impl Wake for DumpOnWake {
    fn wake(self: Arc<Self>) {
        self.answer();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.answer();
    }
}
