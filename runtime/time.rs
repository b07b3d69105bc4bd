//! Timers for tasks: [`sleep`], [`sleep_until`], [`timeout`], [`interval`].
//!
//! Where it sits in the flow:
//!
//! ```text
//! spawn → run queue → [poll Sleep] → Pending → [waker parked in the timer queue] → deadline passes → wake → run queue → [poll Sleep: Ready]
//! ```
//!
//! A [`Sleep`] registers its deadline with the runtime's reactor on its first `Pending` poll and
//! removes it when dropped. gevent words: `sleep` is `gevent.sleep`, `timeout` is
//! `gevent.Timeout`, `interval` is a loop around `gevent.sleep`.
//!
//! Invariants:
//! - I1: a `Sleep` is `Ready` only once `Instant::now() >= deadline` — it checks the clock itself
//!   and never trusts a wake-up alone — so no timer fires early.
//! - I2: a `Sleep` that is dropped while registered removes its entry (I2 of timer.rs).
//! - I3: a registered `Sleep` whose deadline has not passed has one entry in the timer queue,
//!   at its current deadline, holding the waker of its last poll: [`Sleep::reset`] moves the entry instead of
//!   dropping it, so a task parked on the sleep is never stranded by a reset.
//!
//! Read next: `async_io.rs`.

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use super::hooks::Event;
use super::reactor::{Reactor, TimerKey};
use super::scheduler::context;

/// Waits until `duration` has passed. The deadline is fixed when `sleep` is called.
///
/// ```
/// use std::time::{Duration, Instant};
/// sprout::run(async {
///     let start = Instant::now();
///     sprout::sleep(Duration::from_millis(20)).await;
///     assert!(start.elapsed() >= Duration::from_millis(20));
/// });
/// ```
#[track_caller]
pub fn sleep(duration: Duration) -> Sleep {
    // A duration too large to add to the clock (Duration::MAX, say) means "never".
    Sleep::new(Instant::now().checked_add(duration))
}

/// Waits until `deadline`. A deadline in the past completes at the first poll.
///
/// ```
/// use std::time::{Duration, Instant};
/// sprout::run(async {
///     let deadline = Instant::now() + Duration::from_millis(10);
///     sprout::sleep_until(deadline).await;
///     assert!(Instant::now() >= deadline);
/// });
/// ```
#[track_caller]
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep::new(Some(deadline))
}

/// The future returned by [`sleep`] and [`sleep_until`].
///
/// ```
/// use std::time::Duration;
/// sprout::run(async {
///     let nap: sprout::Sleep = sprout::sleep(Duration::from_millis(1));
///     nap.await;
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Sleep {
    /// When to complete; `None` means never (the requested duration overflowed the clock).
    deadline: Option<Instant>,
    /// Once registered: the reactor holding our timer, its key, and the waker it will call.
    registration: Option<Registration>,
    /// Where the user created the sleep (`sleep`, `timeout`, `interval`…): a sleep polled outside
    /// a runtime names this line, since the poll itself happens wherever the executor is.
    created_at: &'static Location<'static>,
}

/// A `Sleep`'s entry in its runtime's timer queue.
struct Registration {
    /// The reactor whose queue holds the entry.
    reactor: Arc<Reactor>,
    /// The entry's key.
    key: TimerKey,
    /// The waker stored in the entry, to skip the lock when the same task polls again.
    waker: Waker,
}

impl Sleep {
    /// A sleep until `deadline` (`None`: forever), created at the caller's line.
    #[track_caller]
    fn new(deadline: Option<Instant>) -> Sleep {
        Sleep {
            deadline,
            registration: None,
            created_at: Location::caller(),
        }
    }

    /// When this sleep completes; `None` if never.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let start = Instant::now();
    /// let nap = sprout::sleep(Duration::from_secs(1));
    /// assert!(nap.deadline().unwrap() >= start + Duration::from_secs(1));
    /// assert_eq!(sprout::sleep(Duration::MAX).deadline(), None); // never
    /// ```
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Moves the deadline, as if the sleep had been created with `sleep_until(deadline)`.
    ///
    /// A task already waiting on this sleep keeps waiting and wakes at the new deadline, even
    /// when another task or thread moved it (the sleep shared behind a mutex, say): the waker it
    /// parked moves with the deadline (I3).
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// sprout::run(async {
    ///     let mut nap = sprout::sleep(Duration::from_secs(3600));
    ///     nap.reset(Instant::now() + Duration::from_millis(1));
    ///     nap.await; // one millisecond, not an hour
    /// });
    /// ```
    pub fn reset(&mut self, deadline: Instant) {
        self.deadline = Some(deadline);
        if let Some(registration) = &mut self.registration {
            // I3: re-register with the waker that is parked now. Removing the entry alone would
            // leave the waiting task with nothing that will ever wake it, since it polls again
            // only when woken. If the old entry fired already, the new one is merely redundant.
            let reactor = &registration.reactor;
            reactor.remove_timer(registration.key);
            registration.key = reactor.insert_timer(deadline, registration.waker.clone());
        }
    }

