//! [`Direction`]: reading or writing. A leaf: the reactor parks wakers per direction, `Async<T>`
//! waits in one, and the glass box names it in trace lines and dumps.
//!
//! Where it sits in the flow: at "waker parked in reactor" — a task waits for its fd to become
//! *readable* or *writable*.
//!
//! ```text
//! spawn → run queue → poll → Pending → [waker parked for a direction: read or write] → epoll event → wake → run queue
//! ```
//!
//! Read next: `runtime/reactor/timer_queue.rs`.

/// A direction of I/O on a registered fd.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    /// Reading, accepting, receiving.
    Read,
    /// Writing, connecting, sending.
    Write,
}

impl Direction {
    /// "readable" or "writable", for trace lines and reports.
    pub(crate) fn adjective(self) -> &'static str {
        match self {
            Direction::Read => "readable",
            Direction::Write => "writable",
        }
    }

    /// "read" or "write": the attempt, for trace lines.
    pub(crate) fn verb(self) -> &'static str {
        match self {
            Direction::Read => "read",
            Direction::Write => "write",
        }
    }
}
