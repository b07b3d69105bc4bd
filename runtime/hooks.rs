//! The engine's one window: every [`Event`] the core reports, and the [`Hooks`] trait that
//! whoever watches implements.
//!
//! Where it sits: beside every stage of the flow, which reports here what it does:
//!
//! ```text
//! [spawn] → [run queue] → [poll] → [Pending: waker parked on …] → [epoll event] → [wake] → [run queue] → [poll]
//! ```
//!
//! The core (task/, scheduler/, reactor/, `Async<T>`, timers) never names the glass box: it
//! holds an `Option<Arc<dyn Hooks>>` and, when it is `Some`, describes what it just did as an
//! `Event`. The trait is crate-private, and the glass box (`observe/`: trace, poll timing, wait
//! records), wired in by `builder.rs`, is its one implementation.
//!
//! Invariants:
//! - I1: with nothing observing, an event costs one branch on a flag the caller already holds
//!   (the scheduler's `Option`, a task's `TaskMeta::observed`, a source's `Option`): nothing is
//!   built, formatted or called.
//! - I2: events are reported on the thread where they happen, in the order they happen, so an
//!   observer may keep per-thread state (the task being polled, why wakers are being woken).
//!
//! Read next: `runtime/observe/mod.rs`.

use std::os::fd::RawFd;
use std::time::{Duration, Instant};

use super::direction::Direction;
use super::task::{Header, TaskEvent};

/// Something the engine did, as reported to [`Hooks::event`].
#[derive(Clone, Copy)]
pub(crate) enum Event<'a> {
    /// `Builder::build` finished starting `workers` workers.
    RuntimeStarted {
        /// Workers, counting the `block_on` thread.
        workers: usize,
    },
    /// `Runtime::drop` began.
    RuntimeShuttingDown,
    /// A task was created (`spawn`, `spawn_local`, `spawn_blocking`).
    Spawned(&'a Header),
    /// A task was put on a run queue.
    Queued(&'a Header, Queue),
    /// Something happened in a task's life, as its header reports it.
    Task(&'a Header, TaskEvent),
    /// Worker 0 is about to poll the `block_on` future.
    MainPolled,
    /// The `block_on` future's poll returned.
    MainReturned {
        /// `true` for `Ready`.
        ready: bool,
    },
    /// The `block_on` future was woken.
    MainWoken,
    /// A worker sleeps on its condvar (another worker waits in epoll).
    WorkerParks,
    /// That worker was woken.
    WorkerUnparked,
    /// The driving worker is about to block in `epoll_wait`.
    ReactorParks {
        /// At most this long (the next timer), or until an event.
        timeout: Option<Duration>,
    },
    /// `epoll_wait` returned without events.
    ReactorReturnedNothing,
    /// `epoll_wait` returned these events.
    ReactorEvents(&'a [FdEvent]),
    /// This many timers passed their deadline.
    TimersFired(usize),
    /// The wakers woken from now on are woken because of this (`None`: the delivery is over).
    Delivering(Option<WakeCause>),
    /// The poll in progress on this thread parked a waker on an fd.
    ParkedOnFd(RawFd, Direction),
    /// The poll in progress on this thread parked a waker in the timer queue.
    ParkedOnTimer(Instant),
    /// A read on a registered fd returned `bytes` (0: end of stream).
    Read {
        /// The fd.
        fd: RawFd,
        /// Bytes read.
        bytes: usize,
    },
    /// A write on a registered fd took `bytes` of `len`.
    Wrote {
        /// The fd.
        fd: RawFd,
        /// Bytes written.
        bytes: usize,
        /// Bytes offered.
        len: usize,
    },
    /// An operation on a registered fd failed with `WouldBlock`: its readiness is forgotten.
    WouldBlock {
        /// The fd.
        fd: RawFd,
        /// Which way the operation went.
        direction: Direction,
    },
}

/// Which run queue a task was put on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Queue {
    /// The worker's LIFO slot: it runs next.
    LifoSlot,
    /// The back of the worker's local queue.
    LocalBack,
    /// The deferred list: after the next reactor poll.
    Deferred,
    /// The injector (the task was scheduled from outside the runtime's workers).
    Injector,
}

/// Why wakers are being woken, when the reactor knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WakeCause {
    /// An epoll event on this fd, in this direction.
    Fd(RawFd, Direction),
    /// Their timers' deadlines passed.
    Timer,
}

/// One event of an `epoll_wait`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FdEvent {
    /// The fd, or `None` if it was deregistered since.
    pub(crate) fd: Option<RawFd>,
    /// The kernel reported it readable.
    pub(crate) readable: bool,
    /// The kernel reported it writable.
    pub(crate) writable: bool,
}

/// Whoever watches the engine (I1, I2).
pub(crate) trait Hooks: Send + Sync + 'static {
    /// Called for each event, on the thread where it happened.
    fn event(&self, event: Event<'_>);

    /// `true` if poll durations are wanted: tasks spawned while it holds keep room for them
    /// (`TaskMeta`), and the observer measures them between `PollStarted` and `PollEnded`.
    fn times_polls(&self) -> bool {
        false
    }
}

/// The hooks a core structure holds: nothing, or an observer.
pub(crate) type MaybeHooks = Option<std::sync::Arc<dyn Hooks>>;

/// Reports `event` to `hooks`, if any: the one-branch form of I1 for callers that hold a
/// [`MaybeHooks`]. The closure builds the event only when someone listens.
#[inline]
pub(crate) fn report<'a>(hooks: &MaybeHooks, event: impl FnOnce() -> Event<'a>) {
    if let Some(hooks) = hooks {
        hooks.event(event());
    }
}
