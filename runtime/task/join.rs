//! Handles to spawned tasks: [`JoinHandle`] (await, cancel, detach), [`JoinError`], [`join_all`].
//!
//! Where it sits in the flow: beside it. A `JoinHandle` is how the spawner hears the end of the
//! story — the task's output, or why there is none:
//!
//! ```text
//! spawn → run queue → poll → … → poll → Ready(output) → stored in the task → [JoinHandle wakes]
//! ```
//!
//! gevent words: a `JoinHandle` is the `Greenlet` object that `gevent.spawn` returns;
//! `handle.await` is `greenlet.get()`, `cancel()` is `greenlet.kill()`, and [`join_all`] is
//! `gevent.joinall`. Dropping the handle lets the task run on, as a greenlet runs on after its
//! object is forgotten.
//!
//! Invariants: those of `task/mod.rs` (I4: the output is stored before `COMPLETE`; I5: exactly one
//! side drops an unclaimed output).
//!
//! Read next: `runtime/task/joiner.rs` (where the handle leaves its waker).

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use super::{drop_caught, panic_message, report_detached_panic, Joinable, TaskEvent, TaskId};
use crate::runtime::coop;

/// Why a task produced no output: it was cancelled, or it panicked.
///
/// ```
/// sprout::run(async {
///     let handle = sprout::spawn(async { panic!("boom") });
///     let error = handle.await.unwrap_err();
///     assert!(error.is_panic());
///     assert_eq!(error.panic_message(), Some("boom"));
/// });
/// ```
pub struct JoinError {
    /// The task this error is about.
    id: TaskId,
    /// What happened to it.
    cause: Cause,
}

/// The two ways a task can end without output. A task's cell stores this, not the whole
/// `JoinError`: the id is in the task's header already, and the cell is 8 bytes smaller.
pub(crate) enum Cause {
    /// `JoinHandle::cancel` was called, or the runtime shut down first.
    Cancelled,
    /// The future panicked. Boxed: panics are rare, and a small `JoinError` keeps every task's
    /// allocation small (the output slot of a task is as big as its largest error).
    Panic(Box<PanicCause>),
}

/// What a panic left behind.
pub(crate) struct PanicCause {
    /// The panic's text, read once from the payload.
    message: String,
    /// What `panic!` was given. In a `Mutex` only so that `JoinError` is `Sync` (a
    /// `Box<dyn Any + Send>` is not), which lets it become an `io::Error` or a
    /// `Box<dyn Error + Send + Sync>`; it is never contended.
    payload: Mutex<Box<dyn Any + Send + 'static>>,
}

impl Cause {
    /// A panic with the given payload.
    pub(crate) fn panic(payload: Box<dyn Any + Send + 'static>) -> Cause {
        Cause::Panic(Box::new(PanicCause {
            message: panic_message(payload.as_ref()).to_owned(),
            payload: Mutex::new(payload),
        }))
    }
}

impl JoinError {
    /// Task `id` ended without output, for `cause`.
    pub(crate) fn new(id: TaskId, cause: Cause) -> JoinError {
        JoinError { id, cause }
    }

    /// The id of the task that failed.
    ///
    /// ```
    /// sprout::run(async {
    ///     let handle = sprout::spawn(async { panic!("x") });
    ///     let id = handle.id();
    ///     assert_eq!(handle.await.unwrap_err().id(), id);
    /// });
    /// ```
    pub fn id(&self) -> TaskId {
        self.id
    }

    /// `true` if the task was cancelled (by [`JoinHandle::cancel`] or by runtime shutdown).
    ///
    /// ```
    /// sprout::run(async {
    ///     let handle = sprout::spawn(std::future::pending::<()>());
    ///     let id = handle.id();
    ///     handle.cancel();
    ///     let error = handle.await.unwrap_err();
    ///     assert!(error.is_cancelled());
    ///     assert_eq!(error.id(), id);
    /// });
    /// ```
    pub fn is_cancelled(&self) -> bool {
        matches!(self.cause, Cause::Cancelled)
    }

