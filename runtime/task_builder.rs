//! [`TaskBuilder`]: spawn a task with a name, so the trace, the dump, the watchdog and the
//! shutdown report can say which task they mean.
//!
//! Where it sits in the flow: at the very start, a variant of `spawn`:
//!
//! ```text
//! [TaskBuilder::name(..).spawn] → run queue → poll → Pending → waker parked in reactor → …
//! ```
//!
//! A name costs one small allocation per task; unnamed tasks (plain `spawn`) cost nothing
//! extra. Either way the spawn site is recorded through `#[track_caller]`, which is free: the
//! compiler passes a pointer to a static `Location`.
//!
//! Read next: `runtime/task_group.rs`.

use std::future::Future;
use std::panic::Location;

use super::runtime::Runtime;
use super::scheduler::blocking::spawn_blocking_named;
use super::scheduler::context;
use super::scheduler::spawn::{spawn_local_named, spawn_on};
use super::task::JoinHandle;

/// Spawns tasks with a name (gevent's `greenlet.name`).
///
/// ```
/// sprout::run(async {
///     let handle = sprout::TaskBuilder::new()
///         .name("greeter")
///         .spawn(async { "hello" });
///     assert_eq!(handle.await.unwrap(), "hello");
/// });
/// ```
#[derive(Debug, Clone, Default)]
pub struct TaskBuilder {
    /// The name the next spawned task gets.
    name: Option<Box<str>>,
}

impl TaskBuilder {
    /// A builder for an unnamed task.
    ///
    /// ```
    /// sprout::run(async {
    ///     let handle = sprout::TaskBuilder::new().spawn(async { 1 });
    ///     assert_eq!(handle.await.unwrap(), 1);
    /// });
    /// ```
    pub fn new() -> TaskBuilder {
        TaskBuilder::default()
    }

    /// Names the task; the name appears in the trace, [`dump`](crate::dump), watchdog reports
    /// and the shutdown report.
    ///
    /// ```
    /// sprout::run(async {
    ///     let handle = sprout::TaskBuilder::new()
    ///         .name("ticker")
    ///         .spawn(std::future::pending::<()>());
    ///     let dump = sprout::dump();
    ///     assert!(dump.tasks.iter().any(|t| t.name.as_deref() == Some("ticker")));
    ///     handle.cancel();
    /// });
    /// ```
    pub fn name(mut self, name: impl Into<String>) -> TaskBuilder {
        self.name = Some(name.into().into_boxed_str());
        self
    }

    /// Spawns `future` like [`spawn`](crate::spawn).
    ///
    /// # Panics
    /// When called outside a sprout runtime.
    ///
    /// ```
    /// sprout::run(async {
    ///     let handle = sprout::TaskBuilder::new().name("adder").spawn(async { 2 + 2 });
    ///     assert_eq!(handle.await.unwrap(), 4);
    /// });
    /// ```
    #[track_caller]
    pub fn spawn<F>(self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let shared = context::expect_scheduler("sprout::TaskBuilder::spawn");
        spawn_on(&shared, self.name, Location::caller(), None, future)
    }

    /// Spawns `future` on `runtime` from any thread, like [`Runtime::spawn`], with this
    /// builder's name.
    ///
    /// ```
    /// let runtime = sprout::Runtime::builder().workers(2).build()?;
    /// let handle = sprout::TaskBuilder::new().name("from outside").spawn_on(&runtime, async { 3 });
    /// assert_eq!(runtime.block_on(handle).unwrap(), 3);
    /// # std::io::Result::Ok(())
    /// ```
    #[track_caller]
    pub fn spawn_on<F>(self, runtime: &Runtime, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        spawn_on(&runtime.shared, self.name, Location::caller(), None, future)
    }

    /// Spawns `future` like [`spawn_local`](crate::spawn_local): it stays on this worker.
    ///
    /// # Panics
    /// When not called on a worker thread of a sprout runtime.
    ///
    /// ```
    /// use std::rc::Rc;
    /// sprout::run(async {
    ///     let local = Rc::new(3);
    ///     let handle = sprout::TaskBuilder::new()
    ///         .name("local")
    ///         .spawn_local(async move { *local });
    ///     assert_eq!(handle.await.unwrap(), 3);
    /// });
    /// ```
    #[track_caller]
    pub fn spawn_local<F>(self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: Send + 'static,
    {
        spawn_local_named(self.name, Location::caller(), future)
    }

    /// Runs `f` on the blocking pool like [`spawn_blocking`](crate::spawn_blocking).
    ///
    /// # Panics
    /// When called outside a sprout runtime.
    ///
    /// ```
    /// sprout::run(async {
    ///     let handle = sprout::TaskBuilder::new()
    ///         .name("read Cargo.toml")
    ///         .spawn_blocking(|| std::fs::read("Cargo.toml").map(|bytes| bytes.len()));
    ///     assert!(handle.await.unwrap().unwrap() > 0);
    /// });
    /// ```
    #[track_caller]
    pub fn spawn_blocking<F, R>(self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        spawn_blocking_named(self.name, Location::caller(), f)
    }
}
