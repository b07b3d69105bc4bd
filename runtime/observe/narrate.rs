//! The trace line of each event: what `SPROUT_TRACE=1` prints when the engine reports it.
//!
//! Where it sits: beside every stage of the flow; each line names the stage:
//!
//! ```text
//! [spawned] → [queued] → [polled] → [returned Pending; waits on …] → [parks in epoll_wait] → [epoll_wait returned] → [woken by fd 9 readable] → [queued] → [polled]
//! ```
//!
//! Only called while tracing (trace I1), and never on the hot path's happy case: a runtime with
//! nothing observing does not build the events (hooks I1).
//!
//! Read next: `runtime/observe/waits.rs`.

use std::time::Duration;

use super::trace::{self, human, Tracer};
use super::waits;
use crate::runtime::hooks::{Event, FdEvent, Queue};
use crate::runtime::task::{Header, PollOutcome, TaskEvent, TaskId, TaskKind};

/// Prints the line of `event`; `took` is the poll's duration, for `PollEnded`, when timed.
pub(super) fn narrate(tracer: &Tracer, event: Event<'_>, took: Option<Duration>) {
    match event {
        Event::RuntimeStarted { workers } => {
            tracer.event(format_args!("runtime started with {workers} worker(s)"))
        }
        Event::RuntimeShuttingDown => tracer.event(format_args!("runtime shutting down")),
        Event::Spawned(header) => spawned(tracer, header),
        Event::Queued(header, queue) => queued(tracer, header, queue),
        Event::Task(header, task_event) => task(tracer, header, task_event, took),
        Event::MainPolled => {
            trace::set_polling(Some(TaskId::MAIN));
            tracer.event(format_args!("the block_on future polled"));
        }
        Event::MainReturned { ready } => main_returned(tracer, ready),
        Event::MainWoken => {
            let cause = trace::wake_cause(TaskId::MAIN);
            tracer.event(format_args!("the block_on future woken by {cause}"));
        }
        Event::WorkerParks => tracer.event(format_args!(
            "parks on its condvar (another worker waits in epoll)"
        )),
        Event::WorkerUnparked => tracer.event(format_args!("unparked")),
        Event::ReactorParks { timeout } => match timeout {
            Some(timeout) => tracer.event(format_args!(
                "parks in epoll_wait for at most {} (the next timer)",
                human(timeout)
            )),
            None => tracer.event(format_args!("parks in epoll_wait until an event")),
        },
        Event::ReactorReturnedNothing => tracer.event(format_args!(
            "epoll_wait returned no events (a timer is due, or another thread notified)"
        )),
        Event::ReactorEvents(events) => reactor_events(tracer, events),
        Event::TimersFired(count) => tracer.event(format_args!("{count} timer(s) fired")),
        Event::Read { fd, bytes: 0 } => {
            tracer.event(format_args!("fd {fd}: read 0 bytes (end of stream)"))
        }
        Event::Read { fd, bytes } => tracer.event(format_args!("fd {fd}: read {bytes} bytes")),
        Event::Wrote { fd, bytes, len } => {
            tracer.event(format_args!("fd {fd}: wrote {bytes} of {len} bytes"))
        }
        Event::WouldBlock { fd, direction } => tracer.event(format_args!(
            "fd {fd}: {} would block (EAGAIN): forget readiness, wait for epoll",
            direction.verb()
        )),
        // Noted in the wait record or the wake cause by the glass box; no line of their own.
        Event::Delivering(_) | Event::ParkedOnFd(..) | Event::ParkedOnTimer(_) => {}
    }
}

/// `task 5 "name" spawned at src/main.rs:10:5`.
fn spawned(tracer: &Tracer, header: &Header) {
    let who = header.meta.describe(header.id);
    let site = header.meta.spawned_at();
    let kind = match header.kind() {
        TaskKind::Async => "",
        TaskKind::Local => " (spawn_local)",
        TaskKind::Blocking => " (spawn_blocking)",
    };
    tracer.event(format_args!("{who}{kind} spawned at {site}"));
}

