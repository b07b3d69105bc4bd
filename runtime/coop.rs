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
//! during which small requests wait. A smaller unit serves the small clients beside a bulk
//! stream sooner but starves the stream; [`BYTES_PER_UNIT`] is where both held up against tokio
//! in the Shakespeare case (`bench/echo_bench`; docs/ chapter 10 has the figures for each size).
//! A 64-byte ping-pong still costs one unit.
//! Tokio calls the same idea "cooperative scheduling"; gevent has no need for it because a
//! greenlet switches away on every blocking call.
//!
//! Why socket writes may overdraw: a write refused by the budget looks, to its caller, exactly
//! like a full socket. A caller that buffers — a TLS stream — keeps the bytes it could not send
//! and reports them written, counting on being asked to write again. A copy loop such as
//! `futures::io::copy` instead goes back to its reader, waits there, and never returns to push
//! them: the bytes sit in user space while both peers wait for each other. A futures-rustls echo
//! through `futures::io::copy` stalls that way whenever the budget runs out on the last write of
//! a burst (`bench/src/bin/tls_stall.rs` reproduces it; docs/ chapter 10). So reads, accepts
//! and channel operations are refused once the budget is spent, but socket writes only once a
//! second budget's worth has been overdrawn ([`poll_proceed_write`]): a task that reads and
//! writes yields at a read, which leaves nothing half-sent, while a task that only writes still
//! yields.
//!
//! Invariants:
//! - I1: every poll of a task or of a `block_on` future runs inside a [`BudgetScope`], which
//!   gives it a full budget, so a budget never leaks from one task to the next.
//! - I2: an operation that answers `Pending` because the budget is spent has woken its task first,
//!   so the task is never left without a pending wake-up.
//! - I3: outside a [`BudgetScope`] the budget is unlimited. Code that a sprout worker is not
//!   polling (a plain thread, a `spawn_blocking` closure, another executor's `block_on`) is never
//!   throttled: nothing there would ever give the budget back, so throttling it would make the
//!   129th operation answer `Pending` forever.
//! - I4: a socket write is refused only after the task has overdrawn a whole second budget, so a
//!   task that alternates reads and writes is always stopped at a read, never between a buffering
//!   writer's write and its retry.
//! - I5: every leaf future that can be `Ready` at once spends a unit when it completes — a read,
//!   a channel operation, a timer that has fired, a finished task's `JoinHandle`, a set
//!   `Event`, a free permit — so no loop of awaits can run forever without yielding. A
//!   combinator that completes when one of its parts is pending (`Timeout` on its deadline)
//!   lets that part finish without budget only when its sibling spent the last unit in the
//!   same poll ([`has_budget`] before and after).
//!
//! Read next: `runtime/task/join.rs`.

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

/// How far below zero socket writes may take the budget before they are refused too (I4).
const WRITE_OVERDRAFT: i32 = BUDGET as i32;

// The small functions below are `#[inline]`: tasks are generic, so their polls are compiled in
// the user's crate, and without the hint each call into this one is a real call, which the
// channel ping-pong feels (`bench/JOURNAL.md` has the figure).

thread_local! {
    /// Units left in the current poll on this thread: `Some(n)` inside a [`BudgetScope`] (a
    /// poll by a sprout worker or `block_on`), `None` everywhere else, meaning unlimited (I3).
    /// Below zero once writes overdraw it (I4). Written by [`BudgetScope`] (start and end of a
    /// poll) and by [`poll_proceed`], [`poll_proceed_write`] and [`charge_bytes`].
    static REMAINING: Cell<Option<i32>> = const { Cell::new(None) };
}

/// A poll in progress: while it lives, the thread has a budget; when it is dropped (after the
/// poll, or while unwinding from a panic in it) the thread gets back what it had before (I1, I3).
pub(crate) struct BudgetScope {
    /// The budget the thread had when the scope opened: `None` on a worker between polls.
    previous: Option<i32>,
}

impl BudgetScope {
    /// Gives the current thread a full budget until the returned scope is dropped. Called by the
    /// executor around each poll (I1).
    #[inline]
    pub(crate) fn enter() -> BudgetScope {
        let previous = REMAINING.with(|r| r.replace(Some(BUDGET as i32)));
        BudgetScope { previous }
    }

    /// Lifts the budget until the returned scope is dropped: for a `spawn_blocking` closure,
    /// which the pool runs inside a task poll but which is plain blocking code (I3).
    pub(crate) fn unlimited() -> BudgetScope {
        let previous = REMAINING.with(|r| r.replace(None));
        BudgetScope { previous }
    }
}

