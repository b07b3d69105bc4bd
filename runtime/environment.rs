//! The environment variables that set a runtime's defaults where the code does not:
//! `SPROUT_WORKERS`, `SPROUT_WATCHDOG_MS` and `SPROUT_REACTOR`, read by `Builder::build`, each
//! refused with a clear error when it cannot be understood. (`SPROUT_TRACE` and
//! `SPROUT_SHUTDOWN_REPORT` are the glass box's, in `observe/`.)
//!
//! Where it sits in the flow: before it, with `builder.rs`.
//!
//! Read next: `runtime/runtime.rs`.

use std::io;
use std::time::Duration;

use super::observe::{DEFAULT_WATCHDOG, WATCHDOG_ENV};
use super::reactor::WaitMode;

/// The environment variable that sets the default number of workers (like tokio's
/// `TOKIO_WORKER_THREADS`): `SPROUT_WORKERS=1` makes any sprout program single-threaded.
///
/// ```
/// assert_eq!(sprout::runtime::WORKERS_ENV, "SPROUT_WORKERS");
/// ```
pub const WORKERS_ENV: &str = "SPROUT_WORKERS";

/// The environment variable that picks the reactor's path: `portable` (`polling` only) or
/// `raw` (sprout's own epoll calls, the default on Linux). See `Builder::portable_reactor`.
const REACTOR_ENV: &str = "SPROUT_REACTOR";

/// The watchdog threshold from `SPROUT_WATCHDOG_MS`, or the default.
pub(crate) fn watchdog_from_environment() -> io::Result<Duration> {
    match std::env::var(WATCHDOG_ENV) {
        Ok(text) => match text.trim().parse::<u64>() {
            Ok(millis) => Ok(Duration::from_millis(millis)),
            Err(_) => Err(invalid(&format!(
                "{WATCHDOG_ENV} must be a whole number of milliseconds (0 disables), got {text:?}"
            ))),
        },
        Err(_) => Ok(DEFAULT_WATCHDOG),
    }
}

/// The reactor's mode from `SPROUT_REACTOR` (`portable` or `raw`), or the default.
pub(crate) fn wait_mode_from_environment() -> io::Result<WaitMode> {
    let Ok(text) = std::env::var(REACTOR_ENV) else {
        return Ok(WaitMode::DEFAULT);
    };
    match text.trim() {
        "portable" => Ok(WaitMode::Portable),
        "raw" if WaitMode::DEFAULT == WaitMode::Raw => Ok(WaitMode::Raw),
        "raw" => Err(invalid(&format!(
            "{REACTOR_ENV}=raw: the raw epoll reactor exists only on Linux"
        ))),
        _ => Err(invalid(&format!(
            "{REACTOR_ENV} must be `portable` or `raw`, got {text:?}"
        ))),
    }
}

/// The worker count from `SPROUT_WORKERS`, or the number of CPUs.
pub(crate) fn workers_from_environment() -> io::Result<usize> {
    match std::env::var(WORKERS_ENV) {
        Ok(text) => match text.trim().parse::<usize>() {
            Ok(count) if count > 0 => Ok(count),
            _ => Err(invalid(&format!(
                "{WORKERS_ENV} must be a positive integer, got {text:?}"
            ))),
        },
        Err(_) => Ok(std::thread::available_parallelism().map_or(1, |n| n.get())),
    }
}

/// An `InvalidInput` error with `message`.
pub(crate) fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message.to_owned())
}
