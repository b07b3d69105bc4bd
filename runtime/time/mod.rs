//! Timers for tasks: [`sleep()`], [`sleep_until()`], [`timeout()`], [`interval()`].
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
//! - I2: a `Sleep` that is dropped while registered removes its entry (timer_queue I2).
//! - I3: a registered `Sleep` whose deadline has not passed has one entry in the timer queue,
//!   at its current deadline, holding the waker of its last poll: [`Sleep::reset`] moves the entry instead of
//!   dropping it, so a task parked on the sleep is never stranded by a reset.
//!
//! Read next: `runtime/time/sleep.rs`.

mod interval;
mod sleep;
mod timeout;

pub use interval::{interval, Interval};
pub use sleep::{sleep, sleep_until, Sleep};
pub use timeout::{timeout, Elapsed, Timeout};
