//! The reactor: the poller (epoll), the table of registered sources, and the timer queue.
//!
//! Where it sits in the flow:
//!
//! ```text
//! spawn → run queue → poll → Pending → [waker parked in reactor] → [epoll event] → [wake] → run queue → poll
//! ```
//!
//! A **source** is one registered file descriptor. Each fd is registered once, edge-triggered,
//! for both directions; the kernel then reports each *change* to readable or writable, and the
//! reactor records it in the source's **readiness** word and wakes the wakers parked for that
//! direction. A task that wants to read tries the read first; only on `WouldBlock` does it clear
//! the readiness and park its waker (`async_io.rs`). So a busy socket costs no epoll syscalls.
//!
//! The readiness word holds two flags (readable, writable) and, above them, a **tick** that
//! counts events. Clearing readiness names the tick it saw: if an event arrived after the failed
//! read, the tick has moved on and the clear is ignored, so that event is not lost (I2).
//!
//! One idle worker at a time *drives* the reactor: it holds the [`Driver`] lock, blocks in
//! `epoll_wait` until an event, a timer deadline or a notify, then dispatches what it got.
//!
//! Invariants:
//! - I1 (the one `unsafe` block): every fd added to the poller is deleted from it before the fd
//!   is closed. `Async<T>` owns its I/O object and calls [`Reactor::deregister`] in `Drop` and in
//!   `into_inner`, before the object (and so the fd) is released.
//! - I2: readiness is cleared only if the tick is the one the clearer observed.
//! - I3: a waker parked for a direction is either woken by the next event in that direction, or
//!   the parker saw the readiness flag set: `poll_ready` re-checks the flag after parking, and
//!   `dispatch` sets the flag before taking the wakers, both under the source's waker lock.
//! - I4: when a timer earlier than the driver's current wake-up time is added, the driver is
//!   notified, so a new short sleep never waits for an older long one.
//! - I5: once the runtime has shut down, nobody drives the reactor any more. `shut_down` sets
//!   `closed`, then wakes every waker parked on a source; `Async` checks `closed` after parking
//!   (`is_closed`), so an operation that would wait forever fails instead — whether it parked
//!   before the sweep (it is woken and checks) or after (the flag is already set).
//!
//! Read next: `async_io.rs` (how `Async<T>` uses a source), `timer.rs`.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use polling::{Event, Events, PollMode, Poller};

use super::dump::{SourceDump, WaitingOn};
use super::lock::lock;
use super::slab::Slab;
use super::task_meta;
use super::timer::{TimerKey, TimerQueue};
use super::trace::{self, human, Tracer, WakeCause};

/// Readiness flag: the fd was readable at the last event.
const READABLE: usize = 1 << 0;
/// Readiness flag: the fd was writable at the last event.
const WRITABLE: usize = 1 << 1;
/// One step of the tick counter that sits above the two flags.
const TICK: usize = 1 << 2;

/// A direction of I/O on a source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    /// Reading, accepting, receiving.
    Read,
    /// Writing, connecting, sending.
    Write,
}

impl Direction {
    /// This direction's flag in the readiness word.
    fn flag(self) -> usize {
        match self {
            Direction::Read => READABLE,
            Direction::Write => WRITABLE,
        }
    }

    /// "readable" or "writable", for trace lines and reports.
    pub(crate) fn adjective(self) -> &'static str {
        match self {
            Direction::Read => "readable",
            Direction::Write => "writable",
        }
    }

    /// This direction's index in [`Source::wakers`].
    fn index(self) -> usize {
        match self {
            Direction::Read => 0,
            Direction::Write => 1,
        }
    }
}

/// One registered file descriptor.
pub(crate) struct Source {
    /// The key the poller reports in events for this fd (its slot in `Reactor::sources`).
    key: usize,
    /// The fd itself, for the trace and the dump.
    fd: RawFd,
    /// Whether the runtime traces: then a poll that parks here notes it (task_meta I3).
    tracing: bool,
    /// Flags and tick (see the module doc). Written by `dispatch` and `clear_readiness`.
    readiness: AtomicUsize,
    /// Wakers parked per direction (`[read, write]`). A `Vec` because two tasks may wait on one
    /// direction (two `readable()` calls); duplicates of the same task are skipped.
    wakers: Mutex<[Vec<Waker>; 2]>,
}

