//! The runtime dump: [`dump()`] returns a snapshot of everything a runtime holds — every live
//! task with what it waits on, the reactor's registered fds, the pending timers, the blocking
//! pool — and SIGUSR1 prints the same report on stderr (`observe/monitor.rs`).
//!
//! Where it sits: a photograph of the whole flow at one instant. Each task is somewhere on it:
//!
//! ```text
//! spawn → [run queue: scheduled] → [poll: running] → Pending → [waker parked: idle, waiting on …] → epoll event → wake
//! ```
//!
//! Every live task is in the scheduler's registry from spawn to completion (registry I1), so the
//! dump walks the registry shards one lock at a time (`observe/snapshot.rs` takes the picture). A snapshot is not atomic across shards:
//! a task may finish or start while the dump is taken, as in any process listing.
//!
//! Read next: `runtime/observe/snapshot.rs`.

use std::fmt;
use std::os::fd::RawFd;
use std::panic::Location;
use std::time::Duration;

use super::trace::human;
use crate::runtime::direction::Direction;
use crate::runtime::scheduler::context;
use crate::runtime::task::{TaskId, TaskKind, TaskState};

/// One thing a task waits on, as recorded at its last `Pending`.
///
/// ```
/// use sprout::runtime::WaitingOn;
/// let single = sprout::Runtime::builder().workers(1).build()?;
/// single.block_on(async {
///     let (tx, rx) = sprout::sync::oneshot::<()>();
///     let waiter = sprout::spawn(async move { rx.await.ok() });
///     let napper = sprout::spawn(sprout::sleep(std::time::Duration::from_secs(60)));
///     sprout::yield_now().await; // both run once and park their wakers
///     let dump = sprout::dump();
///     let waits = |id| dump.tasks.iter().find(|t| t.id == id).unwrap().waiting_on.clone();
///     assert!(waits(waiter.id()).is_empty(), "a oneshot is not an fd, a timer or a task");
///     assert!(matches!(waits(napper.id())[..], [WaitingOn::Timer(_)]));
///     drop(tx);
///     napper.cancel();
///     waiter.await.unwrap();
/// });
/// # std::io::Result::Ok(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WaitingOn {
    /// The fd to become readable.
    Readable(RawFd),
    /// The fd to become writable.
    Writable(RawFd),
    /// A timer; the time left until it is due when the dump was taken (zero if overdue).
    Timer(Duration),
    /// Another task to finish (its `JoinHandle` is being awaited).
    Task(TaskId),
}

/// One live task in a [`RuntimeDump`].
///
/// ```
/// let single = sprout::Runtime::builder().workers(1).build()?;
/// single.block_on(async {
///     let named = sprout::TaskBuilder::new().name("worker-7").spawn(async {});
///     let dump = sprout::dump(); // one worker, busy here: the task has not run yet
///     let task = dump.tasks.iter().find(|t| t.id == named.id()).unwrap();
///     assert_eq!(task.name.as_deref(), Some("worker-7"));
///     assert_eq!(task.polls, None, "polls are counted only while something watches them");
///     assert_eq!(task.state, sprout::runtime::TaskState::Scheduled);
///     named.await.unwrap();
/// });
/// # std::io::Result::Ok(())
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct TaskDump {
    /// The task's id.
    pub id: TaskId,
    /// Its name, if it was given one.
    pub name: Option<String>,
    /// Where it was spawned.
    pub spawned_at: &'static Location<'static>,
    /// Async, local or blocking.
    pub kind: TaskKind,
    /// Idle, scheduled, running or cancelling.
    pub state: TaskState,
    /// How many times it has been polled; `None` unless something watches the runtime's polls
    /// (tracing or [`Builder::poll_timing`](crate::Builder::poll_timing)): counting costs every
    /// poll, so it is not paid by default.
    pub polls: Option<u64>,
    /// Total time spent inside its polls; `None` unless poll timing is on
    /// ([`Builder::poll_timing`](crate::Builder::poll_timing) or tracing).
    pub busy: Option<Duration>,
    /// Its longest single poll; `None` unless poll timing is on.
    pub longest_poll: Option<Duration>,
    /// What its last `Pending` poll waited on, as far as the runtime can see.
    pub waiting_on: Vec<WaitingOn>,
    /// The task that owns the [`TaskGroup`](crate::runtime::TaskGroup) this task was spawned
    /// into, if known; the report lists such tasks under their owner. Known when the group was
    /// made while the watchdog ran (the default in debug builds): only then do the workers
    /// record which task they poll (`scheduler/activity.rs`).
    pub group_owner: Option<TaskId>,
}

/// One registered fd in a [`RuntimeDump`].
///
/// ```
/// sprout::run(async {
///     let listener = sprout::net::TcpListener::bind("127.0.0.1:0").await?;
///     let dump = sprout::dump();
///     assert!(dump.sources.iter().any(|source| source.fd > 2));
///     drop(listener);
///     std::io::Result::Ok(())
/// }).unwrap();
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SourceDump {
    /// The file descriptor.
    pub fd: RawFd,
    /// Readable as of the last event (or never waited on yet).
    pub readable: bool,
    /// Writable as of the last event (or never waited on yet).
    pub writable: bool,
    /// Wakers parked until it is readable.
    pub waiting_readers: usize,
    /// Wakers parked until it is writable.
    pub waiting_writers: usize,
}

