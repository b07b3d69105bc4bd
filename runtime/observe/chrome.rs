//! The trace as a timeline: with `SPROUT_TRACE=chrome:FILE` (or `Builder::trace_chrome`) the
//! runtime writes Chrome trace-event JSON, which Perfetto (ui.perfetto.dev) and
//! `chrome://tracing` open: a track per worker, each poll a slice named after its task, each
//! `epoll_wait` a slice, each wake-up an arrow from where it happened to the poll it caused.
//!
//! Where it sits: beside the whole flow, like the text trace; the same events, drawn in time:
//!
//! ```text
//! [spawn] → run queue → [poll] → Pending → waker parked → [epoll_wait] → [deliver: wake] → run queue → [poll]
//!
//! worker 0: [poll task 1] ··· [epoll_wait ······] [deliver fd 9 readable] [poll task 1]
//!                                                          └──── wake ────────↗
//! ```
//!
//! The file is a JSON array of events (`ph`: `X` a slice with a duration, `i` an instant, `s`/`f`
//! the two ends of a flow arrow, `M` a track's name); times are microseconds since the runtime
//! started. A slice is written when it ends, with its start time, so a viewer sorts them.
//!
//! Invariants:
//! - I1: a wake-up that queues a task starts at most one arrow, and the task's next poll ends
//!   it; a wake-up that finds the task already queued or running draws nothing (the arrow
//!   already drawn leads to that poll).
//! - I2: the array is closed (`]`) when the runtime's glass box is dropped, so a runtime that
//!   shuts down leaves a complete JSON document.
//!
//! Read next: `runtime/observe/narrate.rs`.

use std::cell::{Cell, RefCell};
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use crate::runtime::hooks::{Event, WakeCause};
use crate::runtime::lock::lock;
use crate::runtime::scheduler::context;
use crate::runtime::task::{PollOutcome, TaskEvent, TaskId};

/// Writes one runtime's timeline.
pub(crate) struct ChromeTrace {
    /// Time zero of every event.
    epoch: Instant,
    /// The file, and which tracks have been named in it.
    out: Mutex<Output>,
    /// Arrows started by a spawn or wake-up and not yet ended by a poll: task → the arrow's id
    /// and name (its two ends must carry the same, I1).
    open_arrows: Mutex<HashMap<TaskId, (u64, &'static str)>>,
    /// The next arrow id.
    next_arrow: AtomicU64,
}

/// The file being written.
struct Output {
    file: BufWriter<File>,
    /// No event written yet: the next one needs no comma before it.
    empty: bool,
    /// Track ids whose name has been written.
    named: HashSet<u64>,
}

thread_local! {
    /// The slices in progress on this thread (a poll, an epoll wait, a park, a delivery,
    /// innermost last): when each began, in µs, and what it is.
    static OPEN_SLICES: RefCell<Vec<(f64, Slice)>> = const { RefCell::new(Vec::new()) };
    /// Wake-ups during the delivery in progress (a delivery that woke nobody is not drawn).
    static DELIVERED: Cell<u32> = const { Cell::new(0) };
    /// The track of a thread that is not a worker, once given.
    static OTHER_TRACK: Cell<Option<u64>> = const { Cell::new(None) };
}

/// What the slice in progress on a thread is.
#[derive(Clone, Copy, PartialEq)]
enum Slice {
    Poll(TaskId, u32),
    Main,
    EpollWait,
    Parked,
    Delivery(WakeCause),
}

/// Tracks of threads that are not workers start here (workers' tracks are their index).
const FIRST_OTHER_TRACK: u64 = 1000;
static NEXT_OTHER_TRACK: AtomicU64 = AtomicU64::new(FIRST_OTHER_TRACK);

impl ChromeTrace {
    /// Creates `path` and opens the JSON array.
    pub(crate) fn create(path: &Path, epoch: Instant) -> std::io::Result<ChromeTrace> {
        let mut file = BufWriter::new(File::create(path)?);
        file.write_all(b"[\n")?;
        Ok(ChromeTrace {
            epoch,
            out: Mutex::new(Output {
                file,
                empty: true,
                named: HashSet::new(),
            }),
            open_arrows: Mutex::new(HashMap::new()),
            next_arrow: AtomicU64::new(1),
        })
    }