    /// `true` if the task panicked.
    ///
    /// ```
    /// sprout::run(async {
    ///     let error = sprout::spawn(async { panic!("oops") }).await.unwrap_err();
    ///     assert!(error.is_panic() && !error.is_cancelled());
    /// });
    /// ```
    pub fn is_panic(&self) -> bool {
        matches!(self.cause, Cause::Panic(_))
    }

    /// The panic's message, if the task panicked with a string (as `panic!("…")` does).
    ///
    /// ```
    /// sprout::run(async {
    ///     let error = sprout::spawn(async { panic!("bad input: {}", 7) }).await.unwrap_err();
    ///     assert_eq!(error.panic_message(), Some("bad input: 7"));
    /// });
    /// ```
    pub fn panic_message(&self) -> Option<&str> {
        match &self.cause {
            Cause::Panic(panic) => Some(&panic.message),
            Cause::Cancelled => None,
        }
    }

    /// The panic payload, to re-raise with `std::panic::resume_unwind`; `Err(self)` if the task
    /// was cancelled instead.
    ///
    /// ```
    /// sprout::run(async {
    ///     let error = sprout::spawn(async { panic!("again") }).await.unwrap_err();
    ///     let payload = error.try_into_panic().unwrap();
    ///     // std::panic::resume_unwind(payload) would re-raise it here.
    ///     assert_eq!(payload.downcast_ref::<&str>(), Some(&"again"));
    /// });
    /// ```
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send + 'static>, JoinError> {
        match self.cause {
            Cause::Panic(panic) => Ok(panic
                .payload
                .into_inner()
                .unwrap_or_else(PoisonError::into_inner)),
            Cause::Cancelled => Err(self),
        }
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.cause {
            Cause::Cancelled => write!(f, "task {} was cancelled", self.id),
            Cause::Panic(panic) => write!(f, "task {} panicked: {}", self.id, panic.message),
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "JoinError({self})")
    }
}

impl std::error::Error for JoinError {}

impl From<JoinError> for std::io::Error {
    /// Lets `?` turn a failed task into an I/O error (kind `Other`) inside I/O code.
    fn from(error: JoinError) -> std::io::Error {
        std::io::Error::other(error)
    }
}

/// An owned permission to await, cancel or detach a spawned task.
///
/// Awaiting it gives `Ok(output)`, or a [`JoinError`] if the task panicked or was cancelled.
/// Dropping it **detaches** the task: it keeps running to completion and its output is dropped.
///
/// ```
/// sprout::run(async {
///     let handle = sprout::spawn(async { 6 * 7 });
///     assert_eq!(handle.await.unwrap(), 42);
/// });
/// ```
#[must_use = "dropping a JoinHandle detaches the task; bind it to `_handle` or call `detach()` to say so"]
pub struct JoinHandle<T: 'static> {
    /// The task, seen through its output type: held until the handle is dropped, even after
    /// the output was taken, so the handle is one pointer (it sits in every `Vec` of handles).
    task: Arc<dyn Joinable<T>>,
}