impl Source {
    /// `Ready(tick)` if the source is ready in `direction` (as of event `tick`), else parks the
    /// task's waker and returns `Pending` (I3).
    // ANCHOR: poll_ready
    pub(crate) fn poll_ready(&self, direction: Direction, cx: &mut Context<'_>) -> Poll<usize> {
        let word = self.readiness.load(Ordering::Acquire);
        if word & direction.flag() != 0 {
            return Poll::Ready(word / TICK);
        }
        let mut wakers = lock(&self.wakers);
        let parked = &mut wakers[direction.index()];
        if !parked.iter().any(|w| w.will_wake(cx.waker())) {
            parked.push(cx.waker().clone());
        }
        // Re-check under the lock: an event between the first load and the push set the flag
        // before taking the lock, so we see it here (I3).
        let word = self.readiness.load(Ordering::Acquire);
        if word & direction.flag() != 0 {
            Poll::Ready(word / TICK)
        } else {
            if self.tracing {
                task_meta::note_fd(self.fd, direction);
            }
            Poll::Pending
        }
    }
    // ANCHOR_END: poll_ready

    /// Forgets readiness in `direction`, unless an event arrived since `tick` (I2). Called after
    /// an operation failed with `WouldBlock`.
    pub(crate) fn clear_readiness(&self, direction: Direction, tick: usize) {
        let _ = self
            .readiness
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |word| {
                (word / TICK == tick).then_some(word & !direction.flag())
            });
    }

    /// The registered fd.
    pub(crate) fn fd(&self) -> RawFd {
        self.fd
    }

    /// The current tick (how many events this source has seen).
    pub(crate) fn tick(&self) -> usize {
        self.readiness.load(Ordering::Acquire) / TICK
    }

    /// Records an event and moves the wakers it satisfies into `woken`, readers first. Returns
    /// how many readers it moved.
    // ANCHOR: on_event
    fn on_event(&self, readable: bool, writable: bool, woken: &mut Vec<Waker>) -> usize {
        let flags = (if readable { READABLE } else { 0 }) | (if writable { WRITABLE } else { 0 });
        self.readiness
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |word| {
                Some(word.wrapping_add(TICK) | flags)
            })
            .ok();
        let mut wakers = lock(&self.wakers);
        let readers = if readable {
            let readers = wakers[Direction::Read.index()].len();
            woken.append(&mut wakers[Direction::Read.index()]);
            readers
        } else {
            0
        };
        if writable {
            woken.append(&mut wakers[Direction::Write.index()]);
        }
        readers
    }
    // ANCHOR_END: on_event
}

/// The reactor of one runtime.
pub(crate) struct Reactor {
    /// The OS poller (epoll on Linux).
    poller: Poller,
    /// Registered sources by key. Locked to register, deregister, and look up event keys.
    sources: Mutex<Slab<Arc<Source>>>,
    /// How many sources are registered; read without the lock by `poll_without_blocking`.
    source_count: AtomicUsize,
    /// Held by the worker that drives the reactor; `try_lock` decides who that is.
    driver: Mutex<Driver>,
    /// Pending timers, and when the driver will wake up on its own.
    timers: Mutex<Timers>,
    /// Prints the trace, while tracing is on (trace I1). The whole runtime reaches it here.
    tracer: Option<Tracer>,
    /// Set once, at runtime shutdown (I5).
    closed: AtomicBool,
}

/// What the driving worker needs between a wait and its dispatch.
pub(crate) struct Driver {
    /// The events of the last wait.
    events: Events,
    /// Wakers collected during dispatch, woken after every lock is released.
    woken: Vec<Waker>,
    /// While tracing: runs of `woken` (how many, and why), so each wake-up is traced with its
    /// cause. Empty otherwise.
    causes: Vec<(usize, WakeCause)>,
}

/// The timer queue plus the driver's current wake-up time (for I4).
struct Timers {
    /// Pending timers.
    queue: TimerQueue,
    /// `Some(when)` while a driver is blocked: `Some(None)` means "until an event", and
    /// `Some(Some(t))` means "until `t` at the latest". `None` while nobody is blocked.
    driver_wakes_at: Option<Option<Instant>>,
}

