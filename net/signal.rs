//! Ctrl-C and SIGTERM as something a task can await: [`shutdown_signal`].
//!
//! Where it sits in the flow: a signal becomes an ordinary readable fd.
//!
//! ```text
//! Ctrl-C → signal handler writes one byte to a socket pair → epoll event → wake → [the task awaiting shutdown_signal() is Ready]
//! ```
//!
//! A signal handler may only do async-signal-safe things, so it cannot touch the runtime. The
//! handler (installed through `signal-hook`, which gets that subtle code right) writes a byte
//! into a Unix socket pair; the other end is an ordinary registered fd.
//!
//! Invariants:
//! - I1: once the first signal has arrived, or the [`ShutdownSignal`] is dropped, a further
//!   SIGINT/SIGTERM performs the default action (terminates the process). So a second Ctrl-C
//!   ends a slow graceful stop, and Ctrl-C keeps working after the server has returned.
//!
//! Read next: `net/server/mod.rs`.

use std::io::{self, Read};
use std::os::unix::net::UnixStream as StdUnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::SigId;

use crate::Async;

/// A registration for SIGINT and SIGTERM; [`ShutdownSignal::recv`] waits for either.
///
/// ```
/// sprout::run(async {
///     let signals: sprout::net::ShutdownSignal = sprout::net::shutdown_signal()?;
///     drop(signals); // Ctrl-C terminates the process again
///     std::io::Result::Ok(())
/// }).unwrap();
/// ```
#[derive(Debug)]
pub struct ShutdownSignal {
    /// The read end of the self-pipe.
    reader: Async<StdUnixStream>,
    /// The pipe actions, unregistered on drop.
    actions: Vec<SigId>,
    /// When `true`, the signals terminate the process again (I1).
    terminate_now: Arc<AtomicBool>,
}

/// Starts listening for Ctrl-C (SIGINT) and SIGTERM. Await [`ShutdownSignal::recv`].
///
/// # Panics
/// When called outside a sprout runtime.
///
/// ```
/// use std::time::Duration;
/// sprout::run(async {
///     let signals = sprout::net::shutdown_signal()?;
///     // Wait for Ctrl-C, or here for 10 ms, whichever comes first.
///     let outcome = sprout::timeout(Duration::from_millis(10), signals.recv()).await;
///     assert!(outcome.is_err(), "nobody pressed Ctrl-C");
///     std::io::Result::Ok(())
/// }).unwrap();
/// ```
#[track_caller]
pub fn shutdown_signal() -> io::Result<ShutdownSignal> {
    crate::runtime::expect_runtime("sprout::net::shutdown_signal");
    let (reader, writer) = StdUnixStream::pair()?;
    reader.set_nonblocking(true)?;
    // A full pipe must never block the handler; a lost extra byte is harmless.
    writer.set_nonblocking(true)?;
    let terminate_now = Arc::new(AtomicBool::new(false));
    let mut actions = Vec::new();
    for signal in [SIGINT, SIGTERM] {
        // Registered first, so it runs before the pipe write: it terminates only if the flag
        // was already set by an earlier signal or by our drop (I1).
        signal_hook::flag::register_conditional_default(signal, terminate_now.clone())?;
        actions.push(signal_hook::flag::register(signal, terminate_now.clone())?);
        actions.push(signal_hook::low_level::pipe::register(
            signal,
            writer.try_clone()?,
        )?);
    }
    Ok(ShutdownSignal {
        reader: Async::new(reader)?,
        actions,
        terminate_now,
    })
}

impl ShutdownSignal {
    /// Waits until SIGINT or SIGTERM arrives (at once if one arrived since the last call).
    ///
    /// ```
    /// sprout::run(async {
    ///     let signals = sprout::net::shutdown_signal()?;
    ///     let waiter = sprout::spawn(async move { signals.recv().await });
    ///     waiter.cancel(); // a real program would await it instead
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub async fn recv(&self) -> io::Result<()> {
        let mut byte = [0u8; 1];
        self.reader
            .read_with(|mut pipe| pipe.read(&mut byte))
            .await?;
        Ok(())
    }
}

impl Drop for ShutdownSignal {
    fn drop(&mut self) {
        for action in self.actions.drain(..) {
            signal_hook::low_level::unregister(action);
        }
        self.terminate_now.store(true, Ordering::SeqCst); // I1
    }
}