impl<T: 'static> JoinHandle<T> {
    /// Wraps a freshly spawned task.
    pub(crate) fn new(task: Arc<dyn Joinable<T>>) -> JoinHandle<T> {
        JoinHandle { task }
    }

    /// The task's id.
    ///
    /// ```
    /// sprout::run(async {
    ///     let handle = sprout::spawn(async {});
    ///     println!("spawned task {}", handle.id());
    ///     handle.await.unwrap();
    /// });
    /// ```
    pub fn id(&self) -> TaskId {
        self.task.header().id
    }

    /// Cancels the task: its future is dropped at its next suspension point, without being
    /// polled again, and its destructors run. Awaiting the handle then gives a [`JoinError`] whose
    /// [`is_cancelled`](JoinError::is_cancelled) is `true` — unless the task had already finished,
    /// in which case its output is still delivered. A `spawn_blocking` job that has already
    /// started runs to its end (a thread cannot be interrupted).
    ///
    /// ```
    /// use std::time::Duration;
    /// sprout::run(async {
    ///     let handle = sprout::spawn(async {
    ///         sprout::sleep(Duration::from_secs(3600)).await;
    ///     });
    ///     handle.cancel();
    ///     assert!(handle.await.unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn cancel(&self) {
        let header = self.task.header();
        if header.observed() {
            self.task.observe(TaskEvent::CancelRequested);
        }
        if header.cancel() {
            self.task.clone().runnable().schedule();
        }
    }

    /// `true` once the task has finished: its output (or error) is waiting to be collected.
    ///
    /// ```
    /// sprout::run(async {
    ///     let handle = sprout::spawn(async { 1 });
    ///     while !handle.is_finished() {
    ///         sprout::yield_now().await;
    ///     }
    ///     assert_eq!(handle.await.unwrap(), 1);
    /// });
    /// ```
    pub fn is_finished(&self) -> bool {
        self.task.header().is_complete()
    }

    /// Lets the task run on without anyone waiting for it; the same as dropping the handle,
    /// spelled out. A panic in a detached task is reported on stderr with the task's id.
    ///
    /// ```
    /// sprout::run(async {
    ///     let (tx, rx) = sprout::sync::oneshot();
    ///     sprout::spawn(async move { tx.send("ran anyway").unwrap() }).detach();
    ///     assert_eq!(rx.await.unwrap(), "ran anyway");
    /// });
    /// ```
    pub fn detach(self) {}
}

impl<T: 'static> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let task = &self.task;
        let header = task.header();
        // A finished task's output is an operation completed at once: it spends a unit of the
        // budget, so a loop of awaits on finished handles still yields (coop I5).
        std::task::ready!(coop::poll_proceed(cx));
        if !header.is_complete() {
            header.register_joiner(cx.waker());
            // Re-check after registering: see `Header::register_joiner`.
            if !header.is_complete() {
                if header.observed() {
                    task.observe(TaskEvent::Awaited); // For the trace's wait record.
                }
                return Poll::Pending;
            }
        }
        // The output's one owner is this handle (task I5): it is there, unless a poll already
        // returned it.
        let output = task.take_output();
        Poll::Ready(output.expect("JoinHandle polled again after it returned Ready"))
    }
}

impl<T: 'static> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        let task = &self.task;
        if task.header().detach() {
            // The task finished before we let go, and its output was never claimed (I5): it
            // is ours to drop (`None` if a poll returned it already). Its destructor may panic;
            // caught here as the worker catches it (`drop_caught`), so a detach never unwinds
            // into the caller.
            match task.take_output() {
                Some(Err(error)) => report_detached_panic(&error, &task.header().meta),
                unclaimed => drop_caught(unclaimed),
            }
        }
    }
}

impl<T: 'static> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("id", &self.id())
            .finish()
    }
}

/// Waits for every task and returns their results in the handles' order (gevent's `joinall`).
///
/// The tasks already run concurrently; this only collects. A failed task does not stop the
/// others: its slot holds the `JoinError`.
///
/// ```
/// sprout::run(async {
///     let handles: Vec<_> = (0..10u64).map(|i| sprout::spawn(async move { i * i })).collect();
///     let squares: Vec<u64> = sprout::join_all(handles)
///         .await
///         .into_iter()
///         .map(Result::unwrap)
///         .collect();
///     assert_eq!(squares[9], 81);
/// });
/// ```
pub async fn join_all<T: 'static>(
    handles: impl IntoIterator<Item = JoinHandle<T>>,
) -> Vec<Result<T, JoinError>> {
    // Awaiting one handle after another is linear in the number of tasks: each handle is polled
    // only when its own task finishes. Polling every unfinished handle on every wake-up, the
    // obvious alternative, is quadratic with 100,000 tasks.
    let mut results = Vec::new();
    for handle in handles {
        results.push(handle.await);
    }
    results
}
