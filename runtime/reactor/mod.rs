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
//! the readiness and park its waker (`async_io/mod.rs`). So a busy socket costs no epoll syscalls.
//!
//! The readiness word and the wakers of one source live in `reactor/source.rs`; the timer queue
//! in `reactor/timer_queue.rs`.
//!
//! One idle worker at a time *drives* the reactor: it holds the [`Driver`] lock, blocks in
//! `epoll_wait` until an event, a timer deadline or a notify, then dispatches what it got.
//!
//! Invariants:
//! - I1 (the registration's `unsafe`, here or in `wait::epoll_ctl`): every fd added to the
//!   poller is deleted from it before the fd is closed. `Async<T>` owns its I/O object and calls
//!   [`Reactor::deregister`] in `Drop` and in `into_inner`, before the object (and so the fd) is
//!   released.
//! - I2: readiness is cleared only if the tick is the one the clearer observed.
//! - I3: a waker parked for a direction is either woken by the next event in that direction, or
//!   the parker saw the readiness flag set: `poll_ready` re-checks the flag after parking, and
//!   `dispatch` sets the flag before taking the wakers, both under the source's waker lock.
//! - I4: when a timer earlier than the driver's current wake-up time is added, the driver is
//!   notified, so a new short sleep never waits for an older long one.
//! - I6: a waiting future that is dropped takes its waker out of the source (its ticket,
//!   `wait_list.rs`), so waits abandoned by a `timeout` or a `select` leave nothing behind on
//!   an fd that sees no event. Only the poll API (`Async::poll_read_with` and the like), whose
//!   caller has no future to drop, parks untracked: once per task, until the next event.
//! - I5: once the runtime has shut down, nobody drives the reactor any more. `shut_down` sets
//!   `closed`, then wakes every waker parked on a source; `Async` checks `closed` after parking
//!   (`is_closed`), so an operation that would wait forever fails instead — whether it parked
//!   before the sweep (it is woken and checks) or after (the flag is already set).
//!
//! Read next: `runtime/reactor/wait.rs`.

mod notifier;
mod observed;
mod source;
mod timer_queue;
mod wait;

pub(crate) use source::{Source, Wait};
pub(crate) use timer_queue::TimerKey;
pub(crate) use wait::WaitMode;

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::Waker;
use std::time::{Duration, Instant};

use polling::{Event as PollEvent, PollMode, Poller};

use crate::runtime::hooks::{self, Event, MaybeHooks, WakeCause};
use crate::runtime::lock::lock;
use crate::runtime::slab::Slab;
use notifier::Notifier;
use timer_queue::TimerQueue;
use wait::{Readiness, Waiter};

/// The reactor of one runtime.
pub(crate) struct Reactor {
    /// The OS poller (epoll on Linux).
    poller: Poller,
    /// Raw epoll calls or `polling`'s portable ones (`wait.rs`), chosen when built.
    mode: WaitMode,
    /// What interrupts the driver's wait (`wait.rs`, wait I1). Declared after `poller`, so
    /// dropped after it: the epoll fd closes before the socket registered in it (I1).
    notifier: Notifier,
    /// Registered sources by key. Locked to register, deregister, and look up event keys.
    sources: Mutex<Slab<Arc<Source>>>,
    /// How many sources are registered; read without the lock by `poll_without_blocking`.
    source_count: AtomicUsize,
    /// Held by the worker that drives the reactor; `try_lock` decides who that is.
    driver: Mutex<Driver>,
    /// Pending timers, and when the driver will wake up on its own.
    timers: Mutex<Timers>,
    /// Whoever watches the runtime (hooks I1). The whole runtime reaches the hooks here.
    hooks: MaybeHooks,
    /// Set once, at runtime shutdown (I5).
    closed: AtomicBool,
}

/// What the driving worker needs between a wait and its dispatch.
pub(crate) struct Driver {
    /// The events of the last wait.
    events: Vec<Readiness>,
    /// The buffers `epoll_wait` fills (`reactor/wait.rs`).
    waiter: Waiter,
    /// Wakers collected during dispatch, woken after every lock is released.
    woken: Vec<Waker>,
    /// While observed: runs of `woken` (how many, and why), so each wake-up is reported with
    /// its cause (`reactor/observed.rs`). Empty otherwise.
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
    /// A reactor with a fresh poller, registering and waiting in `mode`; it reports to
    /// `hooks`, if given.
    pub(crate) fn new(hooks: MaybeHooks, mode: WaitMode) -> io::Result<Reactor> {
        let poller = Poller::new()?;
        let notifier = Notifier::new(mode == WaitMode::Raw)?;
        #[cfg(any(target_os = "linux", target_os = "android"))]
        if let Some(fd) = notifier.fd() {
            wait::register_notifier(&poller, fd)?;
        }
        Ok(Reactor {
            notifier,
            poller,
            mode,
            sources: Mutex::new(Slab::new()),
            source_count: AtomicUsize::new(0),
            driver: Mutex::new(Driver {
                events: Vec::new(),
                waiter: Waiter::new(mode),
                woken: Vec::new(),
                causes: Vec::new(),
            }),
            timers: Mutex::new(Timers {
                queue: TimerQueue::new(),
                driver_wakes_at: None,
            }),
            hooks,
            closed: AtomicBool::new(false),
        })
    }

    /// How this reactor registers and waits: raw epoll calls or `polling`'s portable ones.
    pub(crate) fn mode(&self) -> WaitMode {
        self.mode
    }

    /// `true` where events report the peer's FIN as "read closed" (the raw mode), so a short
    /// read may count as "drained" (async_io I4).
    pub(crate) fn reports_read_closed(&self) -> bool {
        self.mode.reports_read_closed()
    }

