//! The two small types a [`StreamServer`](super::StreamServer) user meets besides the server:
//! [`HandlerResult`] (what a handler may return) and [`StopHandle`] (how to stop it).
//!
//! Where it sits in the flow: at the ends of a handler task — its result is reported when it
//! returns — and beside the accept loop, which stops when the handle is set.
//!
//! ```text
//! accept loop: accept().await → spawn handler → … ← StopHandle::stop() ends the loop
//! handler:     … → returns HandlerResult → error reported with the peer's address
//! ```
//!
//! Read next: `net/server/connections.rs`.

use std::fmt::Display;
use std::sync::Arc;

use crate::runtime::sync::Event;

/// What a handler may return: `()` or `Result<(), E>` with a printable error.
///
/// ```
/// use sprout::net::HandlerResult;
/// assert_eq!(().into_error(), None);
/// assert_eq!(Err::<(), _>("bad request").into_error(), Some("bad request".to_string()));
/// ```
pub trait HandlerResult: Send + 'static {
    /// The error to report, if any.
    fn into_error(self) -> Option<String>;
}

impl HandlerResult for () {
    fn into_error(self) -> Option<String> {
        None
    }
}

impl<E: Display + Send + 'static> HandlerResult for Result<(), E> {
    fn into_error(self) -> Option<String> {
        self.err().map(|error| error.to_string())
    }
}

/// Stops a [`StreamServer`](super::StreamServer) from anywhere (another task, another thread).
/// Cloneable.
///
/// ```
/// use sprout::net::StopHandle;
/// let stop = StopHandle::default();
/// let for_another_thread = stop.clone();
/// std::thread::spawn(move || for_another_thread.stop()).join().unwrap();
/// assert!(stop.is_stopped());
/// ```
#[derive(Clone, Debug, Default)]
pub struct StopHandle {
    /// Set once, by `stop`.
    pub(super) stopped: Arc<Event>,
}

impl StopHandle {
    /// Asks the server to stop: it stops accepting at once and drains its handlers.
    ///
    /// ```
    /// let stop = sprout::net::StopHandle::default();
    /// stop.stop();
    /// assert!(stop.is_stopped());
    /// ```
    pub fn stop(&self) {
        self.stopped.set();
    }

    /// `true` once `stop` was called.
    ///
    /// ```
    /// assert!(!sprout::net::StopHandle::default().is_stopped());
    /// ```
    pub fn is_stopped(&self) -> bool {
        self.stopped.is_set()
    }
}
