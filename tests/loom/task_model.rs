//! Model checking of the task with loom: the real `task/mod.rs`, `task/cell.rs` and
//! `task/joiner.rs` (the state word and the `UnsafeCell`s are loom's when built with
//! `--cfg loom`) driven by a scheduler that only queues, under every
//! interleaving loom explores within a preemption bound.
//!
//! Where it sits in the flow: the part of it that races.
//!
//! ```text
//! spawn → [run queue → poll] → Pending → waker parked → [wake] → [run queue → poll]   (racing: wake, run, cancel, detach, join)
//! ```
//!
//! Properties checked (task I1–I5): a task is never in two queues (its queue entry count never
//! exceeds one), never polled by two threads at once, never loses a wake-up (the waited-for
//! task always completes), and its future and its output are each dropped exactly once —
//! whoever must drop an unclaimed output does so.
//!
//! ```text
//! RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=3 cargo test --lib --release loom_model
//! ```
//!
//! It lives under tests/ but is compiled as `runtime/task/`'s child module `loom_model` (a
//! `#[path]` in `task/mod.rs`), because it drives the task's crate-private parts.

use std::collections::VecDeque;
use std::future::{poll_fn, Future};
use std::panic::Location;
use std::sync::Arc;
use std::task::{Poll, Waker};

use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use loom::sync::Mutex;

use super::{
    Header, JoinHandle, Runnable, Schedule, TaskCell, TaskEvent, TaskId, TaskKind, TaskMeta,
};

/// A scheduler that only queues: the model's threads run what it holds.
#[derive(Default)]
struct Queue {
    /// The run queue.
    tasks: Mutex<VecDeque<Runnable>>,
    /// Entries in the queue right now, and the most ever seen (I1: at most one per task).
    queued: AtomicUsize,
    most_queued: AtomicUsize,
}

impl Queue {
    fn push(&self, task: Runnable) {
        self.tasks.lock().unwrap().push_back(task);
        let now = self.queued.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_queued.fetch_max(now, Ordering::SeqCst);
    }

    /// Runs queued tasks until the queue is empty.
    fn run_all(&self) {
        loop {
            let next = self.tasks.lock().unwrap().pop_front();
            let Some(task) = next else { return };
            self.queued.fetch_sub(1, Ordering::SeqCst);
            task.run();
        }
    }
}

impl Schedule for Queue {
    fn schedule(&self, task: Runnable) {
        self.push(task);
    }
    fn schedule_yielded(&self, task: Runnable) {
        self.push(task);
    }
    fn schedule_pinned(&self, _owner: usize, task: Runnable) {
        self.push(task);
    }
    fn release(&self, _header: &Header) {}
    fn observe(&self, _header: &Header, _event: TaskEvent) {}
}

/// Spawns `future` on `queue`, as `spawn` does: created `SCHEDULED`, pushed once.
#[track_caller]
fn spawn<F>(queue: &Arc<Queue>, future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    spawn_keeping_the_task(queue, future).0
}

/// [`spawn`], also returning the task itself, for a model that plays shutdown on it.
#[track_caller]
fn spawn_keeping_the_task<F>(queue: &Arc<Queue>, future: F) -> (JoinHandle<F::Output>, Runnable)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let meta = TaskMeta::plain(Location::caller());
    let task = TaskCell::new(
        Header::new(TaskId::next(), TaskKind::Async, false, meta),
        queue.clone(),
        future,
    );
    queue.push(task.clone());
    let runnable: Runnable = task.clone();
    (JoinHandle::new(task), runnable)
}

/// A future that returns `output` at its first poll and counts its own drop in `drops` (the
/// racing-drop models' subject).
fn counted_future(drops: &Drops, output: u32) -> impl Future<Output = u32> + Send + 'static {
    let counted = Counted(drops.clone());
    async move {
        let _counted = counted;
        output
    }
}

/// The end both racing-drop models check: the future dropped exactly once, and the handle
/// giving `expected` or a cancellation.
fn assert_dropped_once_then(drops: &Drops, handle: JoinHandle<u32>, expected: u32) {
    assert_eq!(
        drops.count(),
        1,
        "the future was dropped {} times",
        drops.count()
    );
    match loom::future::block_on(handle) {
        Ok(output) if output == expected => {}
        Err(error) => assert!(error.is_cancelled()),
        other => panic!("unexpected outcome {other:?}"),
    }
}

/// Counts drops; shared by clones.
#[derive(Clone, Default)]
struct Drops(Arc<AtomicUsize>);

