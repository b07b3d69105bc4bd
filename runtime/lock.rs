//! [`lock`]: how every part of the runtime takes a `Mutex`. A leaf: it imports nothing from
//! the runtime, so any file may use it without joining an import circle.
//!
//! Where it sits in the flow: under it. Each stage that shares state between threads — a run
//! queue's registry, a source's wakers, a channel's queue — takes its lock through here:
//!
//! ```text
//! spawn → run queue → poll → Pending → waker parked in reactor → epoll event → wake → run queue
//! ```
//!
//! Read next: `runtime/slab.rs`.

use std::sync::{Mutex, MutexGuard};

/// Locks a mutex, ignoring poisoning: every critical section in the runtime leaves its data
/// consistent before anything that may panic (futures are polled inside `catch_unwind`).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
