//! The glass box switched off at compile time (`default-features = false`: the cargo feature
//! `observe` is off). None of `observe/` is compiled; this file stands in for it with the
//! few names the runtime's set-up and shutdown use, each doing nothing — and says so on stderr
//! when an environment variable or a builder setting asks for what is not there.
//!
//! Where it sits in the flow: outside it, as `observe/` does. The engine reports to no hooks
//! (hooks I1: one branch per event), no monitor thread starts, and shutdown still drops every
//! live task; it only does not name them.
//!
//! Read next: `runtime/task_builder.rs` (the API above the engine).

use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::runtime::hooks::{Event, Hooks};
use crate::runtime::runtime::ShutdownReport;
use crate::runtime::scheduler::Shared;
use crate::runtime::task::Runnable;

/// With the glass box compiled out there is no default watchdog.
pub(crate) const DEFAULT_WATCHDOG: Duration = Duration::ZERO;

/// The watchdog's variable; read, so that setting it is mentioned rather than ignored.
pub(crate) const WATCHDOG_ENV: &str = "SPROUT_WATCHDOG_MS";

/// Says on stderr that `what` asks for the glass box and this build has none.
fn absent(what: &str) {
    eprintln!(
        "sprout: {what} asks for the glass box, but this build has none (the cargo feature \
         `observe` is off): ignored"
    );
}

impl ShutdownReport {
    /// Reports nothing; mentions `SPROUT_SHUTDOWN_REPORT` if it is set.
    pub(crate) fn from_environment() -> io::Result<ShutdownReport> {
        if std::env::var_os("SPROUT_SHUTDOWN_REPORT").is_some() {
            absent("SPROUT_SHUTDOWN_REPORT");
        }
        Ok(ShutdownReport::Off)
    }
}

/// Where a trace would go: always nowhere.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum TraceTo {
    /// No trace.
    Off,
    /// Asked for by `Builder::trace(true)`.
    Stderr,
    /// Asked for by `Builder::trace_chrome`.
    Chrome(std::path::PathBuf),
}

/// No trace; mentions `SPROUT_TRACE` if it is set.
pub(crate) fn trace_requested_by_environment() -> TraceTo {
    if std::env::var_os("SPROUT_TRACE").is_some_and(|value| !value.is_empty() && value != "0") {
        absent("SPROUT_TRACE");
    }
    TraceTo::Off
}

/// Never built: [`GlassBox::new`] always answers `None`.
pub(crate) enum GlassBox {}

impl GlassBox {
    /// No glass box; says so if the builder asked for a trace or poll timing.
    pub(crate) fn new(_: Instant, trace: TraceTo, poll_timing: bool) -> io::Result<Option<Self>> {
        if trace != TraceTo::Off || poll_timing {
            absent("Builder::trace, trace_chrome or poll_timing");
        }
        Ok(None)
    }
}

impl Hooks for GlassBox {
    fn event(&self, _: Event<'_>) {
        match *self {}
    }
}

/// What the monitor would watch.
pub(crate) struct MonitorConfig {
    /// The watchdog's threshold, if asked for (only by the builder here).
    pub(crate) watchdog: Option<Duration>,
    /// Whether SIGUSR1 should print a dump (there is no dump to print).
    pub(crate) dump_on_signal: bool,
}

/// Never started.
pub(crate) enum Monitor {}

impl Monitor {
    /// Starts nothing; says so if a watchdog was asked for (the default is none here).
    pub(crate) fn start(_: Arc<Shared>, config: MonitorConfig) -> io::Result<Option<Monitor>> {
        let _ = config.dump_on_signal;
        if config.watchdog.is_some() {
            absent("a watchdog (Builder::watchdog or SPROUT_WATCHDOG_MS)");
        }
        Ok(None)
    }

    /// Nothing to stop.
    pub(crate) fn stop(&mut self) {
        match *self {}
    }
}

/// Names nothing: the report needs the glass box.
pub(crate) fn report_stuck_workers(_: &Shared, _: &[usize], _: Duration) {}

/// Names nothing: the report needs the glass box.
pub(crate) fn report_alive(_: &Shared, _: usize, _: Duration) {}

/// Names nothing: the report needs the glass box.
pub(crate) fn report_blocking_left_behind(_: &[Runnable], _: Duration) {}
