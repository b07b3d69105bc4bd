//! The thread-local answer to "which runtime am I in, and am I one of its workers?".
//!
//! Where it sits: beside the flow. `spawn`, `sleep`, `Async::new` and every wake-up ask it:
//!
//! ```text
//! [spawn: which runtime?] → run queue → poll → Pending → waker parked in reactor → epoll event → [wake: my worker's queue?] → run queue
//! ```
//!
//! A worker thread, the thread inside `block_on` (worker 0) and the blocking-pool threads enter
//! their runtime here; everything else sees no runtime.
//!
//! Invariants:
//! - I1: the context is restored when an [`EnterGuard`] drops, so a panic that unwinds out of
//!   `block_on` leaves the thread as it found it.
//!
//! Read next: `runtime/scheduler/blocking.rs`.

use std::cell::RefCell;
use std::sync::Arc;

use super::Shared;
use crate::runtime::reactor::Reactor;

/// What this thread knows about the runtime it runs for.
#[derive(Clone)]
struct Current {
    /// The runtime.
    shared: Arc<Shared>,
    /// `Some(i)` on worker `i`; `None` on a blocking-pool thread.
    worker: Option<usize>,
}

thread_local! {
    /// This thread's runtime, if any. Written only by [`enter`] and [`EnterGuard`].
    static CURRENT: RefCell<Option<Current>> = const { RefCell::new(None) };
}

/// Restores the previous context when dropped (I1).
pub(crate) struct EnterGuard {
    /// What the thread had before `enter`.
    previous: Option<Current>,
}

/// Makes `shared` this thread's runtime, as worker `worker` (or a pool thread, for `None`).
pub(crate) fn enter(shared: Arc<Shared>, worker: Option<usize>) -> EnterGuard {
    let previous = CURRENT.with(|current| current.replace(Some(Current { shared, worker })));
    EnterGuard { previous }
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        // `try_with`: during thread teardown the slot may already be gone; nothing to restore.
        let _ = CURRENT.try_with(|current| *current.borrow_mut() = previous);
    }
}

/// This thread's runtime, if it has one.
pub(crate) fn scheduler() -> Option<Arc<Shared>> {
    CURRENT
        .try_with(|current| current.borrow().as_ref().map(|c| c.shared.clone()))
        .ok()
        .flatten()
}

/// Calls `f` with this thread's runtime, borrowed: unlike [`expect_scheduler`] it touches no
/// reference count, which `spawn` (called once per task) is glad of. `f` must not enter or
/// leave a runtime on this thread (the slot stays borrowed while it runs); panics naming `what`
/// if the thread has no runtime.
#[track_caller]
pub(crate) fn with_scheduler<R>(what: &str, f: impl FnOnce(&Arc<Shared>) -> R) -> R {
    let mut f = Some(f);
    let done = CURRENT
        .try_with(|current| {
            let current = current.borrow();
            let call = f.take().expect("called once");
            current.as_ref().map(|current| call(&current.shared))
        })
        .ok()
        .flatten();
    match done {
        Some(result) => result,
        None => outside_runtime(what),
    }
}

/// This thread's runtime; panics with a message naming `what` if there is none. Like tokio, a
/// runtime function called outside a runtime is a bug in the caller, reported at once rather
/// than left to hang. `#[track_caller]`, like every public entry point that calls it, so the
/// panic points at the user's line, not at this one.
#[track_caller]
pub(crate) fn expect_scheduler(what: &str) -> Arc<Shared> {
    with_scheduler(what, Arc::clone)
}

/// The panic of [`expect_scheduler`] and [`expect_runtime`].
#[cold]
#[track_caller]
fn outside_runtime(what: impl std::fmt::Display) -> ! {
    panic!(
        "{what} was called outside of a sprout runtime: call it from code running inside \
         `sprout::run`, `Runtime::block_on`, or a task spawned on a runtime"
    )
}

/// The reactor of this thread's runtime; panics naming `what` if there is none.
#[track_caller]
pub(crate) fn expect_reactor(what: &str) -> Arc<Reactor> {
    expect_scheduler(what).reactor.clone()
}

/// Panics, naming `what` (anything that displays: it is formatted only for the panic), unless
/// the current thread runs for a sprout runtime (a worker, the `block_on` thread, or a
/// blocking-pool thread).
///
/// For libraries built on [`Async`](crate::Async), as `sprout::net` is: call it first in each
/// entry point, with that entry point's name, so that a call outside a runtime fails at the
/// caller's line with a message naming the function the caller used, rather than the
/// `Async::new` deep inside it. `#[track_caller]`: mark the entry point `#[track_caller]` too.
///
/// ```
/// #[track_caller]
/// fn open_device() -> std::io::Result<()> {
///     sprout::runtime::expect_runtime("mylib::open_device");
///     Ok(())
/// }
/// sprout::run(async { open_device() }).unwrap();
/// assert!(std::panic::catch_unwind(open_device).is_err()); // "mylib::open_device was called outside…"
/// ```
#[track_caller]
pub fn expect_runtime(what: impl std::fmt::Display) {
    if !is_inside_runtime() {
        outside_runtime(what);
    }
}

/// `Some(i)` if this thread is worker `i` of the runtime `shared`.
pub(crate) fn worker_index(shared: &Shared) -> Option<usize> {
    CURRENT
        .try_with(|current| {
            let current = current.borrow();
            let current = current.as_ref()?;
            if std::ptr::eq(Arc::as_ptr(&current.shared), shared) {
                current.worker
            } else {
                None
            }
        })
        .ok()
        .flatten()
}

/// `Some(i)` if this thread is worker `i` of whatever runtime it runs for (for trace lines).
pub(crate) fn current_worker_index() -> Option<usize> {
    CURRENT
        .try_with(|current| current.borrow().as_ref().and_then(|c| c.worker))
        .ok()
        .flatten()
}

/// `true` if this thread is one of `shared`'s own: a worker or a pool thread of that runtime.
pub(crate) fn is_thread_of(shared: &Arc<Shared>) -> bool {
    CURRENT
        .try_with(|current| {
            let current = current.borrow();
            current
                .as_ref()
                .is_some_and(|c| Arc::ptr_eq(&c.shared, shared))
        })
        .unwrap_or(false)
}

/// `true` if this thread runs for some runtime (as a worker or a pool thread).
pub(crate) fn is_inside_runtime() -> bool {
    CURRENT
        .try_with(|current| current.borrow().is_some())
        .unwrap_or(false)
}