impl Drop for BudgetScope {
    #[inline]
    fn drop(&mut self) {
        REMAINING.with(|r| r.set(self.previous));
    }
}

/// Spends one unit of the budget for a read, an accept or a channel operation. `Ready(())`
/// means the caller may perform its operation; `Pending` means the budget is spent: the task
/// has been woken (I2) and must return `Pending`. Outside a poll by sprout there is no budget
/// and the answer is always `Ready` (I3).
// ANCHOR: poll_proceed
#[inline]
pub(crate) fn poll_proceed(cx: &mut Context<'_>) -> Poll<()> {
    proceed_above(0, cx)
}
// ANCHOR_END: poll_proceed

/// [`poll_proceed`] for a socket write, which is refused only once the budget is overdrawn by
/// [`WRITE_OVERDRAFT`] units (I4).
#[inline]
pub(crate) fn poll_proceed_write(cx: &mut Context<'_>) -> Poll<()> {
    proceed_above(-WRITE_OVERDRAFT, cx)
}

/// Spends one unit if the budget is above `floor`, else wakes the task and refuses.
#[inline]
fn proceed_above(floor: i32, cx: &mut Context<'_>) -> Poll<()> {
    REMAINING.with(|r| match r.get() {
        None => Poll::Ready(()),
        Some(left) if left <= floor => {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
        Some(left) => {
            r.set(Some(left - 1));
            Poll::Ready(())
        }
    })
}

/// Charges the extra units for a transfer of `bytes` (see [`BYTES_PER_UNIT`]). The next
/// [`poll_proceed`] answers `Pending` if this spent the budget.
pub(crate) fn charge_bytes(bytes: usize) {
    let units = i32::try_from(bytes / BYTES_PER_UNIT).unwrap_or(i32::MAX);
    if units > 0 {
        REMAINING.with(|r| {
            if let Some(left) = r.get() {
                r.set(Some(left.saturating_sub(units).max(-WRITE_OVERDRAFT)));
            }
        });
    }
}

/// `true` if the running poll may still spend a unit (or is not throttled at all, I3).
#[inline]
pub(crate) fn has_budget() -> bool {
    REMAINING.with(|r| r.get().is_none_or(|left| left > 0))
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::task::Waker;

    /// Counts how many operations `poll_proceed` allows before answering `Pending`, up to `cap`.
    fn allowed_operations(cap: u32) -> u32 {
        let mut cx = Context::from_waker(Waker::noop());
        (0..cap)
            .take_while(|_| poll_proceed(&mut cx).is_ready())
            .count() as u32
    }

    /// The same for `poll_proceed_write`.
    fn allowed_writes(cap: u32) -> u32 {
        let mut cx = Context::from_waker(Waker::noop());
        (0..cap)
            .take_while(|_| poll_proceed_write(&mut cx).is_ready())
            .count() as u32
    }

    #[test]
    fn writes_overdraw_a_spent_budget_by_one_more_budget_and_reads_do_not() {
        let _poll = BudgetScope::enter();
        assert_eq!(allowed_operations(10 * BUDGET), BUDGET);
        assert_eq!(allowed_writes(10 * BUDGET), BUDGET, "the overdraft");
        assert_eq!(allowed_operations(10 * BUDGET), 0);

        let _next_poll = BudgetScope::enter();
        charge_bytes(usize::MAX); // A huge transfer spends the overdraft too, no more.
        assert_eq!(allowed_writes(10 * BUDGET), 0);
        assert_eq!(allowed_operations(10 * BUDGET), 0);
    }

    #[test]
    fn outside_a_poll_the_budget_is_unlimited() {
        assert_eq!(allowed_operations(10 * BUDGET), 10 * BUDGET);
        charge_bytes(100 * BYTES_PER_UNIT);
        assert_eq!(allowed_operations(10 * BUDGET), 10 * BUDGET);
    }

    #[test]
    fn a_poll_gets_budget_operations_then_the_thread_is_unlimited_again() {
        let scope = BudgetScope::enter();
        assert_eq!(allowed_operations(10 * BUDGET), BUDGET);
        drop(scope);
        assert_eq!(allowed_operations(10 * BUDGET), 10 * BUDGET);
    }

    #[test]
    fn an_unlimited_scope_inside_a_poll_restores_the_poll_budget() {
        let _poll = BudgetScope::enter();
        charge_bytes(BYTES_PER_UNIT * (BUDGET as usize - 1));
        {
            let _blocking_job = BudgetScope::unlimited();
            assert_eq!(allowed_operations(10 * BUDGET), 10 * BUDGET);
        }
        assert_eq!(allowed_operations(10 * BUDGET), 1);
    }
}
