//! What the reactor's dispatch tells the glass box (`hooks.rs`) while someone watches: what
//! `epoll_wait` returned, how many timers fired, and, around each run of wake-ups, why they
//! happen (an fd's readiness, or the timers), so every "woken by" line of the trace names its
//! cause. `Reactor::dispatch` calls these only when it has hooks (hooks I1): one branch each,
//! otherwise.
//!
//! Where it sits in the flow: at "epoll event → wake", only when observed.
//!
//! ```text
//! … → waker parked in reactor → [epoll event: reported] → [wake: cause reported] → run queue → …
//! ```
//!
//! Read next: `runtime/async_io/mod.rs` (how an fd's operation waits in the reactor).

use std::sync::Arc;
use std::task::Waker;

use super::wait::Readiness;
use super::Source;
use crate::runtime::direction::Direction;
use crate::runtime::hooks::{Event, FdEvent, Hooks, WakeCause};
use crate::runtime::slab::Slab;

/// Records why the wakers `source` just moved into `woken` are woken: `readers` for its
/// readability, then `total - readers` for its writability.
pub(super) fn note_causes(
    source: &Source,
    readers: usize,
    total: usize,
    causes: &mut Vec<(usize, WakeCause)>,
) {
    causes.push((readers, WakeCause::Fd(source.fd(), Direction::Read)));
    causes.push((
        total - readers,
        WakeCause::Fd(source.fd(), Direction::Write),
    ));
}

/// Reports what one `epoll_wait` returned, if anything.
pub(super) fn report_events(hooks: &dyn Hooks, events: &[Readiness], sources: &Slab<Arc<Source>>) {
    let described: Vec<FdEvent> = events
        .iter()
        .map(|event| FdEvent {
            fd: sources.get(event.key).map(|source| source.fd()),
            readable: event.readable,
            writable: event.writable,
        })
        .collect();
    if !described.is_empty() {
        hooks.event(Event::ReactorEvents(&described));
    }
}

/// Wakes `woken` run by run, each run between two reports of its cause; the last `timers`
/// wakers are the timers that fired.
pub(super) fn wake_with_causes(
    hooks: &dyn Hooks,
    woken: &mut Vec<Waker>,
    causes: &mut Vec<(usize, WakeCause)>,
    timers: usize,
) {
    if timers > 0 {
        hooks.event(Event::TimersFired(timers));
        causes.push((timers, WakeCause::Timer));
    }
    let mut wakers = woken.drain(..);
    for (how_many, cause) in causes.drain(..) {
        hooks.event(Event::Delivering(Some(cause)));
        wakers.by_ref().take(how_many).for_each(Waker::wake);
        hooks.event(Event::Delivering(None));
    }
}
