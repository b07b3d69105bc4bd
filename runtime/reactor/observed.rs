//! The reactor's dispatch while someone watches (`hooks.rs`): the same steps as
//! `Reactor::dispatch`, plus the events of the trace — what `epoll_wait` returned, how many
//! timers fired, and, around each run of wake-ups, why they happen (an fd's readiness, or the
//! timers), so every "woken by" line names its cause.
//!
//! Where it sits in the flow: at "epoll event → wake", only when observed. Kept apart so that
//! `Reactor::dispatch`, which a learner reads, is the plain path (hooks I1).
//!
//! ```text
//! … → waker parked in reactor → [epoll event: reported] → [wake: cause reported] → run queue → …
//! ```
//!
//! Read next: `runtime/async_io/mod.rs` (how an fd's operation waits in the reactor).

use std::sync::Arc;
use std::task::Waker;
use std::time::Instant;

use super::wait::Readiness;
use super::{Driver, Reactor, Source};
use crate::runtime::direction::Direction;
use crate::runtime::hooks::{Event, FdEvent, Hooks, WakeCause};
use crate::runtime::lock::lock;
use crate::runtime::slab::Slab;

impl Reactor {
    /// [`Reactor::dispatch`], reporting each step to `hooks`.
    pub(super) fn dispatch_observed(&self, driver: &mut Driver, hooks: &dyn Hooks) -> usize {
        let Driver {
            events,
            woken,
            causes,
            ..
        } = driver;
        {
            let sources = lock(&self.sources);
            for event in events.iter() {
                if let Some(source) = sources.get(event.key) {
                    let before = woken.len();
                    let readers = source.on_event(event, woken);
                    let writers = woken.len() - before - readers;
                    causes.push((readers, WakeCause::Fd(source.fd(), Direction::Read)));
                    causes.push((writers, WakeCause::Fd(source.fd(), Direction::Write)));
                }
            }
            report_events(hooks, events, &sources);
        }
        events.clear();
        let before = woken.len();
        lock(&self.timers).queue.fire_expired(Instant::now(), woken);
        let count = woken.len();
        if count > before {
            hooks.event(Event::TimersFired(count - before));
            causes.push((count - before, WakeCause::Timer));
        }
        let mut wakers = woken.drain(..);
        for (how_many, cause) in causes.drain(..) {
            hooks.event(Event::Delivering(Some(cause)));
            wakers.by_ref().take(how_many).for_each(Waker::wake);
            hooks.event(Event::Delivering(None));
        }
        count
    }
}

/// Reports what one `epoll_wait` returned, if anything.
fn report_events(hooks: &dyn Hooks, events: &[Readiness], sources: &Slab<Arc<Source>>) {
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
