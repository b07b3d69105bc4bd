//! The runtime: everything that makes a future run — tasks, workers, the reactor, timers.
//!
//! This folder is the whole engine. `net/` sits on top of it and uses only [`Async`].
//!
//! ```text
//! spawn → run queue → poll → Pending → waker parked in reactor → epoll event → wake → run queue → poll again
//! ```
//!
//! The files, in reading order, with the stage of that flow each one owns:
//!
//! | file                | what it holds                                             | stage                     |
//! |---------------------|-----------------------------------------------------------|---------------------------|
//! | `builder.rs`        | `Builder`: workers, pool, trace, watchdog; env variables  | before the flow           |
//! | `block_on.rs`       | `Runtime`, `block_on`, `run`, `stats`                     | where the first future enters |
//! | `task.rs`           | a task: future + state word + waker                       | spawn, poll, wake         |
//! | `join.rs`           | `JoinHandle`, `JoinError`, `join_all`                     | the end of a task         |
//! | `executor.rs`       | run queues, the task registry, `spawn`                    | run queue                 |
//! | `worker.rs`         | the loop that pops and polls; parking                     | poll                      |
//! | `lifo.rs`           | the one task a worker runs next                           | wake → poll               |
//! | `defer.rs`          | self-woken tasks wait for the next reactor poll           | yield → poll              |
//! | `park.rs`           | sleeping workers and how wake-ups find them               | park / unpark             |
//! | `reactor.rs`        | epoll, registered sources, readiness                      | waker parked, epoll event |
//! | `timer.rs`          | the timer queue                                           | deadline → wake           |
//! | `time.rs`           | `sleep`, `timeout`, `interval`                            | timer futures             |
//! | `async_io.rs`       | `Async<T>`: try, on `WouldBlock` wait for readiness, retry | Pending on I/O            |
//! | `coop.rs`           | the per-poll budget, `yield_now`                          | fairness                  |
//! | `local.rs`          | `spawn_local` for `!Send` futures                         | spawn (pinned)            |
//! | `blocking.rs`       | `spawn_blocking` thread pool                              | beside the flow           |
//! | `context.rs`        | which runtime this thread belongs to                      | beside the flow           |
//! | `slab.rs`           | stable integer keys for sources and tasks                 | helper                    |
//! | `sync/`             | `Event`, channels, `oneshot`, `Semaphore`                 | waker parked by a task    |
//!
//! Watching the runtime work (docs/ chapter "Watching the runtime"):
//!
//! | file                | what it holds                                             | stage                     |
//! |---------------------|-----------------------------------------------------------|---------------------------|
//! | `task_builder.rs`   | `TaskBuilder`: spawn with a name                          | spawn                     |
//! | `task_meta.rs`      | a task's name, spawn site, poll counters; the trace's wait record | every stage     |
//! | `probe.rs`          | the bookkeeping around one poll                           | poll                      |
//! | `trace.rs`          | `SPROUT_TRACE=1`: one stderr line per event               | every stage               |
//! | `dump.rs`           | `dump()` and SIGUSR1: every live task, fd and timer       | a snapshot of all stages  |
//! | `monitor.rs`        | the blocking watchdog and the SIGUSR1 thread              | a poll that never returns |
//! | `shutdown.rs`       | `Runtime::drop`: name what is still alive, bounded wait   | after the flow            |

mod async_io;
mod block_on;
mod builder;
mod coop;
mod direction;
mod hooks;
mod lock;
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

pub mod sync;

pub use async_io::Async;
pub use block_on::run;
pub use builder::{Builder, WORKERS_ENV};
pub use coop::{yield_now, YieldNow, BUDGET, BYTES_PER_UNIT};
pub use observe::{
    dump, RuntimeDump, ShutdownReport, SourceDump, TaskDump, WaitingOn, SHUTDOWN_REPORT_ENV,
    TRACE_ENV, WATCHDOG_ENV,
};
pub use runtime::{stats, Runtime, RuntimeStats};
pub use scheduler::blocking::spawn_blocking;
pub use scheduler::context::expect_runtime;
pub use scheduler::spawn::{spawn, spawn_local};
pub use task::{join_all, JoinError, JoinHandle, TaskId, TaskKind, TaskState};
pub use task_builder::TaskBuilder;
pub use task_group::TaskGroup;
pub use time::{interval, sleep, sleep_until, timeout, Elapsed, Interval, Sleep, Timeout};
