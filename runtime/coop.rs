//! Cooperation: the per-poll budget that makes busy tasks yield, and [`yield_now`].
//!
//! Where it sits in the flow:
//!
//! ```text
//! spawn → run queue → [poll: budget reset] → Pending → waker parked in reactor → epoll event → wake → run queue
//! ```
//!
//! A future that is always ready never returns `Pending` on its own: a loop over a socket that
//! always has data, or over a channel that is never empty, would keep its worker forever, and the
//! timers and tasks behind it would starve. So every task poll starts with a budget of
//! [`BUDGET`] units; each I/O or channel operation spends one, a byte-stream transfer spends one
//! more per [`BYTES_PER_UNIT`] bytes it moved, and once the budget is spent the operation
//! answers `Pending` after waking its own task, which defers the task (`defer.rs`).
//!
//! Why charge by bytes: counting operations alone, 128 reads of 64 KiB move 8 MB in one poll,
//! several milliseconds during which small requests wait. Measured in the Shakespeare case (one
//! 64 KiB-chunk stream beside 20 small clients, `bench/echo_bench`), small-message p99 was
//! 2.2 ms against tokio's 1.8 ms. Charging one unit per 4 KiB gave 0.53 ms but starved the bulk
//! stream (0.69x tokio's MB/s); per 16 KiB, 0.76 ms and 0.87x; per 32 KiB, 0.96 ms and 0.98x
//! (tokio: 1.98 ms), which is what sprout uses. A 64-byte ping-pong still costs one unit. Tokio calls the same idea "cooperative scheduling"; gevent has no need for it
//! because a greenlet switches away on every blocking call.
//!
//! Invariants:
//! - I1: [`reset`] runs before each poll of a task or of a `block_on` future, so a budget never
//!   leaks from one task to the next.
//! - I2: an operation that answers `Pending` because the budget is spent has woken its task first,
//!   so the task is never left without a pending wake-up.
//!
//! Read next: `task.rs`, which calls [`reset`] around every poll.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Units a task may spend in one poll before it is made to yield.
///
/// Tokio uses 128 operations as well; smaller values cost throughput (more trips through the
/// queue), larger ones cost latency for the tasks waiting behind a busy one.
///
/// ```
/// assert_eq!(sprout::runtime::BUDGET, 128);
/// ```
pub const BUDGET: u32 = 128;

/// Bytes moved by one byte-stream read or write that cost one extra unit of budget.
///
/// ```
/// // A 64 KiB read costs 1 unit plus 2 for its bytes.
/// assert_eq!(1 + 64 * 1024 / sprout::runtime::BYTES_PER_UNIT, 3);
/// ```
pub const BYTES_PER_UNIT: usize = 32 * 1024;

thread_local! {
    /// Operations left in the current poll on this thread. Written by [`reset`] (start of a poll)
    /// and [`poll_proceed`] (each operation). Outside any task it stays at `BUDGET`, so code
    /// that never runs inside sprout is never throttled.
    static REMAINING: Cell<u32> = const { Cell::new(BUDGET) };
}

/// Gives the current thread a full budget. Called by the executor before each poll (I1).
pub(crate) fn reset() {
    REMAINING.with(|r| r.set(BUDGET));
}

/// Spends one unit of the budget. `Ready(())` means the caller may perform its operation;
/// `Pending` means the budget is spent: the task has been woken (I2) and must return `Pending`.
// ANCHOR: poll_proceed
pub(crate) fn poll_proceed(cx: &mut Context<'_>) -> Poll<()> {
    REMAINING.with(|r| {
        let left = r.get();
        if left == 0 {
            cx.waker().wake_by_ref();
            Poll::Pending
        } else {
            r.set(left - 1);
            Poll::Ready(())
        }
    })
}
// ANCHOR_END: poll_proceed

/// Charges the extra units for a transfer of `bytes` (see [`BYTES_PER_UNIT`]). The next
/// [`poll_proceed`] answers `Pending` if this spent the budget.
pub(crate) fn charge_bytes(bytes: usize) {
    let units = u32::try_from(bytes / BYTES_PER_UNIT).unwrap_or(u32::MAX);
    if units > 0 {
        REMAINING.with(|r| r.set(r.get().saturating_sub(units)));
    }
}

/// Yields to the other tasks once: the current task goes to the back of its run queue.
///
/// This is gevent's `gevent.sleep(0)`. Use it inside a long computation that never awaits,
/// so the tasks, timers and I/O waiting behind it get their turn.
///
/// ```
/// sprout::run(async {
///     let mut sum = 0u64;
///     for i in 0..10_000u64 {
///         sum += i;
///         if i % 1_000 == 0 {
///             sprout::yield_now().await;
///         }
///     }
///     assert_eq!(sum, 49_995_000);
/// });
/// ```
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// The future returned by [`yield_now`].
///
/// ```
/// sprout::run(async {
///     let yielding: sprout::runtime::YieldNow = sprout::yield_now();
///     yielding.await;
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
#[derive(Debug)]
pub struct YieldNow {
    /// `true` once the future has returned `Pending` one time; the next poll completes.
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        // Waking ourselves before returning Pending is what makes this a yield rather than a
        // sleep: the executor sees the wake-up during the poll and re-queues the task at the back.
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