/// A snapshot of a runtime; its `Display` is the report SIGUSR1 prints.
///
/// ```
/// sprout::run(async {
///     let dump = sprout::dump();
///     assert!(dump.workers >= 1);
///     let report = dump.to_string();
///     assert!(report.starts_with("sprout runtime dump"));
/// });
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RuntimeDump {
    /// Time since the runtime started.
    pub uptime: Duration,
    /// Worker threads, counting the `block_on` thread.
    pub workers: usize,
    /// Every live task, by id.
    pub tasks: Vec<TaskDump>,
    /// Every fd registered with the reactor.
    pub sources: Vec<SourceDump>,
    /// The pending timers: time left until each is due (zero if overdue), soonest first.
    pub timers: Vec<Duration>,
    /// Blocking-pool threads running a closure.
    pub blocking_busy: usize,
    /// Blocking-pool threads waiting for work.
    pub blocking_idle: usize,
    /// Blocking closures queued for a thread.
    pub blocking_queued: usize,
}

/// A snapshot of the runtime this code runs on (see [`RuntimeDump`]).
///
/// # Panics
/// When called outside a sprout runtime; use [`Runtime::dump`](crate::Runtime::dump) from
/// outside.
///
/// ```
/// use std::time::Duration;
/// let single = sprout::Runtime::builder().workers(1).build()?;
/// single.block_on(async {
///     let nap = sprout::TaskBuilder::new()
///         .name("nap")
///         .spawn(sprout::sleep(Duration::from_secs(60)));
///     sprout::yield_now().await; // the task runs once and registers its timer
///     println!("{}", sprout::dump()); // the same report as `kill -USR1 <pid>`
///     assert_eq!(sprout::dump().timers.len(), 1);
///     nap.cancel();
/// });
/// # std::io::Result::Ok(())
/// ```
#[track_caller]
pub fn dump() -> RuntimeDump {
    RuntimeDump::take(&context::expect_scheduler("sprout::dump"))
}

impl WaitingOn {
    /// The public form of a recorded fd wait.
    pub(crate) fn fd(fd: RawFd, direction: Direction) -> WaitingOn {
        match direction {
            Direction::Read => WaitingOn::Readable(fd),
            Direction::Write => WaitingOn::Writable(fd),
        }
    }
}

impl fmt::Display for WaitingOn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WaitingOn::Readable(fd) => write!(f, "fd {fd} readable"),
            WaitingOn::Writable(fd) => write!(f, "fd {fd} writable"),
            WaitingOn::Timer(left) if left.is_zero() => write!(f, "a timer that is due"),
            WaitingOn::Timer(left) => write!(f, "a timer due in {}", human(*left)),
            WaitingOn::Task(id) => write!(f, "task {id}"),
        }
    }
}

impl fmt::Display for TaskDump {
    /// One line, such as
    /// `task 5 "name"  idle  polls 3  busy 12 µs (longest 8 µs)  waits on fd 9 readable`
    /// followed by `  spawned at src/main.rs:10:5`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "task {}", self.id)?;
        if let Some(name) = &self.name {
            write!(f, " {name:?}")?;
        }
        match self.kind {
            TaskKind::Async => {}
            TaskKind::Local => write!(f, " (local)")?,
            TaskKind::Blocking => write!(f, " (spawn_blocking)")?,
        }
        let state = match self.state {
            TaskState::Idle => "idle",
            TaskState::Scheduled => "scheduled",
            TaskState::Running => "running",
            TaskState::Cancelling => "cancelling",
        };
        write!(f, "  {state}")?;
        if let Some(polls) = self.polls {
            write!(f, "  polls {polls}")?;
        }
        if let (Some(busy), Some(longest)) = (self.busy, self.longest_poll) {
            write!(f, "  busy {} (longest {})", human(busy), human(longest))?;
        }
        if self.state == TaskState::Idle {
            if self.waiting_on.is_empty() {
                write!(f, "  waits on something the runtime cannot see")?;
            } else {
                let waits: Vec<String> = self.waiting_on.iter().map(|w| w.to_string()).collect();
                write!(f, "  waits on {}", waits.join(" and "))?;
            }
        }
        write!(f, "  spawned at {}", self.spawned_at)
    }
}

impl fmt::Display for RuntimeDump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "sprout runtime dump at {:.3} s: {} worker(s), {} live task(s)",
            self.uptime.as_secs_f64(),
            self.workers,
            self.tasks.len()
        )?;
        // Tasks of a `TaskGroup` are listed under the task that owns the group; the others (and
        // members whose owner is not listed, such as the `block_on` future) at the top level.
        let listed_owner = |task: &TaskDump| {
            task.group_owner
                .filter(|owner| self.tasks.iter().any(|other| other.id == *owner))
        };
        for task in self
            .tasks
            .iter()
            .filter(|task| listed_owner(task).is_none())
        {
            match task.group_owner {
                Some(owner) if owner == TaskId::MAIN => {
                    writeln!(f, "  {task}  (in a group of the block_on future)")?
                }
                Some(owner) => writeln!(f, "  {task}  (in a group of task {owner})")?,
                None => writeln!(f, "  {task}")?,
            }
            for member in self
                .tasks
                .iter()
                .filter(|m| listed_owner(m) == Some(task.id))
            {
                writeln!(f, "      in its group: {member}")?;
            }
        }
        writeln!(f, "reactor: {} registered fds", self.sources.len())?;
        for source in &self.sources {
            let ready = match (source.readable, source.writable) {
                (true, true) => "readable+writable",
                (true, false) => "readable",
                (false, true) => "writable",
                (false, false) => "not ready",
            };
            writeln!(
                f,
                "  fd {}  {ready}  {} waiting to read, {} waiting to write",
                source.fd, source.waiting_readers, source.waiting_writers
            )?;
        }
        write!(f, "timers: {} pending", self.timers.len())?;
        if let Some(next) = self.timers.first() {
            write!(f, ", next due in {}", human(*next))?;
        }
        writeln!(f)?;
        writeln!(
            f,
            "blocking pool: {} busy, {} idle, {} queued",
            self.blocking_busy, self.blocking_idle, self.blocking_queued
        )
    }
}
