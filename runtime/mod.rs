//! The runtime: everything that makes a future run — tasks, workers, the reactor, timers.
//!
//! This folder is the whole engine. `net/` sits on top of it and uses only [`Async`].
//!
//! ```text
//! spawn → run queue → poll → Pending → waker parked in reactor → epoll event → wake → run queue → poll again
//! ```
//!
//! The engine's folders depend one way: `scheduler/` uses `task/` and `reactor/`; `async_io/`
//! and `time/` use `reactor/`; `task/` uses none of them. The glass box (`observe/`) sits above
//! them all, and the engine reaches it only through the one interface it defines itself
//! (`hooks.rs`):
//!
//! | file or folder   | what it holds                                                   | stage                     |
//! |------------------|-----------------------------------------------------------------|---------------------------|
//! | `builder.rs`     | `Builder`: workers, pool, trace, watchdog; env variables; wiring | before the flow          |
//! | `runtime.rs`     | `Runtime`: spawn, dump, stats from any thread; shutdown on drop | around the flow           |
//! | `block_on.rs`    | `block_on`, `run`: the first future, on worker 0                | where the first future enters |
//! | `task/`          | a task: state word, cell, one poll, `JoinHandle`, local tasks   | spawn, poll, wake         |
//! | `coop.rs`        | the per-poll budget, `yield_now`                                | fairness                  |
//! | `scheduler/`     | run queues, LIFO slot, deferral, registry, workers, parking     | run queue → poll          |
//! | `reactor/`       | epoll, sources and readiness, the timer queue                   | waker parked, epoll event |
//! | `direction.rs`   | `Direction`: read or write (a leaf)                             | waker parked              |
//! | `async_io/`      | `Async<T>`: try, on `WouldBlock` wait for readiness, retry      | Pending on I/O            |
//! | `time/`          | `sleep`, `timeout`, `interval`                                  | timer futures             |
//! | `hooks.rs`       | `Hooks` and `Event`: what the engine reports                    | every stage               |
//! | `observe/`       | the glass box: trace, dump, watchdog, shutdown report, timing   | every stage, watched      |
//! | `task_builder.rs`, `task_group.rs` | spawning with a name; spawning into a group   | spawn                     |
//! | `sync/`          | `Event`, channels, `broadcast`, `oneshot`, `Semaphore`          | waker parked by a task    |
//! | `lock.rs`, `slab.rs` | the lock helper and stable keys (leaves)                    | helpers                   |
//!
//! Read next: `runtime/builder.rs` (what `build()` creates).

// Without the glass box (the cargo feature `observe` off), what the engine keeps only for it to
// read — the events' fields, the dump's accessors — has no reader; the build stays warning-free.
#![cfg_attr(not(feature = "observe"), allow(dead_code))]

mod async_io;
mod block_on;
mod builder;
mod coop;
mod direction;
mod environment;
mod hooks;
mod lock;
#[cfg(feature = "observe")]
mod observe;
#[cfg(not(feature = "observe"))]
#[path = "observe_off.rs"]
mod observe;
mod reactor;
#[allow(clippy::module_inception)]
mod runtime;
mod scheduler;
mod slab;
mod task;
mod task_builder;
mod task_group;
mod time;
mod wait_list;

pub mod sync;

pub use async_io::Async;
pub use block_on::run;
pub use builder::Builder;
pub use coop::{yield_now, YieldNow, BUDGET, BYTES_PER_UNIT};
pub use environment::WORKERS_ENV;
#[cfg(feature = "observe")]
pub use observe::{
    dump, RuntimeDump, SourceDump, TaskDump, WaitingOn, SHUTDOWN_REPORT_ENV, TRACE_ENV,
    WATCHDOG_ENV,
};
pub use runtime::{stats, Runtime, RuntimeStats, ShutdownReport};
pub use scheduler::blocking::spawn_blocking;
pub use scheduler::context::expect_runtime;
pub use scheduler::spawn::{spawn, spawn_local};
pub use task::{join_all, JoinError, JoinHandle, TaskId, TaskKind, TaskState};
pub use task_builder::TaskBuilder;
pub use task_group::TaskGroup;
pub use time::{interval, sleep, sleep_until, timeout, Elapsed, Interval, Sleep, Timeout};
