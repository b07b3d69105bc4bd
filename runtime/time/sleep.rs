//! [`sleep`] and [`Sleep`]: a future that parks its waker in the reactor's timer queue until
//! its deadline (time I1–I3).
//!
//! Where it sits in the flow:
//!
//! ```text
//! spawn → run queue → [poll Sleep] → Pending → [waker parked in the timer queue] → deadline passes → wake → run queue → [poll Sleep: Ready]
//! ```
//!
//! Read next: `runtime/time/timeout.rs`.

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use crate::runtime::coop;
use crate::runtime::hooks::Event;
use crate::runtime::reactor::{Reactor, TimerKey};
use crate::runtime::scheduler::context;

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

    /// Makes this sleep never end (what `sleep` makes of a duration past the clock's range).
    pub(crate) fn reset_never(&mut self) {
        self.deadline = None;
        self.unregister();
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
            // A fired timer spends a unit like any completed operation (coop I5).
            std::task::ready!(coop::poll_proceed(cx));
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