    /// Draws what `event` means on the timeline, if anything.
    pub(crate) fn event(&self, event: &Event<'_>) {
        let now = self.micros();
        match *event {
            Event::Task(header, TaskEvent::PollStarted { poll }) => {
                self.open(now, Slice::Poll(header.id, poll));
                self.end_arrow(header.id, now);
            }
            Event::Task(header, TaskEvent::PollEnded(outcome)) => {
                let outcome = match outcome {
                    PollOutcome::Pending => "Pending",
                    PollOutcome::Ready => "Ready",
                    PollOutcome::Panicked => "panicked",
                };
                if let Some((start, Slice::Poll(_, poll))) =
                    close(|s| matches!(s, Slice::Poll(id, _) if id == header.id))
                {
                    let name = header.meta.describe(header.id);
                    let args = format!(r#"{{"poll":{poll},"outcome":"{outcome}"}}"#);
                    self.slice(&name, "poll", start, now, &args);
                }
            }
            Event::Task(header, TaskEvent::Woken { must_push: true }) => {
                self.start_arrow(header.id, "wake", now)
            }
            // Dropped unpolled: its open arrow will never land; forget it.
            Event::Task(header, TaskEvent::CancelledDropped) => {
                lock(&self.open_arrows).remove(&header.id);
            }
            Event::MainPolled => {
                self.open(now, Slice::Main);
                self.end_arrow(TaskId::MAIN, now);
            }
            Event::MainReturned { ready } => {
                if let Some((start, _)) = close(|s| s == Slice::Main) {
                    let outcome = if ready { "Ready" } else { "Pending" };
                    let args = format!(r#"{{"outcome":"{outcome}"}}"#);
                    self.slice("the block_on future", "poll", start, now, &args);
                }
            }
            Event::MainWoken => self.start_arrow(TaskId::MAIN, "wake", now),
            Event::ReactorParks { .. } => self.open(now, Slice::EpollWait),
            Event::ReactorEvents(events) => self.close_wait(now, events.len()),
            Event::ReactorReturnedNothing => self.close_wait(now, 0),
            Event::WorkerParks => self.open(now, Slice::Parked),
            Event::WorkerUnparked => {
                if let Some((start, _)) = close(|s| s == Slice::Parked) {
                    self.slice("parked on its condvar", "park", start, now, "{}");
                }
            }
            Event::Delivering(Some(cause)) => {
                DELIVERED.set(0);
                self.open(now, Slice::Delivery(cause));
            }
            Event::Delivering(None) => {
                let delivery = close(|s| matches!(s, Slice::Delivery(_)));
                if let Some((start, Slice::Delivery(cause))) = delivery {
                    if DELIVERED.get() > 0 {
                        let name = match cause {
                            WakeCause::Fd(fd, direction) => {
                                format!("deliver: fd {fd} {}", direction.adjective())
                            }
                            WakeCause::Timer => "deliver: timers".to_owned(),
                        };
                        self.slice(&name, "reactor", start, now, "{}");
                    }
                }
            }
            Event::Spawned(header) => {
                let name = format!("spawn {}", header.meta.describe(header.id));
                self.instant(&name, "task", now);
                self.start_arrow(header.id, "spawn", now); // to its first poll
            }
            Event::RuntimeStarted { workers } => self.instant(
                &format!("runtime started, {workers} worker(s)"),
                "runtime",
                now,
            ),
            Event::RuntimeShuttingDown => self.instant("runtime shutting down", "runtime", now),
            Event::Read { fd, bytes } => {
                self.instant(&format!("fd {fd}: read {bytes} B"), "io", now)
            }
            Event::Wrote { fd, bytes, .. } => {
                self.instant(&format!("fd {fd}: wrote {bytes} B"), "io", now)
            }
            Event::WouldBlock { fd, direction } => {
                let name = format!("fd {fd}: {} would block", direction.verb());
                self.instant(&name, "io", now)
            }
            _ => {}
        }
    }

    /// Microseconds since the runtime started.
    fn micros(&self) -> f64 {
        self.epoch.elapsed().as_secs_f64() * 1e6
    }

    /// Starts the slice `what` on this thread.
    fn open(&self, now: f64, what: Slice) {
        OPEN_SLICES.with_borrow_mut(|open| open.push((now, what)));
    }

    /// Ends this thread's `epoll_wait` slice.
    fn close_wait(&self, now: f64, events: usize) {
        if let Some((start, _)) = close(|s| s == Slice::EpollWait) {
            let args = format!(r#"{{"events":{events}}}"#);
            self.slice("epoll_wait", "reactor", start, now, &args);
        }
    }

    /// A wake-up that queues `task` (or its spawn): the tail of an arrow named `what`, on this
    /// thread, now (I1).
    fn start_arrow(&self, task: TaskId, what: &'static str, now: f64) {
        let delivering =
            OPEN_SLICES.with_borrow(|open| matches!(open.last(), Some((_, Slice::Delivery(_)))));
        if delivering {
            DELIVERED.set(DELIVERED.get() + 1);
        }
        let id = match lock(&self.open_arrows).entry(task) {
            Entry::Occupied(_) => return, // its arrow from an earlier wake-up is still open
            Entry::Vacant(slot) => {
                slot.insert((self.next_arrow.fetch_add(1, Ordering::Relaxed), what))
                    .0
            }
        };
        let track = track();
        self.write(&format!(
            r#"{{"ph":"s","name":"{what}","cat":"wake","id":{id},"ts":{now:.3},"pid":1,"tid":{track}}}"#
        ));
    }

    /// The poll of `task` that begins now: the head of its open arrow, if any (I1).
    fn end_arrow(&self, task: TaskId, now: f64) {
        let Some((id, what)) = lock(&self.open_arrows).remove(&task) else {
            return;
        };
        let track = track();
        self.write(&format!(
            r#"{{"ph":"f","bp":"e","name":"{what}","cat":"wake","id":{id},"ts":{now:.3},"pid":1,"tid":{track}}}"#
        ));
    }

    /// A finished slice on this thread's track.
    fn slice(&self, name: &str, category: &str, start: f64, end: f64, args: &str) {
        let (track, name) = (track(), json_string(name));
        let duration = (end - start).max(0.0);
        self.write(&format!(
            r#"{{"ph":"X","name":{name},"cat":"{category}","ts":{start:.3},"dur":{duration:.3},"pid":1,"tid":{track},"args":{args}}}"#
        ));
    }

    /// A moment on this thread's track.
    fn instant(&self, name: &str, category: &str, now: f64) {
        let (track, name) = (track(), json_string(name));
        self.write(&format!(
            r#"{{"ph":"i","s":"t","name":{name},"cat":"{category}","ts":{now:.3},"pid":1,"tid":{track}}}"#
        ));
    }

    /// Appends one event, after naming this thread's track if it is new.
    fn write(&self, event: &str) {
        let track = track();
        let mut out = lock(&self.out);
        if out.named.insert(track) {
            let name = match context::current_worker_index() {
                Some(worker) => format!("worker {worker}"),
                None => std::thread::current()
                    .name()
                    .unwrap_or("a thread")
                    .to_owned(),
            };
            let name = json_string(&name);
            let meta = format!(
                r#"{{"ph":"M","name":"thread_name","pid":1,"tid":{track},"args":{{"name":{name}}}}}"#
            );
            out.append(&meta);
        }
        out.append(event);
    }
}

impl Output {
    /// Writes `event` as the next element of the array. The timeline is best effort: a full
    /// disk must not take the runtime down.
    fn append(&mut self, event: &str) {
        let comma = if self.empty { "" } else { ",\n" };
        self.empty = false;
        let _ = write!(self.file, "{comma}{event}");
    }
}

impl Drop for ChromeTrace {
    /// Closes the array (I2).
    fn drop(&mut self) {
        let out = self
            .out
            .get_mut()
            .unwrap_or_else(|poison| poison.into_inner());
        let _ = out.file.write_all(b"\n]\n");
        let _ = out.file.flush();
    }
}

/// Ends the innermost slice in progress on this thread that `is` accepts; returns its start.
fn close(is: impl Fn(Slice) -> bool) -> Option<(f64, Slice)> {
    OPEN_SLICES.with_borrow_mut(|open| {
        let index = open.iter().rposition(|&(_, slice)| is(slice))?;
        Some(open.remove(index))
    })
}

/// This thread's track: a worker's index, or a number of its own for any other thread.
fn track() -> u64 {
    if let Some(worker) = context::current_worker_index() {
        return worker as u64;
    }
    OTHER_TRACK.with(|own| {
        own.get().unwrap_or_else(|| {
            let track = NEXT_OTHER_TRACK.fetch_add(1, Ordering::Relaxed);
            own.set(Some(track));
            track
        })
    })
}

/// `text` as a JSON string literal, quotes included.
fn json_string(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for c in text.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            c if (c as u32) < 0x20 => quoted.push_str(&format!("\\u{:04x}", c as u32)),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}