impl Drops {
    fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// Adds one to its counter when dropped.
struct Counted(Drops);

impl Drop for Counted {
    fn drop(&mut self) {
        (self.0).0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Explores with a preemption bound (the `LOOM_MAX_PREEMPTIONS` environment variable, else 3).
fn model(body: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(3);
    }
    builder.check(body);
}

/// [`model`] with at most two preemptions, whatever the environment says, for a model of three
/// threads around a spin loop: each turn of the loop is a choice for the checker, and with
/// three preemptions such a model ran for over ten minutes without finishing.
fn model_with_two_preemptions(body: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(2);
    builder.check(body);
}

/// A wake-up racing the task's own poll — before it, during it, after it — is never lost:
/// the task always completes; it is never in the queue twice.
#[test]
fn a_wake_racing_the_poll_is_never_lost() {
    model(|| {
        let queue = Arc::new(Queue::default());
        let ready = Arc::new(AtomicBool::new(false));
        let parked: Arc<Mutex<Option<Waker>>> = Arc::default();
        let (future_ready, future_parked) = (ready.clone(), parked.clone());
        let handle = spawn(
            &queue,
            poll_fn(move |cx| {
                // Park first, then look: the waker thread sets the flag, then wakes.
                *future_parked.lock().unwrap() = Some(cx.waker().clone());
                if future_ready.load(Ordering::SeqCst) {
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            }),
        );
        let waker = loom::thread::spawn(move || {
            ready.store(true, Ordering::SeqCst);
            if let Some(waker) = parked.lock().unwrap().take() {
                waker.wake();
            }
        });
        queue.run_all();
        waker.join().unwrap();
        queue.run_all();
        assert!(handle.is_finished(), "a wake-up was lost");
        assert!(
            queue.most_queued.load(Ordering::SeqCst) <= 1,
            "queued twice (I1)"
        );
    });
}

/// Two threads running the queue while a third wakes the task: the future is never polled by
/// two threads at once (I2), and still completes.
#[test]
fn two_runners_never_poll_one_task_at_once() {
    model(|| {
        let queue = Arc::new(Queue::default());
        let in_poll = Arc::new(AtomicBool::new(false));
        let polls = Arc::new(AtomicUsize::new(0));
        let parked: Arc<Mutex<Option<Waker>>> = Arc::default();
        let (guard, counter, slot) = (in_poll.clone(), polls.clone(), parked.clone());
        let handle = spawn(
            &queue,
            poll_fn(move |cx| {
                assert!(
                    !guard.swap(true, Ordering::SeqCst),
                    "polled concurrently (I2)"
                );
                let n = counter.fetch_add(1, Ordering::SeqCst);
                *slot.lock().unwrap() = Some(cx.waker().clone());
                guard.store(false, Ordering::SeqCst);
                if n == 0 {
                    Poll::Pending
                } else {
                    Poll::Ready(())
                }
            }),
        );
        let other = {
            let queue = queue.clone();
            loom::thread::spawn(move || queue.run_all())
        };
        queue.run_all();
        other.join().unwrap();
        if let Some(waker) = parked.lock().unwrap().take() {
            waker.wake();
        }
        queue.run_all();
        assert!(handle.is_finished());
        assert_eq!(polls.load(Ordering::SeqCst), 2);
    });
}

/// `cancel` racing the run: the future is dropped exactly once, is polled at most once, and
/// the handle says either what the future returned or that it was cancelled.
#[test]
fn cancel_racing_the_run_drops_the_future_once() {
    model(|| {
        let queue = Arc::new(Queue::default());
        let drops = Drops::default();
        let handle = Arc::new(spawn(&queue, counted_future(&drops, 7)));
        let canceller = {
            let handle = handle.clone();
            loom::thread::spawn(move || handle.cancel())
        };
        queue.run_all();
        canceller.join().unwrap();
        queue.run_all();
        let handle = Arc::into_inner(handle).expect("the canceller is done with it");
        assert_dropped_once_then(&drops, handle, 7);
    });
}

/// Dropping the handle (detach) racing completion: the output is dropped exactly once, by the
/// worker or by the handle, never both, never neither (I5).
#[test]
fn detach_racing_completion_drops_the_output_once() {
    model(|| {
        let queue = Arc::new(Queue::default());
        let drops = Drops::default();
        let output = Counted(drops.clone());
        let handle = spawn(&queue, async move { output });
        let detacher = loom::thread::spawn(move || drop(handle));
        queue.run_all();
        detacher.join().unwrap();
        assert_eq!(
            drops.count(),
            1,
            "the output was dropped {} times",
            drops.count()
        );
    });
}

/// A joiner waiting on another thread is woken when the task completes (the `JOIN_WAKER`
/// hand-off), whichever comes first.
#[test]
fn a_joiner_on_another_thread_gets_the_output() {
    model(|| {
        let queue = Arc::new(Queue::default());
        let handle = spawn(&queue, async { 5u32 });
        let joiner = loom::thread::spawn(move || loom::future::block_on(handle));
        queue.run_all();
        assert_eq!(joiner.join().unwrap().unwrap(), 5);
    });
}

/// The joiner's slot (`joiner.rs`) with all three of its users at once: the joiner storing
/// its waker, the worker taking it at completion, and the dump reading where it points. Loom's
/// `UnsafeCell` reports any two of them in the slot without the lock between them (joiner
/// I1), and the joiner still gets the output.
#[test]
fn the_joiner_slot_is_held_by_one_thread_at_a_time() {
    model_with_two_preemptions(|| {
        let queue = Arc::new(Queue::default());
        let (handle, runnable) = spawn_keeping_the_task(&queue, async { 6u32 });
        let joiner = loom::thread::spawn(move || loom::future::block_on(handle));
        let dump = loom::thread::spawn(move || {
            let _ = runnable.header().joiner_address();
        });
        queue.run_all();
        dump.join().unwrap();
        assert_eq!(joiner.join().unwrap().unwrap(), 6);
    });
}

/// Shutdown dropping a task's future while a worker (a blocking pool's thread, in the
/// runtime) runs it: the stage is never touched by both at once (cell I2: loom's `UnsafeCell`
/// reports any overlap), the future is dropped exactly once, and the handle says what the
/// future returned or that it was cancelled.
#[test]
fn shutdown_racing_the_run_drops_the_future_once() {
    model(|| {
        let queue = Arc::new(Queue::default());
        let drops = Drops::default();
        let (handle, runnable) = spawn_keeping_the_task(&queue, counted_future(&drops, 9));
        let runner = {
            let queue = queue.clone();
            loom::thread::spawn(move || queue.run_all())
        };
        runnable.shut_down();
        runner.join().unwrap();
        assert_dropped_once_then(&drops, handle, 9);
    });
}
