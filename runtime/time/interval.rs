//! [`interval`]: a [`Sleep`] that is reset to the next tick each time it fires.
//!
//! Where it sits in the flow: like `sleep`, again and again.
//!
//! ```text
//! [tick().await] → poll Sleep → Pending → waker parked in the timer queue → deadline → wake → [Ready: reset to the next tick]
//! ```
//!
//! Read next: `runtime/hooks.rs` (how the engine reports what it does).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::sleep::{sleep_until, Sleep};

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
        // A period too long to add to the clock (`Duration::MAX`, say) means no further tick,
        // as `sleep` reads such a duration as "never".
        let next = match due.checked_add(self.period) {
            Some(next) if next > now => Some(next),
            Some(_) => now.checked_add(self.period), // Skip the ticks we missed.
            None => None,
        };
        match next {
            Some(next) => {
                self.next = next;
                self.sleep.reset(next);
            }
            None => self.sleep.reset_never(),
        }
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
