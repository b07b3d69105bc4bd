//! [`Semaphore`]: a count of permits that tasks wait for — the basis of a gevent-style `Pool`.
//!
//! Where it sits in the flow:
//!
//! ```text
//! acquire → poll → Pending → [waker parked in the WaitList] → permit dropped → [wake the first waiter] → run queue → poll → Ready(permit)
//! ```
//!
//! Invariants:
//! - I1: the permit count and the wait list sit under one lock.
//! - I2: a permit returned while tasks are parked is handed to the first of them directly: it is
//!   never counted in `permits`, so no newcomer can take it before the notified waiter runs. A
//!   waiter that is notified therefore *owns* a permit, and `permits > 0` implies nobody is
//!   parked. A steady stream of newcomers cannot starve a parked waiter.
//! - I3: a notified waiter that goes away without taking its permit (its `Acquire` was dropped)
//!   returns the permit, which goes to the next waiter or back to the count (I2): nothing leaks.
//!
//! Read next: `runtime/lock.rs` (the leaves everything uses).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use crate::runtime::coop;
use crate::runtime::lock::lock;
use crate::runtime::wait_list::{wake_all, Ticket, WaitList};

/// A counting semaphore.
///
/// ```
/// use std::sync::Arc;
/// use sprout::sync::Semaphore;
///
/// sprout::run(async {
///     // At most two of these ten tasks hold a permit at once: gevent's Pool(2).
///     let pool = Arc::new(Semaphore::new(2));
///     let handles: Vec<_> = (0..10)
///         .map(|i| {
///             let pool = pool.clone();
///             sprout::spawn(async move {
///                 let _permit = pool.acquire().await;
///                 i
///             })
///         })
///         .collect();
///     let total: i32 = sprout::join_all(handles).await.into_iter().map(Result::unwrap).sum();
///     assert_eq!(total, 45);
///     assert_eq!(pool.available_permits(), 2);
/// });
/// ```
pub struct Semaphore {
    /// Permits and waiters (I1).
    state: Mutex<SemaphoreState>,
}

/// What the semaphore's lock guards.
struct SemaphoreState {
    /// Permits free right now and owned by nobody; 0 while anyone is parked (I2).
    permits: usize,
    /// Tasks waiting for a permit.
    waiters: WaitList,
}

impl Semaphore {
    /// A semaphore with `permits` permits.
    ///
    /// ```
    /// let pool = sprout::sync::Semaphore::new(3);
    /// assert_eq!(pool.available_permits(), 3);
    /// ```
    pub fn new(permits: usize) -> Semaphore {
        Semaphore {
            state: Mutex::new(SemaphoreState {
                permits,
                waiters: WaitList::default(),
            }),
        }
    }

    /// Permits free right now. A permit already handed to a woken waiter that has not run yet
    /// is not free: it is that waiter's.
    ///
    /// ```
    /// let pool = sprout::sync::Semaphore::new(1);
    /// let _permit = pool.try_acquire().unwrap();
    /// assert_eq!(pool.available_permits(), 0);
    /// ```
    pub fn available_permits(&self) -> usize {
        lock(&self.state).permits
    }

    /// Adds `count` permits: the longest waiters are handed one each and woken, the rest are free.
    ///
    /// ```
    /// let pool = sprout::sync::Semaphore::new(0);
    /// pool.add_permits(2);
    /// assert_eq!(pool.available_permits(), 2);
    /// ```
    pub fn add_permits(&self, count: usize) {
        let mut state = lock(&self.state);
        // One permit to each parked waiter, first come first served (I2), the rest counted: the
        // work is bounded by the waiters, not by `count`.
        let mut woken: Vec<Waker> = Vec::new();
        while woken.len() < count {
            let Some(waker) = state.waiters.notify_one() else {
                break;
            };
            woken.push(waker);
        }
        let rest = count - woken.len();
        state.permits = state.permits.saturating_add(rest);
        drop(state);
        wake_all(woken);
    }