    /// The hooks: `None` is the one cheap check of hooks I1.
    pub(crate) fn hooks(&self) -> &MaybeHooks {
        &self.hooks
    }

    /// Reports `event` to the hooks, if any (hooks I1).
    #[inline]
    pub(crate) fn report<'a>(&self, event: impl FnOnce() -> Event<'a>) {
        hooks::report(&self.hooks, event);
    }

    /// Registers `fd` for edge-triggered read and write events; it starts out ready in both
    /// directions, so the first operation is simply tried.
    pub(crate) fn register(&self, fd: BorrowedFd<'_>) -> io::Result<Arc<Source>> {
        let mut sources = lock(&self.sources);
        let key = sources.next_key();
        let source = Arc::new(Source::new(key, fd.as_raw_fd(), self.hooks.clone()));
        match self.mode {
            // The raw registration asks for EPOLLRDHUP too, which `polling` cannot (wait I3).
            #[cfg(any(target_os = "linux", target_os = "android"))]
            WaitMode::Raw => wait::epoll_ctl(&self.poller, fd.as_raw_fd(), key, false)?,
            // SAFETY: polling requires that the fd be deleted from the poller before it is
            // closed. The only caller is `Async::new`, which owns the I/O object behind `fd`
            // and calls `deregister` before that object is dropped or handed back (I1).
            #[allow(unsafe_code)]
            _ => unsafe {
                self.poller
                    .add_with_mode(fd.as_raw_fd(), PollEvent::all(key), PollMode::Edge)?;
            },
        }
        sources.insert(source.clone());
        self.source_count.store(sources.len(), Ordering::Relaxed);
        Ok(source)
    }

    /// Re-arms `fd` so the kernel re-reports its current state: if it is ready now, an event
    /// follows even though no new edge happened. Used by `Async::readable`/`writable`.
    pub(crate) fn rearm(&self, source: &Source, fd: BorrowedFd<'_>) -> io::Result<()> {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        if self.mode == WaitMode::Raw {
            return wait::epoll_ctl(&self.poller, fd.as_raw_fd(), source.key, true);
        }
        self.poller
            .modify_with_mode(fd, PollEvent::all(source.key), PollMode::Edge)
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
        source.take_all_wakers().into_iter().for_each(Waker::wake);
    }

    /// Marks the reactor closed and wakes every waker parked on a source, at runtime shutdown
    /// (I5): with no worker left to drive it, their I/O would otherwise wait forever.
    pub(crate) fn shut_down(&self) {
        self.closed.store(true, Ordering::SeqCst);
        let sources: Vec<Arc<Source>> = lock(&self.sources).iter().cloned().collect();
        let parked: Vec<Waker> = sources.iter().flat_map(|s| s.take_all_wakers()).collect();
        parked.into_iter().for_each(Waker::wake);
    }

    /// `true` once the runtime has shut down (I5); read after parking a waker.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// Interrupts the driver's wait (or the next one).
    pub(crate) fn notify(&self) {
        // Fails only if the notifier's socket is broken, which `Reactor::new` would have
        // reported; a full socket already holds a wake-up.
        let _ = self.notifier.notify(&self.poller);
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
        self.report(|| Event::ReactorParks { timeout });
        self.wait_for(driver, timeout);
        lock(&self.timers).driver_wakes_at = None;
        if driver.events.is_empty() {
            self.report(|| Event::ReactorReturnedNothing);
        }
    }

    /// One `epoll_wait` with the given timeout (`None`: until an event or a notify).
    fn wait_for(&self, driver: &mut Driver, timeout: Option<Duration>) {
        driver.events.clear();
        if let Err(error) = driver.waiter.wait(
            self.mode,
            &self.poller,
            &self.notifier,
            timeout,
            &mut driver.events,
        ) {
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
            ..
        } = driver;
        let hooks = self.hooks.as_deref();
        {
            let sources = lock(&self.sources);
            for event in events.iter() {
                // A stale event for a deregistered key finds an empty slot (or, at worst, a new
                // source reusing the key, which then makes one harmless spurious attempt).
                if let Some(source) = sources.get(event.key) {
                    let before = woken.len();
                    let readers = source.on_event(event, woken);
                    if hooks.is_some() {
                        observed::note_causes(source, readers, woken.len() - before, causes);
                    }
                }
            }
            if let Some(hooks) = hooks {
                observed::report_events(hooks, events, &sources);
            }
        }
        events.clear();
        let before = woken.len();
        lock(&self.timers).queue.fire_expired(Instant::now(), woken);
        let count = woken.len();
        // Wake after every lock is released: a wake-up pushes onto a run queue and may unpark a
        // worker, which should not happen while we hold the sources lock.
        match hooks {
            None => woken.drain(..).for_each(Waker::wake),
            Some(hooks) => observed::wake_with_causes(hooks, woken, causes, count - before),
        }
        count
    }
    // ANCHOR_END: dispatch

    /// A zero-timeout poll plus timer check, for busy workers (worker I1). Skipped if
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

    /// Every registered source (a snapshot of the table), for the dump.
    pub(crate) fn sources(&self) -> Vec<Arc<Source>> {
        lock(&self.sources).iter().cloned().collect()
    }

    /// The pending timers, soonest first: each deadline with a copy of its waker.
    pub(crate) fn timers(&self) -> Vec<(Instant, Waker)> {
        let timers = lock(&self.timers);
        timers
            .queue
            .iter()
            .map(|(deadline, waker)| (deadline, waker.clone()))
            .collect()
    }

    /// How many fds are registered.
    pub(crate) fn registered_sources(&self) -> usize {
        lock(&self.sources).len()
    }
}
