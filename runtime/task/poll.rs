//! One poll: the single place where sprout polls a future, whatever kind it is.
//!
//! Where it sits in the flow:
//!
//! ```text
//! spawn → run queue → [poll: budget scope + catch_unwind] → Pending → waker parked in reactor → epoll event → wake → run queue
//! ```
//!
//! Every task, spawned or local (both run through `TaskCell::run` in `task/cell.rs`), and the
//! `block_on` future (`block_on.rs`) are polled through [`poll_guarded`], and every task also
//! shares what happens around it ([`Header::poll_once`] and [`Header::after_pending`] in
//! `task/mod.rs`). So a rule about polling is written once and holds for all of them (chapter 7
//! tells what went wrong when it was not).
//!
//! Invariants:
//! - I1: every poll runs inside a fresh budget scope (coop I1), closed before the outcome is
//!   looked at, also when the future panics.
//! - I2: a panic in `poll` is caught and returned as `Err`, never unwinding through the worker;
//!   the caller decides what it means (a `JoinError` for a task, a re-raised panic for
//!   `block_on`).
//!
//! The file ends with what becomes of a caught panic elsewhere in a task's life: a value whose
//! destructor panics is dropped through [`drop_caught`], a detached task's panic is printed by
//! [`report_detached_panic`], and [`panic_message`] reads the text out of a payload.
//!
//! [`Header::poll_once`]: super::Header::poll_once
//! [`Header::after_pending`]: super::Header::after_pending
//!
//! Read next: `runtime/coop.rs` (the budget every poll opens).

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::task::{Context, Poll};

use super::{JoinError, TaskMeta};
use crate::runtime::coop::BudgetScope;

/// What a poll came to: the future's answer, or the payload of its panic (I2).
pub(crate) type Polled<T> = Result<Poll<T>, Box<dyn Any + Send>>;

/// Runs `poll` once with a full budget (I1), catching a panic (I2).
#[inline]
pub(crate) fn poll_guarded<T>(
    cx: &mut Context<'_>,
    poll: impl FnOnce(&mut Context<'_>) -> Poll<T>,
) -> Polled<T> {
    let budget = BudgetScope::enter();
    let polled = catch_unwind(AssertUnwindSafe(|| poll(cx)));
    drop(budget);
    polled
}

/// How a poll ended, as reported to whoever watches (`TaskEvent::PollEnded`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PollOutcome {
    /// The future returned `Pending`.
    Pending,
    /// The future returned `Ready`: the task is done.
    Ready,
    /// The future panicked.
    Panicked,
}

impl PollOutcome {
    /// The outcome of a poll run through [`poll_guarded`].
    pub(crate) fn of<T>(polled: &Polled<T>) -> PollOutcome {
        match polled {
            Ok(Poll::Pending) => PollOutcome::Pending,
            Ok(Poll::Ready(_)) => PollOutcome::Ready,
            Err(_) => PollOutcome::Panicked,
        }
    }
}

/// Drops `value`, catching a panic from its destructor: on a worker, user destructors must not
/// unwind through the runtime. The panic has been reported by the panic hook already.
pub(crate) fn drop_caught<T>(value: T) {
    let _ = catch_unwind(AssertUnwindSafe(move || drop(value)));
}

/// Prints a line on stderr for a detached task that panicked; nobody else will see the error.
pub(crate) fn report_detached_panic(error: &JoinError, meta: &TaskMeta) {
    if error.is_panic() {
        let name = meta
            .name()
            .map_or_else(String::new, |name| format!(" {name:?}"));
        eprintln!(
            "sprout: detached {error} (task{name}, spawned at {})",
            meta.spawned_at()
        );
    }
}

/// The message inside a panic payload, when it is a string (as `panic!` makes it).
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(text) = payload.downcast_ref::<&'static str>() {
        text
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text
    } else {
        "a non-string panic payload"
    }
}