impl Reactor {
    /// A reactor with a fresh poller; it traces through `tracer`, if given.
    pub(crate) fn new(tracer: Option<Tracer>) -> io::Result<Reactor> {
        Ok(Reactor {
            poller: Poller::new()?,
            sources: Mutex::new(Slab::new()),
            source_count: AtomicUsize::new(0),
            driver: Mutex::new(Driver {
                events: Events::new(),
                woken: Vec::new(),
                causes: Vec::new(),
            }),
            timers: Mutex::new(Timers {
                queue: TimerQueue::new(),
                driver_wakes_at: None,
            }),
            tracer,
            closed: AtomicBool::new(false),
        })
    }

    /// The tracer, while tracing is on: `None` is the one cheap check of trace I1.
    pub(crate) fn tracer(&self) -> Option<&Tracer> {
        self.tracer.as_ref()
    }

    /// Registers `fd` for edge-triggered read and write events; it starts out ready in both
    /// directions, so the first operation is simply tried.
    pub(crate) fn register(&self, fd: BorrowedFd<'_>) -> io::Result<Arc<Source>> {
        let mut sources = lock(&self.sources);
        let key = sources.next_key();
        let source = Arc::new(Source {
            key,
            fd: fd.as_raw_fd(),
            tracing: self.tracer.is_some(),
            readiness: AtomicUsize::new(READABLE | WRITABLE),
            wakers: Mutex::new([Vec::new(), Vec::new()]),
        });
        // SAFETY: polling requires that the fd be deleted from the poller before it is closed.
        // The only caller is `Async::new`, which owns the I/O object behind `fd` and calls
        // `deregister` before that object is dropped or handed back (invariant I1).
        #[allow(unsafe_code)]
        unsafe {
            self.poller
                .add_with_mode(fd.as_raw_fd(), Event::all(key), PollMode::Edge)?;
        }
        sources.insert(source.clone());
        self.source_count.store(sources.len(), Ordering::Relaxed);
        Ok(source)
    }

    /// Re-arms `fd` so the kernel re-reports its current state: if it is ready now, an event
    /// follows even though no new edge happened. Used by `Async::readable`/`writable`.
    pub(crate) fn rearm(&self, source: &Source, fd: BorrowedFd<'_>) -> io::Result<()> {
        self.poller
            .modify_with_mode(fd, Event::all(source.key), PollMode::Edge)
    }

    /// Removes `fd` from the poller and forgets its source (I1). Wakes any parked wakers so no
    /// task waits forever on a source that is gone.
    pub(crate) fn deregister(&self, source: &Source, fd: BorrowedFd<'_>) {
        // An error here means the fd was never added or already closed by someone else; either
        // way there is nothing left to undo, and Drop must not panic.
        let _ = self.poller.delete(fd);
        let mut sources = lock(&self.sources);
        sources.remove(source.key);
        self.source_count.store(sources.len(), Ordering::Relaxed);
        drop(sources);
        let parked: Vec<Waker> = lock(&source.wakers)
            .iter_mut()
            .flat_map(std::mem::take)
            .collect();
        parked.into_iter().for_each(Waker::wake);
    }

    /// Marks the reactor closed and wakes every waker parked on a source, at runtime shutdown
    /// (I5): with no worker left to drive it, their I/O would otherwise wait forever.
    pub(crate) fn shut_down(&self) {
        self.closed.store(true, Ordering::SeqCst);
        let sources: Vec<Arc<Source>> = lock(&self.sources).iter().cloned().collect();
        let parked: Vec<Waker> = sources
            .iter()
            .flat_map(|source| {
                let mut wakers = lock(&source.wakers);
                wakers
                    .iter_mut()
                    .flat_map(std::mem::take)
                    .collect::<Vec<_>>()
            })
            .collect();
        parked.into_iter().for_each(Waker::wake);
    }

    /// `true` once the runtime has shut down (I5); read after parking a waker.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// Interrupts the driver's wait (or the next one).
    pub(crate) fn notify(&self) {
        // Fails only if the eventfd is broken, which `Poller::new` would have reported.
        let _ = self.poller.notify();
    }

