//! Counter tests of the task, after async-task's: for each scenario, exactly how many times the
//! task was queued ("schedules"), polled, and its future (or output) dropped, after every step.
//!
//! The counts come from the runtime's own trace (`SPROUT_TRACE=1`: one "queued" line per push
//! onto a run queue, one "polled (poll n)" line per poll) and from drop counters in the
//! futures. The program runs in a child process on a one-worker runtime whose tasks are spawned
//! from outside, so nothing runs until the test lets it (`block_on` of one yield): each step is
//! deterministic. After each step the child prints `STEP <scenario> <step> drops=<n>`; the
//! parent counts the trace lines of the scenario's task up to that marker.
//!
//! One deliberate difference from async-task: dropping the last waker of a detached task that
//! waits does not drop its future. sprout's registry holds every live task (the dump, the
//! watchdog and shutdown need to reach it), so the future goes when the runtime does.

mod support;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use sprout::{JoinHandle, Runtime, TaskBuilder};
use support::child::{is_child, run_child_test, successful_stderr};

/// Counts drops.
#[derive(Clone, Default)]
struct Drops(Arc<AtomicUsize>);

impl Drops {
    fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// Adds one to its `Drops` when dropped.
struct Counted(Drops);

impl Drop for Counted {
    fn drop(&mut self) {
        (self.0).0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A future that runs `on_poll` on each poll and answers what it returns; counts its drop.
struct Probe<F> {
    on_poll: F,
    _counted: Counted,
}

impl<F: FnMut(&mut Context<'_>) -> Poll<()> + Unpin> Future for Probe<F> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        (self.on_poll)(cx)
    }
}

/// A future whose destructor panics after it returned `Ready`.
struct ReadyThenPanicsOnDrop;

impl Future for ReadyThenPanicsOnDrop {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        Poll::Ready(())
    }
}

impl Drop for ReadyThenPanicsOnDrop {
    fn drop(&mut self) {
        panic!("panic in drop");
    }
}

/// One worker, no watchdog thread: nothing runs unless `step` lets it.
fn quiet_runtime() -> Runtime {
    Runtime::builder()
        .workers(1)
        .watchdog(Duration::ZERO)
        .build()
        .expect("a runtime")
}

/// Lets the runtime run what is queued (the one worker runs queued tasks before re-polling
/// the main future after its yield).
fn step(rt: &Runtime) {
    rt.block_on(sprout::yield_now());
}

/// Prints the marker the parent counts up to.
fn mark(scenario: &str, step: &str, drops: &Drops) {
    eprintln!("STEP {scenario} {step} drops={}", drops.count());
}

/// The slot through which a task reaches its own handle.
type HandleSlot = Arc<Mutex<Option<JoinHandle<()>>>>;

/// Every scenario, in order, each on its own runtime.
fn scenarios() {
    // Cancel before the first run.
    let drops = Drops::default();
    let rt = quiet_runtime();
    let counted = Counted(drops.clone());
    let handle = TaskBuilder::new().name("cancel-before-run").spawn_on(
        &rt,
        Probe {
            on_poll: |_: &mut Context<'_>| Poll::Pending,
            _counted: counted,
        },
    );
    mark("cancel-before-run", "spawned", &drops);
    handle.cancel();
    mark("cancel-before-run", "cancelled", &drops);
    step(&rt);
    mark("cancel-before-run", "ran", &drops);
    assert!(rt.block_on(handle).unwrap_err().is_cancelled());

    // Cancel during the run: the future cancels its own handle in its first poll.
    let drops = Drops::default();
    let rt = quiet_runtime();
    let slot: HandleSlot = Arc::default();
    let own = slot.clone();
    let handle = TaskBuilder::new().name("cancel-during-run").spawn_on(
        &rt,
        Probe {
            on_poll: move |_: &mut Context<'_>| {
                if let Some(handle) = own.lock().unwrap().as_ref() {
                    handle.cancel();
                }
                Poll::Pending
            },
            _counted: Counted(drops.clone()),
        },
    );
    let id = handle.id();
    *slot.lock().unwrap() = Some(handle);
    step(&rt);
    mark("cancel-during-run", "first-run", &drops);
    step(&rt);
    mark("cancel-during-run", "second-run", &drops);
    let handle = slot.lock().unwrap().take().unwrap();
    assert_eq!(handle.id(), id);
    assert!(rt.block_on(handle).unwrap_err().is_cancelled());

