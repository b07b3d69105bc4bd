//! The joiner's waker: the one slot in a task's header where the `JoinHandle` leaves the waker
//! that completion wakes, locked by one bit of the state word instead of a `Mutex`.
//!
//! Where it sits in the flow: at the end of a task's life, where its output goes to whoever
//! awaits it.
//!
//! ```text
//! … → poll → Ready → [complete: take the joiner's waker, wake it] → the joiner's run queue → poll
//! ```
//!
//! Three parties touch the slot, each for a few instructions: the `JoinHandle` stores its waker
//! (`register_joiner`), the worker that completes the task takes it (`Header::complete`), and
//! the dump reads where it points (`joiner_address`), possibly from another thread. A `Mutex`
//! would do, but its lock word and poison flag would take 8 bytes of every task, enough to move
//! a pending task into a larger malloc chunk (chapter 12, "What each structure buys"). The
//! state word has spare bits, so one of them, `JOINER_LOCKED`, is the lock:
//!
//! - joiner I1: the slot is read or written only by a thread that moved `JOINER_LOCKED` from
//!   clear to set (a `fetch_or` that saw it clear), until it clears it again; acquire on
//!   taking, release on letting go, so each holder sees what the previous one wrote.
//! - joiner I2: under the lock runs no code but moving, comparing and cloning a waker, so a
//!   holder lets go within a few instructions, and a thread that finds the bit set spins briefly
//!   rather than sleeping. Waking and dropping wakers happen after the lock is let go.
//!
//! The slot is an `UnsafeCell`, so reaching it is `unsafe` (the deref in [`JoinerGuard`]) and
//! the header needs an `unsafe impl Sync`: this file's two `unsafe` items, both resting on I1.
//! `tests/loom/task_model.rs` builds this file on loom's `UnsafeCell`, which reports two threads in
//! the slot without an ordering between them: `a_joiner_on_another_thread_gets_the_output` and
//! `the_joiner_slot_is_held_by_one_thread_at_a_time` there both fail that way ("currently
//! writing to cell") if `joiner` takes the bit without looking whether it was set.
//!
//! Read next: `runtime/task/local.rs`.

use std::task::Waker;

use super::{
    address, start_access, Access, Header, Ordering, UnsafeCell, JOINER_LOCKED, JOIN_WAKER,
};

/// Where the joiner's waker lies, inside the [`Header`]. Reached only through
/// [`Header::joiner`] (joiner I1).
pub(super) struct JoinerSlot {
    waker: UnsafeCell<Option<Waker>>,
}

impl JoinerSlot {
    /// An empty slot, for a new task.
    pub(super) fn new() -> JoinerSlot {
        JoinerSlot {
            waker: UnsafeCell::new(None),
        }
    }
}

// The header (and with it the slot) is shared by the worker, the joiner and the dump.
#[allow(unsafe_code)]
// SAFETY: the slot's `UnsafeCell` is the header's one field that is not `Sync` by itself, and
// joiner I1 gives it to one thread at a time, as a `Mutex` would; a `Waker` is `Send`.
unsafe impl Sync for Header {}

/// The joiner's slot, held by this thread until the guard drops (joiner I1).
pub(super) struct JoinerGuard<'a> {
    header: &'a Header,
    waker: &'a mut Option<Waker>,
    _access: Access<Option<Waker>>,
}

impl Drop for JoinerGuard<'_> {
    fn drop(&mut self) {
        self.header
            .state
            .fetch_and(!JOINER_LOCKED, Ordering::Release);
    }
}

impl std::ops::Deref for JoinerGuard<'_> {
    type Target = Option<Waker>;
    fn deref(&self) -> &Option<Waker> {
        self.waker
    }
}

impl std::ops::DerefMut for JoinerGuard<'_> {
    fn deref_mut(&mut self) -> &mut Option<Waker> {
        self.waker
    }
}

impl Header {
    /// Takes the joiner lock (joiner I1), spinning while another thread holds it: never for
    /// long, by joiner I2.
    pub(super) fn joiner(&self) -> JoinerGuard<'_> {
        while self.state.fetch_or(JOINER_LOCKED, Ordering::Acquire) & JOINER_LOCKED != 0 {
            // Wait with plain loads, not more writes to the line the holder must write to let go.
            let mut turns = 0;
            while self.state.load(Ordering::Relaxed) & JOINER_LOCKED != 0 {
                spin(&mut turns);
            }
        }
        let (raw, access) = start_access(&self.join_waker.waker);
        #[allow(unsafe_code)]
        // SAFETY: joiner I1: this thread just set `JOINER_LOCKED` where it was clear, so no
        // other thread holds the slot until the guard's drop clears it; the borrow lives no
        // longer than the guard.
        let waker = unsafe { &mut *raw };
        JoinerGuard {
            header: self,
            waker,
            _access: access,
        }
    }

    /// The address the joiner's waker points at (the joining task, if a task joins), for the
    /// dump.
    pub(crate) fn joiner_address(&self) -> Option<usize> {
        if self.state.load(Ordering::Acquire) & JOIN_WAKER == 0 {
            return None;
        }
        self.joiner().as_ref().map(address)
    }

    /// Stores the joiner's waker, then raises `JOIN_WAKER`. The caller re-checks
    /// [`is_complete`](Self::is_complete) after this: `complete` sets `COMPLETE` and reads
    /// `JOIN_WAKER` in one atomic step, so either it sees the flag (and takes the waker under the
    /// lock) or the re-check sees `COMPLETE`.
    pub(crate) fn register_joiner(&self, waker: &Waker) {
        let mut slot = self.joiner();
        let replaced = match slot.as_ref() {
            Some(existing) if existing.will_wake(waker) => None,
            _ => slot.replace(waker.clone()),
        };
        drop(slot);
        // Only this method sets the flag and nothing clears it, so once set it stays.
        if self.state.load(Ordering::Relaxed) & JOIN_WAKER == 0 {
            self.state.fetch_or(JOIN_WAKER, Ordering::AcqRel);
        }
        drop(replaced); // A waker's destructor may run any code: not under the lock (I2).
    }
}

/// One turn of waiting for the joiner lock: a CPU hint for the first turns; then, in case the
/// holder's thread lost its CPU mid-way, a yield so it can run. Under loom, always a yield:
/// the model checker must see a spinning thread give way.
fn spin(turns: &mut u32) {
    #[cfg(not(loom))]
    if *turns < 64 {
        *turns += 1;
        std::hint::spin_loop();
    } else {
        std::thread::yield_now();
    }
    #[cfg(loom)]
    {
        let _ = turns;
        loom::thread::yield_now();
    }
}
