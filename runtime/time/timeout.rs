//! [`timeout`]: race a future against a [`Sleep`]; [`Elapsed`] when the sleep wins.
//!
//! Where it sits in the flow: a task polls both futures on each turn; whichever wakes it first
//! decides.
//!
//! ```text
//! [poll Timeout] → poll the work (Pending) → poll the Sleep (Pending) → … → wake → [poll Timeout: the work first]
//! ```
//!
//! Read next: `runtime/time/interval.rs`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::sleep::{sleep, Sleep};
use crate::runtime::coop;

/// The error of a [`timeout`] whose time ran out before the future finished.
///
/// ```
/// use std::time::Duration;
/// sprout::run(async {
///     let late = sprout::timeout(Duration::from_millis(1), std::future::pending::<()>()).await;
///     let error: std::io::Error = late.unwrap_err().into(); // kind TimedOut
///     assert_eq!(error.kind(), std::io::ErrorKind::TimedOut);
/// });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Elapsed;

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl std::error::Error for Elapsed {}

impl From<Elapsed> for std::io::Error {
    fn from(_: Elapsed) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::TimedOut, Elapsed)
    }
}

/// Runs `future` for at most `duration`: `Ok(output)` if it finished in time, `Err(Elapsed)`
/// if not (the future is then dropped). The deadline is fixed when `timeout` is called.
///
/// ```
/// use std::time::Duration;
/// sprout::run(async {
///     let quick = sprout::timeout(Duration::from_secs(5), async { 1 }).await;
///     assert_eq!(quick, Ok(1));
///     let slow = sprout::timeout(Duration::from_millis(10), sprout::sleep(Duration::from_secs(60))).await;
///     assert_eq!(slow, Err(sprout::Elapsed));
/// });
/// ```
#[track_caller]
pub fn timeout<F: Future>(duration: Duration, future: F) -> Timeout<F> {
    Timeout {
        future,
        deadline: sleep(duration),
    }
}

pin_project_lite::pin_project! {
    /// The future returned by [`timeout`]: a nameable type, so it can be stored in a struct or
    /// returned from a trait method.
    ///
    /// ```
    /// use std::time::Duration;
    /// struct Pending {
    ///     reply: sprout::Timeout<sprout::Sleep>, // a named field, no boxing
    /// }
    /// sprout::run(async {
    ///     let pending = Pending {
    ///         reply: sprout::timeout(Duration::from_millis(5), sprout::sleep(Duration::from_secs(60))),
    ///     };
    ///     assert_eq!(pending.reply.await, Err(sprout::Elapsed));
    /// });
    /// ```
    #[must_use = "futures do nothing unless awaited"]
    #[derive(Debug)]
    pub struct Timeout<F> {
        #[pin]
        future: F, // The work, polled first.
        deadline: Sleep, // When to give up.
    }
}

impl<F> Timeout<F> {
    /// The wrapped future.
    ///
    /// ```
    /// use std::time::Duration;
    /// let limited = sprout::timeout(Duration::from_secs(1), std::future::ready(7));
    /// let _work: &std::future::Ready<i32> = limited.get_ref();
    /// ```
    pub fn get_ref(&self) -> &F {
        &self.future
    }

    /// When the timeout expires; `None` if never.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let limited = sprout::timeout(Duration::from_secs(1), std::future::pending::<()>());
    /// assert!(limited.deadline().unwrap() > Instant::now());
    /// ```
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline.deadline()
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let had_budget = coop::has_budget();
        // The work first, so a future that is ready at the deadline still wins.
        if let Poll::Ready(output) = this.future.poll(cx) {
            return Poll::Ready(Ok(output));
        }
        // If the work spent the last unit of the budget in this very poll, the deadline may
        // still fire: a busy future cannot outrun its timeout. If the budget was spent before,
        // the deadline is throttled like any timer, so the task yields instead of answering
        // `Elapsed` (coop I5): a loop around a timeout that was due cannot spin forever.
        let _unthrottled = (had_budget && !coop::has_budget()).then(coop::BudgetScope::unlimited);
        Pin::new(this.deadline).poll(cx).map(|()| Err(Elapsed))
    }
}
