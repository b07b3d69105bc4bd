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
//! - I1: once the first signal has arrived, or when no [`ShutdownSignal`] is alive, a further
//!   SIGINT/SIGTERM performs the default action (terminates the process). So a second Ctrl-C
//!   ends a slow graceful stop, and Ctrl-C keeps working after the server has returned; and a
//!   server started after another one stopped gets its own graceful first Ctrl-C.
//! - I2: every handler is registered once per process or unregistered on drop: the one
//!   "terminate if armed" action per signal (registered first, so it runs before any pipe
//!   write) is shared by all `ShutdownSignal`s through [`ARMED`]; each `ShutdownSignal`
//!   removes its own actions when it goes.
//!
//! Read next: `net/server/mod.rs`.

use std::io::{self, Read};
use std::os::unix::net::UnixStream as StdUnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

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
    /// This registration's actions (the pipe writes, the arming), unregistered on drop (I2).
    actions: Vec<SigId>,
    /// Whether this registration was counted in [`Armed::live`] (all its actions registered).
    counted: bool,
}

/// What every `ShutdownSignal` of the process shares (I2).
struct Armed {
    /// When `true`, SIGINT and SIGTERM terminate the process (I1). Read by the action that
    /// `arm_once` registered, set by each registration's own action when a signal arrives.
    terminate_now: Arc<AtomicBool>,
    /// `ShutdownSignal`s alive: the last to go arms the default action again (I1).
    live: usize,
}

/// The process's [`Armed`], made by the first `shutdown_signal`.
static ARMED: Mutex<Option<Armed>> = Mutex::new(None);

/// Locks [`ARMED`]; a panic while it was held leaves nothing half-done worth refusing.
fn armed() -> MutexGuard<'static, Option<Armed>> {
    ARMED.lock().unwrap_or_else(PoisonError::into_inner)
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
    let reader = Async::new(reader)?;
    let terminate_now = arm_once()?;
    // On an error below, dropping `signals` unregisters what was registered (I2).
    let mut signals = ShutdownSignal {
        reader,
        actions: Vec::new(),
        counted: false,
    };
    for signal in [SIGINT, SIGTERM] {
        // A signal arms the default action for the next one (I1), then wakes `recv`.
        signals
            .actions
            .push(signal_hook::flag::register(signal, terminate_now.clone())?);
        let pipe = writer.try_clone()?;
        signals
            .actions
            .push(signal_hook::low_level::pipe::register(signal, pipe)?);
    }
    if let Some(armed) = armed().as_mut() {
        if armed.live == 0 {
            armed.terminate_now.store(false, Ordering::SeqCst); // The first Ctrl-C is ours.
        }
        armed.live += 1;
        signals.counted = true;
    }
    Ok(signals)
}

/// The process's "terminate if armed" flag, registering its action for SIGINT and SIGTERM the
/// first time (I2). Armed until a `ShutdownSignal` is counted, so Ctrl-C keeps its default
/// meaning whenever none is alive (I1).
fn arm_once() -> io::Result<Arc<AtomicBool>> {
    let mut global = armed();
    if let Some(armed) = &*global {
        return Ok(armed.terminate_now.clone());
    }
    let terminate_now = Arc::new(AtomicBool::new(true));
    for signal in [SIGINT, SIGTERM] {
        // Registered before any pipe action, so it runs first: it terminates only if armed.
        signal_hook::flag::register_conditional_default(signal, terminate_now.clone())?;
    }
    *global = Some(Armed {
        terminate_now: terminate_now.clone(),
        live: 0,
    });
    Ok(terminate_now)
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
        if !self.counted {
            return; // An error before every action was registered: `live` never counted us.
        }
        if let Some(armed) = armed().as_mut() {
            armed.live -= 1;
            if armed.live == 0 {
                armed.terminate_now.store(true, Ordering::SeqCst); // I1
            }
        }
    }
}