/// `task 5 queued: the LIFO slot (runs next)`.
fn queued(tracer: &Tracer, header: &Header, queue: Queue) {
    let who = header.meta.describe(header.id);
    let place = match queue {
        Queue::LifoSlot => "the LIFO slot (runs next)",
        Queue::LocalBack => "the back of the local queue",
        Queue::Deferred => "the deferred list (after the next reactor poll)",
        Queue::Injector => "the injector",
    };
    tracer.event(format_args!("{who} queued: {place}"));
}

/// The lines of a task's own events.
fn task(tracer: &Tracer, header: &Header, event: TaskEvent, took: Option<Duration>) {
    let who = header.meta.describe(header.id);
    let blocking = header.kind() == TaskKind::Blocking;
    match event {
        TaskEvent::Woken { must_push } => {
            let cause = trace::wake_cause(header.id);
            let next = if must_push {
                ""
            } else {
                " (already queued or running: nothing to push)"
            };
            tracer.event(format_args!("{who} woken by {cause}{next}"));
        }
        TaskEvent::PollStarted { poll } => {
            trace::set_polling(Some(header.id));
            if blocking {
                tracer.event(format_args!("{who} (spawn_blocking) starts its closure"));
            } else {
                tracer.event(format_args!("{who} polled (poll {poll})"));
            }
        }
        TaskEvent::PollEnded(outcome) => {
            // Taken whatever the outcome, so nothing this poll noted is blamed on the next
            // (waits I1).
            let waits = waits::take_waits();
            let after = took.map_or_else(String::new, |took| format!(" after {}", human(took)));
            match outcome {
                PollOutcome::Pending => {
                    let waits = waits::describe(&waits, tracer);
                    tracer.event(format_args!(
                        "{who} returned Pending{after}; waits on {waits}"
                    ));
                }
                PollOutcome::Ready if blocking => {
                    tracer.event(format_args!("{who} (spawn_blocking) finished{after}"))
                }
                PollOutcome::Ready => {
                    tracer.event(format_args!("{who} returned Ready{after}: done"))
                }
                PollOutcome::Panicked => tracer.event(format_args!("{who} panicked{after}")),
            }
        }
        TaskEvent::RunEnded => trace::set_polling(None),
        TaskEvent::CancelRequested => {
            tracer.event(format_args!("{who} cancelled through its JoinHandle"))
        }
        TaskEvent::CancelledDropped => {
            tracer.event(format_args!("{who} dropped: it was cancelled"))
        }
        TaskEvent::Awaited => waits::note_task(header.id),
    }
}

/// The end of a poll of the `block_on` future; clears what it noted (waits I1).
fn main_returned(tracer: &Tracer, ready: bool) {
    trace::set_polling(None);
    let waits = waits::take_waits();
    if ready {
        tracer.event(format_args!("the block_on future returned Ready"));
    } else {
        let waits = waits::describe(&waits, tracer);
        tracer.event(format_args!(
            "the block_on future returned Pending; waits on {waits}"
        ));
    }
}

/// `epoll_wait returned 1 event: fd 9 readable`.
fn reactor_events(tracer: &Tracer, events: &[FdEvent]) {
    let described: Vec<String> = events
        .iter()
        .map(|event| {
            let fd = event
                .fd
                .map_or_else(|| "a closed fd".to_owned(), |fd| format!("fd {fd}"));
            let ready = match (event.readable, event.writable) {
                (true, true) => "readable+writable",
                (true, false) => "readable",
                (false, true) => "writable",
                (false, false) => "closed or in error",
            };
            format!("{fd} {ready}")
        })
        .collect();
    let plural = if described.len() == 1 { "" } else { "s" };
    tracer.event(format_args!(
        "epoll_wait returned {} event{plural}: {}",
        described.len(),
        described.join(", ")
    ));
}
