//! `spawn_local` tasks: their futures are polled and dropped only on the thread that spawned them
//! (local I1), whichever thread wakes, cancels or shuts them down, and they end as any task does
//! (output, cancellation, panic), since they run through the same cell (`task/local.rs`).

mod support;

use std::rc::Rc;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;
use std::time::Duration;

use support::{runtime, within};

/// Where a local future was polled and where it was dropped. `Rc` inside keeps the future
/// `!Send`, which is the point of `spawn_local`.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<(Vec<ThreadId>, Option<ThreadId>)>>);

impl Seen {
    fn polled(&self) {
        self.0.lock().unwrap().0.push(std::thread::current().id());
    }
    fn polls(&self) -> Vec<ThreadId> {
        self.0.lock().unwrap().0.clone()
    }
    fn dropped_on(&self) -> Option<ThreadId> {
        self.0.lock().unwrap().1
    }
}

/// Records the thread it is dropped on; panics there if `panic` is set.
struct DropProbe {
    seen: Seen,
    panic: bool,
    _not_send: Rc<()>,
}

impl DropProbe {
    fn new(seen: &Seen, panic: bool) -> DropProbe {
        DropProbe {
            seen: seen.clone(),
            panic,
            _not_send: Rc::new(()),
        }
    }
}

impl Drop for DropProbe {
    fn drop(&mut self) {
        self.seen.0.lock().unwrap().1 = Some(std::thread::current().id());
        if self.panic {
            panic!("a local future's destructor panics");
        }
    }
}

/// A local task woken from other threads (timers fired by whichever worker drives the reactor,
/// a task on the other worker) is polled on its owner thread every time, and dropped there.
#[test]
fn a_local_task_is_polled_and_dropped_on_its_owner_thread() {
    let seen = Seen::default();
    let probe_seen = seen.clone();
    let owner = within(Duration::from_secs(10), "local polls", move || {
        runtime(2).block_on(async move {
            let (tick, ticks) = sprout::sync::channel::<u32>(1);
            let ticker = sprout::spawn(async move {
                for n in 0..20 {
                    sprout::sleep(Duration::from_millis(1)).await;
                    tick.send(n).await.expect("the local task listens");
                }
            });
            let local = sprout::spawn_local(async move {
                let probe = DropProbe::new(&probe_seen, false);
                let mut sum = 0;
                while let Ok(n) = ticks.recv().await {
                    probe.seen.polled();
                    sum += n;
                }
                sum
            });
            ticker.await.expect("the ticker ends");
            assert_eq!(local.await.expect("the local task ends"), 190);
            std::thread::current().id()
        })
    });
    let polls = seen.polls();
    assert_eq!(polls.len(), 20, "one poll per tick at least");
    assert!(
        polls.iter().all(|&thread| thread == owner),
        "every poll on the owner thread"
    );
    assert_eq!(
        seen.dropped_on(),
        Some(owner),
        "dropped on the owner thread"
    );
}

/// A local future may spawn local tasks while it is polled and while it is dropped (local I2).
#[test]
fn a_local_future_spawns_local_tasks_in_its_poll_and_its_destructor() {
    struct SpawnsOnDrop(mpsc::Sender<u32>);
    impl Drop for SpawnsOnDrop {
        fn drop(&mut self) {
            let done = self.0.clone();
            drop(sprout::spawn_local(async move {
                done.send(2).expect("the test listens");
            }));
        }
    }
    let (done, finished) = mpsc::channel();
    within(Duration::from_secs(10), "nested spawn_local", move || {
        runtime(1).block_on(async move {
            let outer = sprout::spawn_local(async move {
                let _on_drop = SpawnsOnDrop(done.clone());
                let inner = sprout::spawn_local(async { Rc::new(1) == Rc::new(1) });
                assert!(inner.await.expect("the inner task ends"));
                done.send(1).expect("the test listens");
            });
            outer.await.expect("the outer task ends");
            sprout::yield_now().await; // the task spawned by the destructor runs
        })
    });
    let mut got: Vec<u32> = finished.try_iter().collect();
    got.sort_unstable();
    assert_eq!(got, [1, 2]);
}

/// Cancelling a local task from a task on another worker drops its future on the owner thread;
/// a panic in that destructor, or in a poll, reaches the handle as a panic.
#[test]
fn cancelled_and_panicking_local_tasks_end_as_any_task() {
    for destructor_panics in [false, true] {
        let seen = Seen::default();
        let probe_seen = seen.clone();
        let (owner, error) = within(Duration::from_secs(10), "local cancel", move || {
            runtime(2).block_on(async move {
                let probe = DropProbe::new(&probe_seen, destructor_panics);
                let local = sprout::spawn_local(async move {
                    let _probe = probe;
                    std::future::pending::<()>().await
                });
                let canceller = sprout::spawn(async move {
                    local.cancel();
                    local.await
                });
                let error = canceller.await.expect("the canceller ends").unwrap_err();
                (std::thread::current().id(), error)
            })
        });
        assert_eq!(
            seen.dropped_on(),
            Some(owner),
            "dropped on the owner thread"
        );
        if destructor_panics {
            assert!(error.is_panic(), "{error}");
        } else {
            assert!(error.is_cancelled(), "{error}");
        }
    }
    let error = within(Duration::from_secs(10), "local panic", || {
        runtime(1).block_on(async {
            let local = sprout::spawn_local(async {
                let _not_send = Rc::new(());
                sprout::yield_now().await;
                panic!("a local task panics");
            });
            local.await.unwrap_err()
        })
    });
    assert!(error.is_panic(), "{error}");
}

/// A local task left pending on worker 1 when the runtime is dropped from another thread: the
/// handle is settled as cancelled, and the future is dropped by worker 1's thread as it stops,
/// never by the thread that dropped the runtime.
#[test]
fn a_runtime_dropped_elsewhere_leaves_the_local_future_to_its_owner() {
    let seen = Seen::default();
    let probe_seen = seen.clone();
    let (dropper, owner) = within(Duration::from_secs(10), "local shutdown", move || {
        let runtime = runtime(2);
        let (started, has_started) = mpsc::channel();
        // From outside `block_on`, only worker 1 runs tasks.
        let _parent = runtime.spawn(async move {
            let probe = DropProbe::new(&probe_seen, false);
            let local = sprout::spawn_local(async move {
                let _probe = probe;
                std::future::pending::<()>().await
            });
            started
                .send(std::thread::current().id())
                .expect("the test listens");
            local.await
        });
        let owner = has_started
            .recv_timeout(Duration::from_secs(5))
            .expect("the parent task ran");
        drop(runtime);
        (std::thread::current().id(), owner)
    });
    assert_ne!(dropper, owner);
    assert_eq!(
        seen.dropped_on(),
        Some(owner),
        "the owner thread dropped the future as it stopped"
    );
}