    /// Waits for a permit; it is returned when the guard drops.
    ///
    /// ```
    /// sprout::run(async {
    ///     let pool = sprout::sync::Semaphore::new(1);
    ///     {
    ///         let _permit = pool.acquire().await;
    ///         assert_eq!(pool.available_permits(), 0);
    ///     } // returned here
    ///     assert_eq!(pool.available_permits(), 1);
    /// });
    /// ```
    pub fn acquire(&self) -> Acquire<'_> {
        Acquire {
            semaphore: self,
            ticket: None,
        }
    }

    /// Takes a permit if one is free and nobody is waiting.
    ///
    /// ```
    /// let pool = sprout::sync::Semaphore::new(1);
    /// let first = pool.try_acquire();
    /// assert!(first.is_some());
    /// assert!(pool.try_acquire().is_none());
    /// ```
    pub fn try_acquire(&self) -> Option<SemaphorePermit<'_>> {
        let mut state = lock(&self.state);
        if state.permits > 0 && state.waiters.is_empty() {
            state.permits -= 1;
            Some(SemaphorePermit { semaphore: self })
        } else {
            None
        }
    }

    /// Waits for a permit that owns a reference to the semaphore, so it can move into a task.
    ///
    /// ```
    /// use std::sync::Arc;
    /// sprout::run(async {
    ///     let pool = Arc::new(sprout::sync::Semaphore::new(1));
    ///     let permit = pool.clone().acquire_owned().await;
    ///     let task = sprout::spawn(async move {
    ///         let _permit = permit; // held by the task, released when it ends
    ///     });
    ///     task.await.unwrap();
    ///     assert_eq!(pool.available_permits(), 1);
    /// });
    /// ```
    pub async fn acquire_owned(self: Arc<Self>) -> OwnedSemaphorePermit {
        self.acquire().await.forget();
        OwnedSemaphorePermit { semaphore: self }
    }

    /// The shared poll of both acquire forms.
    fn poll_acquire(&self, cx: &mut Context<'_>, ticket: &mut Ticket) -> Poll<()> {
        // coop I5: a free permit answers at once. A notified waiter that yields here keeps the
        // permit handed to it (I2) and takes it on its next poll.
        std::task::ready!(coop::poll_proceed(cx));
        let mut state = lock(&self.state);
        if state.waiters.is_notified(ticket) {
            // The permit was handed to us when it was returned (I2): it is ours already.
            state.waiters.cancel(ticket);
            return Poll::Ready(());
        }
        if state.permits > 0 && state.waiters.is_empty() {
            state.permits -= 1;
            return Poll::Ready(());
        }
        state.waiters.park(ticket, cx.waker());
        Poll::Pending
    }

    /// Returns one permit: to the first waiter, whom it wakes, or to the count (I2).
    fn release(&self) {
        let mut state = lock(&self.state);
        let next = state.hand_over();
        drop(state);
        wake_all(next);
    }
}

impl SemaphoreState {
    /// Gives one returned permit away (I2): to the longest waiter, whose waker is returned for
    /// the caller to wake once the lock is released, or, with nobody parked, back to `permits`.
    fn hand_over(&mut self) -> Option<Waker> {
        let next = self.waiters.notify_one();
        if next.is_none() {
            // Saturating: a semaphore made with `usize::MAX` permits keeps that many.
            self.permits = self.permits.saturating_add(1);
        }
        next
    }
}

impl std::fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Semaphore")
            .field("permits", &self.available_permits())
            .finish()
    }
}

/// The future returned by [`Semaphore::acquire`].
///
/// ```
/// sprout::run(async {
///     let pool = sprout::sync::Semaphore::new(1);
///     let acquiring: sprout::sync::Acquire<'_> = pool.acquire();
///     let _permit = acquiring.await;
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
#[derive(Debug)]
pub struct Acquire<'a> {
    /// The semaphore.
    semaphore: &'a Semaphore,
    /// Our place in line.
    ticket: Ticket,
}

impl<'a> Future for Acquire<'a> {
    type Output = SemaphorePermit<'a>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<SemaphorePermit<'a>> {
        let this = &mut *self;
        this.semaphore
            .poll_acquire(cx, &mut this.ticket)
            .map(|()| SemaphorePermit {
                semaphore: this.semaphore,
            })
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        if self.ticket.is_some() {
            let mut state = lock(&self.semaphore.state);
            let next = if state.waiters.cancel(&mut self.ticket) {
                state.hand_over() // I3: we were handed a permit we will never use.
            } else {
                None
            };
            drop(state);
            wake_all(next);
        }
    }
}

/// A permit borrowed from a [`Semaphore`]; returned when dropped.
///
/// ```
/// let pool = sprout::sync::Semaphore::new(1);
/// let permit: sprout::sync::SemaphorePermit<'_> = pool.try_acquire().unwrap();
/// drop(permit);
/// assert_eq!(pool.available_permits(), 1);
/// ```
#[must_use = "the permit is returned as soon as it is dropped"]
#[derive(Debug)]
pub struct SemaphorePermit<'a> {
    /// Where to return it.
    semaphore: &'a Semaphore,
}

impl SemaphorePermit<'_> {
    /// Keeps the permit out of the semaphore for good.
    ///
    /// ```
    /// let pool = sprout::sync::Semaphore::new(1);
    /// pool.try_acquire().unwrap().forget();
    /// assert_eq!(pool.available_permits(), 0);
    /// ```
    pub fn forget(self) {
        std::mem::forget(self);
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        self.semaphore.release();
    }
}

/// A permit that keeps its [`Semaphore`] alive; returned when dropped.
///
/// ```
/// use std::sync::Arc;
/// sprout::run(async {
///     let pool = Arc::new(sprout::sync::Semaphore::new(2));
///     let permit: sprout::sync::OwnedSemaphorePermit = pool.clone().acquire_owned().await;
///     assert_eq!(pool.available_permits(), 1);
///     drop(permit);
///     assert_eq!(pool.available_permits(), 2);
/// });
/// ```
#[must_use = "the permit is returned as soon as it is dropped"]
#[derive(Debug)]
pub struct OwnedSemaphorePermit {
    /// Where to return it.
    semaphore: Arc<Semaphore>,
}

impl Drop for OwnedSemaphorePermit {
    fn drop(&mut self) {
        self.semaphore.release();
    }
}