    /// The driver lock, if no other worker holds it.
    pub(crate) fn try_drive(&self) -> Option<MutexGuard<'_, Driver>> {
        self.driver.try_lock().ok()
    }

    /// Blocks in `epoll_wait` until an event, the earliest timer deadline, or a notify.
    pub(crate) fn wait(&self, driver: &mut Driver) {
        let timeout = {
            let mut timers = lock(&self.timers);
            let deadline = timers.queue.next_deadline();
            timers.driver_wakes_at = Some(deadline);
            deadline.map(|d| d.saturating_duration_since(Instant::now()))
        };
        if let Some(tracer) = &self.tracer {
            match timeout {
                Some(timeout) => tracer.event(format_args!(
                    "parks in epoll_wait for at most {} (the next timer)",
                    human(timeout)
                )),
                None => tracer.event(format_args!("parks in epoll_wait until an event")),
            }
        }
        self.wait_for(driver, timeout);
        lock(&self.timers).driver_wakes_at = None;
        if let Some(tracer) = &self.tracer {
            if driver.events.is_empty() {
                tracer.event(format_args!(
                    "epoll_wait returned no events (a timer is due, or another thread notified)"
                ));
            }
        }
    }

    /// One `epoll_wait` with the given timeout (`None`: until an event or a notify).
    fn wait_for(&self, driver: &mut Driver, timeout: Option<Duration>) {
        driver.events.clear();
        if let Err(error) = self.poller.wait(&mut driver.events, timeout) {
            // polling retries EINTR itself; anything else means the epoll fd is unusable.
            // Reporting and carrying on keeps timers working; panicking would kill a worker.
            eprintln!("sprout: reactor wait failed: {error}");
        }
    }

    /// Wakes the tasks whose sources got events in the last wait, and fires due timers.
    /// Returns how many wakers were woken.
    // ANCHOR: dispatch
    pub(crate) fn dispatch(&self, driver: &mut Driver) -> usize {
        let Driver {
            events,
            woken,
            causes,
        } = driver;
        {
            let sources = lock(&self.sources);
            for event in events.iter() {
                // A stale event for a deregistered key finds an empty slot (or, at worst, a new
                // source reusing the key, which then makes one harmless spurious attempt).
                if let Some(source) = sources.get(event.key) {
                    let before = woken.len();
                    let readers = source.on_event(event.readable, event.writable, woken);
                    if self.tracer.is_some() {
                        let writers = woken.len() - before - readers;
                        causes.push((readers, WakeCause::Fd(source.fd, Direction::Read)));
                        causes.push((writers, WakeCause::Fd(source.fd, Direction::Write)));
                    }
                }
            }
            if let Some(tracer) = &self.tracer {
                trace_events(tracer, events, &sources);
            }
        }
        events.clear();
        let before = woken.len();
        lock(&self.timers).queue.fire_expired(Instant::now(), woken);
        let count = woken.len();
        // Wake after every lock is released: a wake-up pushes onto a run queue and may unpark a
        // worker, which should not happen while we hold the sources lock.
        match &self.tracer {
            None => woken.drain(..).for_each(Waker::wake),
            Some(tracer) => {
                if count > before {
                    tracer.event(format_args!("{} timer(s) fired", count - before));
                    causes.push((count - before, WakeCause::Timer));
                }
                let mut wakers = woken.drain(..);
                for (how_many, cause) in causes.drain(..) {
                    trace::with_cause(cause, || {
                        wakers.by_ref().take(how_many).for_each(Waker::wake);
                    });
                }
            }
        }
        count
    }
    // ANCHOR_END: dispatch

    /// A zero-timeout poll plus timer check, for busy workers (I1 of worker.rs). Skipped if
    /// another worker is driving: it will see the events itself. With no fd registered there is
    /// no I/O to look for, so only the timers are checked: a `polling` wait costs five syscalls
    /// here (it re-arms a timerfd and its notifier), measurable in task-only workloads.
    pub(crate) fn poll_without_blocking(&self) {
        if let Some(mut driver) = self.try_drive() {
            if self.source_count.load(Ordering::Relaxed) > 0 {
                self.wait_for(&mut driver, Some(Duration::ZERO));
            }
            self.dispatch(&mut driver);
        }
    }

    /// Adds a timer; notifies the driver if it would otherwise sleep past `deadline` (I4).
    pub(crate) fn insert_timer(&self, deadline: Instant, waker: Waker) -> TimerKey {
        let mut timers = lock(&self.timers);
        let key = timers.queue.insert(deadline, waker);
        let must_notify = match timers.driver_wakes_at {
            Some(None) => true,
            Some(Some(wakes_at)) => deadline < wakes_at,
            None => false,
        };
        if must_notify {
            timers.driver_wakes_at = Some(Some(deadline));
        }
        drop(timers);
        if must_notify {
            self.notify();
        }
        key
    }

    /// Replaces a pending timer's waker; `false` if it already fired.
    pub(crate) fn update_timer(&self, key: TimerKey, waker: &Waker) -> bool {
        lock(&self.timers).queue.update(key, waker)
    }

    /// Cancels a timer (a `Sleep` was dropped before its deadline).
    pub(crate) fn remove_timer(&self, key: TimerKey) {
        lock(&self.timers).queue.remove(key);
    }

    /// How many timers are pending.
    pub(crate) fn pending_timers(&self) -> usize {
        lock(&self.timers).queue.len()
    }

    /// The dump's view of every registered fd.
    pub(crate) fn source_snapshots(&self) -> Vec<SourceDump> {
        let sources = lock(&self.sources);
        sources
            .iter()
            .map(|source| {
                let word = source.readiness.load(Ordering::Acquire);
                let wakers = lock(&source.wakers);
                SourceDump {
                    fd: source.fd,
                    readable: word & READABLE != 0,
                    writable: word & WRITABLE != 0,
                    waiting_readers: wakers[Direction::Read.index()].len(),
                    waiting_writers: wakers[Direction::Write.index()].len(),
                }
            })
            .collect()
    }

    /// The deadlines of the pending timers, soonest first.
    pub(crate) fn timer_deadlines(&self) -> Vec<Instant> {
        let timers = lock(&self.timers);
        timers.queue.iter().map(|(deadline, _)| deadline).collect()
    }

    /// Who waits here, for the dump: for every waker parked on a source or in the timer queue,
    /// the address it points at (a task's, for a task's waker: see task_meta) and what it waits
    /// for.
    pub(crate) fn parked_waiters(&self, now: Instant) -> Vec<(usize, WaitingOn)> {
        let mut waiters = Vec::new();
        for source in lock(&self.sources).iter() {
            let wakers = lock(&source.wakers);
            for (direction, parked) in [(Direction::Read, 0), (Direction::Write, 1)] {
                for waker in &wakers[parked] {
                    waiters.push((address(waker), WaitingOn::fd(source.fd, direction)));
                }
            }
        }
        for (deadline, waker) in lock(&self.timers).queue.iter() {
            let left = deadline.saturating_duration_since(now);
            waiters.push((address(waker), WaitingOn::Timer(left)));
        }
        waiters
    }

    /// How many fds are registered.
    pub(crate) fn registered_sources(&self) -> usize {
        lock(&self.sources).len()
    }
}

/// The address a waker points at: for a task's waker, the task itself (`Waker::from(Arc<T>)`
/// keeps the `Arc`'s pointer as its data), which is how the dump matches wakers to tasks.
pub(crate) fn address(waker: &Waker) -> usize {
    waker.data() as usize
}

/// Traces what one `epoll_wait` returned: `epoll_wait returned 1 event: fd 9 readable`.
fn trace_events(tracer: &Tracer, events: &Events, sources: &Slab<Arc<Source>>) {
    let described: Vec<String> = events
        .iter()
        .map(|event| {
            let fd = sources
                .get(event.key)
                .map_or_else(|| "a closed fd".to_owned(), |s| format!("fd {}", s.fd));
            let ready = match (event.readable, event.writable) {
                (true, true) => "readable+writable",
                (true, false) => "readable",
                (false, true) => "writable",
                (false, false) => "closed or in error",
            };
            format!("{fd} {ready}")
        })
        .collect();
    if !described.is_empty() {
        let plural = if described.len() == 1 { "" } else { "s" };
        tracer.event(format_args!(
            "epoll_wait returned {} event{plural}: {}",
            described.len(),
            described.join(", ")
        ));
    }
}