    // Wake after completion: the future keeps its waker and completes; then it is woken.
    let drops = Drops::default();
    let rt = quiet_runtime();
    let kept: Arc<Mutex<Option<Waker>>> = Arc::default();
    let keep = kept.clone();
    let handle = TaskBuilder::new().name("wake-after-complete").spawn_on(
        &rt,
        Probe {
            on_poll: move |cx: &mut Context<'_>| {
                *keep.lock().unwrap() = Some(cx.waker().clone());
                Poll::Ready(())
            },
            _counted: Counted(drops.clone()),
        },
    );
    step(&rt);
    mark("wake-after-complete", "completed", &drops);
    kept.lock().unwrap().take().unwrap().wake();
    step(&rt);
    mark("wake-after-complete", "woken", &drops);
    rt.block_on(handle).unwrap();

    // Drop the handle during the run: the future detaches itself, then completes; its output
    // (nobody's now) is dropped by the worker.
    let drops = Drops::default();
    let rt = quiet_runtime();
    let slot: Arc<Mutex<Option<JoinHandle<Counted>>>> = Arc::default();
    let own = slot.clone();
    let output_drops = Drops::default();
    let output = output_drops.clone();
    let counted = Counted(drops.clone());
    let handle = TaskBuilder::new()
        .name("drop-handle-during-run")
        .spawn_on(&rt, async move {
            let _counted = counted;
            drop(own.lock().unwrap().take()); // the handle goes: the task is detached
            Counted(output)
        });
    *slot.lock().unwrap() = Some(handle);
    step(&rt);
    mark("drop-handle-during-run", "completed", &drops);
    eprintln!(
        "OUTPUT drop-handle-during-run drops={}",
        output_drops.count()
    );

    // Drop the last waker of a detached task that waits: sprout's registry keeps every live
    // task (for the dump and shutdown), so the future stays until the runtime goes.
    let drops = Drops::default();
    let rt = quiet_runtime();
    let kept: Arc<Mutex<Option<Waker>>> = Arc::default();
    let keep = kept.clone();
    TaskBuilder::new()
        .name("drop-last-waker")
        .spawn_on(
            &rt,
            Probe {
                on_poll: move |cx: &mut Context<'_>| {
                    *keep.lock().unwrap() = Some(cx.waker().clone());
                    Poll::Pending
                },
                _counted: Counted(drops.clone()),
            },
        )
        .detach();
    step(&rt);
    mark("drop-last-waker", "parked", &drops);
    drop(kept.lock().unwrap().take());
    step(&rt);
    mark("drop-last-waker", "waker-dropped", &drops);
    drop(rt);
    mark("drop-last-waker", "runtime-dropped", &drops);

    // Panic in poll.
    let drops = Drops::default();
    let rt = quiet_runtime();
    let handle = TaskBuilder::new().name("panic-in-poll").spawn_on(
        &rt,
        Probe {
            on_poll: |_: &mut Context<'_>| panic!("panic in poll"),
            _counted: Counted(drops.clone()),
        },
    );
    step(&rt);
    mark("panic-in-poll", "ran", &drops);
    let error = rt.block_on(handle).unwrap_err();
    assert_eq!(error.panic_message(), Some("panic in poll"));

    // Panic in drop, after the future completed.
    let drops = Drops::default();
    let rt = quiet_runtime();
    let handle = TaskBuilder::new()
        .name("panic-in-drop")
        .spawn_on(&rt, ReadyThenPanicsOnDrop);
    step(&rt);
    mark("panic-in-drop", "ran", &drops);
    let error = rt.block_on(handle).unwrap_err();
    assert_eq!(error.panic_message(), Some("panic in drop"));
}

/// `(queued, polled)` lines of the task named `name` up to the line `STEP name step …`, and
/// the drop count that line reports.
fn counts(trace: &str, name: &str, step: &str) -> (usize, usize, usize) {
    let quoted = format!("\"{name}\"");
    let mut queued = 0;
    let mut polled = 0;
    for line in trace.lines() {
        if let Some(rest) = line.strip_prefix(&format!("STEP {name} {step} drops=")) {
            return (queued, polled, rest.trim().parse().expect("a drop count"));
        }
        if line.contains(&quoted) {
            if line.contains(" queued: ") {
                queued += 1;
            }
            if line.contains(" polled (poll ") {
                polled += 1;
            }
        }
    }
    panic!("no STEP {name} {step} marker in:\n{trace}");
}

#[test]
fn every_step_has_exact_counts() {
    const TEST: &str = "every_step_has_exact_counts";
    if is_child(TEST) {
        scenarios();
        return;
    }
    let output = run_child_test(TEST, &[("SPROUT_TRACE", "1")], Duration::from_secs(60));
    let trace = successful_stderr(TEST, &output);
    // (scenario, step, queued, polled, future drops), each cumulative since the spawn.
    let expected = [
        ("cancel-before-run", "spawned", 1, 0, 0),
        ("cancel-before-run", "cancelled", 1, 0, 0), // already queued: cancel pushes nothing
        ("cancel-before-run", "ran", 1, 0, 1),       // dropped without a poll
        // The cancel re-queued it, and the same step's batch dropped it without a second poll.
        ("cancel-during-run", "first-run", 2, 1, 1),
        ("cancel-during-run", "second-run", 2, 1, 1),
        ("wake-after-complete", "completed", 1, 1, 1),
        ("wake-after-complete", "woken", 1, 1, 1), // a late wake pushes nothing
        ("drop-handle-during-run", "completed", 1, 1, 1),
        ("drop-last-waker", "parked", 1, 1, 0),
        ("drop-last-waker", "waker-dropped", 1, 1, 0), // the registry keeps it alive
        ("drop-last-waker", "runtime-dropped", 1, 1, 1), // shutdown drops it
        ("panic-in-poll", "ran", 1, 1, 1),
        ("panic-in-drop", "ran", 1, 1, 0), // no drop counter: its destructor is the panic
    ];
    for (scenario, step, queued, polled, drops) in expected {
        assert_eq!(
            counts(&trace, scenario, step),
            (queued, polled, drops),
            "{scenario} after {step}: (queued, polled, future drops)"
        );
    }
    assert!(
        trace.contains("OUTPUT drop-handle-during-run drops=1"),
        "the detached task's output was dropped by the worker:\n{trace}"
    );
}
