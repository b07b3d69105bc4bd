//! # sprout — a small async runtime you can read
//!
//! sprout is the concurrency lecture's last stage made real in Rust: handlers that read like
//! blocking code, thousands of connections on a few threads. It has two parts:
//!
//! - [`runtime`]: an executor (run queues of crossbeam-queue), a reactor on the `polling` crate
//!   (epoll), timers, sync primitives, a blocking pool, and [`Async<T>`](Async) to wrap any
//!   non-blocking file descriptor.
//! - [`net`]: TCP, UDP and Unix sockets with `std::net`'s names and shapes, built only on
//!   `Async<T>`.
//!
//! Beside them, [`io`] (copy, buffered reading, lines, a proxy's two-way copy) and [`future`]
//! (race, zip, …) re-export or add the helpers a program reaches for, so depending on sprout
//! needs no second crate for them.
//!
//! ## Using sprout as a dependency
//!
//! The package is `sprout-rt`; the library is `sprout`:
//! `sprout = { package = "sprout-rt", version = "0.1" }`. sprout's streams implement the
//! futures-io traits by value and by `&` reference, so crates built on futures-io run on it
//! unchanged: TLS with futures-rustls and WebSocket with async-tungstenite need no glue at all,
//! and hyper needs its two runtime traits answered (a few lines; see the `hyper_hello` and
//! `hyper_client` examples). Each pairing is an example in the repository with a test. Left to
//! other crates on purpose: async locks (async-lock), async file I/O (async-fs, or
//! [`spawn_blocking`]: epoll cannot wait on files), and `select!` over many arms.
//!
//! ```
//! use std::time::Duration;
//!
//! sprout::run(async {
//!     let greeter = sprout::spawn(async {
//!         sprout::sleep(Duration::from_millis(10)).await;
//!         "hello from a task"
//!     });
//!     assert_eq!(greeter.await.unwrap(), "hello from a task");
//! });
//! ```
//!
//! ## How a byte travels
//!
//! ```text
//!  spawn(fut) ──► run queue ──► worker polls fut
//!                    ▲               │
//!                    │          read → WouldBlock
//!                    │               │
//!                    │               ▼
//!                  wake ◄── reactor ◄── waker parked on the fd's source
//!                    ▲          │
//!                    └── epoll_wait returns "fd readable"
//! ```
//!
//! 1. `spawn` wraps the future in a task and pushes it onto a run queue.
//! 2. A worker pops it and polls it. The future tries a non-blocking read.
//! 3. The read fails with `WouldBlock`: the future parks the task's waker in the reactor, under
//!    the socket's source, and returns `Pending`. The worker moves on.
//! 4. A worker with nothing to do waits in `epoll_wait`. Data arrives; epoll reports the fd.
//! 5. The reactor wakes the parked waker, which pushes the task back onto a run queue.
//! 6. A worker polls it again; this time the read returns the bytes.
//!
//! ARCHITECTURE.md maps each step to its file; docs/ walks through them chapter by chapter.
//! Run any sprout program with `SPROUT_TRACE=1` to see these steps printed as they happen, and
//! see [`dump`] and [`TaskBuilder`] for the rest of the glass box.
//!
//! ## gevent → sprout
//!
//! | gevent                               | sprout                                   |
//! |--------------------------------------|------------------------------------------|
//! | greenlet                             | task                                     |
//! | the hub (event loop)                 | workers + reactor                        |
//! | `gevent.spawn(f)`                    | [`spawn`]`(fut)` → [`JoinHandle`]        |
//! | `greenlet.get()` / `.kill()`         | `handle.await` / [`JoinHandle::cancel`]  |
//! | `gevent.joinall(gs)`                 | [`join_all`]`(handles)`                  |
//! | `gevent.sleep(s)` / `sleep(0)`       | [`sleep`]`(d)` / [`yield_now`]`()`       |
//! | `gevent.Timeout`                     | [`timeout`]`(d, fut)`                    |
//! | `gevent.event.Event`, `AsyncResult`  | [`sync::Event`], [`sync::oneshot`]       |
//! | `gevent.queue.Queue`                 | [`sync::channel`], [`sync::unbounded`]   |
//! | `gevent.pool.Pool(n)`                | [`sync::Semaphore`]                      |
//! | `gevent.threadpool`                  | [`spawn_blocking`]                       |
//! | `monkey.patch_all()`                 | `use sprout::net::…` instead of `std::net::…`, add `.await` |
//! | `greenlet.name`                      | [`TaskBuilder`]`::new().name(…).spawn(fut)` |
//! | `gevent.util.print_run_info()`       | [`dump`]`()`, or `kill -USR1 <pid>`      |
//! | the monitor thread's `max_blocking_time` | the watchdog (`SPROUT_WATCHDOG_MS`, 500 ms) |

#![deny(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations)]
#![warn(clippy::undocumented_unsafe_blocks)]

pub mod future;
pub mod io;
pub mod net;
pub mod runtime;

/// The README's code, compiled by `cargo test` so it cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("README.md")]
pub struct ReadmeDoctests;

pub use runtime::sync;
#[cfg(feature = "observe")]
pub use runtime::{dump, RuntimeDump};
pub use runtime::{
    interval, join_all, run, sleep, sleep_until, spawn, spawn_blocking, spawn_local, stats,
    timeout, yield_now, Async, Builder, Elapsed, Interval, JoinError, JoinHandle, Runtime,
    RuntimeStats, Sleep, TaskBuilder, TaskId, Timeout,
};
