//! `sprout::future`: waiting on several futures at once — futures-lite's combinators,
//! re-exported so they need no second dependency.
//!
//! Where it sits in the flow: inside one task's poll. A combinator polls each of its futures
//! in turn; each parks its waker (the same task's) wherever it waits, so whichever becomes
//! ready first wakes the task:
//!
//! ```text
//! poll(race(a, b)) → poll a: Pending (waker parked) → poll b: Pending (waker parked) → … → event for b → wake → poll → b Ready
//! ```
//!
//! | want                                   | use                          | tokio / futures      |
//! |----------------------------------------|------------------------------|----------------------|
//! | the first of two, either may win        | [`race`] (random start)      | `select!`            |
//! | the first of two, the left preferred    | [`or`]                       | `biased; select!`    |
//! | both outputs                            | [`zip`]                      | `join!`              |
//! | both outputs, stop at the first error   | [`try_zip`]                  | `try_join!`          |
//! | a deadline                              | [`crate::timeout`]           | `tokio::time::timeout` |
//!
//! `select!` with several arms of different types is a macro that the futures crate provides;
//! the two-future forms here cover most uses without a macro: give both futures the same
//! output type (an `enum` of the cases) and `race` them.
//!
//! ```
//! use std::time::Duration;
//! use sprout::future::race;
//! enum Event { Line(String), Tick }
//! sprout::run(async {
//!     let (tx, rx) = sprout::sync::unbounded();
//!     tx.send("hello".to_string()).await.unwrap();
//!     let line = async { Event::Line(rx.recv().await.unwrap()) };
//!     let tick = async {
//!         sprout::sleep(Duration::from_secs(1)).await;
//!         Event::Tick
//!     };
//!     match race(line, tick).await {
//!         Event::Line(text) => assert_eq!(text, "hello"),
//!         Event::Tick => unreachable!("a line was waiting"),
//!     }
//! });
//! ```
//!
//! Read next: `examples/echo.rs` (the headline user of all of it).

pub use futures_lite::future::{or, pending, poll_fn, race, ready, try_zip, zip, FutureExt};

/// Streams — futures that yield many values (a `Receiver`, `Lines`, an `Interval`) — and their
/// combinators (`next`, `map`, `filter`, …), from futures-lite.
///
/// ```
/// use sprout::future::StreamExt;
/// sprout::run(async {
///     let (tx, rx) = sprout::sync::unbounded();
///     tx.send(2).await.unwrap();
///     drop(tx);
///     let doubled: Vec<i32> = rx.map(|n| n * 2).collect().await;
///     assert_eq!(doubled, [4]);
/// });
/// ```
pub use futures_lite::stream::{Stream, StreamExt};