    /// Removes our entry from the timer queue, if any (I2).
    fn unregister(&mut self) {
        if let Some(registration) = self.registration.take() {
            registration.reactor.remove_timer(registration.key);
        }
    }
}

impl Future for Sleep {
    type Output = ();

    // ANCHOR: sleep_poll
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let Some(deadline) = self.deadline else {
            return Poll::Pending; // Never: nothing to register, nothing will wake us.
        };
        if Instant::now() >= deadline {
            self.unregister();
            return Poll::Ready(()); // I1
        }
        match &mut self.registration {
            Some(registration) if registration.waker.will_wake(cx.waker()) => {}
            Some(registration) => {
                if !registration
                    .reactor
                    .update_timer(registration.key, cx.waker())
                {
                    // The entry fired already, yet the clock says we are early (only possible
                    // if the waker was swapped in between): register again.
                    registration.key = registration
                        .reactor
                        .insert_timer(deadline, cx.waker().clone());
                }
                registration.waker = cx.waker().clone();
            }
            None => {
                let Some(reactor) = context::scheduler().map(|shared| shared.reactor.clone())
                else {
                    panic!(
                        "a sprout::sleep created at {} was polled outside of a sprout runtime: \
                         await it inside `sprout::run`, `Runtime::block_on`, or a task spawned \
                         on a runtime",
                        self.created_at
                    );
                };
                let key = reactor.insert_timer(deadline, cx.waker().clone());
                self.registration = Some(Registration {
                    reactor,
                    key,
                    waker: cx.waker().clone(),
                });
            }
        }
        if let Some(registration) = &self.registration {
            // For the trace's wait record (hooks I1).
            registration
                .reactor
                .report(|| Event::ParkedOnTimer(deadline));
        }
        Poll::Pending
    }
    // ANCHOR_END: sleep_poll
}

impl Drop for Sleep {
    fn drop(&mut self) {
        self.unregister();
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline)
            .finish()
    }
}

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
        // The work first, so a future that is ready at the deadline still wins.
        if let Poll::Ready(output) = this.future.poll(cx) {
            return Poll::Ready(Ok(output));
        }
        Pin::new(this.deadline).poll(cx).map(|()| Err(Elapsed))
    }
}

/// Creates an [`Interval`] that ticks every `period`, the first tick at once.
///
/// # Panics
/// If `period` is zero (a timer that is always due would spin).
///
/// ```
/// use std::time::Duration;
/// sprout::run(async {
///     let mut every = sprout::interval(Duration::from_millis(5));
///     let first = every.tick().await;
///     let second = every.tick().await;
///     assert!(second - first >= Duration::from_millis(5));
/// });
/// ```
#[track_caller]
pub fn interval(period: Duration) -> Interval {
    assert!(
        !period.is_zero(),
        "sprout::interval: the period must be non-zero"
    );
    let start = Instant::now();
    Interval {
        period,
        next: start,
        sleep: sleep_until(start),
    }
}

/// A timer that completes once per period; see [`interval`].
///
/// When ticks are missed (the task was busy for several periods), the next tick is one period
/// after the late one: missed ticks are skipped, not delivered in a burst.
///
/// ```
/// use std::time::Duration;
/// sprout::run(async {
///     let mut ticks = 0;
///     let mut every = sprout::interval(Duration::from_millis(1));
///     while ticks < 3 {
///         every.tick().await;
///         ticks += 1;
///     }
/// });
/// ```
#[derive(Debug)]
pub struct Interval {
    /// Time between ticks.
    period: Duration,
    /// When the next tick is due.
    next: Instant,
    /// Sleeps until `next`.
    sleep: Sleep,
}

impl Interval {
    /// Waits for the next tick and returns the instant it was due.
    ///
    /// ```
    /// use std::time::Duration;
    /// sprout::run(async {
    ///     let mut every = sprout::interval(Duration::from_millis(2));
    ///     let first = every.tick().await; // at once
    ///     let second = every.tick().await;
    ///     assert!(second >= first + Duration::from_millis(2));
    /// });
    /// ```
    pub async fn tick(&mut self) -> Instant {
        futures_lite::future::poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Polls for the next tick; `Ready(instant it was due)`.
    ///
    /// ```
    /// use std::time::Duration;
    /// sprout::run(async {
    ///     let mut every = sprout::interval(Duration::from_millis(1));
    ///     futures_lite::future::poll_fn(|cx| every.poll_tick(cx)).await;
    /// });
    /// ```
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        if Pin::new(&mut self.sleep).poll(cx).is_pending() {
            return Poll::Pending;
        }
        let due = self.next;
        let now = Instant::now();
        let mut next = due + self.period;
        if next <= now {
            next = now + self.period; // Skip the ticks we missed.
        }
        self.next = next;
        self.sleep.reset(next);
        Poll::Ready(due)
    }

    /// The time between ticks.
    ///
    /// ```
    /// use std::time::Duration;
    /// let every = sprout::interval(Duration::from_millis(250));
    /// assert_eq!(every.period(), Duration::from_millis(250));
    /// ```
    pub fn period(&self) -> Duration {
        self.period
    }
}

impl futures_lite::Stream for Interval {
    type Item = Instant;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Instant>> {
        self.poll_tick(cx).map(Some)
    }
}
